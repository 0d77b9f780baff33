"""The ``setup`` sub-action through act, next to the main action in one job.

A temporary repository holds a copy of this working tree (as in tests/e2e/test_act.py),
so ``uses: ./setup`` and ``uses: ./`` run the real composite actions on this host. The
job installs ghbuild with setup, calls ``ghbuild meta`` from a plain ``run:`` step, runs
the main action (built only: no push, no registry check), then setup again. Checked: the
outputs, that the command on PATH is the venv's and nothing else of the venv is, and
that the three steps share one venv (installed once, reused twice), as bootstrap.py's
version and source-hash key promises.
"""

from __future__ import annotations

import json

import pytest

import ghbuild
from tests.e2e.test_act import (
    failure,
    git,
    github_script_stand_in,
    make_repo,
    need,
    push_job,
    push_payload,
    remove_local_images,
    run_act,
)

pytestmark = pytest.mark.e2e


def setup_workflow(image: str) -> str:
    return push_job("setup", "setup") + f"""\
      - name: Install ghbuild
        id: setup
        uses: ./setup
      - name: Use the command in a run step
        env:
          SETUP_PYTHON: ${{{{ steps.setup.outputs.python }}}}
          SETUP_VERSION: ${{{{ steps.setup.outputs.version }}}}
          INPUT_IMAGES: {image}
        run: |
          ghbuild meta > "$GHBUILD_E2E_OUT/meta.json"
          printf '%s\\n' "$SETUP_PYTHON" "$SETUP_VERSION" "$(command -v ghbuild)" \\
            "$(command -v python3)" > "$GHBUILD_E2E_OUT/setup.txt"
      - name: Prepare the example
        run: bash scripts/prepare-example.sh
      - name: The main action in the same job
        uses: ./
        with:
          context: examples/hello
          images: {image}
          network: host
          push: "false"
          check: "false"
          cache: none
          github-runtime: "false"
          github-token: ""
      - name: Install ghbuild again
        id: again
        uses: ./setup
      - name: Record the second install
        env:
          AGAIN_PYTHON: ${{{{ steps.again.outputs.python }}}}
        run: printf '%s\\n' "$AGAIN_PYTHON" > "$GHBUILD_E2E_OUT/again.txt"
"""


def test_setup_then_the_main_action_share_one_venv(act_bin, engine_env, registry,
                                                  unique_repo, tmp_path):
    need("git")
    image = f"{registry}/{unique_repo}/widget"
    repo = make_repo(tmp_path, setup_workflow(image))
    sha = git(repo, "rev-parse", "HEAD")
    out = tmp_path / "out"
    out.mkdir()
    try:
        done = run_act(act_bin, repo, event="push",
                       payload=push_payload(tmp_path / "push.json", sha),
                       workflow=".github/workflows/e2e.yml", engine_env=engine_env,
                       stand_in=github_script_stand_in(tmp_path, runs_script=False),
                       tmp_path=tmp_path, extra=("--env", f"GHBUILD_E2E_OUT={out}"))
    finally:
        remove_local_images(engine_env, (f"{image}:",))
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"act failed:\n{failure(log)}"

    python, version, on_path, python3 = (out / "setup.txt").read_text().splitlines()
    assert version == ghbuild.__version__
    assert python.endswith("/bin/python") and "/ghbuild/venv-" in python
    venv = python.rsplit("/bin/python", 1)[0]
    assert on_path == f"{venv}/ghbuild-path/ghbuild"
    assert not python3.startswith(venv), "the venv's python3 shadows the runner's"
    # ghbuild meta ran from PATH in a plain run: step, with the job's event.
    assert f"{image}:main" in json.loads((out / "meta.json").read_text())["tags"]

    # One venv for the job: installed by the first setup, reused by the main action's
    # bootstrap and by the second setup.
    assert log.count("installing into") == 1, failure(log)
    assert log.count(f"reusing {venv}") == 2, failure(log)
    assert (out / "again.txt").read_text().strip() == python
