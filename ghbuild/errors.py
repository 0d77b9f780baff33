"""The few ways ghbuild fails, each with its exit code.

Every error is raised with a message that already locates the problem (the input,
its line, the bad text, what was expected); the one top-level handler in
:mod:`ghbuild.cli` prints it once and exits with :attr:`GhbuildError.exit_code`.

Exit codes (documented in the README):

* 0 success
* 1 a build, push or registry operation failed
* 2 bad input: a flag, an ``INPUT_*`` value, a config file, an image name
* 3 refused by policy (a release tag would move, a partial index would be published)
"""

from __future__ import annotations


class GhbuildError(Exception):
    """Base class; never raised directly."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 col: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(GhbuildError):
    """An input, flag or config value is malformed."""

    exit_code = 2


class ConfigError(InputError):
    """The config file is broken; carries file:line:col."""


class BuildError(GhbuildError):
    """buildx (or another engine call) failed."""

    exit_code = 1


class RegistryError(GhbuildError):
    """A registry answered something we cannot use for a write."""

    exit_code = 1


class PolicyError(GhbuildError):
    """The operation is refused by a safety rule, not by a fault."""

    exit_code = 3
