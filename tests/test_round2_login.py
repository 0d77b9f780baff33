"""One password for docker login and ghbuild's own registry client: both read a
secret's trailing newline the way ``docker login --password-stdin`` does (one ``\\n``,
then one ``\\r`` taken off). The real docker login and registry: tests/e2e/
test_round2_login.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghbuild import proc
from ghbuild.commands import run as run_cmd
from ghbuild.gha import Actions
from ghbuild.login import Credentials, parse_registry_auth, private_docker_config
from ghbuild.registry import ImageRef
from ghbuild.registry.credentials import login_password, login_stdin


def docker_trim(stdin: str) -> str:
    """docker/cli's verifyLoginOptions, written out on its own: TrimSuffix "\\n", then
    TrimSuffix "\\r" (kept apart from login_password, so each checks the other)."""
    if stdin.endswith("\n"):
        stdin = stdin[:-1]
    if stdin.endswith("\r"):
        stdin = stdin[:-1]
    return stdin


@pytest.mark.parametrize(("raw", "password"), [
    ("pw", "pw"), ("pw\n", "pw"), ("pw\r\n", "pw"), ("pw\r", "pw"), ("pw\n\n", "pw\n"),
    ("pw\n\r", "pw\n"), ("pw\r\r", "pw\r"), (" pw ", " pw "), ("p\nw", "p\nw"),
])
def test_login_password_trims_as_docker_does(raw: str, password: str) -> None:
    assert login_password(raw) == password == docker_trim(raw)


@given(st.text(alphabet=st.sampled_from("ab\r\n "), max_size=8))
def test_docker_keeps_exactly_what_ghbuild_reads(raw: str) -> None:
    password = login_password(raw)
    assert docker_trim(raw) == password
    # what the login writes on stdin comes out of docker's trim as the same password
    assert docker_trim(login_stdin(password)) == password


def test_a_plain_password_goes_to_stdin_as_it_is() -> None:
    assert login_stdin("pw-1") == "pw-1"


AUTH = ('- registry: 127.0.0.1:5104\n  username: alice\n  password: "Pw2-Canary\\n"\n'
        '- registry: 127.0.0.1:5105\n  username: bob\n  password: "Pw3-Canary\\r\\n"\n')


def test_registry_auth_passwords_are_read_as_docker_login_reads_them() -> None:
    entries = parse_registry_auth(AUTH)
    assert [e.credentials.password for e in entries] == ["Pw2-Canary", "Pw3-Canary"]


def _inputs(env: dict[str, str]) -> run_cmd.RunInputs:
    return run_cmd.read_inputs({"INPUT_IMAGES": "127.0.0.1:5104/acme/x", **env})


def test_client_and_login_use_one_password(tmp_path: Path) -> None:
    inputs = _inputs({"INPUT_REGISTRY-AUTH": AUTH, "INPUT_REGISTRY": "127.0.0.1:5106",
                      "INPUT_USERNAME": "carol", "INPUT_PASSWORD": "Pw4-Canary\n",
                      "INPUT_GITHUB-TOKEN": "ghs_tok\r\n"})
    assert inputs.password == "Pw4-Canary" and inputs.github_token == "ghs_tok"
    ref = ImageRef.parse("127.0.0.1:5104/acme/x")
    logins = run_cmd._login_credentials(inputs, ref, "actor", hosts=["ghcr.io"])
    want = {"127.0.0.1:5104": "Pw2-Canary", "127.0.0.1:5105": "Pw3-Canary",
            "127.0.0.1:5106": "Pw4-Canary", "ghcr.io": "ghs_tok"}
    assert {c.host: c.password for c in logins} == want

    # ghbuild's client sends these (empty docker config: only this run's logins)
    (tmp_path / "cfg").mkdir()
    env = {"DOCKER_CONFIG": str(tmp_path / "cfg")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        client = run_cmd._client(inputs, ref, Actions({}, stream=io.StringIO()))
        store = client.creds
        for host, password in want.items():
            assert store.get(host).password == password

    # and docker login, after its own trim, holds the same ones
    seen: list[tuple[str, str]] = []

    class Login(proc.Runner):
        def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):  # type: ignore[override]
            seen.append((argv[-1], docker_trim(stdin or "")))
            return proc.Completed(tuple(argv), 0, "", "")

    prev = proc.set_runner(Login())
    try:
        with private_docker_config(logins, Actions({}, stream=io.StringIO()),
                                   environ={**env, "RUNNER_TEMP": str(tmp_path / "t")}):
            pass
    finally:
        proc.set_runner(prev)
    assert {normal(server): pw for server, pw in seen} == want


def normal(server: str) -> str:
    return Credentials(registry=server, username="u", password="p").host


def test_platform_and_merge_read_stdin_passwords_as_docker_login_does(monkeypatch):
    import argparse
    import io

    from ghbuild.commands import platform as platform_cmd
    from ghbuild.gha import Actions

    monkeypatch.setattr("sys.stdin", io.StringIO(" pw with spaces \r\n"))
    args = argparse.Namespace(password_stdin=True, username="bot")
    # only docker's trim: one \n, then one \r; the spaces are the password's
    assert platform_cmd._password(args, Actions({})) == " pw with spaces "
