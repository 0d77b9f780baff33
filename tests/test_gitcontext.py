"""The Context from a real local git checkout (git runs for real in a temporary directory)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.errors import InputError
from ghbuild.gitcontext import from_git, parse_remote
from ghbuild.meta import MetaInputs, compute

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "2021-03-04T05:06:07+01:00",
           "GIT_COMMITTER_DATE": "2021-03-04T05:06:07+01:00", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_CONFIG_SYSTEM": "/dev/null", "HOME": "/nonexistent"}


@pytest.fixture(autouse=True)
def real_git(monkeypatch):
    """This module runs git for real: install the pass-through runner."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    previous = proc.set_runner(proc.Runner())
    yield
    proc.set_runner(previous)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    git(path, "init", "-q", "-b", "trunk")
    (path / "f").write_text("x")
    git(path, "add", "f")
    git(path, "commit", "-q", "-m", "one")
    git(path, "remote", "add", "origin", "git@github.com:Acme/Widget.git")
    return path


ENV = {"SOURCE_DATE_EPOCH": "1578616200"}


def test_push_on_a_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    ctx = from_git(str(repo), event="push", environ=ENV)
    sha = git(repo, "rev-parse", "HEAD")
    assert (ctx.event_name, ctx.ref, ctx.sha, ctx.repository) == \
        ("push", "refs/heads/feature/x", sha, "Acme/Widget")
    assert ctx.source == "git" and ctx.now == 1578616200.0
    # no origin/HEAD and no init.defaultBranch: main
    assert ctx.default_branch == "main"
    assert ctx.payload["head_commit"] == {"id": sha, "timestamp": "2021-03-04T05:06:07+01:00"}
    result = compute(ctx, MetaInputs(tags=("type=ref,event=branch\n"
                                           "type=raw,cd-{{commit_date 'YYYYMMDD-HHmm'}}",)))
    assert result.tags == ("feature-x", "cd-20210304-0406")
    assert result.labels["org.opencontainers.image.source"] == "https://github.com/Acme/Widget"


def test_default_branch_from_origin_head_then_config(repo: Path) -> None:
    git(repo, "update-ref", "refs/remotes/origin/trunk", "HEAD")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert from_git(str(repo), environ=ENV).default_branch == "trunk"
    git(repo, "symbolic-ref", "--delete", "refs/remotes/origin/HEAD")
    git(repo, "config", "init.defaultBranch", "develop")
    assert from_git(str(repo), environ=ENV).default_branch == "develop"


def test_tag_at_detached_head_and_release(repo: Path) -> None:
    git(repo, "tag", "v1.2.3")
    git(repo, "tag", "v1.10.0")
    git(repo, "checkout", "-q", "--detach")
    ctx = from_git(str(repo), event="push", environ=ENV)
    assert ctx.ref == "refs/tags/v1.10.0"   # highest version first
    result = compute(ctx, MetaInputs(tags=("type=semver,pattern={{major}}.{{minor}}",)))
    assert result.tags == ("1.10", "latest")
    assert from_git(str(repo), event="release", environ=ENV).ref == "refs/tags/v1.10.0"


def test_release_without_tag_is_an_error(repo: Path) -> None:
    with pytest.raises(InputError) as info:
        from_git(str(repo), event="release", environ=ENV)
    # the flags of plan and meta --context git, not this function's parameter names
    assert str(info.value) == ("event release needs a tag at HEAD: tag the commit (git tag "
                               "v1.2.3) or pass --ref refs/tags/v1.2.3")
    assert from_git(str(repo), event="release", environ=ENV,
                    ref="refs/tags/v9.0.0").ref == "refs/tags/v9.0.0"


def test_pull_request_from_saved_payload(repo: Path, tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"number": 7, "pull_request": {"base": {"ref": "trunk"}}}))
    ctx = from_git(str(repo), event="pull_request", event_path=str(payload), environ=ENV)
    assert ctx.ref == "refs/pull/7/merge"
    assert ctx.payload["pull_request"]["head"]["sha"] == ctx.sha
    assert ctx.base_ref == "trunk"
    result = compute(ctx, MetaInputs(tags=("type=ref,event=pr\ntype=raw,b-{{base_ref}}",)))
    assert result.tags == ("pr-7", "b-trunk")


def test_pull_request_needs_a_number(repo: Path) -> None:
    with pytest.raises(InputError) as info:
        from_git(str(repo), event="pull_request", environ=ENV)
    assert str(info.value) == ("event pull_request needs the pull request number: pass --pr "
                               "NUMBER, or a saved payload with \"number\" with --event-path "
                               "FILE")
    assert from_git(str(repo), event="pull_request", environ=ENV,
                    pr_number=12).ref == "refs/pull/12/merge"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ref": "v1.2.3"}, "--ref must be a full git ref such as refs/tags/v1.2.3 or "
                        "refs/heads/main, got 'v1.2.3'"),
    ({"ref": "refs/tags/a b"}, "--ref must be a full git ref such as refs/tags/v1.2.3 or "
                               "refs/heads/main, got 'refs/tags/a b'"),
    ({"pr_number": 0}, "--pr must be a pull request number (1 or more), got 0"),
    ({"pr_number": -4}, "--pr must be a pull request number (1 or more), got -4"),
])
def test_bad_ref_or_pr(repo: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        from_git(str(repo), event="pull_request", environ=ENV, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_schedule_on_detached_head_uses_default_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    ctx = from_git(str(repo), event="schedule", environ=ENV)
    assert ctx.ref == "refs/heads/main"


def test_other_events_use_the_branch(repo: Path) -> None:
    assert from_git(str(repo), event="create", environ=ENV).ref == "refs/heads/trunk"
    with pytest.raises(InputError) as info:
        from_git(str(repo), event="push; rm", environ=ENV)
    assert str(info.value) == (
        "the event (--event or GITHUB_EVENT_NAME) must be an event name such as push, "
        "pull_request, pull_request_target, release, schedule, workflow_dispatch; got "
        "'push; rm'")


def test_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a git checkout"):
        from_git(str(tmp_path), environ=ENV)


@pytest.mark.parametrize(("url", "parsed"), [
    ("https://github.com/Acme/Widget.git", ("github.com", "Acme/Widget")),
    ("https://token@github.example.com/acme/widget", ("github.example.com", "acme/widget")),
    ("git@github.com:Acme/Widget.git", ("github.com", "Acme/Widget")),
    ("ssh://git@github.com:22/acme/widget.git", ("github.com", "acme/widget")),
    ("github.com:acme/widget", ("github.com", "acme/widget")),
    ("/some/local/path", None),
    ("", None),
])
def test_parse_remote(url: str, parsed: tuple[str, str] | None) -> None:
    assert parse_remote(url) == parsed
