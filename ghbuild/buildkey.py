"""The build key: what identifies "this image, already built".

Two kinds. The default is the source revision: the same commit gives the same
image, so a tag push of a commit built on main is a retag. The content key is a
hash of everything the build reads: the Dockerfile, the context files that
``.dockerignore`` lets through (with Docker's own matching rules), the build args,
the target and the platforms; a commit that touches none of them keeps its key.

The key is recorded on the image twice: as the annotation ``io.ghbuild.build-key``
and as a key tag, so checking it is one manifest request.

Why a key tag cannot collide with a user's tag: every key tag is
``ghbuild-key-rev-<40 or 64 hex>`` or ``ghbuild-key-ctx-<64 hex>``. The tags
metadata-action style rules produce are versions (digits, optionally after ``v``),
``sha-<hex>``, ``pr-<n>``, ``latest``, dates, or branch names; only a branch or a
raw tag literally named ``ghbuild-key-...`` could match, and :func:`is_key_tag` lets
the caller refuse such a user tag before anything is pushed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

BUILD_KEY_ANNOTATION = "io.ghbuild.build-key"
KEY_TAG_PREFIX = "ghbuild-key-"
_FORMAT = "ghbuild-content-key-v1"
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_KEY = re.compile(r"^(?:rev-(?:[0-9a-f]{40}|[0-9a-f]{64})|ctx-[0-9a-f]{64})$")


def revision_key(sha: str) -> str:
    """``rev-<sha>`` for a full git commit id (SHA-1 or SHA-256 repositories)."""
    text = sha.strip().lower()
    if not _SHA.match(text):
        raise InputError(f"build key: {sha!r} is not a full commit id (expected 40 or 64 hex "
                         "digits)")
    return f"rev-{text}"


def key_tag_name(key: str) -> str:
    """The tag that records ``key``: ``ghbuild-key-`` + the key (at most 80 characters)."""
    if not _KEY.match(key):
        raise InputError(f"build key {key!r} is not rev-<commit> or ctx-<sha256 hex>")
    return KEY_TAG_PREFIX + key


def is_key_tag(tag: str) -> bool:
    """True for tags in ghbuild's reserved namespace; a user tag like that is refused."""
    return tag.startswith(KEY_TAG_PREFIX)


# -- .dockerignore --------------------------------------------------------------------------
@dataclass(frozen=True)
class IgnorePattern:
    text: str            # the cleaned pattern, without the leading "!"
    exclusion: bool      # True for "!pattern": re-includes what it matches
    regex: re.Pattern[str]
    line: int


def read_dockerignore(text: str, *, source: str = ".dockerignore") -> list[IgnorePattern]:
    """Patterns as the Docker CLI reads them: ``#`` comments at column 0, blank lines
    dropped, whitespace trimmed, paths cleaned (``./`` and a leading ``/`` removed)."""
    out = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        exclusion = pattern.startswith("!")
        if exclusion:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _clean(pattern)
        if pattern == "":
            raise InputError(f"{source}:{number}: {raw!r} is an exclusion with no pattern")
        out.append(IgnorePattern(pattern, exclusion, _compile(pattern, source, number), number))
    return out


def _clean(pattern: str) -> str:
    """Go's filepath.Clean on a slash path, then a leading "/" dropped."""
    rooted = pattern.startswith("/")
    parts: list[str] = []
    for part in pattern.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    return "/".join(parts) or "."


def _compile(pattern: str, source: str, line: int) -> re.Pattern[str]:
    """filepath.Match syntax plus ``**`` (any number of directories, even none)."""
    out, i, n = ["^"], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*" and pattern.startswith("**", i):
            i += 2
            if i < n and pattern[i] == "/":
                i += 1
            out.append(".*" if i >= n else "(.*/)?")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            out.append(re.escape(pattern[i]) if i < n else re.escape("\\"))
        elif ch == "[":
            end, cls = _char_class(pattern, i, source, line)
            out.append(cls)
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


