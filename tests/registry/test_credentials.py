from __future__ import annotations

import base64
import json

import pytest

from ghbuild import proc
from ghbuild.errors import InputError, RegistryError
from ghbuild.registry import Credentials, CredentialStore
from ghbuild.registry.credentials import normalise_host


class HelperRunner(proc.Runner):
    """Answers `docker-credential-<x> get` like a real helper; records argv and stdin."""

    def __init__(self, answers: dict[tuple[str, str], dict | str | None]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], str | None]] = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):  # type: ignore[override]
        self.calls.append((list(argv), stdin))
        answer = self.answers.get((argv[0], stdin or ""))
        if answer is None:
            return proc.Completed(tuple(argv), 1, "credentials not found in native keychain\n", "")
        if isinstance(answer, str):
            return proc.Completed(tuple(argv), 0, answer, "")
        return proc.Completed(tuple(argv), 0, json.dumps(answer), "")


@pytest.fixture()
def helper():
    """Install a fake helper runner; tests/conftest.py restores the runner afterwards."""
    def install(answers):
        runner = HelperRunner(answers)
        proc.set_runner(runner)
        return runner
    return install


def _config(tmp_path, data) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("server", "host"), [
    ("https://index.docker.io/v1/", "docker.io"),
    ("registry-1.docker.io", "docker.io"),
    ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
    ("GHCR.IO", "ghcr.io"),
])
def test_normalise_host(server, host):
    assert normalise_host(server) == host


def test_static_credentials():
    store = CredentialStore.static({"ghcr.io": Credentials("bot", "s3cret")})
    assert store.get("ghcr.io") == Credentials("bot", "s3cret")
    assert store.get("docker.io") is None
    assert "s3cret" not in repr(store.get("ghcr.io"))


def test_auths_base64_and_identity_token(tmp_path):
    path = _config(tmp_path, {"auths": {
        "https://index.docker.io/v1/": {"auth": _b64("hubuser:hub:pass")},
        "ghcr.io": {"auth": _b64("me:x"), "identitytoken": "refresh-123"},
        "quay.io": {},
    }})
    store = CredentialStore.from_docker_config(path)
    assert store.get("docker.io") == Credentials("hubuser", "hub:pass")
    assert store.get("ghcr.io") == Credentials(username="me", identity_token="refresh-123")
    assert store.get("quay.io") is None
    assert store.get("elsewhere.io") is None


def test_bad_auth_names_the_file_and_key(tmp_path):
    path = _config(tmp_path, {"auths": {"ghcr.io": {"auth": "!!notbase64"}}})
    with pytest.raises(InputError) as err:
        CredentialStore.from_docker_config(path).get("ghcr.io")
    assert path in str(err.value) and "auths.ghcr.io.auth" in str(err.value)


def test_unreadable_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="cannot be read as JSON"):
        CredentialStore.from_docker_config(path)


def test_missing_config_means_no_credentials(tmp_path):
    store = CredentialStore.from_docker_config(tmp_path / "absent.json")
    assert store.get("ghcr.io") is None


def test_default_path_follows_docker_config(tmp_path):
    _config(tmp_path, {"auths": {"ghcr.io": {"auth": _b64("a:b")}}})
    store = CredentialStore.from_docker_config(environ={"DOCKER_CONFIG": str(tmp_path)})
    assert store.get("ghcr.io") == Credentials("a", "b")


def test_creds_store_uses_the_helper_protocol(tmp_path, helper):
    runner = helper({("docker-credential-pass", "https://index.docker.io/v1/"):
                     {"ServerURL": "https://index.docker.io/v1/", "Username": "u",
                      "Secret": "p"}})
    store = CredentialStore.from_docker_config(_config(tmp_path, {"credsStore": "pass"}))
    assert store.get("docker.io") == Credentials("u", "p")
    assert store.get("docker.io") == Credentials("u", "p")  # cached: one helper call
    assert runner.calls == [(["docker-credential-pass", "get"], "https://index.docker.io/v1/")]
    # Not known to the helper: the protocol's "not found" means no credentials.
    assert store.get("ghcr.io") is None


def test_cred_helpers_win_over_creds_store_and_auths(tmp_path, helper):
    runner = helper({
        ("docker-credential-gh", "ghcr.io"): {"Username": "<token>", "Secret": "idtok"},
        ("docker-credential-desktop", "quay.io"): {"Username": "q", "Secret": "qs"},
    })
    path = _config(tmp_path, {"credsStore": "desktop", "credHelpers": {"ghcr.io": "gh"},
                              "auths": {"ghcr.io": {"auth": _b64("old:old")},
                                        "quay.io": {}}})
    store = CredentialStore.from_docker_config(path)
    assert store.get("ghcr.io") == Credentials(identity_token="idtok")
    assert store.get("quay.io") == Credentials("q", "qs")
    assert [argv[0] for argv, _ in runner.calls] == ["docker-credential-gh",
                                                     "docker-credential-desktop"]


def test_auths_used_when_creds_store_has_nothing(tmp_path, helper):
    helper({})
    path = _config(tmp_path, {"credsStore": "desktop",
                              "auths": {"ghcr.io": {"auth": _b64("a:b")}}})
    assert CredentialStore.from_docker_config(path).get("ghcr.io") == Credentials("a", "b")


def test_helper_failure_and_garbage(tmp_path, helper):
    class Failing(HelperRunner):
        def run(self, argv, **kw):  # type: ignore[override]
            return proc.Completed(tuple(argv), 3, "", "boom")

    proc.set_runner(Failing({}))
    path = _config(tmp_path, {"credHelpers": {"ghcr.io": "gh"}})
    with pytest.raises(RegistryError, match="docker-credential-gh failed for ghcr.io"):
        CredentialStore.from_docker_config(path).get("ghcr.io")
    helper({("docker-credential-gh", "ghcr.io"): "secret-looking garbage"})
    with pytest.raises(RegistryError) as err:
        CredentialStore.from_docker_config(path).get("ghcr.io")
    assert "garbage" not in str(err.value)


def test_with_static_overrides_config(tmp_path):
    path = _config(tmp_path, {"auths": {"ghcr.io": {"auth": _b64("a:b")}}})
    store = CredentialStore.from_docker_config(path).with_static("ghcr.io",
                                                                 Credentials("bot", "tok"))
    assert store.get("ghcr.io") == Credentials("bot", "tok")
