from __future__ import annotations

import io
import json

import pytest

from ghbuild import cli
from ghbuild.commands import inspect as inspect_cmd
from ghbuild.registry import RegistryClient

from .fakeregistry import OCI_INDEX, FakeRegistry


@pytest.fixture()
def fake(monkeypatch, tmp_path):
    registry = FakeRegistry(auth="bearer", users={"bot": "tok-secret-1"}, private=["acme/priv"])
    made: list[RegistryClient] = []

    def factory(creds=None, **kw):
        client = RegistryClient(creds, session=registry.session(), **kw)
        made.append(client)
        return client

    monkeypatch.setattr(inspect_cmd, "RegistryClient", factory)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    registry.made = made  # type: ignore[attr-defined]
    return registry


def run(args, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_present_prints_json_and_exits_0(fake, capsys):
    digest = fake.add_index("acme/app", "v1", [("linux", "amd64"), ("linux", "arm64")])
    code, out, err = run(["reg.test/acme/app:v1", "--platform", "linux/arm64"], capsys)
    assert code == 0
    assert json.loads(out) == {"state": "present", "digest": digest, "mediaType": OCI_INDEX,
                               "platforms": ["linux/amd64", "linux/arm64"],
                               "reason": f"found {digest}"}
    assert err == ""


def test_absent_exits_1(fake, capsys):
    fake.add_image("acme/app", "v1")
    code, out, _ = run(["reg.test/acme/app:v2"], capsys)
    assert code == 1 and json.loads(out)["state"] == "absent"
    code, out, _ = run(["reg.test/acme/app:v1", "--platform", "linux/s390x"], capsys)
    assert code == 1 and "lacks platform linux/s390x" in json.loads(out)["reason"]


def test_unknown_exits_2_with_a_warning(fake, capsys):
    fake.add_image("acme/priv", "v1")
    code, out, err = run(["reg.test/acme/priv:v1"], capsys)
    assert code == 2
    doc = json.loads(out)
    assert doc["state"] == "unknown" and doc["reason"].startswith("access:")
    assert "warning: reg.test/acme/priv:v1: unknown: access:" in err


def test_password_from_stdin_is_used_and_never_printed(fake, capsys, monkeypatch):
    digest = fake.add_image("acme/priv", "v1")
    code, out, err = run(["reg.test/acme/priv:v1", "-u", "bot", "--password-stdin"], capsys,
                         stdin="tok-secret-1\n", monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["digest"] == digest
    assert "tok-secret-1" not in out + err


@pytest.mark.parametrize(("args", "words"), [
    (["reg.test/acme/app:v1", "--password-stdin"], "--password-stdin needs --username"),
    (["reg.test/acme/app:v1", "--username", "bot"], "--username needs --password-stdin"),
    (["reg.test/Acme/app"], "input 'REF'"),
    (["reg.test/acme/app", "--platform", "linux"], "input '--platform': 'linux'"),
    (["reg.test/acme/app", "--key", "abc"], "build key 'abc'"),
    (["reg.test/acme/app", "--timeout", "0"], "--timeout must be positive"),
])
def test_bad_input_exits_2_naming_it(fake, capsys, args, words):
    code, out, err = run(args, capsys)
    assert code == 2 and out == ""
    assert words in err
    assert fake.log == []


def test_empty_stdin_is_an_error(fake, capsys, monkeypatch):
    code, out, err = run(["reg.test/acme/app", "-u", "bot", "--password-stdin"], capsys,
                         stdin="", monkeypatch=monkeypatch)
    assert code == 2 and "stdin was empty" in err
