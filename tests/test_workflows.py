"""The rules every workflow we ship or run keeps, checked on the files themselves.

actionlint, zizmor and check-jsonschema (scripts/lint.sh) catch most mistakes; these
tests pin down the project's own rules that no linter enforces exactly as we mean them:
read-only by default, ``packages: write`` only where our action can push, third-party
actions pinned by commit SHA with a version comment, no persisted checkout credentials,
a concurrency group, and no expression inside a ``run:`` script.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((REPO_ROOT / "workflows").glob("*.yml"))
OWN = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ALL = TEMPLATES + OWN
OUR_ACTION = re.compile(r"^(org/ghbuild@v1|\./)$")
PINNED_LINE = re.compile(r"uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$")


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def steps(doc: Any) -> list[tuple[str, dict]]:
    return [(name, step) for name, job in doc.get("jobs", {}).items()
            for step in job.get("steps", []) or []]


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO_ROOT)) for p in paths]


def test_templates_exist():
    names = {p.stem for p in TEMPLATES}
    assert {"publish", "reusable"} <= names


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_read_only_by_default(path):
    assert load(path)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_packages_write_only_in_jobs_that_push(path):
    for name, job in load(path)["jobs"].items():
        perms = job.get("permissions") or {}
        if perms.get("packages") == "write":
            # The job that pushes: it runs our action, or ghbuild itself (platform, merge).
            job_steps = job.get("steps", [])
            assert any(OUR_ACTION.match(str(s.get("uses", ""))) or
                       re.search(r"(^|\s)ghbuild\s", str(s.get("run", "")))
                       for s in job_steps), f"{path.name}: job {name}"
        for scope, level in perms.items():
            assert level in ("read", "none") or (scope, level) in {
                ("packages", "write"), ("id-token", "write"), ("attestations", "write")}, \
                f"{path.name}: job {name} asks for {scope}: {level}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_third_party_actions_are_pinned_by_sha_with_a_version_comment(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = re.search(r"^\s*(?:-\s*)?uses:\s*(\S+)", line)
        if not match:
            continue
        ref = match.group(1)
        if OUR_ACTION.match(ref) or ref.startswith("./") or \
                ref.startswith("org/ghbuild/.github/workflows/"):
            continue
        assert PINNED_LINE.search(line), f"{path.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_checkout_never_persists_credentials(path):
    for job, step in steps(load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            value = (step.get("with") or {}).get("persist-credentials")
            assert value in (False, "false"), f"{path.name}: job {job}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_expression_inside_run_scripts(path):
    for job, step in steps(load(path)):
        assert "${{" not in str(step.get("run", "")), f"{path.name}: job {job}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_every_job_has_a_concurrency_group(path):
    doc = load(path)
    if "concurrency" in doc:
        assert doc["concurrency"]["group"]
        return
    for name, job in doc["jobs"].items():
        if "steps" in job:
            assert (job.get("concurrency") or {}).get("group"), f"{path.name}: job {name}"


def test_publish_triggers():
    on = load(REPO_ROOT / "workflows" / "publish.yml")["on"]
    assert on["push"]["branches"] == ["main"] and on["push"]["tags"] == ["v*"]
    assert on["pull_request"]["branches"] == ["main"]
    assert on["schedule"][0]["cron"]
    assert on["workflow_dispatch"]["inputs"]["version"]["type"] == "string"


def test_publish_pull_requests_build_in_a_job_that_cannot_push():
    jobs = load(REPO_ROOT / "workflows" / "publish.yml")["jobs"]
    pr = [j for j in jobs.values() if j["if"] == "github.event_name == 'pull_request'"]
    others = [j for j in jobs.values() if j["if"] == "github.event_name != 'pull_request'"]
    assert len(pr) == 1 and len(others) == 1
    assert pr[0]["permissions"] == {"contents": "read"}
    assert others[0]["permissions"]["packages"] == "write"


def test_publish_tag_rules():
    jobs = load(REPO_ROOT / "workflows" / "publish.yml")["jobs"]
    step = next(s for _, s in steps({"jobs": jobs}) if s.get("uses") == "org/ghbuild@v1"
                and "tags" in s.get("with", {}))
    rules = step["with"]["tags"].splitlines()
    for rule in ("type=ref,event=branch", "type=sha,enable={{is_default_branch}}",
                 "type=semver,pattern={{version}}", "type=schedule,pattern=nightly",
                 "type=semver,pattern={{version}},value=${{ inputs.version }}"):
        assert rule in rules
    assert step["with"]["flavor"].strip() == "latest=auto"


def test_reusable_is_callable_and_published_where_callers_find_it():
    doc = load(REPO_ROOT / "workflows" / "reusable.yml")
    assert "workflow_call" in doc["on"]
    assert all("default" in spec or spec.get("required")
               for spec in doc["on"]["workflow_call"]["inputs"].values())
    # `uses: OWNER/ghbuild/.github/workflows/reusable.yml@v1` reads this copy.
    published = REPO_ROOT / ".github" / "workflows" / "reusable.yml"
    assert published.read_bytes() == (REPO_ROOT / "workflows" / "reusable.yml").read_bytes()


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_steps_running_our_action_pass_only_its_inputs(path):
    action = load(REPO_ROOT / "action.yml")["inputs"]
    for job, step in steps(load(path)):
        if OUR_ACTION.match(str(step.get("uses", ""))):
            unknown = set(step.get("with") or {}) - set(action)
            assert not unknown, f"{path.name}: job {job} passes {sorted(unknown)}"


def test_self_test_job_runs_the_action_from_this_checkout():
    doc = load(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    uses = [s.get("uses") for _, s in steps(doc)]
    assert "./" in uses
    assert any("scripts/lint.sh" in str(s.get("run", "")) for _, s in steps(doc))
    assert any(".ci/run" in str(s.get("run", "")) for _, s in steps(doc))


@pytest.mark.parametrize("path", [REPO_ROOT / "workflows" / "publish.yml",
                                  REPO_ROOT / "workflows" / "reusable.yml",
                                  REPO_ROOT / ".github" / "workflows" / "ci.yml"],
                         ids=["publish", "reusable", "ci"])
def test_lines_fit_in_100_columns(path):
    long = [n for n, line in enumerate(path.read_text().splitlines(), 1) if len(line) > 100]
    assert not long, f"{path.name}: lines over 100 columns: {long}"
