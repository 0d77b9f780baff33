"""The command line itself: help that lists what exists, usage errors as one line."""

from __future__ import annotations

import argparse
import importlib

import pytest

from ghbuild import cli
from ghbuild.cli import COMMANDS, main


def test_top_help_lists_every_command_and_debug(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, text in COMMANDS.items():
        assert f"  {name:<9} {text}\n" in out
    assert "--debug" in out and "traceback" in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_shows_debug(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ghbuild {name} ")
    assert "--debug " in out


def _parser(name: str) -> argparse.ArgumentParser:
    return cli._command_parser(name, importlib.import_module(f"ghbuild.commands.{name}"))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_with_fixed_values_lists_them(name: str) -> None:
    for action in _parser(name)._actions:
        if action.option_strings and action.choices is not None:
            assert action.help, action.option_strings
            assert all(str(c) in action.help for c in action.choices), action.option_strings


def test_meta_context_and_format_help_list_their_values() -> None:
    helps = {a.dest: a.help or "" for a in _parser("meta")._actions}
    assert "workflow" in helps["context"] and "git" in helps["context"]
    assert "json" in helps["format"] and "text" in helps["format"]


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["meta", "--format", "yaml"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("ghbuild meta: error: argument --format: invalid choice: 'yaml' (choose "
                   "from json, text)\n")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_unknown_option_is_one_line_for_every_command(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--no-such-flag"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"ghbuild {name}: error: ")
    assert "usage:" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["bogus"], "ghbuild: error: argument COMMAND: invalid choice: 'bogus' (choose from "
                + ", ".join(COMMANDS) + ")\n"),
    (["--bogus"], "ghbuild: error: unrecognized arguments: --bogus\n"),
])
def test_top_level_usage_error(argv: list[str], message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == message


def test_debug_adds_the_traceback_after_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["meta", "--tags", "type=semvr"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("ghbuild: error: input 'tags' line 1: ")
    for debug_argv in (["--debug", *argv], [*argv, "--debug"]):
        assert main(debug_argv) == 2  # the exit code stays (tests/test_round2_cli.py)
        err = capsys.readouterr().err
        assert err.startswith("ghbuild: error: input 'tags' line 1: ")
        assert "Traceback (most recent call last)" in err and "InputError" in err
