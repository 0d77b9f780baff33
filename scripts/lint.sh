#!/usr/bin/env bash
# Static checks, the same locally and in CI: ruff on the code, and the workflow
# linters on action.yml, the templates and our own workflows.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check ghbuild tests bench
