"""The runner context: payload files and SOURCE_DATE_EPOCH, each bad case one clear error."""

from __future__ import annotations

import pytest

from ghbuild import context
from ghbuild.errors import InputError


def test_from_env_reads_the_runner_variables_and_payload(tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"repository": {"default_branch": "trunk"}}', encoding="utf-8")
    ctx = context.from_env({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/trunk",
                            "GITHUB_REPOSITORY": "Acme/Widget", "GITHUB_EVENT_PATH": str(event),
                            "SOURCE_DATE_EPOCH": "1578616200", "GITHUB_ACTIONS": "true"})
    assert (ctx.event_name, ctx.repository_owner, ctx.default_branch) == ("push", "Acme", "trunk")
    assert ctx.now == 1578616200.0 and ctx.is_runner
    assert ctx.head_repository == "Acme/Widget"


def test_empty_variables_are_a_thin_context():
    ctx = context.from_env({"GITHUB_SERVER_URL": "", "GITHUB_EVENT_PATH": "", "GITHUB_SHA": ""})
    assert ctx.server_url == "https://github.com" and ctx.payload == {} and ctx.sha == ""


@pytest.mark.parametrize(("content", "expected"), [
    (None, "no such file"),
    ("dir", "is a directory, expected a JSON file"),
    (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    (b'{"a": }', ":1:7: not JSON: Expecting value"),
    (b"[1, 2]", "expected a JSON object"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply to read"),
])
def test_bad_payload_files_name_the_input(tmp_path, content, expected):
    path = tmp_path / "event.json"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as err:
        context.load_payload(str(path))
    assert str(err.value).startswith(f"GITHUB_EVENT_PATH {path}")
    assert expected in str(err.value)


@pytest.mark.parametrize(("raw", "expected"), [
    ("soon", "SOURCE_DATE_EPOCH must be whole seconds since 1970, got 'soon'"),
    ("1.5", "SOURCE_DATE_EPOCH must be whole seconds since 1970, got '1.5'"),
    ("-1", "SOURCE_DATE_EPOCH -1 is out of range"),
    ("１２３", "SOURCE_DATE_EPOCH must be whole seconds since 1970, got '１２３'"),
    ("--1", "SOURCE_DATE_EPOCH must be whole seconds since 1970, got '--1'"),
    ("1_000", "SOURCE_DATE_EPOCH must be whole seconds since 1970, got '1_000'"),
    ("99999999999999999", "SOURCE_DATE_EPOCH 99999999999999999 is out of range"),
])
def test_bad_source_date_epoch(raw, expected):
    with pytest.raises(InputError) as err:
        context.now_from_env({"SOURCE_DATE_EPOCH": raw})
    assert str(err.value).startswith(expected)


def test_largest_epoch_is_accepted():
    assert context.now_from_env({"SOURCE_DATE_EPOCH": "253402300799"}) == 253402300799.0
