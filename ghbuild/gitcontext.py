"""A :class:`~ghbuild.context.Context` from a local git checkout (dry runs, ``context: git``).

What a runner would give is rebuilt from git: the ref for the chosen event, the HEAD
sha and commit date, ``owner/repo`` from the ``origin`` remote (https or ssh forms), the
default branch (``origin/HEAD``, else ``init.defaultBranch``, else ``main``), and a
payload with the fields the tag engine reads (``repository.default_branch``,
``head_commit``, ``commits``, ``number``/``pull_request`` for pull requests). A saved
payload (``event_path``) is loaded first; synthesised fields only fill what it lacks.
Every git call goes through :mod:`ghbuild.proc`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from . import proc
from .context import Context, load_payload, now_from_env
from .errors import InputError
from .meta import semver

EVENTS = ("push", "pull_request", "pull_request_target", "release", "schedule",
          "workflow_dispatch")

_REMOTE_RES = (
    re.compile(r"^[a-z+]+://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+?)(?:\.git)?/?$"),
    re.compile(r"^(?:[^@/]+@)?(?P<host>[^/:]+):(?P<path>[^/].*?)(?:\.git)?/?$"),
)


def _git(path: str, *args: str, check: bool = True) -> str:
    try:
        done = proc.get_runner().run(["git", "-C", path, *args])
    except FileNotFoundError:
        raise InputError("git is not installed (needed for the git context)")
    if done.returncode != 0:
        if check:
            message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            raise InputError(f"git {' '.join(args)} failed in {path}: {message}")
        return ""
    return done.stdout.strip()


def parse_remote(url: str) -> tuple[str, str] | None:
    """(host, owner/repo) from an https, ssh:// or scp-like remote URL."""
    for pattern in _REMOTE_RES:
        m = pattern.match(url.strip())
        if m and "/" in m.group("path"):
            return m.group("host"), m.group("path")
    return None


def default_branch(path: str) -> str:
    head = _git(path, "symbolic-ref", "-q", "refs/remotes/origin/HEAD", check=False)
    if head.startswith("refs/remotes/origin/"):
        return head[len("refs/remotes/origin/"):]
    return _git(path, "config", "--get", "init.defaultBranch", check=False) or "main"


def tags_at_head(path: str) -> list[str]:
    """Tags pointing at HEAD: the highest semantic version first (``v2.0.0`` before
    ``v2.0.0-rc.1`` and ``v1.2.3``), then the others in git's version order."""
    text = _git(path, "tag", "--points-at", "HEAD", "--sort=-v:refname", check=False)
    tags = [t for t in text.splitlines() if t]
    versions = {t: v for t in tags if (v := semver.parse(t)) is not None}
    ranked = sorted(versions, key=lambda t: _precedence(versions[t]), reverse=True)
    return ranked + [t for t in tags if t not in versions]


def _precedence(v: semver.SemVer) -> tuple[Any, ...]:
    """semver.org's order: a release above its pre-releases; numeric identifiers below
    alphanumeric ones, numbers by value."""
    pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in v.prerelease)
    return (v.major, v.minor, v.patch, not v.prerelease, pre)


def toplevel(path: str) -> str:
    """The top of the checkout ``path`` is in (``path`` itself outside one)."""
    return _git(path, "rev-parse", "--show-toplevel", check=False) or path


def origin_url(path: str) -> str:
    return _git(path, "remote", "get-url", "origin", check=False)


