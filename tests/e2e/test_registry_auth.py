"""The client against real distribution registries with htpasswd and token auth."""

from __future__ import annotations

import pytest

from ghbuild.registry import (
    Credentials,
    CredentialStore,
    ImageRef,
    RegistryClient,
    State,
)
from tests.e2e.registry_servers import (  # noqa: F401  (fixtures)
    USERS,
    htpasswd_registry,
    seed_image,
    token_registry,
)

pytestmark = pytest.mark.e2e


def _client(creds: dict[str, Credentials] | None = None, **kw) -> RegistryClient:
    return RegistryClient(CredentialStore.static(creds or {}), timeout=5, retries=1, **kw)


def test_htpasswd_registry(htpasswd_registry):  # noqa: F811
    addr = htpasswd_registry.addr
    alice = _client({addr: Credentials("alice", USERS["alice"])})
    repo = ImageRef.parse(f"{addr}/team/app")
    digest = seed_image(alice, repo, "v1")

    got = alice.check(repo.with_tag("v1"), platforms=["linux/amd64"])
    assert got.state is State.PRESENT and got.digest == digest
    assert alice.check(repo.with_tag("nope")).state is State.ABSENT

    anonymous = _client().check(repo.with_tag("v1"))
    assert anonymous.state is State.UNKNOWN and anonymous.cause == "access"
    assert f"registry {addr} refused pull of team/app (HTTP 401" in anonymous.reason

    wrong = _client({addr: Credentials("alice", "not-her-password")}).check(repo.with_tag("v1"))
    assert wrong.state is State.UNKNOWN and wrong.cause == "access"
    assert "not-her-password" not in wrong.reason


def test_token_registry_field_case_private_package(token_registry):  # noqa: F811
    """A private package checked anonymously is unknown (access), never absent."""
    addr = token_registry.addr
    bot = _client({addr: Credentials("ci-bot", USERS["ci-bot"])})
    private = ImageRef.parse(f"{addr}/private/widget")
    digest = seed_image(bot, private, "main")

    anonymous = _client().check(private.with_tag("main"))
    assert anonymous.state is State.UNKNOWN and anonymous.cause == "access"
    assert anonymous.reason.startswith("access:")

    with_job_token = bot.check(private.with_tag("main"))
    assert with_job_token.state is State.PRESENT and with_job_token.digest == digest
    missing = bot.check(private.with_tag("not-there"))
    assert missing.state is State.ABSENT and "MANIFEST_UNKNOWN" in missing.reason
    assert USERS["ci-bot"] not in anonymous.reason + with_job_token.reason + missing.reason


def test_token_registry_public_anonymous_and_token_reuse(token_registry):  # noqa: F811
    addr = token_registry.addr
    writer = _client({addr: Credentials("alice", USERS["alice"])})
    public = ImageRef.parse(f"{addr}/public/tool")
    digest = seed_image(writer, public, "1.0.0")

    reader = _client()
    assert reader.check(public.with_tag("1.0.0")).digest == digest
    first = reader.requests_made
    assert first == 3  # challenge, token, manifest
    for _ in range(3):
        assert reader.check(public.with_tag("1.0.0")).state is State.PRESENT
    assert reader.requests_made == first + 3  # one request per check once the token is held
    issued = [t for t in token_registry.tokens.issued if t["user"] is None]
    assert len(issued) == 1 and issued[0]["access"][0]["actions"] == ["pull"]


def test_token_renewed_when_the_registry_refuses_it(token_registry):  # noqa: F811
    addr = token_registry.addr
    writer = _client({addr: Credentials("alice", USERS["alice"])})
    public = ImageRef.parse(f"{addr}/public/renew")
    seed_image(writer, public, "v1")

    reader = _client()
    token_registry.tokens.expired_next = 1  # the next token is expired but claims 300 s
    first = reader.check(public.with_tag("v1"))
    # A token refused the moment it was issued is a doubt: unknown, so the caller builds.
    assert first.state is State.UNKNOWN and first.cause == "access"
    # The client kept that token; the registry's 401 makes it fetch a new one.
    second = reader.check(public.with_tag("v1"))
    assert second.state is State.PRESENT, second.reason
    assert [t["expired"] for t in token_registry.tokens.issued[-2:]] == [True, False]
    third = reader.requests_made
    reader.check(public.with_tag("v1"))
    assert reader.requests_made == third + 1


def test_token_registry_anonymous_push_refused(token_registry):  # noqa: F811
    from ghbuild.errors import RegistryError

    addr = token_registry.addr
    anonymous = _client()
    with pytest.raises(RegistryError):
        seed_image(anonymous, ImageRef.parse(f"{addr}/public/nopush"), "v1")
