"""Many images in one BuildKit session: a generated ``docker buildx bake`` definition.

Each image's :class:`ghbuild.build.BuildPlan` (the same plan ``docker buildx build``
would get) becomes one bake target in a JSON file under a temporary directory (a file,
not ``--file -``, so the definition can be kept and shown when a build fails). One bake
run solves every target in one session, so a stage two images share is built once,
and each target reads and writes its own cache entries as in separate builds.

Secrets never enter the file: build secrets are ``id=…,env=…`` references, and a
credential-named build argument is a bake variable (``${GHBUILD_BAKE_…}``) whose
value only the child's environment carries. Every other string is escaped (``${`` to
``$${``, ``%{`` to ``%%{``) so bake's interpolation cannot change a label or tag.

Known limit: buildx 0.13's bake has no ``network`` attribute ("unknown key: network"),
so a plan with ``network`` set is refused here; on engines without a bridge network
(like the CI machine) bake can only build images whose Dockerfiles need no ``RUN``
network.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import (
    BuildPlan,
    child_env,
    dockerfile_path,
    is_credential_name,
    safe_provenance,
    shell_echo,
)
from .buildx import parse_failure
from .errors import BuildError, InputError
from .gha import Actions
from .proc import get_runner

_TARGET_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_VARIABLE_CHARS = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class BakeImage:
    """One image to bake: its name (for the target and for messages) and its plan."""

    name: str
    plan: BuildPlan


@dataclass(frozen=True)
class BakeFile:
    definition: Mapping[str, Any]
    env: Mapping[str, str]                 # variables and secrets for the child only
    targets: Mapping[str, str]             # target name -> image name


def escape(text: str) -> str:
    """A literal string for a bake file: no interpolation, no template directive."""
    return text.replace("${", "$${").replace("%{", "%%{")


def target_name(image: str, taken: set[str]) -> str:
    """``ghcr.io/acme/api`` -> ``acme-api``; unique within one definition."""
    path = image.split("/", 1)[1] if "/" in image and "." in image.split("/")[0] else image
    base = _TARGET_CHARS.sub("-", path).strip("-").lower() or "image"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _pairs(items: Sequence[str], what: str, image: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"image {image}: {what} {item!r} is not KEY=VALUE")
        out[escape(key)] = escape(value)
    return out


def _attest(plan: BuildPlan) -> list[str]:
    provenance, _ = safe_provenance(plan.inputs)
    out = []
    for kind, value in (("provenance", provenance), ("sbom", plan.inputs.sbom)):
        low = value.strip().lower()
        if not low:
            continue
        if low == "false":
            out.append(f"type={kind},disabled=true")
        elif low == "true":
            out.append(f"type={kind}")
        else:
            out.append(escape(f"type={kind},{value.strip()}"))
    return out


def _unsupported(plan: BuildPlan, image: str) -> None:
    i = plan.inputs
    used = [name for name, value in (
        ("network", i.network), ("add-hosts", i.add_hosts), ("shm-size", i.shm_size),
        ("ulimit", i.ulimit)) if value]
    if used:
        raise InputError(f"image {image}: input(s) {', '.join(used)} cannot be passed through "
                         "a bake definition (buildx 0.13); build this image on its own")


def _args(plan: BuildPlan, target: str, env: dict[str, str],
          variables: dict[str, Any]) -> dict[str, str]:
    args = {}
    for kv in plan.inputs.build_args:
        if is_credential_name(kv.key):
            var = "GHBUILD_BAKE_" + _VARIABLE_CHARS.sub("_", f"{target}_{kv.key}").upper()
            variables[var] = {"default": ""}
            env[var] = kv.value
            args[kv.key] = "${" + var + "}"
        else:
            args[escape(kv.key)] = escape(kv.value)
    return args


def _secrets(plan: BuildPlan) -> list[str]:
    from .build import git_auth_env_name, secret_env_name

    i = plan.inputs
    out = [f"id={kv.key},env={secret_env_name(kv.key)}" for kv in i.secrets]
    out += [f"id={kv.key},env={kv.value}" for kv in i.secret_envs]
    out += [escape(f"id={kv.key},src={kv.value}") for kv in i.secret_files]
    # a git context URL's token (build.strip_credentials); its value is in child_env
    out += [f"id={kv.key},env={git_auth_env_name(kv.key)}" for kv in i.git_auth]
    return out


def _outputs(plan: BuildPlan) -> list[str]:
    if plan.push:
        return ["type=registry"]
    if plan.inputs.outputs:
        return [escape(o) for o in plan.inputs.outputs]
    return ["type=docker"] if plan.inputs.load else []


def bake_target(image: BakeImage, target: str, env: dict[str, str],
                variables: dict[str, Any]) -> dict[str, Any]:
    plan, i = image.plan, image.plan.inputs
    _unsupported(plan, image.name)
    context = i.context or "."
    out: dict[str, Any] = {"context": escape(context)}
    if i.file:
        # bake reads the Dockerfile path relative to the context, build relative to cwd.
        out["dockerfile"] = escape(os.path.relpath(i.file, context))
    fields: dict[str, Any] = {
        "target": escape(i.target), "platforms": [escape(p) for p in i.platforms],
        "tags": [escape(t) for t in plan.tags], "labels": _pairs(plan.labels, "label", image.name),
        "annotations": [escape(a) for a in plan.annotations],
        "args": _args(plan, target, env, variables), "secret": _secrets(plan),
        "ssh": [escape(s) for s in i.ssh], "contexts": _pairs(i.build_contexts, "build-context",
                                                              image.name),
        "cache-from": [escape(c) for c in plan.cache_from],
        "cache-to": [escape(c) for c in plan.cache_to], "output": _outputs(plan),
        "attest": _attest(plan), "no-cache-filter": [escape(f) for f in i.no_cache_filters]}
    out.update({k: v for k, v in fields.items() if v})
    if i.no_cache:
        out["no-cache"] = True
    if i.pull:
        out["pull"] = True
    env.update(child_env(plan))
    return out


def bake_builder(images: Sequence[BakeImage]) -> str:
    """The one builder all images use (bake runs them in one session on one builder)."""
    builders = sorted({img.plan.inputs.builder for img in images})
    if len(builders) > 1:
        raise InputError(f"bake: images name different builders ({', '.join(builders)}); "
                         "one bake run uses one builder")
    return builders[0] if builders else ""


def bake_file(images: Sequence[BakeImage]) -> BakeFile:
    if not images:
        raise InputError("bake: no image to build")
    bake_builder(images)
    taken: set[str] = set()
    env: dict[str, str] = {}
    variables: dict[str, Any] = {}
    targets: dict[str, Any] = {}
    names: dict[str, str] = {}
    for image in images:
        name = target_name(image.name, taken)
        targets[name] = bake_target(image, name, env, variables)
        names[name] = image.name
    definition: dict[str, Any] = {"group": {"default": {"targets": list(targets)}},
                                  "target": targets}
    if variables:
        definition["variable"] = variables
    return BakeFile(definition, env, names)


def bake_argv(definition_path: str, metadata_path: str, *, builder: str = "",
              progress: str = "plain") -> list[str]:
    argv = ["docker", "buildx", "bake"]
    if builder:
        argv += ["--builder", builder]
    return argv + ["--file", definition_path, "--metadata-file", metadata_path,
                   "--progress", progress]


def digests_from_metadata(metadata: Mapping[str, Any], targets: Mapping[str, str],
                          require: bool) -> dict[str, str]:
    """Image name -> digest from bake's metadata file (one entry per target)."""
    out = {}
    for target, image in targets.items():
        entry = metadata.get(target)
        digest = entry.get("containerimage.digest") if isinstance(entry, Mapping) else None
        if isinstance(digest, str) and digest.startswith("sha256:"):
            out[image] = digest
        elif require:
            raise BuildError(f"bake finished but reported no digest for {image} "
                             f"(target {target})")
    return out


