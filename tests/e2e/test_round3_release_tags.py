"""Round 3 (H1), against the real engine and registry: a release tag spelled out with
{{major}}.{{minor}}.{{patch}} and a prefix is not given to buildx (it is promoted after the
push), and a re-tagged release that would move it is refused (exit 3), the tag left where
it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    manifest,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()

SPELLED = "type=semver,pattern={{major}}.{{minor}}.{{patch}},prefix=app-"


def _env(tmp_path: Path, image: str, sha: str, tags: str) -> dict[str, str]:
    return {**hello_env(tmp_path, image, sha, "refs/tags/v7.7.7", {"repository": REPO_PAYLOAD}),
            "INPUT_TAGS": tags, "INPUT_FLAVOR": "latest=false", "INPUT_CACHE": "none",
            "INPUT_PROVENANCE": "false"}


def test_a_spelled_out_release_tag_does_not_move(monkeypatch, capsys, tmp_path, engine_env,
                                                 registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    ws = workspace(tmp_path)

    first = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                        _env(tmp_path, image, new_sha(), SPELLED))
    assert first.code == 0, first.stderr
    (build,) = first.calls.commands("docker", "buildx", "build")
    assert f"{image}:app-7.7.7" not in build.argv     # held back, promoted after the push
    assert "promote release tags" in first.stderr
    d1 = manifest(registry, unique_repo, "app-7.7.7")[0]
    assert d1 == first.outputs["digest"]

    # the release re-tagged onto a new commit: refused before any build
    before = tags_of(registry, unique_repo)
    moved = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                        _env(tmp_path, image, new_sha(), SPELLED))
    assert moved.code == 3, moved.stderr
    (error,) = [line for line in moved.stderr.splitlines() if line.startswith("::error")]
    assert f"{image}:app-7.7.7 is {d1}" in error
    assert moved.calls.commands("docker", "buildx", "build") == []
    assert tags_of(registry, unique_repo) == before
    assert manifest(registry, unique_repo, "app-7.7.7")[0] == d1
