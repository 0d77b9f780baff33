"""Round 3 (L2), against real htpasswd registries on 127.0.0.1: a retag naming a second
registry that this run has no login for (no registry-auth entry, nothing in the docker
config) and that answers 401 stops before anything is copied or tagged, saying which
registry lacks a login and that a registry-auth entry for it is the fix."""

from __future__ import annotations

import pytest

from tests.e2e.run_support import new_sha, run_ghbuild, workspace
from tests.e2e.test_copy_registries import (  # noqa: F401  (fixture)
    REPO,
    _auth,
    raw_manifest,
    registries,
    run_env,
    tag_list,
)

pytestmark = pytest.mark.e2e


def test_a_registry_without_a_login_is_named_up_front(monkeypatch, capsys, tmp_path,
                                                       engine_env, registries,  # noqa: F811
                                                       examples_ready):
    a, b = registries["alice"], registries["bob"]
    ws = workspace(tmp_path)
    sha = new_sha()
    main = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                       run_env(tmp_path, sha, "refs/heads/main", (a, "alice")))
    assert main.code == 0, main.stderr
    before = tag_list(a.addr, REPO, _auth(a, "alice"))

    # the tag push names b too, with a login for a only
    env = run_env(tmp_path, sha, "refs/tags/v1.4.0", (a, "alice"))
    env["INPUT_IMAGES"] = f"{a.addr}/{REPO}\n{b.addr}/{REPO}"
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 1, got.stderr
    (error,) = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert f"this run has no login for registry {b.addr}" in error
    assert f"add a registry-auth entry for {b.addr}" in error
    assert "copying" not in got.stderr and "copied" not in got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []
    assert tag_list(a.addr, REPO, _auth(a, "alice")) == before        # nothing written
    assert tag_list(b.addr, REPO, _auth(b, "bob")) == []
    assert raw_manifest(a.addr, REPO, "main", _auth(a, "alice"))[0] == main.outputs["digest"]

    # no release tag to look up first (a second push to main): the placement on b says it
    env = run_env(tmp_path, sha, "refs/heads/main", (a, "alice"))
    env["INPUT_IMAGES"] = f"{a.addr}/{REPO}\n{b.addr}/{REPO}"
    again = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert again.code == 1, again.stderr
    (error,) = [line for line in again.stderr.splitlines() if line.startswith("::error")]
    assert f"registry {b.addr}: this run has no login for it" in error
    assert "nothing was copied or tagged on any registry" in error
    assert f"add a registry-auth entry for {b.addr}" in error
    assert "copying" not in again.stderr
    assert again.calls.commands("docker", "buildx", "build") == []
    assert tag_list(a.addr, REPO, _auth(a, "alice")) == before
    assert tag_list(b.addr, REPO, _auth(b, "bob")) == []
