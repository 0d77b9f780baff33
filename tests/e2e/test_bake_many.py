"""Two images in one ``docker buildx bake`` run against the real engine and registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from ghbuild.bake import BakeImage, bake_file, run_bake
from ghbuild.build import BuildInputs, BuildPlan, KeyValue
from ghbuild.errors import BuildError
from ghbuild.gha import Actions

pytestmark = pytest.mark.e2e

ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"


def _image_dir(root: Path, name: str) -> Path:
    ctx = root / name
    ctx.mkdir(parents=True)
    # FROM scratch + COPY: bake in buildx 0.13 cannot ask for --network=host (see bake.py).
    (ctx / "Dockerfile").write_text("FROM scratch\nARG MODE\nLABEL mode=$MODE\n"
                                    "COPY shared.txt /shared.txt\nCOPY own.txt /own.txt\n")
    (ctx / "shared.txt").write_text("the same bytes in both images\n")
    (ctx / "own.txt").write_text(f"{name}\n")
    return ctx


def _plan(ctx: Path, image: str) -> BuildPlan:
    return BuildPlan(
        inputs=BuildInputs(context=str(ctx), platforms=("linux/amd64", "linux/arm64"),
                           provenance="mode=min",
                           build_args=(KeyValue("MODE", "${literal}"),)),
        tags=(f"{image}:1.0.0", f"{image}:latest"),
        labels=("org.opencontainers.image.title=%{not-a-directive}",),
        annotations=("index:org.opencontainers.image.version=1.0.0",),
        cache_from=(f"type=registry,ref={image}:buildcache",),
        cache_to=(f"type=registry,ref={image}:buildcache,mode=max",), push=True)


def _manifest(registry: str, repo: str, ref: str) -> requests.Response:
    return requests.get(f"http://{registry}/v2/{repo}/manifests/{ref}",
                        headers={"Accept": ACCEPT}, timeout=10)


def test_two_images_one_bake_run(engine_env, registry, unique_repo, tmp_path):
    images = {name: f"{registry}/{unique_repo}-{name}" for name in ("api", "web")}
    bake = [BakeImage(image, _plan(_image_dir(tmp_path, name), image))
            for name, image in images.items()]
    env = {**engine_env, "SOURCE_DATE_EPOCH": "1700000000"}
    try:
        digests = run_bake(bake, Actions(environ={}), env=env)
    except BuildError as exc:
        # Known race of the local registry (distribution 2.8, filesystem storage): a HEAD
        # of a tag while another connection writes that tag's link file answers 500
        # "invalid checksum digest format", and dockerd's pusher sends exactly such
        # HEADs in parallel. Seen about once in eight runs; only that answer is retried.
        if "500 Internal Server Error" not in str(exc):
            raise
        digests = run_bake(bake, Actions(environ={}), env=env)
    assert set(digests) == set(images.values())
    for name, image in images.items():
        repo = f"{unique_repo}-{name}"
        for tag in ("1.0.0", "latest"):
            resp = _manifest(registry, repo, tag)
            assert resp.status_code == 200, (image, tag)
            assert resp.headers["Docker-Content-Digest"] == digests[image]
        index = resp.json()
        platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}"
                           for m in index["manifests"])
        assert platforms == ["linux/amd64", "linux/arm64", "unknown/unknown", "unknown/unknown"]
        assert index["annotations"]["org.opencontainers.image.version"] == "1.0.0"
        # Each image exported its own cache.
        assert _manifest(registry, repo, "buildcache").status_code == 200
        config = _config(registry, repo, index)
        # Escaped for bake, so the values arrive exactly as written.
        assert config["config"]["Labels"]["org.opencontainers.image.title"] == \
            "%{not-a-directive}"
        assert config["config"]["Labels"]["mode"] == "${literal}"


def _config(registry: str, repo: str, index: dict) -> dict:
    amd64 = next(m for m in index["manifests"] if m["platform"]["architecture"] == "amd64")
    manifest = _manifest(registry, repo, amd64["digest"]).json()
    blob = requests.get(f"http://{registry}/v2/{repo}/blobs/{manifest['config']['digest']}",
                        timeout=10)
    return json.loads(blob.content)


def test_the_generated_definition_is_what_real_bake_reads(engine_env, tmp_path):
    import subprocess

    ctx = _image_dir(tmp_path, "one")
    plan = BuildPlan(inputs=BuildInputs(context=str(ctx), build_args=(
        KeyValue("NPM_TOKEN", "value-from-env-only"),), secrets=(KeyValue("npmrc", "x1y2z3"),)),
        tags=("r.example/one:${x}",))
    baked = bake_file([BakeImage("r.example/one", plan)])
    path = tmp_path / "bake.json"
    path.write_text(json.dumps(baked.definition))
    assert "value-from-env-only" not in path.read_text()
    out = subprocess.run(["docker", "buildx", "bake", "--file", str(path), "--print"],
                         env={**engine_env, **baked.env}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)["target"]["one"]
    assert printed["args"]["NPM_TOKEN"] == "value-from-env-only"
    assert printed["tags"] == ["r.example/one:${x}"]
    assert printed["secret"] == ["id=npmrc,env=GHBUILD_SECRET_NPMRC"]
