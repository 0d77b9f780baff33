"""One ``ghbuild run`` pushing one image to two registries, each with its own login from
input ``registry-auth``, against two real CNCF distribution registries with htpasswd
auth (different users) and the real engine, docker login and buildx.

A correct pair of logins: both registries end with the tags, at the same digest, read
back with each registry's own user. A wrong password for the second registry: docker
login fails before any build or promotion, so nothing is tagged on either registry (all
logins come first, and buildx pushes to both registries in one build). No password
appears in any captured output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from tests.e2e.registry_servers import LocalRegistry, _need_registry_binary, htpasswd_auth
from tests.e2e.run_support import (
    ACCEPT,
    REPO_PAYLOAD,
    forget_local_images,
    hello_env,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

ALICE = ("alice", "alice-pw-a81c47e2")
BOB = ("bob", "bob-pw-39d0f6b5")
WRONG = "bob-wrong-pw-5c2e"
REPO = "acme/hello"


@pytest.fixture()
def two_registries(tmp_path, engine_env):
    _need_registry_binary()
    env = {**os.environ, **engine_env}
    first = LocalRegistry(tmp_path / "reg-a", htpasswd_auth(tmp_path / "auth-a", dict([ALICE])),
                          env=env).start()
    try:
        second = LocalRegistry(tmp_path / "reg-b",
                               htpasswd_auth(tmp_path / "auth-b", dict([BOB])), env=env).start()
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()
    for reg in (first, second):
        forget_local_images(f"{reg.addr}/{REPO}", engine_env)


def registry_auth(first: LocalRegistry, second: LocalRegistry, second_password: str) -> str:
    return (f"- registry: {first.addr}\n  username: {ALICE[0]}\n  password: {ALICE[1]}\n"
            f"- registry: {second.addr}\n  username: {BOB[0]}\n"
            f"  password: '{second_password}'\n")


def tags(reg: LocalRegistry, user: tuple[str, str]) -> list[str]:
    resp = requests.get(f"http://{reg.addr}/v2/{REPO}/tags/list", auth=user, timeout=10)
    if resp.status_code == 404:
        return []
    resp.raise_for_status()
    return sorted(resp.json().get("tags") or [])


def digest(reg: LocalRegistry, user: tuple[str, str], tag: str) -> str:
    resp = requests.head(f"http://{reg.addr}/v2/{REPO}/manifests/{tag}", auth=user,
                         headers={"Accept": ACCEPT}, timeout=10)
    resp.raise_for_status()
    return resp.headers["Docker-Content-Digest"]


def shown(result) -> str:
    """Everything the run printed or wrote, but the runner's mask commands (which carry
    the values on purpose, to have the runner hide them)."""
    err = "\n".join(line for line in result.stderr.splitlines()
                    if not line.startswith("::add-mask::"))
    return "\n".join([err, result.stdout, result.summary, *result.outputs.values()])


def env_for(tmp_path: Path, first: LocalRegistry, second: LocalRegistry,
            second_password: str) -> dict[str, str]:
    images = f"{first.addr}/{REPO}\n{second.addr}/{REPO}"
    return {**hello_env(tmp_path, images, new_sha(), "refs/heads/main",
                        {"repository": REPO_PAYLOAD}),
            "INPUT_TAGS": "type=ref,event=branch",
            "INPUT_REGISTRY-AUTH": registry_auth(first, second, second_password)}


def test_one_run_pushes_to_two_registries_with_their_own_logins(
        monkeypatch, capsys, tmp_path, engine_env, two_registries, examples_ready):
    first, second = two_registries
    ws = workspace(tmp_path)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                      env_for(tmp_path, first, second, BOB[1]))
    assert got.code == 0, got.stderr

    # One login each, the user of that registry, the password on stdin only.
    logins = got.calls.commands("docker", "login")
    assert [(c.argv[3], c.argv[-1], c.stdin) for c in logins] == [
        (ALICE[0], first.addr, ALICE[1]), (BOB[0], second.addr, BOB[1])]
    assert all(pw not in " ".join(c.argv) for c in got.calls.calls for pw in (ALICE[1], BOB[1]))

    # Both registries hold the branch tag and the build key tag, at the pushed digest
    # (the registry cache is the first image's, so only there).
    key_tags = [t for t in tags(first, ALICE) if t.startswith("ghbuild-key-")]
    assert len(key_tags) == 1
    assert tags(first, ALICE) == sorted(["main", "buildcache", *key_tags])
    assert tags(second, BOB) == sorted(["main", *key_tags])
    pushed = got.outputs["digest"]
    assert pushed.startswith("sha256:")
    for reg, user in ((first, ALICE), (second, BOB)):
        assert digest(reg, user, "main") == pushed
        assert digest(reg, user, key_tags[0]) == pushed
    # Each registry refuses the other's user: each was pushed with its own login.
    assert requests.get(f"http://{second.addr}/v2/", auth=ALICE, timeout=10).status_code == 401
    # ghbuild's own client read both back after the push, each with its own credentials.
    assert f"verified: 4 tags resolve to {pushed}" in got.stderr

    for password in (ALICE[1], BOB[1]):
        assert password not in shown(got)
        assert f"::add-mask::{password}" in got.stderr
    assert list(got.runner_temp.iterdir()) == []  # the private docker config is gone


def test_a_wrong_second_password_stops_before_anything_is_pushed(
        monkeypatch, capsys, tmp_path, engine_env, two_registries, examples_ready):
    first, second = two_registries
    ws = workspace(tmp_path)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                      env_for(tmp_path, first, second, WRONG))
    assert got.code == 1
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, got.stderr
    assert errors[0].startswith(f"::error::docker login to {second.addr} failed (input "
                                "'registry-auth' entry 2 at line 4): ")
    # The first login worked, but every login happens before the build, and the one build
    # would push to both registries: nothing was built, so neither registry has a tag.
    logins = got.calls.commands("docker", "login")
    assert [c.argv[-1] for c in logins] == [first.addr, second.addr]
    assert got.calls.commands("docker", "buildx", "build") == []
    assert tags(first, ALICE) == [] and tags(second, BOB) == []
    for password in (ALICE[1], WRONG):
        assert password not in shown(got)
    assert list(got.runner_temp.iterdir()) == []
