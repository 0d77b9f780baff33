"""The one place ghbuild starts child processes.

Every call takes an argument list, never a shell string, and an explicit
environment addition, so secrets travel through the environment or stdin and
never through argv. Tests replace :data:`RUNNER` (see ``tests/conftest.py``).

Each child starts in a session (and so a process group) of its own, so that stopping
ghbuild stops the whole tree the child started: ``docker`` runs ``docker-buildx`` as a
child of its own, and a signal sent to ``docker`` alone would orphan it. The flip side is
that a terminal's Ctrl-C reaches only ghbuild; ``cli.main`` turns SIGINT, SIGTERM and
SIGHUP into :func:`signal_children` and an exception, and the runner below then stops
its child's group (TERM, a bounded wait, then KILL) before the exception goes on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# How long a child's process group gets between SIGTERM and SIGKILL. The Actions runner
# sends SIGINT, then SIGTERM 7.5 s later, then kills: the child's grace and ghbuild's own
# clean-up (removing the private docker config) must fit in that window.
STOP_GRACE_SECONDS = 4.0


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


# Children running now, in any thread (registry checks run in threads), so a signal
# handler can reach them all.
_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.RLock()   # re-entrant: a signal handler may run while it is held


def _start(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[str]:
    child: subprocess.Popen[str] = subprocess.Popen(  # type: ignore[call-overload]
        list(argv), text=True, start_new_session=True, **kwargs)
    with _LIVE_LOCK:
        _LIVE.add(child)
    return child


def _forget(child: subprocess.Popen[str]) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(child)


def _signal_group(child: subprocess.Popen[str], signum: int) -> None:
    # The leader is not reaped before stop() waits for it, so its pid (the group's id)
    # cannot have been given to another process yet.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def stop(child: subprocess.Popen[str], grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop a child and everything in its process group: SIGTERM, wait up to ``grace``
    seconds, then SIGKILL. Returns once the child is reaped."""
    _signal_group(child, signal.SIGTERM)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(child, signal.SIGKILL)
        child.wait()
    else:
        # the leader is gone; a member that ignored SIGTERM still must not outlive us
        _signal_group(child, signal.SIGKILL)
    _forget(child)


def signal_children(signum: int = signal.SIGTERM) -> None:
    """Send ``signum`` to every running child's process group, without waiting (safe in
    a signal handler: the children are reaped where they were started)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for child in live:
        if child.returncode is None:
            _signal_group(child, signum)


def stop_all(grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop every child still running (one started by a thread the signal did not reach)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for child in live:
        stop(child, grace)


class Runner:
    """Runs commands. Subclassed by tests to record or forbid calls."""

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            stdin: str | None = None, cwd: str | None = None,
            check: bool = False) -> Completed:
        with _start(argv, stdin=subprocess.PIPE if stdin is not None else None,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_merged_env(env),
                    cwd=cwd) as child:
            try:
                out, err = child.communicate(stdin)
            except BaseException:
                stop(child)
                raise
            finally:
                _forget(child)
        done = Completed(tuple(argv), child.returncode, out, err)
        if check and child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, list(argv), out, err)
        return done

    def stream(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
               cwd: str | None = None,
               on_line: Callable[[str], None] | None = None) -> Completed:
        """Run with output streamed line by line (to stderr by default), also kept."""
        emit = on_line or _print_line
        lines: list[str] = []
        with _start(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=_merged_env(env), cwd=cwd,
                    bufsize=1) as child:
            try:
                assert child.stdout is not None
                for raw in child.stdout:
                    line = raw.rstrip("\n")
                    lines.append(line)
                    emit(line)
                code = child.wait()
            except BaseException:
                stop(child)
                raise
            finally:
                _forget(child)
        return Completed(tuple(argv), code, "\n".join(lines), "")


def _print_line(line: str) -> None:
    from .gha import safe_line  # a child's line must not read as a workflow command

    print(safe_line(line), file=sys.stderr, flush=True)


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
