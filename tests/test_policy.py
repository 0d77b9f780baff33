"""The push policy: one row per event situation, asserting push, login, cache and reason."""

from __future__ import annotations

import pytest

from ghbuild.context import Context
from ghbuild.errors import InputError
from ghbuild.policy import Decision, PushMode, PushPolicy, decide, policy_from_inputs

REPO = {"repository": {"full_name": "acme/widget", "default_branch": "main"}}


def ctx(event: str, ref: str = "refs/heads/main", *, actor: str = "alice",
        payload: dict | None = None, repository: str = "acme/widget") -> Context:
    return Context(event_name=event, ref=ref, actor=actor, repository=repository,
                   payload=REPO if payload is None else payload)


def pr_payload(head: str, number: int = 7) -> dict:
    return {**REPO, "number": number,
            "pull_request": {"number": number, "head": {"repo": {"full_name": head}}}}


ROWS = [
    # id, context, policy, push, login, cache_write, refused, words in the reason
    ("push-default-branch", ctx("push"), PushPolicy(), True, True, True, False,
     "default branch"),
    ("push-other-branch", ctx("push", "refs/heads/feature/x"), PushPolicy(), False, False,
     False, False, "not the default branch 'main'"),
    ("push-tag", ctx("push", "refs/tags/v1.2.3"), PushPolicy(), True, True, True, False,
     "tag 'v1.2.3'"),
    ("push-tag-filtered", ctx("push", "refs/tags/nightly"),
     PushPolicy(tag_patterns=("v*",)), False, False, False, False, "matches none of push-tags"),
    ("push-branch-pattern", ctx("push", "refs/heads/release/2.0"),
     PushPolicy(branches=("main", "release/*")), True, True, True, False,
     "matches push-branches"),
    ("push-no-default-branch-known", ctx("push", payload={}), PushPolicy(), False, False,
     False, False, "names no default branch"),
    ("release", ctx("release", "refs/tags/v1.0.0"), PushPolicy(), True, True, True, False,
     "'release' is in push-events"),
    ("dispatch", ctx("workflow_dispatch"), PushPolicy(), True, True, True, False,
     "workflow_dispatch"),
    ("schedule", ctx("schedule"), PushPolicy(), True, True, True, False, "schedule"),
    ("pull-request-same-repo", ctx("pull_request", "refs/pull/7/merge",
                                   payload=pr_payload("acme/widget")), PushPolicy(),
     False, False, False, False, "pull requests build only"),
    ("pull-request-fork", ctx("pull_request", "refs/pull/7/merge",
                              payload=pr_payload("contributor/widget")), PushPolicy(),
     False, False, False, False, "from fork 'contributor/widget'"),
    # Even push: true cannot make a fork's pull request push or log in.
    ("pull-request-fork-push-true", ctx("pull_request", "refs/pull/7/merge",
                                        payload=pr_payload("contributor/widget")),
     PushPolicy(mode=PushMode.TRUE, login=PushMode.TRUE), False, False, False, False,
     "no login"),
    ("pr-target-fork-refused", ctx("pull_request_target", "refs/heads/main",
                                   payload=pr_payload("contributor/widget")), PushPolicy(),
     False, False, False, True, "allow-fork-pr-target"),
    ("pr-target-fork-allowed", ctx("pull_request_target", "refs/heads/main",
                                   payload=pr_payload("contributor/widget")),
     PushPolicy(allow_fork_pr_target=True), False, False, False, False, "build only"),
    ("pr-target-same-repo", ctx("pull_request_target", "refs/heads/main",
                                payload=pr_payload("acme/widget")), PushPolicy(), False,
     False, False, False, "not in push-events"),
    # Gating ignores GITHUB_REPOSITORY's case but not the head repository.
    ("pr-head-case-only", ctx("pull_request", "refs/pull/7/merge",
                              payload=pr_payload("Acme/Widget")), PushPolicy(), False,
     False, False, False, "pull requests build only"),
    ("dependabot-push", ctx("push", "refs/heads/dependabot/npm_and_yarn/lodash-4.17.21",
                            actor="dependabot[bot]"),
     PushPolicy(branches=("*",)), False, False, False, False, "read-only"),
    ("dependabot-push-true", ctx("push", actor="dependabot[bot]"),
     PushPolicy(mode=PushMode.TRUE), False, False, False, False, "dependabot[bot]"),
    ("push-false", ctx("push"), PushPolicy(mode=PushMode.FALSE), False, False, False, False,
     "push is false"),
    ("push-true-other-branch", ctx("push", "refs/heads/feature/x"),
     PushPolicy(mode=PushMode.TRUE), True, True, True, False, "push is true"),
    ("login-true-build-only", ctx("push", "refs/heads/feature/x"),
     PushPolicy(login=PushMode.TRUE), False, True, False, False, "not the default branch"),
    ("login-false-still-pushes", ctx("push"), PushPolicy(login=PushMode.FALSE), True, False,
     True, False, "default branch"),
    ("event-not-listed", ctx("schedule"), PushPolicy(events=("push",)), False, False, False,
     False, "not in push-events (push)"),
    ("no-event", ctx(""), PushPolicy(), False, False, False, False, "'(none)'"),
]


