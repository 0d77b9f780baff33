"""``ghbuild plan`` in real temporary git repositories.

git runs for real through a runner that lets ``git`` through and fails on anything
else, so a docker (or credential helper) call would fail the test. Sockets are
blocked for unit tests: the registry is either skipped (``--offline``) or a fake
client (tests/e2e/test_plan.py asks the real registry).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from ghbuild import proc
from ghbuild.cli import main
from ghbuild.commands import plan
from ghbuild.gitcontext import from_git
from ghbuild.registry import Presence, RegistryClient, State

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1700000000"
DATE = "2023-11-14T22:13:20+00:00"
# Subcommands git may run during a plan: all of them only read.
READ_ONLY_GIT = {"rev-parse", "symbolic-ref", "tag", "remote", "show", "config"}


class GitOnlyRunner(proc.Runner):
    """Real git; any other program fails the test. Records every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> proc.Completed:
        if not argv or argv[0] != "git":
            raise AssertionError(f"plan started a process other than git: {list(argv)}")
        self.calls.append(list(argv))
        return super().run(argv, **kwargs)

    def stream(self, argv: Sequence[str], **kwargs: Any) -> proc.Completed:
        raise AssertionError(f"plan streamed a process: {list(argv)}")


def pin_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A git that reads no user or system config and dates commits at EPOCH, so every
    commit id is the same on every machine (also used by tests/e2e/test_plan.py)."""
    home = tmp_path / "home"
    home.mkdir()
    for key, value in {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
                       "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
                       "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
                       "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE,
                       "SOURCE_DATE_EPOCH": EPOCH, "DOCKER_CONFIG": str(home / "docker")
                       }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> GitOnlyRunner:
    pin_git(monkeypatch, tmp_path)
    fake = GitOnlyRunner()
    monkeypatch.setattr(proc, "RUNNER", fake)
    return fake


def git(repo: Path, *args: str) -> str:
    done = proc.get_runner().run(["git", "-C", str(repo), *args])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def make_repo(tmp_path: Path, *, remote: str | None = "https://github.com/acme/widget.git",
              example: str = "hello", name: str = "repo") -> Path:
    repo = tmp_path / name
    shutil.copytree(ROOT / "examples" / example, repo,
                    ignore=shutil.ignore_patterns("busybox"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    if remote:
        git(repo, "remote", "add", "origin", remote)
    return repo


def plan_json(capsys: pytest.CaptureFixture[str], repo: Path, *extra: str) -> dict[str, Any]:
    code = main(["plan", "--dir", str(repo), "--offline", "--format", "json", *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    doc: dict[str, Any] = json.loads(out)
    return doc


# -- events and refs --------------------------------------------------------------------

def test_push_to_the_default_branch(runner: GitOnlyRunner, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    sha = git(repo, "rev-parse", "HEAD")
    doc = plan_json(capsys, repo, "--tags", "type=ref,event=branch\ntype=sha")
    assert doc["context"] == {"event": "push", "ref": "refs/heads/main", "sha": sha,
                              "repository": "acme/widget", "default-branch": "main",
                              "source": "git"}
    (img,) = doc["images"]
    image = "ghcr.io/acme/widget"
    assert img["image"] == image
    assert img["tags"] == [f"{image}:main", f"{image}:sha-{sha[:7]}"]
    assert img["push"] == {"push": True, "login": True, "cache-write": True, "refused": False,
                           "reason": "push: branch 'main' is the default branch"}
    assert img["action"] == "build"
    assert img["registry"]["checked"] is False
    assert img["registry"]["ref"] == f"{image}:ghbuild-key-rev-{sha}"
    argv = img["buildx"]
    assert argv[:3] == ["docker", "buildx", "build"] and argv[-1] == "."
    assert "--push" in argv
    assert _values(argv, "--tag") == [f"{image}:main", f"{image}:sha-{sha[:7]}",
                                      f"{image}:ghbuild-key-rev-{sha}"]
    assert f"org.opencontainers.image.revision={sha}" in _values(argv, "--label")
    assert "org.opencontainers.image.created=2023-11-14T22:13:20.000Z" in img["labels"]
    assert _values(argv, "--cache-to") == [
        "type=gha,scope=ghcr.io-acme-widget,mode=max,ignore-error=true"]


def test_feature_branch_builds_only(runner: GitOnlyRunner, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "feature/Login-Form")
    img = plan_json(capsys, repo)["images"][0]
    assert img["tags"][0] == "ghcr.io/acme/widget:feature-Login-Form"  # tag text keeps case
    assert img["push"]["push"] is False
    assert img["push"]["reason"] == ("push: branch 'feature/Login-Form' is not the default "
                                     "branch 'main': build only")
    assert "--push" not in img["buildx"]
    assert _values(img["buildx"], "--cache-to") == []
    assert not any("ghbuild-key-" in t for t in _values(img["buildx"], "--tag"))


def test_tag_on_a_detached_head(runner: GitOnlyRunner, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    git(repo, "tag", "v1.2.3")
    git(repo, "checkout", "-q", "--detach", "v1.2.3")
    doc = plan_json(capsys, repo, "--tags",
                    "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}")
    assert doc["context"]["ref"] == "refs/tags/v1.2.3"
    img = doc["images"][0]
    assert img["version"] == "1.2.3"
    assert img["tags"] == ["ghcr.io/acme/widget:1.2.3", "ghcr.io/acme/widget:1",
                           "ghcr.io/acme/widget:latest"]
    assert img["push"]["reason"] == "push: tag 'v1.2.3' matches push-tags *"


def test_detached_head_without_a_tag_asks_for_a_ref(runner: GitOnlyRunner, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    repo = make_repo(tmp_path)
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    code = main(["plan", "--dir", str(repo), "--offline", "--tags", "type=ref,event=branch"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    sha = git(repo, "rev-parse", "HEAD")
    assert err == (f"ghbuild: error: HEAD is detached at {sha[:12]} with no branch or tag, so "
                   "there is no ref for a push to plan (pass --ref refs/heads/BRANCH or --ref "
                   "refs/tags/TAG, or check out a branch)\n")


def test_detached_head_dispatch_runs_on_the_default_branch(runner: GitOnlyRunner,
                                                           tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "--detach")
    doc = plan_json(capsys, repo, "--event", "workflow_dispatch")
    assert doc["context"]["ref"] == "refs/heads/main"
    assert doc["images"][0]["push"]["reason"] == "event 'workflow_dispatch' is in push-events"


def test_release_needs_a_tag_at_head(runner: GitOnlyRunner, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    code = main(["plan", "--dir", str(repo), "--offline", "--event", "release"])
    assert code == 2
    assert capsys.readouterr().err == ("ghbuild: error: event release needs a tag at HEAD: "
                                       "tag the commit (git tag v1.2.3) or pass --ref "
                                       "refs/tags/v1.2.3\n")
    git(repo, "tag", "v2.0.0")
    doc = plan_json(capsys, repo, "--event", "release")
    assert doc["context"]["ref"] == "refs/tags/v2.0.0"
    assert doc["images"][0]["tags"] == ["ghcr.io/acme/widget:v2.0.0", "ghcr.io/acme/widget:latest"]
    assert doc["images"][0]["push"]["reason"] == "event 'release' is in push-events"


def test_not_a_git_checkout(runner: GitOnlyRunner, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--dir", str(tmp_path), "--offline"])
    assert (code, capsys.readouterr().err) == (
        2, f"ghbuild: error: {tmp_path} is not a git checkout\n")


def test_pull_request(runner: GitOnlyRunner, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "fix")
    img = plan_json(capsys, repo, "--event", "pull_request", "--pr", "42")["images"][0]
    assert img["tags"][0] == "ghcr.io/acme/widget:pr-42"
    assert (img["push"]["push"], img["push"]["login"]) == (False, False)
    assert _values(img["buildx"], "--cache-from") == ["type=gha,scope=ghcr.io-acme-widget"]
    assert _values(img["buildx"], "--cache-to") == []


def test_pull_request_from_the_checkout_is_not_a_fork(runner: GitOnlyRunner, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    # A pull request simulated from a local checkout comes from a branch of the same
    # repository: with push: true it pushes, as run would on a same-repository PR.
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "fix")
    img = plan_json(capsys, repo, "--event", "pull_request", "--pr", "42",
                    "--push", "true")["images"][0]
    assert "fork" not in img["push"]["reason"]
    assert (img["push"]["push"], img["push"]["login"]) == (True, True)


def test_fork_pull_request_target_is_refused_with_exit_3(runner: GitOnlyRunner,
                                                         tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    repo = make_repo(tmp_path)
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"number": 5, "pull_request": {
        "number": 5, "head": {"repo": {"full_name": "contributor/widget"}}}}))
    code = main(["plan", "--dir", str(repo), "--offline", "--event", "pull_request_target",
                 "--event-path", str(payload)])
    out = capsys.readouterr().out
    assert code == 3
    assert "  push:     refused (pull_request_target from fork 'contributor/widget'" in out
    assert "  run would stop here with exit code 3 (refused by policy)" in out


# -- repository metadata ------------------------------------------------------------------

def test_no_remote_needs_an_image_name(runner: GitOnlyRunner, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, remote=None)
    code = main(["plan", "--dir", str(repo), "--offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("ghbuild: error: no image name: give --images, or set images: in "
                   ".github/ghbuild.yml or in the workflow's with:; the default "
                   "ghcr.io/<owner>/<repo> needs a GitHub remote (there is no origin remote)\n")
    doc = plan_json(capsys, repo, "--images", "registry.example/team/app")
    img = doc["images"][0]
    assert doc["context"]["repository"] == ""
    assert img["tags"][0] == "registry.example/team/app:main"
    assert "org.opencontainers.image.source=" in img["labels"]


def test_uppercase_owner_is_lowercased_with_a_notice(runner: GitOnlyRunner, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    repo = make_repo(tmp_path, remote="git@github.com:Acme-Org/Widget.git")
    doc = plan_json(capsys, repo)
    assert doc["context"]["repository"] == "Acme-Org/Widget"
    assert doc["images"][0]["image"] == "ghcr.io/acme-org/widget"
    assert ("notice: image name ghcr.io/Acme-Org/Widget lowercased to ghcr.io/acme-org/widget "
            "(registries accept lowercase repository names only)") in doc["notes"]
    assert "org.opencontainers.image.title=Widget" in doc["images"][0]["labels"]


def test_repo_metadata_fills_the_labels_git_cannot(runner: GitOnlyRunner, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    without = plan_json(capsys, repo)
    assert "org.opencontainers.image.description=" in without["images"][0]["labels"]
    assert ("OCI labels: org.opencontainers.image.description, "
            "org.opencontainers.image.licenses left empty: git does not know them (pass "
            "--repo-metadata FILE with the repository's REST object)") in without["notes"]
    meta = tmp_path / "repo.json"
    meta.write_text(json.dumps({"name": "widget", "description": "A widget",
                                "license": {"spdx_id": "Apache-2.0"},
                                "html_url": "https://github.com/acme/widget"}))
    with_file = plan_json(capsys, repo, "--repo-metadata", str(meta))
    labels = with_file["images"][0]["labels"]
    assert "org.opencontainers.image.description=A widget" in labels
    assert "org.opencontainers.image.licenses=Apache-2.0" in labels
    assert not any(n.startswith("OCI labels:") for n in with_file["notes"])


def test_bad_repo_metadata_is_one_clear_error(runner: GitOnlyRunner, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    meta = tmp_path / "repo.json"
    meta.write_text("{\n  'name': 1\n}\n")
    code = main(["plan", "--dir", str(repo), "--offline", "--repo-metadata", str(meta)])
    assert code == 2
    assert capsys.readouterr().err == (f"ghbuild: error: --repo-metadata {meta}:2:3: not JSON: "
                                       "Expecting property name enclosed in double quotes\n")


# -- the config file ---------------------------------------------------------------------

def test_monorepo_config_plans_every_image(runner: GitOnlyRunner, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    doc = plan_json(capsys, repo)
    assert doc["config"] == ".github/ghbuild.yml"
    api, web = doc["images"]
    assert api["image"] == "ghcr.io/example-org/monorepo-api"
    assert api["buildx"][-1] == "api"
    assert "GREETING=hello from the api" in _values(api["buildx"], "--build-arg")
    assert "org.opencontainers.image.vendor=Example Org" in api["labels"]
    assert web["buildx"][-1] == "web"
    assert web["tags"][0] == "ghcr.io/example-org/monorepo-web:main-web"  # flavor suffix
    assert web["push"]["reason"] == "push: branch 'main' matches push-branches"
    one = plan_json(capsys, repo, "--image", "monorepo-web")
    assert [i["image"] for i in one["images"]] == ["ghcr.io/example-org/monorepo-web"]


def test_a_flag_overrides_the_config_file(runner: GitOnlyRunner, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # inputs < .github/ghbuild.yml < flags, as run reads them
    repo = make_repo(tmp_path, example="monorepo")
    # (a --target flag must name a stage of the Dockerfile: the example's have none)
    doc = plan_json(capsys, repo, "--image", "monorepo-api", "--context", "web",
                    "--file", "api/Dockerfile")
    img = doc["images"][0]
    assert img["buildx"][-1] == "web"                     # the flag, not the config's api
    assert _values(img["buildx"], "--file") == ["api/Dockerfile"]
    assert not any(n.startswith("flag --") for n in doc["notes"])


def test_config_error_stops_the_plan(runner: GitOnlyRunner, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    cfg = repo / ".github" / "ghbuild.yml"
    cfg.write_text(cfg.read_text().replace("    context: web\n", "    contxt: web\n"))
    monkeypatch.chdir(repo)
    code = main(["plan", "--offline"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == ("ghbuild: error: .github/ghbuild.yml:20:5: images[1].contxt: unknown key "
                   "(did you mean 'context'?)\n")


# -- secrets -------------------------------------------------------------------------------

def test_secrets_never_reach_the_output(runner: GitOnlyRunner, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path)
    monkeypatch.setenv("INPUT_SECRETS", "npmrc=s3cr3t-npmrc-value")
    monkeypatch.setenv("INPUT_BUILD-ARGS", "NPM_TOKEN=tok-123456789\nMODE=fast")
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", "ghp_abcdefghijklmnop")
    for fmt in ("text", "json"):
        assert main(["plan", "--dir", str(repo), "--offline", "--format", fmt]) == 0
        out, err = capsys.readouterr()
        for value in ("s3cr3t-npmrc-value", "tok-123456789", "ghp_abcdefghijklmnop"):
            assert value not in out + err
    img = json.loads(out)["images"][0]
    assert _values(img["buildx"], "--secret") == ["id=npmrc,env=GHBUILD_SECRET_NPMRC"]
    assert _values(img["buildx"], "--build-arg") == ["NPM_TOKEN", "MODE=fast"]
    assert img["secret-env"] == ["GHBUILD_SECRET_NPMRC", "NPM_TOKEN"]
    assert any(n.startswith("warning: build arg NPM_TOKEN looks like a credential")
               for n in json.loads(out)["notes"])


# -- determinism and no side effects ---------------------------------------------------------

def test_two_runs_print_the_same_bytes(runner: GitOnlyRunner, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    outputs = []
    for fmt in ("text", "text", "json", "json"):
        assert main(["plan", "--dir", str(repo), "--offline", "--format", fmt]) == 0
        outputs.append(capsys.readouterr().out.encode())
    assert outputs[0] == outputs[1]
    assert outputs[2] == outputs[3]
    assert b"2023-11-14T22:13:20.000Z" in outputs[0]


def test_changes_nothing_and_runs_only_read_only_git(runner: GitOnlyRunner, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    git(repo, "tag", "v0.1.0")
    before = (_snapshot(repo), git(repo, "status", "--porcelain", "--ignored"))
    runner.calls.clear()
    assert main(["plan", "--dir", str(repo), "--offline"]) == 0
    assert (_snapshot(repo), git(repo, "status", "--porcelain", "--ignored")) == before
    used = {call[3] for call in runner.calls[:-1]}  # the last call is the status above
    assert used and used <= READ_ONLY_GIT
    assert not (tmp_path / "home" / "docker").exists()


def _snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under the checkout, .git included, with its bytes."""
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*"))
            if p.is_file()}


