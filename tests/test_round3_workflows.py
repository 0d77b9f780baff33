"""Round 3 (M1): the templates' steps that give ghbuild a password run it with exec and a
here-string, so ghbuild is the step's entry process (the one the runner's cancel signal
reaches). Each such script is run by a real bash, with a ``ghbuild`` on PATH that says
its process id and what it read."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.test_workflows import ALL, ids, load, steps

FAKE = """#!/bin/sh
echo "pid=$$" > "$RUNNER_TEMP/seen"
echo "stdin=$(cat)" >> "$RUNNER_TEMP/seen"
"""


def _password_steps() -> list[tuple[Path, str, str]]:
    return [(path, name, step["run"]) for path in ALL for name, step in steps(load(path))
            if "--password-stdin" in step.get("run", "") and "ghbuild" in step["run"]]


def test_there_are_such_steps():
    assert {p.name for p, _, _ in _password_steps()} >= {"multi-platform.yml",
                                                         "monorepo.yml"}


@pytest.mark.parametrize(("path", "job", "script"), _password_steps(),
                         ids=[f"{ids([p])[0]}:{j}" for p, j, _ in _password_steps()])
def test_ghbuild_is_the_entry_process_and_reads_the_token(tmp_path, path, job, script):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ghbuild"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    entry = tmp_path / "step.sh"
    # the runner's default for a run: step on Linux: bash -e {0}; $$ is that bash
    entry.write_text('echo "$$" > "$RUNNER_TEMP/shell"\n' + script)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "REGISTRY_TOKEN": "tok-3", "GHBUILD_META": "{}", "GITHUB_ACTOR": "bot"}
    subprocess.run(["bash", "-e", str(entry)], env=env, check=True, timeout=30)
    seen = dict(re.findall(r"^(\w+)=(.*)$", (tmp_path / "seen").read_text(), re.M))
    assert seen["pid"] == (tmp_path / "shell").read_text().strip()   # exec: the same process
    assert seen["stdin"] == "tok-3"
