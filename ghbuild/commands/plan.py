"""``ghbuild plan``: what CI would tag, build and push, from a local checkout.

The context comes from local git (:func:`ghbuild.gitcontext.from_git`) for the event
asked for; the inputs are read exactly as ``run`` reads them (flags, ``INPUT_*``,
``.github/ghbuild.yml``) and go through ``run``'s own steps (``run.prepare_image``: the
meta engine, the push policy, the cache attributes, the build key). Then, read-only,
the registry is asked whether that build key is already there (``run.check_image``)
and whether a build would move a release tag, and the buildx command line (or, in
bake mode, the bake definition) is printed instead of run. Nothing is written
anywhere: no login, no push, no docker call, no file; the only child processes are
git's read-only queries.

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

from .. import gitcontext, workflow
from ..bake import BakeImage, bake_file
from ..build import buildx_argv, child_env, shell_echo
from ..cache import GHA_TOKEN, GHA_URL_V1, gha_missing
from ..context import Context, read_json_object
from ..errors import GhbuildError, InputError
from ..gha import Actions, safe_json, safe_text
from ..gitcontext import EVENTS, from_git
from ..inputs import env_input
from ..meta import RepoMeta
from ..policy import Decision
from ..registry import CredentialStore, ImageRef, Presence, RegistryClient
from ..registry import copy as registry_copy
from ..registry.promote import check_targets
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
                        help="a directory of the git checkout (default: .); plan works from "
                             "the checkout's top, as a runner's workspace")
    parser.add_argument("--event", choices=EVENTS,
                        help="the event to plan for (default: push, or the first event the "
                             "workflow runs on when it does not run on push)")
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
    parser.add_argument("--workflow", metavar="PATH",
                        help="the workflow whose ghbuild step to plan (default: the one "
                             "under .github/workflows/ that runs ghbuild on the event)")
    parser.add_argument("--job", help="the job of that step (when several run ghbuild)")
    parser.add_argument("--step", metavar="N|NAME",
                        help="the step: its number in the job (from 1), name or id")
    parser.add_argument("--no-workflow", action="store_true",
                        help="read no workflow: the inputs, config file and flags only")


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
    argv: tuple[str, ...]             # redacted; empty in bake mode (see Report.bake)
    secret_env: tuple[str, ...]       # names buildx would get in its environment
    refusal: str = ""                 # why run would stop before writing (release tags)
    bake_target: str = ""
    # the logins run would do: (registry, user name, where the login comes from); no secret
    logins: tuple[tuple[str, str, str], ...] = ()
    # a retag over several registries, per registry in run's order: (registry, what run
    # would do there: promote, copy or already there, why); empty for one registry
    registries: tuple[tuple[str, str, str], ...] = ()

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
            "buildx": list(self.argv), "command": shell_echo(self.argv) if self.argv else "",
            "secret-env": list(self.secret_env), "refusal": self.refusal,
            "bake-target": self.bake_target,
            "logins": [{"registry": host, "username": user, "source": source}
                       for host, user, source in self.logins],
            "registries": [{"registry": host, "action": what, "reason": why}
                           for host, what, why in self.registries],
        }


@dataclass(frozen=True, kw_only=True)
class WorkflowView:
    """The workflow step the plan stands in for, and the inputs it gives (redacted)."""

    file: str
    job: str
    step: int
    name: str
    uses: str
    called_from: str                           # "caller.yml job X" for a reusable workflow
    inputs: tuple[tuple[str, str], ...]        # name, value as the plan used it
    unknown: tuple[tuple[str, str], ...]       # name, where a runner takes it from

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "job": self.job, "step": self.step, "name": self.name,
                "uses": self.uses, "called-from": self.called_from,
                "inputs": dict(self.inputs), "unknown": dict(self.unknown)}


@dataclass(kw_only=True)
class Report:
    ctx: Context
    config: str
    images: list[ImagePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # bake mode: the definition run would hand to one docker buildx bake (redacted)
    bake: dict[str, Any] | None = None
    workflow: WorkflowView | None = None


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
    # The checkout's top, as a runner's workspace is: .github/ is found from a subdirectory.
    root = gitcontext.toplevel(str(Path(args.dir).resolve()))
    notes: list[str] = []
    found = _workflows(args, root, notes)
    event = args.event or workflow.default_event(found) or "push"
    ctx = from_git(root, event=event, event_path=args.event_path, environ=dict(os.environ),
                   ref=args.ref, pr_number=args.pr)
    _check_ref(ctx, root, explicit=args.ref is not None, notes=notes)
    ctx = with_repo_metadata(ctx, args.repo_metadata, notes)
    base, view, workdir = _workflow_inputs(found, ctx, args, event, notes)
    env = run_cmd.environment(args, base=base)
    flags = run_cmd.given_flags(args)
    _need_image_name(env, ctx, root, flags)
    report = make_report(env, ctx, root, offline=args.offline, notes=notes, flags=flags,
                         cwd=_working_directory(root, workdir, notes))
    report.workflow = _redacted(view, env) if view else None
    sys.stdout.write(safe_json(render_json(report)) if args.format == "json"
                     else safe_text(render_text(report)))
    return exit_code(report)


# -- the workflow and the ref -------------------------------------------------------------
def _workflows(args: argparse.Namespace, root: str,
               notes: list[str]) -> list[workflow.Workflow]:
    if args.no_workflow:
        if args.workflow or args.job or args.step:
            raise InputError("--no-workflow reads no workflow: drop --workflow, --job, --step")
        return []
    got = workflow.survey(Path(root), args.workflow)
    found = got.workflows
    if not found and (args.job or args.step):
        raise InputError("--job and --step choose a ghbuild step of a workflow, and no "
                         f"workflow under {workflow.WORKFLOW_DIR}/ runs ghbuild",
                         hint="pass --workflow PATH")
    if args.workflow and not found[0].steps:
        why = found[0].passed_over or ("no step runs ghbuild (uses: OWNER/ghbuild@REF, "
                                       "ghbuild run after OWNER/ghbuild/setup@REF, or our "
                                       "reusable workflow)")
        raise InputError(f"{found[0].path}: {why}",
                         hint="--no-workflow plans from the inputs and the config file")
    notes += got.notes
    if not found:
        # said, not silent: the plan below is run's defaults and inputs, not a workflow's
        notes.append(f"no workflow under {workflow.WORKFLOW_DIR}/ has a ghbuild step "
                     "(uses: OWNER/ghbuild@REF, a uses: marked '# ghbuild', ghbuild run "
                     "after the setup action, or a reusable workflow call): planned from "
                     "the INPUT_* variables, the config file and the flags only")
    return found


def _working_directory(root: str, workdir: str, notes: list[str]) -> str | None:
    """A ``run:`` step's working directory, where run's relative paths start (the config
    file is still found from the top, as run finds it from the workspace)."""
    if not workdir:
        return None
    path = Path(root, workdir)
    if not path.is_dir():
        raise InputError(f"the ghbuild step's working-directory {workdir!r} is not a "
                         "directory of the checkout (the step would fail to start)")
    notes.append(f"paths are relative to the step's working-directory {workdir}")
    return str(path)


def _run_flags() -> dict[str, str]:
    """``ghbuild run``'s input flags as written on a command line: --cache-ref -> cache-ref."""
    return {"--" + attr.replace("_", "-"): name for attr, name in run_cmd.FLAG_INPUTS.items()}


