"""action.yml against the code that reads its inputs, and its bootstrap script.

The composite action passes every input through ``env:`` as ``INPUT_<NAME>``; ghbuild
reads them with :func:`ghbuild.inputs.env_input`. Nothing checks that the two lists
agree at run time (an unknown ``INPUT_*`` is just never read), so these tests do.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[1]
ACTION = REPO_ROOT / "action.yml"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load_action() -> dict:
    return YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))


def step(action: dict, step_id: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def env_name(input_name: str) -> str:
    return "INPUT_" + input_name.upper().replace("-", "_")


# -- names ghbuild reads -----------------------------------------------------------------
def _first_param(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    args = node.args.posonlyargs + node.args.args
    return args[0].arg if args else None


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _wrappers(tree: ast.AST) -> set[str]:
    """Functions that pass their first parameter on as the input name to env_input,
    directly or through another such function (build.py's ``raw``/``text``/``flag``)."""
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found = {"env_input"}
    changed = True
    while changed:
        changed = False
        for func in funcs:
            param = _first_param(func)
            if func.name in found or param is None:
                continue
            for call in (n for n in ast.walk(func) if isinstance(n, ast.Call)):
                first = call.args[0] if call.args else None
                if _call_name(call) in found and isinstance(first, ast.Name) \
                        and first.id == param:
                    found.add(func.name)
                    changed = True
                    break
    return found


def input_names_read_by_ghbuild() -> dict[str, str]:
    """Every literal input name given to env_input (or a wrapper), with where it is."""
    names: dict[str, str] = {}
    for path in sorted((REPO_ROOT / "ghbuild").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "env_input" not in source or path.name == "inputs.py":
            continue
        tree = ast.parse(source)
        wrappers = _wrappers(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            first = call.args[0] if call.args else None
            if _call_name(call) in wrappers and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                names.setdefault(first.value, f"{path.relative_to(REPO_ROOT)}:{call.lineno}")
    return names


def test_the_scan_finds_inputs_through_wrappers():
    tree = ast.parse(
        "def raw(name, environ=None):\n    return env_input(name, environ)\n"
        "def flag(name):\n    return parse_bool(name, raw(name), False)\n"
        "def other(x):\n    return env_input('fixed')\n")
    assert _wrappers(tree) == {"env_input", "raw", "flag"}


# Read through env_input by code that `ghbuild run` never reaches with that name.
NOT_ACTION_INPUTS = {
    # ghbuild meta only: metadata-action's bake file target (no bake file from the action).
    "bake-target",
}


def test_every_input_ghbuild_reads_is_declared_in_action_yml():
    declared = set(load_action()["inputs"])
    read = input_names_read_by_ghbuild()
    assert read, "found no env_input calls at all: the scan is broken"
    missing = {name: where for name, where in read.items()
               if name not in declared and name not in NOT_ACTION_INPUTS}
    assert not missing, f"read by ghbuild but not an input of action.yml: {missing}"


# Inputs of the action itself, not of `ghbuild run`: read by action.yml's own steps.
ACTION_ONLY_INPUTS = {"github-runtime"}


def run_md_names(section: str) -> set[str]:
    """Names in the first column of docs/run.md's tables under ``## <section>``."""
    text = (REPO_ROOT / "docs" / "run.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in body.splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 2:
            names.update(re.findall(r"`([a-z][a-z0-9-]*)`", cells[1]))
    return names


def test_inputs_mirror_docs_run_md():
    declared = set(load_action()["inputs"])
    documented = run_md_names("Inputs")
    assert documented, "no input table found in docs/run.md"
    assert declared - ACTION_ONLY_INPUTS == documented


def test_outputs_mirror_docs_run_md():
    assert set(load_action()["outputs"]) == run_md_names("Outputs")


def test_every_input_is_passed_to_the_python_step_through_env():
    action = load_action()
    env = step(action, "run")["env"]
    for name in action["inputs"]:
        assert env.get(env_name(name)) == f"${{{{ inputs.{name} }}}}", name
    passed = {key for key in env if key.startswith("INPUT_")}
    assert passed == {env_name(name) for name in action["inputs"]}


def test_no_expression_inside_any_run_script():
    for s in load_action()["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s.get("name")


def test_inputs_document_their_default():
    for name, spec in load_action()["inputs"].items():
        description = " ".join(spec["description"].split())
        assert "default" in spec, name
        assert "Default:" in description, f"input {name!r} does not state its default"


def test_token_and_images_defaults():
    inputs = load_action()["inputs"]
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    # The image default is computed in Python (lowercased owner/repo), not in YAML.
    assert inputs["images"]["default"] == ""
    assert "ghcr.io/<owner>/<repo>" in inputs["images"]["description"]
    assert "lowercased" in inputs["images"]["description"]


def test_outputs_come_from_the_run_step_under_the_same_name():
    outputs = load_action()["outputs"]
    for required in ("version", "tags", "labels", "annotations", "digest", "image",
                     "pushed", "skipped", "metadata"):
        assert required in outputs
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
        assert spec["description"].strip()


def test_branding_and_composite():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert set(action["branding"]) == {"icon", "color"}


def test_steps_install_then_run_ghbuild_from_the_action_path():
    action = load_action()
    setup, run = step(action, "setup"), step(action, "run")
    assert setup["env"]["GHBUILD_ACTION_PATH"] == "${{ github.action_path }}"
    assert "action/bootstrap.py" in setup["run"]
    assert run["env"]["GHBUILD_PYTHON"] == "${{ steps.setup.outputs.python }}"
    # exec: ghbuild is the step's entry process, which the runner signals on a cancel
    assert run["run"].strip().strip("'") == 'exec "$GHBUILD_PYTHON" -m ghbuild run'


def test_runtime_handover_is_scoped_and_pinned():
    action = load_action()
    runtime, run = step(action, "runtime"), step(action, "run")
    assert SHA_PIN.match(runtime["uses"]) and runtime["uses"].startswith(
        "actions/github-script@")
    assert "inputs.github-runtime == 'true'" in runtime["if"]
    assert runtime["with"]["script"].strip() == "require(process.env.GHBUILD_RUNTIME_JS)()"
    for name in ("ACTIONS_RUNTIME_TOKEN", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL"):
        assert f"steps.runtime.outputs.{name.lower()}" in run["env"][name]
    # Only the python step gets them: no other step, and no GITHUB_ENV export anywhere.
    for other in action["runs"]["steps"]:
        if other is not run:
            assert "ACTIONS_RUNTIME_TOKEN" not in other.get("env", {})
    assert "GITHUB_ENV" not in ACTION.read_text() and "exportVariable" not in (
        REPO_ROOT / "action" / "gha-runtime.cjs").read_text()
    # The JavaScript file names the same four outputs the python step maps.
    names = re.findall(r"'(ACTIONS_[A-Z0-9_]+)'", (REPO_ROOT / "action" /
                                                   "gha-runtime.cjs").read_text())
    assert {f"steps.runtime.outputs.{n.lower()}" for n in names} == {
        value.split("||")[0].strip(" ${}") for key, value in run["env"].items()
        if key.startswith("ACTIONS_")}


def test_lines_fit_in_100_columns():
    long = [i for i, line in enumerate(ACTION.read_text().splitlines(), 1) if len(line) > 100]
    assert not long, f"action.yml lines over 100 columns: {long}"


# -- action/bootstrap.py -------------------------------------------------------------------
@pytest.fixture()
def bootstrap():
    spec = importlib.util.spec_from_file_location("ghbuild_bootstrap",
                                                  REPO_ROOT / "action" / "bootstrap.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def fake_action(tmp_path):
    root = tmp_path / "action"
    (root / "ghbuild" / "templates").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'ghbuild'\n")
    (root / "ghbuild" / "__init__.py").write_text('__version__ = "9.8.7"\n')
    (root / "ghbuild" / "cli.py").write_text("x = 1\n")
    (root / "ghbuild" / "templates" / "t.yml").write_text("name: t\n")
    return root


def test_venv_key_names_version_and_python_and_tracks_sources(bootstrap, fake_action):
    key = bootstrap.venv_key(fake_action, (3, 12))
    assert re.fullmatch(r"9\.8\.7-py312-[0-9a-f]{16}", key)
    assert bootstrap.venv_key(fake_action, (3, 12)) == key
    assert bootstrap.venv_key(fake_action, (3, 11)) != key

    (fake_action / "ghbuild" / "__pycache__").mkdir()
    (fake_action / "ghbuild" / "__pycache__" / "cli.cpython-312.pyc").write_bytes(b"\0")
    assert bootstrap.venv_key(fake_action, (3, 12)) == key, "bytecode must not change it"

    (fake_action / "ghbuild" / "cli.py").write_text("x = 2\n")
    changed = bootstrap.venv_key(fake_action, (3, 12))
    assert changed != key
    (fake_action / "pyproject.toml").write_text("[project]\nname = 'ghbuild'\n# dep\n")
    assert bootstrap.venv_key(fake_action, (3, 12)) not in (key, changed)


def test_venv_reused_only_with_the_same_key(bootstrap, tmp_path):
    venv = tmp_path / "venv"
    assert not bootstrap.is_ready(venv, "k1")
    python = bootstrap.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.write_text("")
    (venv / bootstrap.MARKER).write_text("k1\n")
    assert bootstrap.is_ready(venv, "k1")
    assert not bootstrap.is_ready(venv, "k2")


def test_build_tree_copies_symlinked_templates_as_files(bootstrap, fake_action, tmp_path):
    link = fake_action / "ghbuild" / "templates" / "linked.yml"
    (fake_action / "workflows").mkdir()
    (fake_action / "workflows" / "linked.yml").write_text("name: linked\n")
    link.symlink_to("../../workflows/linked.yml")
    out = tmp_path / "build"
    out.mkdir()
    tree = bootstrap._build_tree(fake_action, out)
    copied = tree / "ghbuild" / "templates" / "linked.yml"
    assert not copied.is_symlink() and copied.read_text() == "name: linked\n"
    assert (tree / "pyproject.toml").is_file() and not (tree / "workflows").exists()


@pytest.mark.parametrize("value, ok", [("", True), ("true", True), ("False", True),
                                       ("yes", False), ("1", False)])
def test_github_runtime_flag_is_strict(bootstrap, value, ok):
    if ok:
        bootstrap.check_runtime_flag({"INPUT_GITHUB_RUNTIME": value})
        return
    with pytest.raises(bootstrap.SetupError, match="input 'github-runtime' must be"):
        bootstrap.check_runtime_flag({"INPUT_GITHUB_RUNTIME": value})


def test_bad_flag_fails_setup_before_installing(bootstrap, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bootstrap, "install", lambda *a: pytest.fail("must not install"))
    code = bootstrap.main({"INPUT_GITHUB_RUNTIME": "yes", "RUNNER_TEMP": str(tmp_path)})
    assert code == 2
    assert "::error title=ghbuild setup::input 'github-runtime'" in capsys.readouterr().out


def test_main_reuses_a_ready_venv_and_writes_the_python_output(bootstrap, fake_action,
                                                                tmp_path, monkeypatch):
    monkeypatch.setattr(bootstrap, "install", lambda *a: pytest.fail("must reuse"))
    key = bootstrap.venv_key(fake_action)
    venv = tmp_path / "temp" / "ghbuild" / f"venv-{key}"
    python = bootstrap.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.write_text("")
    (venv / bootstrap.MARKER).write_text(key)
    out = tmp_path / "out"
    code = bootstrap.main({"GHBUILD_ACTION_PATH": str(fake_action),
                           "RUNNER_TEMP": str(tmp_path / "temp"), "GITHUB_OUTPUT": str(out)})
    assert code == 0
    text = out.read_text()
    delim = re.match(r"python<<(ghadelim_[0-9a-f]+)\n", text)
    assert delim and text == f"python<<{delim[1]}\n{python}\n{delim[1]}\n"


def test_shipped_action_has_what_bootstrap_needs():
    assert (REPO_ROOT / "pyproject.toml").is_file()
    assert (REPO_ROOT / "action" / "bootstrap.py").is_file()
    assert (REPO_ROOT / "action" / "gha-runtime.cjs").is_file()


@pytest.mark.parametrize("cmd, hinted", [
    (["python3", "-m", "venv", "/t/ghbuild/venv-1"], True),
    (["/t/ghbuild/venv-1/bin/python", "-m", "pip", "install", "/src"], False),
])
def test_install_failure_is_one_error_line(bootstrap, tmp_path, capsys, monkeypatch, cmd,
                                           hinted):
    import subprocess

    def fail(*args):
        raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(bootstrap, "install", fail)
    monkeypatch.setattr(bootstrap, "venv_key", lambda path: "k")
    assert bootstrap.main({"RUNNER_TEMP": str(tmp_path)}) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error title=ghbuild setup::installing ghbuild failed")
    assert ("python3-venv" in out) is hinted


# -- setup/action.yml: the ghbuild command for a job's own run: steps ---------------------
SETUP = REPO_ROOT / "setup" / "action.yml"


def load_setup() -> dict:
    return YAML(typ="safe").load(SETUP.read_text(encoding="utf-8"))


def test_setup_is_composite_with_python_and_version_outputs():
    setup = load_setup()
    assert setup["runs"]["using"] == "composite"
    assert not setup.get("inputs"), "setup takes no inputs: the reference pins the release"
    outputs = setup["outputs"]
    assert set(outputs) == {"python", "version"}
    assert outputs["python"]["value"] == "${{ steps.install.outputs.python }}"
    assert outputs["version"]["value"] == "${{ steps.path.outputs.version }}"


def test_setup_calls_the_main_actions_bootstrap_from_the_repository_root():
    install = step(load_setup(), "install")
    # github.action_path is setup/; one folder up is the root bootstrap.py builds from.
    assert install["env"]["GHBUILD_ACTION_PATH"] == "${{ github.action_path }}/.."
    assert install["run"].strip() == 'python3 "$GHBUILD_ACTION_PATH/action/bootstrap.py"'
    root = (SETUP.parent / "..").resolve()
    assert (root / "action" / "bootstrap.py").is_file() and (root / "pyproject.toml").is_file()
    # The same bootstrap as action.yml's: one venv per job when both are used.
    assert "action/bootstrap.py" in step(load_action(), "setup")["run"]


def test_setup_puts_only_the_ghbuild_command_on_path():
    path = step(load_setup(), "path")
    script = path["run"]
    assert path["env"]["GHBUILD_PYTHON"] == "${{ steps.install.outputs.python }}"
    written = [line for line in script.splitlines() if "GITHUB_PATH" in line]
    # Not the venv's bin/, whose python3 and pip would shadow the runner's.
    assert written == ['echo "$venv/ghbuild-path" >> "$GITHUB_PATH"']
    assert 'ln -sfn "$(dirname "$GHBUILD_PYTHON")/ghbuild" "$venv/ghbuild-path/ghbuild"' \
        in script
    assert 'echo "version=${version#ghbuild }" >> "$GITHUB_OUTPUT"' in script


def test_setup_scripts_hold_no_expression_and_fit_in_100_columns():
    for s in load_setup()["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s.get("name")
        assert s.get("shell") == "bash", s.get("name")
    long = [i for i, line in enumerate(SETUP.read_text().splitlines(), 1) if len(line) > 100]
    assert not long, f"setup/action.yml lines over 100 columns: {long}"
