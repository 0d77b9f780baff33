"""Several configured images without bake: every image is checked before any is built.

examples/monorepo's two images (api, then web) on the registry on 127.0.0.1. The second
image, web, already has a release tag at another digest; a tag push of a new commit
would move it. The refusal must come before api, the first image, is built or pushed:
the registry keeps exactly the tags it had, for both images.
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.run_support import (
    ACCEPT,
    forget_images_fixture,
    main_push_env,
    new_sha,
    run_ghbuild,
    tags_of,
)
from tests.e2e.test_run_bake import _monorepo

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture("/monorepo-api", "/monorepo-web")


def test_a_refusal_for_the_second_image_leaves_the_first_unpushed(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo):
    ws = _monorepo(tmp_path, f"{registry}/{unique_repo}")
    env = {**main_push_env(tmp_path), "SOURCE_DATE_EPOCH": "1700000000",
           "INPUT_GITHUB_TOKEN": "", "INPUT_NETWORK": "", "INPUT_IMAGE": "monorepo-web"}
    first = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert first.code == 0, first.stderr[-4000:]
    web = f"{unique_repo}/monorepo-web"
    # An earlier release of web: its main image (flavor suffix -web), tagged 1.0.0-web.
    resp = requests.get(f"http://{registry}/v2/{web}/manifests/main-web",
                        headers={"Accept": ACCEPT}, timeout=10)
    resp.raise_for_status()
    put = requests.put(f"http://{registry}/v2/{web}/manifests/1.0.0-web", data=resp.content,
                       headers={"Content-Type": resp.headers["Content-Type"]}, timeout=10)
    assert put.status_code == 201, put.text
    released = resp.headers["Docker-Content-Digest"]
    before = {name: tags_of(registry, f"{unique_repo}/monorepo-{name}")
              for name in ("api", "web")}
    assert before["api"] == []  # api was never pushed: any tag after the run is a leak

    # v1.0.0 on a new commit, both images, one build each (no bake): api comes first and
    # needs a build, web would move its release tag. Nothing may be built or pushed.
    env.update({"GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_SHA": new_sha(), "INPUT_IMAGE": ""})
    moved = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert moved.code == 3, moved.stderr[-4000:]
    errors = [line for line in moved.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, errors
    assert f"{registry}/{web}:1.0.0-web is {released}" in errors[0]
    assert moved.calls.commands("docker", "buildx", "build") == []
    assert {name: tags_of(registry, f"{unique_repo}/monorepo-{name}")
            for name in ("api", "web")} == before
    # Both images were asked about, api first, in the log's order.
    checks = [line for line in moved.stderr.splitlines() if "registry check " in line]
    assert [("monorepo-api" in c, "monorepo-web" in c) for c in checks] == [
        (True, False), (False, True)], checks
