"""Semantic versions as metadata-action sees them (the npm ``semver`` package).

metadata-action first asks ``semver.valid(v)``, which is the strict grammar: an optional
single leading ``v``, ``MAJOR.MINOR.PATCH`` without leading zeros, an optional
``-prerelease`` and ``+build``; no coercion of ``1.2`` or ``v1``. It then reads the
fields with ``semver.parse(v, {loose: true})``, which for a string that passed the
strict test gives the same fields. So the strict grammar is all that is needed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"0|[1-9][0-9]*"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_FULL = re.compile(
    rf"v?({_NUM})\.({_NUM})\.({_NUM})"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+({_BUILD_ID}(?:\.{_BUILD_ID})*))?")
_MAX_LENGTH = 256               # npm semver's MAX_LENGTH
_MAX_SAFE_INTEGER = 2 ** 53 - 1


# The fields a semver pattern sees (SemVer.scope's keys), for checking templates early.
SCOPE_NAMES = ("version", "major", "minor", "patch", "prerelease", "build", "raw", "loose",
               "includePrerelease")


@dataclass(frozen=True)
class SemVer:
    raw: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]
    build: tuple[str, ...]

    @property
    def version(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        return text

    def scope(self) -> dict[str, object]:
        """What a ``pattern`` sees: the parsed object's own fields, as in npm semver."""
        return {"raw": self.raw, "version": self.version, "major": self.major,
                "minor": self.minor, "patch": self.patch, "loose": True,
                "includePrerelease": False, "prerelease": list(self.prerelease),
                "build": list(self.build)}


def parse(text: str) -> SemVer | None:
    """The parsed version, or None when ``semver.valid`` would say no."""
    if len(text) > _MAX_LENGTH:
        return None
    m = _FULL.fullmatch(text.strip())
    if not m:
        return None
    major, minor, patch = (int(g) for g in m.group(1, 2, 3))
    if max(major, minor, patch) > _MAX_SAFE_INTEGER:
        return None
    pre = tuple(_pre_id(p) for p in m.group(4).split(".")) if m.group(4) else ()
    build = tuple(m.group(5).split(".")) if m.group(5) else ()
    return SemVer(text, major, minor, patch, pre, build)


def _pre_id(part: str) -> int | str:
    if part.isdigit():
        number = int(part)
        if number <= _MAX_SAFE_INTEGER:
            return number
    return part
