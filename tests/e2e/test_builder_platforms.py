"""The builder's platforms against the real engine: what it lists builds, a platform it
cannot run is refused (exit 2) before anything reaches the registry, for the second of
two images too, and a Dockerfile that runs nothing on the target platform still builds.

The engine here has no QEMU, so its builder lists only the machine's own platforms.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from ghbuild.buildx import builder_runs, parse_inspect
from ghbuild.cli import main
from tests.e2e.run_support import (
    blob,
    forget_images_fixture,
    image_manifests,
    main_push_env,
    run_ghbuild,
    tags_of,
)

pytestmark = pytest.mark.e2e

RUNS = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "mkdir", "/built"]\n'
COPY_ONLY = "FROM scratch\nCOPY busybox /bin/busybox\n"
# Architectures a builder without emulation on a usual CI machine does not run.
FOREIGN = ("linux/s390x", "linux/ppc64le", "linux/riscv64", "linux/mips64le")

_forget_images = forget_images_fixture("", "/api", "/web")


@pytest.fixture(scope="module")
def listed(engine_env) -> tuple[str, ...]:
    """The platforms the engine's current builder lists, read here without ghbuild."""
    done = subprocess.run(["docker", "buildx", "inspect", "--bootstrap"], env=engine_env,
                          capture_output=True, text=True, check=True)
    info = parse_inspect(done.stdout)
    assert info.running and info.platforms, done.stdout
    return info.platforms


@pytest.fixture(scope="module")
def foreign(listed) -> str:
    """A platform the builder here does not run (no QEMU on this engine)."""
    for platform in FOREIGN:
        if not builder_runs(platform, listed):
            return platform
    pytest.fail(f"the builder runs every one of {FOREIGN} (QEMU installed?): {listed}")


def _context(ws: Path, name: str, dockerfile: str) -> None:
    (ws / name).mkdir(parents=True, exist_ok=True)
    (ws / name / "Dockerfile").write_text(dockerfile)
    shutil.copy("/bin/busybox", ws / name / "busybox")


def _platforms_of(registry: str, repo: str, tag: str) -> list[str]:
    out = []
    for found in image_manifests(registry, repo, tag):
        config = json.loads(blob(registry, repo, found["config"]["digest"]))
        out.append("/".join(p for p in (config["os"], config["architecture"],
                                        config.get("variant", "")) if p))
    return sorted(out)


def _run(monkeypatch, capsys, tmp_path, engine_env, env):
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    return run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                       {**main_push_env(tmp_path), "INPUT_CACHE": "none", "INPUT_PUSH": "true",
                        "INPUT_TAGS": "type=ref,event=branch", **env})


def test_every_platform_the_builder_lists_builds_and_one_inspect_serves_the_run(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, listed):
    _context(tmp_path / "ws", "app", RUNS)
    result = _run(monkeypatch, capsys, tmp_path, engine_env, {
        "INPUT_IMAGES": f"{registry}/{unique_repo}", "INPUT_CONTEXT": "app",
        "INPUT_PLATFORMS": ",".join(listed)})
    assert result.code == 0, result.stderr
    assert "does not run" not in result.stderr
    assert _platforms_of(registry, unique_repo, "main") == sorted(listed)
    # The platform check's inspect also named the driver: buildx was asked once.
    inspects = result.calls.commands("docker", "buildx", "inspect")
    assert [c.argv for c in inspects] == [["docker", "buildx", "inspect", "--bootstrap"]]
    assert "builder: current (docker driver)" in result.stderr


def test_a_platform_the_builder_cannot_run_is_refused_before_anything_is_pushed(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, listed, foreign):
    _context(tmp_path / "ws", "app", RUNS)
    result = _run(monkeypatch, capsys, tmp_path, engine_env, {
        "INPUT_IMAGES": f"{registry}/{unique_repo}", "INPUT_CONTEXT": "app",
        "INPUT_PLATFORMS": f"{listed[0]},{foreign}", "INPUT_PASSWORD": "not-used-1234",
        "INPUT_USERNAME": "ci"})
    assert result.code == 2, result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("::error")]
    assert "input 'platforms'" in error and f"does not run {foreign} " in error
    assert "builder default (docker driver)" in error
    assert f"it lists {', '.join(listed)}" in error
    assert "app/Dockerfile:3: RUN in stage '0'" in error
    assert "docker/setup-qemu-action" in error
    # refused before the login and the build: nothing reached the registry
    assert result.calls.commands("docker", "login") == []
    assert result.calls.commands("docker", "buildx", "build") == []
    assert tags_of(registry, unique_repo) == []


