#!/usr/bin/env bash
# The main job on the bundled example, from nothing: provision the engine and the
# registry on 127.0.0.1:5000, install ghbuild into .venv, then run `ghbuild run`
# on examples/hello as a runner would for a push to main, twice: the first run
# builds and pushes, the second finds the image in the registry and only retags.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

work=$(mktemp -d)
# A repository of its own for each demo, so the first run really builds.
image="${GHBUILD_TEST_REGISTRY:-127.0.0.1:5000}/demo/hello-$(date +%s)-$$"
trap 'rm -rf "$work"' EXIT
sha=$(git rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567)
cat > "$work/event.json" <<JSON
{"ref": "refs/heads/main", "after": "$sha",
 "repository": {"full_name": "Acme/Hello", "name": "hello", "default_branch": "main",
                "html_url": "https://github.com/Acme/Hello", "description": "ghbuild demo",
                "license": {"spdx_id": "Apache-2.0"}},
 "head_commit": {"id": "$sha", "timestamp": "2026-12-01T10:00:00Z"}}
JSON

run_once() {
  : > "$work/output"; : > "$work/summary"
  env GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main \
    GITHUB_SHA="$sha" GITHUB_REPOSITORY=Acme/Hello GITHUB_REPOSITORY_OWNER=Acme \
    GITHUB_ACTOR=demo GITHUB_WORKSPACE="$root" GITHUB_EVENT_PATH="$work/event.json" \
    GITHUB_OUTPUT="$work/output" GITHUB_STEP_SUMMARY="$work/summary" RUNNER_TEMP="$work" \
    INPUT_IMAGES="$image" \
    INPUT_CONTEXT=examples/hello INPUT_NETWORK=host INPUT_CACHE=registry \
    INPUT_TAGS=$'type=ref,event=branch\ntype=sha' \
    "$venv/bin/python" -m ghbuild run
  echo "--- job summary (GITHUB_STEP_SUMMARY)"; cat "$work/summary"
}

echo "=== first run: build and push"
run_once
echo "=== second run, same commit: the registry has it, no build"
run_once
echo "=== what the registry holds"
"$venv/bin/python" -m ghbuild inspect "$image:main"
