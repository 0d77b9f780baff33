"""Command-line entry point: ``ghbuild <command>`` and ``python -m ghbuild``.

Each subcommand lives in ``ghbuild/commands/<name>.py`` with two functions,
``configure(parser)`` and ``run(args) -> int``. Only the chosen command's module is
imported, so ``ghbuild meta`` stays free of HTTP, YAML and schema libraries.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, NoReturn

from . import __version__
from .errors import GhbuildError

COMMANDS: dict[str, str] = {
    "run": "compute tags, check the registry, build with buildx and push (the action's job)",
    "plan": "show what CI would tag, build and push, from a local checkout; changes nothing",
    "meta": "compute version, tags, labels and annotations (docker/metadata-action inputs)",
    "inspect": "ask a registry whether an image exists: present, absent or unknown",
    "merge": "join per-platform images into one index and apply the tags",
    "platform": "build one platform of a multi-platform image, push it by digest (matrix job)",
    "matrix": "print a strategy matrix of the configured images that changed",
    "init": "write a workflow template into .github/workflows/",
    "schema": "print the JSON Schema of .github/ghbuild.yml",
}


_DEBUG_HELP = "on an error, also print the Python traceback (before or after the command)"


class Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr and exit code 2: argparse's whole usage block
    would bury the one line that says what is wrong (``--help`` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # the choices plainly (json, text): Python versions quote them differently
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(str(c) for c in action.choices)
            raise argparse.ArgumentError(action, f"invalid choice: {value!r} (choose from "
                                                 f"{choices})")


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<9} {text}" for name, text in COMMANDS.items())
    parser = Parser(
        prog="ghbuild", formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="ghbuild [--debug] COMMAND [options]  (ghbuild COMMAND --help for its options)",
        description="Build and push container images from GitHub Actions.",
        epilog=f"commands:\n{lines}\n\nexit codes: 0 ok, 1 failed, 2 bad input, 3 refused "
               "by policy")
    parser.add_argument("--version", action="version", version=f"ghbuild {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    parser.add_argument("command", nargs="?", choices=list(COMMANDS), metavar="COMMAND",
                        help="one of the commands below")
    return parser


def _command_parser(name: str, module: Any) -> argparse.ArgumentParser:
    parser = Parser(prog=f"ghbuild {name}", description=COMMANDS[name])
    module.configure(parser)
    # main() takes --debug out before parsing; declared here so each --help shows it
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    _describe_choices(parser)
    return parser


def _describe_choices(parser: argparse.ArgumentParser) -> None:
    """Every option with fixed values says them in its help, whoever wrote it."""
    for action in parser._actions:
        if not action.option_strings or action.choices is None or \
                action.help == argparse.SUPPRESS:
            continue
        values = [str(c) for c in action.choices]
        text = action.help or ""
        if not all(v in text for v in values):
            listed = f"one of: {', '.join(values)}"
            action.help = f"{text} ({listed})" if text else listed


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    if debug:
        args_list.remove("--debug")
    if not args_list or args_list[0].startswith("-") or args_list[0] not in COMMANDS:
        top = _top_parser()
        if not args_list:
            top.print_help(sys.stderr)
            return 2
        try:
            top.parse_args(args_list[:1])  # prints help/version or an error, then exits
        except SystemExit as exc:
            return int(exc.code or 0)
        return 2
    name, rest = args_list[0], args_list[1:]
    module = importlib.import_module(f"ghbuild.commands.{name}")
    parser = _command_parser(name, module)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    args.debug = debug
    previous = _catch_stop_signals()
    try:
        return int(module.run(args))
    except GhbuildError as exc:
        _report(str(exc), exc)
        if debug:
            _traceback(exc)
        return exc.exit_code
    except OSError as exc:
        return _os_error(exc, debug)
    except Terminated as exc:
        if debug:
            _traceback(exc)
        return _terminated(exc.signum)
    except KeyboardInterrupt as exc:  # SIGINT where no handler could be set (not main thread)
        if debug:
            _traceback(exc)
        return _terminated(signal.SIGINT)
    finally:
        # after _terminated: a second signal must not cut its clean-up short
        for number, handler in previous.items():
            signal.signal(number, handler)


# -- signals ------------------------------------------------------------------------------
# The Actions runner cancels a step with SIGINT, then SIGTERM, then SIGKILL; a terminal
# sends SIGINT or SIGHUP. Python's default for SIGTERM and SIGHUP ends the process at once,
# skipping every ``finally``: the private docker config with the registry password would
# stay on disk and the buildx child would run on. So each of them raises Terminated in the
# main thread, which unwinds through every clean-up.
# Known limit: unwinding out of a ThreadPoolExecutor block (many registry checks, the
# read-back after a push) waits for its running and queued requests, each bounded by the
# registry client's timeout, so the clean-up can come after the runner's SIGKILL.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                     if hasattr(signal, name))


class Terminated(BaseException):
    """A stop signal arrived. A BaseException, so ``except Exception`` handlers on the
    way up do not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: FrameType | None) -> None:
    from . import proc

    # children first: they are in their own process groups (see proc), and a child of a
    # worker thread would otherwise run on until that thread's work is done
    proc.signal_children(signal.SIGTERM)
    # once only: the runner's SIGTERM follows its SIGINT and must not cut the clean-up
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    raise Terminated(signum)


def _catch_stop_signals() -> dict[int, Any]:
    """Install :func:`_on_signal`; returns the handlers it replaced."""
    try:
        return {number: signal.signal(number, _on_signal) for number in STOP_SIGNALS}
    except ValueError:   # not the main thread (main() called from a thread): left alone
        return {}


def _terminated(signum: int) -> int:
    from . import proc

    proc.stop_all()
    print(f"ghbuild: terminated (signal {signal.Signals(signum).name.removeprefix('SIG')})",
          file=sys.stderr, flush=True)
    return 128 + signum


def _report(message: str, exc: GhbuildError) -> None:
    import os

    if os.environ.get("GITHUB_ACTIONS") == "true":
        from .gha import Actions

        Actions().error(message, file=exc.file, line=exc.line, col=exc.col)
    else:
        print(f"ghbuild: error: {message}", file=sys.stderr)


def _os_error(exc: OSError, debug: bool) -> int:
    """The last resort for a file or program the checks before did not catch: one line
    naming it (exit 1), the traceback only with --debug."""
    from .errors import BuildError

    what = exc.filename if exc.filename is not None else ""
    if isinstance(exc, FileNotFoundError) and _from_subprocess(exc) and what and \
            "/" not in str(what):
        message = (f"{what} not found on PATH (ghbuild runs {what}: install it or put its "
                   "directory on PATH)")
    else:
        detail = exc.strerror or str(exc)
        message = f"{what}: {detail}" if what else detail
        if exc.filename2 is not None:
            message += f" ({exc.filename2})"
    _report(message, BuildError(message))
    if debug:
        _traceback(exc)
    return 1


def _traceback(exc: BaseException) -> None:
    """--debug prints the traceback and changes nothing else: a step's exit code (2 bad
    input, 3 refused by policy) must not depend on whether someone is debugging it."""
    import traceback

    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    sys.stderr.flush()


def _from_subprocess(exc: BaseException) -> bool:
    """Raised while starting a child process (subprocess's exec), not by an open()."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("subprocess.py"):
            return True
        tb = tb.tb_next
    return False
