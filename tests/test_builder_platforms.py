"""What the builder can build: ``docker buildx inspect`` read with a faked process, the
platform matching BuildKit uses, the Dockerfile's RUN steps, and the refusal.

The same check runs against the real engine in tests/e2e/test_builder_platforms.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghbuild import proc
from ghbuild.build import BuildInputs, KeyValue
from ghbuild.buildx import (
    PlatformCheck,
    builder_runs,
    check_platforms,
    detect_driver,
    parse_inspect,
    runs_on,
)
from ghbuild.dockerstages import NATIVE, TARGET, UNKNOWN, scan_text
from ghbuild.errors import InputError
from ghbuild.gha import Actions

# Captured from buildx 0.13.1 on the engine of scripts/provision-engine.sh (docker driver,
# containerd store, no QEMU), each builder made in a scratch BUILDX_CONFIG.
DEFAULT = """\
Name:          default
Driver:        docker
Last Activity: 2026-12-03 15:02:39 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4
Labels:
 org.mobyproject.buildkit.worker.containerd.namespace: moby
 org.mobyproject.buildkit.worker.executor:             containerd
 org.mobyproject.buildkit.worker.hostname:             vm
 org.mobyproject.buildkit.worker.network:              host
 org.mobyproject.buildkit.worker.snapshotter:          overlayfs
"""
# docker buildx create --name remote-down --driver remote --platform linux/amd64,linux/arm64
# tcp://127.0.0.1:9, then --append --node remote-down1 --platform linux/arm/v7 (never up)
REMOTE_DOWN = """\
Name:          remote-down
Driver:        remote
Last Activity: 2026-12-03 15:03:07 +0000 UTC

Nodes:
Name:      remote-down0
Endpoint:  tcp://127.0.0.1:9
Status:    inactive
Platforms: linux/amd64*, linux/arm64*

Name:      remote-down1
Endpoint:  tcp://127.0.0.1:10
Status:    inactive
Platforms: linux/arm/v7*
"""
# docker buildx create --name dc --driver docker-container (not bootstrapped)
CONTAINER_INACTIVE = """\
Name:          dc
Driver:        docker-container
Last Activity: 2026-12-03 15:03:07 +0000 UTC

