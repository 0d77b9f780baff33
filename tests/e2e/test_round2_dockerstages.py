"""The platform check's Dockerfile reading against the real builder (docker driver: it
runs its own architecture only): a build arg that sends ``FROM --platform=$BP`` to a
platform the builder cannot run, and a ``RUN`` whose keyword a line continuation splits,
are refused before anything is built; the same files with a runnable platform build, so
BuildKit reads them as ghbuild does."""

from __future__ import annotations

import pytest

from tests.e2e import test_builder_platforms as platform_tests
from tests.e2e.run_support import (
    forget_images_fixture,
    image_manifests,
    main_push_env,
    run_ghbuild,
    tags_of,
)
from tests.e2e.test_builder_platforms import _context

foreign, listed = platform_tests.foreign, platform_tests.listed

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture("")

GLOBAL = ("ARG BP=linux/amd64\nFROM --platform=$BP scratch\nCOPY busybox /bin/busybox\n"
          'RUN ["/bin/busybox", "mkdir", "/built"]\n')
SPLIT = 'FROM scratch\nCOPY busybox /bin/busybox\nR\\\nUN ["/bin/busybox", "mkdir", "/built"]\n'


def _go(monkeypatch, capsys, tmp_path, engine_env, image, dockerfile, **inputs):
    _context(tmp_path / "ws", "app", dockerfile)
    env = {**main_push_env(tmp_path), "INPUT_CACHE": "none", "INPUT_PUSH": "true",
           "INPUT_TAGS": "type=ref,event=branch", "INPUT_IMAGES": image,
           "INPUT_CONTEXT": "app", **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
    return run_ghbuild(monkeypatch, capsys, tmp_path, tmp_path / "ws", engine_env, env)


def test_a_build_arg_moving_from_platform_off_the_builder_is_refused(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, foreign, listed):
    got = _go(monkeypatch, capsys, tmp_path, engine_env, f"{registry}/{unique_repo}", GLOBAL,
              **{"build-args": f"BP={foreign}"})
    assert got.code == 2, got.stderr
    assert f"app/Dockerfile:4: stage '0' runs commands on {foreign} (its FROM --platform)" \
        in got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []
    assert tags_of(registry, unique_repo) == []


def test_the_same_file_with_its_default_builds(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, listed):
    got = _go(monkeypatch, capsys, tmp_path, engine_env, f"{registry}/{unique_repo}",
              GLOBAL.replace("linux/amd64", listed[0]))
    assert got.code == 0, got.stderr
    assert "main" in tags_of(registry, unique_repo)


def test_a_split_run_keyword_on_a_foreign_platform_is_refused(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, foreign):
    got = _go(monkeypatch, capsys, tmp_path, engine_env, f"{registry}/{unique_repo}", SPLIT,
              platforms=foreign)
    assert got.code == 2, got.stderr
    assert "app/Dockerfile:3: RUN in stage '0'" in got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []


def test_buildkit_runs_the_split_keyword_as_run(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, listed):
    # proof that R\ + UN is a RUN to BuildKit: the image has the directory it made
    got = _go(monkeypatch, capsys, tmp_path, engine_env, f"{registry}/{unique_repo}", SPLIT)
    assert got.code == 0, got.stderr
    (found,) = image_manifests(registry, unique_repo, "main")
    assert len(found["layers"]) == 2  # the COPY, and the layer the RUN made
