"""The push policy: for this event, do we log in, push and write the build cache?

Gating looks at the event and at the repository the change comes from (the head
repository of a pull request), never at ``GITHUB_REPOSITORY`` alone: a fork's pull
request runs with the base repository's name but with untrusted code. Every
decision carries its reason, printed by ``ghbuild run`` and ``ghbuild plan``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from .context import Context
from .errors import InputError
from .inputs import env_input, parse_bool

DEFAULT_EVENTS = ("push", "release", "workflow_dispatch", "schedule")
PR_EVENTS = ("pull_request", "pull_request_target", "merge_group")
KNOWN_EVENTS = frozenset({
    *DEFAULT_EVENTS, *PR_EVENTS, "workflow_call", "workflow_run", "repository_dispatch",
    "registry_package", "create", "delete", "deployment", "page_build", "status",
    "check_run", "check_suite", "issue_comment", "issues",
})

# Dependabot-triggered runs get a read-only GITHUB_TOKEN and no secrets, so a push
# would fail late with a confusing 403; we build and say why instead.
DEPENDABOT_ACTORS = frozenset({"dependabot[bot]", "dependabot-preview[bot]"})

_PATTERN_OK = re.compile(r"^[A-Za-z0-9._/*?\[\]!{}+@#-]+$")


class PushMode(Enum):
    AUTO = "auto"      # the event policy decides
    TRUE = "true"      # push whenever the event is trusted (filters ignored)
    FALSE = "false"    # never push


@dataclass(frozen=True, kw_only=True)
class PushPolicy:
    mode: PushMode = PushMode.AUTO
    events: tuple[str, ...] = DEFAULT_EVENTS
    branches: tuple[str, ...] = ()          # empty: the repository's default branch
    tag_patterns: tuple[str, ...] = ("*",)
    allow_fork_pr_target: bool = False
    login: PushMode = PushMode.AUTO         # TRUE also logs in for builds that do not push


@dataclass(frozen=True, kw_only=True)
class Decision:
    push: bool
    login: bool
    cache_write: bool
    reason: str
    refused: bool = False


def _split(name: str, raw: str | None) -> tuple[str, ...]:
    """Comma- or newline-separated names; each must look like a ref glob."""
    if raw is None:
        return ()
    items: list[str] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        for part in line.split(","):
            item = part.strip()
            if not item or item.startswith("#"):
                continue
            if not _PATTERN_OK.match(item):
                raise InputError(f"input '{name}' line {number}: {item!r} is not a name or "
                                 "glob pattern (letters, digits, . _ / - and * ? [ ])")
            items.append(item)
    return tuple(items)


def _mode(name: str, raw: str | None) -> PushMode:
    if raw is None or raw.strip() == "":
        return PushMode.AUTO
    try:
        return PushMode(raw.strip().lower())
    except ValueError:
        raise InputError(f"input '{name}' must be 'auto', 'true' or 'false', got {raw!r}")


def policy_from_inputs(environ: Mapping[str, str] | None = None) -> PushPolicy:
    """Read ``push``, ``push-events``, ``push-branches``, ``push-tags``, ``login`` and
    ``allow-fork-pr-target`` (documented in docs/run.md)."""
    events = _split("push-events", env_input("push-events", environ))
    for event in events:
        if event not in KNOWN_EVENTS:
            close = fnmatch.filter(sorted(KNOWN_EVENTS), event[:3] + "*")
            hint = f"did you mean {close[0]!r}?" if close else None
            raise InputError(f"input 'push-events': unknown event {event!r}", hint=hint)
    tags = _split("push-tags", env_input("push-tags", environ))
    return PushPolicy(
        mode=_mode("push", env_input("push", environ)),
        events=events or DEFAULT_EVENTS,
        branches=_split("push-branches", env_input("push-branches", environ)),
        tag_patterns=tags or ("*",),
        allow_fork_pr_target=parse_bool(
            "allow-fork-pr-target", env_input("allow-fork-pr-target", environ), False),
        login=_mode("login", env_input("login", environ)),
    )


def _build_only(reason: str, policy: PushPolicy) -> Decision:
    return Decision(push=False, login=policy.login is PushMode.TRUE, cache_write=False,
                    reason=reason)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _ref_decision(ctx: Context, policy: PushPolicy) -> tuple[bool, str]:
    """Whether the ref passes the branch / tag filters, and why (push events only)."""
    ref = ctx.ref
    if ref.startswith("refs/tags/"):
        tag = ref[len("refs/tags/"):]
        if _matches(tag, policy.tag_patterns):
            return True, f"tag {tag!r} matches push-tags {', '.join(policy.tag_patterns)}"
        return False, f"tag {tag!r} matches none of push-tags {', '.join(policy.tag_patterns)}"
    if ref.startswith("refs/heads/"):
        branch = ref[len("refs/heads/"):]
        if policy.branches:
            if _matches(branch, policy.branches):
                return True, f"branch {branch!r} matches push-branches"
            return False, (f"branch {branch!r} matches none of push-branches "
                           f"{', '.join(policy.branches)}")
        default = ctx.default_branch
        if not default:
            return False, (f"branch {branch!r}: the event payload names no default branch "
                           "(repository.default_branch), so it is not pushed; set "
                           "push-branches to push it")
        if branch == default:
            return True, f"branch {branch!r} is the default branch"
        return False, f"branch {branch!r} is not the default branch {default!r}"
    return False, f"ref {ref!r} is neither a branch nor a tag"


def _full_name(obj: object) -> str:
    return str(obj.get("full_name") or "") if isinstance(obj, Mapping) else ""


def _untrusted_head(ctx: Context) -> str | None:
    """The fork a pull request comes from, or None when it comes from this repository.

    Both names come from the payload (``pull_request.head.repo`` against
    ``pull_request.base.repo`` or ``repository``). A head repository the payload does
    not name (a deleted fork has ``head.repo: null``) counts as a fork.
    """
    pr = ctx.payload.get("pull_request")
    pr = pr if isinstance(pr, Mapping) else {}
    head_obj = pr.get("head")
    head = _full_name(head_obj.get("repo")) if isinstance(head_obj, Mapping) else ""
    base_obj = pr.get("base")
    base = (_full_name(base_obj.get("repo")) if isinstance(base_obj, Mapping) else "") or \
        _full_name(ctx.payload.get("repository")) or ctx.repository
    if not head:
        return "(unknown: the payload names no head repository)"
    if head.lower() != base.lower():
        return head
    return None


def decide(ctx: Context, policy: PushPolicy) -> Decision:
    """The push / login / cache-write decision for this event, with its reason."""
    got = _decide(ctx, policy)
    if got.login and policy.login is PushMode.FALSE:
        # login: false means the engine is already logged in (an earlier step did it).
        return replace(got, login=False)
    return got


def _workflow_run_fork(ctx: Context) -> str | None:
    """A workflow_run started by a fork's pull request runs with this repository's token
    but the fork's code: treated like that pull request."""
    run = ctx.payload.get("workflow_run")
    head = _full_name(run.get("head_repository")) if isinstance(run, Mapping) else ""
    base = _full_name(ctx.payload.get("repository")) or ctx.repository
    if not head:
        return "(unknown: the payload names no workflow_run.head_repository)"
    return head if head.lower() != base.lower() else None