# -- the registry check (a fake client; the real registry is in tests/e2e) ----------------

class FakeClient(RegistryClient):
    def __init__(self, answer: Presence | Exception) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[str] = []

    def check(self, ref: Any, **kwargs: Any) -> Presence:  # type: ignore[override]
        self.asked.append(str(ref))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _report(repo: Path, client: FakeClient, env: Mapping[str, str] | None = None
            ) -> plan.ImagePlan:
    ctx = from_git(str(repo), event="push")
    report = plan.make_report(dict(env or {}), ctx, str(repo), offline=False, notes=[],
                              client=client)
    return report.images[0]


def test_present_means_retag_without_a_build(runner: GitOnlyRunner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    sha = git(repo, "rev-parse", "HEAD")
    ref = f"ghcr.io/acme/widget:ghbuild-key-rev-{sha}"
    client = FakeClient(Presence(State.PRESENT, ref=ref, digest="sha256:" + "a" * 64,
                                 reason="manifest found"))
    got = _report(repo, client)
    assert client.asked == [ref]
    assert (got.registry.checked, got.registry.state) == (True, "present")
    assert got.action == "retag"
    assert got.action_reason == f"{ref} already built as sha256:{'a' * 64}: no build"


def test_no_cache_is_a_build_without_asking_the_registry(runner: GitOnlyRunner,
                                                          tmp_path: Path) -> None:
    # The key tag is there, but no-cache asks for a fresh build: run never retags it.
    repo = make_repo(tmp_path)
    client = FakeClient(Presence(State.PRESENT, ref="r", digest="sha256:" + "a" * 64))
    got = _report(repo, client, {"INPUT_NO-CACHE": "true"})
    assert client.asked == []
    assert (got.registry.checked, got.action) == (False, "build")
    assert got.registry.reason == "no-cache is true: a fresh build was asked for, so no " \
                                  "image is reused"
    assert got.action_reason == f"the registry check is off ({got.registry.reason})"
    assert "--no-cache" in got.argv


def test_present_on_a_build_only_run_is_a_skip(runner: GitOnlyRunner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "topic")
    client = FakeClient(Presence(State.PRESENT, ref="r", digest="sha256:" + "b" * 64))
    assert _report(repo, client).action == "skip"


def test_absent_means_build(runner: GitOnlyRunner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    got = _report(repo, FakeClient(Presence.absent("r", "manifest unknown")))
    assert (got.registry.state, got.action) == ("absent", "build")
    assert got.action_reason == "no image for this build key yet (manifest unknown)"


@pytest.mark.parametrize("answer", [
    requests.ConnectionError("connection refused"),
    Presence.unknown("r", "cannot reach registry ghcr.io: connection refused", "fault"),
    Presence.unknown("r", "registry ghcr.io did not answer within 5s: read timeout",
                     "timeout"),
], ids=["raises", "unknown-connection", "unknown-timeout"])
def test_unreachable_registry_is_not_checked_never_an_error(runner: GitOnlyRunner,
                                                            tmp_path: Path,
                                                            answer: Any) -> None:
    repo = make_repo(tmp_path)
    got = _report(repo, FakeClient(answer))
    assert got.registry.checked is False
    assert got.registry.reason.startswith("registry not reachable: ")
    assert "connection refused" in got.registry.reason or "timeout" in got.registry.reason
    assert got.action == "build"


@pytest.mark.parametrize(("reason", "cause"), [
    ("access: registry ghcr.io refused pull of acme/widget (HTTP 401)", "access"),
    ("registry ghcr.io answered HTTP 503", "fault"),
], ids=["access", "http-503"])
def test_an_answer_we_cannot_use_is_unknown_and_builds(runner: GitOnlyRunner, tmp_path: Path,
                                                       reason: str, cause: str) -> None:
    repo = make_repo(tmp_path)
    got = _report(repo, FakeClient(Presence.unknown("r", reason, cause)))
    assert (got.registry.checked, got.registry.state, got.action) == (True, "unknown", "build")
    assert got.action_reason == (f"the registry check was inconclusive ({reason}): building "
                                 "rather than risk a skip")


def _values(argv: Sequence[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


# -- plan goes through run's own steps ------------------------------------------------------
def test_bake_mode_shows_the_bake_definition(runner: GitOnlyRunner, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    monkeypatch.setenv("INPUT_BAKE", "true")
    doc = plan_json(capsys, repo)
    api, web = doc["images"]
    assert api["buildx"] == [] and web["buildx"] == []
    targets = doc["bake"]["definition"]["target"]
    assert sorted(targets) == [api["bake-target"], web["bake-target"]] == \
        ["example-org-monorepo-api", "example-org-monorepo-web"]
    assert targets["example-org-monorepo-api"]["context"] == "api"
    assert "ghcr.io/example-org/monorepo-web:main-web" in targets[web["bake-target"]]["tags"]
    assert doc["bake"]["definition"]["group"]["default"]["targets"] == sorted(targets)
    code = main(["plan", "--dir", str(repo), "--offline"])
    text = capsys.readouterr().out
    assert code == 0
    assert "bake definition (one docker buildx bake run" in text
    assert "  buildx: in the bake definition below (target example-org-monorepo-api)" in text
    assert "docker buildx build" not in text


def test_without_bake_there_is_no_bake_definition(runner: GitOnlyRunner, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    doc = plan_json(capsys, make_repo(tmp_path, example="monorepo"))
    assert doc["bake"] is None
    assert all(i["buildx"][:3] == ["docker", "buildx", "build"] for i in doc["images"])


class ReleaseClient(FakeClient):
    """Key tag absent; the release tag ``v1.0.0`` already names another digest."""

    def resolve(self, ref: Any) -> Presence:  # type: ignore[override]
        self.asked.append(f"resolve {ref}")
        if ref.tag == "v1.0.0":
            return Presence(State.PRESENT, ref=str(ref), digest="sha256:" + "b" * 64)
        return Presence.absent(str(ref), "not found (404)")


def test_plan_shows_runs_release_tag_refusal(runner: GitOnlyRunner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    ctx = from_git(str(repo), event="push", ref="refs/tags/v1.0.0")
    client = ReleaseClient(Presence.absent("k", "k not found (404)"))
    report = plan.make_report({}, ctx, str(repo), offline=False, notes=[], client=client)
    (img,) = report.images
    assert img.action == "build"
    assert img.refusal == ("refused by policy (exit 3): release tag(s) exist and a build would "
                           "move them: ghcr.io/acme/widget:v1.0.0 is sha256:" + "b" * 64 +
                           " (allow-tag-move: true moves them)")
    assert plan.exit_code(report) == 3
    assert "run would stop before writing anything: refused by policy" in plan.render_text(report)
    moved = plan.make_report({"INPUT_ALLOW-TAG-MOVE": "true"}, ctx, str(repo), offline=False,
                             notes=[], client=ReleaseClient(Presence.absent("k", "404")))
    assert moved.images[0].refusal == "" and plan.exit_code(moved) == 0


def test_a_late_error_of_a_config_image_is_at_its_line_as_in_run(
        runner: GitOnlyRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    cfg = repo / ".github" / "ghbuild.yml"
    cfg.write_text(cfg.read_text().replace("    context: web\n",
                                           "    context: web\n    target: nostage\n"))
    monkeypatch.chdir(repo)
    code = main(["plan", "--offline", "--no-workflow"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("ghbuild: error: .github/ghbuild.yml:21:5: images[1].target: "
                          "stage 'nostage' is not in web/Dockerfile"), err
    assert "(image ghcr.io/example-org/monorepo-web)" in err
