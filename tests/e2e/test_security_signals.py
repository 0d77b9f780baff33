"""SIGTERM (and SIGINT) to a real ``ghbuild run`` (a separate process, as on a runner)
while its real buildx child builds a slow Dockerfile after a real docker login to an
htpasswd registry: exit 128+n with one line, the private DOCKER_CONFIG gone, no buildx
process left over, and neither the password nor base64(user:password) anywhere under
RUNNER_TEMP. The process runner's own group handling is checked on a plain process tree
first."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ghbuild import proc
from tests.e2e.registry_servers import LocalRegistry, _need_registry_binary, htpasswd_auth
from tests.e2e.run_support import REPO_ROOT, new_sha

pytestmark = pytest.mark.e2e

USER = "sig"
PASSWORD = f"sig-pw-{uuid.uuid4().hex[:12]}"


def _cmdlines_with(marker: str) -> list[str]:
    """Every live process whose argv holds ``marker`` (zombies have an empty cmdline)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in raw:
            found.append(raw.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _gone(marker: str, seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _cmdlines_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_stop_ends_the_whole_process_group():
    """A child that started a grandchild: stopping the child stops both (the grandchild
    would be orphaned by a signal to the child alone)."""
    marker = f"ghbuild-grandchild-{uuid.uuid4().hex[:8]}"
    # the marker reaches only the grandchild's argv (through the environment)
    script = ("import os, subprocess, time; "
              "subprocess.Popen(['sh', '-c', 'sleep 300; : ' + os.environ['MARK']]); "
              "time.sleep(300)")
    child = proc._start([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                        env={**os.environ, "MARK": marker})
    deadline = time.monotonic() + 10
    while not _cmdlines_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _cmdlines_with(marker), "the grandchild did not start"
    assert os.getpgid(child.pid) == child.pid != os.getpgid(0)   # a group of its own
    proc.stop(child, grace=2.0)
    assert child.returncode == -signal.SIGTERM
    assert _gone(marker) == []


@pytest.fixture()
def auth_registry(tmp_path, engine_env):
    _need_registry_binary()
    reg = LocalRegistry(tmp_path / "reg", htpasswd_auth(tmp_path / "auth", {USER: PASSWORD}),
                        env={**os.environ, **engine_env}).start()
    yield reg
    reg.stop()


def _slow_workspace(tmp_path: Path, marker: str) -> Path:
    ws = tmp_path / "ws"
    (ws / "slow").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "examples" / "hello" / "busybox", ws / "slow" / "busybox")
    # The marker in the Dockerfile makes the build's cache key new on every run.
    (ws / "slow" / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        f'RUN ["/bin/busybox", "sh", "-c", "echo SLOW-STEP-STARTED {marker}; '
        '/bin/busybox sleep 120"]\n')
    return ws


def _wait_for(path: Path, text: str, child: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if child.poll() is not None:
            pytest.fail(f"ghbuild ended early ({child.returncode}):\n"
                        + path.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    child.kill()
    pytest.fail(f"{text!r} not seen in {seconds:g}s:\n" + path.read_text()[-3000:])


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGTERM, "TERM"), (signal.SIGINT, "INT")])
def test_a_signal_during_a_build_stops_buildx_and_removes_the_credentials(
        tmp_path, engine_env, auth_registry, examples_ready, signum, name):
    marker = uuid.uuid4().hex[:12]
    ws = _slow_workspace(tmp_path, marker)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"full_name": "acme/slow",
                                                "default_branch": "main"}}))
    image = f"{auth_registry.addr}/acme/slow-{marker}"
    env = {**os.environ, **engine_env,
           "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws), "RUNNER_TEMP": str(runner_temp),
           "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": new_sha(),
           "GITHUB_REPOSITORY": "acme/slow", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "sum"),
           "INPUT_IMAGES": image, "INPUT_CONTEXT": "slow", "INPUT_CACHE": "none",
           "INPUT_NETWORK": "host", "INPUT_USERNAME": USER, "INPUT_PASSWORD": PASSWORD}
    log = tmp_path / "ghbuild.log"
    with open(log, "wb") as out:
        child = subprocess.Popen([sys.executable, "-m", "ghbuild", "run"], cwd=ws, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(log, "SLOW-STEP-STARTED", child, 180)
        configs = list(runner_temp.glob("ghbuild-docker-*"))
        assert len(configs) == 1 and (configs[0] / "config.json").is_file()
        assert _cmdlines_with(image), "no buildx process with the image in its argv"
        child.send_signal(signum)
        code = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    text = log.read_text(errors="replace")
    assert code == 128 + signum, text[-3000:]
    assert text.rstrip("\n").splitlines()[-1] == f"ghbuild: terminated (signal {name})"
    assert text.count("ghbuild: terminated") == 1
    assert not configs[0].exists()
    assert list(runner_temp.glob("ghbuild-*")) == []
    # the docker and docker-buildx processes both had the image name on their argv
    assert _gone(image) == []
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    for path in runner_temp.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and pair not in data, path
    shown = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
    assert PASSWORD not in shown and pair.decode() not in shown