def _char_class(pattern: str, start: int, source: str, line: int) -> tuple[int, str]:
    """A ``[...]`` class as filepath.Match reads it: ``^`` negates, ``a-z`` ranges,
    ``\\`` escapes, a ``]`` right after the opening is literal; never matches ``/``."""
    i, n = start + 1, len(pattern)
    negate = i < n and pattern[i] == "^"
    i += 1 if negate else 0
    items: list[str] = []
    while True:
        if i >= n:
            raise InputError(f"{source}:{line}: {pattern!r} has an unclosed '[' (expected a "
                             "character class like [a-z])")
        if pattern[i] == "]" and items:
            break
        low, i = _class_char(pattern, i)
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            high, i = _class_char(pattern, i + 1)
            items.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            items.append(re.escape(low))
    body = "".join(items)
    return i, f"[^/{body}]" if negate else f"(?!/)[{body}]"


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    if pattern[i] == "\\" and i + 1 < len(pattern):
        return pattern[i + 1], i + 2
    return pattern[i], i + 1


def is_ignored(path: str, patterns: Sequence[IgnorePattern]) -> bool:
    """Whether ``path`` (slash-separated, relative to the context) is excluded.

    Each pattern is tried against the path and each of its parent directories; the
    last pattern that matches decides, as in Docker's pattern matcher.
    """
    parents = path.split("/")[:-1]
    candidates = [path] + ["/".join(parents[: i + 1]) for i in range(len(parents))]
    matched = False
    for pattern in patterns:
        # Only a pattern that could change the answer needs evaluating.
        if pattern.exclusion != matched:
            continue
        if any(pattern.regex.match(c) for c in candidates):
            matched = not pattern.exclusion
    return matched


# -- the content key -----------------------------------------------------------------------
def _ignore_file(context: Path, dockerfile: Path) -> Path | None:
    """BuildKit prefers ``<Dockerfile>.dockerignore`` beside the Dockerfile."""
    specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if specific.is_file():
        return specific
    generic = context / ".dockerignore"
    return generic if generic.is_file() else None


def context_files(context_dir: str | os.PathLike[str],
                  dockerfile: str | os.PathLike[str] | None = None) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every entry the build would send, in a stable order."""
    context = Path(context_dir)
    if not context.is_dir():
        raise InputError(f"input 'context': {str(context_dir)!r} is not a directory")
    file = Path(dockerfile) if dockerfile else context / "Dockerfile"
    ignore = _ignore_file(context, file)
    patterns = read_dockerignore(ignore.read_text(encoding="utf-8"), source=str(ignore)) \
        if ignore else []
    for root, dirs, files in os.walk(context, followlinks=False):
        dirs.sort()
        rel_root = Path(root).relative_to(context).as_posix()
        for name in sorted(files + [d for d in dirs]):
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if not is_ignored(rel, patterns):
                yield rel, Path(root) / name


def content_key(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] | None,
                build_args: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                target: str = "", platforms: Sequence[str] = ()) -> str:
    """``ctx-<sha256>`` over the Dockerfile, the context left after ``.dockerignore``
    (names, permission bits, file bytes, link targets), build args, target, platforms.

    Known limit: files the Dockerfile pulls from elsewhere (``ADD <url>``, ``--build-context``,
    base images by tag) are not part of the key; a moved base tag does not change it.
    """
    context = Path(context_dir)
    file = Path(dockerfile) if dockerfile else context / "Dockerfile"
    if not file.is_file():
        raise InputError(f"input 'file': Dockerfile {str(file)!r} does not exist")
    digest = hashlib.sha256()
    _field(digest, "format", _FORMAT.encode())
    _field(digest, "dockerfile", file.read_bytes())
    args = build_args.items() if isinstance(build_args, Mapping) else build_args
    for name, value in sorted(args):
        _field(digest, "arg", f"{name}={value}".encode())
    _field(digest, "target", target.encode())
    for platform in sorted(set(platforms)):
        _field(digest, "platform", platform.encode())
    for rel, path in context_files(context, file):
        _entry(digest, rel, path)
    return "ctx-" + digest.hexdigest()


def _field(digest: hashlib._Hash, kind: str, data: bytes) -> None:
    # Length-prefixed so that no two different inputs can produce the same stream.
    digest.update(f"{kind}:{len(data)}:".encode())
    digest.update(data)


def _entry(digest: hashlib._Hash, rel: str, path: Path) -> None:
    info = path.lstat()
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        _field(digest, "link", f"{rel}\0{os.readlink(path)}".encode())
    elif stat.S_ISDIR(info.st_mode):
        _field(digest, "dir", f"{rel}\0{mode:o}".encode())
    elif stat.S_ISREG(info.st_mode):
        file_hash = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                file_hash.update(chunk)
        _field(digest, "file", f"{rel}\0{mode:o}\0{file_hash.hexdigest()}".encode())
