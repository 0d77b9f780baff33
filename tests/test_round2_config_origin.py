"""Input errors found late for an image of .github/ghbuild.yml are reported at the file's
line of the key that set that input, with the image named (docs/config.md, "Errors").
The real buildx platform check: tests/e2e/test_round2_config_origin.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghbuild import proc
from tests.commands import test_run as run_tests
from tests.commands.test_run import FakeRunner, error_lines

harness = run_tests.harness
ws = run_tests.ws

HEAD = ("defaults:\n  tags: type=ref,event=branch\nimages:\n"
        "  - name: ghcr.io/acme/widget-api\n    context: api\n"
        "  - name: ghcr.io/acme/widget-web\n    context: web\n")  # web's entry: lines 6-7


def config(ws: Path, extra: str = "", head: str = HEAD) -> None:
    for sub in ("api", "web"):
        (ws / sub).mkdir(exist_ok=True)
        (ws / sub / "Dockerfile").write_text("FROM scratch AS base\n")
    (ws / ".github").mkdir(exist_ok=True)
    (ws / ".github" / "ghbuild.yml").write_text(head + extra)


def only_error(io) -> str:
    (line,) = error_lines(io.err)
    return line


@pytest.mark.parametrize(("extra", "where", "says"), [
    ("    target: nostage\n", "line=8,col=5", "images[1].target: stage 'nostage' is not in "
                                               "web/Dockerfile"),
    ("    provenance: mode=maxx\n", "line=8,col=5", "images[1].provenance: mode='maxx' is not "
                                                    "one of min, max"),
    ("    file: web/Nope\n", "line=8,col=5", "images[1].file: Dockerfile 'web/Nope' not found"),
    ("    build-args:\n      A: '1'\n      B: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
     "line=10,col=7", "images[1].build-args: the value of build arg 'B' looks like a "
                      "credential"),
])
def test_late_errors_name_the_config_line_and_the_image(harness, ws, extra, where, says):
    config(ws, extra)
    code, runner, client, io = harness({"INPUT_PASSWORD": "pw-x", "INPUT_USERNAME": "u"})
    assert code == 2, io.err
    line = only_error(io)
    assert line.startswith(f"::error file=.github/ghbuild.yml,{where}::"), line
    number, col = (part.split("=")[1] for part in where.split(","))
    assert f"::.github/ghbuild.yml:{number}:{col}: {says}" in line
    assert "(image ghcr.io/acme/widget-web)" in line
    assert runner.argvs("docker", "login") == [] and client.promoted == []


def test_a_missing_context_is_at_its_key(harness, ws):
    config(ws)
    (ws / "web" / "Dockerfile").unlink()
    (ws / "web").rmdir()
    code, _, _, io = harness({})
    assert code == 2
    line = only_error(io)
    assert line.startswith("::error file=.github/ghbuild.yml,line=7,col=5::")
    assert "images[1].context: 'web': no such directory" in line
    assert "(image ghcr.io/acme/widget-web)" in line


def test_a_default_is_reported_at_the_defaults_key_for_that_image(harness, ws):
    config(ws, head=HEAD.replace("defaults:\n", "defaults:\n  target: nostage\n"))
    code, _, _, io = harness({})
    assert code == 2
    line = only_error(io)
    assert line.startswith("::error file=.github/ghbuild.yml,line=2,col=3::")
    assert "defaults.target (for images[0]): stage 'nostage' is not in api/Dockerfile" in line
    assert "(image ghcr.io/acme/widget-api)" in line


def test_a_flag_keeps_its_own_name(harness, ws):
    config(ws, "    target: base\n")
    code, _, _, io = harness({}, argv=("--image", "widget-web", "--target", "nostage"))
    assert code == 2
    assert "input 'target': stage 'nostage' is not in web/Dockerfile" in only_error(io)
    assert "ghbuild.yml" not in only_error(io)


def test_an_input_not_set_by_the_file_keeps_its_name(harness, ws):
    config(ws)
    code, _, _, io = harness({"INPUT_PROVENANCE": "mode=maxx"})
    assert code == 2
    line = only_error(io)
    assert "input 'provenance'" in line and "ghbuild.yml" not in line


def test_without_a_config_file_errors_are_unchanged(harness):
    code, _, _, io = harness({"INPUT_TARGET": "nostage"})
    assert code == 2
    assert "::error::input 'target': stage 'nostage'" in only_error(io)


class S390Builder(FakeRunner):
    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        if list(argv[:3]) == ["docker", "buildx", "inspect"]:
            self.calls.append((list(argv), dict(env or {}), stdin))
            return proc.Completed(tuple(argv), 0, "Name: default\nDriver: docker\n\nNodes:\n"
                                  "Name: default\nStatus: running\n"
                                  "Platforms: linux/amd64\n", "")
        return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)


def test_a_platform_the_builder_cannot_run_is_at_the_platforms_key(harness, ws):
    config(ws, "    platforms: [linux/s390x]\n")
    (ws / "web" / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/sh\nRUN true\n")
    code, runner, _, io = harness({}, runner=S390Builder())
    assert code == 2, io.err
    line = only_error(io)
    assert line.startswith("::error file=.github/ghbuild.yml,line=8,col=5::")
    assert "images[1].platforms: builder default (docker driver) does not run linux/s390x" \
        in line
    assert runner.argvs("docker", "buildx", "build") == []
