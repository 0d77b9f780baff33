# Sourced by scripts/demo.sh and scripts/test.sh: start the engine and the registry,
# put busybox into the examples, and install ghbuild (with the extras in $1, if any)
# into a virtualenv whose bin/ goes first on PATH. Sets $root and $venv.
# shellcheck shell=bash
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${GHBUILD_VENV:-$root/.venv}
extras=${1:+[$1]}

bash "$root/scripts/provision-engine.sh" >/dev/null
bash "$root/scripts/prepare-example.sh"
# shellcheck disable=SC1091
source "${GHBUILD_ENGINE_ROOT:-/tmp/ghbuild-engine}/env.sh"

if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root$extras" \
  >"$venv/install.log" 2>&1 || { cat "$venv/install.log" >&2; exit 1; }
export PATH="$venv/bin:$PATH"
