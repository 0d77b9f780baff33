"""``ghbuild run``: the action's job, from tags to a verified push.

In order, each decision printed with its reason: tags, labels and annotations from
the meta engine; the push policy; a login only if needed; the registry check on the
build key tag; then either promotion of the new tags onto the digest already built,
or a buildx build; after a push, every tag is read back and must name the digest;
last the step outputs and the job summary. Inputs are ``INPUT_*`` variables (as the
composite action passes them); the flags below override them. docs/run.md lists all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import buildkey, context
from ..bake import BakeImage, bake_file, run_bake_results
from ..build import (
    BuildInputs,
    BuildPlan,
    check_paths,
    credential_build_args,
    dockerfile_path,
    inputs_from_env,
    is_credential_name,
    safe_provenance,
    split_lines,
)
from ..buildx import detect_driver, run_build
from ..cache import CacheArgs, CacheSettings, cache_args, parse_mode
from ..errors import BuildError, InputError, PolicyError, RegistryError
from ..gha import Actions
from ..inputs import env_input, parse_bool
from ..login import Credentials, private_docker_config
from ..policy import Decision, PushMode, PushPolicy, decide, policy_from_inputs
from ..registry import Credentials as RegistryCredentials
from ..registry import CredentialStore, ImageRef, Presence, RegistryClient

# Inputs whose values are secrets: registered for redaction before anything runs.
SECRET_INPUTS = ("github-token", "password")
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
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="output of --dry-run")
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
    return RunInputs(
        build=inputs_from_env(env), policy=policy_from_inputs(env), cache=_cache_settings(env),
        build_key=key, check=parse_bool("check", env_input("check", env), True),
        allow_tag_move=parse_bool("allow-tag-move", env_input("allow-tag-move", env), False),
        registry=env_input("registry", env) or "", username=env_input("username", env) or "",
        password=env_input("password", env, trim=False) or "",
        github_token=env_input("github-token", env, trim=False) or "")


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

    def as_json(self) -> dict[str, Any]:
        return {"image": self.image, "version": self.version, "tags": self.tags,
                "labels": self.labels, "annotations": self.annotations,
                "platforms": self.platforms, "digest": self.digest, "pushed": self.pushed,
                "action": self.action, "reason": self.action_reason,
                "push-reason": self.decision.reason, "cache": self.cache,
                "buildx": dict(self.buildx_metadata)}


# -- entry ------------------------------------------------------------------------------------
def environment(args: argparse.Namespace, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment with every given flag written over its input."""
    env = dict(os.environ if base is None else base)
    for attr, name in FLAG_INPUTS.items():
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
    # The cache service token the action hands over; buildx could echo it in an error.
    if env.get("ACTIONS_RUNTIME_TOKEN"):
        actions.add_secret(env["ACTIONS_RUNTIME_TOKEN"])
    for _, line in split_lines(env_input("secrets", env, trim=False)):
        actions.add_secret(line.partition("=")[2])
    for _, line in split_lines(env_input("build-args", env, trim=False)):
        name, _, value = line.partition("=")
        if is_credential_name(name.strip()):
            actions.add_secret(value)


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    actions = Actions(env)
    register_secrets(env, actions)
    ctx = context.from_env(env)
    workspace = ctx.workspace or os.getcwd()
    _say_context(ctx, env, actions)
    if getattr(args, "dry_run", False):
        from .plan import dry_run

        return dry_run(env, ctx, workspace, fmt=args.format, offline=args.offline)
    envs = image_envs(env, workspace)
    outcomes = run_images(envs, ctx, actions, bake=bake_mode(envs[0]))
    write_outputs(outcomes, actions)
    return 0


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
            shown = "***" if name in SECRET_INPUTS else env[key].strip().replace("\n", " | ")
            actions.info(f"input {name}: {shown}")


