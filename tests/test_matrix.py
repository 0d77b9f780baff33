"""Change detection for ``ghbuild matrix`` with real git in temporary repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.cli import main
from ghbuild.matrix import build_matrix, image_paths, plan_matrix

CONFIG = """\
defaults:
  platforms: [linux/amd64, linux/arm64]
images:
  - name: ghcr.io/acme/api
    context: services/api
  - name: ghcr.io/acme/web
    context: services/web
    file: docker/web.Dockerfile
    paths: [shared/ui]
"""


@pytest.fixture()
def real_git():
    """These tests run git for real: the default runner forbids processes."""
    previous = proc.set_runner(proc.Runner())
    yield
    proc.set_runner(previous)


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path: Path, real_git) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, ".github/ghbuild.yml", CONFIG)
    write(tmp_path, "services/api/Dockerfile", "FROM scratch\n")
    write(tmp_path, "services/web/index.html", "<p>hi</p>\n")
    write(tmp_path, "docker/web.Dockerfile", "FROM scratch\n")
    write(tmp_path, "shared/ui/button.css", "b{}\n")
    write(tmp_path, "README.md", "readme\n")
    commit(tmp_path, "base")
    return tmp_path


def changed(out) -> dict[str, str]:
    return {d.image.name: d.reason for d in out.decisions if d.changed}


@pytest.mark.parametrize(("rel", "expect"), [
    ("services/api/main.py", {"ghcr.io/acme/api"}),
    ("services/web/index.html", {"ghcr.io/acme/web"}),
    ("docker/web.Dockerfile", {"ghcr.io/acme/web"}),
    ("docker/web.Dockerfile.dockerignore", {"ghcr.io/acme/web"}),
    ("shared/ui/button.css", {"ghcr.io/acme/web"}),
    ("shared/uikit/other.css", set()),          # a sibling with a common prefix is not inside
    ("README.md", set()),
    ("services/api-old/x", set()),
])
def test_a_change_rebuilds_exactly_the_images_that_read_it(repo, rel, expect):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, rel, "changed\n")
    commit(repo, "change")
    out = plan_matrix(repo, base)
    assert set(changed(out)) == expect
    assert {e["image"] for e in out.include} == expect
    assert {p["image"] for p in out.promote_only} == {"ghcr.io/acme/api",
                                                      "ghcr.io/acme/web"} - expect
    assert all(p["base"] == base for p in out.promote_only)


def test_a_deleted_or_renamed_file_counts_for_its_old_path(repo):
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", "shared/ui/button.css", "elsewhere.css")
    commit(repo, "move")
    out = plan_matrix(repo, base)
    assert changed(out) == {"ghcr.io/acme/web": "shared/ui/button.css changed"}


def test_config_entry_change_rebuilds_only_that_image(repo):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, ".github/ghbuild.yml", CONFIG.replace("context: services/api",
                                                      "context: services/api\n    target: prod"))
    commit(repo, "target")
    out = plan_matrix(repo, base)
    assert changed(out) == {"ghcr.io/acme/api": "its entry in the config file changed"}


def test_config_moved_entries_without_change_rebuild_nothing(repo):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, ".github/ghbuild.yml", "# a comment moves every line\n" + CONFIG)
    commit(repo, "comment")
    assert changed(plan_matrix(repo, base)) == {}


def test_new_image_in_config_is_built(repo):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, ".github/ghbuild.yml", CONFIG + "  - name: ghcr.io/acme/worker\n"
                                                "    context: services/api\n")
    commit(repo, "worker")
    assert changed(plan_matrix(repo, base)) == {"ghcr.io/acme/worker": "new in the config file"}


def test_merge_base_is_used_so_main_moving_on_does_not_rebuild(repo):
    fork = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "services/api/x", "1\n")
    commit(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    write(repo, "shared/ui/button.css", "main moved\n")
    main_head = commit(repo, "main work")
    git(repo, "checkout", "-q", "feature")
    out = plan_matrix(repo, main_head)
    assert set(changed(out)) == {"ghcr.io/acme/api"}
    assert all(p["base"] == fork for p in out.promote_only)


@pytest.mark.parametrize("base", ["0" * 40, "", "deadbeef" * 5, "no-such-branch"])
def test_unknown_base_builds_everything_and_says_why(repo, base):
    out = plan_matrix(repo, base)
    reasons = changed(out)
    assert set(reasons) == {"ghcr.io/acme/api", "ghcr.io/acme/web"}
    assert all("building everything" in r for r in reasons.values())
    assert out.promote_only == []


def test_shallow_clone_without_base_builds_everything(repo, tmp_path_factory):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "README.md", "2\n")
    commit(repo, "two")
    clone = tmp_path_factory.mktemp("shallow") / "c"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
                   check=True, capture_output=True)
    out = plan_matrix(clone, base)
    assert len(out.include) == 2
    assert "shallow" in out.decisions[0].reason


def test_split_platforms_gives_one_entry_per_image_and_platform(repo):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "services/api/x", "1\n")
    commit(repo, "api")
    out = plan_matrix(repo, base, split_platforms=True)
    assert out.include == [
        {"image": "ghcr.io/acme/api", "context": "services/api",
         "file": "services/api/Dockerfile", "platform": "linux/amd64",
         "platform-slug": "linux-amd64"},
        {"image": "ghcr.io/acme/api", "context": "services/api",
         "file": "services/api/Dockerfile", "platform": "linux/arm64",
         "platform-slug": "linux-arm64"},
    ]


def test_cli_prints_the_matrix_and_writes_step_outputs(repo, monkeypatch, capsys, tmp_path):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "services/web/index.html", "2\n")
    commit(repo, "web")
    out_file = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out_file))
    assert main(["matrix", "--base", base, "--dir", str(repo), "--no-registry-check"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"include": [{"image": "ghcr.io/acme/web", "context": "services/web",
                                    "file": "docker/web.Dockerfile",
                                    "platforms": "linux/amd64,linux/arm64"}]}
    outputs = out_file.read_text()
    assert "count<<" in outputs and "\n1\n" in outputs
    assert json.dumps([{"image": "ghcr.io/acme/api", "base": base}],
                      separators=(",", ":")) in outputs


def test_cli_without_config_is_bad_input(tmp_path, real_git, capsys):
    git(tmp_path, "init", "-q")
    assert main(["matrix", "--base", "HEAD", "--dir", str(tmp_path), "--no-registry-check"]) == 2
    assert ".github/ghbuild.yml" in capsys.readouterr().err


def test_image_paths_default_dockerfile_and_dot_context():
    from ghbuild.config import ImageConfig

    img = ImageConfig(name="x", index=0, line=1)
    assert image_paths(img) == [".", "Dockerfile", "Dockerfile.dockerignore"]


def test_build_matrix_without_changes_is_an_empty_include():
    out = build_matrix([], "abc", split_platforms=False)
    assert out.matrix_json() == '{"include":[]}'


def test_unchanged_images_without_a_confirmed_base_build_are_built(repo):
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "README.md", "2\n")
    commit(repo, "docs only")
    asked = []

    def check(image, base_commit, platforms):
        asked.append((image, base_commit, platforms))
        if image.endswith("/api"):
            return True, "present"
        raise RuntimeError("registry unreachable")

    out = plan_matrix(repo, base, check=check)
    assert sorted(asked) == [("ghcr.io/acme/api", base, ("linux/amd64", "linux/arm64")),
                             ("ghcr.io/acme/web", base, ("linux/amd64", "linux/arm64"))]
    assert [p["image"] for p in out.promote_only] == ["ghcr.io/acme/api"]
    assert changed(out) == {"ghcr.io/acme/web": f"unchanged, but its build for {base[:12]} is "
                            "not confirmed (check failed: registry unreachable): building"}


def test_absent_base_build_is_built_with_the_registry_reason(repo):
    base = git(repo, "rev-parse", "HEAD")
    out = plan_matrix(repo, base, check=lambda i, b, p: (False, "absent: 404 MANIFEST_UNKNOWN"))
    assert out.promote_only == []
    assert all("absent: 404 MANIFEST_UNKNOWN" in r for r in changed(out).values())


def test_parse_promote_only():
    from ghbuild.errors import InputError
    from ghbuild.matrix import parse_promote_only

    assert parse_promote_only('[{"image": "a/b", "base": "c"}]', "x") == [{"image": "a/b",
                                                                         "base": "c"}]
    with pytest.raises(InputError, match=r"x\[0\]: expected"):
        parse_promote_only('[{"image": "a/b"}]', "x")
    with pytest.raises(InputError, match="expected a JSON list"):
        parse_promote_only('{}', "x")
    with pytest.raises(InputError, match="not JSON"):
        parse_promote_only('[', "x")
