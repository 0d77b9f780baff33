"""Running buildx: driver detection, the streamed build, its metadata file and errors.

The build's output is streamed line by line inside an Actions log group, each line
redacted first. When the build fails, the Dockerfile location buildx prints
(``Dockerfile:12`` above the excerpt, or ``dockerfile parse error on line 3``) and
the ``ERROR: failed to solve:`` line become one ``::error file=…,line=…`` annotation.

Before anything is built, :func:`check_platforms` asks the builder which platforms it runs
(``docker buildx inspect --bootstrap``) and refuses a requested platform it cannot run
when the Dockerfile runs a command on it (docs/run.md, "Platforms the builder cannot
build").
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
from .build import BuildInputs, BuildPlan, buildx_argv, child_env, dockerfile_path, shell_echo
from .dockerstages import NATIVE, TARGET, UNKNOWN, RunStep, Scan, scan_text
from .errors import BuildError, InputError
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
    seen = _remembered(env, builder)
    if seen is not None and seen.driver:
        return seen.driver  # the platform check already asked (inspect_builder)
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


# -- what the builder can build ------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class BuilderInfo:
    """What ``docker buildx inspect`` says of a builder."""

    name: str
    driver: str
    running: bool                  # some node reports ``Status: running``
    platforms: tuple[str, ...]     # every node's, normalised, buildx's "*" dropped


@dataclass(frozen=True, kw_only=True)
class PlatformCheck:
    """One image about to be built: its inputs, the directory they are relative to, and
    the environment its build runs with (the builder it names is looked up there)."""

    image: str
    build: BuildInputs
    cwd: str
    env: Mapping[str, str]


def parse_inspect(text: str) -> BuilderInfo:
    """``Name:`` and ``Driver:`` of the builder, and each node's ``Status:`` and
    ``Platforms:`` lines (buildx 0.13 marks the platforms given at create time with "*")."""
    fields: dict[str, str] = {}
    statuses: list[str] = []
    listed: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or line[:1].isspace():
            continue
        key, value = key.strip(), value.strip()
        fields.setdefault(key, value)
        if key == "Status":
            statuses.append(value)
        elif key == "Platforms":
            listed += [item.strip().rstrip("*") for item in value.split(",") if item.strip()]
    platforms = [p for p in (_canonical(item) for item in listed) if p]
    return BuilderInfo(name=fields.get("Name", ""), driver=fields.get("Driver", ""),
                       running="running" in statuses,
                       platforms=tuple(dict.fromkeys(platforms)))


# A builder's answer per (runner, builder, the variables that choose it): `ghbuild run` asks
# once before login, and detect_driver reads the same answer after it (the private docker
# config keeps BUILDX_CONFIG, so buildx sees the same builder). Lives for one process.
_INSPECTED: dict[tuple[str, ...], tuple[proc.Runner, BuilderInfo]] = {}


def _builder_key(env: Mapping[str, str] | None, builder: str) -> tuple[str, ...]:
    merged = {**os.environ, **(env or {})}
    config = merged.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    buildx_dir = merged.get("BUILDX_CONFIG") or os.path.join(config, "buildx")
    return (builder or merged.get("BUILDX_BUILDER", ""), merged.get("DOCKER_HOST", ""),
            merged.get("DOCKER_CONTEXT", ""), buildx_dir)


def _remembered(env: Mapping[str, str] | None, builder: str) -> BuilderInfo | None:
    runner, info = _INSPECTED.get(_builder_key(env, builder), (None, None))
    return info if runner is proc.get_runner() else None


def inspect_builder(env: Mapping[str, str] | None = None, builder: str = "") -> BuilderInfo:
    """``docker buildx inspect --bootstrap [builder]``: the builder (input ``builder``, else
    the current one) with the platforms its nodes list. Bootstrapping starts a
    ``docker-container`` builder that is not running yet, as the build would anyway, so
    that it lists what it really runs, not only what it was created with."""
    argv = ["docker", "buildx", "inspect", "--bootstrap"] + ([builder] if builder else [])
    done = proc.get_runner().run(argv, env=env)
    if done.returncode != 0:
        _refuse_missing_builder(done.stderr or done.stdout, env, builder)
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BuildError("docker buildx inspect failed: " +
                         (detail[-1][-300:] if detail else f"exit code {done.returncode}"))
    info = parse_inspect(done.stdout)
    _INSPECTED[_builder_key(env, builder)] = (proc.get_runner(), info)
    return info


# buildx's one definite answer (store/storeutil: `no builder %q found`); every other
# failure of inspect (a daemon that does not answer, a remote node down) is doubtful.
_NO_BUILDER = re.compile(r'no builder "(?P<name>[^"]*)" found')


def _refuse_missing_builder(output: str, env: Mapping[str, str] | None, builder: str) -> None:
    found = _NO_BUILDER.search(output)
    from_env = {**os.environ, **(env or {})}.get("BUILDX_BUILDER", "")
    if not found or not (builder or from_env):
        return  # the current builder's own config is broken: the platform check warns
    name = found.group("name")
    if builder:
        raise InputError(f"input 'builder': no builder {name!r}",
                         hint="docker buildx ls lists the builders; "
                              "docker/setup-buildx-action creates one")
    raise InputError(f"BUILDX_BUILDER names no builder {name!r}",
                     hint="docker buildx ls lists the builders; unset BUILDX_BUILDER for the "
                          "current one")


def check_builders(images: Sequence[PlatformCheck], actions: Actions,
                   asked: dict[tuple[str, ...], BuilderInfo | None]) -> None:
    """A builder named by input ``builder`` (or ``BUILDX_BUILDER``) that buildx says does
    not exist is bad input (exit 2), refused before any login, build or promotion instead
    of failing in the build after them. Any other failure to inspect is no answer: a
    warning, and the build decides (``asked`` then keeps None for that builder, so the
    platform check does not wait for a second inspect that would time out the same)."""
    for image in images:
        merged = {**os.environ, **(image.env or {})}
        if not (image.build.builder or merged.get("BUILDX_BUILDER")):
            continue
        key = _builder_key(image.env, image.build.builder)
        if key in asked or _remembered(image.env, image.build.builder) is not None:
            continue
        try:
            inspect_builder(image.env, image.build.builder)
        except BuildError as exc:
            _cannot_inspect(image.build.builder or merged["BUILDX_BUILDER"], exc, actions)
            asked[key] = None


def _cannot_inspect(shown: str, exc: BuildError, actions: Actions) -> None:
    actions.warning(f"cannot read the platforms of builder {shown} ({exc}): not checked "
                    "before the build; the build decides")


def _canonical(text: str) -> str:
    """A platform as :func:`normalise_platform` spells it (containerd's folds included:
    ``amd64/v1`` is ``amd64``, ``arm64/v8.0`` is ``arm64``); "" for text that is not a
    platform."""
    from .registry.checks import normalise_platform

    try:
        return normalise_platform(text, strict=False)
    except InputError:
        return ""


# arm64 variant -> (major, highest minor) pairs it also runs, newest first: containerd's
# platforms.Only table (v9.x runs v9.0..v9.x and v8.0..v8.(x+5), at most v8.9).
_ARM64 = {f"v8.{n}": ((8, n),) for n in range(10)} | {"v8": ((8, 0),)} | \
    {f"v9.{n}": ((9, n), (8, min(n + 5, 9))) for n in range(8)} | {"v9": ((9, 0), (8, 5))}


def runs_on(listed: str) -> tuple[str, ...]:
    """Every platform a builder that lists ``listed`` runs processes for without emulation:
    containerd's ``platforms.Only``, the matcher BuildKit's exec op uses to decide that no
    emulator is needed (solver/llbsolver/ops/exec_binfmt.go, getEmulator). ``amd64/v3``
    runs ``amd64/v2``, ``amd64`` and ``386``; ``arm64`` runs ``arm/v8`` down to ``arm/v5``;
    ``arm/v7`` runs ``arm/v6`` and ``arm/v5``; any other architecture only itself."""
    name = _canonical(listed)
    if not name:
        return ()
    os_name, arch, variant = (name.split("/") + [""])[:3]
    if arch == "amd64":
        level = int(variant[1:]) if re.fullmatch(r"v\d+", variant) else 1
        found = [f"v{n}" for n in range(level, 1, -1)] + [""] if level > 1 else [variant]
        return tuple(_join(os_name, "amd64", v) for v in found) + (_join(os_name, "386"),)
    if arch == "arm64":
        pairs = _ARM64.get(variant or "v8", ())
        found = [f"v{major}.{minor}" if minor else f"v{major}"
                 for major, top in pairs for minor in range(top, -1, -1)]
        arm = runs_on(_join(os_name, "arm", "v8")) if pairs else ()
        return tuple(_canonical(_join(os_name, "arm64", v)) for v in found) + arm
    if arch == "arm" and re.fullmatch(r"v\d+", variant) and int(variant[1:]) > 5:
        return tuple(_join(os_name, "arm", f"v{n}") for n in range(int(variant[1:]), 4, -1))
    return (name,)


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def builder_runs(platform: str, listed: Sequence[str]) -> bool:
    """Whether a builder listing ``listed`` runs ``platform``'s processes natively."""
    wanted = _canonical(platform)
    return any(wanted in runs_on(item) for item in listed)


