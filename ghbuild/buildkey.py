"""The build key: what identifies "this image, already built".

Two kinds. The default is the source revision: the same commit with the same build
settings (context, Dockerfile, target, build args, named contexts) gives the same image,
so a tag push of a commit built on main is a retag, while a variant of that commit
(``target: debug``, another sub-directory as the context) has a key of its own. The content key is a
hash of everything the build reads: the Dockerfile, the context files that
``.dockerignore`` lets through (with Docker's own matching rules), the build args,
the target and the platforms; a commit that touches none of them keeps its key.

The key is recorded on the image twice: as the annotation ``io.ghbuild.build-key``
and as a key tag, so checking it is one manifest request.

Why a key tag cannot collide with a user's tag: every key tag is
``ghbuild-key-rev-<40 or 64 hex>[-<12 hex>]`` or ``ghbuild-key-ctx-<64 hex>``. The tags
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
from typing import Any

from .errors import InputError

BUILD_KEY_ANNOTATION = "io.ghbuild.build-key"
KEY_TAG_PREFIX = "ghbuild-key-"
_FORMAT = "ghbuild-content-key-v1"
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_KEY = re.compile(r"^(?:rev-(?:[0-9a-f]{40}|[0-9a-f]{64})(?:-[0-9a-f]{12})?|ctx-[0-9a-f]{64})$")
_SETTINGS_FORMAT = "ghbuild-build-settings-v1"


@dataclass(frozen=True, kw_only=True)
class BuildSettings:
    """What, besides the commit, decides which image a build makes: the build context,
    the Dockerfile, the stage, the build args and the named build contexts. Two builds of
    one commit that differ here are different images (``flavor: suffix=-debug`` with
    ``target: debug``, or one image name built from two sub-directories).

    ``context`` is the build context relative to the workspace, "" for the workspace
    itself (``.``, ``./`` and an empty input alike), or a remote context's URL without
    its credentials. ``file`` is the Dockerfile path relative to the workspace, "" for
    the context's own ``Dockerfile``.

    No secret value enters, and no secret id either. A credential-named build arg enters
    by name only. A hash of a secret is no protection: the key tag is public, and a
    low-entropy value (a short password, a PIN) is found by hashing guesses until one
    matches, so any digest over it would publish it. A changed token alone then keeps
    the key, which is what a rotated token should do. Secret ids (``secrets``,
    ``secret-files``, ``secret-envs``, a context URL's ``GIT_AUTH_TOKEN.<host>``) say
    what a build may fetch, not which image it makes; keying on them would rebuild when
    only the way a token is handed over changes (a URL token, then a ``secrets`` entry).
    Known shortcoming: an image whose content depends on whether a secret is given, or on
    its value, shares its key with one built without it; use ``no-cache: true`` for it.
    """

    context: str = ""
    file: str = ""
    target: str = ""
    build_args: tuple[tuple[str, str], ...] = ()
    build_contexts: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self == BuildSettings()

    def digest(self) -> str:
        """12 hex digits of a sha256 over the settings (order-insensitive lists)."""
        digest = hashlib.sha256()
        _field(digest, "format", _SETTINGS_FORMAT.encode())
        if self.context:
            # Only when set, so a variant at the workspace root keeps the digest it had
            # before the context was part of the settings.
            _field(digest, "build-context", self.context.encode())
        _field(digest, "file", self.file.encode())
        _field(digest, "target", self.target.encode())
        for name, value in sorted(set(self.build_args)):
            _field(digest, "arg", f"{name}={value}".encode())
        for line in sorted(set(self.build_contexts)):
            _field(digest, "context", line.encode())
        return digest.hexdigest()[:12]


def build_settings(build: Any, cwd: str | os.PathLike[str] = ".") -> BuildSettings:
    """The :class:`BuildSettings` of parsed build inputs (``ghbuild.build.BuildInputs``);
    ``cwd`` is the workspace the paths are relative to. Every command that computes a
    revision key (run, plan, platform, merge, matrix) goes through here."""
    from .build import is_credential_name

    return BuildSettings(
        context=_build_context_setting(build.context, cwd),
        file=_dockerfile_setting(build.context, build.file, cwd), target=build.target.strip(),
        build_args=tuple((kv.key, "" if is_credential_name(kv.key) else kv.value)
                         for kv in build.build_args),
        build_contexts=tuple(_context_setting(line) for line in build.build_contexts))


def settings_from_env(environ: Mapping[str, str],
                      cwd: str | os.PathLike[str] = ".") -> BuildSettings:
    """:func:`build_settings` of the build inputs in ``environ`` (``INPUT_*``)."""
    from .build import inputs_from_env

    return build_settings(inputs_from_env(environ), cwd)


def settings_from_inputs(inputs: Mapping[str, str],
                         cwd: str | os.PathLike[str] = ".") -> BuildSettings:
    """:func:`build_settings` of input name -> value (``ImageConfig.as_inputs()``)."""
    return settings_from_env({f"INPUT_{k.upper()}": v for k, v in inputs.items()}, cwd)


def _dockerfile_setting(context: str, file: str, cwd: str | os.PathLike[str]) -> str:
    if not file:
        return ""
    # Spelled relative to the workspace, so ./Dockerfile and Dockerfile are one setting.
    shown = os.path.normpath(os.path.relpath(Path(cwd, file), cwd)).replace(os.sep, "/")
    default = os.path.normpath(os.path.join(context or ".", "Dockerfile")).replace(os.sep, "/")
    return "" if shown == default else shown


def _build_context_setting(context: str, cwd: str | os.PathLike[str]) -> str:
    """The context as the key sees it; reads no file (merge runs without a checkout)."""
    text = context.strip()
    if "://" in text or text.startswith("git@") or text == "-":
        # A URL or git remote (already without credentials: build.py takes them out), or
        # stdin; the same test as build.check_paths.
        return text
    shown = os.path.normpath(os.path.relpath(Path(cwd, text or "."), cwd))
    if os.path.isabs(text) and shown.split(os.sep)[0] == "..":
        # Outside the working directory: the path itself, not one that depends on it.
        shown = os.path.normpath(text)
    shown = shown.replace(os.sep, "/")
    return "" if shown == "." else shown


def _context_setting(line: str) -> str:
    name, _, value = line.partition("=")
    return f"{name.strip()}={value.strip()}"


def revision_key(sha: str, settings: BuildSettings | None = None) -> str:
    """``rev-<sha>`` for a full git commit id (SHA-1 or SHA-256 repositories), and
    ``rev-<sha>-<12 hex>`` when ``settings`` are not all at their defaults, so a build
    variant of the same commit never finds the other variant's image."""
    text = sha.strip().lower()
    if not _SHA.match(text):
        raise InputError(f"build key: {sha!r} is not a full commit id (expected 40 or 64 hex "
                         "digits)")
    if settings is None or settings.is_default:
        return f"rev-{text}"
    return f"rev-{text}-{settings.digest()}"


def key_tag_name(key: str) -> str:
    """The tag that records ``key``: ``ghbuild-key-`` + the key (at most 93 characters,
    within the 128 a tag may have)."""
    if not _KEY.match(key):
        raise InputError(f"build key {key!r} is not rev-<commit>[-<12 hex>] or "
                         "ctx-<sha256 hex>")
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
    return _walk(context, _ignore_file(context, file))


def _walk(context: Path, ignore: Path | None) -> Iterator[tuple[str, Path]]:
    patterns = read_dockerignore(ignore.read_text(encoding="utf-8"), source=str(ignore)) \
        if ignore else []
    for root, dirs, files in os.walk(context, followlinks=False):
        dirs.sort()
        rel_root = Path(root).relative_to(context).as_posix()
        for name in sorted(files + [d for d in dirs]):
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if not is_ignored(rel, patterns):
                yield rel, Path(root) / name


# -- named build contexts (build-contexts: name=value) ------------------------------------
# Values buildx resolves itself; everything else is a local directory (or a file path).
_REMOTE_CONTEXT = re.compile(r"^(?:docker-image|oci-layout|target|input)://|^[a-z][a-z0-9+.-]*://"
                             r"|^git@")


@dataclass(frozen=True)
class NamedContext:
    name: str
    value: str
    line: int

    @property
    def remote(self) -> bool:
        """Not a local directory: an image, an OCI layout, a URL or a git remote."""
        return bool(_REMOTE_CONTEXT.match(self.value))


def named_contexts(lines: Sequence[str]) -> list[NamedContext]:
    """The ``build-contexts`` input, one ``name=value`` a line, checked. ``lines`` are
    the parsed entries (``BuildInputs.build_contexts``: blank and comment lines already
    dropped, URL credentials already taken out), so a reported line number counts
    entries, and is off from the input's own line when blank or ``#`` lines come first."""
    out = []
    for number, line in enumerate(lines, start=1):
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"input 'build-contexts' line {number}: expected name=value "
                             f"(a directory, docker-image://…, oci-layout://… or a URL), got "
                             f"{line[:60]!r}")
        out.append(NamedContext(name.strip(), value.strip(), number))
    return out