def from_git(path: str, event: str = "push", event_path: str | None = None,
             environ: Mapping[str, str] | None = None, *, ref: str | None = None,
             pr_number: int | None = None) -> Context:
    if not event or not event.replace("_", "").isalnum():
        raise InputError(f"the event (--event or GITHUB_EVENT_NAME) must be an event name "
                         f"such as {', '.join(EVENTS)}; got {event!r}")
    env = os.environ if environ is None else environ
    _check_overrides(ref, pr_number)
    if _git(path, "rev-parse", "--is-inside-work-tree", check=False) != "true":
        raise InputError(f"{path} is not a git checkout")
    if not _git(path, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False):
        raise InputError(f"{path}: this repository has no commits yet: the git context "
                         "needs HEAD (make a first commit)")
    sha = _git(path, "rev-parse", "HEAD")
    branch = _git(path, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    tags = tags_at_head(path)
    payload: dict[str, Any] = load_payload(event_path, "event payload") if event_path else {}
    number = pr_number if pr_number is not None else payload.get("number")
    the_ref = ref or _ref_for(event, branch, tags, number, default_branch(path))
    remote = parse_remote(origin_url(path))
    host, repository = remote if remote else ("github.com", "")
    committed = _git(path, "show", "-s", "--format=%cI", "HEAD")
    _fill_payload(payload, event, sha, committed, the_ref, branch, repository, host,
                  default_branch(path), number)
    return Context(
        event_name=event, ref=the_ref, sha=sha, repository=repository,
        repository_owner=repository.partition("/")[0], server_url=f"https://{host}",
        head_ref=branch if event.startswith("pull_request") else "",
        base_ref=_base(payload) if event.startswith("pull_request") else "",
        workspace=path, event_path=event_path or "", payload=payload,
        now=now_from_env(env), source="git")


# Messages below name what the commands offer (plan and meta --context git both take
# --ref, --pr and --event-path), never this module's parameter names.
def _check_overrides(ref: str | None, pr_number: int | None) -> None:
    if ref is not None and not re.fullmatch(r"refs/[^\s]+", ref):
        raise InputError(f"--ref must be a full git ref such as refs/tags/v1.2.3 or "
                         f"refs/heads/main, got {ref!r}")
    if pr_number is not None and pr_number < 1:
        raise InputError(f"--pr must be a pull request number (1 or more), got {pr_number}")


def _ref_for(event: str, branch: str, tags: list[str], number: object,
             default: str) -> str:
    if event == "release":
        if not tags:
            raise InputError("event release needs a tag at HEAD: tag the commit (git tag "
                             "v1.2.3) or pass --ref refs/tags/v1.2.3")
        return f"refs/tags/{tags[0]}"
    if event.startswith("pull_request"):
        if number is None:
            raise InputError(f"event {event} needs the pull request number: pass --pr NUMBER, "
                             "or a saved payload with \"number\" with --event-path FILE")
        return f"refs/pull/{number}/merge"
    if event == "push" and not branch and tags:
        return f"refs/tags/{tags[0]}"
    if branch:
        return f"refs/heads/{branch}"
    # detached HEAD without a tag: schedule and dispatch run on the default branch
    return f"refs/heads/{default}" if event in ("schedule", "workflow_dispatch") else ""


def _base(payload: Mapping[str, Any]) -> str:
    pr = payload.get("pull_request")
    base = pr.get("base") if isinstance(pr, Mapping) else None
    return str(base.get("ref", "")) if isinstance(base, Mapping) else ""


def _fill_payload(payload: dict[str, Any], event: str, sha: str, committed: str, ref: str,
                  branch: str, repository: str, host: str, default: str,
                  number: object) -> None:
    repo = payload.setdefault("repository", {})
    if isinstance(repo, dict):
        repo.setdefault("default_branch", default)
        if repository:
            repo.setdefault("full_name", repository)
            repo.setdefault("name", repository.rpartition("/")[2])
            repo.setdefault("html_url", f"https://{host}/{repository}")
    commit = {"id": sha, "timestamp": committed}
    if event == "push":
        payload.setdefault("head_commit", commit)
        payload.setdefault("commits", [commit])
        payload.setdefault("ref", ref)
    else:
        payload.setdefault("head_commit", commit)
    if event.startswith("pull_request"):
        payload.setdefault("number", number)
        pr = payload.setdefault("pull_request", {})
        if isinstance(pr, dict):
            pr.setdefault("number", number)
            # A pull request made from a local checkout comes from a branch of that same
            # repository; a fork's pull request is simulated with a saved payload.
            same = {"repo": {"full_name": repository}} if repository else {}
            pr.setdefault("head", {"sha": sha, "ref": branch, **same})
            pr.setdefault("base", {"ref": default, **same})
