"""Install ghbuild for the composite action: a venv under ``RUNNER_TEMP``, reused.

Run by ``action.yml`` and ``setup/action.yml`` with the runner's own ``python3`` before
ghbuild exists, so it uses the standard library only. The venv is keyed on the package version, the
interpreter version and a hash of ``pyproject.toml`` plus the package sources: a second
ghbuild step in the same job (or a self-hosted runner that keeps ``RUNNER_TEMP``)
reuses it, while a checkout with changed code but the same version number (``uses: ./``
in development) gets a fresh one instead of stale code.

The package is built from a copy of the action's files, so pip's build directories
never appear in the action's folder (for ``uses: ./`` that folder is the user's
workspace). Writes ``python=<venv python>`` to ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

MIN_PYTHON = (3, 10)
MARKER = ".ghbuild-venv-key"
# What the package build reads: changing any of these changes the key.
SOURCE_SUFFIXES = (".py", ".json", ".yml", ".yaml", ".cjs", ".typed")
BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE")


class SetupError(Exception):
    pass


def package_version(action_path: Path) -> str:
    text = (action_path / "ghbuild" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    if not match:
        raise SetupError(f"{action_path}/ghbuild/__init__.py: no __version__ found")
    return match.group(1)


def _source_files(action_path: Path) -> Iterator[Path]:
    yield action_path / "pyproject.toml"
    for path in sorted((action_path / "ghbuild").rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and path.is_file() and "__pycache__" not in \
                path.parts:
            yield path


def venv_key(action_path: Path, python: tuple[int, int] | None = None) -> str:
    """``<version>-py<major><minor>-<16 hex digits of the sources' hash>``."""
    major, minor = python or sys.version_info[:2]
    digest = hashlib.sha256()
    for path in _source_files(action_path):
        digest.update(path.relative_to(action_path).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{package_version(action_path)}-py{major}{minor}-{digest.hexdigest()[:16]}"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def is_ready(venv: Path, key: str) -> bool:
    marker = venv / MARKER
    return venv_python(venv).exists() and marker.is_file() and \
        marker.read_text(encoding="utf-8").strip() == key


def _build_tree(action_path: Path, into: Path) -> Path:
    """A copy of what the build needs; the templates' symlinks become plain files."""
    tree = into / "src"
    tree.mkdir()
    for name in BUILD_FILES:
        if (action_path / name).is_file():
            shutil.copy2(action_path / name, tree / name)
    shutil.copytree(action_path / "ghbuild", tree / "ghbuild", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return tree


def install(action_path: Path, venv: Path, key: str) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    with tempfile.TemporaryDirectory(prefix="ghbuild-build-") as tmp:
        tree = _build_tree(action_path, Path(tmp))
        subprocess.run([str(venv_python(venv)), "-m", "pip", "install", "--quiet",
                        "--no-input", "--disable-pip-version-check", str(tree)], check=True)
    (venv / MARKER).write_text(key + "\n", encoding="utf-8")


def check_runtime_flag(environ: Mapping[str, str]) -> None:
    # The input is read by action.yml's step condition; a typo there would silently
    # count as "false", so the value is checked here, where it can fail the step.
    raw = environ.get("INPUT_GITHUB_RUNTIME", "").strip().lower()
    if raw not in ("", "true", "false"):
        raise SetupError(f"input 'github-runtime' must be 'true' or 'false', got {raw!r}")


def write_output(name: str, value: str, environ: Mapping[str, str]) -> None:
    path = environ.get("GITHUB_OUTPUT", "")
    if not path:
        print(f"{name}={value}")
        return
    delim = f"ghadelim_{uuid.uuid4().hex}"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def main(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    try:
        if sys.version_info[:2] < MIN_PYTHON:
            raise SetupError(f"ghbuild needs Python {'.'.join(map(str, MIN_PYTHON))} or "
                             f"newer; this runner's python3 is {sys.version.split()[0]}")
        check_runtime_flag(env)
        action_path = Path(env.get("GHBUILD_ACTION_PATH") or Path(__file__).parents[1])
        temp = env.get("RUNNER_TEMP") or tempfile.gettempdir()
        key = venv_key(action_path)
        venv = Path(temp) / "ghbuild" / f"venv-{key}"
        if is_ready(venv, key):
            print(f"ghbuild {key}: reusing {venv}", file=sys.stderr)
        else:
            print(f"ghbuild {key}: installing into {venv}", file=sys.stderr)
            install(action_path, venv, key)
        write_output("python", str(venv_python(venv)), env)
        return 0
    except SetupError as exc:
        print(f"::error title=ghbuild setup::{exc}")
        return 2
    except subprocess.CalledProcessError as exc:
        # The usual cause on a self-hosted Debian or Ubuntu runner: no venv module.
        making_venv = list(exc.cmd)[1:3] == ["-m", "venv"]
        hint = " (is python3-venv installed?)" if making_venv else ""
        print(f"::error title=ghbuild setup::installing ghbuild failed: {exc}{hint}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