QEMU_HINT = ("set up QEMU before this step (docker/setup-qemu-action), or build each platform "
             "on a native runner with 'ghbuild platform --platform' (ghbuild init "
             "multi-platform)")


def check_platforms(images: Sequence[PlatformCheck], actions: Actions, *,
                    asked: dict[tuple[str, ...], BuilderInfo | None] | None = None) -> None:
    """Refuse, before any login, build or promotion, an image whose requested platform the
    builder cannot run while its Dockerfile runs a command (``RUN``) on that platform:
    that build would fail late with ``exec format error``, after earlier images were
    pushed. A platform the builder does not list is fine when nothing runs on it
    (``FROM scratch`` + ``COPY``, a ``FROM --platform=$BUILDPLATFORM`` cross-compile):
    BuildKit builds those without emulation, and buildx itself never refuses a platform
    (it hands it to the builder's first node)."""
    # one inspect (or warning) a builder, also over several calls given the same ``asked``
    asked = {} if asked is None else asked
    check_builders(images, actions, asked)
    for image in images:
        _check_image(image, actions, asked)


def _check_image(image: PlatformCheck, actions: Actions,
                 asked: dict[tuple[str, ...], BuilderInfo | None]) -> None:
    scan, shown = _scan(image)
    # a stage FROM --platform=linux/s390x (literally, or from a build arg) runs its RUN
    # there whatever the platforms input says, also when it is not given
    fixed = [r for r in scan.runs if r.platform not in (TARGET, NATIVE, UNKNOWN)]
    if not image.build.platforms and not fixed:
        return
    unknown = any(r.platform == UNKNOWN for r in scan.runs)
    if scan.readable and not scan.on_target() and not unknown and not fixed:
        return  # nothing runs on the target platform: any platform builds
    key = _builder_key(image.env, image.build.builder)
    if key not in asked:
        asked[key] = _listed_platforms(image, actions)
    info = asked[key]
    if info is None:
        return
    _check_fixed(image, info, fixed, shown)
    missing = [p for p in image.build.platforms if not builder_runs(p, info.platforms)]
    if not missing:
        return
    cannot = (f"builder {info.name or image.build.builder or 'current'} ({info.driver} "
              f"driver) does not run {', '.join(missing)} (it lists "
              f"{', '.join(info.platforms)})")
    if not scan.readable:
        actions.warning(f"{image.image}: {cannot}; {scan.reason}, so ghbuild cannot tell "
                        "whether the build runs commands for it: building anyway (a RUN "
                        f"for it would fail with 'exec format error': {QEMU_HINT})")
    elif scan.on_target():
        step = scan.on_target()[0]
        raise InputError(f"input 'platforms': {cannot}, and image {image.image} runs "
                         f"commands on the target platform ({shown}:{step.line}: RUN in "
                         f"stage {step.stage!r}); nothing was built or pushed",
                         hint=QEMU_HINT)
    else:
        actions.warning(f"{image.image}: {cannot}; a stage of {shown} has a --platform "
                        "ghbuild cannot resolve, so a RUN there may need emulation: "
                        "building anyway")


