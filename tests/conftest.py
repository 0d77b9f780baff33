"""Shared test setup.

Unit tests must not start processes or open sockets by accident: the process
runner is replaced by one that fails loudly unless a test installs its own fake.
Tests in tests/e2e/ use the real engine and are exempt.
"""

from __future__ import annotations

import pytest

from ghbuild import proc


class ForbiddenRunner(proc.Runner):
    def run(self, argv, **kwargs):  # type: ignore[override]
        raise AssertionError(f"unit test started a process without a fake: {list(argv)}")

    def stream(self, argv, **kwargs):  # type: ignore[override]
        raise AssertionError(f"unit test started a process without a fake: {list(argv)}")


@pytest.fixture(autouse=True)
def _no_real_processes(request):
    # e2e tests get the real runner explicitly, so nothing a unit test left behind can
    # reach them.
    chosen = proc.Runner() if "e2e" in request.node.nodeid.split("/") else ForbiddenRunner()
    previous = proc.set_runner(chosen)
    try:
        yield
    finally:
        proc.set_runner(previous)


@pytest.fixture(autouse=True)
def _clean_github_env(monkeypatch, request):
    """Each test starts with no runner variables from the machine it runs on."""
    import os

    for key in list(os.environ):
        if key.startswith(("GITHUB_", "INPUT_", "RUNNER_", "ACTIONS_", "DOCKER_METADATA_")) \
                or key == "SOURCE_DATE_EPOCH":
            if "e2e" in request.node.nodeid.split("/") and key.startswith("RUNNER_"):
                continue
            monkeypatch.delenv(key, raising=False)


def _socket_guard(original):
    """A socket.connect for unit tests: a network connection there is a bug."""
    import socket

    def connect(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"unit test opened a network connection to {address!r}; "
                                 "fake the HTTP call (or move the test to tests/e2e/)")
        return original(sock, address, *args)

    return connect


@pytest.fixture(autouse=True)
def _no_real_sockets(request, monkeypatch):
    if "e2e" in request.node.nodeid.split("/"):
        return
    import socket

    monkeypatch.setattr(socket.socket, "connect", _socket_guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _socket_guard(socket.socket.connect_ex))
