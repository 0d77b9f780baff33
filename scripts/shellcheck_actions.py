"""ShellCheck on the ``run:`` scripts of our composite actions (action.yml, setup/).

actionlint runs ShellCheck on the scripts of workflows only, not of action metadata
files, so this does the same for those: each bash step's script goes to ShellCheck as
its own file, and every finding is printed as ``action-file:line:col: ...`` at the
script's line in the YAML. Exit status: 0 when ShellCheck finds nothing.

Usage: python scripts/shellcheck_actions.py action.yml setup/action.yml
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

# shellcheck --format=gcc: "<file>:<line>:<col>: <level>: <message> [SCxxxx]"
_FINDING = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")


def bash_scripts(path: Path) -> list[tuple[int, str]]:
    """(first line of the script in the file, 1-based; script) for each bash step."""
    text = path.read_text(encoding="utf-8")
    doc = YAML(typ="rt").load(text)
    lines = text.splitlines()
    found = []
    for step in (doc.get("runs") or {}).get("steps") or []:
        if "run" not in step or step.get("shell") != "bash":
            continue
        line, _ = step.lc.value("run")
        head = lines[line].split(" #")[0].rstrip()
        # A block scalar (`run: |`) starts on the next line; a one-line script on this one.
        first = line + 2 if head.endswith(("|", ">", "|-", ">-")) else line + 1
        found.append((first, str(step["run"])))
    return found


def check(path: Path, tmp: Path) -> int:
    problems = 0
    for first, script in bash_scripts(path):
        script_file = tmp / "script.sh"
        script_file.write_text(script, encoding="utf-8")
        done = subprocess.run(["shellcheck", "--shell=bash", "--format=gcc", str(script_file)],
                              capture_output=True, text=True)
        for out in done.stdout.splitlines():
            match = _FINDING.match(out)
            if match:
                line = first + int(match["line"]) - 1
                print(f"{path}:{line}:{match['col']}: {match['rest']}")
                problems += 1
        if done.returncode != 0 and not done.stdout:
            print(f"{path}: shellcheck failed: {done.stderr.strip()}")
            problems += 1
    return problems


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="ghbuild-shellcheck-") as tmp:
        problems = sum(check(Path(arg), Path(tmp)) for arg in argv)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
