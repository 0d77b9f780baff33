"""Tags, labels and annotations from the engine are accepted by real buildx and a registry.

The tag names come from hostile ref names (unicode, ``#``, slashes, 300 characters); the
registry must list every one of them, and the image config and manifest must carry the
labels and annotations exactly as computed.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from ghbuild.context import Context
from ghbuild.meta import MetaInputs, compute

pytestmark = pytest.mark.e2e

ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution." \
         "manifest.v2+json"
BRANCH = "feature/été#5+x/" + "long-name-" * 30


def _result(image: str):
    ctx = Context(event_name="push", ref=f"refs/heads/{BRANCH}",
                  sha="860c1904a1ce19322e91ac35af1ab07466440c37", now=1711927800.0,
                  payload={"repository": {"default_branch": "main", "name": "widget",
                                          "html_url": "https://github.com/acme/widget"}})
    inputs = MetaInputs(images=(image,), tags=(
        "type=ref,event=branch\ntype=sha\ntype=raw,value=#weird/Tag\n"
        "type=raw,value=ny-{{date 'YYYYMMDD-hh' tz='America/New_York'}}",),
        labels=("mylabel=foo#bar=baz",),
        annotations=("org.opencontainers.image.documentation=https://example.com/x#readme",))
    return compute(ctx, inputs)


def test_registry_accepts_every_tag_and_keeps_labels(engine_env, registry, unique_repo,
                                                     tmp_path):
    image = f"{registry}/{unique_repo.upper()}"
    result = _result(image)
    assert all(t.startswith(f"{registry}/{unique_repo}:") for t in result.tags)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (tmp_path / "hello.txt").write_text("hello\n")
    argv = ["docker", "buildx", "build", "--push", "--provenance=false"]
    for tag in result.tags:
        argv += ["--tag", tag]
    for label in result.label_lines:
        argv += ["--label", label]
    argv += [f"--annotation={a}" for a in result.annotations]
    done = subprocess.run([*argv, str(tmp_path)], env=engine_env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    listed = requests.get(f"http://{registry}/v2/{unique_repo}/tags/list", timeout=10).json()
    assert sorted(listed["tags"]) == sorted(result.tag_names)
    assert max(len(t) for t in result.tag_names) == 128   # the long branch was shortened

    manifest = requests.get(f"http://{registry}/v2/{unique_repo}/manifests/{result.version}",
                            headers={"Accept": ACCEPT}, timeout=10).json()
    config = requests.get(f"http://{registry}/v2/{unique_repo}/blobs/"
                          f"{manifest['config']['digest']}", timeout=10).json()
    labels = config["config"]["Labels"]
    assert labels == result.labels
    assert labels["mylabel"] == "foo#bar=baz"
    assert manifest.get("annotations", {}).get("org.opencontainers.image.documentation") == \
        "https://example.com/x#readme", json.dumps(manifest)[:500]