Nodes:
Name:                  dc0
Endpoint:              unix:///tmp/ghbuild-engine/run/docker.sock
Status:                inactive
BuildKit daemon flags: --allow-insecure-entitlement=network.host
"""
BOOTSTRAP_FAILED = ("#1 [internal] waiting for connection\n#1 ERROR: context deadline exceeded\n"
                    "ERROR: context deadline exceeded\n")
NO_BUILDER = 'ERROR: no builder "nosuch" found\n'

RUN_ON_TARGET = ("FROM scratch AS builder\nCOPY busybox /bin/busybox\n"
                 'RUN ["/bin/busybox", "true"]\nFROM scratch\n'
                 "COPY --from=builder /bin/busybox /x\n")
COPY_ONLY = "FROM scratch\nCOPY app.txt /app.txt\n"
CROSS = ("FROM --platform=$BUILDPLATFORM scratch AS build\nCOPY busybox /bin/busybox\n"
         'RUN ["/bin/busybox", "true"]\nFROM scratch\nCOPY --from=build /bin/busybox /x\n')


class InspectRunner(proc.Runner):
    """Answers ``docker buildx inspect`` with one stored output; records every call."""

    def __init__(self, stdout: str = DEFAULT, code: int = 0, stderr: str = "") -> None:
        self.stdout, self.code, self.stderr = stdout, code, stderr
        self.calls: list[list[str]] = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        self.calls.append(list(argv))
        assert list(argv[:3]) == ["docker", "buildx", "inspect"], argv
        return proc.Completed(tuple(argv), self.code, self.stdout, self.stderr)


@pytest.fixture()
def runner():
    def install(stdout: str = DEFAULT, code: int = 0, stderr: str = "") -> InspectRunner:
        fake = InspectRunner(stdout, code, stderr)
        installed.append(proc.set_runner(fake))
        return fake

    installed: list[proc.Runner] = []
    yield install
    for previous in reversed(installed):
        proc.set_runner(previous)


class Said(Actions):
    def __init__(self) -> None:
        super().__init__(environ={})
        self.warnings: list[str] = []
        self.infos: list[str] = []

    def warning(self, text: str, **_: object) -> None:  # type: ignore[override]
        self.warnings.append(text)

    def info(self, text: str) -> None:  # type: ignore[override]
        self.infos.append(text)


def image(tmp_path: Path, dockerfile: str, *platforms: str, name: str = "app",
          **inputs: object) -> PlatformCheck:
    ctx = tmp_path / name
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    build = BuildInputs(context=name, platforms=platforms, **inputs)  # type: ignore[arg-type]
    return PlatformCheck(image=f"127.0.0.1:5000/acme/{name}", build=build, cwd=str(tmp_path),
                         env={})


# -- docker buildx inspect -----------------------------------------------------------------
def test_inspect_of_the_docker_driver():
    info = parse_inspect(DEFAULT)
    assert (info.name, info.driver, info.running) == ("default", "docker", True)
    assert info.platforms == ("linux/amd64", "linux/amd64/v2", "linux/amd64/v3",
                              "linux/amd64/v4")


def test_inspect_of_a_builder_that_is_down_keeps_every_nodes_platforms_without_the_star():
    info = parse_inspect(REMOTE_DOWN)
    assert (info.name, info.driver, info.running) == ("remote-down", "remote", False)
    assert info.platforms == ("linux/amd64", "linux/arm64", "linux/arm/v7")


def test_inspect_of_a_builder_never_started_lists_nothing():
    info = parse_inspect(CONTAINER_INACTIVE)
    assert (info.name, info.driver, info.running, info.platforms) == \
        ("dc", "docker-container", False, ())


# -- BuildKit's matching (containerd platforms.Only) --------------------------------------
@pytest.mark.parametrize(("listed", "wanted", "runs"), [
    ("linux/amd64", "linux/amd64", True),
    ("linux/amd64", "linux/386", True),               # amd64 runs 386
    ("linux/amd64", "linux/amd64/v2", False),         # a lower level never runs a higher one
    ("linux/amd64/v3", "linux/amd64/v2", True),
    ("linux/amd64/v3", "linux/amd64", True),
    ("linux/amd64/v3", "linux/amd64/v1", True),       # containerd folds v1 into no variant
    ("linux/amd64/v3", "linux/amd64/v4", False),
    ("linux/amd64", "linux/x86_64", True),            # the alias normalise_platform knows
    ("linux/amd64", "linux/arm64", False),
    ("linux/arm64", "linux/arm64/v8", True),          # v8 is arm64's default
    ("linux/arm64", "linux/arm/v7", True),            # 64-bit arm runs 32-bit arm
    ("linux/arm64", "linux/arm", True),               # linux/arm is arm/v7
    ("linux/arm64", "linux/arm/v8", True),
    ("linux/arm64", "linux/arm/v5", True),
    ("linux/arm64", "linux/arm64/v8.2", False),
    ("linux/arm64/v8.2", "linux/arm64/v8.1", True),
    ("linux/arm64/v9", "linux/arm64/v8.5", True),
    ("linux/arm64/v9", "linux/arm64/v8.6", False),
    ("linux/arm/v7", "linux/arm/v6", True),
    ("linux/arm/v7", "linux/arm64", False),
    ("linux/arm/v6", "linux/arm/v7", False),
    ("linux/arm64", "linux/amd64", False),
    ("linux/s390x", "linux/s390x", True),
    ("linux/amd64", "linux/s390x", False),
    ("linux/riscv64", "linux/riscv64", True),
    ("linux/amd64", "windows/amd64", False),          # the OS has to match too
])
def test_builder_runs_what_buildkit_runs_without_an_emulator(listed, wanted, runs):
    assert builder_runs(wanted, [listed]) is runs


def test_every_listed_platform_runs_itself_and_is_first_in_its_set():
    for listed in ("linux/amd64", "linux/amd64/v4", "linux/arm64", "linux/arm64/v9.2",
                   "linux/arm/v8", "linux/ppc64le", "linux/386"):
        assert runs_on(listed)[0] == listed
        assert builder_runs(listed, [listed])


def test_a_platform_runs_when_any_listed_one_runs_it():
    listed = parse_inspect(DEFAULT).platforms
    assert builder_runs("linux/386", listed)
    assert builder_runs("linux/amd64/v4", listed)
    assert not builder_runs("linux/arm64", listed)
    assert not builder_runs("linux/arm64", [])


# -- the Dockerfile's RUN steps -----------------------------------------------------------
@pytest.mark.parametrize(("text", "target", "expected"), [
    (COPY_ONLY, "", []),
    (RUN_ON_TARGET, "", [("builder", 3, TARGET)]),
    (CROSS, "", [("build", 3, NATIVE)]),
    # a stage nobody copies from is not built
    ("FROM alpine AS test\nRUN make test\nFROM scratch\nCOPY a /a\n", "", []),
    ("FROM alpine AS test\nRUN make test\nFROM scratch\nCOPY a /a\n", "test",
     [("test", 2, TARGET)]),
    ("FROM alpine AS test\nRUN make test\nFROM scratch\nCOPY a /a\n", "TEST",
     [("test", 2, TARGET)]),
    # FROM <stage> runs where that stage runs
    ("FROM --platform=$BUILDPLATFORM alpine AS t\nFROM t AS d\nRUN true\nFROM scratch\n"
     "COPY --from=d /x /x\n", "", [("d", 3, NATIVE)]),
    # RUN --mount=from= and COPY --from=<index> reach a stage
    ("FROM alpine AS deps\nRUN apk add x\nFROM --platform=${BUILDPLATFORM} alpine AS b\n"
     "RUN --mount=type=bind,from=deps,target=/d true\nFROM scratch\nCOPY --from=1 /x /x\n", "",
     [("deps", 2, TARGET), ("b", 4, NATIVE)]),
    ("FROM --platform=$TARGETPLATFORM alpine\nRUN true\n", "", [("0", 2, TARGET)]),
    ("FROM --platform=linux/arm64 alpine\nRUN true\n", "", [("0", 2, "linux/arm64")]),
    ("ARG P\nFROM --platform=$P alpine\nRUN true\n", "", [("0", 3, UNKNOWN)]),
    ("ARG P=$BUILDPLATFORM\nFROM --platform=$P alpine\nRUN true\n", "", [("0", 3, NATIVE)]),
    # a global ARG may name the base stage
    ("ARG BASE=tools\nFROM --platform=$BUILDPLATFORM scratch AS tools\nFROM ${BASE}\n"
     "RUN true\n", "", [("1", 4, NATIVE)]),
    # a heredoc's body is not instructions; comments and continuations are skipped
    ("# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM busybox AS b\nRUN <<EOT\n"
     "FROM evil\nRUN echo hi\nEOT\nCOPY --from=b \\\n  # a comment\n  /x /y\nFROM scratch\n"
     "COPY --from=b /x /x\n", "", [("b", 3, NATIVE)]),
    ("FROM alpine AS a\nRUN <<-EOT\n\tFROM --platform=$BUILDPLATFORM x\n\tEOT\nFROM scratch\n"
     "COPY --from=a /x /x\n", "", [("a", 2, TARGET)]),
    ("# escape=`\nFROM --platform=$BUILDPLATFORM alpine AS a\nRUN echo `\n  hi\nFROM a\n"
     "RUN true\n", "", [("a", 3, NATIVE), ("1", 6, NATIVE)]),
    ("\n# just a comment\nFROM   alpine   as   Named\n\nrun true\n", "", [("named", 5, TARGET)]),
])
def test_run_steps_a_build_reaches(text, target, expected):
    scan = scan_text(text, target=target)
    assert scan.readable
    assert [(r.stage, r.line, r.platform) for r in scan.runs] == expected


WORDS = st.sampled_from(["FROM", "RUN", "COPY", "ADD", "ARG", "AS", "--platform=$BUILDPLATFORM",
                         "--from=0", "--mount=from=a", "<<EOF", "<<-X", "EOF", "\\", "#",
                         "# escape=`", "`", "a", "0", "${A:-b}", "$A", "\ufeff", " ", "\t"])
LINES = st.lists(st.lists(WORDS, max_size=6).map(" ".join), max_size=12).map("\n".join)


@given(text=st.one_of(LINES, st.text(max_size=200)), target=st.sampled_from(["", "a", "0"]))
def test_any_text_scans_without_an_exception(text, target):
    scan = scan_text(text, target=target, build_args={"A": "a"})
    assert all(r.line >= 1 for r in scan.runs)


def test_a_byte_order_mark_is_not_part_of_the_first_instruction():
    (run,) = scan_text("\ufeffFROM alpine\nRUN true\n").runs
    assert (run.line, run.platform) == (2, TARGET)


def test_a_build_arg_resolves_a_stage_platform():
    text = "ARG P\nFROM --platform=$P alpine\nRUN true\n"
    (run,) = scan_text(text, build_args={"P": "linux/arm64"}).runs
    assert run.platform == "linux/arm64"


def test_another_frontend_cannot_be_read():
    scan = scan_text("# syntax=example.invalid/frontend\nFROM x\nRUN y\n")
    assert not scan.readable and "frontend" in scan.reason
    assert scan_text("# syntax=docker/dockerfile:1.7\nFROM x\nRUN y\n").readable


# -- the check ------------------------------------------------------------------------------
def test_refused_when_the_target_platform_runs_a_command_the_builder_cannot_run(tmp_path,
                                                                                runner):
    fake = runner()
    with pytest.raises(InputError) as caught:
        check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/amd64", "linux/s390x")], Said())
    text = str(caught.value)
    assert caught.value.exit_code == 2
    assert "\n" not in text
    assert text.startswith("input 'platforms': builder default (docker driver) does not run "
                           "linux/s390x (it lists linux/amd64, linux/amd64/v2, linux/amd64/v3,"
                           " linux/amd64/v4)")
    assert "image 127.0.0.1:5000/acme/app" in text
    assert "app/Dockerfile:3: RUN in stage 'builder'" in text
    assert "nothing was built or pushed" in text
    assert "docker/setup-qemu-action" in text and "ghbuild platform --platform" in text
    assert fake.calls == [["docker", "buildx", "inspect", "--bootstrap"]]


def test_the_builder_input_is_the_one_inspected(tmp_path, runner):
    fake = runner(DEFAULT.replace("default", "ci-builder"))
    with pytest.raises(InputError, match="builder ci-builder "):
        check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/arm64", builder="ci-builder")],
                        Said())
    assert fake.calls == [["docker", "buildx", "inspect", "--bootstrap", "ci-builder"]]


def test_platforms_the_builder_runs_pass(tmp_path, runner):
    runner()
    said = Said()
    check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/amd64", "linux/amd64/v3",
                           "linux/386")], said)
    assert said.warnings == []


def test_a_dockerfile_that_runs_nothing_on_the_target_needs_no_look_at_the_builder(tmp_path,
                                                                                   runner):
    fake = runner()
    said = Said()
    check_platforms([image(tmp_path, COPY_ONLY, "linux/arm64", "linux/s390x"),
                     image(tmp_path, CROSS, "linux/arm64", name="cross")], said)
    assert fake.calls == [] and said.warnings == []


def test_no_platforms_asked_is_the_builders_own(tmp_path, runner):
    fake = runner()
    check_platforms([image(tmp_path, RUN_ON_TARGET)], Said())
    assert fake.calls == []


def test_the_second_image_is_refused_too_with_one_inspect_for_both(tmp_path, runner):
    fake = runner()
    with pytest.raises(InputError, match="image 127.0.0.1:5000/acme/web runs commands"):
        check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/amd64"),
                         image(tmp_path, RUN_ON_TARGET, "linux/ppc64le", name="web")], Said())
    assert len(fake.calls) == 1


@pytest.mark.parametrize(("stdout", "code", "stderr", "said"), [
    (REMOTE_DOWN, 0, "", "builder remote-down (remote driver) is not running"),
    (CONTAINER_INACTIVE, 0, "", "builder dc (docker-container driver) is not running"),
    (DEFAULT.replace("Platforms:", "Features:"), 0, "", "lists no platforms"),
    ("", 1, BOOTSTRAP_FAILED, "cannot read the platforms of builder current "
                               "(docker buildx inspect failed: ERROR: context deadline "
                               "exceeded)"),
    ("", 1, NO_BUILDER, 'no builder "nosuch" found'),
])
def test_a_builder_that_lists_nothing_is_not_refused_but_warned_once(tmp_path, runner, stdout,
                                                                     code, stderr, said):
    fake = runner(stdout, code, stderr)
    actions = Said()
    check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/s390x"),
                     image(tmp_path, RUN_ON_TARGET, "linux/s390x", name="web")], actions)
    # asked once: a bootstrap that times out is not waited for twice
    assert len(fake.calls) == 1
    assert len(actions.warnings) == 1, actions.warnings
    assert said in actions.warnings[0]
    assert "the build decides" in actions.warnings[0]


def test_a_remote_context_is_warned_not_refused(tmp_path, runner):
    runner()
    actions = Said()
    remote = PlatformCheck(image="127.0.0.1:5000/acme/app", env={}, cwd=str(tmp_path),
                           build=BuildInputs(context="https://example.invalid/repo.git",
                                             platforms=("linux/s390x",)))
    check_platforms([remote], actions)
    (warning,) = actions.warnings
    assert "does not run linux/s390x" in warning and "not a local file" in warning
    assert "exec format error" in warning


def test_an_unresolved_stage_platform_is_warned_not_refused(tmp_path, runner):
    runner()
    actions = Said()
    check_platforms([image(tmp_path, "ARG P\nFROM --platform=$P alpine\nRUN true\n",
                           "linux/s390x")], actions)
    (warning,) = actions.warnings
    assert "--platform ghbuild cannot resolve" in warning


def test_build_args_and_target_reach_the_scan(tmp_path, runner):
    runner()
    text = ("ARG P\nFROM --platform=$P alpine AS tools\nRUN true\nFROM scratch AS final\n"
            "COPY a /a\n")
    said = Said()
    check_platforms([image(tmp_path, text, "linux/s390x",
                           build_args=(KeyValue("P", "$BUILDPLATFORM"),), target="tools")],
                    said)
    assert said.warnings == []
    with pytest.raises(InputError, match="RUN in stage 'tools'"):
        check_platforms([image(tmp_path, text, "linux/s390x", target="tools",
                               build_args=(KeyValue("P", "$TARGETPLATFORM"),))], Said())


def test_detect_driver_reuses_the_checks_inspect(tmp_path, runner):
    fake = runner()
    check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/amd64")], Said())
    assert detect_driver({}, "") == "docker"
    assert len(fake.calls) == 1
    # another builder, or another runner (a new process), asks again
    detect_driver({}, "other")
    assert len(fake.calls) == 2
    again = runner()
    detect_driver({}, "")
    assert again.calls == [["docker", "buildx", "inspect"]]


def test_plan_asks_no_builder(monkeypatch, tmp_path, capsys):
    """``ghbuild plan`` makes no docker call: a platform no builder here runs, in a
    Dockerfile with a RUN on the target platform, is planned, not refused."""
    from tests.commands.test_plan import GitOnlyRunner, make_repo, pin_git, plan_json

    pin_git(monkeypatch, tmp_path)
    monkeypatch.setattr(proc, "RUNNER", GitOnlyRunner())  # any other process fails the test
    repo = make_repo(tmp_path)
    assert scan_text((repo / "Dockerfile").read_text()).on_target()
    (img,) = plan_json(capsys, repo, "--platforms", "linux/s390x")["images"]
    assert img["platforms"] == ["linux/s390x"]
    assert img["action"] == "build"
