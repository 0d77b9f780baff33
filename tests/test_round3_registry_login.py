"""Round 3 (L2): a refused pull from a registry this run has no credentials for is
recognised, so the run names the registry and the registry-auth entry it lacks."""

from __future__ import annotations

from ghbuild.commands.run import _login_hint, no_login
from ghbuild.registry import Credentials, CredentialStore, ImageRef, Presence, RegistryClient

B = ImageRef.parse("127.0.0.1:5111/acme/x:1.4.0")
REFUSED = Presence.unknown(str(B), "access: registry 127.0.0.1:5111 refused pull (HTTP 401)",
                           "access")


def test_a_refused_pull_without_credentials_is_no_login():
    assert no_login(RegistryClient(CredentialStore()), B, REFUSED)


def test_with_credentials_it_is_a_refusal_of_those():
    store = CredentialStore.static({"127.0.0.1:5111": Credentials("bob", "pw")})
    assert not no_login(RegistryClient(store), B, REFUSED)


def test_other_doubtful_answers_are_not_about_logins():
    client = RegistryClient(CredentialStore())
    assert not no_login(client, B, Presence.unknown(str(B), "HTTP 500", "fault"))
    assert not no_login(client, B, Presence.absent(str(B), "not found (404)"))


def test_the_hint_names_each_registry_and_the_input():
    hint = _login_hint(["127.0.0.1:5111", "127.0.0.1:5112"])
    assert hint.startswith("add a registry-auth entry for 127.0.0.1:5111, 127.0.0.1:5112")
    assert "input 'registry-auth'" in hint
