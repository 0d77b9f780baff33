"""Build cache attributes (``--cache-from`` / ``--cache-to``) per image and platform.

Rules: the cache is read on every build (pull requests included) and written only
when the policy says so (``write``); ``mode=max`` goes on cache-to only (it is not
an import attribute); cache-to always carries ``ignore-error=true`` so a cache
service fault never fails a build. Explicit ``cache-from`` / ``cache-to`` inputs
replace the computed ones, as in build-push-action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from .errors import InputError

DEFAULT_REGISTRY_CACHE_TAG = "buildcache"
_SCOPE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# BuildKit's gha backend reads these when the attributes do not carry url/token: the
# token, and the legacy cache service URL or (buildx >= 0.21, cache service v2, what
# github.com offers now) the results service URL with ACTIONS_CACHE_SERVICE_V2 set.
GHA_TOKEN = "ACTIONS_RUNTIME_TOKEN"
GHA_URL_V1 = "ACTIONS_CACHE_URL"
GHA_URL_V2 = "ACTIONS_RESULTS_URL"
GHA_V2_SWITCH = "ACTIONS_CACHE_SERVICE_V2"
GHA_ENV = (GHA_TOKEN, GHA_URL_V1, GHA_URL_V2, GHA_V2_SWITCH)


class CacheMode(Enum):
    GHA = "gha"
    REGISTRY = "registry"
    INLINE = "inline"
    LOCAL = "local"
    NONE = "none"


@dataclass(frozen=True, kw_only=True)
class CacheSettings:
    mode: CacheMode = CacheMode.GHA
    ref: str = ""                 # registry mode: the cache image; default <image>:buildcache
    directory: str = ""           # local mode
    scope: str = ""               # gha mode: a fixed scope instead of the per-image one
    cache_from: tuple[str, ...] = ()   # explicit lines: used instead of the mode's
    cache_to: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CacheArgs:
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...]
    description: str              # for the log and the job summary
    warnings: tuple[str, ...] = ()


def parse_mode(raw: str | None) -> CacheMode:
    if raw is None or raw.strip() == "":
        return CacheMode.GHA
    try:
        return CacheMode(raw.strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in CacheMode)
        raise InputError(f"input 'cache' must be one of {names}, got {raw!r}")


def gha_scope(image: str, platform: str | None = None) -> str:
    """A cache scope for one image (and platform): no spaces, commas or slashes.

    The scope is an attribute inside a comma-separated ``--cache-*`` value, so a comma
    would split it; spaces and slashes are replaced too so the scope reads the same
    in the cache service's key listing.
    """
    name = image.rsplit("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:                 # drop a tag, not a registry port
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    scope = name.lower()
    if platform:
        scope += "-" + platform.lower()
    return _SCOPE_UNSAFE.sub("-", scope).strip("-")


def registry_cache_ref(image: str, given: str) -> str:
    return given.strip() if given.strip() else f"{image}:{DEFAULT_REGISTRY_CACHE_TAG}"


def check_cache_ref(ref: str, image_tags: Sequence[str], *, given: bool = True) -> None:
    """Refuse a registry cache ref that is one of the image's own tags: the cache
    manifest would overwrite the image (or the image the cache). ``given``: the ref is
    input 'cache-ref', not the default ``<image>:buildcache``; the message blames the
    input that was set and suggests a tag other than the refused one."""
    if ref not in image_tags:
        return
    repo, _, tag = ref.rpartition(":")
    other = f"{repo}:{'cache' if tag == DEFAULT_REGISTRY_CACHE_TAG else DEFAULT_REGISTRY_CACHE_TAG}"
    if given:
        raise InputError(f"input 'cache-ref' {ref!r} is also one of the image's tags; the "
                         f"cache would overwrite the image. Use another tag, e.g. {other}")
    raise InputError(f"input 'tags' gives {ref!r}, which is also the default registry cache "
                     f"ref (<image>:{DEFAULT_REGISTRY_CACHE_TAG}); the cache would overwrite "
                     f"the image", hint=f"set input 'cache-ref' to another tag, e.g. {other}")


def _gha(settings: CacheSettings, image: str, platform: str | None,
         environ: Mapping[str, str]) -> tuple[list[str], list[str], str, list[str]]:
    if settings.scope:
        # A given scope still gets the platform: split jobs must not overwrite each other.
        given = settings.scope + (f"-{platform}" if platform else "")
        scope = _SCOPE_UNSAFE.sub("-", given).strip("-")
    else:
        scope = gha_scope(image, platform)
    missing = gha_missing(environ)
    if missing:
        warn = (f"cache 'gha' needs {missing} in the environment (the action hands them "
                "over from its JavaScript step); not set, so no cache is used")
        return [], [], "none (gha service not available)", [warn]
    return ([f"type=gha,scope={scope}"],
            [f"type=gha,scope={scope},mode=max,ignore-error=true"],
            f"gha scope={scope}", [])


def gha_missing(environ: Mapping[str, str]) -> str:
    """What the gha backend lacks in ``environ`` ("" when it has a token and a service)."""
    v1 = bool(environ.get(GHA_URL_V1))
    v2 = bool(environ.get(GHA_URL_V2)) and environ.get(GHA_V2_SWITCH, "").strip().lower() \
        not in ("", "0", "false")
    missing = [] if environ.get(GHA_TOKEN) else [GHA_TOKEN]
    if not (v1 or v2):
        missing.append(f"{GHA_URL_V1} (or {GHA_URL_V2} with {GHA_V2_SWITCH}=true)")
    return " and ".join(missing)


def for_engine(args: CacheArgs, *, driver: str, containerd_store: bool | None) -> CacheArgs:
    """Drop the cache export the builder refuses. The ``docker`` driver on an engine
    without the containerd image store fails the whole build on any cache-to but
    ``inline`` ("cache export feature is currently not supported for docker driver");
    cache-from stays, since a failed cache import is only a warning in BuildKit.
    ``containerd_store`` None (could not tell) keeps everything."""
    if driver != "docker" or containerd_store is not False:
        return args
    kept = tuple(t for t in args.cache_to if _cache_type(t) == "inline")
    if kept == args.cache_to:
        return args
    warning = ("cache export dropped: the builder uses the 'docker' driver on an engine "
               "without the containerd image store, which refuses cache export; the cache is "
               "read but not written. Use docker/setup-buildx-action (a docker-container "
               "builder) or enable the containerd image store to write it")
    return CacheArgs(cache_from=args.cache_from, cache_to=kept,
                     description=args.description + " (not written: the docker driver "
                                 "without the containerd image store cannot export cache)",
                     warnings=(*args.warnings, warning))


def _cache_type(line: str) -> str:
    for part in line.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "type":
            return value.strip()
    return "registry" if "=" not in line else ""  # buildx: a bare ref is a registry cache


def cache_args(settings: CacheSettings, *, image: str, tags: Sequence[str], write: bool,
               platform: str | None = None,
               environ: Mapping[str, str] | None = None) -> CacheArgs:
    """The cache attributes for one image build.

    ``image`` is the image name without tag, ``tags`` the full refs it will get,
    ``platform`` is set only when platforms are built one per job.
    """
    env = environ or {}
    warnings: list[str] = []
    if settings.cache_from or settings.cache_to:
        froms, tos, text = list(settings.cache_from), list(settings.cache_to), "custom"
    elif settings.mode is CacheMode.GHA:
        froms, tos, text, warnings = _gha(settings, image, platform, env)
    elif settings.mode is CacheMode.REGISTRY:
        ref = registry_cache_ref(image, settings.ref)
        check_cache_ref(ref, tags, given=bool(settings.ref.strip()))
        froms = [f"type=registry,ref={ref}"]
        tos = [f"type=registry,ref={ref},mode=max,ignore-error=true"]
        text = f"registry ref={ref}"
    elif settings.mode is CacheMode.INLINE:
        # Inline cache lives in the image itself: read it back from the first tag.
        froms = [f"type=registry,ref={tags[0]}"] if tags else []
        tos, text = ["type=inline"], "inline"
    elif settings.mode is CacheMode.LOCAL:
        if not settings.directory:
            raise InputError("input 'cache-dir' is required with cache: local")
        froms = [f"type=local,src={settings.directory}"]
        tos = [f"type=local,dest={settings.directory},mode=max,ignore-error=true"]
        text = f"local dir={settings.directory}"
    else:
        return CacheArgs(cache_from=(), cache_to=(), description="none")
    if not write and tos:
        text += " (read only: this run does not push, so the cache is not written)"
        tos = []
    return CacheArgs(cache_from=tuple(froms), cache_to=tuple(tos), description=text,
                     warnings=tuple(warnings))
