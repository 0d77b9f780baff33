"""The fresh-user tester's payload (repository.description holding ``::warning::`` and
``::add-mask::`` lines) through a real ``ghbuild run`` with GITHUB_ACTIONS=true, a real
buildx build and push: the description reaches the image's label, and no line of the log
starts a workflow command with it."""

from __future__ import annotations

import pytest

from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    image_config,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

DESCRIPTION = "line1\n::warning::INJECTED\n::add-mask::main\nend ##[add-mask]main"

_forget_images = forget_images_fixture()


def test_payload_description_cannot_send_commands(monkeypatch, capsys, tmp_path, engine_env,
                                                  registry, unique_repo, examples_ready):
    ws = workspace(tmp_path)
    payload = {"repository": {**REPO_PAYLOAD, "description": DESCRIPTION}}
    env = {**hello_env(tmp_path, f"{registry}/{unique_repo}", new_sha(), "refs/heads/main",
                       payload), "INPUT_CACHE": "none"}
    result = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert result.code == 0, result.stderr
    labels = image_config(registry, unique_repo, "main")["config"]["Labels"]
    assert labels["org.opencontainers.image.description"] == DESCRIPTION
    lines = (result.stdout + result.stderr).splitlines()
    assert not any(ln.lstrip().startswith(("::warning::INJECTED", "::add-mask::main"))
                   for ln in lines), result.stderr
    assert [ln for ln in lines if "##[" in ln] == []
    assert any(ln.startswith("\\::warning::INJECTED") for ln in lines)   # shown, escaped
