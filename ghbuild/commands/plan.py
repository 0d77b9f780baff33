"""``ghbuild plan``: what CI would tag, build and push, from a local checkout.

The context comes from local git (:func:`ghbuild.gitcontext.from_git`) for the event
asked for; the inputs are read exactly as ``run`` reads them (flags, ``INPUT_*``,
``.github/ghbuild.yml``) and go through ``run``'s own steps: the meta engine, the push
policy, the cache attributes, the build key. Then, read-only, the registry is asked
whether that build key is already there, and the buildx command line is printed
instead of run. Nothing is written anywhere: no login, no push, no docker call, no
file; the only child processes are git's read-only queries.

Output (stdout) is text or JSON and depends only on the checkout, the inputs,
``SOURCE_DATE_EPOCH`` and the registry's answer, so two runs print the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from ..build import buildx_argv, check_paths, child_env, shell_echo
from ..cache import GHA_ENV
from ..context import Context, read_json_object
from ..errors import GhbuildError
from ..gha import Actions
from ..gitcontext import EVENTS, from_git
from ..inputs import env_input
from ..meta import RepoMeta
from ..policy import Decision, decide
from ..registry import CredentialStore, ImageRef, Presence, RegistryClient, State
from . import run as run_cmd

# buildx_argv needs a path here; run_build makes a fresh temporary directory per build.
METADATA_PLACEHOLDER = "<temporary dir>/md.json"
# Labels metadata-action fills from the repository object (their field there), which
# git cannot supply.
_REPO_ONLY_LABELS = {"org.opencontainers.image.description": "description",
                     "org.opencontainers.image.licenses": "license"}


def configure(parser: argparse.ArgumentParser) -> None:
    _add_input_flags(parser)
    parser.add_argument("--dir", default=".", metavar="PATH",
                        help="the git checkout (default: .); paths are relative to it")
    parser.add_argument("--event", choices=EVENTS, default="push",
                        help="the event to plan for (default: push)")
    parser.add_argument("--event-path", metavar="FILE",
                        help="a saved event payload (JSON); its fields win over git's")
    parser.add_argument("--ref", help="plan for this ref instead of git's (refs/tags/v1.2.3)")
    parser.add_argument("--pr", type=int, metavar="NUMBER",
                        help="pull request number for --event pull_request")
    parser.add_argument("--repo-metadata", metavar="FILE",
                        help="GitHub REST repository object (JSON) for the OCI labels")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--offline", action="store_true",
                        help="do not ask the registry (the check shows 'not checked')")


def _add_input_flags(parser: argparse.ArgumentParser) -> None:
    """``run``'s input flags (those it maps to inputs), the same names and help."""
    scratch = argparse.ArgumentParser(add_help=False)
    run_cmd.configure(scratch)
    for action in scratch._actions:
        if action.dest in run_cmd.FLAG_INPUTS:
            parser.add_argument(*action.option_strings, dest=action.dest, help=action.help,
                                choices=action.choices, metavar=action.metavar)


# -- what one image would do ---------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RegistryView:
    checked: bool
    ref: str = ""
    state: str = "not checked"
    digest: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ImagePlan:
    image: str
    version: str
    tags: tuple[str, ...]
    labels: tuple[str, ...]
    annotations: tuple[str, ...]
    platforms: tuple[str, ...]
    decision: Decision
    cache: str
    build_key: str
    registry: RegistryView
    action: str                       # build, retag or skip: what run would do
    action_reason: str
    argv: tuple[str, ...]             # redacted
    secret_env: tuple[str, ...]       # names buildx would get in its environment

    def as_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "image": self.image, "version": self.version, "tags": list(self.tags),
            "labels": list(self.labels), "annotations": list(self.annotations),
            "platforms": list(self.platforms),
            "push": {"push": d.push, "login": d.login, "cache-write": d.cache_write,
                     "refused": d.refused, "reason": d.reason},
            "cache": self.cache, "build-key": self.build_key,
            "registry": {"checked": self.registry.checked, "ref": self.registry.ref,
                         "state": self.registry.state, "digest": self.registry.digest,
                         "reason": self.registry.reason},
            "action": self.action, "reason": self.action_reason,
            "buildx": list(self.argv), "command": shell_echo(self.argv),
            "secret-env": list(self.secret_env),
        }


