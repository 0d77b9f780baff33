"""``ghbuild init`` writes only at its own place inside the checkout: never through a
symlink (with or without --force; without it the diff would print the linked file), never
under a ``.github/workflows`` that is a file or a link out of the checkout."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ghbuild.cli import main
from tests.commands import test_init as init_tests
from tests.commands.test_init import make_repo, workflow

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
real_git = init_tests.real_git   # the real runner for git, as test_init has it

PRECIOUS = "precious: do not overwrite\n"


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    (path / "precious.txt").write_text(PRECIOUS)
    return path


def run_init(repo: Path, *flags: str) -> int:
    return main(["init", "--dir", str(repo), "--image", "ghcr.io/a/b", *flags])


def one_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("ghbuild: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("force", [True, False])
def test_a_symlinked_workflow_file_is_not_written_through(tmp_path, outside, capsys, force):
    repo = make_repo(tmp_path)
    workflow(repo).parent.mkdir(parents=True)
    workflow(repo).symlink_to(outside / "precious.txt")
    assert run_init(repo, *(["--force"] if force else [])) == 3
    io = capsys.readouterr()
    assert "is a symlink (to " in one_error(io.err) and "not writing through it" in io.err
    assert (outside / "precious.txt").read_text() == PRECIOUS
    assert "precious" not in io.out          # no diff of the linked file either
    assert workflow(repo).is_symlink()


def test_a_dangling_symlink_is_not_followed_to_create_a_file(tmp_path, outside, capsys):
    repo = make_repo(tmp_path)
    workflow(repo).parent.mkdir(parents=True)
    workflow(repo).symlink_to(outside / "new.yml")
    assert run_init(repo, "--force") == 3
    assert not (outside / "new.yml").exists()


@pytest.mark.parametrize("link", [".github", ".github/workflows"])
def test_a_directory_linked_out_of_the_checkout_is_refused(tmp_path, outside, capsys, link):
    repo = make_repo(tmp_path)
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(outside, target_is_directory=True)
    assert run_init(repo, "--force") == 3
    assert "outside the checkout" in one_error(capsys.readouterr().err)
    assert sorted(os.listdir(outside)) == ["precious.txt"]


def test_a_directory_linked_inside_the_checkout_is_written(tmp_path, capsys):
    repo = make_repo(tmp_path)
    (repo / "ci" / "workflows").mkdir(parents=True)
    (repo / ".github").mkdir()
    (repo / ".github" / "workflows").symlink_to(repo / "ci" / "workflows",
                                               target_is_directory=True)
    assert run_init(repo) == 0, capsys.readouterr().err
    assert (repo / "ci" / "workflows" / "publish.yml").is_file()


@pytest.mark.parametrize("inside_link", [False, True])
def test_workflows_being_a_file_is_one_line(tmp_path, capsys, inside_link):
    repo = make_repo(tmp_path)
    (repo / ".github").mkdir()
    if inside_link:
        (repo / "notes.txt").write_text("x\n")
        (repo / ".github" / "workflows").symlink_to(repo / "notes.txt")
    else:
        (repo / ".github" / "workflows").write_text("x\n")
    assert run_init(repo, "--force") == 2
    line = one_error(capsys.readouterr().err)
    assert "workflows is a file, not a directory" in line
