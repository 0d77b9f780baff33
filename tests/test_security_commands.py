"""Untrusted text (payload fields, labels, buildx's output, registry messages) never
starts a line of the log with a workflow command, nor holds a legacy ``##[`` one.
tests/e2e/test_security_commands.py runs the tester's payload through a real build."""

from __future__ import annotations

import io
import re

import pytest

from ghbuild.gha import Actions, safe_text
from tests.commands import test_run as run_tests

harness = run_tests.harness
ws = run_tests.ws

INJECTED = "line1\n::warning::INJECTED\n::add-mask::main"
# The runner's reading (actions/runner ActionCommand): "::" first after leading white
# space on a CR/LF-separated line, "##[" anywhere.
_V2 = re.compile(r"(?:\A|(?<=[\r\n]))\s*::(?:warning|add-mask|error|set-output|stop-commands)")


def commands_in(text: str) -> list[str]:
    lines = re.split(r"\r\n|\r|\n", text)
    return [ln for ln in lines if _V2.match(ln) or "##[" in ln]


@pytest.mark.parametrize(("text", "expected"), [
    ("::warning::x", "\\::warning::x"),
    ("  ::add-mask::main", "  \\::add-mask::main"),
    ("\u00a0\t::error::x", "\u00a0\t\\::error::x"),          # .NET trims NBSP too
    ("a\r::error::x\r\n::debug::y", "a\r\\::error::x\r\n\\::debug::y"),
    ("ok ##[add-mask]main", "ok #\\#[add-mask]main"),
    ("no::command here", "no::command here"),
    ("image: ghcr.io/a/b::x", "image: ghcr.io/a/b::x"),
])
def test_safe_text(text, expected):
    assert safe_text(text) == expected


@pytest.mark.parametrize("on_runner", [True, False])
def test_every_plain_output_path_neutralises(on_runner):
    out = io.StringIO()
    env = {"GITHUB_ACTIONS": "true"} if on_runner else {"RUNNER_DEBUG": "1"}
    actions = Actions(env, stream=out)
    actions.info(INJECTED)
    actions.debug(INJECTED)
    actions.warning(INJECTED)
    with actions.group(INJECTED):
        pass
    text = out.getvalue()
    assert "INJECTED" in text
    # our own commands (::warning::, ::debug::, ::group::) carry it escaped, on one line
    bad = [ln for ln in commands_in(text)
           if ln.lstrip().startswith(("::warning::INJECTED", "::add-mask::main"))]
    assert bad == [], text


def test_the_testers_payload_through_a_run_sends_no_command(harness):
    payload = {"repository": {**run_tests.REPO, "description": INJECTED}}
    runner = run_tests.FakeRunner(lines=("#1 [1/1] RUN echo", "::warning::FROM-BUILDX",
                                         "#2 ##[add-mask]main"))
    code, runner, _, io_ = harness({}, payload=payload, runner=runner)
    assert code == 0, io_.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert any("INJECTED" in arg for arg in build)   # the label did carry it
    lines = io_.err.splitlines()
    assert not any(ln.startswith(("::warning::INJECTED", "::add-mask::main",
                                  "::warning::FROM-BUILDX")) for ln in lines), io_.err
    assert not any("##[" in ln for ln in lines)
    assert "\\::warning::INJECTED" in io_.err and "\\::warning::FROM-BUILDX" in io_.err
