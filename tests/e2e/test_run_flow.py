"""``ghbuild run`` on examples/hello against the real engine and registry on 127.0.0.1.

One commit's life: a push to main builds and pushes (tags, OCI labels, digest output
equal to the registry's); a pull request builds with no login and pushes nothing;
the same commit tagged v1.2.3 runs no build and points the semver tags at the first
digest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghbuild import buildkey
from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    hello_key,
    image_config,
    image_manifests,
    manifest,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()


def _env(tmp_path: Path, image: str, sha: str, event: str, ref: str, payload: dict,
         **inputs: str) -> dict[str, str]:
    env = {**hello_env(tmp_path, image, sha, ref, payload, event),
           "INPUT_USERNAME": "ci-bot", "INPUT_PASSWORD": "e2e-password-not-for-logs"}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


TAG_RULES = "type=ref,event=branch\ntype=ref,event=pr\ntype=semver,pattern={{version}}\n" \
            "type=semver,pattern={{major}}.{{minor}}\ntype=sha"


def test_push_then_pr_then_release_tag(monkeypatch, capsys, tmp_path, engine_env, registry,
                                       unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    ws = workspace(tmp_path)
    sha = new_sha()
    key_tag = buildkey.key_tag_name(hello_key(sha))

    # 1. push to main: build, login, push, verify.
    push = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, _env(
        tmp_path, image, sha, "push", "refs/heads/main", {"repository": REPO_PAYLOAD},
        tags=TAG_RULES))
    assert push.code == 0, push.stderr
    assert tags_of(registry, unique_repo) == sorted(
        ["main", f"sha-{sha[:7]}", key_tag, "buildcache"])
    registry_digest, top = manifest(registry, unique_repo, "main")
    # The build key is recorded on the pushed index, the OCI annotations on the image.
    assert top["annotations"]["io.ghbuild.build-key"] == hello_key(sha)
    (platform_manifest,) = image_manifests(registry, unique_repo, "main")
    assert platform_manifest["annotations"]["org.opencontainers.image.revision"] == sha
    assert push.outputs["digest"] == registry_digest
    assert push.outputs["image"] == f"{image}@{registry_digest}"
    assert push.outputs["pushed"] == "true" and push.outputs["action"] == "build"
    labels = image_config(registry, unique_repo, "main")["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == sha
    assert labels["org.opencontainers.image.source"] == "https://github.com/Acme/Widget"
    assert "org.opencontainers.image.created" in labels
    # The login happened once, with the password on stdin only, and its config is gone.
    logins = push.calls.commands("docker", "login")
    assert len(logins) == 1 and logins[0].stdin == "e2e-password-not-for-logs"
    assert all("e2e-password-not-for-logs" not in " ".join(c.argv) for c in push.calls.calls)
    logged = "\n".join(line for line in push.stderr.splitlines()
                       if not line.startswith("::add-mask::"))
    assert "e2e-password-not-for-logs" not in logged + push.stdout + push.summary
    assert list(push.runner_temp.iterdir()) == []
    build_env = push.calls.envs[[c.argv[:3] for c in push.calls.calls].index(
        ["docker", "buildx", "build"])]
    assert str(push.runner_temp) in build_env["DOCKER_CONFIG"]
    assert "builder: current (docker driver)" in push.stderr  # read from buildx inspect
    assert "Push | **yes**: push: branch 'main' is the default branch" in push.summary
    assert f"`{registry_digest}`" in push.summary

    # 2. a pull request from a fork: built, no login, no push, no cache export.
    pr_payload = {"repository": REPO_PAYLOAD, "number": 7, "pull_request": {
        "number": 7, "head": {"repo": {"full_name": "contributor/widget"}, "ref": "fix"},
        "base": {"ref": "main"}}}
    before = tags_of(registry, unique_repo)
    pr = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, _env(
        tmp_path, image, new_sha(), "pull_request", "refs/pull/7/merge", pr_payload,
        tags=TAG_RULES))
    assert pr.code == 0, pr.stderr
    assert f"{image}:pr-7" in pr.outputs["tags"].splitlines()
    assert pr.calls.commands("docker", "login") == []
    builds = pr.calls.commands("docker", "buildx", "build")
    assert len(builds) == 1
    assert "--push" not in builds[0].argv and "--cache-to" not in builds[0].argv
    assert f"type=registry,ref={image}:buildcache" in builds[0].argv  # cache read on PRs
    assert tags_of(registry, unique_repo) == before
    assert pr.outputs["pushed"] == "false"
    assert "from fork 'contributor/widget'" in pr.stderr

    # 3. the same commit tagged v1.2.3: no build, semver tags on the first digest.
    release = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, _env(
        tmp_path, image, sha, "push", "refs/tags/v1.2.3", {"repository": REPO_PAYLOAD},
        tags=TAG_RULES))
    assert release.code == 0, release.stderr
    assert release.calls.commands("docker", "buildx", "build") == []
    for tag in ("1.2.3", "1.2"):
        assert manifest(registry, unique_repo, tag)[0] == registry_digest
    assert release.outputs["digest"] == registry_digest
    assert release.outputs["skipped"] == "true" and release.outputs["action"] == "retag"
    meta = json.loads(release.outputs["metadata"])
    assert meta["action"] == "retag" and meta["digest"] == registry_digest
    assert "retag" in release.summary


def test_push_without_attestations_records_the_key_on_the_manifest(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, examples_ready):
    # No provenance and one platform: buildx pushes a plain manifest, which refuses
    # index-level annotations; the key must go on the manifest instead.
    image = f"{registry}/{unique_repo}"
    sha = new_sha()
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, _env(
        tmp_path, image, sha, "push", "refs/heads/main", {"repository": REPO_PAYLOAD},
        tags="type=ref,event=branch", provenance="false", cache="none"))
    assert got.code == 0, got.stderr
    digest, top = manifest(registry, unique_repo, "main")
    assert "manifests" not in top
    assert top["annotations"]["io.ghbuild.build-key"] == hello_key(sha)
    assert got.outputs["digest"] == digest