def test_nothing_runs_on_the_target_so_any_platform_builds(monkeypatch, capsys, tmp_path,
                                                           engine_env, registry, unique_repo,
                                                           foreign):
    _context(tmp_path / "ws", "app", COPY_ONLY)
    result = _run(monkeypatch, capsys, tmp_path, engine_env, {
        "INPUT_IMAGES": f"{registry}/{unique_repo}", "INPUT_CONTEXT": "app",
        "INPUT_PLATFORMS": foreign})
    assert result.code == 0, result.stderr
    assert _platforms_of(registry, unique_repo, "main") == [foreign]


@pytest.mark.parametrize("bake", [False, True], ids=["one-build-each", "bake"])
def test_two_images_the_second_unbuildable_nothing_pushed_for_either(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, listed, foreign,
        bake):
    ws = tmp_path / "ws"
    _context(ws, "api", RUNS)
    _context(ws, "web", RUNS)
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(textwrap.dedent(f"""\
        defaults:
          cache: none
          tags: ["type=ref,event=branch"]
        images:
          - name: {registry}/{unique_repo}/api
            context: api
            platforms: [{listed[0]}]
          - name: {registry}/{unique_repo}/web
            context: web
            platforms: [{listed[0]}, {foreign}]
        """))
    # bake in buildx 0.13 has no network attribute (and the refusal comes first anyway)
    bake_inputs = {"INPUT_BAKE": "true", "INPUT_NETWORK": ""} if bake else {}
    result = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                         {**main_push_env(tmp_path), "INPUT_PUSH": "true", **bake_inputs})
    assert result.code == 2, result.stderr
    assert f"image {registry}/{unique_repo}/web runs commands" in result.stderr
    assert result.calls.commands("docker", "buildx", "build") == []
    assert result.calls.commands("docker", "buildx", "bake") == []
    assert tags_of(registry, f"{unique_repo}/api") == []
    assert tags_of(registry, f"{unique_repo}/web") == []


def test_a_builder_that_cannot_be_inspected_is_warned_and_the_build_decides(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, foreign):
    # A builder that exists but does not answer (a remote driver on a closed port, in a
    # buildx config of this test's own) gives a doubtful answer: warned once, not refused.
    # A builder that does not exist at all is refused: tests/e2e/test_round2_inputs.py.
    buildx_config = tmp_path / "buildx"
    env = {**os.environ, **engine_env, "BUILDX_CONFIG": str(buildx_config)}
    made = subprocess.run(["docker", "buildx", "create", "--name", "r2-down", "--driver",
                           "remote", "tcp://127.0.0.1:1"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    _context(tmp_path / "ws", "app", RUNS)
    result = _run(monkeypatch, capsys, tmp_path, engine_env, {
        "INPUT_IMAGES": f"{registry}/{unique_repo}", "INPUT_CONTEXT": "app",
        "INPUT_PLATFORMS": foreign, "INPUT_BUILDER": "r2-down",
        "BUILDX_CONFIG": str(buildx_config)})
    warnings = [line for line in result.stderr.splitlines()
                if "cannot read the platforms of builder r2-down" in line]
    assert len(warnings) == 1, result.stderr
    # not refused: buildx itself ran, and failed with its own message (exit 1)
    assert result.code == 1, result.stderr
    # one bootstrap (the 20 s timeout is not waited for twice); the driver is read after
    assert len(result.calls.commands("docker", "buildx", "inspect", "--bootstrap")) == 1
    (build,) = result.calls.commands("docker", "buildx", "build")
    assert build.argv[build.argv.index("--builder") + 1] == "r2-down"
    assert tags_of(registry, unique_repo) == []


def _meta(path: Path, registry: str, repo: str) -> Path:
    path.write_text(json.dumps({
        "version": "main", "tags": [f"{registry}/{repo}:main"],
        "labels": {"org.opencontainers.image.version": "main"}, "annotations": [],
        "created": 1700000000}))
    return path


def test_a_platform_job_for_a_platform_the_builder_cannot_run_is_refused(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, foreign):
    for key in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG"):
        monkeypatch.setenv(key, engine_env[key])
    _context(tmp_path, "app", RUNS)
    for key, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
                       "GITHUB_SHA": "ab" * 20, "GITHUB_REPOSITORY": "acme/app",
                       "RUNNER_TEMP": str(tmp_path), "INPUT_PUSH": "true",
                       "INPUT_CONTEXT": "app", "INPUT_NETWORK": "host"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = main(["platform", "--platform", foreign, "--handover", str(tmp_path / "d"),
                 "--meta", str(_meta(tmp_path / "meta.json", registry, unique_repo))])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"does not run {foreign} " in err and "RUN in stage '0'" in err
    assert tags_of(registry, unique_repo) == []
    assert not (tmp_path / "d").exists()
