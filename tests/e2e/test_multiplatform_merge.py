"""Two platform jobs and a merge against the real engine and registry on 127.0.0.1.

The docker driver here refuses push-by-digest, so each platform is exported as an OCI
layout and pushed by digest through the registry client (ghbuild.multiplatform); then
``ghbuild merge`` writes the index and the tags. The result is read back over the
registry's HTTP API, not through our own client.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests

from ghbuild.build import BuildInputs, BuildPlan
from ghbuild.cli import main
from ghbuild.gha import Actions
from ghbuild.multiplatform import (
    ClientRegistry,
    Driver,
    Platform,
    build_platform,
    detect_driver,
    write_handover,
)
from ghbuild.registry import RegistryClient

pytestmark = pytest.mark.e2e

ACCEPT = ("application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json,"
          " application/vnd.docker.distribution.manifest.list.v2+json")
PLATFORMS = [Platform.parse("linux/amd64"), Platform.parse("linux/arm64")]


def _get(registry: str, repo: str, ref: str) -> requests.Response:
    return requests.get(f"http://{registry}/v2/{repo}/manifests/{ref}",
                        headers={"Accept": ACCEPT}, timeout=10)


@pytest.fixture()
def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    # FROM scratch + COPY needs no emulation for a foreign platform.
    (ctx / "Dockerfile").write_text("FROM scratch\nARG TARGETPLATFORM\n"
                                    "COPY hello.txt /hello.txt\n")
    (ctx / "hello.txt").write_text("hello from a platform job\n")
    return ctx


def _platform_jobs(engine_env, registry: str, repo: str, context: Path, out: Path,
                   platforms=PLATFORMS) -> list:
    driver = detect_driver(env=engine_env)
    assert driver is Driver.DOCKER, "this machine only has the docker driver"
    plan = BuildPlan(inputs=BuildInputs(context=str(context), provenance="mode=min"),
                     labels=("org.opencontainers.image.title=multi",),
                     annotations=("index:org.opencontainers.image.description=two jobs",))
    client = ClientRegistry(RegistryClient())
    env = {**engine_env, "SOURCE_DATE_EPOCH": "1700000000"}
    results = []
    for plat in platforms:
        result = build_platform(plan, plat, f"{registry}/{repo}", driver, client,
                                Actions(environ={}), out / "work", env=env)
        write_handover(out / "digests", result)
        results.append(result)
    return results


def test_two_platform_jobs_and_a_merge(engine_env, registry, unique_repo, context, tmp_path,
                                       capsys):
    results = _platform_jobs(engine_env, registry, unique_repo, context, tmp_path)
    # Pushed by digest only: no tag exists before the merge.
    tags_list = requests.get(f"http://{registry}/v2/{unique_repo}/tags/list", timeout=10)
    assert tags_list.json().get("tags") in (None, [])
    meta = tmp_path / "meta.json"
    tags = [f"{registry}/{unique_repo}:1.2.3", f"{registry}/{unique_repo}:latest",
            f"{registry}/{unique_repo}-mirror:1.2.3"]
    meta.write_text(json.dumps({
        "version": "1.2.3", "tags": tags, "labels": {},
        "annotations": ["index:org.opencontainers.image.version=1.2.3",
                        "manifest:org.opencontainers.image.title=ignored-on-index"],
        "created": 1700000000}))
    capsys.readouterr()
    code = main(["merge", "--platforms", "linux/amd64,linux/arm64",
                 "--digests", str(tmp_path / "digests"), "--meta", str(meta)])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    digest = doc["digest"]
    assert doc["platforms"] == ["linux/amd64", "linux/arm64"]

    for tag in tags:
        repo, _, name = tag.partition("/")[2].rpartition(":")
        resp = _get(registry, repo, name)
        assert resp.status_code == 200, tag
        assert resp.headers["Docker-Content-Digest"] == digest, tag
    index = _get(registry, unique_repo, "1.2.3").json()
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    images = [m for m in index["manifests"] if m["platform"]["os"] != "unknown"]
    attestations = [m for m in index["manifests"] if m["platform"]["os"] == "unknown"]
    assert [f"{m['platform']['os']}/{m['platform']['architecture']}" for m in images] == \
        ["linux/amd64", "linux/arm64"]
    # Every platform keeps its provenance, still pointing at its own image digest.
    assert sorted(a["annotations"]["vnd.docker.reference.digest"] for a in attestations) == \
        sorted(m["digest"] for m in images)
    for att in attestations:
        assert _get(registry, unique_repo, att["digest"]).status_code == 200
    # The platform jobs' index annotation and the run's own both survive.
    assert index["annotations"]["org.opencontainers.image.description"] == "two jobs"
    assert index["annotations"]["org.opencontainers.image.version"] == "1.2.3"
    assert "org.opencontainers.image.title" not in index["annotations"]
    # The images inside are the ones the platform jobs pushed.
    pushed = {r.platform: r.digest for r in results}
    for img in images:
        per_platform = _get(registry, unique_repo, pushed[Platform.from_descriptor(
            img["platform"])]).json()
        assert img["digest"] in [m["digest"] for m in per_platform["manifests"]]


def test_a_missing_platform_refuses_and_writes_no_tag(engine_env, registry, unique_repo,
                                                      context, tmp_path, capsys):
    _platform_jobs(engine_env, registry, unique_repo, context, tmp_path,
                   platforms=PLATFORMS[:1])
    tag = f"{registry}/{unique_repo}:2.0.0"
    code = main(["merge", "--platforms", "linux/amd64,linux/arm64",
                 "--digests", str(tmp_path / "digests"), "--tag", tag])
    err = capsys.readouterr().err
    assert code == 3
    assert "partial index" in err and "linux/arm64" in err
    assert _get(registry, unique_repo, "2.0.0").status_code == 404


def test_a_handover_that_lies_about_its_platform_is_refused(engine_env, registry,
                                                            unique_repo, context, tmp_path,
                                                            capsys):
    (amd64,) = _platform_jobs(engine_env, registry, unique_repo, context, tmp_path,
                              platforms=PLATFORMS[:1])
    tag = f"{registry}/{unique_repo}:3.0.0"
    code = main(["merge", "--platforms", "linux/amd64,linux/arm64",
                 "--image", f"{registry}/{unique_repo}",
                 "--digest", f"linux/amd64={amd64.digest}",
                 "--digest", f"linux/arm64={amd64.digest}", "--tag", tag])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "is for linux/amd64" in err
    assert _get(registry, unique_repo, "3.0.0").status_code == 404


def test_a_digest_the_registry_does_not_have_is_refused(registry, unique_repo, capsys):
    missing = "sha256:" + "ab" * 32
    code = main(["merge", "--platforms", "linux/amd64", "--image",
                 f"{registry}/{unique_repo}", "--digest", f"linux/amd64={missing}",
                 "--tag", f"{registry}/{unique_repo}:1.0.0"])
    assert code == 3
    assert "is not in the registry" in capsys.readouterr().err


def test_dry_run_prints_the_index_and_writes_nothing(engine_env, registry, unique_repo,
                                                     context, tmp_path, capsys):
    results = _platform_jobs(engine_env, registry, unique_repo, context, tmp_path)
    capsys.readouterr()
    code = main(["merge", "--platforms", "linux/arm64,linux/amd64", "--dry-run",
                 "--digests", str(tmp_path / "digests")])
    out = capsys.readouterr()
    assert code == 0, out.err
    index = json.loads(out.out)
    # The expected order is the --platforms order, each image followed by its attestation.
    arm = next(r for r in results if r.platform.architecture == "arm64")
    assert index["manifests"][0]["platform"] == {"architecture": "arm64", "os": "linux"}
    assert index["manifests"][1]["annotations"]["vnd.docker.reference.type"] == \
        "attestation-manifest"
    assert len(index["manifests"]) == 4
    assert arm.digest not in [m["digest"] for m in index["manifests"]]  # the image, not its index
    digest = "sha256:" + hashlib.sha256(out.out.strip().encode()).hexdigest()
    assert _get(registry, unique_repo, digest).status_code == 404
    assert requests.get(f"http://{registry}/v2/{unique_repo}/tags/list",
                        timeout=10).json().get("tags") in (None, [])
