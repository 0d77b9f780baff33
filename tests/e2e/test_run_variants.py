""""Build once" never reuses or overwrites the wrong image, against the real engine and
registry: a build variant of one commit (``target`` + ``flavor: suffix=-debug``) is
built and keyed on its own; release tags that are not plain semver (``app-5.0.0``,
``2.0.0rc1``) are not moved by a build or a retag from another commit; the content key
sees a named build context (and its ``.dockerignore``); a named context outside the
workspace is refused. Unit tests of the same: tests/commands/test_run_variants.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ghbuild import buildkey
from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    hello_key,
    manifest,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()


def _runner(monkeypatch, capsys, tmp_path, ws, engine_env, image, tags):
    def run(sha: str, ref: str, **inputs: str):
        env = {**hello_env(tmp_path, image, sha, ref, {"repository": REPO_PAYLOAD}),
               "INPUT_TAGS": tags, "INPUT_CACHE": "none", "INPUT_PROVENANCE": "false"}
        env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
        return run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    return run


def _builds(result) -> int:
    return len(result.calls.commands("docker", "buildx", "build"))


def test_a_variant_of_the_same_commit_is_built_and_keyed_on_its_own(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    run = _runner(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, image,
                  "type=ref,event=branch")
    sha = new_sha()
    plain = run(sha, "refs/heads/main")
    assert plain.code == 0, plain.stderr
    d1 = manifest(registry, unique_repo, "main")[0]
    plain_tag = buildkey.key_tag_name(hello_key(sha))
    assert plain_tag in tags_of(registry, unique_repo)

    # The same commit, the builder stage as a -debug variant: the plain key tag is in the
    # registry, but it is not this build's, so this must build (not retag d1).
    debug = run(sha, "refs/heads/main", target="builder", flavor="suffix=-debug")
    assert debug.code == 0, debug.stderr
    assert _builds(debug) == 1 and debug.outputs["action"] == "build"
    d2 = manifest(registry, unique_repo, "main-debug")[0]
    assert d2 == debug.outputs["digest"] != d1
    variant_tag = buildkey.key_tag_name(hello_key(sha, target="builder"))
    assert manifest(registry, unique_repo, variant_tag)[0] == d2
    assert manifest(registry, unique_repo, plain_tag)[0] == d1
    assert manifest(registry, unique_repo, "main")[0] == d1

    # The variant again: now its own key is found, so no build.
    again = run(sha, "refs/heads/main", target="builder", flavor="suffix=-debug")
    assert again.code == 0, again.stderr
    assert _builds(again) == 0 and again.outputs["digest"] == d2


def test_two_contexts_of_one_commit_into_one_image_are_two_builds(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    # One commit, one image name, two sub-directories: before the context was part of the
    # key, the second run found the first one's key tag and retagged the wrong image.
    image = f"{registry}/{unique_repo}"
    ws = workspace(tmp_path)
    shutil.copytree(ws / "examples" / "hello", ws / "examples" / "other")
    (ws / "examples" / "other" / "src" / "hello.sh.in").write_text("#!/bin/sh\necho other\n")
    run = _runner(monkeypatch, capsys, tmp_path, ws, engine_env, image,
                  "type=ref,event=branch")
    sha = new_sha()
    first = run(sha, "refs/heads/main")
    assert first.code == 0, first.stderr
    d1 = first.outputs["digest"]
    other = run(sha, "refs/heads/main", context="./examples/other/")
    assert other.code == 0, other.stderr
    assert _builds(other) == 1 and other.outputs["action"] == "build"
    d2 = other.outputs["digest"]
    assert d2 != d1 and manifest(registry, unique_repo, "main")[0] == d2
    other_tag = buildkey.key_tag_name(buildkey.revision_key(
        sha, buildkey.BuildSettings(context="examples/other")))
    assert manifest(registry, unique_repo, other_tag)[0] == d2
    assert manifest(registry, unique_repo, buildkey.key_tag_name(hello_key(sha)))[0] == d1

    # The first context again, spelled another way: its own key is found, no build.
    again = run(sha, "refs/heads/main", context="examples/hello/")
    assert again.code == 0, again.stderr
    assert _builds(again) == 0 and again.outputs["action"] == "retag"
    assert again.outputs["digest"] == d1


def test_no_cache_builds_although_the_key_tag_is_there(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    run = _runner(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, image,
                  "type=ref,event=branch")
    sha = new_sha()
    first = run(sha, "refs/heads/main")
    assert first.code == 0, first.stderr
    key_tag = buildkey.key_tag_name(hello_key(sha))
    assert key_tag in tags_of(registry, unique_repo)

    fresh = run(sha, "refs/heads/main", no_cache="true")
    assert fresh.code == 0, fresh.stderr
    (build,) = fresh.calls.commands("docker", "buildx", "build")
    assert "--no-cache" in build.argv and fresh.outputs["action"] == "build"
    assert "registry check: off (no-cache is true: a fresh build was asked for" in fresh.stderr
    # The fresh image now holds the key tag (the pinned epoch may make it the same digest).
    assert manifest(registry, unique_repo, key_tag)[0] == fresh.outputs["digest"]
    assert manifest(registry, unique_repo, "main")[0] == fresh.outputs["digest"]


@pytest.mark.parametrize("tags, flavor, ref, release", [
    ("type=ref,event=branch\ntype=semver,pattern={{version}}", "prefix=app-",
     "refs/tags/v5.0.0", "app-5.0.0"),
    ("type=ref,event=branch\ntype=pep440,pattern={{version}}", "", "refs/tags/2.0.0rc1",
     "2.0.0rc1"),
], ids=["prefix", "pep440"])
def test_a_release_tag_that_is_not_plain_semver_does_not_move(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready,
        tags, flavor, ref, release):
    image = f"{registry}/{unique_repo}"
    run = _runner(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, image, tags)
    extra = {"flavor": flavor} if flavor else {}
    first = run(new_sha(), ref, **extra)
    assert first.code == 0, first.stderr
    d1 = manifest(registry, unique_repo, release)[0]

    # The same release tag from another commit: a build would overwrite it; refused first.
    before = tags_of(registry, unique_repo)
    moved = run(new_sha(), ref, **extra)
    assert moved.code == 3, moved.stderr
    (error,) = [line for line in moved.stderr.splitlines() if line.startswith("::error")]
    assert f"{image}:{release} is {d1}" in error
    assert _builds(moved) == 0 and tags_of(registry, unique_repo) == before

    # A commit built on main, then given the release tag: the retag would move it; refused.
    other = new_sha()
    main = run(other, "refs/heads/main", **extra)
    assert main.code == 0, main.stderr
    d2 = main.outputs["digest"]
    retag = run(other, ref, **extra)
    assert retag.code == 3, retag.stderr
    (error,) = [line for line in retag.stderr.splitlines() if line.startswith("::error")]
    assert f"refusing to promote {d2}" in error and f"{image}:{release} is {d1}" in error
    assert _builds(retag) == 0
    assert manifest(registry, unique_repo, release)[0] == d1


def _named_context_ws(tmp_path: Path) -> Path:
    ws = workspace(tmp_path)
    app = ws / "app"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM scratch\nCOPY --from=extra / /extra/\n")
    extra = ws / "extra"
    extra.mkdir()
    (extra / "data.txt").write_text("one\n")
    (extra / ".dockerignore").write_text("*.log\n")
    return ws


def test_the_content_key_sees_a_named_context_and_its_dockerignore(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo):
    image = f"{registry}/{unique_repo}"
    ws = _named_context_ws(tmp_path)
    run = _runner(monkeypatch, capsys, tmp_path, ws, engine_env, image,
                  "type=ref,event=branch")
    inputs = {"context": "app", "build_key": "content", "build_contexts": "extra=extra"}
    first = run(new_sha(), "refs/heads/main", **inputs)
    assert first.code == 0, first.stderr
    d1 = first.outputs["digest"]

    # A file the context's .dockerignore leaves out: BuildKit would not send it, and the
    # key stays, so a new commit reuses d1.
    (ws / "extra" / "noise.log").write_text("noise\n")
    same = run(new_sha(), "refs/heads/main", **inputs)
    assert same.code == 0, same.stderr
    assert _builds(same) == 0 and same.outputs["digest"] == d1

    # A file that is sent: a new key, a build, a new image.
    (ws / "extra" / "data.txt").write_text("two\n")
    changed = run(new_sha(), "refs/heads/main", **inputs)
    assert changed.code == 0, changed.stderr
    assert _builds(changed) == 1 and changed.outputs["digest"] != d1
    assert manifest(registry, unique_repo, "main")[0] == changed.outputs["digest"]


def test_a_named_context_outside_the_workspace_is_refused(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo):
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = _named_context_ws(tmp_path)
    run = _runner(monkeypatch, capsys, tmp_path, ws, engine_env, f"{registry}/{unique_repo}",
                  "type=ref,event=branch")
    got = run(new_sha(), "refs/heads/main", context="app", build_contexts=f"extra={outside}")
    assert got.code == 2, got.stderr
    (error,) = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert "input 'build-contexts' line 1" in error and "outside the workspace" in error
    assert got.calls.calls == [] and tags_of(registry, unique_repo) == []
