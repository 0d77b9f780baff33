"""The monorepo template through act: a matrix of the changed images, each published.

A user's repository holds the two images of examples/monorepo, a
``.github/ghbuild.yml`` naming them on the registry on 127.0.0.1, ghbuild's own copy
under ``.ghbuild/`` and ``.github/workflows/monorepo.yml`` as ``ghbuild init`` writes it.
The one edit made to the template, because act can fetch no remote action here: the
placeholders ``org/ghbuild@v1`` and ``org/ghbuild/setup@v1`` become the local copy
(``./.ghbuild`` and ``./.ghbuild/setup``), so the jobs that call ``ghbuild matrix`` and
``ghbuild merge`` get the command from the real ``setup`` sub-action of this working
tree. A probe step after the first setup records which ``ghbuild`` and ``python3`` the
job then finds. The act helpers (payloads, the github-script stand-in, the unsigned
runtime token) are those of tests/e2e/test_act.py.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ghbuild
from tests.e2e.test_act import (
    REPO_ROOT,
    REPOSITORY,
    commit_all,
    copy_project,
    git,
    github_script_stand_in,
    init_repo,
    need,
    registry_digest,
    registry_tags,
    run_act,
    unsigned_jwt,
)

pytestmark = pytest.mark.e2e

SETUP = "        uses: org/ghbuild/setup@v1\n"
# After the first setup step (the changes job): what that job's later steps find.
PROBE = """\
        id: setup
        uses: ./.ghbuild/setup
      - name: Probe the setup
        env:
          SETUP_PYTHON: ${{ steps.setup.outputs.python }}
          SETUP_VERSION: ${{ steps.setup.outputs.version }}
        run: >-
          printf '%s\\n' "$SETUP_PYTHON" "$SETUP_VERSION" "$(command -v ghbuild)"
          "$(readlink -f "$(command -v ghbuild)")"
          "$(readlink -f "$(dirname "$SETUP_PYTHON")/ghbuild")"
          "$(command -v python3)" "$("$SETUP_PYTHON" -c 'import ghbuild; print(ghbuild.__file__)')"
          > "$GHBUILD_E2E_OUT/setup.txt"
"""


def venv_key(action_root: Path) -> str:
    """The venv key action/bootstrap.py computes for the copy at ``action_root``."""
    spec = importlib.util.spec_from_file_location("ghbuild_bootstrap_e2e",
                                                  REPO_ROOT / "action" / "bootstrap.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.venv_key(action_root))


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
    init_repo(repo)
    subprocess.run([sys.executable, "-m", "ghbuild", "init", "monorepo", "--dir", str(repo)],
                   check=True, capture_output=True, cwd=REPO_ROOT)
    workflow = repo / ".github" / "workflows" / "monorepo.yml"
    text = workflow.read_text(encoding="utf-8")
    assert text.count("uses: org/ghbuild@v1") == 2 and text.count(SETUP) == 2
    assert "pip install" not in text
    text = text.replace("uses: org/ghbuild@v1", "uses: ./.ghbuild").replace(SETUP, PROBE, 1)
    workflow.write_text(text.replace(SETUP, "        uses: ./.ghbuild/setup\n"))
    return repo


def check_setup(out: Path, repo: Path) -> None:
    """The changes job ran ghbuild from the setup sub-action's venv, built from the
    repository's own copy, and only the command went on PATH."""
    # Read while the job ran: act removes its RUNNER_TEMP afterwards.
    python, version, on_path, resolved, venv_command, python3, package = (
        out / "setup.txt").read_text().splitlines()
    venv = Path(python).parents[1]
    assert venv.name == f"venv-{venv_key(repo / '.ghbuild')}", python
    assert version == ghbuild.__version__
    assert on_path == str(venv / "ghbuild-path" / "ghbuild")
    assert resolved == venv_command and venv_command.endswith("/bin/ghbuild")
    assert Path(python3).parent != venv / "bin", "the venv's python3 shadows the runner's"
    # The installed package, not this working tree's editable install.
    assert Path(package).is_relative_to(venv) and not Path(package).is_relative_to(REPO_ROOT)


def test_monorepo_template_builds_only_what_changed(act_bin, engine_env, registry,
                                                    unique_repo, tmp_path):
    need("git")
    need("node")
    base = f"{registry}/{unique_repo}"
    api_repo, web_repo = f"{unique_repo}-api", f"{unique_repo}-web"
    repo = user_repo(tmp_path, base)
    first = commit_all(repo, "two images")
    stand_in = github_script_stand_in(tmp_path, runs_script=True)
    token = unsigned_jwt()
    out = tmp_path / "out"
    out.mkdir()

    def act(event: str, data: dict) -> str:
        payload = tmp_path / f"{event}.json"
        payload.write_text(json.dumps({"repository": REPOSITORY, "sender": {"login": "t"},
                                       **data}))
        done = run_act(act_bin, repo, event=event, payload=payload,
                       workflow=".github/workflows/monorepo.yml", engine_env=engine_env,
                       stand_in=stand_in, tmp_path=tmp_path,
                       extra=("--env", f"ACTIONS_RUNTIME_TOKEN={token}",
                              "--env", f"GHBUILD_E2E_OUT={out}",
                              "-P", "ubuntu-24.04=-self-hosted"))
        log = done.stdout + done.stderr
        assert done.returncode == 0, f"act {event} failed:\n{log[-6000:]}"
        return log

    # 1. The first push (no commit before it): every image is built and pushed.
    log = act("push", {"ref": "refs/heads/main", "after": first, "before": "0" * 40})
    assert "building everything" in log
    check_setup(out, repo)
    api_main = registry_digest(registry, api_repo, "main")
    web_main = registry_digest(registry, web_repo, "main-web")
    assert "main" in registry_tags(registry, api_repo)

    # 2. A push that changes only the web page: only the web image is published again.
    (repo / "web" / "www" / "index.html").write_text("<p>changed</p>\n")
    second = commit_all(repo, "web only")
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
    head = commit_all(repo, "api change")
    pr = {"number": 9, "head": {"ref": "feature", "sha": head, "repo": REPOSITORY},
          "base": {"ref": "main", "sha": second, "repo": REPOSITORY}}
    log = act("pull_request", {"action": "opened", "number": 9, "pull_request": pr})
    assert f"Build {base}-api" in log and f"Build {base}-web" not in log
    assert f"Publish {base}-api" not in log
    assert {r: registry_tags(registry, r) for r in (api_repo, web_repo)} == before