@pytest.mark.parametrize(("row_id", "context", "policy", "push", "login", "cache", "refused",
                          "reason"), ROWS, ids=[row[0] for row in ROWS])
def test_decide(row_id, context, policy, push, login, cache, refused, reason):
    got = decide(context, policy)
    assert isinstance(got, Decision)
    assert (got.push, got.login, got.cache_write, got.refused) == (push, login, cache, refused)
    assert reason in got.reason


def test_deleted_fork_or_missing_payload_counts_as_fork():
    deleted = {**REPO, "pull_request": {"number": 7, "head": {"repo": None}}}
    got = decide(ctx("pull_request_target", payload=deleted), PushPolicy())
    assert got.refused and "unknown" in got.reason
    got = decide(ctx("pull_request", payload={}), PushPolicy(mode=PushMode.TRUE))
    assert not got.push and not got.login and "unknown" in got.reason


def test_workflow_run_from_a_fork_builds_only():
    fork = {**REPO, "workflow_run": {"head_repository": {"full_name": "evil/widget"}}}
    same = {**REPO, "workflow_run": {"head_repository": {"full_name": "acme/widget"}}}
    policy = PushPolicy(events=("workflow_run",))
    got = decide(ctx("workflow_run", payload=fork), policy)
    assert (got.push, got.login, got.cache_write) == (False, False, False)
    assert "from fork 'evil/widget'" in got.reason
    assert decide(ctx("workflow_run", payload=same), policy).push


def test_base_repository_comes_from_the_payload():
    # GITHUB_REPOSITORY says the fork's name here; the payload's base decides.
    payload = {"repository": {"full_name": "acme/widget"}, "pull_request": {
        "head": {"repo": {"full_name": "contributor/widget"}},
        "base": {"repo": {"full_name": "acme/widget"}}}}
    got = decide(ctx("pull_request_target", payload=payload,
                     repository="contributor/widget"), PushPolicy())
    assert got.refused


def test_gating_uses_head_repository_not_github_repository():
    # GITHUB_REPOSITORY says acme/widget on a fork's pull request too: the head decides.
    fork = ctx("pull_request_target", payload=pr_payload("contributor/widget"))
    same = ctx("pull_request_target", payload=pr_payload("acme/widget"))
    assert decide(fork, PushPolicy()).refused
    assert not decide(same, PushPolicy()).refused


def test_policy_from_inputs_reads_both_spellings():
    env = {"INPUT_PUSH-EVENTS": "push, release", "INPUT_PUSH_BRANCHES": "main\nrelease/*",
           "INPUT_PUSH-TAGS": "v*", "INPUT_ALLOW-FORK-PR-TARGET": "true", "INPUT_PUSH": "auto",
           "INPUT_LOGIN": "true"}
    got = policy_from_inputs(env)
    assert got == PushPolicy(events=("push", "release"), branches=("main", "release/*"),
                             tag_patterns=("v*",), allow_fork_pr_target=True,
                             login=PushMode.TRUE)


def test_policy_defaults():
    assert policy_from_inputs({}) == PushPolicy()


@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_PUSH": "yes"}, "input 'push' must be 'auto', 'true' or 'false', got 'yes'"),
    ({"INPUT_PUSH-EVENTS": "push,pul_request"},
     "input 'push-events': unknown event 'pul_request' (did you mean 'pull_request'?)"),
    ({"INPUT_PUSH-BRANCHES": "main\nfoo bar"}, "input 'push-branches' line 2: 'foo bar'"),
    ({"INPUT_ALLOW-FORK-PR-TARGET": "1"}, "input 'allow-fork-pr-target' must be 'true'"),
])
def test_policy_bad_input(env, message):
    with pytest.raises(InputError) as err:
        policy_from_inputs(env)
    assert message in str(err.value)
