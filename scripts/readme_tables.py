"""Regenerate the README's input and output tables from action.yml.

Run `python scripts/readme_tables.py` after changing action.yml; tests/test_readme.py
fails when the README and action.yml disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- action-tables:begin -->", "<!-- action-tables:end -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def tables(action: dict) -> str:
    rows = ["| input | default | description |", "| --- | --- | --- |"]
    for name, spec in action["inputs"].items():
        default = spec.get("default", "")
        shown = f"`{default}`" if default not in ("", None) else ""
        rows.append(f"| `{name}` | {_cell(shown)} | {_cell(spec.get('description', ''))} |")
    rows += ["", "| output | description |", "| --- | --- |"]
    for name, spec in action["outputs"].items():
        rows.append(f"| `{name}` | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows)


def render(readme: str, action: dict) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables(action)}\n{END}{tail}"


def main() -> int:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    path = ROOT / "README.md"
    path.write_text(render(path.read_text(encoding="utf-8"), action), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
