"""Round 3 LOWs against the real buildx (0.13.1, docker driver): it refuses an add-host
with an IPv6 zone (so ghbuild's check refuses it before any login), and it builds with a
ulimit written with + signs (so ghbuild's check lets it through)."""

from __future__ import annotations

import os
import subprocess

import pytest

from ghbuild.build import check_add_host
from ghbuild.errors import InputError
from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()


def test_buildx_refuses_an_ipv6_zone_as_the_check_does(tmp_path, engine_env, examples_ready):
    ws = workspace(tmp_path)
    host = "v6host=fe80::1%eth0"
    got = subprocess.run(["docker", "buildx", "build", "--add-host", host, "--network", "host",
                          "examples/hello"], cwd=ws, env={**os.environ, **engine_env},
                         capture_output=True, text=True, timeout=120, check=False)
    assert got.returncode != 0 and "invalid" in got.stderr.lower(), got.stderr
    with pytest.raises(InputError, match="IPv6 zone"):
        check_add_host(host)


def test_a_ulimit_with_plus_signs_builds(monkeypatch, capsys, tmp_path, engine_env, registry,
                                         unique_repo, examples_ready):
    env = {**hello_env(tmp_path, f"{registry}/{unique_repo}", new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           "INPUT_CACHE": "none", "INPUT_PROVENANCE": "false", "INPUT_PUSH": "false",
           "INPUT_ULIMIT": "nofile=+1024:+2048"}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 0, got.stderr
    (build,) = got.calls.commands("docker", "buildx", "build")
    assert "nofile=+1024:+2048" in build.argv
