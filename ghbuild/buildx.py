"""Running buildx: driver detection, the streamed build, its metadata file and errors.

The build's output is streamed line by line inside an Actions log group, each line
redacted first. When the build fails, the Dockerfile location buildx prints
(``Dockerfile:12`` above the excerpt, or ``dockerfile parse error on line 3``) and
the ``ERROR: failed to solve:`` line become one ``::error file=…,line=…`` annotation.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import proc
from .build import BuildPlan, buildx_argv, child_env, shell_echo
from .errors import BuildError
from .gha import Actions

_DRIVER = re.compile(r"^Driver:\s*(\S+)", re.MULTILINE)
_LOCATION = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+)$")
_PARSE_LINE = re.compile(r"(?:parse error|error) on line (?P<line>\d+)")
_SOLVE = re.compile(r"^(?:#\d+ )?ERROR: (?P<msg>.+)$")


@dataclass(frozen=True, kw_only=True)
class BuildFailure:
    message: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    digest: str
    metadata: Mapping[str, Any]
    argv: tuple[str, ...]


def detect_driver(env: Mapping[str, str] | None = None, builder: str = "") -> str:
    """The driver of the builder buildx will use (``docker``, ``docker-container``, …)."""
    argv = ["docker", "buildx", "inspect"] + ([builder] if builder else [])
    done = proc.get_runner().run(argv, env=env)
    if done.returncode != 0:
        raise BuildError(f"docker buildx inspect failed: {done.stderr.strip()[-300:]}")
    found = _DRIVER.search(done.stdout)
    if not found:
        raise BuildError("docker buildx inspect printed no 'Driver:' line")
    return found.group(1)


def containerd_store(env: Mapping[str, str] | None = None) -> bool | None:
    """Whether the engine keeps images in the containerd image store (which lets the
    ``docker`` driver export cache); None when ``docker info`` cannot tell.

    With the store, ``DriverStatus`` holds ``["driver-type", "io.containerd.snapshotter.v1"]``
    (dockerd 24+; seen on this project's engine, whose ``.Driver`` then reads ``overlayfs``);
    the classic store reports ``overlay2`` and no driver-type.
    """
    argv = ["docker", "info", "--format", "{{json .DriverStatus}}"]
    done = proc.get_runner().run(argv, env=env)
    if done.returncode != 0:
        return None
    try:
        status = json.loads(done.stdout.strip() or "null")
    except ValueError:
        return None
    if not isinstance(status, list):
        return None
    pairs = [p for p in status if isinstance(p, list) and len(p) == 2]
    return any(k == "driver-type" and "containerd.snapshotter" in str(v) for k, v in pairs)


def parse_failure(lines: Sequence[str], dockerfile: str | None = None) -> BuildFailure:
    """The error buildx reports at the end of a failed build, with its Dockerfile line."""
    message = ""
    for line in reversed(lines):
        match = _SOLVE.match(line.strip())
        if match:
            message = match.group("msg")
            break
    if not message:
        # The docker CLI prints the cause, then "Run 'docker --help' …": keep the cause.
        useful = [line.strip() for line in lines
                  if line.strip() and not line.strip().startswith(("Run 'docker", "See 'docker"))]
        message = useful[-1] if useful else "buildx failed with no output"
    file_name, line_no = _location(lines)
    if line_no is None:
        parsed = _PARSE_LINE.search(message)
        if parsed:
            line_no = int(parsed.group("line"))
    # buildx names the file by its base name; the annotation needs the real path.
    if line_no is not None and dockerfile and file_name in (None, Path(dockerfile).name):
        file_name = dockerfile
    return BuildFailure(message=message, file=file_name if line_no is not None else None,
                        line=line_no)


def _location(lines: Sequence[str]) -> tuple[str | None, int | None]:
    """The last ``Dockerfile:12`` line printed right above a ``-----`` excerpt."""
    found: tuple[str | None, int | None] = (None, None)
    for index, line in enumerate(lines):
        match = _LOCATION.match(line.strip())
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if match and following.startswith("-----"):
            found = (match.group("file"), int(match.group("line")))
    return found


def read_metadata(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise BuildError(f"buildx metadata file {path} unreadable: {exc}")
    if not isinstance(data, dict):
        raise BuildError(f"buildx metadata file {path}: expected a JSON object")
    return data


def digest_from_metadata(metadata: Mapping[str, Any]) -> str:
    digest = metadata.get("containerimage.digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest
    return ""


def run_build(plan: BuildPlan, actions: Actions, *, env: Mapping[str, str] | None = None,
              cwd: str | None = None, dockerfile: str | None = None) -> BuildResult:
    """Run the build (streamed in a group) and return the digest from the metadata file.

    ``env`` is added to the child's environment (DOCKER_CONFIG, cache service
    variables); the plan's secrets are added here and nowhere else.
    """
    with tempfile.TemporaryDirectory(prefix="ghbuild-meta-") as tmp:
        plan = replace(plan, metadata_file=plan.metadata_file or os.path.join(tmp, "md.json"))
        argv = buildx_argv(plan)
        full_env = {**(env or {}), **child_env(plan)}
        lines: list[str] = []
        with actions.group("docker buildx build"):
            actions.info("$ " + shell_echo(argv, actions.redact))
            done = proc.get_runner().stream(argv, env=full_env, cwd=cwd,
                                            on_line=lambda line: _emit(actions, lines, line))
        if done.returncode != 0:
            failure = parse_failure(lines or done.stdout.splitlines(), dockerfile)
            raise BuildError(actions.redact(f"buildx build failed: {failure.message}"),
                             file=failure.file, line=failure.line)
        metadata = read_metadata(plan.metadata_file)
    return BuildResult(digest=digest_from_metadata(metadata), metadata=metadata,
                       argv=tuple(argv))


def _emit(actions: Actions, lines: list[str], line: str) -> None:
    lines.append(line)
    actions.info(line)
