"""The whole action through a real Actions runner: act runs workflows that use it locally.

Each test makes a temporary git repository (origin ``https://github.com/Acme/Widget``)
with a copy of this working tree and a workflow, and act runs it on this host
(``-P ubuntu-latest=-self-hosted``), so the composite action's steps run as on GitHub:
the venv bootstrap under RUNNER_TEMP, the inputs through ``env:``, then ``python -m
ghbuild run`` against the real engine and the registry on 127.0.0.1. The tests read the
step outputs (a later step writes them to a file through ``env:``), the job summary
(act echoes it in its log) and the registry itself. Scenarios: ``uses: ./`` on a push
to main; the publish template as ``ghbuild init`` writes it, for a push, a version tag,
a pull request, a dispatch and the schedule; the reusable workflow from a caller; a
broken Dockerfile.

What act cannot exercise here: the real ``actions/github-script``, which hands the
runtime token over on GitHub. act insists on fetching every remote action a composite
names, even a skipped one, and nothing can be fetched on these machines, so act is
pointed at a local folder for that reference (``--local-repository``). The first test
sets ``github-runtime: false`` and that folder fails loudly if it is ever started; the
template test gives it a stand-in that evaluates the ``script`` input as github-script
does (an async function body with ``require``), so our handover script, the step
outputs and the ``env:`` mapping run for real, with an unsigned JWT as the token (act's
cache server does not verify it, BuildKit only reads its ``exp``), given to that stand-in
alone. The handover script is also run directly with node below.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from ruamel.yaml import YAML

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]

ACT_TIMEOUT = 900
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def missing(reason: str) -> None:
    """Skip with the reason; a failure under GHBUILD_REQUIRE_E2E=1 (CI), as conftest does."""
    if os.environ.get("GHBUILD_REQUIRE_E2E") == "1":
        pytest.fail(f"e2e requirement missing (GHBUILD_REQUIRE_E2E=1): {reason}")
    pytest.skip(reason)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} is not installed")
    assert path is not None
    return path


def github_script_ref() -> str:
    action = YAML(typ="safe").load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    return next(s["uses"] for s in action["runs"]["steps"] if s.get("id") == "runtime")


# -- the repository act runs in --------------------------------------------------------------
def project_files() -> list[str]:
    """The working tree as git sees it (tracked and new files, minus ignored ones)."""
    out = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-co", "--exclude-standard",
                          "-z"], capture_output=True, check=True).stdout.decode()
    return [p for p in out.split("\0") if p and not p.startswith(".github/workflows/")]


def copy_project(dest: Path) -> None:
    for rel in project_files():
        src = REPO_ROOT / rel
        if not src.exists() and not src.is_symlink():
            continue                      # deleted in the working tree, not yet in git
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


# The committer of the test repositories (git() reads no global or system git config).
GIT_IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid")


def git(repo: Path, *argv: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "-C", str(repo), *argv], capture_output=True, text=True,
                          env=env, check=True)
    return done.stdout.strip()


def init_repo(repo: Path) -> None:
    """``git init`` on main, with the origin remote act takes GITHUB_REPOSITORY from."""
    git(repo, "init", "-q", "-b", "main")
    # Upper case owner and name: the image name and labels must come out lowercased
    # where registries need it and keep their case where they are text.
    git(repo, "remote", "add", "origin", "https://github.com/Acme/Widget")


def commit_all(repo: Path, message: str) -> str:
    """Commit every file of ``repo``; returns the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, *GIT_IDENTITY, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(tmp_path: Path, workflow: str) -> Path:
    repo = tmp_path / "widget"
    repo.mkdir()
    copy_project(repo)
    (repo / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (repo / ".github" / "workflows" / "e2e.yml").write_text(workflow, encoding="utf-8")
    init_repo(repo)
    commit_all(repo, "widget")
    return repo


def push_payload(path: Path, sha: str) -> Path:
    path.write_text(json.dumps({
        "ref": "refs/heads/main", "after": sha, "before": "0" * 40,
        "repository": {"name": "Widget", "full_name": "Acme/Widget", "default_branch": "main",
                       "html_url": "https://github.com/Acme/Widget",
                       "owner": {"login": "Acme", "name": "Acme"}},
        "head_commit": {"id": sha, "message": "widget"},
        "pusher": {"name": "tester"}, "sender": {"login": "tester"},
    }), encoding="utf-8")
    return path


def github_script_stand_in(tmp_path: Path, *, runs_script: bool) -> Path:
    """What act gets for the actions/github-script reference (it cannot fetch the real one).

    ``runs_script=False``: an entry point that fails loudly, for runs that must skip the
    step. ``runs_script=True``: it evaluates the ``script`` input the way github-script
    does (the body of an async function given ``require``), which is all ghbuild uses
    of it; none of github-script's other features (octokit, context) are there.
    """
    folder = tmp_path / ("github-script-eval" if runs_script else "github-script-absent")
    folder.mkdir(exist_ok=True)
    (folder / "action.yml").write_text(
        "name: stand-in for actions/github-script under act\n"
        "description: act cannot fetch remote actions on this machine\n"
        "inputs:\n  script:\n    description: the script\n    required: true\n"
        "runs:\n  using: node20\n  main: index.js\n", encoding="utf-8")
    if runs_script:
        # act gives every step one environment; GitHub gives the runtime token to
        # JavaScript actions only. So the test passes the token under another name that
        # only this stand-in turns into ACTIONS_RUNTIME_TOKEN: if the gha cache then
        # works, the token can only have reached buildx through our step outputs.
        body = ("if (process.env.GHBUILD_E2E_JS_ONLY_TOKEN) {\n"
                "  process.env.ACTIONS_RUNTIME_TOKEN = process.env.GHBUILD_E2E_JS_ONLY_TOKEN;\n"
                "}\n"
                "const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;\n"
                "new AsyncFunction('require', process.env.INPUT_SCRIPT)(require)\n"
                "  .catch((err) => { console.log(`::error::${err.message}`); "
                "process.exit(1); });\n")
    else:
        body = ("console.log('::error::actions/github-script cannot run under act here; this "
                "step should have been skipped (github-runtime: false)');\nprocess.exit(1);\n")
    (folder / "index.js").write_text(body, encoding="utf-8")
    return folder


def run_act(act_bin: str, repo: Path, *, event: str, payload: Path, workflow: str,
            engine_env: dict[str, str], stand_in: Path, tmp_path: Path,
            extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    argv = [act_bin, event, "-W", workflow, "-e", str(payload),
            "-P", "ubuntu-latest=-self-hosted", "--cache-server-addr", "127.0.0.1",
            "--cache-server-path", str(tmp_path / "act-cache-server"),
            "--action-cache-path", str(tmp_path / "act-cache"),
            "--local-repository", f"{github_script_ref()}={stand_in}", *extra]
    # No update check: every connection these tests make stays on 127.0.0.1.
    env = {**engine_env, "HOME": os.environ.get("HOME", "/root"),
           "ACT_DISABLE_VERSION_CHECK": "1"}
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True,
                          timeout=ACT_TIMEOUT)


def failure(log: str) -> str:
    """The error lines of an act log, then its end: enough to see why a run failed."""
    errors = [line for line in log.splitlines()
              if "ERROR" in line or "::error" in line or "\u274c" in line]
    return "\n".join(errors[-40:]) + "\n...\n" + log[-4000:]


def summaries(log: str) -> str:
    """The job summary text act echoes (``⚙  Summary - ...`` up to its next log line)."""
    parts, current = [], None
    for line in log.splitlines():
        if "Summary - " in line and line.startswith("["):
            current = [line.split("Summary - ", 1)[1]]
            parts.append(current)
        elif current is not None and not line.startswith("["):
            current.append(line)
        else:
            current = None
    return "\n".join("\n".join(p) for p in parts)


# -- the registry --------------------------------------------------------------------------------
def registry_tags(registry: str, repo: str) -> list[str]:
    resp = requests.get(f"http://{registry}/v2/{repo}/tags/list", timeout=10)
    resp.raise_for_status()
    return sorted(resp.json().get("tags") or [])


def registry_digest(registry: str, repo: str, tag: str) -> str:
    resp = requests.head(f"http://{registry}/v2/{repo}/manifests/{tag}",
                         headers={"Accept": ACCEPT}, timeout=10)
    resp.raise_for_status()
    return resp.headers["Docker-Content-Digest"]


def image_config(registry: str, repo: str, digest: str) -> dict:
    """The image config of the linux/amd64 (or only) manifest under ``digest``."""
    def get(path: str, accept: str = ACCEPT) -> requests.Response:
        resp = requests.get(f"http://{registry}/v2/{repo}/{path}", headers={"Accept": accept},
                            timeout=10)
        resp.raise_for_status()
        return resp
    manifest = get(f"manifests/{digest}").json()
    if "manifests" in manifest:
        chosen = next(m for m in manifest["manifests"]
                      if m.get("platform", {}).get("architecture") not in (None, "unknown"))
        manifest = get(f"manifests/{chosen['digest']}").json()
    return get(f"blobs/{manifest['config']['digest']}", "*/*").json()


# -- the workflow ----------------------------------------------------------------------------------
def push_job(name: str, job: str) -> str:
    """The start of a workflow ``name`` run on push: one job ``job`` on ubuntu-latest whose
    first step checks the repository out; the job's other steps follow it."""
    return f"""\
name: {name}
on: push
permissions:
  contents: read
jobs:
  {job}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
"""


RECORD_OUTPUTS = """\
      - name: Record the outputs
        if: always()
        env:
          OUT_VERSION: ${{ steps.build.outputs.version }}
          OUT_TAGS: ${{ steps.build.outputs.tags }}
          OUT_LABELS: ${{ steps.build.outputs.labels }}
          OUT_DIGEST: ${{ steps.build.outputs.digest }}
          OUT_IMAGE: ${{ steps.build.outputs.image }}
          OUT_PUSHED: ${{ steps.build.outputs.pushed }}
          OUT_SKIPPED: ${{ steps.build.outputs.skipped }}
          OUT_ACTION: ${{ steps.build.outputs.action }}
          OUT_METADATA: ${{ steps.build.outputs.metadata }}
        run: >-
          python3 -c 'import json, os; json.dump({k[4:].lower(): v for k, v in
          os.environ.items() if k.startswith("OUT_")},
          open(os.environ["GHBUILD_E2E_OUT"] + "/outputs.json", "w"))'
"""


def push_workflow(image: str) -> str:
    return push_job("e2e", "image") + f"""\
      # The example starts FROM scratch and needs a static busybox in its context; the
      # file is git-ignored, so act's copy of the checkout does not carry it.
      - name: Prepare the example
        run: bash scripts/prepare-example.sh
      - name: Build and push
        id: build
        uses: ./
        with:
          context: examples/hello
          images: {image}
          network: host
          cache: none
          github-runtime: "false"
          github-token: ""
{RECORD_OUTPUTS}
      # The same commit again in the same job: the venv is reused, the build skipped.
      - name: Build and push again
        id: again
        uses: ./
        with:
          context: examples/hello
          images: {image}
          network: host
          cache: none
          github-runtime: "false"
          github-token: ""
      - name: Record the second outputs
        env:
          AGAIN_DIGEST: ${{{{ steps.again.outputs.digest }}}}
          AGAIN_SKIPPED: ${{{{ steps.again.outputs.skipped }}}}
          AGAIN_ACTION: ${{{{ steps.again.outputs.action }}}}
        run: >-
          printf '%s %s %s' "$AGAIN_DIGEST" "$AGAIN_SKIPPED" "$AGAIN_ACTION"
          > "$GHBUILD_E2E_OUT/again.txt"
      # The default image name from GITHUB_REPOSITORY=Acme/Widget, built only: no push,
      # no registry check, so nothing leaves this machine.
      - name: Default image name
        id: default
        uses: ./
        with:
          context: examples/hello
          network: host
          push: "false"
          check: "false"
          cache: none
          github-runtime: "false"
          github-token: ""
      - name: Record the default tags
        env:
          DEFAULT_TAGS: ${{{{ steps.default.outputs.tags }}}}
        run: printf '%s' "$DEFAULT_TAGS" > "$GHBUILD_E2E_OUT/default-tags.txt"
"""


def remove_local_images(engine_env: dict[str, str], prefixes: tuple[str, ...]) -> None:
    """Builds that do not push load their image into the engine; drop the ones we made."""
    listed = subprocess.run(["docker", "image", "ls", "--format",
                             "{{.Repository}}:{{.Tag}}"], env=engine_env, capture_output=True,
                            text=True)
    names = [n for n in listed.stdout.split() if n.startswith(prefixes)]
    if names:
        subprocess.run(["docker", "image", "rm", "--force", *names], env=engine_env,
                       capture_output=True)


@pytest.fixture(autouse=True)
def _cleanup_images(request, unique_repo):
    yield
    if "engine_env" in request.fixturenames:
        env = request.getfixturevalue("engine_env")
        registry = request.getfixturevalue("registry")
        remove_local_images(env, (f"{registry}/{unique_repo}/", "ghcr.io/acme/widget:"))


@pytest.fixture()
def act_setup(act_bin, engine_env, registry, unique_repo, tmp_path):
    need("git")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return {"act": act_bin, "env": engine_env, "registry": registry,
            "repo": f"{unique_repo}/widget", "out": out_dir, "tmp": tmp_path}


def test_push_to_main_through_act(act_setup):
    s = act_setup
    image = f"{s['registry']}/{s['repo']}"
    repo = make_repo(s["tmp"], push_workflow(image))
    sha = git(repo, "rev-parse", "HEAD")
    started = time.monotonic()
    done = run_act(s["act"], repo, event="push",
                   payload=push_payload(s["tmp"] / "payload.json", sha),
                   workflow=".github/workflows/e2e.yml", engine_env=s["env"],
                   stand_in=github_script_stand_in(s["tmp"], runs_script=False),
                   tmp_path=s["tmp"], extra=("--env", f"GHBUILD_E2E_OUT={s['out']}"))
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"act failed ({time.monotonic() - started:.0f}s):\n{failure(log)}"
    assert "Job succeeded" in log

    outputs = json.loads((s["out"] / "outputs.json").read_text())
    digest = outputs["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), outputs
    assert outputs["pushed"] == "true" and outputs["skipped"] == "false"
    assert outputs["action"] == "build"
    assert outputs["image"] == f"{image}@{digest}"
    assert f"{image}:main" in outputs["tags"].splitlines()
    metadata = json.loads(outputs["metadata"])
    assert json.dumps(metadata).count(digest) >= 1

    # The registry holds the tags, all naming the digest the output names.
    tags = registry_tags(s["registry"], s["repo"])
    assert "main" in tags
    for ref in outputs["tags"].splitlines():
        tag = ref.rsplit(":", 1)[1]
        assert registry_digest(s["registry"], s["repo"], tag) == digest, ref

    # GITHUB_REPOSITORY came from the origin remote, case kept in the source label.
    labels = image_config(s["registry"], s["repo"], digest)["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == sha
    assert labels["org.opencontainers.image.source"] == "https://github.com/Acme/Widget"
    assert "org.opencontainers.image.source=https://github.com/Acme/Widget" in \
        outputs["labels"].splitlines()

    # The job summary names the tag and the digest, and why it pushed.
    summary = summaries(log)
    assert digest in summary and f"{image}:main" in summary, summary[:3000]
    assert "branch 'main' is the default branch" in summary, summary[:3000]

    # The venv was built under act's RUNNER_TEMP, not in the workspace, and the second
    # ghbuild step of the job reused it; that step found the revision and built nothing.
    assert log.count("installing into") == 1 and "reusing" in log
    assert not (repo / "build").exists()
    again_digest, again_skipped, again_action = (s["out"] / "again.txt").read_text().split()
    assert again_digest == digest and again_skipped == "true", (again_action, log[-3000:])

    # Without `images`, the name is ghcr.io/<owner>/<repo> of the origin remote, lowercased.
    assert (s["out"] / "default-tags.txt").read_text().splitlines() == [
        "ghcr.io/acme/widget:main"]
    assert "Acme/Widget" in log and "lowercased" in log
    assert not list(repo.glob("*.egg-info"))


# -- the runtime handover script, with the real node -----------------------------------------------
def unsigned_jwt() -> str:
    def b64(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"exp": now + 3600, "iat": now, "nbf": now,
              "ac": json.dumps([{"Scope": "refs/heads/main", "Permission": 3}],
                               separators=(",", ":"))}
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.c2ln"


def test_runtime_script_masks_the_token_and_writes_only_step_outputs(tmp_path):
    node = need("node")
    out = tmp_path / "output"
    token = unsigned_jwt()
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(out),
           "ACTIONS_RUNTIME_TOKEN": token, "ACTIONS_CACHE_URL": "http://127.0.0.1:1/cache/",
           "GITHUB_ENV": str(tmp_path / "env")}
    script = REPO_ROOT / "action" / "gha-runtime.cjs"
    done = subprocess.run([node, "-e", f"require({json.dumps(str(script))})()"], env=env,
                          capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == f"::add-mask::{token}"
    assert token not in "\n".join(lines[1:])
    assert lines[1] == ("runtime variables handed over: ACTIONS_RUNTIME_TOKEN, "
                        "ACTIONS_CACHE_URL")
    text = out.read_text()
    pattern = r"^([a-z_0-9]+)<<(ghadelim_[0-9a-f-]+)\n(.*?)\n\2$"
    outputs = {m[0]: m[2] for m in re.findall(pattern, text, re.MULTILINE | re.DOTALL)}
    assert outputs == {"actions_runtime_token": token,
                       "actions_cache_url": "http://127.0.0.1:1/cache/",
                       "actions_results_url": "", "actions_cache_service_v2": ""}
    assert not (tmp_path / "env").exists(), "nothing may be exported to later steps"


def test_runtime_script_refuses_to_run_outside_a_step(tmp_path):
    node = need("node")
    script = REPO_ROOT / "action" / "gha-runtime.cjs"
    done = subprocess.run([node, "-e", f"require({json.dumps(str(script))})()"],
                          env={"PATH": os.environ["PATH"], "ACTIONS_RUNTIME_TOKEN": "x" * 20},
                          capture_output=True, text=True)
    assert done.returncode != 0 and "GITHUB_OUTPUT is not set" in done.stderr
    assert "x" * 20 not in done.stdout + done.stderr


# -- the publish template, as `ghbuild init` writes it, through act -------------------------
REPOSITORY = {"name": "Widget", "full_name": "Acme/Widget", "default_branch": "main",
              "html_url": "https://github.com/Acme/Widget",
              "owner": {"login": "Acme", "name": "Acme"}}


def payload_file(path: Path, data: dict) -> Path:
    path.write_text(json.dumps({"repository": REPOSITORY, "sender": {"login": "tester"},
                                **data}), encoding="utf-8")
    return path


def ran_job(log: str, job: str) -> bool:
    """Whether act logged a step of ``job`` (act pads job names to one width)."""
    return re.search(rf"^\[Publish image/{re.escape(job)}\s*\] .*Success - Set up job", log,
                     re.MULTILINE) is not None


def template_repo(tmp_path: Path, image: str) -> Path:
    """A user's repository: a Dockerfile at the top, ghbuild's copy under .ghbuild/, and
    .github/workflows/publish.yml written by the real ``ghbuild init``."""
    repo = tmp_path / "user"
    repo.mkdir()
    copy_project(repo / ".ghbuild")
    # No RUN step: the template passes no `network: host`, which RUN needs on this machine.
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (repo / "hello.txt").write_text("hello\n")
    init_repo(repo)
    subprocess.run([sys.executable, "-m", "ghbuild", "init", "publish", "--dir", str(repo),
                    "--image", image], check=True, capture_output=True, cwd=REPO_ROOT)
    workflow = repo / ".github" / "workflows" / "publish.yml"
    text = workflow.read_text(encoding="utf-8")
    assert text.count("uses: org/ghbuild@v1") == 2
    # The one edit made here: the placeholder for the published action becomes the local
    # copy, because act can fetch no remote action.
    workflow.write_text(text.replace("uses: org/ghbuild@v1", "uses: ./.ghbuild"))
    commit_all(repo, "widget")
    return repo


def test_publish_template_through_act(act_bin, engine_env, registry, unique_repo, tmp_path):
    need("git")
    need("node")
    repo_path = f"{unique_repo}/widget"
    image = f"{registry}/{repo_path}"
    repo = template_repo(tmp_path, image)
    sha = git(repo, "rev-parse", "HEAD")
    stand_in = github_script_stand_in(tmp_path, runs_script=True)
    token = unsigned_jwt()

    def act(event: str, data: dict) -> str:
        done = run_act(act_bin, repo, event=event,
                       payload=payload_file(tmp_path / f"{event}.json", data),
                       workflow=".github/workflows/publish.yml", engine_env=engine_env,
                       stand_in=stand_in, tmp_path=tmp_path,
                       extra=("--env", f"GHBUILD_E2E_JS_ONLY_TOKEN={token}"))
        log = done.stdout + done.stderr
        assert done.returncode == 0, f"act {event} failed:\n{failure(log)}"
        assert token not in log, "the runtime token reached the log unmasked"
        return log

    # 1. A push to the default branch: built and pushed with branch and sha tags, the
    #    runtime handed over by the github-script step, the gha cache written.
    log = act("push", {"ref": "refs/heads/main", "after": sha})
    assert ran_job(log, "Build and push") and not ran_job(log, "Build (pull request)")
    assert "| Build | **build**" in summaries(log)
    assert "runtime variables handed over: ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_URL" in log
    assert "exporting to GitHub Actions Cache" in log or "exporting cache to GitHub" in log, \
        log[-4000:]
    tags = registry_tags(registry, repo_path)
    assert {"main", f"sha-{sha[:7]}"} <= set(tags), tags
    first = registry_digest(registry, repo_path, "main")
    assert registry_digest(registry, repo_path, f"sha-{sha[:7]}") == first

    # 2. The same commit tagged v1.2.3: no build, the semver tags and latest point at the
    #    digest of the first run.
    git(repo, "tag", "v1.2.3")
    log = act("push", {"ref": "refs/tags/v1.2.3", "after": sha, "base_ref": None})
    assert "exporting to GitHub Actions Cache" not in log
    assert "| Build | **retag**" in summaries(log), summaries(log)
    for tag in ("1.2.3", "1.2", "1", "latest"):
        assert registry_digest(registry, repo_path, tag) == first, tag

    # 3. A pull request with a new commit: built in the read-only job, reading the gha
    #    cache the first run wrote; nothing pushed, no cache written.
    before = registry_tags(registry, repo_path)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "hello.txt").write_text("hello from a pull request\n")
    git(repo, *GIT_IDENTITY, "commit", "-q", "-am", "change")
    head = git(repo, "rev-parse", "HEAD")
    pr = {"number": 7, "head": {"ref": "feature", "sha": head, "repo": REPOSITORY},
          "base": {"ref": "main", "sha": sha, "repo": REPOSITORY}}
    log = act("pull_request", {"action": "opened", "number": 7, "pull_request": pr})
    assert ran_job(log, "Build (pull request)")
    assert not ran_job(log, "Build and push"), "the publishing job ran on a pull request"
    assert "importing cache manifest from gha" in log, log[-4000:]
    assert "exporting to GitHub Actions Cache" not in log
    assert registry_tags(registry, repo_path) == before

    # 4. A manual dispatch with version 2.0.0 on main: that version is tagged too.
    git(repo, "checkout", "-q", "main")
    act("workflow_dispatch", {"ref": "refs/heads/main", "inputs": {"version": "2.0.0"}})
    assert registry_digest(registry, repo_path, "2.0.0") == first

    # 5. The nightly schedule on an unchanged main: tagged nightly, no build.
    log = act("schedule", {"schedule": "17 3 * * *"})
    assert "| Build | **retag**" in summaries(log), summaries(log)
    assert registry_digest(registry, repo_path, "nightly") == first


# -- the reusable workflow, called in one line -------------------------------------------------
def caller_workflow(image: str) -> str:
    return f"""\
name: Caller
on: push
permissions:
  contents: read
jobs:
  image:
    uses: ./.github/workflows/reusable.yml
    permissions:
      contents: read
      packages: write
    with:
      images: {image}
  check:
    needs: image
    runs-on: ubuntu-latest
    steps:
      - name: Record the reusable workflow's outputs
        env:
          DIGEST: ${{{{ needs.image.outputs.digest }}}}
          TAGS: ${{{{ needs.image.outputs.tags }}}}
          PUSHED: ${{{{ needs.image.outputs.pushed }}}}
        run: printf '%s\\n%s\\n%s\\n' "$DIGEST" "$PUSHED" "$TAGS" > "$GHBUILD_E2E_OUT/called.txt"
"""


def test_reusable_workflow_through_act(act_bin, engine_env, registry, unique_repo, tmp_path):
    need("git")
    repo_path = f"{unique_repo}/widget"
    image = f"{registry}/{repo_path}"
    repo = tmp_path / "caller"
    repo.mkdir()
    copy_project(repo / ".ghbuild")
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (repo / "hello.txt").write_text("hello\n")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    reusable = (REPO_ROOT / "workflows" / "reusable.yml").read_text(encoding="utf-8")
    assert reusable.count("uses: org/ghbuild@v1") == 1
    # As in the template test: the published action's placeholder becomes the local copy.
    (workflows / "reusable.yml").write_text(reusable.replace("uses: org/ghbuild@v1",
                                                             "uses: ./.ghbuild"))
    (workflows / "caller.yml").write_text(caller_workflow(image))
    init_repo(repo)
    sha = commit_all(repo, "caller")
    out = tmp_path / "out"
    out.mkdir()

    done = run_act(act_bin, repo, event="push",
                   payload=payload_file(tmp_path / "push.json",
                                        {"ref": "refs/heads/main", "after": sha}),
                   workflow=".github/workflows/caller.yml", engine_env=engine_env,
                   stand_in=github_script_stand_in(tmp_path, runs_script=True),
                   tmp_path=tmp_path, extra=("--env", f"GHBUILD_E2E_OUT={out}"))
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"act failed:\n{failure(log)}"

    digest, pushed, *tags = (out / "called.txt").read_text().splitlines()
    assert pushed == "true" and tags == [f"{image}:main"]
    assert registry_digest(registry, repo_path, "main") == digest


def test_failing_dockerfile_through_act(act_bin, engine_env, registry, unique_repo, tmp_path):
    """A broken Dockerfile: the job fails, with an error annotation on the Dockerfile line,
    and nothing reaches the registry."""
    need("git")
    repo_path = f"{unique_repo}/widget"
    repo = tmp_path / "broken"
    repo.mkdir()
    copy_project(repo / ".ghbuild")
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY no-such-file.txt /\n")
    workflow = push_job("Broken", "image") + f"""\
      - uses: ./.ghbuild
        with:
          images: {registry}/{repo_path}
          cache: none
          github-runtime: "false"
          github-token: ""
"""
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "broken.yml").write_text(workflow)
    init_repo(repo)
    sha = commit_all(repo, "broken")

    done = run_act(act_bin, repo, event="push",
                   payload=payload_file(tmp_path / "push.json",
                                        {"ref": "refs/heads/main", "after": sha}),
                   workflow=".github/workflows/broken.yml", engine_env=engine_env,
                   stand_in=github_script_stand_in(tmp_path, runs_script=False),
                   tmp_path=tmp_path)
    log = done.stdout + done.stderr
    assert done.returncode != 0 and "Job failed" in log
    assert re.search(r"::error file=Dockerfile,line=2::", log), failure(log)
    resp = requests.get(f"http://{registry}/v2/{repo_path}/tags/list", timeout=10)
    assert resp.status_code == 404 or not resp.json().get("tags"), resp.text
