"""``ghbuild run``: the action's job, from tags to a verified push.

In order, each decision printed with its reason: tags, labels and annotations from
the meta engine; the push policy; the registry check on the build key tag and, before
a build that pushes, the release tags it would move (read-only, before any login); a
login only if needed; then either promotion of the new tags onto the digest already
built, or a buildx build; after a push, every tag is read back and must name the
digest; last the step outputs and the job summary. Inputs are ``INPUT_*`` variables (as the
composite action passes them); the flags below override them. docs/run.md lists all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import buildkey, context
from ..bake import BakeImage, bake_file, run_bake_results
from ..build import (
    BuildInputs,
    BuildPlan,
    check_paths,
    check_values,
    credential_build_args,
    credential_shape,
    credential_value_shape,
    dockerfile_path,
    git_auth_secret,
    hide_url_credentials,
    inputs_from_env,
    is_credential_name,
    is_secret_id,
    query_credentials,
    safe_provenance,
    split_lines,
    unset_secret_variables,
    url_credentials,
)
from ..buildx import PlatformCheck, check_platforms, containerd_store, detect_driver, run_build
from ..cache import CacheArgs, CacheSettings, cache_args, for_engine, parse_mode
from ..errors import BuildError, ConfigError, GhbuildError, InputError, PolicyError, RegistryError
from ..gha import Actions, safe_json
from ..inputs import check_runner_files, env_input, parse_bool
from ..login import (
    AuthEntry,
    Credentials,
    merge_logins,
    parse_registry_auth,
    private_docker_config,
    registry_auth_passwords,
    username_problem,
)
from ..policy import Decision, PushMode, PushPolicy, decide, policy_from_inputs
from ..registry import Action, CredentialStore, ImageRef, Presence, RegistryClient, State
from ..registry import Credentials as RegistryCredentials
from ..registry import copy as registry_copy
from ..registry import semver_like as release_tag
from ..registry.checks import ATTESTATION_TYPE, index_platforms, platform_of
from ..registry.client import MAX_CONCURRENT_CHECKS
from ..registry.credentials import login_password, normalise_host
from ..registry.promote import PromoteResult, check_targets, tag_pushed

# Inputs whose values are secrets: registered for redaction before anything runs.
SECRET_INPUTS = ("github-token", "password", "registry-auth")
# CLI flag -> input name; a flag given on the command line replaces the input.
FLAG_INPUTS = {
    "images": "images", "tags": "tags", "context": "context", "file": "file",
    "target": "target", "platforms": "platforms", "push": "push", "cache": "cache",
    "cache_ref": "cache-ref", "build_key": "build-key", "image": "image",
    "network": "network",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", help="image names (input 'images')")
    parser.add_argument("--tags", help="tag rules in metadata-action syntax (input 'tags')")
    parser.add_argument("--context", help="build context directory (input 'context')")
    parser.add_argument("--file", help="Dockerfile path (input 'file')")
    parser.add_argument("--target", help="build stage (input 'target')")
    parser.add_argument("--platforms", help="comma-separated platforms (input 'platforms')")
    parser.add_argument("--push", choices=["auto", "true", "false"], help="input 'push'")
    parser.add_argument("--cache", help="gha, registry, inline, local or none (input 'cache')")
    parser.add_argument("--cache-ref", help="registry cache image (input 'cache-ref')")
    parser.add_argument("--build-key", choices=["revision", "content"], help="input 'build-key'")
    parser.add_argument("--image", help="build only this image of .github/ghbuild.yml")
    parser.add_argument("--network", help="RUN network mode (input 'network')")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be tagged, built and pushed (as ghbuild plan, "
                             "with this run's context); change nothing")
    parser.add_argument("--format", choices=["text", "json"], default=None,
                        help="output of --dry-run (default: text)")
    parser.add_argument("--offline", action="store_true",
                        help="with --dry-run: do not ask the registry")


# -- parsed inputs -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RunInputs:
    build: BuildInputs
    policy: PushPolicy
    cache: CacheSettings
    build_key: str = "revision"
    check: bool = True
    allow_tag_move: bool = False
    registry: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    github_token: str = field(default="", repr=False)
    # input registry-auth: one login per entry (their passwords are not in the repr)
    registry_auth: tuple[AuthEntry, ...] = ()


def _cache_settings(env: Mapping[str, str]) -> CacheSettings:
    return CacheSettings(
        mode=parse_mode(env_input("cache", env)), ref=env_input("cache-ref", env) or "",
        directory=env_input("cache-dir", env) or "", scope=env_input("cache-scope", env) or "",
        cache_from=tuple(t for _, t in split_lines(env_input("cache-from", env))),
        cache_to=tuple(t for _, t in split_lines(env_input("cache-to", env))))


def read_inputs(env: Mapping[str, str]) -> RunInputs:
    key = (env_input("build-key", env) or "revision").lower()
    if key not in ("revision", "content"):
        raise InputError(f"input 'build-key' must be 'revision' or 'content', got {key!r}")
    build, policy = inputs_from_env(env), policy_from_inputs(env)
    check_values(build, env)
    check_globs(policy, env)
    # read by action.yml's step condition and the bootstrap; a local run checks it too
    parse_bool("github-runtime", env_input("github-runtime", env), True)
    return RunInputs(
        build=build, policy=policy, cache=_cache_settings(env),
        build_key=key, check=parse_bool("check", env_input("check", env), True),
        allow_tag_move=parse_bool("allow-tag-move", env_input("allow-tag-move", env), False),
        registry=env_input("registry", env) or "", username=env_input("username", env) or "",
        # as docker login --password-stdin reads them: the client then sends the same ones
        password=login_password(env_input("password", env, trim=False) or ""),
        github_token=login_password(env_input("github-token", env, trim=False) or ""),
        # untrimmed: stripping the first line's indent would break a YAML list's nesting
        registry_auth=parse_registry_auth(env_input("registry-auth", env, trim=False)))


def check_globs(policy: PushPolicy, env: Mapping[str, str]) -> None:
    """A ``push-branches``/``push-tags`` pattern with a ``[`` class that never closes
    would be matched as plain text (fnmatch's reading), so it would silently never match
    a ref and the run would not push."""
    for name, patterns in (("push-branches", policy.branches),
                           ("push-tags", policy.tag_patterns)):
        for pattern in patterns:
            problem = _glob_problem(pattern)
            if problem:
                lines = (env_input(name, env) or "").splitlines()
                number = next((i for i, line in enumerate(lines, 1) if pattern in line), 1)
                raise InputError(f"input '{name}' line {number}: {pattern!r} is not a glob "
                                 f"pattern: {problem}")


def _glob_problem(pattern: str) -> str:
    """Why ``pattern`` does not parse as a glob, or ""."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":  # a "]" first is in the class
                j += 1
            end = pattern.find("]", j)
            if end < 0:
                return f"the '[' at {i + 1} opens a character class that is never closed"
            i = end
        i += 1
    return ""


# -- the result of one image -------------------------------------------------------------
@dataclass(kw_only=True)
class Outcome:
    image: str
    version: str
    tags: list[str]
    labels: list[str]
    annotations: list[str]
    platforms: list[str]
    decision: Decision
    cache: str = "none"
    action: str = "build"          # build, retag or skip
    action_reason: str = ""
    digest: str = ""
    pushed: bool = False
    seconds: float = 0.0
    buildx_metadata: Mapping[str, Any] = field(default_factory=dict)
    # On a retag or skip the image keeps its first build's labels: ``labels`` are then
    # read from the image ("image"), and this run's own are kept in ``computed_labels``.
    labels_source: str = "computed"
    computed_labels: list[str] = field(default_factory=list)
    computed_annotations: list[str] = field(default_factory=list)
    labels_note: str = ""

    def as_json(self) -> dict[str, Any]:
        doc = {"image": self.image, "version": self.version, "tags": self.tags,
               "labels": self.labels, "annotations": self.annotations,
               "labels-source": self.labels_source,
               "platforms": self.platforms, "digest": self.digest, "pushed": self.pushed,
               "action": self.action, "reason": self.action_reason,
               "push-reason": self.decision.reason, "cache": self.cache,
               "buildx": dict(self.buildx_metadata)}
        if self.labels_source != "computed":
            doc["computed-labels"] = self.computed_labels
            doc["computed-annotations"] = self.computed_annotations
        return doc


# -- entry ------------------------------------------------------------------------------------
def environment(args: argparse.Namespace, base: Mapping[str, str] | None = None,
                flags: Mapping[str, str] = FLAG_INPUTS) -> dict[str, str]:
    """The process environment with every given flag written over its input; ``flags``
    maps the flags' attribute names to input names (``ghbuild platform`` has fewer)."""
    env = dict(os.environ if base is None else base)
    for attr, name in flags.items():
        value = getattr(args, attr, None)
        if value is not None:
            set_input(env, name, value)
    return env


def set_input(env: dict[str, str], name: str, value: str) -> None:
    """Set input ``name``, dropping its other spellings so this value is the one read."""
    upper = name.upper()
    for key in {f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"}:
        env.pop(key, None)
    env[f"INPUT_{upper}"] = value


def register_secrets(env: Mapping[str, str], actions: Actions) -> None:
    """Every secret input and secret-looking value, before anything could print it."""
    for name in SECRET_INPUTS:
        value = env_input(name, env, trim=False)
        if value:
            actions.add_secret(value.strip())
    # The value as a whole is registered above; each password in it is needed on its own.
    for password in registry_auth_passwords(env_input("registry-auth", env, trim=False)):
        actions.add_secret(password)
    # The cache service token the action hands over; buildx could echo it in an error.
    if env.get("ACTIONS_RUNTIME_TOKEN"):
        actions.add_secret(env["ACTIONS_RUNTIME_TOKEN"])
    for _, line in split_lines(env_input("secrets", env, trim=False)):
        # A line without "=" may be a value pasted on its own: all of it is secret.
        _, sep, value = line.partition("=")
        actions.add_secret(value if sep else line)
    for _, line in split_lines(env_input("build-args", env, trim=False)):
        name, _, value = line.partition("=")
        # a token-shaped value is refused once the inputs are read (build.py), after the
        # inputs group has printed them
        if is_credential_name(name.strip()) or credential_value_shape(value):
            actions.add_secret(value)
    for url in _context_urls(env):
        creds = url_credentials(url)
        if creds is not None:
            header = git_auth_secret(creds).value  # what buildx's environment carries
            for part in (creds.userinfo, creds.password, creds.token, header):
                actions.add_secret(part)
        for _, value in query_credentials(url):
            actions.add_secret(value)
    # A credential pasted where a name belongs is refused once the inputs are read; the
    # inputs group is printed before that.
    for name in ("secrets", "secret-files", "secret-envs", "build-args"):
        for _, line in split_lines(env_input(name, env, trim=False)):
            key, _, value = line.partition("=")
            for part in (key, value) if name == "secret-envs" else (key,):
                if credential_shape(part):
                    actions.add_secret(part.strip())


def _context_urls(env: Mapping[str, str]) -> list[str]:
    """The ``context`` input, each ``build-contexts`` value and each URL attribute of
    ``cache-from``/``cache-to``: where a URL may carry ``user:token@`` or a credential in
    its query (build.strip_credentials and refuse_attribute_url_credentials)."""
    urls = [env_input("context", env) or ""]
    for _, line in split_lines(env_input("build-contexts", env)):
        key, sep, value = line.partition("=")
        urls.append(value if sep and "://" not in key else line)
    for name in ("cache-from", "cache-to"):
        for _, line in split_lines(env_input(name, env)):
            urls += [attr.partition("=")[2] for attr in line.split(",") if "://" in attr]
    return [url for url in urls if url]


def given_flags(args: argparse.Namespace) -> dict[str, str]:
    """The input flags given on the command line (input name -> value)."""
    return {name: getattr(args, attr) for attr, name in FLAG_INPUTS.items()
            if getattr(args, attr, None) is not None}


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    check_run_start(args, env)
    actions = Actions(env)
    register_secrets(env, actions)
    ctx = context.from_env(env)
    workspace = ctx.workspace or os.getcwd()
    _say_context(ctx, env, actions)
    if getattr(args, "dry_run", False):
        from .plan import dry_run

        return dry_run(env, ctx, workspace, fmt=args.format, offline=args.offline,
                       flags=given_flags(args))
    envs = image_envs(env, workspace, given_flags(args))
    outcomes = run_images(envs, ctx, actions, bake=bake_mode(envs[0]))
    write_outputs(outcomes, actions)
    return 0


def check_run_start(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """What can be refused before anything is read or written: flags that only mean
    something with --dry-run, and (for a real run) step output and summary files that
    could not be written after the push."""
    if not getattr(args, "dry_run", False):
        given = [flag for flag, on in (("--offline", getattr(args, "offline", False)),
                                       ("--format", getattr(args, "format", None) is not None))
                 if on]
        if given:
            verb, them = ("applies", "it") if len(given) == 1 else ("apply", "them")
            raise InputError(f"{' and '.join(given)} only {verb} to --dry-run; without it "
                             "run checks the registry, builds and pushes",
                             hint=f"add --dry-run, or leave {them} out")
        check_runner_files(env)


def bake_mode(env: Mapping[str, str]) -> bool:
    """Input ``bake`` (``defaults.bake`` of the config file is written over it)."""
    return parse_bool("bake", env_input("bake", env), False)


def _say_context(ctx: context.Context, env: Mapping[str, str], actions: Actions) -> None:
    """One collapsible group with what this run reads; secret values are already
    registered, so they print as ***."""
    with actions.group("ghbuild run: context and inputs"):
        for name, value in (("event", ctx.event_name), ("ref", ctx.ref), ("sha", ctx.sha),
                            ("repository", ctx.repository),
                            ("head repository", ctx.head_repository),
                            ("default branch", ctx.default_branch or "(not in the payload)"),
                            ("actor", ctx.actor), ("workspace", ctx.workspace)):
            actions.info(f"{name}: {value or '(none)'}")
        for key in sorted(k for k in env if k.startswith("INPUT_") and env[k].strip()):
            name = key[len("INPUT_"):].lower().replace("_", "-")
            actions.info(f"input {name}: {shown_input(name, env[key])}")


def shown_input(name: str, value: str) -> str:
    """An input as the log shows it. Redaction alone is not enough: a value shorter than
    four characters is not redacted, and a ``secrets`` line without "=" has no value
    part, so these are shown by their form, not their text."""
    if name in SECRET_INPUTS:
        return "***"
    lines = [line for _, line in split_lines(value)]
    if name == "secrets":
        # ids only; a line that does not parse may be the value itself
        lines = [key.strip() if sep and is_secret_id(key.strip()) else "***"
                 for key, sep, _ in (line.partition("=") for line in lines)]
    elif name in ("context", "build-contexts"):
        lines = [_without_userinfo(line) for line in lines]
    else:
        return value.strip().replace("\n", " | ")
    return " | ".join(lines)


def _without_userinfo(line: str) -> str:
    """A context URL as the log shows it: userinfo and credential query values as ***."""
    key, sep, value = line.partition("=")
    named = bool(sep) and "://" not in key
    shown = hide_url_credentials(value if named else line)
    return f"{key}={shown}" if named else shown


def image_envs(env: dict[str, str], workspace: str,
               flags: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """One environment per image: the inputs, or each image of .github/ghbuild.yml.

    Precedence: ``INPUT_*`` variables < the config file < command-line ``flags``."""
    # The config module pulls in jsonschema; a workspace without the file skips that import
    # (it is a large part of a no-op rerun's time, see bench/bench_run.py).
    wanted = env_input("config", env)
    if not wanted and not any(Path(workspace, ".github", name).is_file()
                              for name in ("ghbuild.yml", "ghbuild.yaml")):
        return [_without_config(env)]
    from ..config import ORIGIN_VAR, config_inside, find_config, load_config, origin

    path = config_inside(workspace, wanted, "input 'config'") if wanted else \
        find_config(workspace)
    if path is None:
        return [_without_config(env)]
    if not path.is_file():
        raise InputError(f"input 'config': {wanted!r} not found in the workspace")
    config = load_config(path)
    chosen = env_input("image", env)
    images = [config.image(chosen)] if chosen else list(config.images)
    if "images" not in (flags or {}):  # the flag's own rule: _check_one_image_flags
        _check_images_input(env, config.path, images)
    _check_one_image_flags(flags or {}, config.path, images)
    for image in images:
        _check_config_platforms(config.path, image)
    out = []
    for image in images:
        overlay = dict(env)
        from_file = image.as_inputs()
        for name, value in from_file.items():
            set_input(overlay, name, value)
        # where each input the file set comes from, for errors raised later (_at_config)
        overlay[ORIGIN_VAR] = origin(config, path, image,
                                     [n for n in from_file if n not in (flags or {})])
        if config.bake is not None:
            set_input(overlay, "bake", "true" if config.bake else "false")
        for name, value in (flags or {}).items():
            set_input(overlay, name, value)
        out.append(overlay)
    _check_distinct_builds(out, [image.name for image in images], config.path, workspace)
    return out


# config.ORIGIN_VAR, named here too: run imports the config module only with a file
CONFIG_ORIGIN = "GHBUILD_CONFIG_ORIGIN"


@contextlib.contextmanager
def _at_config(env: Mapping[str, str]) -> Iterator[None]:
    """An input error raised for an image of the config file, reported at the file's line
    of the key that set that input (config.relocate), and naming the image."""
    try:
        yield
    except ConfigError:
        raise
    except InputError as exc:
        value = env.get(CONFIG_ORIGIN)
        if not value:
            raise
        from ..config import relocate

        moved = relocate(exc, value)
        if moved is exc:
            raise
        raise moved from exc


def _without_config(env: dict[str, str]) -> dict[str, str]:
    """Input ``image`` picks an image of the config file; with no file it would be
    ignored, and the run would build something else than the image asked for."""
    chosen = env_input("image", env)
    if chosen:
        raise InputError(f"input 'image' {chosen!r} picks an image of the config file, but "
                         "there is none (.github/ghbuild.yml or input 'config')",
                         hint="name the image with input 'images', or add the config file")
    return env


# Flags that say what ONE image is or is built from: given with several configured images
# they would send every image to one name or build them all from one place.
ONE_IMAGE_FLAGS = ("images", "context", "file")


def _check_one_image_flags(flags: Mapping[str, str], shown: str, images: Sequence[Any]) -> None:
    given = [name for name in ONE_IMAGE_FLAGS if name in flags]
    if len(images) < 2 or not given:
        return
    names = ", ".join(image.name for image in images)
    flag = " and ".join(f"--{name}" for name in given)
    raise InputError(f"{flag} names one image's build, but {shown} configures "
                     f"{len(images)} images ({names}); it would apply to all of them",
                     hint="pick one with --image NAME, or change the config file")


def _check_images_input(env: Mapping[str, str], shown: str, images: Sequence[Any]) -> None:
    """Input ``images`` (the step's ``with: images``) beside a config file: the file's
    names are written over the inputs, so it would be dropped without a word, and the
    images pushed under other names than the workflow says. Refused, as ``--images`` is
    with several images (a flag is written over the file, so with one it is not lost)."""
    given = (env_input("images", env) or "").strip()
    if not given:
        return
    names = ", ".join(image.name for image in images)
    raise InputError(f"input 'images' is set, but {shown} names the images ({names}); the "
                     "file's names would replace it",
                     hint="leave 'images' out of the step; input 'image' picks one "
                          "configured image")


def _check_distinct_builds(envs: Sequence[Mapping[str, str]], names: Sequence[str],
                           shown: str, workspace: str) -> None:
    """Two configured images with the same image name and build settings would share one
    build key tag: the second would be "retagged" from the first's build. Inputs that do
    not parse are left for the image's own steps to report."""
    from ..buildkey import settings_from_env

    seen: dict[tuple[str, Any], str] = {}
    for env, name in zip(envs, names, strict=True):
        try:
            key = ((env_input("images", env) or "").strip().lower(),
                   settings_from_env(env, workspace))
        except InputError:
            continue
        if key in seen:
            raise InputError(f"{shown}: images {seen[key]} and {name} resolve to the same "
                             f"image name {key[0]!r} and build settings, so they would share "
                             "one build key", hint="give each a name of its own")
        seen[key] = name


def _check_config_platforms(shown: str, image: Any) -> None:
    """The file's ``platforms`` through the one platform parser, so a typo is reported
    at the image's entry in the file rather than as a bare input."""
    from ..errors import ConfigError
    from ..registry.checks import normalise_platform

    key = f"images[{image.index}].platforms"
    for platform in image.platforms or ():
        try:
            normalise_platform(platform, input_name=key)
        except InputError as exc:
            problem = exc.message.split(": ", 1)[-1]  # the parser's "input '…': " prefix
            raise ConfigError(f"{key}: {problem} (image {image.name})", file=shown,
                              line=image.line, hint=exc.hint) from None


# -- tags, labels, annotations (the meta engine) -----------------------------------------
@dataclass(frozen=True, kw_only=True)
class Meta:
    images: tuple[str, ...]
    version: str
    tags: tuple[str, ...]
    labels: tuple[str, ...]        # key=value
    annotations: tuple[str, ...]   # [level:]key=value
    # the tags (as in ``tags``) the meta engine says name one exact release
    release_tags: tuple[str, ...] = ()


def default_image(ctx: context.Context, actions: Actions) -> str:
    """``ghcr.io/<owner>/<repo>`` from GITHUB_REPOSITORY, lowercased (with a notice)."""
    if not ctx.repository:
        raise InputError("input 'images' is empty and GITHUB_REPOSITORY is not set, so "
                         "there is no default image name")
    image = f"ghcr.io/{ctx.repository}"
    if image != image.lower():
        actions.notice(f"image name {image} lowercased to {image.lower()} (registries "
                       "accept lowercase repository names only)")
    return image.lower()


def _check_entries(env: Mapping[str, str]) -> None:
    """A ``labels`` or ``annotations`` entry without ``=``: metadata-action (and so
    ``ghbuild meta``) drops it without a word; run refuses it, since the image would
    lack the label the user wrote."""
    from ..meta.csvlist import parse_list

    for name in ("labels", "annotations"):
        for item in parse_list(env_input(name, env), name):
            if "=" not in item.text:
                raise InputError(f"input '{name}' line {item.line}: {_shown(item.text)} is "
                                 "not key=value (metadata-action would drop it)")


def _shown(text: str, limit: int = 200) -> str:
    """A value as a message quotes it: the first ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} chars)"


def _need_image(images: Sequence[str]) -> None:
    """An ``images`` input that names no image (``,``, only comments, every entry
    ``enable=false``) makes the meta engine give bare tags, as metadata-action does (and
    ``ghbuild meta`` keeps that); a bare tag read as an image reference would push to
    docker.io/library/<tag>, so anything that pushes stops here."""
    if not images:
        raise InputError("input 'images' gives no image name (every entry is empty or "
                         "disabled)", hint="name at least one enabled image, or leave the "
                                           "input empty for ghcr.io/<owner>/<repo>")


def _say_lowercased(raw: str, images: Sequence[str], actions: Actions) -> None:
    """The meta engine lowercases image names (meta/images.py) and, as a parser, says
    nothing: the notice is given here, once per name."""
    import re

    for name in dict.fromkeys(images):
        # the whole name, not the front of a longer one (widget in widget-api); every
        # spelling, so a second one differing only in case is named too
        found = re.finditer(rf"(?<![\w./:-]){re.escape(name)}(?![\w./:-])", raw,
                            re.IGNORECASE)
        spellings = list(dict.fromkeys(match.group(0) for match in found))
        for spelling in spellings:
            if spelling != name:
                actions.notice(f"image name {spelling} lowercased to {name} (registries "
                               "accept lowercase repository names only)")
        if len(spellings) > 1:
            actions.notice(f"image {name} is given {len(spellings)} times (differing only in "
                           "case): it is tagged once")


def _meta_context(ctx: context.Context, env: Mapping[str, str], kind: str) -> context.Context:
    if kind != "git":
        return ctx
    from ..gitcontext import from_git

    return from_git(ctx.workspace or os.getcwd(), event=ctx.event_name or "push",
                    event_path=ctx.event_path or None, environ=env)


def compute_meta(ctx: context.Context, env: Mapping[str, str], actions: Actions) -> Meta:
    from .. import meta

    kind = env_input("meta-context", env) or "workflow"
    _check_entries(env)
    overrides: dict[str, str | None] = {"context": kind}
    if not env_input("images", env):
        overrides["images"] = default_image(ctx, actions)
    inputs = meta.read_inputs(env, overrides)
    meta_ctx = _meta_context(ctx, env, kind)
    result = meta.compute(meta_ctx, inputs, meta.RepoMeta.from_payload(meta_ctx.payload))
    _need_image(result.images)
    _say_lowercased(env_input("images", env) or "", result.images, actions)
    for warning in result.warnings:
        actions.warning(warning)
    if not result.tags:
        rules = "; ".join(result.unmatched) or "no tag rule is enabled"
        raise InputError(f"input 'tags': no tag for event {ctx.event_name or '(none)'!r} "
                         f"on {ctx.ref or '(no ref)'}; rules that would give one: {rules}")
    labels = result.label_lines or tuple(f"{k}={v}" for k, v in sorted(result.labels.items()))
    # images that differ only in case are one image once lowercased: each tag once
    tags = tuple(dict.fromkeys(result.tags))
    actions.info(f"version: {result.version or '(none)'}")
    actions.info("tags: " + ", ".join(tags))
    releases = (*result.release_tags, *spelled_release_tags(tags, meta_ctx.ref))
    return Meta(images=tuple(dict.fromkeys(result.images)), version=result.version,
                tags=tags, labels=labels, annotations=result.annotations,
                release_tags=tuple(dict.fromkeys(releases)))


# A full release version: semver X.Y.Z with an optional pre-release (and build metadata,
# which a tag cannot hold: a '+' becomes '-' in it), or PEP 440 with at least three
# release numbers (1.2.3rc1, 1.2.3.post1, 1!2.3.4). A leading v is the usual tag spelling.
_FULL_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                          r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
# A tag character that would make the version part of a longer token (7.7.70, 17.7.7)
_TOKEN = "0-9A-Za-z."


def release_version(ref: str) -> str:
    """The full release version the run's git ref names (``refs/tags/v7.7.7`` gives
    ``7.7.7``), or "" for a branch, a short version (``v7.7``) or no version at all."""
    if not ref.startswith("refs/tags/"):
        return ""
    name = ref[len("refs/tags/"):]
    bare = name[1:] if name[:1] in "vV" else name
    if _FULL_SEMVER.fullmatch(bare):
        return bare.replace("+", "-")
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(name)
    except InvalidVersion:
        return ""
    return str(parsed).replace("+", "-") if len(parsed.release) >= 3 else ""


def names_release(tag: str, version: str) -> bool:
    """Whether a tag's text holds ``version`` as a whole token, with or without a v
    before it: ``app-7.7.7``, ``7.7.7-web``, ``app-v7.7.7`` do; ``7.7`` and ``7.7.70``
    do not."""
    if not version:
        return False
    token = rf"(?<![{_TOKEN}])[vV]?{re.escape(version)}(?![{_TOKEN}])"
    return re.search(token, tag) is not None


def spelled_release_tags(tags: Sequence[str], ref: str) -> list[str]:
    """The tags (full refs) that spell out the release of a git tag run, however they
    were made ({{major}}.{{minor}}.{{patch}} with a prefix, type=match, type=ref): they
    are release tags as much as a {{version}} one."""
    version = release_version(ref)
    return [tag for tag in tags if names_release(tag.rpartition(":")[2], version)]


# -- one image, in phases ---------------------------------------------------------------------
@dataclass(kw_only=True)
class ImageRun:
    """One image after the steps that read only its inputs (no registry, no engine yet)."""

    env: dict[str, str]
    inputs: RunInputs
    decision: Decision
    meta: Meta
    refs: list[ImageRef]
    build: BuildInputs
    cache: CacheArgs
    key: str
    client: RegistryClient | None
    outcome: Outcome
    cwd: str
    prepared: float  # seconds spent in prepare_image


def run_images(envs: Sequence[dict[str, str]], ctx: context.Context, actions: Actions, *,
               bake: bool = False) -> list[Outcome]:
    """Every image through the same phases: prepare, check (and the release-tag guard),
    login, promote or build, verify. Every image is prepared and checked before any is
    built or promoted, so a refusal for the second image (bad input, a release tag that
    would move) leaves the registry as it was for the first too. Without bake the
    builds then run one after another; with bake the images that need a build are built
    together by one ``docker buildx bake``."""
    client_for = shared_clients()
    prepared = []
    for env in envs:
        with _at_config(env):
            prepared.append(prepare_image(env, ctx, actions, client_for=client_for))
    return _run_group(prepared, ctx, actions, bake=bake)


def run_image(env: dict[str, str], ctx: context.Context, actions: Actions) -> Outcome:
    """One image with its own ``buildx build`` (when it needs a build)."""
    return run_images([env], ctx, actions)[0]


ClientFactory = Callable[["RunInputs", ImageRef, Actions], "RegistryClient | None"]


def prepare_image(env: dict[str, str], ctx: context.Context, actions: Actions, *,
                  cwd: str | None = None, refuse: bool = True,
                  cache_env: Mapping[str, str] | None = None,
                  client_for: ClientFactory | None = None) -> ImageRun:
    """Every step that reads only this image's inputs, in run's order; ``ghbuild plan``
    calls this too (``refuse=False`` goes on past a refused event to show the rest,
    ``cache_env`` stands in for the runner's cache service, ``client_for`` gives its
    read-only client), so plan cannot drift from run."""
    start = time.monotonic()
    cwd = cwd or os.getcwd()
    inputs = read_inputs(env)
    # A refused event (a fork's pull_request_target) stops before anything else is read.
    decision = decide(ctx, inputs.policy)
    if decision.refused and refuse:
        raise PolicyError(f"refused by policy: {decision.reason}")
    meta = compute_meta(ctx, env, actions)
    check_paths(inputs.build, cwd=cwd, workspace=ctx.workspace or cwd)
    buildkey.check_context_paths(inputs.build.build_contexts, cwd=cwd,
                                 workspace=ctx.workspace or cwd)
    refs = _tag_refs(meta.tags)
    _say_decision(decision, actions)
    _warn_credential_args(inputs.build, actions)
    _check_secret_variables(inputs.build, env, actions, refuse=refuse)
    build = _safe_build(inputs.build, actions)
    outcome = Outcome(image=refs[0].name, version=meta.version, tags=list(meta.tags),
                      labels=list(meta.labels), annotations=list(meta.annotations),
                      platforms=list(build.platforms), decision=decision)
    cache = _cache(inputs, refs[0].name, meta.tags, decision,
                   env if cache_env is None else cache_env, actions)
    outcome.cache = cache.description
    return ImageRun(env=env, inputs=inputs, decision=decision, meta=meta, refs=refs,
                    build=build, cache=cache, key=_build_key(inputs, build, ctx, cwd, actions),
                    client=(client_for or _client)(inputs, refs[0], actions),
                    outcome=outcome, cwd=cwd,
                    prepared=time.monotonic() - start)


def _run_group(group: list[ImageRun], ctx: context.Context, actions: Actions, *,
               bake: bool) -> list[Outcome]:
    if bake:
        _check_bakeable(group)
    # Read-only first, for every image: the check, and the release tags a build or a
    # retag would move. A refusal here leaves the registry as it was, nothing built.
    shared_start = time.monotonic()
    checked = list(zip(group, check_images(group, actions), strict=True))
    for img, presence in checked:
        guard_release_tags(img, presence)
        if not _is_present(presence):
            _warn_push_unlikely(img, presence, actions)
    # A platform the builder cannot run is refused here too, for every image to be built;
    # one image at a time, so a refusal is reported at its config file line (_at_config).
    asked: dict[tuple[str, ...], Any] = {}
    for img, presence in checked:
        if not _is_present(presence):
            with _at_config(img.env):
                check_platforms([PlatformCheck(image=img.outcome.image, build=img.build,
                                               cwd=img.cwd, env=img.env)], actions, asked=asked)
    with _maybe_login(group, ctx, actions) as login_env:
        shared = time.monotonic() - shared_start
        pending = []
        for img, presence in checked:
            if _is_present(presence):
                assert presence is not None
                with _own_time(img):
                    _reuse(img, presence, actions)
            else:
                pending.append((img, presence))
        if bake and pending:
            # every image's time includes the one bake run it shared with the others
            bake_start = time.monotonic()
            _bake(pending, login_env, actions)
            shared += time.monotonic() - bake_start
        else:
            for img, presence in pending:
                with _own_time(img):
                    _build(img, {**img.env, **login_env}, actions, presence)
        for img, _ in pending:
            if img.outcome.pushed:
                with _own_time(img):
                    _verify(img, actions)
    for img in group:
        # An image's time: its own preparation, the checks and login it shared with the
        # others, and its own build or retag, not the builds of the images before it.
        img.outcome.seconds += img.prepared + shared
    return [img.outcome for img in group]


@contextlib.contextmanager
def _own_time(img: ImageRun) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        img.outcome.seconds += time.monotonic() - start


def _is_present(presence: Presence | None) -> bool:
    return presence is not None and presence.present


def _check_bakeable(group: Sequence[ImageRun]) -> None:
    """Refuse what bake cannot take (a ``network`` input, two builders) before any
    login or promotion, so a refusal leaves the registry as it was."""
    bake_file([BakeImage(img.outcome.image, build_plan(img)) for img in group])


def _tag_refs(tags: Sequence[str]) -> list[ImageRef]:
    refs = [ImageRef.parse(tag, input_name="tags") for tag in tags]
    for ref in refs:
        if ref.tag and buildkey.is_key_tag(ref.tag):
            raise InputError(f"input 'tags': {ref.tag!r} is in ghbuild's reserved key-tag "
                             f"namespace ({buildkey.KEY_TAG_PREFIX}…); choose another tag")
    return refs


def _say_decision(decision: Decision, actions: Actions) -> None:
    verb = "push" if decision.push else "no push"
    actions.info(f"push decision: {verb} — {decision.reason}")


def _warn_credential_args(build: BuildInputs, actions: Actions) -> None:
    for name in credential_build_args(build):
        actions.warning(f"build arg {name} looks like a credential: build args stay in the "
                        "image history and in mode=max provenance; pass it with the "
                        "'secrets' input and RUN --mount=type=secret instead")


def _check_secret_variables(build: BuildInputs, env: Mapping[str, str], actions: Actions, *,
                            refuse: bool) -> None:
    """A secret read from a variable that is not set (a typo, or a repository secret not
    given to this event) is refused before anything runs; ``ghbuild plan`` (refuse=False,
    run locally where CI's secrets are not set) says it instead."""
    lines = [number for number, _ in split_lines(env_input("secret-envs", env))]
    for number, kv in unset_secret_variables(build, env):
        where = _secret_source(env, lines[number - 1]) if refuse else \
            f"input 'secret-envs' line {lines[number - 1]}"
        message = (f"{where}: secret {kv.key!r} reads "
                   f"variable {kv.value!r}, which is not set in this step's environment")
        if refuse:
            raise InputError(message, hint="set it in the step's env: block, from a "
                                           "repository secret")
        actions.warning(message + "; ghbuild run refuses that")


def _secret_source(env: Mapping[str, str], line: int) -> str:
    """Where a secret-envs entry of ``ghbuild run`` was written: run's environment is the
    step's own plus flags (none for secret-envs), and image_envs puts a config file's
    ``secrets`` into this input, so a value other than the step's came from the file.
    (Plan also reads a workflow's ``with:``, so it does not ask.)"""
    if (env_input("secret-envs", env) or "") != (env_input("secret-envs", os.environ) or ""):
        return f"'secrets' of image {env_input('images', env)} in the config file"
    return f"input 'secret-envs' line {line}"


def _safe_build(build: BuildInputs, actions: Actions) -> BuildInputs:
    provenance, warning = safe_provenance(build)
    if warning:
        actions.warning(warning)
        return replace(build, provenance=provenance)
    return build


def _cache(inputs: RunInputs, image: str, tags: Sequence[str], decision: Decision,
           env: Mapping[str, str], actions: Actions) -> CacheArgs:
    got = cache_args(inputs.cache, image=image, tags=tags, write=decision.cache_write,
                     environ=env)
    for warning in got.warnings:
        actions.warning(warning)
    actions.info(f"cache: {got.description}")
    return got


def _build_key(inputs: RunInputs, build: BuildInputs, ctx: context.Context, cwd: str,
               actions: Actions | None = None) -> str:
    """The key the check asks for. A revision key carries a hash of the build settings
    (context, file, target, build args, named contexts) when they are not the defaults, so a build
    variant of one commit never reuses another variant's image."""
    if inputs.build_key == "content":
        remote = buildkey.remote_contexts(build.build_contexts)
        if remote and actions is not None:
            actions.warning("build-key content cannot see into the named build context(s) "
                            f"{', '.join(remote)} (an image, OCI layout or URL): a change "
                            "there keeps the key; use build-key: revision or no-cache when "
                            "it must rebuild")
        args = [(kv.key, kv.value) for kv in build.build_args]
        return buildkey.content_key(Path(cwd) / build.context, dockerfile_path(build, cwd),
                                    args, build.target, build.platforms,
                                    build_contexts=build.build_contexts, base=cwd)
    if not ctx.sha:
        raise InputError("build key: GITHUB_SHA is not set, so the source revision is "
                         "unknown (set build-key: content, or run on a runner)")
    return buildkey.revision_key(ctx.sha, buildkey.build_settings(build, cwd))


# -- registry ----------------------------------------------------------------------------
GHCR = "ghcr.io"


def _login_credentials(inputs: RunInputs, ref: ImageRef, actor: str,
                       hosts: Sequence[str] = ()) -> list[Credentials]:
    """Every login one image asks for, one per registry (login.merge_logins): each
    ``registry-auth`` entry; ``password`` for ``registry`` (by default the registry of
    the first tag, ``ref``); ``github-token`` for ghcr.io when that is ``registry`` or
    one of ``hosts`` (the registries of the tags) and no explicit login names ghcr.io.
    A user name may be empty here: ``_image_login`` refuses that before logging in."""
    single = inputs.registry or ref.registry
    on_ghcr = normalise_host(single) == GHCR
    problem = username_problem(inputs.username)
    if problem:
        raise InputError(f"input 'username' {problem}")
    wanted = [entry.credentials for entry in inputs.registry_auth]
    if inputs.password:
        wanted.append(Credentials(registry=single, password=inputs.password,
                                  username=inputs.username or (actor if on_ghcr else ""),
                                  source="input 'password'"))
    if inputs.github_token and GHCR in {normalise_host(h) for h in (single, *hosts)}:
        # 'username' goes with 'registry'; for a ghcr.io tag beside it, the actor's name
        user = (inputs.username if on_ghcr else "") or actor
        wanted.append(Credentials(registry=GHCR, username=user, password=inputs.github_token,
                                  source="input 'github-token'", automatic=True))
    return merge_logins(wanted)


def login_plan(img: ImageRun, ctx: context.Context) -> list[Credentials]:
    """The logins run does for this image (none when the policy says no login); ``ghbuild
    plan`` shows them by registry, user and source."""
    # asked also when there is no login: two logins for one registry are bad input either way
    logins = _login_credentials(img.inputs, img.refs[0], ctx.actor,
                                hosts=[ref.registry for ref in img.refs])
    return logins if img.decision.login else []


def shared_clients() -> ClientFactory:
    """:func:`_client`, one per set of logins: images with the same logins (all images of
    a run, unless their config entries differ there) share one connection pool and one
    token cache, so their concurrent checks warm up once (shared tokens)."""
    made: dict[tuple[tuple[str, str, str], ...], RegistryClient] = {}
    lock = threading.Lock()

    def client_for(inputs: RunInputs, ref: ImageRef, actions: Actions) -> RegistryClient:
        key = tuple(sorted((c.host, c.username, c.password) for c in
                           _login_credentials(inputs, ref, "", hosts=[GHCR])))
        with lock:
            if key not in made:
                made[key] = _client(inputs, ref, actions)
            return made[key]

    return client_for


def _client(inputs: RunInputs, ref: ImageRef, actions: Actions) -> RegistryClient:
    """ghbuild's own client (check, promotion, verify) with every login this run has,
    each for its own registry only: the client looks credentials up by host. The
    github-token is there for ghcr.io whichever tag is on it ("ghbuild" stands in for
    an empty user name: a registry given a token does not check the name)."""
    static = {creds.host: RegistryCredentials(username=creds.username or "ghbuild",
                                              password=creds.password)
              for creds in _login_credentials(inputs, ref, "", hosts=[GHCR])}
    for creds in static.values():
        actions.add_secret(creds.password)
    return RegistryClient(_credential_store(static, actions), secret_sink=actions.add_secret)


def _credential_store(static: Mapping[str, RegistryCredentials],
                      actions: Actions) -> CredentialStore:
    """This run's logins in front of the docker config's, so that a registry without a
    login here is read with the engine's credentials, as buildx pushes with them. With no
    login a broken docker config is an error (it is all there is); with logins it only
    loses that fallback, and a warning says so."""
    try:
        store = CredentialStore.from_docker_config()
    except InputError as exc:
        if not static:
            raise
        actions.warning(f"{exc}: registry reads use only this run's logins")
        return CredentialStore.static(static)
    for host, creds in static.items():
        store = store.with_static(host, creds)
    return store


def _maybe_login(group: Sequence[ImageRun], ctx: context.Context, actions: Actions) -> Any:
    """One private docker config with the logins of every image in the group (a bake run
    is one process with one config); a group without logins gets none."""
    logins: list[Credentials] = []
    said: set[str] = set()  # fifty images on one registry: one line, not fifty
    for img in group:
        logins += _image_login(img, ctx, actions, said)
    # The credential inputs are the run's, so images give the same logins again (merged
    # into one); a config file may still send two explicit ones to one registry (refused).
    logins = merge_logins(logins)
    if not logins:
        return contextlib.nullcontext({})
    return private_docker_config(logins, actions, environ=group[0].env)


def _image_login(img: ImageRun, ctx: context.Context, actions: Actions,
                 said: set[str]) -> list[Credentials]:
    decision, inputs, ref = img.decision, img.inputs, img.refs[0]
    if not decision.login:
        why = "input login is false" if inputs.policy.login is PushMode.FALSE and \
            decision.push else "this run does not push"
        _once(said, f"login: none ({why})", actions.info)
        return []
    logins = login_plan(img, ctx)
    for creds in logins:
        if not creds.username:
            what = "'github-token'" if creds.automatic else "'password'"
            raise InputError(f"input 'username' is required to log in to {creds.registry} "
                             f"with {what}")
    covered = {creds.host for creds in logins}
    for host in dict.fromkeys(normalise_host(h) for h in
                              (inputs.registry or ref.registry, *(r.registry for r in img.refs))):
        if host not in covered:
            _once(said, f"login: no password for {host}; using the engine's existing "
                        "credentials", actions.notice)
    return logins


def _once(said: set[str], text: str, say: Any) -> None:
    if text not in said:
        said.add(text)
        say(text)


def _key_ref(ref: ImageRef, key: str) -> ImageRef:
    return ref.with_tag(buildkey.key_tag_name(key))


def key_ref(img: ImageRun) -> ImageRef:
    """The build key tag the check asks for (``<image>:ghbuild-key-rev-<sha>``)."""
    return _key_ref(img.refs[0], img.key)


CHECK_OFF = "input check is false"
FRESH_BUILD = "no-cache is true: a fresh build was asked for, so no image is reused"


def unchecked_reason(img: ImageRun) -> str:
    """Why run does not ask the registry for this image's key, "" when it does.

    ``no-cache`` is decided here, not in the build key: a key of its own would be found
    by the next no-cache run and turn that into a retag, while the user asked each time
    for a build that reuses nothing. Not asking keeps every later step (the release-tag
    guard included) on the path of a build."""
    if not img.inputs.check:
        return CHECK_OFF
    if img.build.no_cache:
        return FRESH_BUILD
    return ""


def check_image(img: ImageRun, actions: Actions) -> Presence | None:
    """The registry check of the build key tag; None when input check is false or
    no-cache is true (:func:`unchecked_reason`)."""
    presence = ask_registry(img)
    say_check(img, presence, actions)
    return presence


def ask_registry(img: ImageRun) -> Presence | None:
    """The check alone, without a word: safe to run for several images at once."""
    if unchecked_reason(img):
        return None
    assert img.client is not None
    return img.client.check(key_ref(img), platforms=img.build.platforms, key=img.key)


def say_check(img: ImageRun, presence: Presence | None, actions: Actions) -> None:
    if presence is None:
        actions.info(f"registry check: off ({unchecked_reason(img) or CHECK_OFF}): building")
        return
    target = key_ref(img)
    actions.info(f"registry check {target}: {presence.state.value} — {presence.reason}")
    if presence.state is State.UNKNOWN:
        actions.warning(f"registry answer for {target} is unknown ({presence.reason}); "
                        "building rather than skipping")




def check_images(group: Sequence[ImageRun], actions: Actions) -> list[Presence | None]:
    """Every image's check, asked concurrently and said in image order, so fifty images
    cost about one round trip rather than fifty, and the log reads as if one by one."""
    if len(group) == 1:
        answers = [ask_registry(group[0])]
    else:
        by_client: dict[int, tuple[RegistryClient, list[ImageRef]]] = {}
        for img in group:
            if not unchecked_reason(img) and img.client is not None:
                by_client.setdefault(id(img.client), (img.client, []))[1].append(key_ref(img))
        for client, refs in by_client.values():
            if len(refs) > 1:
                client.warm_up(refs)  # shared tokens where one client checks several images
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_CHECKS, len(group)),
                                thread_name_prefix="ghbuild-check") as pool:
            answers = list(pool.map(ask_registry, group))
    for img, presence in zip(group, answers, strict=True):
        say_check(img, presence, actions)
    return answers


def unreachable(presence: Presence | None) -> bool:
    """No answer at all (a refused connection, a timeout), as opposed to an answer we
    could not use (HTTP 5xx, 401)."""
    if presence is None or presence.state is not State.UNKNOWN:
        return False
    # the client gives connection errors and HTTP faults the same cause; its reason
    # text is the only difference (ghbuild/registry/client.py, fetch)
    return presence.cause == "timeout" or (presence.cause == "fault" and
                                           presence.reason.startswith("cannot reach registry"))


def decide_action(presence: Presence | None, decision: Decision, *,
                  unchecked: str = CHECK_OFF) -> tuple[str, str]:
    """build, retag or skip, and why, from the check (run and plan both say this);
    ``unchecked`` is why there was no check (:func:`unchecked_reason`)."""
    if presence is not None and presence.present:
        if not decision.push:
            return "skip", (f"{presence.ref} already built as {presence.digest}; this run "
                            "does not push, so no tags are added")
        return "retag", f"{presence.ref} already built as {presence.digest}: no build"
    if presence is None:
        return "build", f"the registry check is off ({unchecked})"
    if presence.state is State.UNKNOWN:
        return "build", (f"the registry check was inconclusive ({presence.reason}): "
                         "building rather than risk a skip")
    if presence.digest and "lacks platform" in presence.reason:
        return "build", f"the image for this build key lacks a requested platform: " \
                        f"{presence.reason}"
    if presence.digest:
        return "build", f"the image for this build key does not fit: {presence.reason}"
    return "build", f"no image for this build key yet ({presence.reason})"


def release_tag_conflicts(img: ImageRun, digest: str = "") -> tuple[list[str], list[str]]:
    """Release tags this run would move: (those that exist at another digest than
    ``digest``, the reused one, or at any digest before a build; those the registry
    gave no clear answer for). Read-only."""
    present, doubtful, _ = _release_lookups(img, digest)
    return present, doubtful


def _release_lookups(img: ImageRun, digest: str) -> tuple[list[str], list[str], list[str]]:
    """:func:`release_tag_conflicts`, and the registries among the doubtful answers that
    refused a pull and that this run has no credentials for (:func:`no_login`)."""
    if not img.decision.push or img.inputs.allow_tag_move:
        return [], [], []
    assert img.client is not None
    present, doubtful, unlogged = [], [], []
    for tag, ref in zip(img.meta.tags, img.refs, strict=True):
        if not is_release_tag(img.meta, tag, ref):
            continue
        seen = img.client.resolve(ref)
        if seen.present and seen.digest != digest:
            present.append(f"{ref} is {seen.digest}")
        elif seen.state is State.UNKNOWN:
            doubtful.append(f"{ref} ({seen.reason})")
            if no_login(img.client, ref, seen) and ref.registry not in unlogged:
                unlogged.append(ref.registry)
    return present, doubtful, unlogged


def no_login(client: RegistryClient, ref: ImageRef, seen: Presence) -> bool:
    """Whether ``seen`` is a refused pull (401/403) by a registry this run has no
    credentials for: no login of this run, nothing in the docker config."""
    if seen.state is not State.UNKNOWN or seen.cause != "access":
        return False
    try:
        return client.creds.get(ref.registry) is None
    except GhbuildError:
        return False  # unreadable credentials are their own error, said elsewhere


def _login_hint(registries: Sequence[str]) -> str:
    return (f"add a registry-auth entry for {', '.join(registries)} (input 'registry-auth': "
            "a list of {registry, username, password}), or log in to it before this step")


def release_tags_of(meta: Meta, refs: Sequence[ImageRef]) -> list[str]:
    """The tags (as in ``meta.tags``) that must not move: full semver, and every tag the
    meta engine made from one exact release. A push gives buildx none of them: run
    writes them after it by promotion (:func:`_promote_releases`)."""
    return [tag for tag, ref in zip(meta.tags, refs, strict=True)
            if is_release_tag(meta, tag, ref)]


def is_release_tag(meta: Meta, tag: str, ref: ImageRef) -> bool:
    """The one test of a release tag, for the guard before the build, the tags held back
    from buildx and the promotion after it: full semver (``release_tag``), every tag the
    meta engine made from one exact release, and every tag spelling out the release of
    the git tag run (:func:`spelled_release_tags`; all in ``meta.release_tags``)."""
    if not ref.tag:
        return False
    return release_tag(ref.tag) or tag in meta.release_tags


def release_predicate(img: ImageRun) -> Callable[[str], bool]:
    """Which tags promotion must not move (by tag name, as the promotion asks):
    those :func:`is_release_tag` says."""
    names = {ref.tag for tag, ref in zip(img.meta.tags, img.refs, strict=True)
             if is_release_tag(img.meta, tag, ref)}
    return lambda tag: release_tag(tag) or tag in names


def guard_release_tags(img: ImageRun, presence: Presence | None) -> None:
    """Before anything is written: a release (full semver) tag that already exists would
    move (to a build's new digest, or to another reused one), so refuse unless
    allow-tag-move; a doubtful answer refuses too, since it must never lead to an
    overwrite. Promotion checks again itself; this makes a group (bake) refuse before
    its first write."""
    reused = presence.digest or "" if presence is not None and presence.present else ""
    present, doubtful, unlogged = _release_lookups(img, reused)
    what = f"promote {reused}" if reused else "build and push"
    if present:
        target = reused or "a new digest"
        raise PolicyError(f"refusing to {what}: release tag(s) already exist and this run "
                          f"would move them to {target}: " + "; ".join(present) +
                          "; nothing was built or pushed",
                          hint="release tags are immutable; set allow-tag-move: true to move "
                               "them")
    if doubtful:
        login = (f"; this run has no login for registry {', '.join(unlogged)} (no "
                 "registry-auth entry or login of this run, nothing in the docker config)"
                 if unlogged else "")
        raise RegistryError(f"refusing to {what}: cannot tell whether release tag(s) "
                            "already exist: " + "; ".join(doubtful) + login + "; a doubtful "
                            "answer never leads to an overwrite, so nothing was built or "
                            "pushed", hint=_login_hint(unlogged) if unlogged else None)


def _warn_push_unlikely(img: ImageRun, presence: Presence | None, actions: Actions) -> None:
    if img.decision.push and unreachable(presence):
        assert presence is not None
        actions.warning(f"the registry cannot be reached ({presence.reason}): building "
                        "anyway, but the push at the end will likely fail")


def _reuse(img: ImageRun, presence: Presence, actions: Actions) -> None:
    assert presence.digest and img.client is not None
    outcome = img.outcome
    outcome.digest = presence.digest
    outcome.platforms = outcome.platforms or list(presence.platforms)
    outcome.action, outcome.action_reason = decide_action(presence, img.decision)
    actions.info(f"build decision: {outcome.action} — {outcome.action_reason}")
    source = key_ref(img).with_digest(presence.digest)
    if outcome.action == "retag":
        with actions.group("promote tags"):
            results = _retag(img, source, actions)
        # "pushed" means this run wrote a tag; all of them already there writes nothing.
        outcome.pushed = any(r.action is not Action.UNCHANGED for r in results)
    _carried_metadata(img, source, actions)


def _retag(img: ImageRun, source: ImageRef, actions: Actions) -> list[PromoteResult]:
    """The tags of a reused digest, said one by one. On one registry this is promotion.
    For an image named on several (ghcr.io and docker.io), each other registry is asked
    whether it holds the same digest under the key tag (one manifest request): there the
    tags are promoted within it, elsewhere the image is copied in by digest first (and
    gets the key tag, last). Every tag on every registry is read before the first write,
    every copy is done before the first tag, so a refusal, or a failed copy, writes no
    tag anywhere; a failure after that says what was written where."""
    assert img.client is not None
    groups = registry_copy.by_registry(img.refs)
    if len(groups) == 1:
        results = img.client.promote(source, img.refs, allow_move=img.inputs.allow_tag_move,
                                     immutable=release_predicate(img))
        for result in results:
            actions.info(result.describe())
        return results
    return place_tags(img.client, source, retag_placements(img, source, actions),
                      allow_move=img.inputs.allow_tag_move, immutable=release_predicate(img),
                      actions=actions)


def retag_placements(img: ImageRun, source: ImageRef,
                     actions: Actions) -> list[registry_copy.Placement]:
    """One :func:`_placement` per registry of the image's names, the first name's first.
    Read-only (``ghbuild plan`` shows them)."""
    return [_placement(img, source, group, actions)
            for group in registry_copy.by_registry(img.refs)]


def place_tags(client: RegistryClient, source: ImageRef,
               placements: Sequence[registry_copy.Placement], *, allow_move: bool,
               immutable: Callable[[str], bool], actions: Actions) -> list[PromoteResult]:
    """``placements`` written in order, said one by one: every target on every registry
    read first (a release tag that would move refuses, exit 3), every copy, then each
    registry's tags. A stop is one error saying what was written where. Shared with
    ``ghbuild merge``, so both order their writes alike."""
    targets = [target for placement in placements for target in placement.targets]
    written: list[PromoteResult] = []
    copied: list[str] = []

    def said(result: PromoteResult) -> None:
        written.append(result)
        actions.info(result.describe())

    def did_copy(placement: registry_copy.Placement, stats: registry_copy.CopyStats) -> None:
        copied.append(str(placement.source.repo_only()))
        actions.info(f"copied {source.digest} into {placement.source.repo_only()}: "
                     f"{stats.describe()}")

    try:
        current = check_targets(client, targets, source.digest or "", allow_move=allow_move,
                                immutable=immutable)
        return registry_copy.place(client, placements, current, on_result=said,
                                   on_copied=did_copy)
    except PolicyError as exc:
        raise PolicyError(f"{exc.message}; {_placed_note(targets, written, copied)}",
                          hint=exc.hint) from None
    except RegistryError as exc:
        raise RegistryError(f"{exc.message}; {_placed_note(targets, written, copied)}",
                            hint=exc.hint) from None


def _placement(img: ImageRun, source: ImageRef, group: Sequence[ImageRef],
               actions: Actions) -> registry_copy.Placement:
    """One registry's part of a retag: promoted from ``source`` in
    its own registry; elsewhere from the same digest where that registry's key tag names
    it, or copied there from ``source``. Read-only."""
    Placement = registry_copy.Placement
    assert img.client is not None and source.digest
    first = group[0]
    pinned = first.repo_only().with_digest(source.digest)
    if first.api_host == source.api_host:
        return Placement(first.registry, tuple(group), source)
    key = _key_ref(first.repo_only(), img.key)
    seen = img.client.resolve(key)
    if seen.present and seen.digest == source.digest:
        actions.info(f"registry {first.registry}: {key} is {source.digest} too: "
                     "promoting there")
        return Placement(first.registry, tuple(group), pinned)
    if seen.present:
        why = f"{key} is {seen.digest}, not {source.digest}"
    elif seen.state is State.ABSENT:
        why = f"{key} is not there"
    elif no_login(img.client, key, seen):
        # a copy would fail at its first blob, after the reads: say what is missing now
        raise RegistryError(f"registry {first.registry}: this run has no login for it (no "
                            "registry-auth entry or login of this run, nothing in the "
                            f"docker config) and it refused a pull of {key} "
                            f"({seen.reason}); nothing was copied or tagged on any registry",
                            hint=_login_hint([first.registry]))
    else:
        why = f"its answer for {key} is unknown ({seen.reason})"
    actions.info(f"registry {first.registry}: {why}: copying {source.digest} there from "
                 f"{source.registry}")
    # The key tag of each repository there goes last, so the image is found there next time.
    keys = {str(_key_ref(ref.repo_only(), img.key)): _key_ref(ref.repo_only(), img.key)
            for ref in group}
    return Placement(first.registry, (*group, *keys.values()), pinned, copy_from=source)


def _placed_note(targets: Sequence[ImageRef], written: Sequence[PromoteResult],
                 copied: Sequence[str]) -> str:
    """What a retag over several registries left behind when it stopped."""
    done = {str(r.target): r for r in written}
    parts = [f"written: {', '.join(r.describe() for r in written)}" if written
             else "no tag was written on any registry"]
    missing = [str(t) for t in targets if str(t) not in done]
    if missing:
        parts.append(f"not written: {', '.join(missing)}")
    if copied:
        parts.append(f"copied by digest (untagged unless written above) into "
                     f"{', '.join(copied)}")
    return "; ".join(parts)


def _carried_metadata(img: ImageRun, source: ImageRef, actions: Actions) -> None:
    """A reused digest keeps the labels and annotations of its first build, not the ones
    computed now (version, created): report what the image carries, and say so."""
    assert img.client is not None
    outcome = img.outcome
    outcome.computed_labels = list(outcome.labels)
    outcome.computed_annotations = list(outcome.annotations)
    try:
        labels, annotations, platforms = image_metadata(img.client, source)
    except (GhbuildError, ValueError) as exc:
        actions.warning(f"could not read the labels of {source} ({exc}); the labels output "
                        "shows this run's computed labels, which that image may not carry")
        return
    outcome.labels, outcome.annotations = labels, annotations
    outcome.labels_source = "image"
    outcome.platforms = outcome.platforms or platforms
    version = dict(line.partition("=")[::2] for line in labels).get(VERSION_LABEL)
    if labels != outcome.computed_labels:
        _say_carried(outcome, version or "", actions)


def _say_carried(outcome: Outcome, version: str, actions: Actions) -> None:
    """The notice and summary note of a reused digest's labels. With the same version on
    both sides, "version main, not main" would read as a contradiction: then only the
    labels that do differ (created time, revision) are named."""
    if version == outcome.version:
        which = "labels (created time, revision) of its first build"
    else:
        which = (f"labels and annotations of its first build (version {version or '(none)'}, "
                 f"not {outcome.version or '(none)'})")
    outcome.labels_note = (f"the image keeps the {which}: the digest is reused, so this "
                           "run's labels are not on the image")
    actions.notice(f"{outcome.action}: {outcome.image}@{outcome.digest} keeps the {which}; "
                   "the labels and annotations outputs are the image's own")


VERSION_LABEL = "org.opencontainers.image.version"


def image_metadata(client: RegistryClient, ref: ImageRef
                   ) -> tuple[list[str], list[str], list[str]]:
    """Labels (``key=value``), annotations (``level:key=value``) and platforms of the image
    at ``ref``; for an index, of its first manifest that is not an attestation."""
    top = client.get_manifest(ref)
    data = top.json()
    annotations = _annotation_lines("index" if top.is_index else "manifest", data)
    platforms = list(index_platforms(data)) if top.is_index else []
    image = data
    if top.is_index:
        entry = next((e for e in data.get("manifests") or [] if isinstance(e, dict) and
                      (e.get("annotations") or {}).get("vnd.docker.reference.type")
                      != ATTESTATION_TYPE), None)
        if entry is None:
            raise RegistryError(f"index {top.digest} holds no image manifest")
        image = client.get_manifest(ref.with_digest(str(entry.get("digest")))).json()
        annotations += _annotation_lines("manifest", image)
    descriptor = image.get("config")
    digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    if not isinstance(digest, str):
        raise RegistryError(f"the image manifest of {ref} names no config blob")
    config = json.loads(client.get_blob(ref.repo_only(), digest, limit=4 << 20))
    inner = config.get("config") if isinstance(config, dict) else None
    found = inner.get("Labels") if isinstance(inner, dict) else None
    if not isinstance(config, dict) or not isinstance(found or {}, dict):
        raise RegistryError(f"config blob {digest} of {ref} is not an image config")
    labels = [f"{k}={v}" for k, v in sorted((found or {}).items())]
    if not platforms and (name := platform_of(config)):
        platforms = [name]
    return labels, annotations, platforms


def _annotation_lines(level: str, data: Mapping[str, Any]) -> list[str]:
    notes = data.get("annotations") or {}
    return [f"{level}:{k}={v}" for k, v in sorted(notes.items())
            if k != buildkey.BUILD_KEY_ANNOTATION] if isinstance(notes, dict) else []


def _verify(img: ImageRun, actions: Actions) -> None:
    """After a push, each tag must resolve to the digest buildx reported; the platforms
    reported are the registry's."""
    digest, client = img.outcome.digest, img.client
    assert client is not None
    if not digest:
        raise RegistryError("buildx reported no digest (containerimage.digest) for the push")
    targets = [*img.refs, *{_key_ref(ref.repo_only(), img.key) for ref in img.refs}]
    for ref in targets:
        got, relation = _settled(client, ref, digest)
        if not got.present or got.digest != digest:
            found = got.digest if got.present else f"{got.state.value}: {got.reason}"
            raise RegistryError(f"after the push, {ref} resolves to {found}{relation}, not to "
                                f"the pushed digest {digest}{_RACE if relation else ''}",
                                hint=None if relation else "was it moved by another run "
                                "pushing these tags at the same time?")
    actions.info(f"verified: {len(targets)} tags resolve to {digest}")
    described = client.check(img.refs[0].with_digest(digest), describe=True)
    if described.present and described.platforms:
        img.outcome.platforms = list(described.platforms)


# A tag read back in the middle of another push of the same tags. Seen on this project's
# engine (moby 26.1 with the containerd image store, buildx 0.13, docker driver) with two
# runs of one commit at once: the tag points for a moment at a manifest inside the index
# being pushed (moby writes an index's own manifests under its tag before the index,
# moby/moby#49949), the registry may answer 500 while the tag is rewritten, and the docker
# driver may report a digest of the other build (both name one local image). Such a read is
# repeated until it settles; the run still fails if it does not, saying why.
VERIFY_DELAYS = (0.25, 0.5, 1.0, 1.5)
_sleep = time.sleep  # tests replace it
_RACE = ("; another push to these tags ran at the same time (a second run of this commit?): "
         "the engine writes an index's manifests under its tag before the index itself, "
         "and the docker driver names the digest of the local image of that name, which a "
         "build running beside it replaces. Nothing is wrong with the registry; run again "
         "once the other run is done")


def _settled(client: RegistryClient, ref: ImageRef, digest: str) -> tuple[Presence, str]:
    """What ``ref`` resolves to once a concurrent push of it has settled, and how that is
    related to ``digest`` ("" when it is ``digest``, or an unrelated image: a tag moved for
    good is not waited for)."""
    got, relation = client.resolve(ref), ""
    for delay in VERIFY_DELAYS:
        if got.present and got.digest == digest:
            return got, ""
        relation = _relation(client, ref, got, digest) if got.present else ""
        if got.present and not relation:
            return got, ""
        _sleep(delay)
        got = client.resolve(ref)
    if got.present and got.digest != digest:
        relation = _relation(client, ref, got, digest)
    return got, relation


def _relation(client: RegistryClient, ref: ImageRef, got: Presence, digest: str) -> str:
    if got.digest in _children(client, ref, digest):
        return ", a manifest inside the pushed index"
    if got.digest and digest in _children(client, ref, got.digest):
        return ", an index holding the digest buildx reported"
    return ""


def _children(client: RegistryClient, ref: ImageRef, digest: str) -> set[str]:
    try:
        data = client.get_manifest(ref.with_digest(digest)).json()
    except (GhbuildError, ValueError):
        return set()
    entries = data.get("manifests")
    return {str(e.get("digest")) for e in entries if isinstance(e, dict)} \
        if isinstance(entries, list) else set()


# -- build ---------------------------------------------------------------------------------
def _is_index(build: BuildInputs, env: Mapping[str, str]) -> bool:
    """Whether buildx will push an index: several platforms or any attestation."""
    attest_off = build.provenance.strip().lower() in ("false", "0") or (
        not build.provenance and env.get("BUILDX_NO_DEFAULT_ATTESTATIONS", "") not in ("", "0"))
    sbom = build.sbom.strip().lower() not in ("", "false", "0")
    return len(build.platforms) > 1 or sbom or not attest_off


def _say_driver(build: BuildInputs, env: Mapping[str, str], actions: Actions) -> str:
    """Name the builder's driver: what a build may do depends on it (the docker driver
    exports cache only with the containerd image store, and cannot push by digest)."""
    try:
        driver = detect_driver(env, build.builder)
    except BuildError as exc:
        # buildx itself will fail with its own message if the builder is really unusable.
        actions.warning(f"could not read the builder's driver: {exc}")
        return ""
    actions.info(f"builder: {build.builder or 'current'} ({driver} driver)")
    return driver


def _fit_cache(img: ImageRun, driver: str, env: Mapping[str, str], actions: Actions) -> None:
    """Drop a cache export the builder would refuse (it fails the build, not just the
    cache); asks the engine about its image store only when that matters."""
    if driver != "docker" or not img.cache.cache_to:
        return
    fitted = for_engine(img.cache, driver=driver, containerd_store=containerd_store(env))
    if fitted is not img.cache:
        for warning in fitted.warnings[len(img.cache.warnings):]:
            actions.warning(warning)
        img.cache = fitted
        img.outcome.cache = fitted.description


def make_build_plan(build: BuildInputs, meta: Meta, refs: Sequence[ImageRef], key: str,
                    cache: CacheArgs, decision: Decision, env: Mapping[str, str],
                    metadata_file: str = "") -> BuildPlan:
    """The plan buildx gets: when pushing, the key tag and the build-key annotation are
    added, so the next run's check finds this image, and the release tags are left out
    (:func:`_promote_releases` writes them); also used by ``ghbuild plan``."""
    tags = list(meta.tags)
    annotations = list(meta.annotations)
    if decision.push:
        # buildx would write a release tag over whatever another job put there during the
        # build: those are written afterwards, each read just before its write.
        held = set(release_tags_of(meta, refs))
        tags = [tag for tag in tags if tag not in held]
        tags += sorted({str(_key_ref(ref.repo_only(), key)) for ref in refs})
        level = "index" if _is_index(build, env) else "manifest"
        annotations.append(f"{level}:{buildkey.BUILD_KEY_ANNOTATION}={key}")
    return BuildPlan(inputs=build, tags=tuple(tags), labels=tuple(meta.labels),
                     annotations=tuple(annotations), cache_from=cache.cache_from,
                     cache_to=cache.cache_to, push=decision.push, metadata_file=metadata_file)


def build_plan(img: ImageRun, metadata_file: str = "") -> BuildPlan:
    return make_build_plan(img.build, img.meta, img.refs, img.key, img.cache, img.decision,
                           img.env, metadata_file=metadata_file)


def _decide_build(img: ImageRun, presence: Presence | None, actions: Actions) -> BuildPlan:
    img.outcome.action, img.outcome.action_reason = decide_action(
        presence, img.decision, unchecked=unchecked_reason(img) or CHECK_OFF)
    actions.info(f"build decision: build — {img.outcome.action_reason}")
    return build_plan(img)


def _build(img: ImageRun, env: dict[str, str], actions: Actions,
           presence: Presence | None) -> None:
    _fit_cache(img, _say_driver(img.build, env, actions), env, actions)
    plan = _decide_build(img, presence, actions)
    result = run_build(plan, actions, env=env, cwd=img.cwd,
                       dockerfile=os.path.relpath(dockerfile_path(img.build, img.cwd), img.cwd))
    img.outcome.digest = result.digest
    img.outcome.pushed = img.decision.push
    img.outcome.buildx_metadata = result.metadata
    _promote_releases(img, actions)


def _bake(pending: Sequence[tuple[ImageRun, Presence | None]], login_env: Mapping[str, str],
          actions: Actions) -> None:
    """Every image that needs a build, in one ``docker buildx bake`` (one BuildKit session,
    so a stage the images share is solved once); each keeps its own tags and cache."""
    first = pending[0][0]
    env = {**first.env, **login_env}
    driver = _say_driver(first.build, env, actions)
    for img, _ in pending:
        _fit_cache(img, driver, env, actions)
    images = [BakeImage(img.outcome.image, _decide_build(img, presence, actions))
              for img, presence in pending]
    results = run_bake_results(images, actions, env=env, cwd=first.cwd)
    for img, _ in pending:
        img.outcome.action_reason += f"; built in one docker buildx bake run of {len(images)}"
        img.outcome.digest = results.digests.get(img.outcome.image, "")
        img.outcome.pushed = img.decision.push
        img.outcome.buildx_metadata = results.metadata.get(img.outcome.image, {})
    for index, (img, _) in enumerate(pending):
        try:
            _promote_releases(img, actions)
        except GhbuildError as exc:
            # one image after another: those after a refused one are pushed, not released
            later = [i.outcome.image for i, _ in pending[index + 1:]
                     if i.decision.push and release_tags_of(i.meta, i.refs)]
            if later:
                exc.message += (f"; {', '.join(later)} pushed too, their release tags not "
                                "written")
            raise


def _promote_releases(img: ImageRun, actions: Actions) -> None:
    """After a push: the release tags buildx was not given, onto the digest it pushed.
    Each is read again right before the writes, so a tag another job put there during
    the build is refused (exit 3) rather than overwritten. A refusal or a failure here leaves the
    build's other tags as pushed, and the error says which tags were written."""
    held = set(release_tags_of(img.meta, img.refs)) if img.decision.push else set()
    targets = [ref for tag, ref in zip(img.meta.tags, img.refs, strict=True) if tag in held]
    if not targets:
        return
    assert img.client is not None
    digest = img.outcome.digest
    written: list[PromoteResult] = []
    if not digest:
        raise RegistryError("buildx reported no digest (containerimage.digest) for the push; "
                            + _tagged_note(img, digest, targets, []))

    def said(result: PromoteResult) -> None:
        written.append(result)
        actions.info(result.describe())

    with actions.group("promote release tags"):
        try:
            tag_pushed(img.client, digest, targets, allow_move=img.inputs.allow_tag_move,
                       immutable=release_predicate(img), on_result=said)
        except PolicyError as exc:
            raise PolicyError(f"{exc.message} (written by another job during the build: the "
                              "look-up before it found none); "
                              + _tagged_note(img, digest, targets, written),
                              hint="release tags are immutable; set allow-tag-move: true to "
                                   "move them") from None
        except RegistryError as exc:
            raise RegistryError(f"{exc.message}; " + _tagged_note(img, digest, targets, written),
                                hint=exc.hint) from None


def _tagged_note(img: ImageRun, digest: str, releases: Sequence[ImageRef],
                 written: Sequence[PromoteResult]) -> str:
    """What a push left behind when its release tags could not all be written."""
    done = {str(r.target) for r in written}
    tagged = [*build_plan(img).tags, *(str(ref) for ref in releases if str(ref) in done)]
    missing = [str(ref) for ref in releases if str(ref) not in done]
    what = f"the build {digest}" if digest else "the build"
    return f"{what} was pushed and tagged {', '.join(tagged)}; not tagged: {', '.join(missing)}"


# -- outputs ---------------------------------------------------------------------------------
def write_outputs(outcomes: list[Outcome], actions: Actions) -> None:
    last = outcomes[-1]
    image = f"{last.image}@{last.digest}" if last.digest else ""
    values = {
        "version": last.version, "tags": "\n".join(last.tags),
        "labels": "\n".join(last.labels), "annotations": "\n".join(last.annotations),
        "digest": last.digest, "image": image, "pushed": _flag(last.pushed),
        "skipped": _flag(last.action != "build"),
        "skip-reason": last.action_reason if last.action != "build" else "",
        "action": last.action,
        "metadata": json.dumps(last.as_json() if len(outcomes) == 1
                               else {"images": [o.as_json() for o in outcomes]}, indent=2),
    }
    for name, value in values.items():
        actions.set_output(name, value)
    for outcome in outcomes:
        actions.summary(summary_markdown(outcome))
    print(safe_json(values["metadata"]))  # stdout is read by the runner too


def _flag(value: bool) -> str:
    return "true" if value else "false"


def summary_markdown(o: Outcome) -> str:
    tags = "<br>".join(f"`{t}`" for t in o.tags)
    rows = [
        ("Tags", tags), ("Digest", f"`{o.digest}`" if o.digest else "none"),
        ("Platforms", ", ".join(o.platforms) or "engine default"),
        ("Build", f"**{o.action}**: {o.action_reason}"),
        ("Push", _push_cell(o)),
        ("Cache", o.cache), ("Time", f"{o.seconds:.1f}s"),
    ]
    if o.labels_note:
        rows.insert(4, ("Labels", o.labels_note))
    body = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    return f"### ghbuild: {o.image}\n\n| | |\n| --- | --- |\n{body}\n"


def _push_cell(o: Outcome) -> str:
    if o.decision.push and not o.pushed and o.action == "retag":
        return f"**no**: nothing to write, every tag already names the digest ({o.decision.reason})"
    return f"**{'yes' if o.pushed else 'no'}**: {o.decision.reason}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
