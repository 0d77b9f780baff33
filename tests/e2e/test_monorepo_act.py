"""The monorepo template through act: a matrix of the changed images, each published.

A user's repository holds the two images of examples/monorepo, a
``.github/ghbuild.yml`` naming them on the registry on 127.0.0.1, ghbuild's own copy
under ``.ghbuild/`` and ``.github/workflows/monorepo.yml`` as ``ghbuild init`` writes it.
Two edits are made to the template, both because nothing can be downloaded here:
the action reference becomes the local copy, and the install step links the ghbuild
already installed on this host instead of fetching the release. The act helpers
(payloads, the github-script stand-in, the unsigned runtime token) are those of
tests/e2e/test_act.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_act import (
    REPO_ROOT,
    REPOSITORY,
    copy_project,
    git,
    github_script_stand_in,
    need,
    registry_digest,
    registry_tags,
    run_act,
    unsigned_jwt,
)

pytestmark = pytest.mark.e2e

INSTALL = ('          python3 -m venv "$RUNNER_TEMP/ghbuild"\n'
           '          "$RUNNER_TEMP/ghbuild/bin/python" -m pip install --quiet '
           '"ghbuild==$GHBUILD_VERSION"\n')
LOCAL_INSTALL = ('          mkdir -p "$RUNNER_TEMP/ghbuild/bin"\n'
                 '          ln -sf "$(command -v ghbuild)" "$RUNNER_TEMP/ghbuild/bin/ghbuild"\n')


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit",
        "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def user_repo(tmp_path: Path, base: str) -> Path:
    repo = tmp_path / "mono"
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "prepare-example.sh")], check=True)
    shutil.copytree(REPO_ROOT / "examples" / "monorepo", repo)
    # busybox is git-ignored in ghbuild's tree; this repository commits it, because act's
    # copy of the checkout carries only what git has.
    (repo / ".gitignore").unlink()
    config = repo / ".github" / "ghbuild.yml"
    text = config.read_text().replace("ghcr.io/example-org/monorepo", base)
    # act's cache server works, but this test is about the matrix: keep it quick.
    config.write_text(text.replace("  cache: gha\n", "  cache: none\n"))
    copy_project(repo / ".ghbuild")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://github.com/Acme/Widget")
    subprocess.run([sys.executable, "-m", "ghbuild", "init", "monorepo", "--dir", str(repo)],
                   check=True, capture_output=True, cwd=REPO_ROOT)
    workflow = repo / ".github" / "workflows" / "monorepo.yml"
    text = workflow.read_text(encoding="utf-8")
    assert text.count("uses: org/ghbuild@v1") == 2 and text.count(INSTALL) == 2
    workflow.write_text(text.replace("uses: org/ghbuild@v1", "uses: ./.ghbuild")
                        .replace(INSTALL, LOCAL_INSTALL))
    return repo


def test_monorepo_template_builds_only_what_changed(act_bin, engine_env, registry,
                                                    unique_repo, tmp_path):
    need("git")
    need("node")
    base = f"{registry}/{unique_repo}"
    api_repo, web_repo = f"{unique_repo}-api", f"{unique_repo}-web"
    repo = user_repo(tmp_path, base)
    first = commit(repo, "two images")
    stand_in = github_script_stand_in(tmp_path, runs_script=True)
    token = unsigned_jwt()

    def act(event: str, data: dict) -> str:
        payload = tmp_path / f"{event}.json"
        payload.write_text(json.dumps({"repository": REPOSITORY, "sender": {"login": "t"},
                                       **data}))
        done = run_act(act_bin, repo, event=event, payload=payload,
                       workflow=".github/workflows/monorepo.yml", engine_env=engine_env,
                       stand_in=stand_in, tmp_path=tmp_path,
                       extra=("--env", f"ACTIONS_RUNTIME_TOKEN={token}",
                              "-P", "ubuntu-24.04=-self-hosted"))
        log = done.stdout + done.stderr
        assert done.returncode == 0, f"act {event} failed:\n{log[-6000:]}"
        return log

    # 1. The first push (no commit before it): every image is built and pushed.
    log = act("push", {"ref": "refs/heads/main", "after": first, "before": "0" * 40})
    assert "building everything" in log
    api_main = registry_digest(registry, api_repo, "main")
    web_main = registry_digest(registry, web_repo, "main-web")
    assert "main" in registry_tags(registry, api_repo)

    # 2. A push that changes only the web page: only the web image is published again.
    (repo / "web" / "www" / "index.html").write_text("<p>changed</p>\n")
    second = commit(repo, "web only")
    log = act("push", {"ref": "refs/heads/main", "after": second, "before": first})
    assert f"{base}-api: promote only (no input changed)" in log
    assert f"Promote {base}-api (unchanged since {first[:12]})" in log
    assert f"Publish {base}-api" not in log and f"Publish {base}-web" in log
    assert registry_digest(registry, api_repo, "main") == api_main
    assert registry_digest(registry, api_repo, f"sha-{second[:7]}") == api_main
    assert registry_digest(registry, web_repo, "main-web") != web_main

    # 3. A pull request that changes the api: built in the read-only job, nothing pushed.
    before = {r: registry_tags(registry, r) for r in (api_repo, web_repo)}
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "api" / "src" / "api.sh").write_text('#!/bin/sh\necho "{}"\n')
    head = commit(repo, "api change")
    pr = {"number": 9, "head": {"ref": "feature", "sha": head, "repo": REPOSITORY},
          "base": {"ref": "main", "sha": second, "repo": REPOSITORY}}
    log = act("pull_request", {"action": "opened", "number": 9, "pull_request": pr})
    assert f"Build {base}-api" in log and f"Build {base}-web" not in log
    assert f"Publish {base}-api" not in log
    assert {r: registry_tags(registry, r) for r in (api_repo, web_repo)} == before
