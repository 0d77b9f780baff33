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


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(("text", "kind", "message"), [
    ('{"a": }', dict, "opt:1:7: not JSON: Expecting value"),
    ('{\n  "a": 1,\n}', dict, "opt:3:1: not JSON: "),  # json's own wording varies
    ("[1]", dict, "opt: expected what the test wants"),
    ("{}", list, "opt: expected what the test wants"),
    (DEEP, list, "opt: nested too deeply to read"),
])
def test_parse_json_names_the_source(text, kind, message):
    with pytest.raises(InputError) as err:
        context.parse_json(text, "opt", kind, "what the test wants")
    assert str(err.value).startswith(message)
    assert message.endswith(": ") or str(err.value) == message


def test_parse_json_returns_the_document():
    assert context.parse_json('{"a": [1]}', "opt", dict, "x") == {"a": [1]}
    assert context.parse_json("[]", "opt", list, "x") == []


def test_every_json_option_reads_through_the_one_helper():
    # merge --promote-only, a handover file and the shared meta: the same line:col errors,
    # and a deeply nested input is an error, not a RecursionError traceback.
    from ghbuild.matrix import parse_promote_only
    from ghbuild.multiplatform import parse_handover, parse_shared_meta

    for parse, source in ((parse_promote_only, "--promote-only"), (parse_handover, "h.json"),
                          (parse_shared_meta, "--meta m.json")):
        with pytest.raises(InputError, match=rf"^{source}:1:2: not JSON"):
            parse("{", source)
        with pytest.raises(InputError, match=rf"^{source}: nested too deeply to read$"):
            parse(DEEP, source)


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
