"""`python -m ghbuild meta` as a real process: the contract's interface, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
HEAVY = ("requests", "urllib3", "yaml", "ruamel", "jsonschema", "arrow")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "DOCKER_METADATA_", "RUNNER_"))}
    env.update(extra)
    return env


def _meta(env: dict[str, str], *args: str, cwd: Path | None = None,
          flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *flags, "-m", "ghbuild", "meta", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def test_runner_environment_gives_one_json_object():
    env = _env(GITHUB_EVENT_NAME="release", GITHUB_REF="refs/tags/v1.1.1",
               GITHUB_SHA="860c1904a1ce19322e91ac35af1ab07466440c37",
               GITHUB_EVENT_PATH=str(FIXTURES / "release.json"), SOURCE_DATE_EPOCH="1578616200",
               INPUT_IMAGES="ghcr.io/Acme/Widget",
               INPUT_TAGS="type=semver,pattern={{version}}\ntype=semver,pattern={{major}}")
    env["INPUT_SEP-TAGS"] = ","
    done = _meta(env, "--format", "json", "--repo-metadata", str(FIXTURES / "repo.json"),
                 flags=("-X", "importtime"))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["tags"] == ["ghcr.io/acme/widget:1.1.1", "ghcr.io/acme/widget:1",
                           "ghcr.io/acme/widget:latest"]
    assert doc["labels"]["org.opencontainers.image.created"] == "2020-01-10T00:30:00.000Z"
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert not [m for m in imported if m.split(".")[0] in HEAVY]


def test_bad_input_exit_code_and_streams():
    done = _meta(_env(INPUT_TAGS="type=ref,event=branch\ntype=match,pattern=(x"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("ghbuild: error: input 'tags' line 2: pattern: bad regular "
                                  "expression '(x'")


def test_git_context_from_a_real_checkout(tmp_path):
    git_env = _env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                   GIT_CONFIG_GLOBAL="/dev/null", GIT_COMMITTER_DATE="2024-03-31T23:30:00Z",
                   GIT_AUTHOR_DATE="2024-03-31T23:30:00Z")
    for argv in (["init", "-q", "-b", "release/2.x"], ["commit", "-q", "--allow-empty", "-m", "x"],
                 ["remote", "add", "origin", "https://github.com/Acme/Widget.git"]):
        subprocess.run(["git", "-C", str(tmp_path), *argv], env=git_env, check=True)
    env = _env(SOURCE_DATE_EPOCH="1578616200", INPUT_CONTEXT="git",
               INPUT_TAGS="type=ref,event=branch\n"
                          "type=raw,value=cd-{{commit_date 'YYYYMMDD' tz='Asia/Tokyo'}}")
    done = _meta(env, "--images", "ghcr.io/acme/widget", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["tags"] == ["ghcr.io/acme/widget:release-2.x", "ghcr.io/acme/widget:cd-20240401"]
    assert doc["labels"]["org.opencontainers.image.source"] == "https://github.com/Acme/Widget"


def _checkout(path: Path, remote: bool = True) -> None:
    git_env = _env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                   GIT_CONFIG_GLOBAL="/dev/null")
    steps = [["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "x"]]
    if remote:
        steps.append(["remote", "add", "origin", "https://github.com/Acme/Widget.git"])
    for argv in steps:
        subprocess.run(["git", "-C", str(path), *argv], env=git_env, check=True)


def test_git_context_pull_request_needs_pr_then_takes_it(tmp_path):
    _checkout(tmp_path)
    env = _env(SOURCE_DATE_EPOCH="1578616200", INPUT_TAGS="type=ref,event=pr")
    done = _meta(env, "--context", "git", "--event", "pull_request", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("ghbuild: error: event pull_request needs the pull request number: "
                           "pass --pr NUMBER, or a saved payload with \"number\" with "
                           "--event-path FILE\n")
    done = _meta(env, "--context", "git", "--event", "pull_request", "--pr", "42", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tags"] == ["pr-42"]
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"number": 9}))
    done = _meta(env, "--context", "git", "--event", "pull_request", "--event-path",
                 str(payload), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tags"] == ["pr-9"]


def test_git_context_release_without_a_tag_names_the_ref_flag(tmp_path):
    _checkout(tmp_path, remote=False)
    env = _env(SOURCE_DATE_EPOCH="1578616200", INPUT_TAGS="type=semver,pattern={{version}}")
    done = _meta(env, "--context", "git", "--event", "release", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("ghbuild: error: event release needs a tag at HEAD: tag the commit "
                           "(git tag v1.2.3) or pass --ref refs/tags/v1.2.3\n")
    done = _meta(env, "--context", "git", "--event", "release", "--ref", "refs/tags/v1.2.3",
                 cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tags"] == ["1.2.3", "latest"]


LEFT_EMPTY = ("notice: OCI labels {} left empty: this checkout does not provide them (pass "
              "--repo-metadata FILE with the repository's REST object)\n")


def test_git_context_names_exactly_the_labels_left_empty(tmp_path):
    bare, remote = tmp_path / "bare", tmp_path / "remote"
    bare.mkdir()
    remote.mkdir()
    _checkout(bare, remote=False)
    _checkout(remote)
    env = _env(SOURCE_DATE_EPOCH="1578616200", INPUT_TAGS="type=ref,event=branch")
    oci = "org.opencontainers.image."
    done = _meta(env, "--context", "git", cwd=bare)
    assert done.returncode == 0
    assert done.stderr == LEFT_EMPTY.format(", ".join(
        oci + k for k in ("title", "description", "url", "source", "licenses")))
    done = _meta(env, "--context", "git", cwd=remote)
    assert done.stderr == LEFT_EMPTY.format(f"{oci}description, {oci}licenses")
    # a label given by the user is not empty
    done = _meta(env, "--context", "git", "--labels", f"{oci}licenses=MIT", cwd=remote)
    assert done.stderr == LEFT_EMPTY.format(f"{oci}description")
    repo_json = tmp_path / "repo.json"
    repo_json.write_text(json.dumps({"description": "d", "license": {"spdx_id": "MIT"}}))
    done = _meta(env, "--context", "git", "--repo-metadata", str(repo_json), cwd=remote)
    assert (done.returncode, done.stderr) == (0, "")
