"""The rules every workflow we ship or run keeps, checked on the files themselves.

actionlint, zizmor and check-jsonschema (scripts/lint.sh) catch most mistakes; these
tests pin down the project's own rules that no linter enforces exactly as we mean them:
read-only by default, ``packages: write`` only where our action can push, third-party
actions pinned by commit SHA with a version comment, no persisted checkout credentials,
a concurrency group, no expression inside a ``run:`` script, and ghbuild never installed
from a package index (the ``setup`` sub-action installs the release ``uses:`` pins).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((REPO_ROOT / "workflows").glob("*.yml"))
OWN = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ALL = TEMPLATES + OWN
OUR_ACTION = re.compile(r"^(org/ghbuild@v1|\./)$")
OUR_SETUP = "org/ghbuild/setup@v1"
# Composite actions we ship: their run: scripts obey the same install rule.
ACTIONS = [REPO_ROOT / "action.yml", REPO_ROOT / "setup" / "action.yml"]
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
        if OUR_ACTION.match(ref) or ref == OUR_SETUP or ref.startswith("./") or \
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


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_steps_running_setup_pass_only_its_inputs(path):
    setup = load(REPO_ROOT / "setup" / "action.yml").get("inputs") or {}
    for job, step in steps(load(path)):
        if step.get("uses") == OUR_SETUP:
            unknown = set(step.get("with") or {}) - set(setup)
            assert not unknown, f"{path.name}: job {job} passes {sorted(unknown)}"


def test_templates_that_run_ghbuild_commands_install_them_with_setup():
    """A job whose run: steps call ghbuild gets the command from the setup sub-action,
    before the first such step."""
    checked = 0
    for path in TEMPLATES:
        for name, job in load(path)["jobs"].items():
            job_steps = job.get("steps", [])
            calls = [i for i, s in enumerate(job_steps)
                     if re.search(r"(^|\s)ghbuild\s", str(s.get("run", "")))]
            if not calls:
                continue
            checked += 1
            setups = [i for i, s in enumerate(job_steps) if s.get("uses") == OUR_SETUP]
            assert setups and setups[0] < calls[0], f"{path.name}: job {name}"
    assert checked >= 5, "multi-platform has 3 such jobs and monorepo 2"


# -- ghbuild is never installed from a package index ---------------------------------------
PIP_PROGRAMS = {"pip", "pip3", "pipx"}
SHELL_OPERATORS = {";", "&&", "||", "|", "&", "(", ")"}


def _commands(script: str) -> list[list[str]]:
    """A run: script as commands (lists of words), split at newlines and operators."""
    lexer = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace = " \t\r"
    lexer.wordchars += "$={}[]<>~!*,@:/.-+%"
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word == "\n" or word in SHELL_OPERATORS:
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c]


def _pip_install_args(words: list[str]) -> list[str] | None:
    """The arguments after ``pip install`` (also ``python -m pip``, ``uv pip``, pipx)."""
    for i, word in enumerate(words[:-1]):
        program = os.path.basename(word)
        via_module = word == "-m" and words[i + 1] == "pip"
        if (program in PIP_PROGRAMS or via_module) and "install" in words[i + 1:i + 3]:
            return words[words.index("install", i + 1) + 1:]
    return None


def ghbuild_from_an_index(script: str) -> list[str]:
    """Requirement arguments of any pip install in ``script`` that name the ghbuild
    project without a URL: pip would fetch those from a package index. Local paths
    (``.``, ``-e .``, ``./.ghbuild``) are not requirements and pass."""
    found = []
    for words in _commands(script):
        for arg in _pip_install_args(words) or []:
            if arg.startswith("-"):
                continue
            try:
                # A shell variable stands for a version here ("ghbuild==$VERSION").
                req = Requirement(re.sub(r"\$\{?\w+\}?", "0", arg))
            except InvalidRequirement:
                continue
            if canonicalize_name(req.name) == "ghbuild" and not req.url:
                found.append(arg)
    return found


@pytest.mark.parametrize("script, found", [
    ('"$RUNNER_TEMP/ghbuild/bin/python" -m pip install --quiet "ghbuild==$GHBUILD_VERSION"',
     ["ghbuild==$GHBUILD_VERSION"]),
    ("pip install ghbuild", ["ghbuild"]),
    ("python3 -m venv v && v/bin/pip3 install -U 'GHBuild[lint]>=0.1'", ["GHBuild[lint]>=0.1"]),
    ("pipx install ghbuild", ["ghbuild"]),
    ("uv pip install --system \\\n  ghbuild", ["ghbuild"]),
    ("pip install requests ghbuild_ ", []),
    ('python -m pip install --disable-pip-version-check -e ".[test,lint]"', []),
    ("pip install ./.ghbuild", []),
    ("pip install 'ghbuild @ file:///src/ghbuild'", []),
    ("pip install ghbuild-docs", []),
    ("pip install 'ghbuild==${V}'", ["ghbuild==${V}"]),
    ("ghbuild merge --platforms x", []),
])
def test_the_index_install_check_finds_what_it_should(script, found):
    assert ghbuild_from_an_index(script) == found


@pytest.mark.parametrize("path", ALL + ACTIONS, ids=ids(ALL + ACTIONS))
def test_ghbuild_is_never_installed_from_a_package_index(path):
    doc = load(path)
    scripts = [(job, step) for job, step in steps(doc)]
    scripts += [("runs", step) for step in (doc.get("runs") or {}).get("steps", [])]
    assert scripts, f"{path.name}: no steps found"
    for job, step in scripts:
        bad = ghbuild_from_an_index(str(step.get("run", "")))
        assert not bad, f"{path.name}: job {job} installs {bad} from a package index"


def _run_scripts(path: Path) -> list[tuple[str, dict]]:
    doc = load(path)
    found = steps(doc) if "jobs" in doc else [
        ("action", step) for step in (doc.get("runs") or {}).get("steps", []) or []]
    return [(name, step) for name, step in found if "run" in step]


@pytest.mark.parametrize("path", ALL + ACTIONS, ids=ids(ALL + ACTIONS))
def test_no_step_pipes_into_ghbuild(path):
    # The runner signals only a step's entry process on a cancel: ghbuild must be that
    # process (exec), so its password comes from a here-string, never through a pipe.
    for name, step in _run_scripts(path):
        script = re.sub(r"\\\n", " ", step["run"])
        assert not re.search(r"\|\s*(exec\s+)?ghbuild\b", script), (name, step["run"])
        for line in script.splitlines():
            if re.search(r"\bghbuild\b.*--password-stdin", line):
                assert re.match(r"\s*exec ghbuild\b", line), (name, line)
                assert step.get("shell", "bash") == "bash", name  # <<< is bash's


