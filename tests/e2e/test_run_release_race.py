"""``ghbuild run`` writes release tags itself, after buildx's push, against the real
engine and registry: buildx never gets a release tag, the registry has it at the pushed
digest afterwards, and one another writer puts there while the build runs is refused
(exit 3) and kept, not overwritten. The unit cases are tests/commands/
test_run_release_promote.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.e2e import run_support
from tests.e2e.run_support import (
    ACCEPT,
    REPO_PAYLOAD,
    RecordingRunner,
    forget_images_fixture,
    hello_env,
    hello_key,
    main_push_env,
    manifest,
    new_sha,
    run_ghbuild,
    workspace,
)
from tests.e2e.test_run_bake import _monorepo, _registry_tag_race

pytestmark = pytest.mark.e2e

TAGS = "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}"

_forget_images = forget_images_fixture("", "/monorepo-api", "/monorepo-web")


class RacingRunner(RecordingRunner):
    """The recording runner; when a ``buildx build`` has pushed, ``then`` runs: after
    buildx, before ghbuild's own promotion of the release tags."""

    def __init__(self, then: Callable[[], None]) -> None:
        super().__init__()
        self.then = then

    def stream(self, argv, *, env=None, cwd=None, on_line=None):  # type: ignore[override]
        done = super().stream(argv, env=env, cwd=cwd, on_line=on_line)
        if list(argv[:3]) == ["docker", "buildx", "build"] and "--push" in argv \
                and done.returncode == 0:
            self.then()
        return done


def _env(tmp_path: Path, image: str, sha: str, **inputs: str) -> dict[str, str]:
    env = {**hello_env(tmp_path, image, sha, "refs/tags/v1.2.3", {"repository": REPO_PAYLOAD}),
           "INPUT_TAGS": TAGS}
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def _build_tags(result: run_support.RunResult) -> list[str]:
    (build,) = result.calls.commands("docker", "buildx", "build")
    return [build.argv[i + 1] for i, arg in enumerate(build.argv) if arg == "--tag"]


def _other_writer(registry: str, repo: str, tag: str, seen: dict[str, str]) -> Callable[[], None]:
    """Another job's release: the manifest buildx just pushed under ``latest`` with an
    annotation of its own (so another digest whose blobs are there), PUT to ``tag``."""
    def write() -> None:
        got = requests.get(f"http://{registry}/v2/{repo}/manifests/latest",
                           headers={"Accept": ACCEPT}, timeout=10)
        got.raise_for_status()
        doc = json.loads(got.content)
        doc.setdefault("annotations", {})["org.example.writer"] = "another job"
        body = json.dumps(doc).encode()
        put = requests.put(f"http://{registry}/v2/{repo}/manifests/{tag}", data=body,
                           headers={"Content-Type": got.headers["Content-Type"]}, timeout=10)
        assert put.status_code == 201, put.text
        seen["pushed"] = got.headers["Docker-Content-Digest"]
        seen["other"] = put.headers["Docker-Content-Digest"]
    return write


def test_a_tag_push_gives_buildx_no_release_tag_and_promotes_it(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    sha = new_sha()
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env,
                      _env(tmp_path, image, sha))
    assert got.code == 0, got.stderr[-4000:]
    tags = _build_tags(got)
    assert not any(tag.endswith(":1.2.3") for tag in tags)
    assert sorted(tags) == sorted([f"{image}:1.2", f"{image}:latest",
                                   f"{image}:ghbuild-key-{hello_key(sha)}"])
    digest = got.outputs["digest"]
    assert digest.startswith("sha256:")
    for tag in ("1.2.3", "1.2", "latest"):
        assert manifest(registry, unique_repo, tag)[0] == digest
    assert f"{image}:1.2.3: created at {digest}" in got.stderr
    assert got.outputs["tags"].splitlines() == [f"{image}:1.2.3", f"{image}:1.2",
                                                f"{image}:latest"]
    assert json.loads(got.outputs["metadata"])["tags"] == got.outputs["tags"].splitlines()
    assert f"`{image}:1.2.3`" in got.summary


def test_a_release_tag_another_writer_puts_during_the_build_is_refused_and_kept(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    ws = workspace(tmp_path)
    seen: dict[str, str] = {}
    racing = RacingRunner(_other_writer(registry, unique_repo, "1.2.3", seen))
    monkeypatch.setattr(run_support, "RecordingRunner", lambda: racing)

    raced = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                        _env(tmp_path, image, new_sha()))
    assert raced.code == 3, raced.stderr[-4000:]
    pushed, other = seen["pushed"], seen["other"]
    assert pushed != other
    assert not any(tag.endswith(":1.2.3") for tag in _build_tags(raced))
    (error,) = [line for line in raced.stderr.splitlines() if line.startswith("::error")]
    assert f"{image}:1.2.3 is {other}, would become {pushed}" in error
    assert "written by another job during the build" in error
    assert f"the build {pushed} was pushed and tagged {image}:1.2, {image}:latest" in error
    assert error.split("; not tagged: ", 1)[1].startswith(f"{image}:1.2.3 ")
    # the other writer's release stays; the build's other tags stay as buildx pushed them
    assert manifest(registry, unique_repo, "1.2.3")[0] == other
    assert manifest(registry, unique_repo, "1.2")[0] == pushed
    assert manifest(registry, unique_repo, "latest")[0] == pushed
    assert raced.outputs == {}

    # The same race with allow-tag-move: true: the promotion moves the tag, as asked.
    seen.clear()
    racing.calls.clear()
    moved = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                        _env(tmp_path, image, new_sha(), allow_tag_move="true"))
    assert moved.code == 0, moved.stderr[-4000:]
    assert f"{image}:1.2.3: moved from {seen['other']} to {moved.outputs['digest']}" in \
        moved.stderr
    assert manifest(registry, unique_repo, "1.2.3")[0] == moved.outputs["digest"] == \
        seen["pushed"]


def test_bake_gives_buildx_no_release_tag_and_promotes_each_image(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo):
    ws = _monorepo(tmp_path, f"{registry}/{unique_repo}")
    env = {**main_push_env(tmp_path), "GITHUB_REF": "refs/tags/v2.0.0",
           "SOURCE_DATE_EPOCH": "1700000000", "INPUT_GITHUB_TOKEN": "",
           "INPUT_NETWORK": "", "INPUT_BAKE": "true"}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    if got.code != 0 and _registry_tag_race(got.stderr):
        # the local registry's known race under bake's concurrent pushes (test_run_bake.py)
        env["GITHUB_SHA"] = new_sha()
        got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 0, got.stderr[-4000:]
    assert len(got.calls.commands("docker", "buildx", "bake")) == 1
    images = json.loads(got.outputs["metadata"])["images"]
    releases = {"monorepo-api": "2.0.0", "monorepo-web": "2.0.0-web"}
    for doc in images:
        name = doc["image"].rsplit("/", 1)[1]
        release = releases[name]
        # what bake pushed, in its own metadata file: the moving tags and the key tag
        pushed = doc["buildx"]["image.name"].split(",")
        assert f"{doc['image']}:{release}" not in pushed
        assert any(":ghbuild-key-" in tag for tag in pushed)
        assert f"{doc['image']}:{release}" in doc["tags"]
        assert manifest(registry, f"{unique_repo}/{name}", release)[0] == doc["digest"]
        assert f"{doc['image']}:{release}: created at {doc['digest']}" in got.stderr