def _workflow_inputs(found: Sequence[workflow.Workflow], ctx: Context,
                     args: argparse.Namespace, event: str, notes: list[str]
                     ) -> tuple[dict[str, str], WorkflowView | None, str]:
    """The process environment with the chosen step's inputs written over its ``INPUT_*``
    (on a runner action.yml sets every one of them), and what the step gives."""
    base = dict(os.environ)
    if not found:
        return base, None, ""
    chosen, more = workflow.choose(found, ctx, _run_flags(), job=args.job, step=args.step)
    step = chosen.step
    if args.event is None and event != "push":
        notes.append(f"event {event}: the first one {step.trigger_file} runs on (--event "
                     "chooses another)")
    filtered = workflow.filter_note(step, ctx)
    notes += ([filtered] if filtered else []) + more + workflow.unknown_notes(chosen)
    for key, value in chosen.env().items():
        name = key[len("INPUT_"):].lower().replace("_", "-")
        mine = env_input(name, base, trim=False)
        if mine is not None and mine != value and name not in chosen.placeholders:
            notes.append(f"input '{name}': the workflow's value replaces {key} from the "
                         "environment, as on a runner (a flag overrides both)")
        run_cmd.set_input(base, name, value)
    for name in chosen.unknown:
        if name not in chosen.placeholders:  # unset, as the note says: run's default
            for key in {f"INPUT_{name.upper()}", f"INPUT_{name.upper().replace('-', '_')}"}:
                base.pop(key, None)
    base.update(chosen.process_env)  # the step's process has its env: (secret-envs reads it)
    view = WorkflowView(
        file=step.workflow, job=step.job, step=step.index, name=step.name or step.step_id,
        uses=step.uses or "run: ghbuild run",
        called_from=_caller(step),
        inputs=tuple(chosen.inputs.items()),
        unknown=tuple((k, ", ".join(v.sources)) for k, v in chosen.unknown.items()))
    return base, view, chosen.workdir


