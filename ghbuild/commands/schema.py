"""``ghbuild schema``: print the JSON Schema of ``.github/ghbuild.yml`` for editors.

The text is the file shipped in the package, byte for byte, so what an editor checks
against is exactly what ``load_config`` checks against.
"""

from __future__ import annotations

import argparse
import sys

from ..config import schema_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Save it next to the config and name it on the file's first line, "
                     "'# yaml-language-server: $schema=ghbuild.schema.json', for checks "
                     "and completion in the editor.")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0