@dataclass(kw_only=True)
class Report:
    ctx: Context
    config: str
    images: list[ImagePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class QuietActions(Actions):
    """``run``'s log lines are dropped; its notices and warnings become the plan's notes."""

    def __init__(self, environ: Mapping[str, str], notes: list[str]) -> None:
        super().__init__({k: v for k, v in environ.items() if k != "GITHUB_ACTIONS"})
        self.notes = notes

    def info(self, message: str) -> None:
        return None

    def annotate(self, level: str, message: str, **where: Any) -> None:  # type: ignore[override]
        text = f"{level}: {self.redact(message)}"
        if text not in self.notes:
            self.notes.append(text)

    def set_output(self, name: str, value: str) -> None:
        return None

    def summary(self, markdown: str) -> None:
        return None


# -- entry ------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    env = run_cmd.environment(args)
    root = str(Path(args.dir).resolve())
    ctx = from_git(root, event=args.event, event_path=args.event_path, environ=env,
                   ref=args.ref, pr_number=args.pr)
    notes: list[str] = []
    ctx = with_repo_metadata(ctx, args.repo_metadata, notes)
    report = make_report(env, ctx, root, offline=args.offline, notes=notes,
                         flags=_given_flags(args))
    sys.stdout.write(render_json(report) if args.format == "json" else render_text(report))
    return 3 if any(p.decision.refused for p in report.images) else 0


def with_repo_metadata(ctx: Context, path: str | None, notes: list[str]) -> Context:
    """Put a REST repository object where a runner's payload has it (``repository``),
    so the meta engine reads it as it would on a runner."""
    if not path:
        return ctx
    RepoMeta.from_file(path)  # its checks and messages, before we use the object
    data = read_json_object(path, "--repo-metadata")
    repo = ctx.payload.get("repository")
    merged = {**(repo if isinstance(repo, Mapping) else {}), **data}
    notes.append(f"repository metadata from {path}")
    return replace(ctx, payload={**ctx.payload, "repository": merged})


def _given_flags(args: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(args, attr) for attr, name in run_cmd.FLAG_INPUTS.items()
            if getattr(args, attr, None) is not None}


def _note_overridden(flags: Mapping[str, str], env: Mapping[str, str], image: str,
                     notes: list[str]) -> None:
    """run writes the config's values over every input, flags included: say so rather
    than let a flag look as if it had counted."""
    for name, value in flags.items():
        used = env_input(name, env)
        if used is not None and used != value.strip():
            notes.append(f"flag --{name} is not used for {image}: .github/ghbuild.yml sets "
                         f"'{name}' for it, and run gives the config precedence")


def make_report(env: dict[str, str], ctx: Context, root: str, *, offline: bool,
                notes: list[str], client: RegistryClient | None = None,
                flags: Mapping[str, str] | None = None) -> Report:
    """The plan for every image ``run`` would build here (also ``run --dry-run``)."""
    actions = QuietActions(env, notes)
    run_cmd.register_secrets(env, actions)
    report = Report(ctx=ctx, config=_config_name(env, root), notes=notes)
    if client is None and not offline:
        client = RegistryClient(CredentialStore.from_docker_config(environ=env), retries=1,
                                timeout=5.0, secret_sink=actions.add_secret)
    for image_env in run_cmd.image_envs(env, root):
        report.images.append(plan_image(image_env, ctx, root, actions, client))
        _note_overridden(flags or {}, image_env, report.images[-1].image, notes)
    _note_left_out(report)
    return report


def _config_name(env: Mapping[str, str], root: str) -> str:
    wanted = env_input("config", env)
    if wanted:
        return wanted
    return next((f".github/{name}" for name in ("ghbuild.yml", "ghbuild.yaml")
                 if Path(root, ".github", name).is_file()), "")


def plan_image(env: dict[str, str], ctx: Context, root: str, actions: Actions,
               client: RegistryClient | None) -> ImagePlan:
    """``run_image`` without its side effects: the same steps in the same order."""
    inputs = run_cmd.read_inputs(env)
    # run stops here on a refused event; the plan goes on to show the rest, and exits 3
    decision = decide(ctx, inputs.policy)
    meta = run_cmd.compute_meta(ctx, env, actions)
    check_paths(inputs.build, cwd=root, workspace=root)
    refs = run_cmd._tag_refs(meta.tags)
    run_cmd._warn_credential_args(inputs.build, actions)
    build = run_cmd._safe_build(inputs.build, actions)
    cache = run_cmd._cache(inputs, refs[0].name, meta.tags, decision,
                           _runner_cache_env(env, ctx, actions), actions)
    key = run_cmd._build_key(inputs, build, ctx, root)
    view, presence = _check(client, inputs.check, refs[0], key, build.platforms)
    action, reason = _action(presence, decision, view)
    plan = run_cmd.make_build_plan(build, meta, refs, key, cache, decision, env,
                                   metadata_file=METADATA_PLACEHOLDER)
    return ImagePlan(
        image=refs[0].name, version=meta.version, tags=meta.tags, labels=meta.labels,
        annotations=meta.annotations, platforms=build.platforms, decision=decision,
        cache=cache.description, build_key=key, registry=view, action=action,
        action_reason=reason, argv=tuple(actions.redact(a) for a in buildx_argv(plan)),
        secret_env=tuple(sorted(child_env(plan))))


def _runner_cache_env(env: Mapping[str, str], ctx: Context,
                      actions: Actions) -> Mapping[str, str]:
    """On a runner the action hands buildx the cache service's URL and token; a local
    plan stands in for them so that it shows CI's cache attributes (which never carry
    the values: BuildKit reads them from its environment)."""
    if ctx.source != "git" or all(env.get(name) for name in GHA_ENV):
        return env
    actions.notice("cache: shown as on a GitHub runner, where the action provides the "
                   "gha cache service")
    return {**env, **{name: env.get(name) or "(runner)" for name in GHA_ENV}}


def _check(client: RegistryClient | None, enabled: bool, ref: ImageRef, key: str,
           platforms: Sequence[str]) -> tuple[RegistryView, Presence | None]:
    """The read-only registry check ``run`` makes; any failure to ask is "not checked"."""
    target = str(run_cmd._key_ref(ref, key))
    if not enabled:
        return RegistryView(checked=False, ref=target, reason="input check is false"), None
    if client is None:
        return RegistryView(checked=False, ref=target, reason="--offline given"), None
    try:
        got = client.check(run_cmd._key_ref(ref, key), platforms=platforms, key=key)
    except (GhbuildError, requests.RequestException, OSError) as exc:
        return RegistryView(checked=False, ref=target, reason=f"registry not reachable: "
                                                               f"{_first_line(exc)}"), None
    if _unreachable(got):
        return RegistryView(checked=False, ref=target,
                            reason=f"registry not reachable: {got.reason}"), None
    view = RegistryView(checked=True, ref=target, state=got.state.value,
                        digest=got.digest or "", reason=got.reason)
    return view, got


def _unreachable(got: Presence) -> bool:
    """No answer at all (a refused connection, a timeout), as opposed to an answer we
    could not use (HTTP 5xx, 401): the latter is shown as the registry's "unknown"."""
    if got.state is not State.UNKNOWN:
        return False
    # the client gives connection errors and HTTP faults the same cause; its reason
    # text is the only difference (ghbuild/registry/client.py, fetch)
    return got.cause == "timeout" or (got.cause == "fault"
                                      and got.reason.startswith("cannot reach registry"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _action(presence: Presence | None, decision: Decision,
            view: RegistryView) -> tuple[str, str]:
    """The build / retag / skip decision ``run`` makes from the check (see _reuse/_build)."""
    if presence is not None and presence.present:
        if not decision.push:
            return "skip", (f"{presence.ref} already built as {presence.digest}; this run does "
                            "not push, so no tags are added")
        return "retag", f"{presence.ref} already built as {presence.digest}: no build"
    if not view.checked:
        return "build", ("run checks the registry first and builds unless the key tag is "
                         "there; not checked here")
    return "build", f"no image for this build key yet ({view.reason})"


def _note_left_out(report: Report) -> None:
    if report.ctx.source != "git":  # a runner's payload has the repository object
        return
    repo = report.ctx.payload.get("repository")
    repo = repo if isinstance(repo, Mapping) else {}
    missing = [label for label, key in _REPO_ONLY_LABELS.items() if not repo.get(key)]
    if missing:
        report.notes.append(
            "OCI labels: " + ", ".join(missing) + " left empty: git does not know them "
            "(pass --repo-metadata FILE with the repository's REST object)")


# -- rendering ------------------------------------------------------------------------------
def render_json(report: Report) -> str:
    ctx = report.ctx
    doc = {
        "context": {"event": ctx.event_name, "ref": ctx.ref, "sha": ctx.sha,
                    "repository": ctx.repository, "default-branch": ctx.default_branch,
                    "source": ctx.source},
        "config": report.config,
        "images": [p.as_json() for p in report.images],
        "notes": report.notes,
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def render_text(report: Report) -> str:
    ctx = report.ctx
    lines = [f"event:      {ctx.event_name} on {ctx.ref or '(no ref)'} at {ctx.sha[:12]}",
             f"repository: {ctx.repository or '(no origin remote)'}"
             f" (default branch {ctx.default_branch or '(unknown)'})"]
    if report.config:
        lines.append(f"config:     {report.config}")
    for plan in report.images:
        lines += ["", *_image_text(plan)]
    if report.notes:
        lines += ["", "notes:", *(f"  {n}" for n in report.notes)]
    return "\n".join(lines) + "\n"


def _image_text(p: ImagePlan) -> list[str]:
    d = p.decision
    push = "refused" if d.refused else ("yes" if d.push else "no")
    out = [f"image {p.image}", f"  version:  {p.version or '(none)'}", "  tags:"]
    out += [f"    {t}" for t in p.tags]
    out += ["  labels:", *(f"    {label}" for label in p.labels)]
    if p.annotations:
        out += ["  annotations:", *(f"    {a}" for a in p.annotations)]
    out.append(f"  platforms: {', '.join(p.platforms) or 'engine default'}")
    out.append(f"  push:     {push} ({d.reason})")
    out.append(f"  login:    {'yes' if d.login else 'no'}")
    out.append(f"  cache:    {p.cache}")
    reg = p.registry
    state = reg.state if reg.checked else "not checked"
    digest = f" {reg.digest}" if reg.digest else ""
    out.append(f"  registry: {reg.ref}: {state}{digest} ({reg.reason})")
    out.append(f"  run would: {p.action} ({p.action_reason})")
    if d.refused:
        out.append("  run would stop here with exit code 3 (refused by policy)")
    out.append("  buildx:" if p.action == "build" else "  buildx (not run, see above):")
    out.append(f"    {shell_echo(p.argv)}")
    if p.secret_env:
        out.append(f"  buildx environment (values not shown): {', '.join(p.secret_env)}")
    return out


def dry_run(env: dict[str, str], ctx: Context, workspace: str, *, fmt: str = "text",
            offline: bool = False) -> int:
    """``ghbuild run --dry-run``: the plan for a context ``run`` already has."""
    notes: list[str] = []
    report = make_report(env, ctx, workspace or os.getcwd(), offline=offline, notes=notes)
    sys.stdout.write(render_json(report) if fmt == "json" else render_text(report))
    return 3 if any(p.decision.refused for p in report.images) else 0
