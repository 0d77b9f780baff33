"""The buildx runner with a faked process: driver, streaming, metadata, error lines.

The same behaviour runs against the real buildx in tests/e2e/test_run_*.py.
"""

from __future__ import annotations

import io
import json

import pytest

from ghbuild import proc
from ghbuild.build import BuildInputs, BuildPlan, KeyValue
from ghbuild.buildx import detect_driver, parse_failure, run_build
from ghbuild.errors import BuildError
from ghbuild.gha import Actions

# Captured from buildx 0.13.1 on the engine of scripts/provision-engine.sh.
RUN_FAILED = """\
#5 [2/2] RUN ["/bin/busybox", "false"]
#5 ERROR: process "/bin/busybox false" did not complete successfully: exit code: 1
------
 > [2/2] RUN ["/bin/busybox", "false"]:
------
Dockerfile:4
--------------------
   2 |     COPY busybox /bin/busybox
   3 |
   4 | >>> RUN ["/bin/busybox", "false"]
   5 |
--------------------
ERROR: failed to solve: process "/bin/busybox false" did not complete successfully: exit code: 1
""".splitlines()

PARSE_FAILED = """\
Dockerfile.prod:3
--------------------
   1 |     FROM scratch
   3 | >>> FOO bar
--------------------
ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: FOO
""".splitlines()

NO_FILE = ["#1 transferring dockerfile: 2B done",
           "ERROR: failed to solve: failed to read dockerfile: open nope: no such file"]


class FakeRunner(proc.Runner):
    def __init__(self, *, lines=(), code=0, metadata=None, stdout=""):
        self.lines, self.code, self.metadata, self.stdout = list(lines), code, metadata, stdout
        self.calls = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        self.calls.append((list(argv), dict(env or {}), stdin))
        return proc.Completed(tuple(argv), self.code, self.stdout, "boom")

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        self.calls.append((list(argv), dict(env or {}), None))
        if self.metadata is not None:
            path = argv[argv.index("--metadata-file") + 1]
            with open(path, "w") as fh:
                json.dump(self.metadata, fh)
        for line in self.lines:
            on_line(line)
        return proc.Completed(tuple(argv), self.code, "\n".join(self.lines), "")


@pytest.fixture()
def fake():
    holder = {}

    def install(**kwargs):
        runner = FakeRunner(**kwargs)
        holder["prev"] = proc.set_runner(runner)
        return runner
    yield install
    if "prev" in holder:
        proc.set_runner(holder["prev"])


def actions_on_runner():
    out = io.StringIO()
    return Actions({"GITHUB_ACTIONS": "true"}, stream=out), out


def test_detect_driver(fake):
    runner = fake(stdout="Name:   default\nDriver:        docker-container\nNodes:\n")
    assert detect_driver({"X": "1"}, builder="b1") == "docker-container"
    assert runner.calls[0][0] == ["docker", "buildx", "inspect", "b1"]


def test_detect_driver_failure(fake):
    fake(code=1)
    with pytest.raises(BuildError, match="docker buildx inspect failed: boom"):
        detect_driver()


def test_run_build_streams_in_a_group_redacted_and_reads_digest(fake):
    digest = "sha256:" + "a" * 64
    runner = fake(lines=["#1 step", "uses tok-123456"], metadata={
        "containerimage.digest": digest, "image.name": "r/i:main"})
    actions, out = actions_on_runner()
    actions.add_secret("tok-123456")
    plan = BuildPlan(inputs=BuildInputs(secrets=(KeyValue("npm", "tok-123456"),)),
                     tags=("r/i:main",), push=True)
    result = run_build(plan, actions, env={"DOCKER_CONFIG": "/p"})
    assert result.digest == digest
    argv, env, _ = runner.calls[0]
    assert env == {"DOCKER_CONFIG": "/p", "GHBUILD_SECRET_NPM": "tok-123456"}
    assert "--metadata-file" in argv and not any("tok-123456" in a for a in argv)
    log = out.getvalue().splitlines()
    assert log[1] == "::group::docker buildx build"
    assert log[2].startswith("$ docker buildx build --progress plain ")
    assert "uses ***" in log and log[5] == "::endgroup::"
    assert not any("tok-123456" in line for line in log[1:])  # only in ::add-mask::


def test_run_build_failure_carries_dockerfile_line(fake):
    fake(lines=RUN_FAILED, code=1)
    actions, _ = actions_on_runner()
    with pytest.raises(BuildError) as err:
        run_build(BuildPlan(inputs=BuildInputs()), actions, dockerfile="examples/bad/Dockerfile")
    assert err.value.file == "examples/bad/Dockerfile" and err.value.line == 4
    assert err.value.message == ('buildx build failed: failed to solve: process '
                                 '"/bin/busybox false" did not complete successfully: exit '
                                 'code: 1')


def test_parse_failure_parse_error_other_file_name():
    got = parse_failure(PARSE_FAILED, "docker/Dockerfile.prod")
    assert (got.file, got.line) == ("docker/Dockerfile.prod", 3)
    assert got.message.startswith("failed to solve: dockerfile parse error on line 3")


def test_parse_failure_without_location():
    got = parse_failure(NO_FILE, "Dockerfile")
    assert (got.file, got.line) == (None, None)
    assert "failed to read dockerfile" in got.message


def test_parse_failure_no_error_line_uses_last_line():
    assert parse_failure(["", "something odd", ""]).message == "something odd"
    assert parse_failure([]).message == "buildx failed with no output"


def test_missing_metadata_is_an_error(fake):
    fake(lines=["ok"], metadata=None)
    actions, _ = actions_on_runner()
    with pytest.raises(BuildError, match="metadata file .* unreadable"):
        run_build(BuildPlan(inputs=BuildInputs()), actions)


def test_parse_failure_docker_cli_error_keeps_the_cause():
    lines = ["unknown flag: --bogus", "See 'docker buildx build --help'.",
             "Run 'docker --help' for more information"]
    assert parse_failure(lines).message == "unknown flag: --bogus"


@pytest.mark.parametrize(("stdout", "code", "expected"), [
    # what this project's engine prints (dockerd 26, containerd snapshotter)
    ('[["driver-type","io.containerd.snapshotter.v1"]]\n', 0, True),
    ('[["Backing Filesystem","extfs"],["Supports d_type","true"],'
     '["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]\n',
     0, False),
    ("null\n", 0, None),
    ("template: :1: bad\n", 0, None),
    ("", 1, None),
], ids=["containerd", "classic", "null", "not-json", "failed"])
def test_containerd_store(fake, stdout, code, expected):
    from ghbuild.buildx import containerd_store

    runner = fake(stdout=stdout, code=code)
    assert containerd_store({"X": "1"}) is expected
    assert runner.calls[0][0] == ["docker", "info", "--format", "{{json .DriverStatus}}"]