def image_envs(env: dict[str, str], workspace: str) -> list[dict[str, str]]:
    """One environment per image: the inputs, or each image of .github/ghbuild.yml."""
    # The config module pulls in jsonschema; a workspace without the file skips that import
    # (it is a large part of a no-op rerun's time, see bench/bench_run.py).
    wanted = env_input("config", env)
    if not wanted and not any(Path(workspace, ".github", name).is_file()
                              for name in ("ghbuild.yml", "ghbuild.yaml")):
        return [env]
    from ..config import find_config, load_config

    path = Path(workspace, wanted) if wanted else find_config(workspace)
    if path is None:
        return [env]
    if not path.is_file():
        raise InputError(f"input 'config': {wanted!r} not found in the workspace")
    config = load_config(path)
    chosen = env_input("image", env)
    images = [config.image(chosen)] if chosen else list(config.images)
    out = []
    for image in images:
        overlay = dict(env)
        for name, value in image.as_inputs().items():
            set_input(overlay, name, value)
        if config.bake is not None:
            set_input(overlay, "bake", "true" if config.bake else "false")
        out.append(overlay)
    return out


# -- tags, labels, annotations (the meta engine) -----------------------------------------
@dataclass(frozen=True, kw_only=True)
class Meta:
    images: tuple[str, ...]
    version: str
    tags: tuple[str, ...]
    labels: tuple[str, ...]        # key=value
    annotations: tuple[str, ...]   # [level:]key=value


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


def _meta_context(ctx: context.Context, env: Mapping[str, str], kind: str) -> context.Context:
    if kind != "git":
        return ctx
    from ..gitcontext import from_git

    return from_git(ctx.workspace or os.getcwd(), event=ctx.event_name or "push",
                    event_path=ctx.event_path or None, environ=env)


def compute_meta(ctx: context.Context, env: Mapping[str, str], actions: Actions) -> Meta:
    from .. import meta

    kind = env_input("meta-context", env) or "workflow"
    overrides: dict[str, str | None] = {"context": kind}
    if not env_input("images", env):
        overrides["images"] = default_image(ctx, actions)
    inputs = meta.read_inputs(env, overrides)
    meta_ctx = _meta_context(ctx, env, kind)
    result = meta.compute(meta_ctx, inputs, meta.RepoMeta.from_payload(meta_ctx.payload))
    for warning in result.warnings:
        actions.warning(warning)
    if not result.tags:
        rules = "; ".join(result.unmatched) or "no tag rule is enabled"
        raise InputError(f"input 'tags': no tag for event {ctx.event_name or '(none)'!r} "
                         f"on {ctx.ref or '(no ref)'}; rules that would give one: {rules}")
    labels = result.label_lines or tuple(f"{k}={v}" for k, v in sorted(result.labels.items()))
    actions.info(f"version: {result.version or '(none)'}")
    actions.info("tags: " + ", ".join(result.tags))
    return Meta(images=result.images, version=result.version, tags=result.tags,
                labels=labels, annotations=result.annotations)


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
    client: RegistryClient
    outcome: Outcome
    cwd: str
    start: float


def run_images(envs: Sequence[dict[str, str]], ctx: context.Context, actions: Actions, *,
               bake: bool = False) -> list[Outcome]:
    """Every image through the same phases: prepare, login, check (and promote), build,
    verify. Without bake each image goes through all of them before the next one starts;
    with bake every image is prepared and checked first, so that the images that need a
    build are built together by one ``docker buildx bake``."""
    if bake:
        return _run_group([prepare_image(env, ctx, actions) for env in envs], ctx, actions,
                          bake=True)
    return [outcome for env in envs
            for outcome in _run_group([prepare_image(env, ctx, actions)], ctx, actions,
                                      bake=False)]


def run_image(env: dict[str, str], ctx: context.Context, actions: Actions) -> Outcome:
    """One image with its own ``buildx build`` (when it needs a build)."""
    return run_images([env], ctx, actions)[0]


