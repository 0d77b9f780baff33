"""A stop signal (SIGTERM, SIGINT, SIGHUP) during ``ghbuild run``: one line, exit 128+n, the
private docker config removed, the child's process group stopped.

The signal is real (sent to this test process from the faked buildx), the process runner
is faked; tests/e2e/test_security_signals.py sends SIGTERM to a real ``ghbuild run`` with a
real buildx child."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from ghbuild import cli, proc
from tests.commands import test_run as run_tests
from tests.commands.test_run import FakeRunner

# run's unit-test harness (faked processes and registry client) and its workspace
harness = run_tests.harness
ws = run_tests.ws


class SignalledRunner(FakeRunner):
    """docker login succeeds; the build gets ``signum`` while it runs."""

    def __init__(self, signum: int) -> None:
        super().__init__()
        self.signum = signum
        self.config_dirs: list[str] = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        if list(argv[:2]) == ["docker", "login"]:
            config = Path((env or {})["DOCKER_CONFIG"])
            self.config_dirs.append(str(config))
            (config / "config.json").write_text('{"auths": {"x": {"auth": "c2VjcmV0"}}}')
        return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        self.calls.append((list(argv), dict(env or {}), None))
        on_line("#5 [2/2] RUN sleep 300")
        os.kill(os.getpid(), self.signum)
        # the handler raises at the next bytecode; a build that went on would be a bug
        raise AssertionError("the signal did not stop the run")


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGTERM, "TERM"),
                                              (signal.SIGINT, "INT"),
                                              (signal.SIGHUP, "HUP")])
def test_a_stop_signal_removes_the_docker_config_and_exits_128_plus_n(harness, signum, name):
    runner = SignalledRunner(signum)
    code, _, client, io = harness({"INPUT_IMAGES": "127.0.0.1:5999/acme/widget",
                                   "INPUT_USERNAME": "bot", "INPUT_PASSWORD": "pw-canary-91"},
                                  runner=runner)
    assert code == 128 + signum, io.err
    assert io.err.splitlines()[-1] == f"ghbuild: terminated (signal {name})"
    assert io.err.count("ghbuild: terminated") == 1
    assert runner.config_dirs and not any(Path(d).exists() for d in runner.config_dirs)
    assert client.promoted == []          # nothing after the build was attempted
    # the handlers are the test process's own again
    assert signal.getsignal(signal.SIGTERM) is not cli._on_signal


def test_handlers_are_restored_after_a_normal_run(harness):
    before = {n: signal.getsignal(n) for n in cli.STOP_SIGNALS}
    code, _, _, io = harness({})
    assert code == 0, io.err
    assert {n: signal.getsignal(n) for n in cli.STOP_SIGNALS} == before


def test_the_handler_signals_live_children_then_ignores_a_second_signal(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(proc, "signal_children", lambda signum: sent.append(signum))
    previous = {n: signal.getsignal(n) for n in cli.STOP_SIGNALS}
    try:
        with pytest.raises(cli.Terminated) as caught:
            cli._on_signal(signal.SIGINT, None)
        assert caught.value.signum == signal.SIGINT and sent == [signal.SIGTERM]
        assert all(signal.getsignal(n) == signal.SIG_IGN for n in cli.STOP_SIGNALS)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _FakeChild:
    """The Popen surface proc.stop uses; wait() times out until ``exits_after`` signals."""

    def __init__(self, exits_after: int) -> None:
        self.pid, self.returncode, self.exits_after, self.waits = 4242, None, exits_after, []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) < self.exits_after:
            raise subprocess.TimeoutExpired("x", timeout)
        self.returncode = -15
        return self.returncode


@pytest.mark.parametrize(("exits_after", "expected"), [
    (1, [signal.SIGTERM, signal.SIGKILL]),      # gone on TERM; stragglers get KILL
    (2, [signal.SIGTERM, signal.SIGKILL]),      # ignored TERM for the grace: KILL
])
def test_stop_terms_the_group_waits_bounded_then_kills(monkeypatch, exits_after, expected):
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "killpg", lambda pid, signum: sent.append((pid, signum)))
    child = _FakeChild(exits_after)
    proc.stop(child, grace=0.5)  # type: ignore[arg-type]
    assert sent == [(4242, s) for s in expected]
    assert child.waits[0] == 0.5 and len(child.waits) == exits_after


def test_stop_of_a_group_already_gone_is_quiet(monkeypatch):
    def gone(pid, signum):
        raise ProcessLookupError
    monkeypatch.setattr(os, "killpg", gone)
    proc.stop(_FakeChild(1), grace=0.1)  # type: ignore[arg-type]