@dataclass(frozen=True)
class BakeResult:
    digests: Mapping[str, str]                    # image name -> digest
    metadata: Mapping[str, Mapping[str, Any]]     # image name -> its target's metadata


def run_bake(images: Sequence[BakeImage], actions: Actions, *,
             env: Mapping[str, str] | None = None, cwd: str | None = None) -> dict[str, str]:
    """Build every image in one bake run; returns image name -> digest."""
    return dict(run_bake_results(images, actions, env=env, cwd=cwd).digests)


def run_bake_results(images: Sequence[BakeImage], actions: Actions, *,
                     env: Mapping[str, str] | None = None,
                     cwd: str | None = None) -> BakeResult:
    """:func:`run_bake`, also keeping each image's entry of bake's metadata file."""
    baked = bake_file(images)
    with tempfile.TemporaryDirectory(prefix="ghbuild-bake-") as tmp:
        def_path, md_path = Path(tmp, "bake.json"), Path(tmp, "metadata.json")
        def_path.write_text(json.dumps(baked.definition, indent=2), encoding="utf-8")
        argv = bake_argv(str(def_path), str(md_path), builder=bake_builder(images))
        with actions.group(f"docker buildx bake: {len(images)} images"):
            actions.info("$ " + shell_echo(argv, actions.redact))
            done = get_runner().stream(argv, env={**(env or {}), **baked.env}, cwd=cwd,
                                       on_line=actions.info)
        if done.returncode != 0:
            lines = done.stdout.splitlines()
            tail = [ln for ln in lines if ln.strip()][-1:]
            where, line = failure_location(lines, images, baked.targets, cwd or os.getcwd())
            raise BuildError(actions.redact("buildx bake failed: " +
                                            (tail[0] if tail else "no output")),
                             file=where, line=line)
        metadata = json.loads(md_path.read_text(encoding="utf-8"))
    pushed_or_named = any(img.plan.push or img.plan.tags for img in images)
    entries = {image: metadata[target] for target, image in baked.targets.items()
               if isinstance(metadata.get(target), Mapping)}
    return BakeResult(digests_from_metadata(metadata, baked.targets, require=pushed_or_named),
                      entries)