def prepare_image(env: dict[str, str], ctx: context.Context, actions: Actions) -> ImageRun:
    start = time.monotonic()
    cwd = os.getcwd()
    inputs = read_inputs(env)
    # A refused event (a fork's pull_request_target) stops before anything else is read.
    decision = decide(ctx, inputs.policy)
    if decision.refused:
        raise PolicyError(f"refused by policy: {decision.reason}")
    meta = compute_meta(ctx, env, actions)
    check_paths(inputs.build, cwd=cwd, workspace=ctx.workspace or cwd)
    refs = _tag_refs(meta.tags)
    _say_decision(decision, actions)
    _warn_credential_args(inputs.build, actions)
    build = _safe_build(inputs.build, actions)
    outcome = Outcome(image=refs[0].name, version=meta.version, tags=list(meta.tags),
                      labels=list(meta.labels), annotations=list(meta.annotations),
                      platforms=list(build.platforms), decision=decision)
    cache = _cache(inputs, refs[0].name, meta.tags, decision, env, actions)
    outcome.cache = cache.description
    return ImageRun(env=env, inputs=inputs, decision=decision, meta=meta, refs=refs,
                    build=build, cache=cache, key=_build_key(inputs, build, ctx, cwd),
                    client=_client(inputs, refs[0], actions), outcome=outcome, cwd=cwd,
                    start=start)


def _run_group(group: list[ImageRun], ctx: context.Context, actions: Actions, *,
               bake: bool) -> list[Outcome]:
    if bake:
        _check_bakeable(group)
    with _maybe_login(group, ctx, actions) as login_env:
        pending = [(img, why) for img in group
                   if (why := _check_or_reuse(img, actions)) is not None]
        if bake and pending:
            _bake(pending, login_env, actions)
        else:
            for img, why in pending:
                _build(img, {**img.env, **login_env}, actions, why)
        for img, _ in pending:
            if img.outcome.pushed:
                _verify(img.client, img.refs, img.key, img.outcome.digest, actions)
    for img in group:
        # With bake, an image's time includes the one bake run it shared with the others.
        img.outcome.seconds = time.monotonic() - img.start
    return [img.outcome for img in group]


def _check_bakeable(group: Sequence[ImageRun]) -> None:
    """Refuse what bake cannot take (a ``network`` input, two builders) before any
    login or promotion, so a refusal leaves the registry as it was."""
    bake_file([BakeImage(img.outcome.image, _plan(img)) for img in group])


def _check_or_reuse(img: ImageRun, actions: Actions) -> str | None:
    """The registry check; a present build is promoted (or skipped) here. Returns why a
    build is needed, or None when the image needs none."""
    presence = _check(img.client, img.inputs, img.refs, img.key, img.build, actions)
    if presence is not None and presence.present:
        _reuse(img.client, presence, img.refs, img.key, img.decision, img.inputs, img.outcome,
               actions)
        return None
    return presence.reason if presence is not None else "input check is false"


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


def _build_key(inputs: RunInputs, build: BuildInputs, ctx: context.Context, cwd: str) -> str:
    if inputs.build_key == "content":
        args = [(kv.key, kv.value) for kv in build.build_args]
        return buildkey.content_key(Path(cwd) / build.context, dockerfile_path(build, cwd),
                                    args, build.target, build.platforms)
    if not ctx.sha:
        raise InputError("build key: GITHUB_SHA is not set, so the source revision is "
                         "unknown (set build-key: content, or run on a runner)")
    return buildkey.revision_key(ctx.sha)


# -- registry ----------------------------------------------------------------------------
def _login_credentials(inputs: RunInputs, ref: ImageRef,
                       ctx: context.Context) -> Credentials | None:
    registry = inputs.registry or ref.registry
    password = inputs.password or (inputs.github_token if registry == "ghcr.io" else "")
    if not password:
        return None
    username = inputs.username or (ctx.actor if registry == "ghcr.io" else "")
    if not username:
        raise InputError(f"input 'username' is required to log in to {registry} with "
                         "'password'")
    return Credentials(registry=registry, username=username, password=password)


def _client(inputs: RunInputs, ref: ImageRef, actions: Actions) -> RegistryClient:
    registry = inputs.registry or ref.registry
    password = inputs.password or (inputs.github_token if registry == "ghcr.io" else "")
    if password:
        username = inputs.username or "ghbuild"
        store = CredentialStore.static(
            {registry: RegistryCredentials(username=username, password=password)})
    else:
        store = CredentialStore.from_docker_config()
    return RegistryClient(store, secret_sink=actions.add_secret)


