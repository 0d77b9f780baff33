"""``ghbuild init`` in temporary git repositories, with real git.

tests/conftest.py forbids child processes in unit tests; these install the real runner
on purpose, because what init reads (remotes, origin/HEAD, init.defaultBranch) is git's
behaviour and a fake would only repeat our own assumptions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ghbuild import proc
from ghbuild.cli import main
from ghbuild.commands import init

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def real_git(monkeypatch):
    previous = proc.set_runner(proc.Runner())
    # A private, empty git configuration: the developer's own init.defaultBranch or
    # url rewrites must not change what these tests see.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    yield
    proc.set_runner(previous)


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)


def make_repo(tmp_path: Path, origin: str | None = "https://github.com/Acme/Widget.git",
              branch: str = "main") -> Path:
    repo = tmp_path / "checkout"
    repo.mkdir()
    git(repo, "init", "-q", "-b", branch)
    if origin:
        git(repo, "remote", "add", "origin", origin)
    return repo


def workflow(repo: Path, name: str = "publish") -> Path:
    return repo / ".github" / "workflows" / f"{name}.yml"


def template_text(name: str = "publish") -> str:
    return (REPO_ROOT / "workflows" / f"{name}.yml").read_text(encoding="utf-8")


def images_in(text: str) -> list[str]:
    doc = YAML(typ="safe").load(text)
    return [step["with"]["images"] for job in doc["jobs"].values()
            for step in job.get("steps", []) if "images" in step.get("with", {})]


def test_writes_publish_with_lowercased_image_and_keeps_comments(tmp_path, capsys):
    repo = make_repo(tmp_path)

    assert main(["init", "--dir", str(repo)]) == 0

    text = workflow(repo).read_text(encoding="utf-8")
    assert images_in(text) == ["ghcr.io/acme/widget", "ghcr.io/acme/widget"]
    original = template_text()
    comments = [line.strip() for line in original.splitlines() if line.strip().startswith("#")]
    assert comments and all(c in text for c in comments)
    # Only the image lines changed: everything else is the template byte for byte.
    assert text.replace("ghcr.io/acme/widget", "ghcr.io/owner/repo") == original
    assert "lowercased: Acme/Widget -> acme/widget" in capsys.readouterr().err


@pytest.mark.parametrize("origin", [
    "git@github.com:Acme/Widget.git",
    "ssh://git@github.com/Acme/Widget",
    "https://github.com/Acme/Widget/",
])
def test_origin_url_spellings(tmp_path, origin):
    repo = make_repo(tmp_path, origin=origin)
    assert main(["init", "--dir", str(repo)]) == 0
    assert set(images_in(workflow(repo).read_text())) == {"ghcr.io/acme/widget"}


def test_default_branch_from_origin_head(tmp_path):
    repo = make_repo(tmp_path, branch="work")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
        "commit", "-q", "--allow-empty", "-m", "first")
    git(repo, "update-ref", "refs/remotes/origin/trunk", "HEAD")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")

    assert main(["init", "--dir", str(repo)]) == 0

    doc = YAML(typ="safe").load(workflow(repo).read_text())
    assert doc["on"]["push"]["branches"] == ["trunk"]
    assert doc["on"]["pull_request"]["branches"] == ["trunk"]
    assert doc["on"]["push"]["tags"] == ["v*"]


def test_default_branch_from_init_default_branch(tmp_path):
    repo = make_repo(tmp_path)
    git(repo, "config", "init.defaultBranch", "develop")
    assert init.default_branch(repo) == "develop"
    assert main(["init", "--dir", str(repo)]) == 0
    assert "branches: [develop]" in workflow(repo).read_text()


def test_without_origin_head_or_init_default_branch_the_current_branch_is_taken(
        tmp_path, capsys):
    # An unborn branch (no commit yet) is a current branch too.
    repo = make_repo(tmp_path, branch="trunk")
    assert init.guess_branch(repo) == ("trunk", "the current branch: no origin/HEAD or "
                                                "init.defaultBranch")
    assert main(["init", "--dir", str(repo)]) == 0
    assert "branches: [trunk]" in workflow(repo).read_text()
    assert "default branch: trunk (the current branch" in capsys.readouterr().err


def test_a_detached_head_falls_back_to_main(tmp_path, capsys):
    repo = make_repo(tmp_path, branch="feature")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
        "commit", "-q", "--allow-empty", "-m", "first")
    git(repo, "checkout", "-q", "--detach")
    assert init.default_branch(repo) == "main"
    assert main(["init", "--dir", str(repo)]) == 0
    assert "branches: [main]" in workflow(repo).read_text()
    assert "default branch: main (no origin/HEAD, init.defaultBranch or current branch)" \
        in capsys.readouterr().err


class ScriptedGit(proc.Runner):
    """git's answers by subcommand (None: git fails); records what was asked."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def run(self, argv, **kwargs):  # type: ignore[override]
        key = " ".join(argv[3:])  # after "git -C <root>"
        self.asked.append(key)
        out = self.answers.get(key)
        return proc.Completed(tuple(argv), 1 if out is None else 0, out or "", "")


