"""Bad input the real engine is asked about, or would have baked in: a builder buildx does
not have (refused from its definite answer, before any login or build), and a token as a
build arg value (refused before buildx; nothing pushed, the token never printed)."""

from __future__ import annotations

import pytest

from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()
TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"


def _env(tmp_path, host, repo, **inputs):
    env = {**hello_env(tmp_path, f"{host}/{repo}", new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": "type=ref,event=branch"}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def test_a_builder_that_does_not_exist_is_refused_before_login(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    env = _env(tmp_path, registry, unique_repo, builder="nosuchbuilder-r2",
               registry=registry, username="u", password="pw-never-used-7")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 2, got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert errors == ["::error::input 'builder': no builder 'nosuchbuilder-r2' (docker buildx "
                      "ls lists the builders; docker/setup-buildx-action creates one)"]
    # buildx itself gave the answer
    inspects = got.calls.commands("docker", "buildx", "inspect")
    assert inspects and inspects[0].argv[-1] == "nosuchbuilder-r2"
    assert got.calls.commands("docker", "login") == []
    assert got.calls.commands("docker", "buildx", "build") == []
    assert tags_of(registry, unique_repo) == []


def test_the_existing_builder_by_name_builds(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    env = _env(tmp_path, registry, unique_repo, builder="default")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 0, got.stderr
    assert "main" in tags_of(registry, unique_repo)


def test_a_token_build_arg_is_refused_and_nothing_is_pushed(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    env = _env(tmp_path, registry, unique_repo, **{"build-args": f"X={TOKEN}"})
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 2, got.stderr
    assert "input 'build-args' line 1: the value of build arg 'X' looks like a credential " \
           "(a GitHub token)" in got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []
    shown = "\n".join(line for line in got.stderr.splitlines()
                      if not line.startswith("::add-mask::"))
    assert TOKEN not in shown + got.stdout
    assert tags_of(registry, unique_repo) == []