def _maybe_login(group: Sequence[ImageRun], ctx: context.Context, actions: Actions) -> Any:
    """One private docker config with the logins of every image in the group (a bake run
    is one process with one config); a group without logins gets none."""
    logins: list[Credentials] = []
    said: set[str] = set()  # fifty images on one registry: one line, not fifty
    for img in group:
        creds = _image_login(img, ctx, actions, said)
        # The credential inputs are the run's, not an image's, so one registry never
        # gets two different logins here.
        if creds is not None and creds not in logins:
            logins.append(creds)
    if not logins:
        return contextlib.nullcontext({})
    return private_docker_config(logins, actions, environ=group[0].env)


def _image_login(img: ImageRun, ctx: context.Context, actions: Actions,
                 said: set[str]) -> Credentials | None:
    decision, inputs, ref = img.decision, img.inputs, img.refs[0]
    if not decision.login:
        why = "input login is false" if inputs.policy.login is PushMode.FALSE and \
            decision.push else "this run does not push"
        _once(said, f"login: none ({why})", actions.info)
        return None
    creds = _login_credentials(inputs, ref, ctx)
    if creds is None:
        _once(said, f"login: no password for {inputs.registry or ref.registry}; using the "
                    "engine's existing credentials", actions.notice)
    return creds


def _once(said: set[str], text: str, say: Any) -> None:
    if text not in said:
        said.add(text)
        say(text)


def _key_ref(ref: ImageRef, key: str) -> ImageRef:
    return ref.with_tag(buildkey.key_tag_name(key))


def _check(client: RegistryClient, inputs: RunInputs, refs: list[ImageRef], key: str,
           build: BuildInputs, actions: Actions) -> Presence | None:
    if not inputs.check:
        actions.info("registry check: off (input check is false): building")
        return None
    target = _key_ref(refs[0], key)
    presence = client.check(target, platforms=build.platforms, key=key)
    actions.info(f"registry check {target}: {presence.state.value} — {presence.reason}")
    if presence.state.value == "unknown":
        actions.warning(f"registry answer for {target} is unknown ({presence.reason}); "
                        "building rather than skipping")
    return presence


def _reuse(client: RegistryClient, presence: Presence, refs: list[ImageRef], key: str,
           decision: Decision, inputs: RunInputs, outcome: Outcome, actions: Actions) -> None:
    assert presence.digest
    outcome.digest = presence.digest
    outcome.platforms = outcome.platforms or list(presence.platforms)
    if not decision.push:
        outcome.action = "skip"
        outcome.action_reason = (f"{presence.ref} already built as {presence.digest}; this "
                                 "run does not push, so no tags are added")
        actions.info(f"build decision: skip — {outcome.action_reason}")
        return
    outcome.action = "retag"
    outcome.action_reason = f"{presence.ref} already built as {presence.digest}: no build"
    actions.info(f"build decision: retag — {outcome.action_reason}")
    source = _key_ref(refs[0], key).with_digest(presence.digest)
    with actions.group("promote tags"):
        results = client.promote(source, refs, allow_move=inputs.allow_tag_move)
        for result in results:
            actions.info(result.describe())
    outcome.pushed = True


def _verify(client: RegistryClient, refs: list[ImageRef], key: str, digest: str,
            actions: Actions) -> None:
    """After a push, each tag must resolve to the digest buildx reported."""
    if not digest:
        raise RegistryError("buildx reported no digest (containerimage.digest) for the push")
    targets = [*refs, *{_key_ref(ref.repo_only(), key) for ref in refs}]
    for ref in targets:
        got = client.resolve(ref)
        if not got.present or got.digest != digest:
            found = got.digest if got.present else f"{got.state.value}: {got.reason}"
            raise RegistryError(f"after the push, {ref} resolves to {found}, not to the "
                                f"pushed digest {digest}")
    actions.info(f"verified: {len(targets)} tags resolve to {digest}")


# -- build ---------------------------------------------------------------------------------
def _is_index(build: BuildInputs, env: Mapping[str, str]) -> bool:
    """Whether buildx will push an index: several platforms or any attestation."""
    attest_off = build.provenance.strip().lower() in ("false", "0") or (
        not build.provenance and env.get("BUILDX_NO_DEFAULT_ATTESTATIONS", "") not in ("", "0"))
    sbom = build.sbom.strip().lower() not in ("", "false", "0")
    return len(build.platforms) > 1 or sbom or not attest_off