# `` > [target 2/3] COPY x /y:`` (or ``[target stage 2/3]``): a Dockerfile step failed. Other
# `` > [target] …`` lines are warnings, such as a cache import that found no cache.
_FAILED_STEP = re.compile(r"^\s*> \[(?P<target>[A-Za-z0-9_-]+) (?:\S+ )?\d+/\d+\]")
_EXCERPT = re.compile(r"^\s*(?P<line>\d+) \| >>> ?(?P<text>.*)$")


def failure_location(lines: Sequence[str], images: Sequence[BakeImage],
                     targets: Mapping[str, str], cwd: str) -> tuple[str | None, int | None]:
    """The Dockerfile (relative to ``cwd``) and line a failed bake points at, when it can
    be told which image's Dockerfile that is. bake prints ``Dockerfile:3`` for every
    target alike, so the image is the one whose failed step bake names, or else any
    image; of those, the only one whose Dockerfile has the quoted text on that line.
    Otherwise no location (the error is then not pinned to a file)."""
    line = parse_failure(lines).line
    if line is None:
        return None, None
    files = {img.name: os.path.relpath(dockerfile_path(img.plan.inputs, cwd), cwd)
             for img in images}
    stop = max((i for i, ln in enumerate(lines) if _EXCERPT.match(ln)), default=len(lines))
    named = [targets[m.group("target")] for ln in lines[:stop]
             if (m := _FAILED_STEP.match(ln)) and m.group("target") in targets]
    candidates = named[-1:] or list(files)
    quoted = [m.group("text").rstrip() for ln in lines
              if (m := _EXCERPT.match(ln)) and int(m.group("line")) == line]
    if quoted:
        candidates = [name for name in candidates
                      if _line_of(Path(cwd, files[name]), line) == quoted[-1]]
    return (files[candidates[0]], line) if len(candidates) == 1 else (None, None)


def _line_of(path: Path, number: int) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return text[number - 1].rstrip() if 0 < number <= len(text) else None