def _decide(ctx: Context, policy: PushPolicy) -> Decision:
    event = ctx.event_name or "(none)"
    fork = _untrusted_head(ctx) if event in PR_EVENTS else None
    if event == "workflow_run":
        fork = _workflow_run_fork(ctx)
    if event == "pull_request_target" and fork and not policy.allow_fork_pr_target:
        return Decision(push=False, login=False, cache_write=False, refused=True,
                        reason=f"pull_request_target from fork {fork!r} would build untrusted "
                               "code with this repository's token; refused (set "
                               "allow-fork-pr-target: true to allow it)")
    if fork:
        # A fork's pull request has a read-only token and no secrets: no login at all.
        return Decision(push=False, login=False, cache_write=False,
                        reason=f"{event} from fork {fork!r}: build only, no login, no push, "
                               "no cache export")
    if policy.mode is PushMode.FALSE:
        return _build_only("input push is false: build only", policy)
    if ctx.actor in DEPENDABOT_ACTORS:
        return _build_only(f"run triggered by {ctx.actor}: its token is read-only, so build "
                           "only (no push, no cache export)", policy)
    if policy.mode is PushMode.TRUE:
        return Decision(push=True, login=True, cache_write=True,
                        reason=f"input push is true ({event})")
    return _auto(ctx, policy, event)


def _auto(ctx: Context, policy: PushPolicy, event: str) -> Decision:
    if event not in policy.events:
        what = "pull requests build only" if event in PR_EVENTS else "build only"
        return _build_only(f"event {event!r} is not in push-events "
                           f"({', '.join(policy.events)}): {what}", policy)
    if event == "push":
        ok, why = _ref_decision(ctx, policy)
        if not ok:
            return _build_only(f"push: {why}: build only", policy)
        return Decision(push=True, login=True, cache_write=True, reason=f"push: {why}")
    return Decision(push=True, login=True, cache_write=True,
                    reason=f"event {event!r} is in push-events")