def check_context_paths(lines: Sequence[str], *, cwd: str, workspace: str) -> None:
    """A local named context must lie inside the workspace, like ``context``."""
    root = Path(workspace or cwd).resolve()
    for item in named_contexts(lines):
        if item.remote:
            continue
        path = (Path(cwd) / item.value).resolve()
        if path != root and root not in path.parents:
            raise InputError(f"input 'build-contexts' line {item.line}: {item.name}="
                             f"{item.value!r} resolves to {path}, outside the workspace {root}")
        if not path.is_dir():
            raise InputError(f"input 'build-contexts' line {item.line}: {item.name}="
                             f"{item.value!r}: no such directory ({path})")


def remote_contexts(lines: Sequence[str]) -> list[str]:
    """The names of the named contexts a content key cannot see into."""
    return [item.name for item in named_contexts(lines) if item.remote]


# -- the content key -----------------------------------------------------------------------
def content_key(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] | None,
                build_args: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                target: str = "", platforms: Sequence[str] = (),
                build_contexts: Sequence[str] = (),
                base: str | os.PathLike[str] | None = None) -> str:
    """``ctx-<sha256>`` over the Dockerfile, the context left after ``.dockerignore``
    (names, permission bits, file bytes, link targets), build args, target, platforms
    (lowercased, without repeats, in any order), and each named build context: a local
    directory's files after its own ``.dockerignore`` (BuildKit applies the one at the
    root of a named local context, checked with buildx 0.13), a remote one's value only.
    Relative named-context paths are taken from ``base`` (default: the current directory).

    A credential-named build arg enters by name only (a hash of a secret is still derived
    from it). Known limit: what the build fetches itself (``ADD <url>``, a base image or a
    ``docker-image://`` context by tag, a URL context) is not part of the key; a moved
    base tag does not change it (:func:`remote_contexts` names the contexts to warn about).
    """
    from .build import is_credential_name

    context = Path(context_dir)
    file = Path(dockerfile) if dockerfile else context / "Dockerfile"
    if not file.is_file():
        raise InputError(f"input 'file': Dockerfile {str(file)!r} does not exist")
    digest = hashlib.sha256()
    _field(digest, "format", _FORMAT.encode())
    _field(digest, "dockerfile", file.read_bytes())
    args = build_args.items() if isinstance(build_args, Mapping) else build_args
    for name, value in sorted(args):
        shown = name if is_credential_name(name) else f"{name}={value}"
        _field(digest, "arg", shown.encode())
    _field(digest, "target", target.encode())
    for platform in sorted({p.strip().lower() for p in platforms if p.strip()}):
        _field(digest, "platform", platform.encode())
    for rel, path in context_files(context, file):
        _entry(digest, rel, path)
    for item in sorted(named_contexts(build_contexts), key=lambda c: c.name):
        _named_context(digest, item, Path(base or "."))
    return "ctx-" + digest.hexdigest()


def _named_context(digest: hashlib._Hash, item: NamedContext, base: Path) -> None:
    if item.remote:
        _field(digest, "named-remote", f"{item.name}\0{item.value}".encode())
        return
    directory = base / item.value
    if not directory.is_dir():
        raise InputError(f"input 'build-contexts' line {item.line}: {item.name}="
                         f"{item.value!r}: no such directory ({directory})")
    _field(digest, "named-local", item.name.encode())
    ignore = directory / ".dockerignore"
    for rel, path in _walk(directory, ignore if ignore.is_file() else None):
        _entry(digest, f"{item.name}:{rel}", path)


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
