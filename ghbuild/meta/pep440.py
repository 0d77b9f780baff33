"""PEP 440 versions for ``type=pep440``, through :mod:`packaging` (imported only here).

metadata-action uses ``@renovate/pep440``, a port of the same grammar: ``valid`` accepts
what :class:`packaging.version.Version` accepts (a leading ``v``, surrounding spaces,
``1.0dev4``, ``1.1beta2``); ``clean`` is the normalised string (``1.0.dev4``, ``1.1b2``);
major/minor/patch are the first three release numbers, 0 when absent.
"""

from __future__ import annotations

from dataclasses import dataclass

# The names a pep440 pattern sees (the engine's scope for a final release).
SCOPE_NAMES = ("version", "major", "minor", "patch", "raw")


@dataclass(frozen=True)
class Pep440:
    raw: str
    clean: str
    major: int
    minor: int
    patch: int
    is_release: bool   # neither pre-, post- nor dev-release


def parse(text: str) -> Pep440 | None:
    from packaging.version import InvalidVersion, Version

    if text != text.strip():
        return None  # @renovate/pep440 refuses surrounding spaces, packaging strips them
    try:
        version = Version(text)
    except InvalidVersion:
        return None
    release = tuple(version.release) + (0, 0, 0)
    special = version.is_prerelease or version.is_postrelease or version.is_devrelease
    clean = str(version)
    if version.local is not None:
        # @renovate/pep440 joins the local segments with commas ("1.0+local,7"); keep its
        # output so tags match metadata-action's
        clean = f"{clean.split('+', 1)[0]}+{version.local.replace('.', ',')}"
    return Pep440(text, clean, release[0], release[1], release[2], not special)
