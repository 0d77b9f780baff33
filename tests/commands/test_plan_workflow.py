"""``ghbuild plan`` reading the workflow, and the local checkout's odd states (a
subdirectory, no commits, a detached HEAD, several tags, a non-GitHub origin), in real
temporary git repositories (git only: see tests/commands/test_plan.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.cli import main
from tests.commands.test_plan import GitOnlyRunner, git, make_repo, pin_git, plan_json

IMAGE = "ghcr.io/acme/my_widget"


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> GitOnlyRunner:
    """Real git with pinned dates and no user config; any other program fails the test."""
    pin_git(monkeypatch, tmp_path)
    fake = GitOnlyRunner()
    monkeypatch.setattr(proc, "RUNNER", fake)
    return fake


def published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A checkout with the publish workflow as ``ghbuild init publish`` writes it."""
    repo = make_repo(tmp_path, remote="https://github.com/acme/my_widget.git")
    assert main(["init", "publish", "--dir", str(repo)]) == 0
    capsys.readouterr()
    assert (repo / ".github/workflows/publish.yml").is_file()
    return repo


def test_init_publish_then_plan_shows_the_workflows_tags(runner: GitOnlyRunner,
                                                        tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    repo = published(tmp_path, capsys)
    sha = git(repo, "rev-parse", "HEAD")
    doc = plan_json(capsys, repo)
    img = doc["images"][0]
    # type=sha,enable={{is_default_branch}} from the workflow's with: tags
    assert img["tags"] == [f"{IMAGE}:main", f"{IMAGE}:sha-{sha[:7]}"]
    assert img["push"]["push"] is True
    wf = doc["workflow"]
    assert (wf["file"], wf["job"], wf["step"], wf["name"], wf["uses"]) == (
        ".github/workflows/publish.yml", "publish", 2, "Build and push image",
        "org/ghbuild@v1")
    assert wf["inputs"]["images"] == IMAGE
    assert "type=sha,enable={{is_default_branch}}" in wf["inputs"]["tags"].splitlines()
    assert wf["unknown"] == {"github-token": "github.token"}
    assert ("input 'github-token' comes from github.token: not known locally (a placeholder "
            "stands in for it)") in doc["notes"]
    # without the workflow: the old answer, the default tag rules only
    bare = plan_json(capsys, repo, "--no-workflow")
    assert bare["images"][0]["tags"] == [f"{IMAGE}:main"] and bare["workflow"] is None


def test_the_text_plan_has_a_workflow_section(runner: GitOnlyRunner, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = published(tmp_path, capsys)
    assert main(["plan", "--dir", str(repo), "--offline"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("workflow .github/workflows/publish.yml job publish step 2 "
                        "(Build and push image)")
    assert lines[start + 1:start + 6] == ["  uses:     org/ghbuild@v1", "  inputs:",
                                          f"    images: {IMAGE}", "    tags: |",
                                          "      type=ref,event=branch"]
    assert "  not known locally (a runner fills them):" in lines
    assert "    github-token: github.token" in lines
    assert lines[start - 1] == "" and lines[1].startswith("repository: acme/my_widget")


def test_pull_request_plans_the_build_job(runner: GitOnlyRunner, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = published(tmp_path, capsys)
    doc = plan_json(capsys, repo, "--event", "pull_request", "--pr", "7")
    assert doc["workflow"]["job"] == "build"
    assert doc["images"][0]["tags"] == [f"{IMAGE}:pr-7"]
    assert doc["images"][0]["push"]["push"] is False


def test_a_branch_the_workflow_does_not_run_on_is_said(runner: GitOnlyRunner, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    repo = published(tmp_path, capsys)
    git(repo, "checkout", "-q", "-b", "feature")
    doc = plan_json(capsys, repo)
    assert (".github/workflows/publish.yml: on.push.branches does not match 'feature': CI "
            "would not start this workflow") in doc["notes"]


def test_two_runs_with_a_workflow_print_the_same_bytes(runner: GitOnlyRunner, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    repo = published(tmp_path, capsys)
    outs = []
    for _ in range(2):
        assert main(["plan", "--dir", str(repo), "--offline"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_the_workflow_replaces_input_variables_and_a_flag_replaces_both(
        runner: GitOnlyRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = published(tmp_path, capsys)
    monkeypatch.setenv("INPUT_IMAGES", "ghcr.io/acme/from-env")
    doc = plan_json(capsys, repo)
    assert doc["images"][0]["image"] == IMAGE
    assert ("input 'images': the workflow's value replaces INPUT_IMAGES from the environment, "
            "as on a runner (a flag overrides both)") in doc["notes"]
    flagged = plan_json(capsys, repo, "--images", "ghcr.io/acme/flag")
    assert flagged["images"][0]["image"] == "ghcr.io/acme/flag"


SECRET_STEP = """\
on: push
jobs:
  a:
    runs-on: x
    steps:
      - uses: acme/ghbuild@v1
        with:
          images: registry.example/acme/app
          registry: registry.example
          username: bot
          password: ${{ secrets.REGISTRY_PASSWORD }}
          build-args: |
            API_TOKEN=literal-canary-1234
"""


def test_secrets_are_named_never_shown(runner: GitOnlyRunner, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/s.yml").write_text(SECRET_STEP)
    code = main(["plan", "--dir", str(repo), "--offline", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "literal-canary-1234" not in out + err
    assert "<not known locally" not in out            # the placeholder is redacted as well
    doc = json.loads(out)
    assert doc["workflow"]["unknown"]["password"] == "secrets.REGISTRY_PASSWORD"
    assert doc["workflow"]["inputs"]["build-args"] == "API_TOKEN=***\n"
    logins = doc["images"][0]["logins"]
    assert logins == [{"registry": "registry.example", "username": "bot",
                       "source": "input 'password'"}]


def test_a_workflow_without_a_ghbuild_step_is_refused(runner: GitOnlyRunner, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    repo = make_repo(tmp_path)
    assert main(["init", "multi-platform", "--dir", str(repo)]) == 0
    capsys.readouterr()
    code = main(["plan", "--dir", str(repo), "--offline", "--workflow",
                 str(repo / ".github/workflows/multi-platform.yml")])
    err = capsys.readouterr().err
    assert code == 2
    # the reason docs/plan.md promises: it runs other ghbuild commands
    assert err.startswith("ghbuild: error: .github/workflows/multi-platform.yml: it runs "
                          "ghbuild meta, platform, merge, not ghbuild run")
    assert "--no-workflow --tags … --platforms …" in err
    # discovery passes over it, and says so: the plan is the inputs' alone
    doc = plan_json(capsys, repo)
    assert doc["workflow"] is None
    assert any(n.startswith(".github/workflows/multi-platform.yml: passed over: it runs "
                            "ghbuild meta, platform, merge") for n in doc["notes"])
    assert any(n.startswith("no workflow under .github/workflows/ has a ghbuild step")
               for n in doc["notes"])


# -- the checkout ---------------------------------------------------------------------------
def test_from_a_subdirectory_the_top_config_is_read(runner: GitOnlyRunner, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    repo = make_repo(tmp_path, example="monorepo")
    top = plan_json(capsys, repo)
    sub = plan_json(capsys, repo / "api")
    assert sub["config"] == ".github/ghbuild.yml"
    assert [i["image"] for i in sub["images"]] == [i["image"] for i in top["images"]]
    assert len(sub["images"]) > 1


def test_no_commits_is_one_line(runner: GitOnlyRunner, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    code = main(["plan", "--dir", str(repo), "--offline"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (f"ghbuild: error: {repo}: this repository has no commits yet: the git "
                   "context needs HEAD (make a first commit)\n")


def test_a_local_path_origin_says_what_to_give(runner: GitOnlyRunner, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    upstream = make_repo(tmp_path, name="upstream")
    repo = make_repo(tmp_path, remote=str(upstream))
    code = main(["plan", "--dir", str(repo), "--offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("ghbuild: error: no image name: give --images, or set images: in "
                   ".github/ghbuild.yml or in the workflow's with:; the default "
                   f"ghcr.io/<owner>/<repo> needs a GitHub remote (origin is {upstream})\n")
    assert plan_json(capsys, repo, "--images", "127.0.0.1:5000/x/y")["images"][0]["tags"] \
        == ["127.0.0.1:5000/x/y:main"]


SEMVER_TAGS = "type=semver,pattern={{version}}"


def test_several_tags_at_a_detached_head(runner: GitOnlyRunner, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    for tag in ("v1.2.3", "v2.0.0-rc.1", "v2.0.0", "v10.0.0-beta", "nightly"):
        git(repo, "tag", tag)
    git(repo, "checkout", "-q", "--detach", "v1.2.3")
    doc = plan_json(capsys, repo, "--tags", SEMVER_TAGS)
    # the highest version, a release above its pre-release, 10 above 2
    assert doc["context"]["ref"] == "refs/tags/v10.0.0-beta"
    doc = plan_json(capsys, repo, "--tags", SEMVER_TAGS, "--ref", "refs/tags/v1.2.3")
    assert doc["images"][0]["version"] == "1.2.3"
    assert not any(n.startswith("HEAD carries") for n in doc["notes"])
    git(repo, "tag", "-d", "v10.0.0-beta")
    doc = plan_json(capsys, repo, "--tags", SEMVER_TAGS)
    assert doc["context"]["ref"] == "refs/tags/v2.0.0"
    assert ("HEAD carries 4 tags: planned v2.0.0, the highest version; not planned: "
            "v2.0.0-rc.1, v1.2.3, nightly (a tag push has one ref: choose it with --ref "
            "refs/tags/v2.0.0-rc.1)") in doc["notes"]


def test_a_detached_head_with_ref_given(runner: GitOnlyRunner, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    git(repo, "checkout", "-q", "--detach", "HEAD")
    doc = plan_json(capsys, repo, "--ref", "refs/heads/main")
    assert doc["images"][0]["tags"] == ["ghcr.io/acme/widget:main"]


CALLER = """\
on:
  push:
    branches: [main]
jobs:
  image:
    uses: acme/ghbuild/.github/workflows/reusable.yml@v1
    with:
      images: registry.example/acme/app
      tags: type=sha,format=long
      registry-username: bot
    secrets:
      registry-password: ${{ secrets.REG_PW }}
"""


def test_a_caller_of_our_reusable_workflow(runner: GitOnlyRunner, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/images.yml").write_text(CALLER)
    sha = git(repo, "rev-parse", "HEAD")
    doc = plan_json(capsys, repo)
    assert doc["workflow"]["called-from"] == ".github/workflows/images.yml job image"
    assert doc["workflow"]["inputs"]["cache"] == "gha"        # the called workflow's default
    img = doc["images"][0]
    assert img["tags"] == [f"registry.example/acme/app:sha-{sha}"]
    assert img["logins"] == [{"registry": "registry.example", "username": "bot",
                              "source": "input 'password'"}]
    assert ("input 'password' comes from secrets.REG_PW: not known locally (a placeholder "
            "stands in for it)") in doc["notes"]


def test_an_unknown_input_is_unset_not_taken_from_the_shell(
        runner: GitOnlyRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/v.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/ghbuild@v1\n"
        "        with:\n          tags: ${{ vars.TAG_RULES }}\n")
    monkeypatch.setenv("INPUT_TAGS", "type=raw,value=from-my-shell")
    doc = plan_json(capsys, repo)
    assert doc["images"][0]["tags"] == ["ghcr.io/acme/widget:main"]   # the default rules
    assert ("input 'tags' comes from vars.TAG_RULES: not known locally (left unset: its "
            "default)") in doc["notes"]


# -- recognising the step, and saying when there is none --------------------------------------
def test_init_with_a_renamed_action_then_plan_reads_it(runner: GitOnlyRunner, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    repo = make_repo(tmp_path, remote="https://github.com/acme/my_widget.git")
    assert main(["init", "publish", "--dir", str(repo), "--action",
                 "acme/container-build@v2"]) == 0
    capsys.readouterr()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "workflow")
    doc = plan_json(capsys, repo)
    assert (doc["workflow"]["uses"], doc["workflow"]["job"]) == ("acme/container-build@v2",
                                                                "publish")
    sha = git(repo, "rev-parse", "HEAD")
    assert doc["images"][0]["tags"] == [f"{IMAGE}:main", f"{IMAGE}:sha-{sha[:7]}"]
    assert not any(n.startswith("no workflow under") for n in doc["notes"])


def test_no_ghbuild_step_anywhere_is_said(runner: GitOnlyRunner, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: make test\n")
    doc = plan_json(capsys, repo)
    assert doc["workflow"] is None
    assert any(n.startswith("no workflow under .github/workflows/ has a ghbuild step")
               for n in doc["notes"])
    assert not any(n.startswith("no workflow under") for n in
                   plan_json(capsys, repo, "--no-workflow")["notes"])


@pytest.mark.parametrize("template", ["monorepo", "reusable"])
def test_init_refuses_an_image_a_template_does_not_take(runner: GitOnlyRunner, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       template: str) -> None:
    repo = make_repo(tmp_path)
    assert main(["init", template, "--dir", str(repo), "--image", "ghcr.io/acme/x"]) == 2
    err = capsys.readouterr().err
    assert f"--image: the {template} template names no image" in err
    assert not (repo / ".github/workflows").exists()
    assert main(["init", "monorepo", "--dir", str(repo)]) == 0
    assert "reads its images from .github/ghbuild.yml, which this checkout does not have yet" \
        in capsys.readouterr().err


# -- logins as run would do them ----------------------------------------------------------------
LOGIN_WORKFLOW = """\
on: push
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/ghbuild@v1
        with:
          images: 127.0.0.1:5000/acme/x
{extra}"""


def test_a_password_without_a_username_is_refused_as_run_does(
        runner: GitOnlyRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path)
    monkeypatch.setenv("INPUT_PASSWORD", "pw-not-printed-1")
    code = main(["plan", "--dir", str(repo), "--offline", "--no-workflow", "--images",
                 "127.0.0.1:5000/acme/x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "input 'username' is required to log in to 127.0.0.1:5000 with 'password'" in err
    # run --dry-run, with a runner's context: the same refusal
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "main"}}))
    for key, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
                       "GITHUB_SHA": git(repo, "rev-parse", "HEAD"),
                       "GITHUB_REPOSITORY": "acme/widget", "GITHUB_WORKSPACE": str(repo),
                       "GITHUB_EVENT_PATH": str(event), "GITHUB_ACTOR": "octocat",
                       "INPUT_IMAGES": "127.0.0.1:5000/acme/x", "INPUT_CACHE": "none",
                       "RUNNER_TEMP": str(tmp_path / "rt")}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(repo)
    assert main(["run", "--dry-run", "--offline"]) == 2
    assert "input 'username' is required" in capsys.readouterr().err
    monkeypatch.setenv("INPUT_USERNAME", "bot")
    assert main(["run", "--dry-run", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "login:    yes: 127.0.0.1:5000 as bot (input 'password')" in out
    assert "pw-not-printed-1" not in out


def test_a_workflow_username_from_vars_is_a_stand_in(runner: GitOnlyRunner, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/b.yml").write_text(LOGIN_WORKFLOW.format(
        extra="          username: ${{ vars.REG_USER }}\n"
              "          password: ${{ secrets.REG_PW }}\n"))
    doc = plan_json(capsys, repo)
    assert doc["images"][0]["logins"] == [{
        "registry": "127.0.0.1:5000", "username": "<not known locally: vars.REG_USER>",
        "source": "input 'password'"}]


def test_registry_auth_with_unknowns_shows_each_registry(runner: GitOnlyRunner, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/b.yml").write_text(LOGIN_WORKFLOW.format(extra="""\
          registry-auth: |
            - registry: docker.io
              username: ${{ vars.HUB_USER }}
              password: ${{ secrets.HUB_TOKEN }}
            - registry: 127.0.0.1:5000
              username: ci
              password: ${{ secrets.LOCAL_PW }}
"""))
    assert main(["plan", "--dir", str(repo), "--offline"]) == 0
    out = capsys.readouterr().out
    login = next(line for line in out.splitlines() if line.startswith("  login:"))
    assert login == ("  login:    yes: docker.io as <vars.HUB_USER> (input 'registry-auth' "
                     "entry 1 at line 1); 127.0.0.1:5000 as ci (input 'registry-auth' entry 2 "
                     "at line 4)")
    assert "<secrets.HUB_TOKEN>" not in out and "<secrets.LOCAL_PW>" not in out
    assert "    registry-auth: vars.HUB_USER, secrets.HUB_TOKEN, secrets.LOCAL_PW" in out


def test_a_working_directory_is_where_paths_start(runner: GitOnlyRunner, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    (repo / "sub").mkdir()
    (repo / "Dockerfile").rename(repo / "sub/Dockerfile")  # only sub/ has one
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/b.yml").write_text(
        "on: push\njobs:\n  b:\n    runs-on: x\n    defaults:\n      run:\n"
        "        working-directory: sub\n    steps:\n      - uses: acme/ghbuild/setup@v1\n"
        "      - run: ghbuild run --context . --images ghcr.io/acme/widget\n")
    doc = plan_json(capsys, repo)
    argv = doc["images"][0]["buildx"]
    assert argv[-1] == "."
    assert "paths are relative to the step's working-directory sub" in doc["notes"]
    (repo / ".github/workflows/b.yml").write_text(
        (repo / ".github/workflows/b.yml").read_text().replace("sub\n", "nodir\n"))
    assert main(["plan", "--dir", str(repo), "--offline"]) == 2
    assert "working-directory 'nodir' is not a directory" in capsys.readouterr().err


def test_a_workflow_secret_password_without_a_username_is_a_warning(
        runner: GitOnlyRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an unset secret is an empty password on a runner (no login): run refuses only when
    # it is set, so plan warns instead of refusing
    repo = make_repo(tmp_path)
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/b.yml").write_text(LOGIN_WORKFLOW.format(
        extra="          password: ${{ secrets.REG_PW }}\n"))
    doc = plan_json(capsys, repo)
    assert ("warning: input 'username' is required to log in to 127.0.0.1:5000 with "
            "'password': run refuses this if the workflow's password is set on the runner"
            ) in doc["notes"]
