"""Docker tag and image-name grammar.

A tag is ``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``. metadata-action only replaces each run
of other characters with one ``-``; ghbuild does that and then also:

* drops leading ``.`` and ``-`` (a registry refuses such a tag; ``#5`` gives ``5``);
* shortens a tag longer than 128 characters to its first 119 characters, ``-`` and 8
  hex digits of the SHA-256 of the whole unshortened tag. The result is deterministic,
  and two long tags that differ anywhere differ in their digest, so shortening does not
  make distinct tags collide (a collision needs a 32-bit digest clash). The caller
  gets a warning saying what was shortened.
"""

from __future__ import annotations

import re

MAX_TAG = 128
_BAD_RUN = re.compile(r"[^a-zA-Z0-9._-]+")
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def sanitize_tag(value: str) -> tuple[str, str | None]:
    """(tag, warning or None). The tag may be ``""`` when nothing usable is left."""
    tag = _BAD_RUN.sub("-", value).lstrip(".-")
    if len(tag) <= MAX_TAG:
        return tag, None
    import hashlib  # only for the rare long tag: keeps the command's start-up short

    digest = hashlib.sha256(tag.encode("utf-8")).hexdigest()[:8]
    short = f"{tag[:MAX_TAG - 9]}-{digest}"
    return short, (f"tag '{tag[:40]}...' is {len(tag)} characters; Docker allows "
                   f"{MAX_TAG}, so it was shortened to '{short}'")


def metadata_action_tag(value: str) -> str:
    """metadata-action's own rule, for comparison in tests and docs."""
    return _BAD_RUN.sub("-", value)
