"""Reading action inputs: ``INPUT_*`` variables and strict scalar parsing.

A runner exports an input ``sep-tags`` as ``INPUT_SEP-TAGS`` (it keeps the dash);
hand-written environments and other tools use ``INPUT_SEP_TAGS``. Both are read.
Multi-line list inputs are parsed by :func:`ghbuild.meta.csvlist.parse_list`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import InputError

_TRUE = {"true"}
_FALSE = {"false"}


def env_input(name: str, environ: Mapping[str, str] | None = None, *,
              trim: bool = True) -> str | None:
    """The raw value of input ``name`` or None when neither spelling is set."""
    env = os.environ if environ is None else environ
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}",
                f"INPUT_{upper.replace('_', '-')}"):
        if key in env:
            value = env[key]
            return value.strip() if trim else value
    return None


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    """Strict boolean: ``true`` or ``false`` (any case), empty means the default."""
    if value is None or value.strip() == "":
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise InputError(f"input '{name}' must be 'true' or 'false', got {value!r}")


def check_writable_file(name: str, path: str) -> None:
    """``path`` can be appended to: an existing regular file we may write, or a new name
    in a directory that exists. Checked before anything runs, so a step output or summary
    that cannot be written is bad input up front, not a failure after the push."""
    if not path:
        return
    if os.path.exists(path):
        if os.path.isdir(path):
            raise InputError(f"{name} {path!r} is a directory; expected a file to append to")
        if not os.access(path, os.W_OK):
            raise InputError(f"{name} {path!r}: the file is not writable")
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InputError(f"{name} {path!r}: no such directory {parent!r}")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{name} {path!r}: the directory {parent!r} is not writable")


def check_runner_files(environ: Mapping[str, str] | None = None) -> None:
    """``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``, when set, through
    :func:`check_writable_file`."""
    env = os.environ if environ is None else environ
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        check_writable_file(name, env.get(name, ""))
