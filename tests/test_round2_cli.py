"""--debug adds a traceback and nothing else: every failure keeps its own exit code."""

from __future__ import annotations

import argparse
import errno
import signal

import pytest

from ghbuild import errors
from ghbuild.cli import Terminated, main
from ghbuild.commands import meta


def _subclasses(cls: type[errors.GhbuildError]) -> list[type[errors.GhbuildError]]:
    found: list[type[errors.GhbuildError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


ERRORS = _subclasses(errors.GhbuildError)


def test_every_error_class_is_covered() -> None:
    # a new error class joins the table below by itself; this guards the walk
    names = {cls.__name__ for cls in ERRORS}
    assert {"InputError", "ConfigError", "BuildError", "RegistryError", "PolicyError"} <= names


def _raising(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(args: argparse.Namespace) -> int:
        raise exc

    monkeypatch.setattr(meta, "run", run)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("debug", [False, True])
def test_error_exit_code_is_the_same_with_debug(
        cls: type[errors.GhbuildError], debug: bool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _raising(cls("it broke"), monkeypatch)
    argv = ["--debug", "meta"] if debug else ["meta"]
    assert main(argv) == cls.exit_code
    err = capsys.readouterr().err
    assert err.startswith("ghbuild: error: it broke\n")
    assert ("Traceback (most recent call last)" in err) is debug


def test_the_exit_codes_differ() -> None:
    # else the test above could pass with one constant
    assert {cls.exit_code for cls in ERRORS} == {1, 2, 3}


@pytest.mark.parametrize("debug", [False, True])
def test_os_error_is_exit_1_with_debug(debug: bool, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _raising(PermissionError(errno.EACCES, "Permission denied", "/x/y"), monkeypatch)
    assert main(["meta", "--debug"] if debug else ["meta"]) == 1
    err = capsys.readouterr().err
    assert "ghbuild: error: /x/y: Permission denied" in err
    assert ("Traceback (most recent call last)" in err) is debug


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("exc", "code"), [
    (Terminated(signal.SIGTERM), 128 + signal.SIGTERM),
    (KeyboardInterrupt(), 128 + signal.SIGINT),
], ids=["terminated", "keyboard-interrupt"])
def test_stop_keeps_its_exit_code_with_debug(
        exc: BaseException, code: int, debug: bool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _raising(exc, monkeypatch)
    assert main(["--debug", "meta"] if debug else ["meta"]) == code
    err = capsys.readouterr().err
    assert "ghbuild: terminated (signal " in err
    assert ("Traceback (most recent call last)" in err) is debug
