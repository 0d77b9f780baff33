"""Which configured images changed since a base commit: the strategy matrix of a monorepo.

An image's inputs are its context directory, its Dockerfile (and the
``<Dockerfile>.dockerignore`` BuildKit reads beside it), the extra ``paths`` it
declares, and its own entry in the config file. Files come from
``git diff --name-only`` between the merge base of BASE and HEAD, through
:mod:`ghbuild.proc`. When git cannot answer (a shallow clone without the base, an
all-zero ``before`` of a new branch) every image is built and the reason is given:
a doubtful answer never skips a build.

Unchanged images go to a ``promote-only`` list: their image for the base revision is
tagged with the new tags instead of being rebuilt (see docs/many-images.md).
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .config import CONFIG_NAMES, Config, ImageConfig, load_config
from .context import parse_json
from .errors import ConfigError, InputError
from .multiplatform import Platform
from .proc import get_runner

if TYPE_CHECKING:
    from .buildkey import BuildSettings

_ZERO = "0" * 40


@dataclass(frozen=True)
class Decision:
    image: ImageConfig
    changed: bool
    reason: str


@dataclass(frozen=True)
class Diff:
    """Changed paths (repository-relative), or None with the reason git could not say."""

    base: str
    files: tuple[str, ...] | None
    reason: str = ""


def _git(repo: Path, *args: str) -> tuple[int, str, str]:
    done = get_runner().run(["git", "-C", str(repo), *args])
    return done.returncode, done.stdout, done.stderr.strip()


def resolve_base(repo: Path, base: str) -> tuple[str | None, str]:
    """The merge base of ``base`` and HEAD, or (None, why not)."""
    if not base.strip() or base.strip("0") == "":
        return None, f"base {base!r} is empty or all zeros (a new branch): building everything"
    code, out, err = _git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if code != 0:
        return None, (f"base {base!r} is not a commit in this clone (shallow checkout? use "
                      "fetch-depth: 0): building everything")
    commit = out.strip()
    code, out, err = _git(repo, "merge-base", commit, "HEAD")
    if code != 0:
        return None, f"no common ancestor of {base} and HEAD ({err[:200]}): building everything"
    return out.strip(), ""


def changed_files(repo: Path, base: str) -> Diff:
    merge_base, why = resolve_base(repo, base)
    if merge_base is None:
        return Diff(base, None, why)
    # -z: names are NUL-separated and never quoted; --no-renames: a move counts for both
    # the old and the new path, so an image that lost a file is rebuilt too.
    code, out, err = _git(repo, "diff", "--name-only", "-z", "--no-renames", merge_base, "HEAD")
    if code != 0:
        return Diff(base, None, f"git diff failed ({err[:200]}): building everything")
    return Diff(merge_base, tuple(p for p in out.split("\0") if p))


def image_paths(image: ImageConfig) -> list[str]:
    """Repository-relative paths whose change means the image must be rebuilt."""
    context = posixpath.normpath(image.context or ".")
    dockerfile = posixpath.normpath(image.file or posixpath.join(context, "Dockerfile"))
    return [context, dockerfile, dockerfile + ".dockerignore",
            *(posixpath.normpath(p) for p in image.paths)]


def _touches(path: str, prefix: str) -> bool:
    return prefix == "." or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _same_settings(a: ImageConfig, b: ImageConfig) -> bool:
    """Equal apart from where the entry sits in the file."""
    skip = {"index", "line"}
    return all(getattr(a, f.name) == getattr(b, f.name) for f in fields(a) if f.name not in skip)


def base_config(repo: Path, merge_base: str, config_rel: str) -> Config | None:
    """The config file as it was at the merge base, or None when it did not load there."""
    code, out, _ = _git(repo, "show", f"{merge_base}:{config_rel}")
    if code != 0:
        return None
    with tempfile.TemporaryDirectory(prefix="ghbuild-base-") as tmp:
        path = Path(tmp, Path(config_rel).name)
        path.write_text(out, encoding="utf-8")
        try:
            return load_config(path)
        except (ConfigError, InputError):
            return None


def decide(config: Config, diff: Diff, old: Config | None,
           config_rel: str) -> list[Decision]:
    if diff.files is None:
        return [Decision(img, True, diff.reason) for img in config.images]
    out = []
    config_changed = config_rel in diff.files
    old_by_name = {img.name: img for img in old.images} if old else {}
    for img in config.images:
        out.append(_decide_one(img, diff.files, config_changed, old_by_name, old is not None))
    return out


def _decide_one(img: ImageConfig, files: Sequence[str], config_changed: bool,
                old_by_name: dict[str, ImageConfig], old_loaded: bool) -> Decision:
    for prefix in image_paths(img):
        hit = next((f for f in files if _touches(f, prefix)), None)
        if hit:
            return Decision(img, True, f"{hit} changed")
    if config_changed:
        before = old_by_name.get(img.name)
        if not old_loaded:
            return Decision(img, True, "the config file did not load at the base commit")
        if before is None:
            return Decision(img, True, "new in the config file")
        if not _same_settings(before, img):
            return Decision(img, True, "its entry in the config file changed")
    return Decision(img, False, "no input changed")


def find_config_rel(repo: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    for name in CONFIG_NAMES:
        if (repo / name).is_file():
            return name
    raise InputError(f"--config: no {CONFIG_NAMES[0]} in {repo}; matrix needs the config file")


@dataclass(frozen=True)
class MatrixOutput:
    include: list[dict[str, str]]
    promote_only: list[dict[str, str]]
    decisions: list[Decision]

    def matrix_json(self) -> str:
        return json.dumps({"include": self.include}, separators=(",", ":"))

    def promote_json(self) -> str:
        return json.dumps(self.promote_only, separators=(",", ":"))


def build_matrix(decisions: Sequence[Decision], base: str, *, split_platforms: bool,
                 default_platforms: Sequence[str] = ()) -> MatrixOutput:
    include: list[dict[str, str]] = []
    promote: list[dict[str, str]] = []
    for dec in decisions:
        img = dec.image
        if not dec.changed:
            promote.append({"image": img.name, "base": base})
            continue
        platforms = list(img.platforms or default_platforms)
        entry = {"image": img.name, "context": img.context or ".",
                 "file": img.file or posixpath.join(img.context or ".", "Dockerfile")}
        if split_platforms and platforms:
            for plat in platforms:
                include.append({**entry, "platform": str(Platform.parse(plat)),
                                "platform-slug": Platform.parse(plat).slug})
        else:
            include.append({**entry, "platforms": ",".join(platforms)})
    return MatrixOutput(include, promote, list(decisions))


# (image name, base commit, platforms) -> (present, reason): is the base build there?
BaseCheck = Callable[[str, str, Sequence[str]], tuple[bool, str]]
# Checks wait on the network, not the CPU: one thread per check up to 64, so 50 images
# go out in one wave (the registry client keeps 64 connections per host to match).
CHECK_WORKERS = 64


def confirm_promotable(decisions: Sequence[Decision], base: str, check: BaseCheck,
                       workers: int = CHECK_WORKERS) -> list[Decision]:
    """Unchanged images whose base build is not confirmed present are built after all.

    The checks run concurrently (one registry request or two each), so 50 images
    cost about what a few cost. Anything but "present" (absent, unknown, an error)
    means build: a doubtful registry answer never skips a build.
    """
    pending = [d for d in decisions if not d.changed]
    if not pending:
        return list(decisions)

    def one(dec: Decision) -> tuple[bool, str]:
        try:
            return check(dec.image.name, base, tuple(dec.image.platforms or ()))
        except Exception as exc:  # noqa: BLE001 - any failure is a doubt, and doubt builds
            return False, f"check failed: {exc}"

    warm_up = getattr(check, "warm_up", None)
    if warm_up is not None:
        # only an optimisation: whatever goes wrong there, the checks themselves decide
        with contextlib.suppress(Exception):
            warm_up([d.image.name for d in pending], base)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pending)))) as pool:
        answers = dict(zip(map(id, pending), pool.map(one, pending), strict=True))
    out = []
    for dec in decisions:
        if dec.changed or answers[id(dec)][0]:
            out.append(dec)
        else:
            why = answers[id(dec)][1]
            out.append(Decision(dec.image, True, f"unchanged, but its build for {base[:12]} "
                                                 f"is not confirmed ({why}): building"))
    return out


def plan_matrix(repo: Path, base: str, *, config_rel: str | None = None,
                split_platforms: bool = False, only: Sequence[str] = (),
                check: BaseCheck | None = None) -> MatrixOutput:
    rel = find_config_rel(repo, config_rel)
    config = load_config(repo / rel)
    if only:
        config = replace(config, images=tuple(config.image(n) for n in only))
    diff = changed_files(repo, base)
    # The old entries matter only when the config file itself changed (see decide);
    # otherwise reading it again at the base would cost a git process and a parse.
    old = base_config(repo, diff.base, rel) if diff.files is not None and rel in diff.files \
        else None
    decisions = decide(config, diff, old, rel)
    if check is not None:
        decisions = confirm_promotable(decisions, diff.base, check)
    return build_matrix(decisions, diff.base, split_platforms=split_platforms)


class RegistryBaseCheck:
    """A :data:`BaseCheck` over the registry client: the base commit's key tag, with
    every platform the image builds. ``settings`` (image name -> its build settings,
    :func:`image_settings`) make the key the one ``ghbuild run`` gives that image.
    :meth:`warm_up` lets the client fetch shared tokens before the checks start."""

    def __init__(self, client: object, settings: Mapping[str, BuildSettings] | None = None
                 ) -> None:
        self.client = client
        self.settings = settings or {}

    def ref(self, image: str, base: str) -> object:
        from .buildkey import key_tag_name, revision_key
        from .registry import ImageRef

        key = revision_key(base, self.settings.get(image))
        return ImageRef.parse(image, input_name="images").with_tag(key_tag_name(key))

    def warm_up(self, images: Sequence[str], base: str) -> None:
        warm = getattr(self.client, "warm_up", None)
        if warm is not None and len(images) > 1:
            warm([self.ref(image, base) for image in images])

    def __call__(self, image: str, base: str, platforms: Sequence[str]) -> tuple[bool, str]:
        got = self.client.check(self.ref(image, base),  # type: ignore[attr-defined]
                                platforms=platforms)
        return bool(got.present), f"{got.state.value}: {got.reason}"


def registry_check(client: object, settings: Mapping[str, BuildSettings] | None = None
                   ) -> BaseCheck:
    """The registry's :data:`BaseCheck` (:class:`RegistryBaseCheck`)."""
    return RegistryBaseCheck(client, settings)


def image_settings(config: Config, cwd: str | Path = ".") -> dict[str, BuildSettings]:
    """Image name -> the build settings its revision key carries, from the config file's
    entries alone (an ``INPUT_*`` variable of the job is not seen here)."""
    from .buildkey import settings_from_inputs

    return {image.name: settings_from_inputs(image.as_inputs(), cwd) for image in config.images}


def parse_promote_only(text: str, source: str) -> list[dict[str, str]]:
    """The ``promote-only`` JSON list back from a workflow output: ``[{image, base}]``."""
    doc = parse_json(text, source, list, 'a JSON list of {"image", "base"} objects')
    out = []
    for n, item in enumerate(doc):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("image", "base")):
            raise InputError(f"{source}[{n}]: expected {{\"image\": ..., \"base\": ...}}, "
                             f"got {json.dumps(item)[:80]}")
        out.append({"image": item["image"], "base": item["base"]})
    return out
