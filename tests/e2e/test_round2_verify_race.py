"""The read-back after a push, against the real registry, while the key tag is in the state
a concurrent push of the same tags leaves it in for a moment: at the attestation manifest
inside the pushed index (seen with two runs of one commit at once on this engine: moby
writes an index's manifests under its tag first). Here the test itself writes that state
between buildx's push and ghbuild's read-back, with the registry's own API."""

from __future__ import annotations

import threading

import pytest
import requests

from ghbuild.commands import run as run_cmd
from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    manifest,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()


def _put(registry: str, repo: str, tag: str, digest: str) -> None:
    """Point ``tag`` at the manifest ``digest``, as a push of it by that tag does."""
    resp = requests.get(f"http://{registry}/v2/{repo}/manifests/{digest}", timeout=10,
                        headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                           "application/vnd.oci.image.index.v1+json"})
    resp.raise_for_status()
    put = requests.put(f"http://{registry}/v2/{repo}/manifests/{tag}", data=resp.content,
                       headers={"Content-Type": resp.headers["Content-Type"]}, timeout=10)
    assert put.status_code == 201, put.text


def _racing(monkeypatch, registry: str, repo: str, restore_after: float | None) -> list[str]:
    """Before the read-back: the key tag to the attestation child; back to the index after
    ``restore_after`` seconds (None: never)."""
    seen: list[str] = []
    real = run_cmd._verify

    def verify(img, actions):
        key = run_cmd.key_ref(img).tag
        digest = img.outcome.digest
        _, index = manifest(registry, repo, digest)
        child = next(m["digest"] for m in index["manifests"]
                     if (m.get("annotations") or {}).get("vnd.docker.reference.type")
                     == "attestation-manifest")
        _put(registry, repo, key, child)
        seen.append(child)
        if restore_after is not None:
            threading.Timer(restore_after, _put, (registry, repo, key, digest)).start()
        real(img, actions)

    monkeypatch.setattr(run_cmd, "_verify", verify)
    return seen


def _env(tmp_path, registry, repo):
    return {**hello_env(tmp_path, f"{registry}/{repo}", new_sha(), "refs/heads/main",
                        {"repository": REPO_PAYLOAD}), "INPUT_TAGS": "type=ref,event=branch"}


def test_a_key_tag_at_the_attestation_child_for_a_moment_verifies(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    seen = _racing(monkeypatch, registry, unique_repo, restore_after=0.4)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env,
                      _env(tmp_path, registry, unique_repo))
    assert seen, got.stderr
    assert got.code == 0, got.stderr
    assert f"verified: 2 tags resolve to {got.outputs['digest']}" in got.stderr


def test_a_key_tag_left_at_the_child_is_reported_as_the_race(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    seen = _racing(monkeypatch, registry, unique_repo, restore_after=None)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env,
                      _env(tmp_path, registry, unique_repo))
    assert got.code == 1
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    (line,) = errors
    assert f"resolves to {seen[0]}, a manifest inside the pushed index, not to the pushed " \
           "digest sha256:" in line
    assert "another push to these tags ran at the same time" in line


def test_a_check_finding_the_key_tag_at_the_attestation_child_builds(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    # run 1 pushes; then the key tag is where a concurrent push leaves it for a moment
    env = _env(tmp_path, registry, unique_repo)
    ws = workspace(tmp_path)
    first = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert first.code == 0, first.stderr
    pushed = first.outputs["digest"]
    _, index = manifest(registry, unique_repo, pushed)
    child = next(m["digest"] for m in index["manifests"]
                 if (m.get("annotations") or {}).get("vnd.docker.reference.type")
                 == "attestation-manifest")
    key = next(line.split("(", 1)[1].split(" ", 1)[0] for line in first.stderr.splitlines()
               if line.startswith("build decision: build — no image for this build key"))
    _put(registry, unique_repo, key, child)
    # run 2 of the same commit must not promote the tags to the attestation manifest
    second = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert second.code == 0, second.stderr
    assert f"{child} is an attestation manifest, not an image" in second.stderr
    assert len(second.calls.commands("docker", "buildx", "build")) == 1
    main_digest, _ = manifest(registry, unique_repo, "main")
    assert main_digest != child