def _caller(step: workflow.Step) -> str:
    if step.call is None:
        return ""
    if not step.call.line:  # --workflow on a reusable workflow itself
        return "no caller: read alone, with its inputs' defaults"
    return f"{step.call.workflow} job {step.call.job}"


def _redacted(view: WorkflowView, env: Mapping[str, str]) -> WorkflowView:
    """Input values as run would print them: every secret (and credential-named build
    argument) redacted."""
    actions = QuietActions(env, [])
    run_cmd.register_secrets(env, actions)
    return replace(view, inputs=tuple((k, actions.redact(v)) for k, v in view.inputs))


def _check_ref(ctx: Context, root: str, *, explicit: bool, notes: list[str]) -> None:
    """A runner's event has one ref; a local HEAD may have none, or several tags."""
    if not ctx.ref:
        raise InputError(f"HEAD is detached at {ctx.sha[:12]} with no branch or tag, so there "
                         f"is no ref for a {ctx.event_name} to plan",
                         hint="pass --ref refs/heads/BRANCH or --ref refs/tags/TAG, or check "
                              "out a branch")
    tags = gitcontext.tags_at_head(root)
    if explicit or len(tags) < 2 or ctx.ref != f"refs/tags/{tags[0]}":
        return
    notes.append(f"HEAD carries {len(tags)} tags: planned {tags[0]}, the highest version; "
                 f"not planned: {', '.join(tags[1:])} (a tag push has one ref: choose it "
                 f"with --ref refs/tags/{tags[1]})")


def _need_image_name(env: dict[str, str], ctx: Context, root: str,
                     flags: Mapping[str, str]) -> None:
    """run's default image is ghcr.io/<owner>/<repo> of GITHUB_REPOSITORY; locally that is
    the origin remote, so without a GitHub-like remote say what to give instead."""
    if ctx.repository or all(env_input("images", e) for e in run_cmd.image_envs(env, root,
                                                                                flags)):
        return
    origin = gitcontext.origin_url(root)
    raise InputError("no image name: give --images, or set images: in .github/ghbuild.yml "
                     "or in the workflow's with:; the default ghcr.io/<owner>/<repo> needs a "
                     "GitHub remote (" + (f"origin is {origin}" if origin else
                                          "there is no origin remote") + ")")


def exit_code(report: Report) -> int:
    """3 when run would be refused by policy (a fork's event, a release tag to move)."""
    refused = any(p.decision.refused or p.refusal.startswith("refused") for p in report.images)
    return 3 if refused else 0


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


def make_report(env: dict[str, str], ctx: Context, root: str, *, offline: bool,
                notes: list[str], client: RegistryClient | None = None,
                flags: Mapping[str, str] | None = None, cwd: str | None = None) -> Report:
    """The plan for every image ``run`` would build here (also ``run --dry-run``). The
    config file is found under ``root``; paths in the inputs are relative to ``cwd``, the
    directory buildx would run in (default ``root``)."""
    actions = QuietActions(env, notes)
    run_cmd.register_secrets(env, actions)
    report = Report(ctx=ctx, config=_config_name(env, root), notes=notes)
    if client is None and not offline:
        client = RegistryClient(CredentialStore.from_docker_config(environ=env), retries=1,
                                timeout=5.0, secret_sink=actions.add_secret)
    envs = run_cmd.image_envs(env, root, flags)
    bake = run_cmd.bake_mode(envs[0])
    images = [plan_image(image_env, ctx, root, actions, client, bake=bake, cwd=cwd)
              for image_env in envs]
    report.images = [plan for plan, _ in images]
    if bake:
        report.bake = _bake_view(images, actions, report)
    _note_left_out(report)
    return report


