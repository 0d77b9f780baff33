"""The one place ghbuild starts child processes.

Every call takes an argument list, never a shell string, and an explicit
environment addition, so secrets travel through the environment or stdin and
never through argv. Tests replace :data:`RUNNER` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class Runner:
    """Runs commands. Subclassed by tests to record or forbid calls."""

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            stdin: str | None = None, cwd: str | None = None,
            check: bool = False) -> Completed:
        full_env = _merged_env(env)
        proc = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              env=full_env, cwd=cwd, check=False)
        done = Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, list(argv), proc.stdout,
                                                proc.stderr)
        return done

    def stream(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
               cwd: str | None = None,
               on_line: Callable[[str], None] | None = None) -> Completed:
        """Run with output streamed line by line (to stderr by default), also kept."""
        emit = on_line or (lambda line: print(line, file=sys.stderr, flush=True))
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, env=_merged_env(env),
                                cwd=cwd, bufsize=1)
        lines: list[str] = []
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            emit(line)
        code = proc.wait()
        return Completed(tuple(argv), code, "\n".join(lines), "")


def _merged_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    if extra:
        env.update(extra)
    return env


RUNNER: Runner = Runner()


def get_runner() -> Runner:
    return RUNNER


def set_runner(runner: Runner) -> Runner:
    """Swap the process runner; returns the previous one (for tests)."""
    global RUNNER
    previous, RUNNER = RUNNER, runner
    return previous