def _check_fixed(image: PlatformCheck, info: BuilderInfo, fixed: Sequence[RunStep],
                 shown: str) -> None:
    for step in fixed:
        if not builder_runs(step.platform, info.platforms):
            raise InputError(f"{shown}:{step.line}: stage {step.stage!r} runs commands on "
                             f"{step.platform} (its FROM --platform), which builder "
                             f"{info.name or image.build.builder or 'current'} ({info.driver} "
                             f"driver) does not run (it lists {', '.join(info.platforms)}); "
                             f"image {image.image}: nothing was built or pushed",
                             hint=QEMU_HINT)


def _listed_platforms(image: PlatformCheck, actions: Actions) -> BuilderInfo | None:
    """The builder's answer, or None (with a warning) when it names no platforms.

    No refusal then: a builder that is not running, a remote or cloud builder that lists
    nothing, or an inspect that failed tells nothing about what it can run, and refusing
    on no information would block builds that work. The build itself decides."""
    builder = image.build.builder
    shown = builder or "current"
    try:
        info = _remembered(image.env, builder) or inspect_builder(image.env, builder)
    except BuildError as exc:
        _cannot_inspect(shown, exc, actions)
        return None
    if not info.running or not info.platforms:
        state = "is not running" if not info.running else "lists no platforms"
        actions.warning(f"builder {info.name or shown} ({info.driver} driver) {state}: its "
                        "platforms are not checked before the build; the build decides")
        return None
    return info


def _scan(image: PlatformCheck) -> tuple[Scan, str]:
    """The Dockerfile's RUN steps (see :mod:`ghbuild.dockerstages`), and its path as shown."""
    build = image.build
    # remote as build.check_paths reads it: stdin, a URL, a git remote
    if build.context == "-" or "://" in build.context or build.context.startswith("git@") \
            or build.file == "-":
        return Scan(readable=False, reason="the Dockerfile is not a local file"), "Dockerfile"
    path = dockerfile_path(build, image.cwd)
    shown = os.path.relpath(path, image.cwd)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Scan(readable=False, reason=f"{shown} cannot be read ({exc.strerror})"), shown
    args = {kv.key: kv.value for kv in build.build_args}
    return scan_text(text, target=build.target, build_args=args), shown