def _config_name(env: Mapping[str, str], root: str) -> str:
    wanted = env_input("config", env)
    if wanted:
        return wanted
    return next((f".github/{name}" for name in ("ghbuild.yml", "ghbuild.yaml")
                 if Path(root, ".github", name).is_file()), "")


def plan_image(env: dict[str, str], ctx: Context, root: str, actions: Actions,
               client: RegistryClient | None, *, bake: bool = False, cwd: str | None = None
               ) -> tuple[ImagePlan, run_cmd.ImageRun]:
    """``run``'s own steps for one image (``run.prepare_image``, ``run.check_image``,
    ``run.decide_action``), without their side effects; paths relative to ``cwd``
    (default ``root``)."""
    with run_cmd._at_config(env):  # an error is reported at its config file line, as in run
        img = run_cmd.prepare_image(env, ctx, actions, cwd=cwd or root, refuse=False,
                                    cache_env=_runner_cache_env(env, ctx, actions),
                                    client_for=lambda *_: client)
    view, presence = _check(img, env)
    unchecked = run_cmd.unchecked_reason(img)
    if presence is None and not unchecked:
        action, reason = "build", ("run checks the registry first and builds unless the key "
                                   "tag is there; not checked here")
    else:
        action, reason = run_cmd.decide_action(presence, img.decision,
                                               unchecked=unchecked or run_cmd.CHECK_OFF)
    refusal = _refusal(img, presence) if action != "skip" and client is not None else ""
    registries = _registries(img, presence, env) if action == "retag" else ()
    plan = run_cmd.build_plan(img, metadata_file=METADATA_PLACEHOLDER)
    argv = () if bake else tuple(actions.redact(a) for a in buildx_argv(plan))
    meta, build = img.meta, img.build
    return ImagePlan(
        image=img.outcome.image, version=meta.version, tags=meta.tags, labels=meta.labels,
        annotations=meta.annotations, platforms=build.platforms, decision=img.decision,
        cache=img.cache.description, build_key=img.key, registry=view, action=action,
        action_reason=reason, argv=argv, secret_env=tuple(sorted(child_env(plan))),
        refusal=refusal, logins=_logins(img, ctx, actions), registries=registries), img


def _logins(img: run_cmd.ImageRun, ctx: Context,
            actions: Actions) -> tuple[tuple[str, str, str], ...]:
    """run's logins for this image, without their passwords: run's own ``_image_login``
    (which refuses a password without a user name, as run does), its lines dropped. A
    workflow's password only a runner has is a warning instead: run refuses only if
    that secret is set there (an unset one is an empty password, no login)."""
    if ctx.source == "git" and not ctx.actor:  # a runner has one; git does not
        ctx = replace(ctx, actor="<github.actor>")
    try:
        logins = run_cmd._image_login(img, ctx, QuietActions(img.env, []), set())
    except InputError as exc:
        if not workflow.is_stand_in(env_input("password", img.env) or ""):
            raise
        actions.warning(f"{exc.message}: run refuses this if the workflow's password is set "
                        "on the runner")
        logins = run_cmd.login_plan(img, ctx)
    return tuple((c.host, c.username, c.source) for c in logins)


def _login_text(p: ImagePlan) -> str:
    if not p.decision.login:
        return "no"
    if not p.logins:
        return "yes (no password given: the engine's existing credentials)"
    return "yes: " + "; ".join(f"{host} as {user or '(no user name)'} ({source})"
                               for host, user, source in p.logins)


def _runner_cache_env(env: Mapping[str, str], ctx: Context,
                      actions: Actions) -> Mapping[str, str]:
    """On a runner the action hands buildx the cache service's URL and token; a local
    plan stands in for them so that it shows CI's cache attributes (which never carry
    the values: BuildKit reads them from its environment)."""
    if ctx.source != "git" or not gha_missing(env):
        return env
    actions.notice("cache: shown as on a GitHub runner, where the action provides the "
                   "gha cache service")
    return {**env, **{name: env.get(name) or "(runner)" for name in (GHA_TOKEN, GHA_URL_V1)}}


