"""Which commands a Dockerfile build runs, and on which platform.

BuildKit needs to *run* a process for a platform only for a ``RUN`` instruction; ``COPY``,
``FROM scratch`` and the rest never execute anything. So a builder that can run only
``linux/amd64`` still builds a ``linux/arm64`` image whose Dockerfile has no ``RUN`` for
the target platform (``FROM scratch`` + ``COPY``, or a cross-compiling stage
``FROM --platform=$BUILDPLATFORM``). This module finds the ``RUN`` steps a build reaches,
with the platform each runs on, following the Dockerfile frontend:

* a stage ``FROM --platform=$BUILDPLATFORM`` runs on the builder's own platform, a stage
  with a literal ``--platform`` on that platform, any other stage on the target platform;
* a stage ``FROM <earlier stage>`` takes that stage's platform (dockerfile2llb copies
  ``d.base.platform``);
* only stages reachable from the target stage (``target`` input, else the last one)
  through ``FROM``, ``COPY --from`` and ``RUN --mount=from=`` are built.

Known limits, where the answer is "cannot tell" (the caller then does not refuse): a
Dockerfile that is not a local file (a remote context), a ``# syntax=`` frontend other
than the Dockerfile one, a ``--platform`` with a variable we cannot resolve. ``ONBUILD``
triggers of a base image are not seen (they are in the registry, not the file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import InputError
from .registry.checks import normalise_platform

# Where a RUN step executes.
TARGET, NATIVE, UNKNOWN = "target", "build", "unknown"

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$")
# A heredoc opener (``<<EOF``, ``<<-"EOF"``) in RUN, COPY or ADD, BuildKit's 1.4 syntax.
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_AUTO_PLATFORM_ARGS = ("BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
                       "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT")


@dataclass(frozen=True, kw_only=True)
class RunStep:
    """The first ``RUN`` of a reachable stage."""

    stage: str      # the stage's name, or its index when it has none
    line: int       # 1-based line of the instruction in the Dockerfile
    platform: str   # TARGET, NATIVE, UNKNOWN, or the literal platform of its --platform


@dataclass(frozen=True, kw_only=True)
class Scan:
    runs: tuple[RunStep, ...] = ()
    readable: bool = True
    reason: str = ""          # why it could not be read, when not readable

    def on_target(self) -> tuple[RunStep, ...]:
        return tuple(r for r in self.runs if r.platform == TARGET)


@dataclass(kw_only=True)
class _Stage:
    index: int
    name: str
    platform: str
    base: int | None = None           # index of the stage it is FROM, if any
    deps: set[int] = field(default_factory=set)   # stages it is FROM or copies from
    first_run: int = 0

    @property
    def shown(self) -> str:
        return self.name or str(self.index)


def scan_text(text: str, *, target: str = "",
              build_args: Mapping[str, str] | None = None) -> Scan:
    """The ``RUN`` steps a build of ``target`` reaches in Dockerfile ``text``."""
    text = text.removeprefix("\ufeff")  # BuildKit skips a byte order mark too
    directives, start = _directives(text.splitlines())
    syntax = directives.get("syntax", "")
    if syntax and "dockerfile" not in syntax.lower():
        return Scan(readable=False, reason=f"its '# syntax={syntax}' frontend is not the "
                                           "Dockerfile one")
    escape = directives.get("escape", "\\")[:1] or "\\"
    stages = _stages(_instructions(text.splitlines(), start, escape), dict(build_args or {}))
    if not stages:
        return Scan()
    chosen = _target_stage(stages, target)
    runs = [RunStep(stage=s.shown, line=s.first_run, platform=_platform_of(s, stages))
            for s in _reachable(stages, chosen) if s.first_run]
    return Scan(runs=tuple(sorted(runs, key=lambda r: r.line)))


def _directives(lines: Sequence[str]) -> tuple[dict[str, str], int]:
    """Parser directives (``# syntax=``, ``# escape=``): only at the very top."""
    found: dict[str, str] = {}
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            return found, number
        found.setdefault(match.group(1).lower(), match.group(2))
    return found, len(lines)


def _instructions(lines: Sequence[str], start: int, escape: str
                  ) -> Iterator[tuple[int, str, str]]:
    """(line number, keyword, arguments) per instruction: continuation lines joined,
    comment lines dropped, heredoc bodies skipped (their text is not instructions)."""
    index = start
    while index < len(lines):
        if _blank_or_comment(lines[index]):
            index += 1
            continue
        first, parts = index + 1, []
        while index < len(lines):
            line = lines[index]
            index += 1
            if _blank_or_comment(line):
                continue  # BuildKit drops these inside a continued instruction
            stripped = line.rstrip()
            if not stripped.endswith(escape):
                parts.append(line)
                break
            parts.append(stripped[:-1])
        # joined as BuildKit's parser joins them: with nothing between, so a keyword split
        # by a continuation (R\ then UN) is one word again; the indent of a continued line
        # is kept (it separates words the way it does in the file)
        keyword, _, args = _split_keyword("".join(parts))
        keyword = keyword.upper()
        if keyword in ("RUN", "COPY", "ADD"):
            index = _skip_heredocs(lines, index, args)
        yield first, keyword, args.strip()


def _split_keyword(line: str) -> tuple[str, str, str]:
    words = line.strip().split(None, 1)
    return (words[0] if words else ""), " ", (words[1] if len(words) > 1 else "")


def _blank_or_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _skip_heredocs(lines: Sequence[str], index: int, args: str) -> int:
    for dash, _, word in _HEREDOC.findall(args):
        while index < len(lines):
            line = lines[index]
            index += 1
            if (line.lstrip("\t") if dash else line).rstrip("\r\n") == word:
                break
    return index


def _stages(instructions: Iterator[tuple[int, str, str]],
            build_args: dict[str, str]) -> list[_Stage]:
    stages: list[_Stage] = []
    names: dict[str, int] = {}
    global_args: dict[str, str | None] = {}
    for line, keyword, args in instructions:
        if keyword == "FROM":
            stage = _from(args, len(stages), names, _from_args(global_args, build_args))
            stages.append(stage)
            if stage.name:
                names[stage.name] = stage.index
        elif not stages:
            if keyword == "ARG":
                global_args.update(_arg_defaults(args))
        else:
            _instruction(stages[-1], keyword, args, line, names)
    return stages


def _arg_defaults(args: str) -> dict[str, str | None]:
    """The names an ``ARG`` declares, with their defaults (None: declared without one)."""
    out: dict[str, str | None] = {}
    for word in args.split():
        name, sep, value = word.partition("=")
        out[name] = value.strip("\"'") if sep else None
    return out


def _from_args(declared: Mapping[str, str | None], build_args: Mapping[str, str]
               ) -> dict[str, str]:
    """What ``FROM`` expands: the ARGs declared before the first FROM, a build arg of the
    same name replacing the default (a build arg nothing declares is not seen there)."""
    out = {}
    for name, default in declared.items():
        value = build_args.get(name, default)
        if value is not None:
            out[name] = value
    return out


def _from(args: str, index: int, names: Mapping[str, int], known: Mapping[str, str]) -> _Stage:
    words = args.split()
    platform = ""
    while words and words[0].startswith("--"):
        flag, _, value = words.pop(0).partition("=")
        if flag.lower() == "--platform":
            platform = value
    image = _expand(words[0], known).lower() if words else ""
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
    base = names.get(image)
    kind = _flag_platform(platform, known) if platform else TARGET
    return _Stage(index=index, name=name, platform=kind, base=base,
                  deps=set() if base is None else {base})


def _flag_platform(value: str, known: Mapping[str, str]) -> str:
    """TARGET, NATIVE, UNKNOWN or the literal platform of a ``FROM --platform=`` value."""
    user = {k: v for k, v in known.items() if k not in _AUTO_PLATFORM_ARGS}
    text = _expand(value.strip("\"'"), user)
    left = {m.group(1) or m.group(3) for m in _VAR.finditer(text)}
    if left and left <= {a for a in _AUTO_PLATFORM_ARGS if a.startswith("BUILD")}:
        return NATIVE
    if left & {a for a in _AUTO_PLATFORM_ARGS if a.startswith("TARGET")}:
        return TARGET
    if left:
        return UNKNOWN
    try:
        return normalise_platform(text, strict=False)
    except InputError:
        return UNKNOWN


def _expand(text: str, known: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in known:
            return known[name]
        default = match.group(2)
        return default if default is not None and match.group(1) else match.group(0)

    return _VAR.sub(one, text)


def _instruction(stage: _Stage, keyword: str, args: str, line: int,
                 names: Mapping[str, int]) -> None:
    flags = _flags(args)
    if keyword == "RUN":
        stage.first_run = stage.first_run or line
        for mount in flags.get("--mount", []):
            for part in mount.split(","):
                key, _, value = part.partition("=")
                if key.strip().lower() == "from":
                    _depend(stage, value, names)
    elif keyword in ("COPY", "ADD"):
        for value in flags.get("--from", []):
            _depend(stage, value, names)


def _flags(args: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for word in args.split():
        if not word.startswith("--"):
            break
        flag, _, value = word.partition("=")
        out.setdefault(flag.lower(), []).append(value.strip("\"'"))
    return out


def _depend(stage: _Stage, value: str, names: Mapping[str, int]) -> None:
    ref = value.strip().lower()
    if ref in names:
        stage.deps.add(names[ref])
    elif ref.isdigit() and int(ref) < stage.index:
        stage.deps.add(int(ref))
    # anything else is an image or a named build context, not a stage of this file


def _target_stage(stages: Sequence[_Stage], target: str) -> _Stage:
    if not target:
        return stages[-1]
    for stage in stages:
        if stage.name == target.lower():
            return stage
    # buildx reports an unknown target itself; judge the whole file meanwhile
    return stages[-1]


def _reachable(stages: Sequence[_Stage], chosen: _Stage) -> list[_Stage]:
    seen: set[int] = set()
    todo = [chosen.index]
    while todo:
        index = todo.pop()
        if index not in seen:
            seen.add(index)
            todo.extend(stages[index].deps)
    return [s for s in stages if s.index in seen]


def _platform_of(stage: _Stage, stages: Sequence[_Stage]) -> str:
    # FROM <stage> runs where that stage runs, whatever its own --platform says.
    while stage.base is not None:
        stage = stages[stage.base]
    return stage.platform


def stage_names(text: str) -> tuple[str, ...] | None:
    """The stage names of Dockerfile ``text`` (``FROM … AS <name>``, lowercased as BuildKit
    matches them), or None when a ``# syntax=`` frontend other than the Dockerfile one
    reads the file (its stages cannot be known here)."""
    directives, start = _directives(text.splitlines())
    syntax = directives.get("syntax", "")
    if syntax and "dockerfile" not in syntax.lower():
        return None
    escape = directives.get("escape", "\\")[:1] or "\\"
    stages = _stages(_instructions(text.splitlines(), start, escape), {})
    return tuple(stage.name for stage in stages if stage.name)
