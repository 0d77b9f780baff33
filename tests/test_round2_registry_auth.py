"""registry-auth values: an empty registry is refused (only a missing key is Docker Hub),
docker login's URL forms are taken and read as their host, a bad scheme or port is named,
a user name with a control character is refused, and YAML merge keys work."""

from __future__ import annotations

import pytest

from ghbuild.errors import InputError
from ghbuild.login import parse_registry_auth
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

# run's unit-test harness (faked processes and registry client) and its workspace
harness = run_tests.harness
ws = run_tests.ws


def one(registry_line: str) -> str:
    text = f"- {registry_line}\n  username: alice\n  password: pw-1\n" if registry_line \
        else "- username: alice\n  password: pw-1\n"
    (entry,) = parse_registry_auth(text)
    return entry.credentials.host


def refused(text: str) -> str:
    with pytest.raises(InputError) as err:
        parse_registry_auth(text)
    return str(err.value)


@pytest.mark.parametrize("value", ['""', "''", "~", "null", "", "' '"])
def test_an_empty_registry_is_refused_not_docker_hub(value: str) -> None:
    text = f"- username: bob\n  password: x\n- registry: {value}\n  username: alice\n" \
           "  password: pw-1\n"
    message = refused(text)
    assert message.startswith("input 'registry-auth' line 3 (entry 2): 'registry' is empty")
    assert "leave the key out to log in to Docker Hub" in message


def test_a_missing_registry_is_docker_hub() -> None:
    assert one("") == "docker.io"


@pytest.mark.parametrize(("registry", "host"), [
    ("https://127.0.0.1:5104/v2/", "127.0.0.1:5104"),
    ("https://127.0.0.1:5104/v2", "127.0.0.1:5104"),
    ("https://ghcr.io", "ghcr.io"), ("http://ghcr.io/", "ghcr.io"),
    ("HTTPS://GHCR.io/v1/", "ghcr.io"),
    ("https://index.docker.io/v1/", "docker.io"), ("ghcr.io", "ghcr.io"),
    # docker and buildx file ghcr.io:443 under its own key, so it stays its own registry
    ("ghcr.io:443", "ghcr.io:443"),
])
def test_login_url_forms_are_their_host(registry: str, host: str) -> None:
    assert one(f"registry: {registry}") == host


@pytest.mark.parametrize(("registry", "expected"), [
    ("127.0.0.1:99999", "registry '127.0.0.1:99999': the port is out of range (1 to 65535)"),
    ("https://h.io:0/v2/", "the port is out of range (1 to 65535)"),
    ("ftp://x.io", "registry 'ftp://x.io': a registry is reached over https or http, not ftp"),
    ("ghcr.io/v2/", "give the host only ('ghcr.io'), not an image name"),
    ("https://ghcr.io/acme/app", "give the host only ('ghcr.io'), not an image name"),
])
def test_bad_registry_values_are_named(registry: str, expected: str) -> None:
    message = refused(f"- registry: {registry}\n  username: a\n  password: b\n")
    assert message.startswith("input 'registry-auth' line 1 (entry 1): ")
    assert expected in message
    assert "'ftp:'" not in message


def test_ghcr_443_and_ghcr_are_two_logins() -> None:
    text = ("- {registry: ghcr.io, username: a, password: b}\n"
            "- {registry: 'ghcr.io:443', username: c, password: d}\n")
    assert [e.credentials.host for e in parse_registry_auth(text)] == ["ghcr.io", "ghcr.io:443"]


@pytest.mark.parametrize(("user", "code"), [('"al\\nice"', "0a"), ('"al\\tice"', "09"),
                                            ('"al\\x1bice"', "1b"), ('"al\\u0085ice"', "85")])
def test_a_user_name_with_a_control_character_is_refused(user: str, code: str) -> None:
    message = refused(f"- registry: x.io\n  password: b\n  username: {user}\n")
    assert message == (f"input 'registry-auth' line 3 (entry 1): 'username' holds the control "
                       f"character #x{code} (a user name is one line of text)")


def test_merge_keys_are_expanded_the_entry_winning() -> None:
    text = ("- &base\n  registry: a.io\n  username: alice\n  password: pw-a\n"
            "- <<: *base\n  registry: b.io\n"
            "- <<: [{username: carol, password: pw-c}, *base]\n  registry: c.io\n")
    got = [(e.credentials.host, e.credentials.username, e.credentials.password)
           for e in parse_registry_auth(text)]
    assert got == [("a.io", "alice", "pw-a"), ("b.io", "alice", "pw-a"),
                   ("c.io", "carol", "pw-c")]


def test_merge_of_a_non_mapping_is_refused() -> None:
    assert "'<<' merges a mapping" in refused("- <<: [x]\n  username: a\n  password: b\n")


def test_a_key_written_twice_is_still_refused() -> None:
    assert "'username' is given twice" in refused(
        "- registry: a.io\n  username: a\n  username: b\n  password: c\n")


def test_run_refuses_an_empty_registry_before_any_login(harness) -> None:
    auth = "- registry: ''\n  username: alice\n  password: pw-canary-81\n"
    code, runner, _, io = harness({"INPUT_IMAGES": "127.0.0.1:5000/acme/x",
                                   "INPUT_REGISTRY-AUTH": auth})
    assert code == 2
    assert error_lines(io.err)[0].startswith(
        "::error::input 'registry-auth' line 1 (entry 1): 'registry' is empty")
    assert runner.argvs("docker", "login") == [] and runner.argvs("docker", "buildx") == []
    shown = [line for line in io.err.splitlines() if not line.startswith("::add-mask::")]
    assert "pw-canary-81" not in "\n".join(shown)


def test_run_refuses_a_user_name_input_with_a_line_break(harness) -> None:
    code, runner, _, io = harness({"INPUT_IMAGES": "127.0.0.1:5000/acme/x",
                                   "INPUT_USERNAME": "al\nice", "INPUT_PASSWORD": "pw-2"})
    assert code == 2
    assert "input 'username' holds the control character #x0a" in io.err
    assert runner.argvs("docker", "login") == []