def _say_driver(build: BuildInputs, env: Mapping[str, str], actions: Actions) -> None:
    """Name the builder's driver: what a build may do depends on it (the docker driver
    exports cache only with the containerd image store, and cannot push by digest)."""
    try:
        driver = detect_driver(env, build.builder)
    except BuildError as exc:
        # buildx itself will fail with its own message if the builder is really unusable.
        actions.warning(f"could not read the builder's driver: {exc}")
        return
    actions.info(f"builder: {build.builder or 'current'} ({driver} driver)")


def make_build_plan(build: BuildInputs, meta: Meta, refs: Sequence[ImageRef], key: str,
                    cache: CacheArgs, decision: Decision, env: Mapping[str, str],
                    metadata_file: str = "") -> BuildPlan:
    """The plan buildx gets: when pushing, the key tag and the build-key annotation are
    added, so the next run's check finds this image (also used by ``ghbuild plan``)."""
    tags = list(meta.tags)
    annotations = list(meta.annotations)
    if decision.push:
        tags += sorted({str(_key_ref(ref.repo_only(), key)) for ref in refs})
        level = "index" if _is_index(build, env) else "manifest"
        annotations.append(f"{level}:{buildkey.BUILD_KEY_ANNOTATION}={key}")
    return BuildPlan(inputs=build, tags=tuple(tags), labels=tuple(meta.labels),
                     annotations=tuple(annotations), cache_from=cache.cache_from,
                     cache_to=cache.cache_to, push=decision.push, metadata_file=metadata_file)


def _decide_build(img: ImageRun, why: str, actions: Actions) -> BuildPlan:
    img.outcome.action = "build"
    img.outcome.action_reason = f"no image for this build key yet ({why})"
    actions.info(f"build decision: build — {img.outcome.action_reason}")
    return _plan(img)


def _plan(img: ImageRun) -> BuildPlan:
    return make_build_plan(img.build, img.meta, img.refs, img.key, img.cache, img.decision,
                           img.env)


def _build(img: ImageRun, env: dict[str, str], actions: Actions, why: str) -> None:
    plan = _decide_build(img, why, actions)
    _say_driver(img.build, env, actions)
    result = run_build(plan, actions, env=env, cwd=img.cwd,
                       dockerfile=os.path.relpath(dockerfile_path(img.build, img.cwd), img.cwd))
    img.outcome.digest = result.digest
    img.outcome.pushed = img.decision.push
    img.outcome.buildx_metadata = result.metadata


def _bake(pending: Sequence[tuple[ImageRun, str]], login_env: Mapping[str, str],
          actions: Actions) -> None:
    """Every image that needs a build, in one ``docker buildx bake`` (one BuildKit session,
    so a stage the images share is solved once); each keeps its own tags and cache."""
    images = [BakeImage(img.outcome.image, _decide_build(img, why, actions))
              for img, why in pending]
    first = pending[0][0]
    env = {**first.env, **login_env}
    _say_driver(first.build, env, actions)
    results = run_bake_results(images, actions, env=env, cwd=first.cwd)
    for img, _ in pending:
        img.outcome.action_reason += f"; built in one docker buildx bake run of {len(images)}"
        img.outcome.digest = results.digests.get(img.outcome.image, "")
        img.outcome.pushed = img.decision.push
        img.outcome.buildx_metadata = results.metadata.get(img.outcome.image, {})


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
    print(values["metadata"])


def _flag(value: bool) -> str:
    return "true" if value else "false"


def summary_markdown(o: Outcome) -> str:
    tags = "<br>".join(f"`{t}`" for t in o.tags)
    rows = [
        ("Tags", tags), ("Digest", f"`{o.digest}`" if o.digest else "none"),
        ("Platforms", ", ".join(o.platforms) or "engine default"),
        ("Build", f"**{o.action}**: {o.action_reason}"),
        ("Push", f"**{'yes' if o.pushed else 'no'}**: {o.decision.reason}"),
        ("Cache", o.cache), ("Time", f"{o.seconds:.1f}s"),
    ]
    body = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    return f"### ghbuild: {o.image}\n\n| | |\n| --- | --- |\n{body}\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