def _check(img: run_cmd.ImageRun, env: Mapping[str, str]
           ) -> tuple[RegistryView, Presence | None]:
    """run's read-only registry check; any failure to ask is "not checked"."""
    target = str(run_cmd.key_ref(img))
    unchecked = run_cmd.unchecked_reason(img)  # check: false, or no-cache: true
    if unchecked:
        return RegistryView(checked=False, ref=target, reason=unchecked), None
    if img.client is None:
        return RegistryView(checked=False, ref=target, reason="--offline given"), None
    try:
        # its log lines and warnings are run's; the plan shows the state below instead
        got = run_cmd.check_image(img, QuietActions(env, []))
    except (GhbuildError, requests.RequestException, OSError) as exc:
        return RegistryView(checked=False, ref=target, reason=f"registry not reachable: "
                                                               f"{_first_line(exc)}"), None
    assert got is not None
    if run_cmd.unreachable(got):
        return RegistryView(checked=False, ref=target,
                            reason=f"registry not reachable: {got.reason}"), None
    view = RegistryView(checked=True, ref=target, state=got.state.value,
                        digest=got.digest or "", reason=got.reason)
    return view, got


def _refusal(img: run_cmd.ImageRun, presence: Presence | None) -> str:
    """run's release-tag guard, read-only: what would stop it before any write."""
    reused = presence.digest or "" if presence is not None and presence.present else ""
    try:
        present, doubtful = run_cmd.release_tag_conflicts(img, reused)
    except (GhbuildError, requests.RequestException, OSError) as exc:
        return f"cannot tell whether release tags exist: {_first_line(exc)}"
    if present:
        how = f"promoting {reused}" if reused else "a build"
        return (f"refused by policy (exit 3): release tag(s) exist and {how} would move "
                "them: " + "; ".join(present) + " (allow-tag-move: true moves them)")
    if doubtful:
        return ("run would stop (exit 1): cannot tell whether release tag(s) exist: "
                + "; ".join(doubtful))
    return ""


def _registries(img: run_cmd.ImageRun, presence: Presence | None, env: Mapping[str, str]
                ) -> tuple[tuple[str, str, str], ...]:
    """run's retag over several registries (``run.retag_placements``), read-only: per
    registry whether run would promote the tags within it, copy the image in by digest
    first, or find every tag there already. One registry: nothing to add (promotion)."""
    if img.client is None or presence is None or not presence.digest:
        return ()
    if len(registry_copy.by_registry(img.refs)) < 2:
        return ()
    digest = presence.digest
    source = run_cmd.key_ref(img).with_digest(digest)
    said = _SaidActions(env)
    try:
        placements = run_cmd.retag_placements(img, source, said)
        targets = [t for placement in placements for t in placement.targets]
        # allow_move: only reading here; a release tag that would move is the refusal's
        current = check_targets(img.client, targets, digest, allow_move=True)
    except (GhbuildError, requests.RequestException, OSError) as exc:
        return (("", "not checked", f"registries not reachable: {_first_line(exc)}"),)
    return tuple(_registry_view(p, current, source, digest, said.lines) for p in placements)


