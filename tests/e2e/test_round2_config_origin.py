"""A late check of a config-file image against the real builder: a platform the builder
(buildx's docker driver, linux/amd64 only) cannot run, for an image whose Dockerfile runs
a command, is reported at the ``platforms`` key of .github/ghbuild.yml and names the
image; nothing is built or pushed, the first image included."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.run_support import (
    forget_images_fixture,
    main_push_env,
    prepare_examples,
    run_ghbuild,
    tags_of,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture("/api", "/web")
RUNS = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "true"]\n'


def test_platform_refusal_is_at_the_config_line(monkeypatch, capsys, tmp_path, engine_env,
                                               registry, unique_repo):
    prepare_examples()
    ws = tmp_path / "ws"
    for name in ("api", "web"):
        (ws / name).mkdir(parents=True)
        (ws / name / "Dockerfile").write_text(RUNS)
        shutil.copy("/bin/busybox", ws / name / "busybox")
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  tags: type=ref,event=branch\n  cache: none\nimages:\n"
        f"  - name: {registry}/{unique_repo}/api\n    context: api\n"
        f"  - name: {registry}/{unique_repo}/web\n    context: web\n"
        "    platforms: linux/s390x\n")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, main_push_env(tmp_path))
    assert got.code == 2, got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, got.stderr
    assert errors[0].startswith("::error file=.github/ghbuild.yml,line=9,col=5::"
                                ".github/ghbuild.yml:9:5: images[1].platforms: builder ")
    assert "does not run linux/s390x" in errors[0]
    assert f"(image {registry}/{unique_repo}/web)" in errors[0]
    assert got.calls.commands("docker", "buildx", "inspect")  # the real builder answered
    assert got.calls.commands("docker", "buildx", "build") == []
    assert tags_of(registry, f"{unique_repo}/api") == []
