"""GitHub Actions I/O: log groups, annotations, masks, step outputs and the job summary.

Everything ghbuild writes for the runner goes through :class:`Actions`. Outside a
runner the same calls print plain, readable stderr lines. Secrets are redacted
here before anything is printed: we never rely on the runner's own masking.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import TextIO


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# The runner reads a workflow command from any line of a step's output: ``::name::`` at the
# start of a line once leading white space is trimmed, and the legacy ``##[name]`` anywhere
# in a line (actions/runner, ActionCommand.TryParseV2 and TryParse). Text ghbuild did not
# write (payload fields, labels, buildx's and a registry's messages) can hold either.
# A line, as the runner splits a step's output (at CR, LF or CRLF), starting with "::"
# after white space (.NET's TrimStart, which also trims NBSP, VT, FF and the like).
_COMMAND_START = re.compile(r"(?:\A|(?<=[\r\n]))([^\S\r\n]*)::")
_LEGACY_COMMAND = "##["


def safe_text(text: str) -> str:
    """Log text that the runner cannot read as a workflow command: at the start of a line a
    ``::`` becomes ``\\::``, and every ``##[`` becomes ``#\\#[``; other text unchanged.

    Per line rather than between ``::stop-commands::`` and its token: that pair leaves the
    runner deaf to every later command of the job when ghbuild is killed (SIGKILL) between
    the two, so a later step's ``::add-mask::`` (an ``if: always()`` clean-up, say) would
    be ignored and its secret printed; and while it is on, ghbuild's own masks and
    annotations would go unread."""
    if _LEGACY_COMMAND in text:
        text = text.replace(_LEGACY_COMMAND, "#\\#[")
    return _COMMAND_START.sub(r"\1\\::", text) if "::" in text else text


safe_line = safe_text   # one line is the same rule; the name says what a caller has


def safe_json(text: str) -> str:
    """JSON text (a result on stdout, which the runner reads too) with every ``##[`` written
    ``##\\u005b``: the same JSON value, and no legacy command. ``##[`` can only be inside a
    string, and a line of indented JSON starts with white space and ``"``, ``{``, ``[`` or
    ``}``, never ``::``."""
    return text.replace(_LEGACY_COMMAND, "##\\u005b")


class Actions:
    def __init__(self, environ: Mapping[str, str] | None = None,
                 stream: TextIO | None = None) -> None:
        env = os.environ if environ is None else environ
        self.on_runner = env.get("GITHUB_ACTIONS") == "true"
        self.output_path = env.get("GITHUB_OUTPUT", "")
        self.summary_path = env.get("GITHUB_STEP_SUMMARY", "")
        self.debug_enabled = env.get("RUNNER_DEBUG") == "1"
        self._stream = stream
        self._secrets: list[str] = []
        # Registry checks run in threads and may register a token while another thread
        # logs: one lock keeps the secret list whole and each line (mask lines included)
        # in one piece on the stream.
        self._lock = threading.RLock()

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    # -- secrets ----------------------------------------------------------------
    def add_secret(self, value: str) -> None:
        """Register a value to redact from every line; also ask the runner to mask it."""
        if not value or len(value) < 4:
            return
        with self._lock:
            secrets = list(self._secrets)
            for part in {value, *value.splitlines()}:
                if part and len(part) >= 4 and part not in secrets:
                    secrets.append(part)
                    if self.on_runner:
                        self._raw(f"::add-mask::{_escape_data(part)}")
            # a new list, never one sorted in place, so redact() can read without the lock
            self._secrets = sorted(secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- logging ----------------------------------------------------------------
    def _raw(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def info(self, message: str) -> None:
        """A plain log line (or lines): never read by the runner as a command."""
        self._raw(safe_text(self.redact(message)))

    def debug(self, message: str) -> None:
        if self.on_runner:
            self._raw(f"::debug::{_escape_data(self.redact(message))}")
        elif self.debug_enabled:
            self._raw(safe_text("debug: " + self.redact(message)))

    def annotate(self, level: str, message: str, *, file: str | None = None,
                 line: int | None = None, col: int | None = None,
                 title: str | None = None) -> None:
        message = self.redact(message)
        if not self.on_runner:
            where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
            self._raw(safe_text(f"{level}: {where}{message}"))
            return
        props = []
        if file:
            props.append(f"file={_escape_prop(file)}")
        if line is not None:
            props.append(f"line={line}")
        if col is not None:
            props.append(f"col={col}")
        if title:
            props.append(f"title={_escape_prop(title)}")
        head = f"::{level} {','.join(props)}::" if props else f"::{level}::"
        self._raw(head + _escape_data(message))

    def notice(self, message: str, **where: object) -> None:
        self.annotate("notice", message, **where)  # type: ignore[arg-type]

    def warning(self, message: str, **where: object) -> None:
        self.annotate("warning", message, **where)  # type: ignore[arg-type]

    def error(self, message: str, **where: object) -> None:
        self.annotate("error", message, **where)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        start = time.monotonic()
        title = self.redact(title)
        self._raw(f"::group::{_escape_data(title)}" if self.on_runner
                  else safe_text(f"== {title}"))
        try:
            yield
        finally:
            took = time.monotonic() - start
            if self.on_runner:
                self._raw("::endgroup::")
            self.debug(f"{title} took {took:.1f}s")

    # -- outputs and summary ------------------------------------------------------
    def set_output(self, name: str, value: str) -> None:
        """Write a step output; multi-line values use a random heredoc delimiter."""
        value = self.redact(value)
        if not self.output_path:
            return
        delim = f"ghadelim_{uuid.uuid4().hex}"
        with open(self.output_path, "a", encoding="utf-8") as fh:
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")

    def summary(self, markdown: str) -> None:
        if not self.summary_path:
            return
        with open(self.summary_path, "a", encoding="utf-8") as fh:
            fh.write(self.redact(markdown).rstrip("\n") + "\n")
