"""Command-line entry point: ``ghbuild <command>`` and ``python -m ghbuild``.

Each subcommand lives in ``ghbuild/commands/<name>.py`` with two functions,
``configure(parser)`` and ``run(args) -> int``. Only the chosen command's module is
imported, so ``ghbuild meta`` stays free of HTTP, YAML and schema libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<9} {text}" for name, text in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="ghbuild", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build and push container images from GitHub Actions.",
        epilog=f"commands:\n{lines}\n\nexit codes: 0 ok, 1 failed, 2 bad input, 3 refused "
               "by policy")
    parser.add_argument("--version", action="version", version=f"ghbuild {__version__}")
    parser.add_argument("command", nargs="?", choices=list(COMMANDS), metavar="COMMAND")
    return parser


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
        top.parse_args(args_list[:1])  # prints help/version or an error, then exits
        return 2
    name, rest = args_list[0], args_list[1:]
    module = importlib.import_module(f"ghbuild.commands.{name}")
    parser = argparse.ArgumentParser(prog=f"ghbuild {name}", description=COMMANDS[name])
    module.configure(parser)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    args.debug = debug
    try:
        return int(module.run(args))
    except GhbuildError as exc:
        _report(str(exc), exc)
        if debug:
            raise
        return exc.exit_code
    except KeyboardInterrupt:
        print("ghbuild: interrupted", file=sys.stderr)
        return 130


def _report(message: str, exc: GhbuildError) -> None:
    import os

    if os.environ.get("GITHUB_ACTIONS") == "true":
        from .gha import Actions

        Actions().error(message, file=exc.file, line=exc.line, col=exc.col)
    else:
        print(f"ghbuild: error: {message}", file=sys.stderr)
