"""``ghbuild platform``: one matrix job of a distributed multi-platform build.

Builds one platform with the run's shared metadata (labels and annotations computed
once by the prepare job; its ``created`` time pins ``SOURCE_DATE_EPOCH``), pushes the
image by digest without any final tag, and writes the handover file the merge job
collects (``--handover DIR``; upload it as an artifact). When the image for this
revision's build key already has the platform (a re-run), nothing is built and the
existing digest is handed over.

Build inputs are read like ``ghbuild run`` reads them (``INPUT_*``: context, file,
target, build-args, secrets, provenance, sbom, cache, cache-ref, push policy inputs);
the flags below override the common ones. Credentials: ``--username`` with the
password on stdin (``--password-stdin``), else the docker config.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .. import buildkey, context
from ..build import BuildPlan, inputs_from_env, split_lines
from ..buildx import PlatformCheck, check_platforms
from ..cache import CacheMode, CacheSettings, cache_args, parse_mode
from ..errors import InputError, PolicyError
from ..gha import Actions, safe_json
from ..inputs import check_runner_files, env_input
from ..multiplatform import (
    ClientRegistry,
    Driver,
    Platform,
    SharedMeta,
    build_source_env,
    detect_driver,
    parse_shared_meta,
    platform_job,
)
from ..policy import decide, policy_from_inputs
from ..registry.credentials import login_password
from .run import environment

_FLAG_INPUTS = {"context": "context", "file": "file", "target": "target", "cache": "cache",
                "cache_ref": "cache-ref", "push": "push"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", required=True, help="the one platform, e.g. linux/arm64")
    parser.add_argument("--meta", required=True, metavar="FILE",
                        help="the run's shared metadata JSON from the prepare job")
    parser.add_argument("--handover", required=True, metavar="DIR",
                        help="directory for this job's handover file (upload it as artifact)")
    parser.add_argument("--image", help="repository to push to by digest (default: the first "
                                        "image named by the metadata's tags)")
    parser.add_argument("--revision", help="commit whose build key may already hold this "
                                           "platform (default: GITHUB_SHA)")
    parser.add_argument("--context", help="build context (input 'context')")
    parser.add_argument("--file", help="Dockerfile (input 'file')")
    parser.add_argument("--target", help="build stage (input 'target')")
    parser.add_argument("--cache", help="gha, registry, none, ... (input 'cache')")
    parser.add_argument("--cache-ref", help="registry cache image (input 'cache-ref')")
    parser.add_argument("--push", choices=["auto", "true", "false"], help="input 'push'")
    parser.add_argument("--username", help="registry user (password from --password-stdin)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the registry password or token from stdin")


def run(args: argparse.Namespace) -> int:
    env = environment(args, flags=_FLAG_INPUTS)
    check_runner_files(env)  # the step outputs come after the push: checked before it
    actions = Actions(env)
    password = _password(args, actions)
    ctx = context.from_env(env)
    platform = Platform.parse(args.platform, source="--platform")
    meta = _meta(args.meta)
    image = args.image or meta.images()[0]
    decision = decide(ctx, policy_from_inputs(env))
    if decision.refused:
        raise PolicyError(f"refused by policy: {decision.reason}")
    actions.info(f"push decision: {'push' if decision.push else 'no push'} — "
                 f"{decision.reason}")
    plan = _plan(env, meta, image, platform, decision.cache_write, actions)
    # This job's one platform against what the builder runs, before any login or build.
    check_platforms([PlatformCheck(image=image, cwd=os.getcwd(), env=env, build=replace(
        plan.inputs, platforms=(str(platform),)))], actions)
    if not decision.push:
        return _build_only(plan, platform, env, meta, actions)
    return _push(args, env, ctx, plan, platform, image, meta, password, actions)


def _password(args: argparse.Namespace, actions: Actions) -> str:
    if not args.password_stdin:
        return ""
    if not args.username:
        raise InputError("--password-stdin needs --username")
    password = login_password(sys.stdin.read())
    actions.add_secret(password)
    return password


def _meta(path: str) -> SharedMeta:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--meta {path}: cannot read: {exc.strerror}")
    return parse_shared_meta(text, path)


def _plan(env: Mapping[str, str], meta: SharedMeta, image: str, platform: Platform,
          cache_write: bool, actions: Actions) -> BuildPlan:
    mode = parse_mode(env_input("cache", env))
    # One registry cache ref per platform: two jobs writing one ref would replace each
    # other's cache on every run.
    ref = env_input("cache-ref", env) or (f"{image}:buildcache-{platform.slug}"
                                          if mode is CacheMode.REGISTRY else "")
    settings = CacheSettings(
        mode=mode, ref=ref,
        scope=env_input("cache-scope", env) or "",
        cache_from=tuple(t for _, t in split_lines(env_input("cache-from", env))),
        cache_to=tuple(t for _, t in split_lines(env_input("cache-to", env))))
    cache = cache_args(settings, image=image, tags=meta.tags, write=cache_write,
                       platform=str(platform), environ=env)
    for warning in cache.warnings:
        actions.warning(warning)
    # Index-level annotations belong on the merged index (the merge writes them); a
    # one-platform build may have no index to carry them.
    per_image = tuple(a for a in meta.annotations if not _index_only(a))
    return BuildPlan(inputs=inputs_from_env(env), labels=tuple(
        f"{k}={v}" for k, v in meta.labels.items()), annotations=per_image,
        cache_from=cache.cache_from, cache_to=cache.cache_to)


def _index_only(annotation: str) -> bool:
    levels, sep, _ = annotation.partition("=")[0].rpartition(":")
    return bool(sep) and {lv.strip() for lv in levels.split(",")} <= {"index",
                                                                        "index-descriptor"}


def _build_only(plan: BuildPlan, platform: Platform, env: Mapping[str, str],
                meta: SharedMeta, actions: Actions) -> int:
    from dataclasses import replace

    from ..buildx import run_build

    inputs = replace(plan.inputs, platforms=(str(platform),), outputs=("type=cacheonly",))
    run_build(replace(plan, inputs=inputs, tags=(), push=False), actions,
              env={**env, **build_source_env(meta)})
    actions.info(f"{platform} built; not pushed, so no handover is written")
    actions.set_output("built", "true")
    return 0


def _push(args: argparse.Namespace, env: dict[str, str], ctx: context.Context, plan: BuildPlan,
          platform: Platform, image: str, meta: SharedMeta, password: str,
          actions: Actions) -> int:
    from ..login import Credentials as Login
    from ..login import private_docker_config
    from ..registry import Credentials, CredentialStore, ImageRef, RegistryClient

    host = ImageRef.parse(image, input_name="--image").registry
    store = CredentialStore.from_docker_config(environ=env)
    logins = []
    if password:
        store = store.with_static(host, Credentials(args.username, password))
        logins = [Login(registry=host, username=args.username, password=password)]
    registry = ClientRegistry(RegistryClient(store, secret_sink=actions.add_secret))
    driver = detect_driver(plan.inputs.builder, env=env)
    key_tag = _key_tag(args.revision or ctx.sha, buildkey.settings_from_env(env))
    # BuildKit itself needs the login to push by digest and to read and write a registry
    # cache; the docker driver's image layout is pushed by our registry client.
    login: contextlib.AbstractContextManager[dict[str, str]] = contextlib.nullcontext({})
    if logins:
        login = private_docker_config(logins, actions, environ=env)
    with login as login_env, \
            tempfile.TemporaryDirectory(prefix="ghbuild-oci-", dir=ctx.runner_temp or None) \
            as work:
        build_env = _login_env(env, login_env)
        driver = _same_driver(driver, plan.inputs.builder, build_env, actions)
        result, built = platform_job(plan, platform, image, driver, registry, actions, work,
                                     handover_dir=args.handover, key_tag=key_tag,
                                     env={**build_env, **build_source_env(meta)})
    print(safe_json(result.to_json()), end="")
    actions.set_output("digest", result.digest)
    actions.set_output("platform", str(platform))
    # built=false: the key tag already had this platform (a re-run) and it was reused.
    actions.set_output("built", "true" if built else "false")
    return 0


def _login_env(env: Mapping[str, str], login_env: Mapping[str, str]) -> dict[str, str]:
    """The build's environment under the login's private ``DOCKER_CONFIG``.

    buildx keeps its builder instances in ``$BUILDX_CONFIG``, else
    ``$DOCKER_CONFIG/buildx``; pointing ``BUILDX_CONFIG`` at the caller's keeps the
    builder ``docker/setup-buildx-action`` created in view.
    """
    from ..login import base_config_dir

    out = {**env, **login_env}
    if login_env.get("DOCKER_CONFIG") and not env.get("BUILDX_CONFIG"):
        out["BUILDX_CONFIG"] = str(base_config_dir(env) / "buildx")
    return out


def _same_driver(driver: Driver, builder: str, env: Mapping[str, str],
                 actions: Actions) -> Driver:
    """The driver buildx sees with the login's ``DOCKER_CONFIG``.

    Builder instances live under ``$DOCKER_CONFIG/buildx``; a private config may not
    show the one ``docker/setup-buildx-action`` made. Then buildx falls back to the
    default builder, and the output must be the one that builder accepts.
    """
    seen = detect_driver(builder, env=env)
    if seen is not driver:
        actions.warning(f"with the login's docker config buildx uses the {seen.value} driver, "
                        f"not {driver.value}; pushing the way the {seen.value} driver can")
    return seen


def _key_tag(revision: str, settings: buildkey.BuildSettings | None = None) -> str:
    """The key tag ``ghbuild run`` gives this build (the build settings are in the key)."""
    return buildkey.key_tag_name(buildkey.revision_key(revision, settings)) if revision else ""

