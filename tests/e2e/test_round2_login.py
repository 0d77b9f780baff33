"""A registry-auth password written with a trailing newline escape (``"pw\\n"``, as a
secret pasted with its line end reads) against a real htpasswd registry: docker login
(which trims one ``\\n`` then ``\\r`` off stdin) and ghbuild's own client (check, read-back
after the push) use the same password, so the check is answered and the run verifies
what buildx pushed."""

from __future__ import annotations

import os

import pytest
import requests

from tests.e2e.registry_servers import LocalRegistry, _need_registry_binary, htpasswd_auth
from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_local_images,
    hello_env,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

USER, PASSWORD = "alice", "Pw2-CanaryXYZ987"
REPO = "acme/hello"


@pytest.fixture()
def auth_registry(tmp_path, engine_env):
    _need_registry_binary()
    reg = LocalRegistry(tmp_path / "reg", htpasswd_auth(tmp_path / "auth", {USER: PASSWORD}),
                        env={**os.environ, **engine_env}).start()
    yield reg
    reg.stop()
    forget_local_images(f"{reg.addr}/{REPO}", engine_env)


@pytest.mark.parametrize("written", ["\\n", "\\r\\n"])
def test_trailing_newline_password_logs_in_checks_and_verifies(
        monkeypatch, capsys, tmp_path, engine_env, auth_registry, examples_ready, written):
    reg = auth_registry
    auth = f'- registry: {reg.addr}\n  username: {USER}\n  password: "{PASSWORD}{written}"\n'
    env = {**hello_env(tmp_path, f"{reg.addr}/{REPO}", new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": "type=ref,event=branch", "INPUT_REGISTRY-AUTH": auth}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 0, got.stderr
    # the check was answered with this login (a 401 would make it unknown and warn)
    assert "no image for this build key yet" in got.stderr, got.stderr
    pushed = got.outputs["digest"]
    assert "verified: " in got.stderr and pushed in got.stderr
    resp = requests.get(f"http://{reg.addr}/v2/{REPO}/tags/list", auth=(USER, PASSWORD),
                        timeout=10)
    assert "main" in resp.json()["tags"]
    assert PASSWORD not in "\n".join(line for line in got.stderr.splitlines()
                                     if not line.startswith("::add-mask::"))


def test_a_login_url_registry_logs_in_to_its_host(
        monkeypatch, capsys, tmp_path, engine_env, auth_registry, examples_ready):
    # docker/login-action takes https://host:port/v2/; it is read as host:port, which is
    # also the config key buildx looks the push up under
    reg = auth_registry
    auth = f"- registry: https://{reg.addr}/v2/\n  username: {USER}\n  password: {PASSWORD}\n"
    env = {**hello_env(tmp_path, f"{reg.addr}/{REPO}", new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": "type=ref,event=branch", "INPUT_REGISTRY-AUTH": auth}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 0, got.stderr
    assert [c.argv[-1] for c in got.calls.commands("docker", "login")] == [reg.addr]
    assert "verified: " in got.stderr


def test_an_empty_registry_is_refused_before_any_login(
        monkeypatch, capsys, tmp_path, engine_env, auth_registry, examples_ready):
    reg = auth_registry
    auth = f"- registry: ''\n  username: {USER}\n  password: {PASSWORD}\n"
    env = {**hello_env(tmp_path, f"{reg.addr}/{REPO}", new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": "type=ref,event=branch", "INPUT_REGISTRY-AUTH": auth}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 2
    assert "'registry' is empty" in got.stderr
    assert got.calls.commands("docker", "login") == []
    assert got.calls.commands("docker", "buildx", "build") == []
