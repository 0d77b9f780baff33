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


def _inspect(args, env, stdin=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "ghbuild", "inspect", *args],
                          capture_output=True, text=True, env=env, input=stdin, timeout=120)


def _env(engine_env, docker_config_dir) -> dict[str, str]:
    import os

    env = {**os.environ, **engine_env, "DOCKER_CONFIG": str(docker_config_dir)}
    env.pop("GITHUB_ACTIONS", None)
    return env


def test_inspect_with_password_stdin(htpasswd_registry, engine_env, tmp_path):  # noqa: F811
    import json

    addr = htpasswd_registry.addr
    alice = _client({addr: Credentials("alice", USERS["alice"])})
    digest = seed_image(alice, ImageRef.parse(f"{addr}/team/cli"), "v1")
    env = _env(engine_env, tmp_path / "empty-config")
    ok = _inspect([f"{addr}/team/cli:v1", "--username", "alice", "--password-stdin"], env,
                  stdin=USERS["alice"] + "\n")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["digest"] == digest
    denied = _inspect([f"{addr}/team/cli:v1"], env)
    assert denied.returncode == 2 and json.loads(denied.stdout)["reason"].startswith("access:")
    assert USERS["alice"] not in ok.stdout + ok.stderr + denied.stdout + denied.stderr


def test_docker_config_auths_and_credential_helper(htpasswd_registry, token_registry,  # noqa: F811
                                                   engine_env, tmp_path):
    """Local dry runs read the user's docker config: base64 auths and a real helper."""
    import base64
    import json
    import os

    basic_addr, token_addr = htpasswd_registry.addr, token_registry.addr
    seed_image(_client({basic_addr: Credentials("alice", USERS["alice"])}),
               ImageRef.parse(f"{basic_addr}/team/cfg"), "v1")
    seed_image(_client({token_addr: Credentials("ci-bot", USERS["ci-bot"])}),
               ImageRef.parse(f"{token_addr}/private/cfg"), "v1")

    # A credential helper is any program named docker-credential-<x> on PATH.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "helper.log"
    helper = bin_dir / "docker-credential-ghtest"
    helper.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"server = sys.stdin.read().strip()\nopen({str(log)!r}, 'a').write(' '.join(sys.argv[1:])"
        " + ' ' + server + '\\n')\n"
        f"if sys.argv[1:] == ['get'] and server == {token_addr!r}:\n"
        f"    print(json.dumps({{'ServerURL': server, 'Username': 'ci-bot', "
        f"'Secret': {USERS['ci-bot']!r}}}))\n"
        "else:\n    print('credentials not found in native keychain'); sys.exit(1)\n")
    helper.chmod(0o755)
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    (config_dir / "config.json").write_text(json.dumps({
        "auths": {f"http://{basic_addr}": {"auth": auth}},
        "credHelpers": {token_addr: "ghtest"}}))
    env = _env(engine_env, config_dir)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"

    basic = _inspect([f"{basic_addr}/team/cfg:v1"], env)
    assert basic.returncode == 0, basic.stdout + basic.stderr
    token = _inspect([f"{token_addr}/private/cfg:v1"], env)
    assert token.returncode == 0, token.stdout + token.stderr
    assert log.read_text() == f"get {token_addr}\n"


def test_cross_repository_promotion_with_token_auth(token_registry):  # noqa: F811
    """Mounting needs pull on the source and push on the target in one token."""
    addr = token_registry.addr
    alice = _client({addr: Credentials("alice", USERS["alice"])})
    source = ImageRef.parse(f"{addr}/private/src")
    digest = seed_image(alice, source, "main")
    results = alice.promote(source.with_digest(digest),
                            [ImageRef.parse(f"{addr}/private/dst:1.0.0")])
    assert results[0].digest == digest
    assert alice.check(ImageRef.parse(f"{addr}/private/dst:1.0.0")).digest == digest
    scopes = [a for t in token_registry.tokens.issued for a in t["access"]]
    assert {"type": "repository", "name": "private/src", "actions": ["pull"]} in scopes
    assert any(a["name"] == "private/dst" and a["actions"] == ["pull", "push"] for a in scopes)


def test_ping_real_registries(htpasswd_registry, token_registry, registry):  # noqa: F811
    assert _client().ping(registry).ok
    basic = htpasswd_registry.addr
    anonymous = _client().ping(basic)
    assert (anonymous.ok, anonymous.auth) == (False, "basic")
    assert "wants credentials (HTTP 401" in anonymous.reason
    assert _client({basic: Credentials("alice", USERS["alice"])}).ping(basic).ok
    assert not _client({basic: Credentials("alice", "wrong")}).ping(basic).ok
    token = _client().ping(token_registry.addr)
    assert (token.ok, token.auth) == (True, "bearer")
    wrong = _client({token_registry.addr: Credentials("alice", "wrong")}).ping(
        token_registry.addr)
    assert not wrong.ok and "refused user 'alice'" in wrong.reason
