"""``ghbuild run`` on examples/hello against the real engine and registry: release tags
do not move, a retag reports the labels the image really carries, ``pushed`` means a
tag was written, platforms come from the registry, and the cache is exported on this
engine (docker driver with the containerd image store).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    image_config,
    manifest,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

TAGS = "type=ref,event=branch\ntype=semver,pattern={{version}}"


_forget_images = forget_images_fixture()


def _env(tmp_path: Path, image: str, sha: str, ref: str, **inputs: str) -> dict[str, str]:
    env = {**hello_env(tmp_path, image, sha, ref, {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": TAGS}
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def test_release_tag_lifecycle(monkeypatch, capsys, tmp_path, engine_env, registry,
                               unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    ws = workspace(tmp_path)
    first = new_sha()

    def run(sha: str, ref: str, **inputs: str):
        return run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                           _env(tmp_path, image, sha, ref, **inputs))

    # 1. push to main: built, cache exported (containerd store), platforms from the registry
    main = run(first, "refs/heads/main")
    assert main.code == 0, main.stderr
    (build,) = main.calls.commands("docker", "buildx", "build")
    assert "--cache-to" in build.argv and "buildcache" in tags_of(registry, unique_repo)
    assert main.calls.commands("docker", "info")       # the store was asked, and allowed it
    assert "cache export dropped" not in main.stderr
    assert json.loads(main.outputs["metadata"])["platforms"] == ["linux/amd64"]
    assert "| Platforms | linux/amd64 |" in main.summary
    d1 = manifest(registry, unique_repo, "main")[0]

    # 2. the same commit tagged v1.0.0: a retag; its labels are the image's (version=main)
    release = run(first, "refs/tags/v1.0.0")
    assert release.code == 0, release.stderr
    assert release.outputs["action"] == "retag" and release.outputs["pushed"] == "true"
    assert manifest(registry, unique_repo, "1.0.0")[0] == d1
    carried = image_config(registry, unique_repo, "1.0.0")["config"]["Labels"]
    assert carried["org.opencontainers.image.version"] == "main"
    assert release.outputs["version"] == "1.0.0"
    assert release.outputs["labels"].splitlines() == [f"{k}={v}"
                                                      for k, v in sorted(carried.items())]
    meta = json.loads(release.outputs["metadata"])
    assert meta["labels-source"] == "image"
    assert "org.opencontainers.image.version=1.0.0" in meta["computed-labels"]
    assert "keeps the labels and annotations of its first build" in release.stderr
    assert "| Labels |" in release.summary

    # 3. the same again: every tag is already there, nothing written, pushed is false
    again = run(first, "refs/tags/v1.0.0")
    assert again.code == 0, again.stderr
    assert (again.outputs["action"], again.outputs["pushed"]) == ("retag", "false")
    assert "| Push | **no**: nothing to write, every tag already names the digest" in \
        again.summary

    # 4. v1.0.0 pushed again on a new commit: refused before any build or login
    before = tags_of(registry, unique_repo)
    moved = run(new_sha(), "refs/tags/v1.0.0", username="ci-bot", password="e2e-pw-guard")
    assert moved.code == 3, moved.stderr
    errors = [line for line in moved.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and f"{image}:1.0.0 is {d1}" in errors[0]
    assert moved.calls.commands("docker", "buildx", "build") == []
    assert moved.calls.commands("docker", "login") == []
    assert tags_of(registry, unique_repo) == before
    assert manifest(registry, unique_repo, "1.0.0")[0] == d1

    # 5. with allow-tag-move the build runs and moves the tag, as asked
    allowed = run(new_sha(), "refs/tags/v1.0.0", allow_tag_move="true")
    assert allowed.code == 0, allowed.stderr
    assert len(allowed.calls.commands("docker", "buildx", "build")) == 1
    d2 = manifest(registry, unique_repo, "1.0.0")[0]
    assert d2 == allowed.outputs["digest"] != d1

    # 6. the first commit's v1.0.0 again: a retag of d1 would move 1.0.0 back; refused,
    # naming both digests, before anything is written
    back = run(first, "refs/tags/v1.0.0", allow_tag_move="false")  # step 5 set it
    assert back.code == 3, back.stderr
    (error,) = [line for line in back.stderr.splitlines() if line.startswith("::error")]
    assert f"refusing to promote {d1}" in error and f"{image}:1.0.0 is {d2}" in error
    assert manifest(registry, unique_repo, "1.0.0")[0] == d2


def test_an_unreachable_registry_says_up_front_that_the_push_will_likely_fail(
        monkeypatch, capsys, tmp_path, engine_env, examples_ready):
    # Nothing listens on 127.0.0.1:9 (discard): the check cannot reach the registry.
    image = "127.0.0.1:9/e2e/unreachable"
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env,
                      _env(tmp_path, image, new_sha(), "refs/heads/main", cache="none",
                           provenance="false"))
    assert got.code == 1, got.stderr
    lines = got.stderr.splitlines()
    warning = next(i for i, line in enumerate(lines) if "will likely fail" in line)
    assert lines[warning].startswith("::warning::the registry cannot be reached (cannot reach "
                                     "registry 127.0.0.1:9")
    assert warning < lines.index("::group::docker buildx build")
    assert any("build decision: build — the registry check was inconclusive (cannot reach "
               "registry 127.0.0.1:9" in line for line in lines)
    assert len(got.calls.commands("docker", "buildx", "build")) == 1
