"""The private DOCKER_CONFIG: password on stdin, plugins linked, removed also on failure.

The real ``docker login`` against the registry runs in tests/e2e/test_run_push.py.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.errors import RegistryError
from ghbuild.gha import Actions
from ghbuild.login import Credentials, private_docker_config


class LoginRunner(proc.Runner):
    def __init__(self, code=0):
        self.code, self.calls = code, []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        config = Path(env["DOCKER_CONFIG"])
        self.calls.append((list(argv), stdin, config, (config / "cli-plugins").exists()))
        return proc.Completed(tuple(argv), self.code, "", "denied for pw-very-secret")


@pytest.fixture()
def runner():
    def install(code=0):
        fake = LoginRunner(code)
        install.prev = proc.set_runner(fake)
        return fake
    yield install
    if hasattr(install, "prev"):
        proc.set_runner(install.prev)


def setup_base(tmp_path):
    base = tmp_path / "base"
    (base / "cli-plugins").mkdir(parents=True)
    (base / "cli-plugins" / "docker-buildx").write_text("#!/bin/sh\n")
    temp = tmp_path / "runner-temp"
    return {"DOCKER_CONFIG": str(base), "RUNNER_TEMP": str(temp)}


def test_login_password_on_stdin_plugins_linked_removed(tmp_path, runner):
    fake = runner()
    out = io.StringIO()
    actions = Actions({}, stream=out)
    creds = Credentials(registry="ghcr.io", username="bot", password="pw-very-secret")
    with private_docker_config([creds], actions, environ=setup_base(tmp_path)) as extra:
        path = Path(extra["DOCKER_CONFIG"])
        assert path.parent == tmp_path / "runner-temp"
        assert (path / "cli-plugins" / "docker-buildx").is_file()
        assert oct(path.stat().st_mode & 0o777) == "0o700"
    argv, stdin, config, had_plugins = fake.calls[0]
    assert argv == ["docker", "login", "--username", "bot", "--password-stdin", "ghcr.io"]
    assert stdin == "pw-very-secret" and config == path and had_plugins
    assert not path.exists()
    assert "pw-very-secret" not in out.getvalue() and "pw-very-secret" not in repr(creds)


def test_failed_login_removes_dir_and_redacts(tmp_path, runner):
    runner(code=1)
    env = setup_base(tmp_path)
    actions = Actions({}, stream=io.StringIO())
    creds = Credentials(registry="ghcr.io", username="bot", password="pw-very-secret")
    with pytest.raises(RegistryError) as err, private_docker_config([creds], actions,
                                                                    environ=env):
        pass
    assert str(err.value) == "docker login to ghcr.io failed: denied for ***"
    assert os.listdir(tmp_path / "runner-temp") == []


def test_body_failure_removes_dir(tmp_path, runner):
    runner()
    env = setup_base(tmp_path)
    with pytest.raises(RuntimeError), private_docker_config([], Actions({}), environ=env) as e:
        seen = Path(e["DOCKER_CONFIG"])
        raise RuntimeError("build failed")
    assert not seen.exists()


def test_other_registry_logins_are_kept_but_not_the_store(tmp_path, runner):
    runner()
    env = setup_base(tmp_path)
    base = Path(env["DOCKER_CONFIG"])
    (base / "config.json").write_text(json.dumps({
        "auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"},
                  "ghcr.io": {"auth": "b2xkOm9sZA=="}},
        "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
        "credsStore": "desktop", "proxies": {"default": {"httpProxy": "http://127.0.0.1:3"}}}))
    creds = Credentials(registry="ghcr.io", username="bot", password="pw-very-secret")
    with private_docker_config([creds], Actions({}), environ=env) as extra:
        got = json.loads((Path(extra["DOCKER_CONFIG"]) / "config.json").read_text())
    assert got == {"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"}},
                   "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
                   "proxies": {"default": {"httpProxy": "http://127.0.0.1:3"}}}


def test_unreadable_base_config_gives_an_empty_one(tmp_path, runner):
    runner()
    env = setup_base(tmp_path)
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text("not json")
    with private_docker_config([], Actions({}), environ=env) as extra:
        assert json.loads((Path(extra["DOCKER_CONFIG"]) / "config.json").read_text()) == {}


def test_builders_and_contexts_of_the_caller_stay_visible(tmp_path, runner):
    runner()
    env = setup_base(tmp_path)
    base = Path(env["DOCKER_CONFIG"])
    (base / "buildx" / "instances").mkdir(parents=True)
    (base / "contexts" / "meta").mkdir(parents=True)
    (base / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    creds = Credentials(registry="ghcr.io", username="bot", password="pw-very-secret")
    with private_docker_config([creds], Actions({}, stream=io.StringIO()),
                               environ=env) as extra:
        path = Path(extra["DOCKER_CONFIG"])
        assert extra["BUILDX_CONFIG"] == str(base / "buildx")
        assert (path / "contexts" / "meta").is_dir()
        assert json.loads((path / "config.json").read_text())["currentContext"] == "remote"


def test_a_given_buildx_config_is_left_alone(tmp_path, runner):
    runner()
    env = {**setup_base(tmp_path), "BUILDX_CONFIG": str(tmp_path / "own-buildx")}
    creds = Credentials(registry="ghcr.io", username="bot", password="pw-very-secret")
    with private_docker_config([creds], Actions({}, stream=io.StringIO()),
                               environ=env) as extra:
        assert "BUILDX_CONFIG" not in extra