class _SaidActions(QuietActions):
    """Keeps run's log lines: its look-up on each other registry says why it would copy."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ, [])
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(self.redact(message))


def _registry_view(placement: registry_copy.Placement, current: Mapping[str, str | None],
                   source: ImageRef, digest: str, said: Sequence[str]) -> tuple[str, str, str]:
    tags = len(placement.targets)
    if placement.copy_from is not None:
        prefix = f"registry {placement.registry}: "
        why = next((line[len(prefix):] for line in said if line.startswith(prefix)),
                   f"copying {digest} there from {source.registry}")
        return (placement.registry, "copy", f"{why}, by digest; then {tags} tag(s) written")
    missing = [t for t in placement.targets if current.get(str(t)) != digest]
    if not missing:
        return (placement.registry, "already there", f"all {tags} tag(s) name {digest}")
    return (placement.registry, "promote", f"{len(missing)} of {tags} tag(s) written within "
                                           "the registry")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _bake_view(images: Sequence[tuple[ImagePlan, run_cmd.ImageRun]], actions: Actions,
               report: Report) -> dict[str, Any] | None:
    """The definition run's one bake run would get: every image is checked against what
    bake can take (as run does first), the ones to build make up the definition."""
    every = [BakeImage(img.outcome.image, run_cmd.build_plan(img)) for _, img in images]
    bake_file(every)
    building = [(plan, BakeImage(img.outcome.image, run_cmd.build_plan(
        img, metadata_file=METADATA_PLACEHOLDER))) for plan, img in images
        if plan.action == "build"]
    if not building:
        return None
    made = bake_file([b for _, b in building])
    names = {image: target for target, image in made.targets.items()}
    report.images = [replace(p, bake_target=names.get(p.image, "")) for p in report.images]
    definition = json.loads(actions.redact(json.dumps(made.definition)))
    return {"definition": definition, "targets": dict(made.targets),
            "secret-env": sorted(made.env)}


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
        "workflow": report.workflow.as_json() if report.workflow else None,
        "images": [p.as_json() for p in report.images],
        "bake": report.bake,
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
    if report.workflow:
        lines += ["", *_workflow_text(report.workflow)]
    for plan in report.images:
        lines += ["", *_image_text(plan)]
    if report.bake is not None:
        lines += ["", "bake definition (one docker buildx bake run builds the images above "
                      "that need a build):"]
        lines += ["  " + line for line in json.dumps(report.bake["definition"],
                                                     indent=2).splitlines()]
        if report.bake["secret-env"]:
            lines.append("  bake environment (values not shown): "
                         + ", ".join(report.bake["secret-env"]))
    if report.notes:
        lines += ["", "notes:", *(f"  {n}" for n in report.notes)]
    return "\n".join(lines) + "\n"


def _workflow_text(w: WorkflowView) -> list[str]:
    called = "" if not w.called_from else (
        f" ({w.called_from})" if w.called_from.startswith("no caller") else
        f" (called from {w.called_from})")
    out = [f"workflow {w.file} job {w.job} step {w.step}"
           + (f" ({w.name})" if w.name else "") + called, f"  uses:     {w.uses}"]
    if w.inputs:
        out.append("  inputs:")
    for name, value in w.inputs:
        lines = value.splitlines()
        if len(lines) > 1 or value.endswith("\n"):
            out += [f"    {name}: |", *(f"      {line}" for line in lines)]
        else:
            out.append(f"    {name}: {value}")
    if w.unknown:
        out.append("  not known locally (a runner fills them):")
        out += [f"    {name}: {source}" for name, source in w.unknown]
    return out


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
    out.append(f"  login:    {_login_text(p)}")
    out.append(f"  cache:    {p.cache}")
    reg = p.registry
    state = reg.state if reg.checked else "not checked"
    digest = f" {reg.digest}" if reg.digest else ""
    out.append(f"  registry: {reg.ref}: {state}{digest} ({reg.reason})")
    out.append(f"  run would: {p.action} ({p.action_reason})")
    out += [f"    on {host or 'the other registries'}: {what} ({why})"
            for host, what, why in p.registries]
    if d.refused:
        out.append("  run would stop here with exit code 3 (refused by policy)")
    if p.refusal:
        out.append(f"  run would stop before writing anything: {p.refusal}")
    if not p.argv:
        where = f"target {p.bake_target}" if p.bake_target else "not built"
        out.append(f"  buildx: in the bake definition below ({where})")
        return out
    out.append("  buildx:" if p.action == "build" else "  buildx (not run, see above):")
    out.append(f"    {shell_echo(p.argv)}")
    if p.secret_env:
        out.append(f"  buildx environment (values not shown): {', '.join(p.secret_env)}")
    return out


def dry_run(env: dict[str, str], ctx: Context, workspace: str, *, fmt: str = "text",
            offline: bool = False, flags: Mapping[str, str] | None = None) -> int:
    """``ghbuild run --dry-run``: the plan for a context ``run`` already has. Paths are
    relative to the working directory, as in ``run`` (and build-push-action, whose paths
    are the working directory's; on a runner that is the workspace)."""
    notes: list[str] = []
    report = make_report(env, ctx, workspace or os.getcwd(), offline=offline, notes=notes,
                         flags=flags, cwd=os.getcwd())
    sys.stdout.write(safe_json(render_json(report)) if fmt == "json"
                     else safe_text(render_text(report)))
    return exit_code(report)
