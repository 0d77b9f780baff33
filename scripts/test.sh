#!/usr/bin/env bash
# Set up everything the tests need and run them all: the real engine and registry
# (scripts/provision-engine.sh), a virtualenv with the package and its test tools,
# then lint (scripts/lint.sh: ruff, shellcheck, workflow linters, mypy) and pytest. A
# skipped end-to-end test counts as a failure here.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh "test,lint,e2e"

bash scripts/lint.sh
export GHBUILD_REQUIRE_E2E=1
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
if [ "$rc" -eq 5 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$rc"
