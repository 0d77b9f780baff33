"""OCI labels and annotations: defaults from the repository, user entries override them.

Entries are ``key=value``; one without ``=`` is dropped (as metadata-action does). A key
given twice keeps the last value. The list is sorted the way JavaScript's
``localeCompare`` sorts it (ICU root collation: punctuation before digits before
letters, case-insensitive first, lowercase before uppercase on a tie) because that is
the order metadata-action prints; for non-ASCII keys the order here is by code point
after ASCII letters, an approximation of ICU that only matters for such keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..errors import InputError

LEVELS = ("manifest", "index", "manifest-descriptor", "index-descriptor")
_LEVEL_RE = re.compile(r"(manifest|index|manifest-descriptor|index-descriptor)(\[[^\]]*\])?")

# ICU root order of the ASCII punctuation and symbols (all sort before digits).
_PUNCT = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PRIMARY = {ch: i for i, ch in enumerate(_PUNCT)}
_DIGIT_BASE = len(_PUNCT)
_LETTER_BASE = _DIGIT_BASE + 10


def _collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    primary: list[int] = []
    tertiary: list[int] = []
    for ch in text:
        if ch in _PRIMARY:
            primary.append(_PRIMARY[ch])
            tertiary.append(0)
        elif "0" <= ch <= "9":
            primary.append(_DIGIT_BASE + ord(ch) - 48)
            tertiary.append(0)
        elif ch.isascii() and ch.isalpha():
            primary.append(_LETTER_BASE + ord(ch.lower()) - 97)
            tertiary.append(1 if ch.isupper() else 0)
        else:
            primary.append(_LETTER_BASE + 26 + ord(ch.lower()))
            tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(tertiary)


def merge_entries(defaults: Iterable[tuple[str, str]], extra: Iterable[str]) -> list[str]:
    """``key=value`` lines: defaults, then user entries (which override), sorted."""
    merged: dict[str, str] = dict(defaults)
    for entry in extra:
        key, sep, value = entry.partition("=")
        if sep:
            merged[key] = value
    keys = sorted(merged, key=_collation_key)
    return [f"{k}={merged[k]}" for k in keys]


# The OCI labels whose defaults come from repository metadata (name, description,
# html_url twice, license.spdx_id), which a local checkout cannot supply.
REPO_LABELS = tuple(f"org.opencontainers.image.{key}" for key in
                    ("title", "description", "url", "source", "licenses"))


def empty_repo_labels(labels: Mapping[str, str]) -> tuple[str, ...]:
    """The repository-sourced labels that came out empty: neither the repository metadata
    nor the user's ``labels`` input gave them a value."""
    return tuple(key for key in REPO_LABELS if not labels.get(key))


_KV_RE = re.compile(r"([^=]*)=(.*)")


def as_object(entries: Iterable[str]) -> dict[str, str]:
    """The JSON object metadata-action builds from ``key=value`` lines: the value ends at
    the first line break (its regular expression's ``.``), and integer-like keys come
    first in ascending order, as a JavaScript object orders them."""
    plain: dict[str, str] = {}
    for entry in entries:
        m = _KV_RE.search(entry)
        if m:
            value = re.match(r"[^\n\r\u2028\u2029]*", m.group(2))
            plain[m.group(1)] = value.group(0) if value else ""
    index_keys = sorted((k for k in plain if _is_array_index(k)), key=int)
    ordered = {k: plain[k] for k in index_keys}
    ordered.update((k, v) for k, v in plain.items() if k not in ordered)
    return ordered


def _is_array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")) \
        and int(key) < 2 ** 32 - 1


def parse_levels(raw: str | None) -> tuple[str, ...]:
    """DOCKER_METADATA_ANNOTATIONS_LEVELS: comma-separated levels, default ``manifest``."""
    if raw is None or raw.strip() == "":
        return ("manifest",)
    levels = tuple(part.strip() for part in raw.split(","))
    for level in levels:
        found = _LEVEL_RE.fullmatch(level)
        if not found:
            raise InputError(f"DOCKER_METADATA_ANNOTATIONS_LEVELS: unknown level '{level}' in "
                             f"{raw!r} (expected a comma-separated list of: "
                             f"{', '.join(LEVELS)})")
        if found.group(2):
            _check_level_platform(level, found.group(2)[1:-1], raw)
    return levels


def _check_level_platform(level: str, platform: str, raw: str) -> None:
    """``manifest[linux/amd6]``: buildx takes any platform there and the annotation goes
    nowhere, so it is checked as every other platform input is. Imported here, not at the
    top: the registry package loads an HTTP library, which plain ``ghbuild meta`` avoids."""
    from ..registry.checks import normalise_platform

    try:
        normalise_platform(platform, input_name="DOCKER_METADATA_ANNOTATIONS_LEVELS")
    except InputError as exc:
        problem = exc.message.split(": ", 1)[-1]  # the parser's "input '…': " prefix
        raise InputError(f"DOCKER_METADATA_ANNOTATIONS_LEVELS: level '{level}' in {raw!r}: "
                         f"{problem}", hint=exc.hint) from None
