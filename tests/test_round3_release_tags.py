"""Round 3 (H1): a tag that spells out the release of a git tag run is a release tag,
however it was made ({{major}}.{{minor}}.{{patch}} with a prefix, type=match, type=ref),
so the guard before the build refuses to move it and buildx is not given it."""

from __future__ import annotations

import pytest

from ghbuild.commands import run as run_cmd
from ghbuild.commands.run import names_release, release_version, spelled_release_tags
from ghbuild.registry import ImageRef


@pytest.mark.parametrize(("ref", "version"), [
    ("refs/tags/v7.7.7", "7.7.7"),
    ("refs/tags/7.7.7", "7.7.7"),
    ("refs/tags/v1.2.3-rc.1", "1.2.3-rc.1"),
    ("refs/tags/v1.2.3+build.5", "1.2.3-build.5"),
    ("refs/tags/1.2.3rc1", "1.2.3rc1"),
    ("refs/tags/v1.2.3.post1", "1.2.3.post1"),
    ("refs/tags/v7.7", ""),          # not a full release
    ("refs/tags/v7", ""),
    ("refs/tags/release", ""),
    ("refs/heads/7.7.7", ""),        # a branch, not a tag
    ("", ""),
])
def test_the_release_version_of_a_ref(ref, version):
    assert release_version(ref) == version


@pytest.mark.parametrize(("tag", "expected"), [
    ("7.7.7", True), ("v7.7.7", True), ("app-7.7.7", True), ("7.7.7-web", True),
    ("app-v7.7.7", True), ("app_7.7.7_x", True),
    ("7.7", False), ("7.7.70", False), ("17.7.7", False), ("7.7.7.1", False),
    ("x7.7.7", False), ("app7.7.7", False), ("main", False), ("", False),
])
def test_a_tag_names_the_release_only_as_a_whole_token(tag, expected):
    assert names_release(tag, "7.7.7") is expected


def test_no_version_names_nothing():
    assert not names_release("7.7.7", "")


def test_a_prerelease_is_a_whole_token_too():
    assert names_release("app-1.2.3-rc.1", "1.2.3-rc.1")
    assert not names_release("app-1.2.3-rc.10", "1.2.3-rc.1")
    assert not names_release("app-1.2.3", "1.2.3-rc.1")


def test_spelled_release_tags_are_full_refs_of_a_tag_run():
    tags = ["r/x:app-7.7.7", "r/x:app-7.7", "r/x:latest", "127.0.0.1:5000/x:7.7.7-web"]
    assert spelled_release_tags(tags, "refs/tags/v7.7.7") == [
        "r/x:app-7.7.7", "127.0.0.1:5000/x:7.7.7-web"]
    assert spelled_release_tags(tags, "refs/heads/main") == []


@pytest.mark.parametrize("rules", [
    "type=semver,pattern={{major}}.{{minor}}.{{patch}},prefix=app-",
    "type=semver,pattern=app-{{major}}.{{minor}}.{{patch}}",
    "type=match,pattern=v(.*),group=1,prefix=app-",
    "type=ref,event=tag,prefix=app-",
])
def test_compute_meta_holds_spelled_release_tags(rules, tmp_path):
    from ghbuild import context
    from ghbuild.gha import Actions

    ref = "refs/tags/v7.7.7"
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": ref, "GITHUB_SHA": "a" * 40,
           "GITHUB_REPOSITORY": "acme/widget", "INPUT_IMAGES": "127.0.0.1:5000/acme/x",
           "INPUT_TAGS": rules, "INPUT_FLAVOR": "latest=false",
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "s")}
    meta = run_cmd.compute_meta(context.from_env(env), env, Actions(env))
    (tag,) = meta.tags
    assert tag.rpartition(":")[2] in {"app-7.7.7", "app-v7.7.7"}
    refs = [ImageRef.parse(t) for t in meta.tags]
    # the one predicate: held back from buildx, guarded before the build, promoted after
    assert run_cmd.release_tags_of(meta, refs) == [tag]
    assert run_cmd.is_release_tag(meta, tag, refs[0])


def test_a_short_tag_of_a_release_run_stays_a_moving_tag(tmp_path):
    from ghbuild import context
    from ghbuild.gha import Actions

    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v7.7.7",
           "GITHUB_SHA": "a" * 40, "GITHUB_REPOSITORY": "acme/widget",
           "INPUT_IMAGES": "127.0.0.1:5000/acme/x", "INPUT_FLAVOR": "latest=false",
           "INPUT_TAGS": "type=semver,pattern={{major}}.{{minor}},prefix=app-",
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "s")}
    meta = run_cmd.compute_meta(context.from_env(env), env, Actions(env))
    refs = [ImageRef.parse(t) for t in meta.tags]
    assert meta.tags == ("127.0.0.1:5000/acme/x:app-7.7",)
    assert run_cmd.release_tags_of(meta, refs) == []
