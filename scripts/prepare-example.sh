#!/usr/bin/env bash
# Put a static busybox into each bundled example's build context: these machines
# pull no base images, so the examples start FROM scratch and bring their own shell.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${BUSYBOX:-/bin/busybox}
if [ ! -x "$src" ]; then
  echo "prepare-example: $src not found; install Debian's busybox-static" >&2
  exit 1
fi
# Examples with one context per image (examples/monorepo) have their Dockerfiles a
# level deeper.
for dir in "$here"/examples/*/ "$here"/examples/*/*/; do
  if grep -qs '^COPY busybox ' "$dir/Dockerfile"; then cp "$src" "$dir/busybox"; fi
done