ORIGIN_HEAD = "symbolic-ref --quiet --short refs/remotes/origin/HEAD"
CONFIGURED = "config --get init.defaultBranch"
CURRENT = "symbolic-ref --quiet --short HEAD"


@pytest.mark.parametrize(("answers", "expected", "asked"), [
    ({ORIGIN_HEAD: "origin/trunk\n", CURRENT: "topic"}, ("trunk", ""), [ORIGIN_HEAD]),
    ({CONFIGURED: "develop\n", CURRENT: "topic"}, ("develop", ""), [ORIGIN_HEAD, CONFIGURED]),
    ({CURRENT: "topic\n"}, ("topic", "the current branch: no origin/HEAD or "
                                     "init.defaultBranch"), [ORIGIN_HEAD, CONFIGURED, CURRENT]),
    ({CURRENT: ""}, ("main", "no origin/HEAD, init.defaultBranch or current branch"),
     [ORIGIN_HEAD, CONFIGURED, CURRENT]),
    ({}, ("main", "no origin/HEAD, init.defaultBranch or current branch"),
     [ORIGIN_HEAD, CONFIGURED, CURRENT]),
], ids=["origin-head", "init-default-branch", "current-branch", "empty-answer", "detached"])
def test_the_branch_guess_in_order(tmp_path, answers, expected, asked):
    runner = ScriptedGit(answers)
    proc.set_runner(runner)  # the autouse fixture puts the previous runner back
    assert init.guess_branch(tmp_path) == expected
    assert runner.asked == asked


