"""The distributed flow through the CLI, as the workflow template runs it: a prepare
step's metadata, ``ghbuild platform`` once per platform, ``ghbuild merge``; then a
re-run that reuses both platforms; then ``ghbuild matrix`` + ``merge --promote-only``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from ghbuild import buildkey
from ghbuild.cli import main

pytestmark = pytest.mark.e2e

ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
SHA = "1234567890abcdef1234567890abcdef12345678"


def _get(registry: str, repo: str, ref: str) -> requests.Response:
    return requests.get(f"http://{registry}/v2/{repo}/manifests/{ref}",
                        headers={"Accept": ACCEPT}, timeout=10)


@pytest.fixture()
def job_env(engine_env, monkeypatch, tmp_path):
    for key in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG"):
        if key in engine_env:
            monkeypatch.setenv(key, engine_env[key])
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY app.txt /app.txt\n")
    (ctx / "app.txt").write_text("app\n")
    for key, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
                       "GITHUB_SHA": SHA, "GITHUB_REPOSITORY": "acme/app",
                       "RUNNER_TEMP": str(tmp_path / "runner-temp"),
                       "INPUT_PUSH": "true", "INPUT_CONTEXT": str(ctx),
                       "INPUT_PROVENANCE": "mode=min", "INPUT_CACHE": "registry"}.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "runner-temp").mkdir()
    return tmp_path


def _meta(path: Path, registry: str, repo: str) -> Path:
    path.write_text(json.dumps({
        "version": "main", "tags": [f"{registry}/{repo}:main", f"{registry}/{repo}:sha-1234567"],
        "labels": {"org.opencontainers.image.revision": SHA},
        "annotations": ["index:org.opencontainers.image.revision=" + SHA,
                        "manifest:org.opencontainers.image.revision=" + SHA],
        "created": 1700000000}))
    return path


def _platform(meta: Path, handover: Path, platform: str, capsys) -> dict:
    code = main(["platform", "--platform", platform, "--meta", str(meta),
                 "--handover", str(handover)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_platform_jobs_merge_and_a_rerun_that_builds_nothing(job_env, registry, unique_repo,
                                                             capsys):
    meta = _meta(job_env / "meta.json", registry, unique_repo)
    handover = job_env / "digests"
    for platform in ("linux/amd64", "linux/arm64"):
        _platform(meta, handover, platform, capsys)
    assert sorted(p.name for p in handover.iterdir()) == ["linux-amd64.json", "linux-arm64.json"]
    # Each platform job wrote its own registry cache.
    for slug in ("linux-amd64", "linux-arm64"):
        assert _get(registry, unique_repo, f"buildcache-{slug}").status_code == 200
    code = main(["merge", "--platforms", "linux/amd64,linux/arm64", "--digests", str(handover),
                 "--meta", str(meta), "--revision", SHA])
    out = capsys.readouterr()
    assert code == 0, out.err
    digest = json.loads(out.out)["digest"]
    # The job_env context is a directory of its own, so it is part of the key.
    key = buildkey.revision_key(SHA, buildkey.settings_from_env(os.environ))
    assert key.startswith(f"rev-{SHA}-")
    key_tag = buildkey.key_tag_name(key)
    for tag in ("main", "sha-1234567", key_tag):
        assert _get(registry, unique_repo, tag).headers["Docker-Content-Digest"] == digest
    index = _get(registry, unique_repo, "main").json()
    assert index["annotations"]["io.ghbuild.build-key"] == key
    assert index["annotations"]["org.opencontainers.image.revision"] == SHA

    # A re-run of the workflow: the key tag already has both platforms, nothing is built.
    again = job_env / "digests-again"
    for platform in ("linux/amd64", "linux/arm64"):
        got = _platform(meta, again, platform, capsys)
        assert got["digest"] == digest
    code = main(["merge", "--platforms", "linux/amd64,linux/arm64", "--digests", str(again),
                 "--meta", str(meta), "--revision", SHA])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["digest"] == digest


def test_matrix_then_promote_only_carries_an_unchanged_image(job_env, registry, unique_repo,
                                                             capsys, monkeypatch):
    repo = job_env / "mono"
    image = f"{registry}/{unique_repo}"
    (repo / "svc").mkdir(parents=True)
    (repo / ".github").mkdir()
    (repo / ".github" / "ghbuild.yml").write_text(
        f"images:\n  - name: {image}\n    context: svc\n    platforms: [linux/amd64]\n")
    # One layer at least: buildx writes "layers": null for an image with none, which the
    # registry client refuses to read as a manifest.
    (repo / "svc" / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /\n")
    (repo / "README.md").write_text("1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    base = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (repo / "README.md").write_text("2\n")
    subprocess.run([*git, "commit", "-qam", "docs"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()

    # No build for the base commit in the registry yet: the image is built, not promoted.
    assert main(["matrix", "--base", base, "--dir", str(repo)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["include"][0]["image"] == image
    assert "is not confirmed (absent" in out.err

    # Publish a build for the base commit (one platform job + merge), then ask again.
    meta = _meta(job_env / "meta.json", registry, unique_repo)
    # As on a runner: the jobs run in the checkout, with the entry's context.
    monkeypatch.chdir(repo)
    monkeypatch.setenv("INPUT_CONTEXT", "svc")
    _platform(meta, job_env / "d", "linux/amd64", capsys)
    assert main(["merge", "--platforms", "linux/amd64", "--digests", str(job_env / "d"),
                 "--meta", str(meta), "--revision", base]) == 0
    digest = json.loads(capsys.readouterr().out)["digest"]
    out_file = job_env / "gh-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out_file))
    assert main(["matrix", "--base", base, "--dir", str(repo)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == {"include": []}
    promote = json.dumps([{"image": image, "base": base}], separators=(",", ":"))
    assert promote in out_file.read_text()

    assert main(["merge", "--promote-only", promote, "--revision", head]) == 0
    done = json.loads(capsys.readouterr().out)
    # The tags ghbuild run would give this image on a push to main, and the new key tag
    # (context svc is part of the key).
    head_tag = buildkey.key_tag_name(buildkey.revision_key(
        head, buildkey.BuildSettings(context="svc")))
    assert done == [{"image": image, "digest": digest,
                     "tags": [f"{image}:main", f"{image}:{head_tag}"]}]
    for tag in ("main", head_tag):
        resp = _get(registry, unique_repo, tag)
        assert resp.headers["Docker-Content-Digest"] == digest


def test_promote_only_without_a_base_build_fails_loudly(job_env, registry, unique_repo,
                                                        capsys, monkeypatch):
    image = f"{registry}/{unique_repo}"
    config = job_env / "ghbuild.yml"
    config.write_text(f"images:\n  - name: {image}\n")
    promote = json.dumps([{"image": image, "base": "b" * 40}])
    code = main(["merge", "--promote-only", promote, "--revision", SHA,
                 "--config", str(config)])
    assert code == 1
    assert "has no build for its base commit: build it" in capsys.readouterr().err
    assert _get(registry, unique_repo, "main").status_code == 404


def test_a_platform_job_with_a_login_keeps_the_builder_and_the_secret(job_env, registry,
                                                                      unique_repo, capsys,
                                                                      monkeypatch):
    import io

    secret = "s3cret-token-value-42"
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    meta = _meta(job_env / "meta.json", registry, unique_repo)
    code = main(["platform", "--platform", "linux/arm64", "--meta", str(meta),
                 "--handover", str(job_env / "d"), "--username", "ci", "--password-stdin"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert secret not in out.out + out.err
    assert "logging in to" in out.err
    # The private docker config kept buildx's builder in view: no fallback warning.
    assert "driver, not" not in out.err
    digest = json.loads(out.out)["digest"]
    assert _get(registry, unique_repo, digest).status_code == 200
