#!/usr/bin/env bash
# Provision a real build engine for ghbuild's end-to-end tests: dockerd with the
# containerd image store, the buildx plugin, and the CNCF distribution registry
# on 127.0.0.1:5000. Idempotent: a second call reuses what is running.
#
# Writes $GHBUILD_ENGINE_ROOT/env.sh; `source` it to reach the engine.
# Needs root and Debian's package mirror (the one in the machine's apt sources).
set -euo pipefail
ROOT=${GHBUILD_ENGINE_ROOT:-/tmp/ghbuild-engine}
REGISTRY_ADDR=${GHBUILD_REGISTRY_ADDR:-127.0.0.1:5000}
mkdir -p "$ROOT"/{apt/lists/partial,debs,prefix,run,data,registry}
export DEBIAN_FRONTEND=noninteractive

have() { command -v "$1" >/dev/null 2>&1; }

# 1. Debian 12 packages: the registry, runc, busybox for FROM-scratch images, skopeo for
#    the registry benchmark, git, and node (act runs JavaScript actions with it).
if ! have docker-registry || ! have runc || [ ! -x /bin/busybox ] || ! have skopeo \
   || ! have git || ! have node; then
  apt-get update -qq
  pkgs=(docker-registry runc busybox-static skopeo git)
  have node || pkgs+=(nodejs)
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

# 2. A newer engine and buildx from the next Debian release, unpacked privately.
#    The mirror is read from the machine's own apt sources.
if [ ! -x "$ROOT/prefix/usr/sbin/dockerd" ] && [ ! -x "$ROOT/prefix/usr/bin/dockerd" ]; then
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  echo "deb $uri trixie main" > "$ROOT/apt/sources.list"
  o=(-oDir::Etc::SourceList="$ROOT/apt/sources.list" -oDir::Etc::SourceParts=/dev/null
     -oDir::State::Lists="$ROOT/apt/lists")
  apt-get "${o[@]}" update -qq
  (cd "$ROOT/debs" && apt-get "${o[@]}" download docker.io containerd docker-buildx docker-cli 2>&1 \
     | grep -v unsandboxed || true)
  for f in "$ROOT"/debs/*.deb; do dpkg -x "$f" "$ROOT/prefix"; done
fi
mkdir -p "$ROOT/dockercfg/cli-plugins"
plugin="$ROOT/dockercfg/cli-plugins/docker-buildx"
if ! cmp -s "$ROOT/prefix/usr/libexec/docker/cli-plugins/docker-buildx" "$plugin"; then
  # Copy then rename: a running buildx keeps its old file ("text file busy" otherwise).
  cp "$ROOT/prefix/usr/libexec/docker/cli-plugins/docker-buildx" "$plugin.new"
  mv -f "$plugin.new" "$plugin"
fi
[ -f "$ROOT/dockercfg/config.json" ] || echo '{}' > "$ROOT/dockercfg/config.json"

# 3. dockerd: containerd image store (cache export, multi-platform), no bridge, no iptables.
cat > "$ROOT/daemon.json" <<JSON
{"features": {"containerd-snapshotter": true}, "bridge": "none", "iptables": false,
 "ip6tables": false, "ip-masq": false}
JSON
export PATH="$ROOT/prefix/usr/bin:$ROOT/prefix/usr/sbin:$PATH"
export DOCKER_HOST="unix://$ROOT/run/docker.sock" DOCKER_CONFIG="$ROOT/dockercfg"
if ! docker version >/dev/null 2>&1; then
  setsid dockerd --config-file "$ROOT/daemon.json" --host "$DOCKER_HOST" \
    --data-root "$ROOT/data" --exec-root "$ROOT/run/exec" --pidfile "$ROOT/run/dockerd.pid" \
    >"$ROOT/dockerd.log" 2>&1 < /dev/null &
fi

# 4. The registry on loopback, deletes enabled so tests can clean up.
cat > "$ROOT/registry/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ROOT/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YML
if ! curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
  setsid docker-registry serve "$ROOT/registry/config.yml" >"$ROOT/registry.log" 2>&1 < /dev/null &
  echo $! > "$ROOT/run/registry.pid"
fi

for _ in $(seq 1 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
for _ in $(seq 1 60); do curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break; sleep 0.5; done
docker version --format 'engine {{.Server.Version}}' >&2
docker buildx version >&2
curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null && echo "registry up on $REGISTRY_ADDR" >&2

cat > "$ROOT/env.sh" <<ENV
export PATH="$ROOT/prefix/usr/bin:$ROOT/prefix/usr/sbin:\$PATH"
export DOCKER_HOST="$DOCKER_HOST"
export DOCKER_CONFIG="$DOCKER_CONFIG"
export GHBUILD_TEST_REGISTRY="$REGISTRY_ADDR"
ENV
echo "$ROOT/env.sh"