def test_no_origin_is_an_input_error_naming_the_flag(tmp_path, capsys):
    repo = make_repo(tmp_path, origin=None)
    assert main(["init", "--dir", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "no 'origin' remote" in err and "--image" in err
    assert not workflow(repo).exists()


def test_explicit_image_branch_and_action(tmp_path):
    repo = make_repo(tmp_path, origin=None)
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert main(["init", "--dir", str(repo), "--image", "registry.example:5000/team/app",
                 "--branch", "release", "--action", f"acme/ghbuild@{sha}"]) == 0
    text = workflow(repo).read_text()
    assert images_in(text) == ["registry.example:5000/team/app"] * 2
    assert text.count(f"uses: acme/ghbuild@{sha}\n") == 2
    assert "uses: org/ghbuild" not in text
    assert "branches: [release]" in text


@pytest.mark.parametrize("argv, message", [
    (["--image", "ghcr.io/Acme/Widget"], "--image 'ghcr.io/Acme/Widget' is not a valid"),
    (["--branch", "a b"], "--branch 'a b' is not a valid branch name"),
    (["--action", "ghbuild-v1"], "--action 'ghbuild-v1' must look like OWNER/REPO@REF"),
])
def test_bad_flags(tmp_path, capsys, argv, message):
    repo = make_repo(tmp_path)
    assert main(["init", "--dir", str(repo), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not workflow(repo).exists()


def test_unknown_template_suggests_a_close_match(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert main(["init", "publsh", "--dir", str(repo)]) == 2
    assert "template 'publsh' does not exist (did you mean 'publish'?)" in \
        capsys.readouterr().err


def test_rerun_on_an_identical_file_is_a_no_op(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert main(["init", "--dir", str(repo)]) == 0
    before = workflow(repo).stat().st_mtime_ns
    assert main(["init", "--dir", str(repo)]) == 0
    assert workflow(repo).stat().st_mtime_ns == before
    assert "already up to date" in capsys.readouterr().err


def test_changed_file_is_refused_with_a_diff_then_force_replaces_it(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert main(["init", "--dir", str(repo)]) == 0
    path = workflow(repo)
    mine = path.read_text().replace("cron: \"17 3 * * *\"", "cron: \"0 5 * * 1\"")
    path.write_text(mine)
    capsys.readouterr()

    assert main(["init", "--dir", str(repo)]) == 3
    out, err = capsys.readouterr()
    assert path.read_text() == mine
    assert f"--- {path} (yours)" in out and f"+++ {path} (template)" in out
    assert '-    - cron: "0 5 * * 1"' in out and '+    - cron: "17 3 * * *"' in out
    assert "differs from the template; not overwritten" in err and "--force" in err

    assert main(["init", "--dir", str(repo), "--force"]) == 0
    assert 'cron: "17 3 * * *"' in path.read_text()


def test_list_shows_every_template_with_a_description(capsys):
    assert main(["init", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in out]
    shipped = sorted(p.stem for p in (REPO_ROOT / "workflows").glob("*.yml"))
    assert names == shipped
    assert all(len(line.split(None, 1)) == 2 for line in out)
    publish = next(line for line in out if line.startswith("publish "))
    assert "build on pull requests, push on the default branch" in publish


def test_packaged_templates_are_the_workflows_folder():
    """ghbuild/templates/ must ship exactly what workflows/ holds (links, not copies)."""
    packaged = {name: t.text for name, t in init.load_templates().items()}
    source = {p.stem: p.read_text(encoding="utf-8")
              for p in sorted((REPO_ROOT / "workflows").glob("*.yml"))}
    assert packaged == source


def test_quoted_placeholder_is_replaced_inside_its_quotes():
    tpl = init.Template(name="t", description="", text=(
        "on:\n  push:\n    branches: ['main', \"other\"]\njobs:\n  a:\n    steps:\n"
        "      - uses: org/ghbuild@v1 # pinned later\n        with:\n"
        "          images: \"ghcr.io/owner/repo\" # the image\n"))
    fill = init.Fill(image="ghcr.io/a/b", branch="trunk", action="x/ghbuild@v2")
    assert init.render(tpl, fill) == (
        "on:\n  push:\n    branches: ['trunk', \"other\"]\njobs:\n  a:\n    steps:\n"
        "      - uses: x/ghbuild@v2 # pinned later\n        with:\n"
        "          images: \"ghcr.io/a/b\" # the image\n")


def test_description_falls_back_to_the_workflow_name():
    assert init.describe("name: 'Nightly build'\non: push\n") == "Nightly build"
    assert init.describe('# ghbuild template "x": does a thing\n# and more.\n#\n# rest\n'
                         "name: X\n") == "does a thing and more."


def test_without_git_the_flags_are_asked_for(tmp_path, capsys):
    class NoGit(proc.Runner):
        def run(self, argv, **kwargs):  # type: ignore[override]
            raise FileNotFoundError(argv[0])

    proc.set_runner(NoGit())
    assert main(["init", "--dir", str(tmp_path)]) == 2
    assert "git is not installed" in capsys.readouterr().err
    assert main(["init", "--dir", str(tmp_path), "--image", "ghcr.io/a/b",
                 "--branch", "main"]) == 0
    assert images_in(workflow(tmp_path).read_text()) == ["ghcr.io/a/b", "ghcr.io/a/b"]


@pytest.mark.parametrize("name", sorted(init.load_templates()))
def test_every_template_renders_with_no_placeholder_left_outside_comments(name):
    tpl = init.load_templates()[name]
    fill = init.Fill(image="ghcr.io/acme/widget", branch="trunk", action="acme/ghbuild@v9")
    text = init.render(tpl, fill)
    code = "\n".join(line.split(" #", 1)[0] for line in text.splitlines()
                     if not line.lstrip().startswith("#"))
    assert "ghcr.io/owner/repo" not in code
    assert "org/ghbuild@" not in code and "org/ghbuild/setup@" not in code
    # A template that installs the command names the same release as the action.
    setups = re.findall(r"uses:\s*(\S+/setup@\S+)", code)
    assert setups == ["acme/ghbuild/setup@v9"] * tpl.text.count("uses: org/ghbuild/setup@v1")
    doc = YAML(typ="safe").load(text)
    for event in ("push", "pull_request"):
        branches = (doc["on"].get(event) or {}).get("branches")
        if branches is not None:
            assert "main" not in branches and "trunk" in branches, (event, branches)
    # Only the three kinds of value changed: the rest is the template, line for line.
    before, after = tpl.text.splitlines(), text.splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if old != new:
            assert {"ghcr.io/owner/repo", "org/ghbuild@v1", "org/ghbuild/setup@v1",
                    "main"} & set(re.findall(
                        r"ghcr\.io/owner/repo|org/ghbuild(?:/setup)?@v1|\bmain\b", old)), old


def test_action_rewrites_the_setup_sub_action_to_the_same_release(tmp_path):
    repo = make_repo(tmp_path)
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert main(["init", "monorepo", "--dir", str(repo), "--action", f"acme/ghbuild@{sha}"]) == 0
    text = workflow(repo, "monorepo").read_text()
    assert text.count(f"uses: acme/ghbuild@{sha}\n") == 2
    assert text.count(f"uses: acme/ghbuild/setup@{sha}\n") == 2
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "org/ghbuild" in line]


def test_without_action_the_placeholders_stay(tmp_path):
    repo = make_repo(tmp_path)
    assert main(["init", "multi-platform", "--dir", str(repo)]) == 0
    text = workflow(repo, "multi-platform").read_text()
    assert text.count("uses: org/ghbuild/setup@v1\n") == 3


@pytest.mark.parametrize("uses, action, expected", [
    ("org/ghbuild@v1", "acme/ghbuild@v2", "acme/ghbuild@v2"),
    ("org/ghbuild/setup@v1", "acme/ghbuild@v2", "acme/ghbuild/setup@v2"),
    # An action kept in a folder of a bigger repository: its setup is beside action.yml.
    ("org/ghbuild/setup@v1", "acme/tools/ghbuild@v2", "acme/tools/ghbuild/setup@v2"),
    ("org/ghbuild@v1", None, None),
    ("org/ghbuild/setup@v1", None, None),
    ("org/ghbuild/other@v1", "acme/ghbuild@v2", None),
    ("org/ghbuild-fork@v1", "acme/ghbuild@v2", None),
    ("org/ghbuild/.github/workflows/reusable.yml@v1", "acme/ghbuild@v2", None),
    ("actions/checkout@v4", "acme/ghbuild@v2", None),
    ("org/ghbuild", "acme/ghbuild@v2", None),
])
def test_action_reference(uses, action, expected):
    assert init.action_reference(uses, action) == expected


def test_from_a_subdirectory_writes_at_the_top_of_the_checkout(tmp_path, capsys):
    repo = make_repo(tmp_path)
    sub = repo / "services" / "api"
    sub.mkdir(parents=True)
    assert main(["init", "--dir", str(sub)]) == 0
    assert workflow(repo).is_file() and not (sub / ".github").exists()
    assert "top of the checkout" in capsys.readouterr().err


def test_outside_a_checkout_with_flags_writes_into_the_directory(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert main(["init", "--dir", str(plain), "--image", "ghcr.io/a/b"]) == 0
    assert workflow(plain).is_file()
