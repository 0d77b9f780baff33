"""Benchmark: planning many images (``ghbuild matrix`` + the bake definition) with their
registry checks, for 1, 10 and 50 images, against real distribution registries with
token auth, started here on 127.0.0.1.

Setup (not timed): a git repository whose ``.github/ghbuild.yml`` names N images, a
second commit that changes none of them, and in the registry each image's build for
the base commit under its key tag (a tiny image, uploaded once per repository).

Timed, ROUNDS times per N, each with a fresh registry client: ``plan_matrix`` (config,
``git diff``, the per-image decision, and one registry check per unchanged image, run
concurrently) plus the bake definition of all N images. Every image is confirmed
present, so each round makes exactly N checks.

Two scenarios, each on a token-auth registry as hosted registries are (ghcr.io and
Docker Hub hand out tokens even for anonymous pulls): on loopback, and behind relays on
127.0.0.1 that put the registry and its token service ``--latency-ms`` (default 20)
away. The relays and the token service run in processes of their own
(bench/netsim.py), so that only the plan runs in the measuring process. Prints the
median time per N (whole plan, and the checks alone), the ratio 50/1 (the 1-image plan
is the baseline, measured in the same run; target: at most 3), and the peak Python
memory of one plan per N (tracemalloc) with its ratio 50/1 (target: at most 50, i.e.
growing no faster than the number of images). Exit 1 when the remote scenario misses a
target.

Each plan starts with a new client, as ``ghbuild matrix`` does: one image costs three
round trips (the 401, the token, the manifest); 50 cost the same three, because the
client warms up first (one ``/v2/`` look, then one token per twenty repositories) and
sends the 50 checks together.

Measured on the 2-core CI machine (2026-12-03, 4 runs, load average 1.3 to 4.8 from
other jobs): with the registry 20 ms away, 50/1 is 2.3 to 2.9 (it was 4.0 to 5.9 with an
open registry, one token per repository and a relay in this process) and 3.5 once under
heavier load; on loopback it is 6 to 11, where the 1-image plan is 14 to 15 ms and 50
checks cost the registry's and the client's CPU on the same two cores. Memory 50/1 is
4.6 to 13.6. Usage:
``source /tmp/ghbuild-engine/env.sh && python bench/bench_many_images.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.netsim import DelayRelay, TokenService  # noqa: E402
from ghbuild.bake import BakeImage, bake_file  # noqa: E402
from ghbuild.build import BuildInputs, BuildPlan  # noqa: E402
from ghbuild.buildkey import key_tag_name, revision_key  # noqa: E402
from ghbuild.matrix import plan_matrix, registry_check  # noqa: E402
from ghbuild.registry import Credentials, CredentialStore, ImageRef, RegistryClient  # noqa: E402
from tests.e2e.registry_servers import USERS, LocalRegistry  # noqa: E402

SIZES = (1, 10, 50)
PLATFORMS = ("linux/amd64", "linux/arm64")


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def _repo(root: Path, images: list[str]) -> tuple[Path, str]:
    """A checkout with N images; returns it and the base commit (HEAD changes none)."""
    repo = root / f"repo-{len(images)}"
    (repo / ".github").mkdir(parents=True)
    lines = ["images:"]
    for n, image in enumerate(images):
        ctx = repo / "services" / f"svc{n}"
        ctx.mkdir(parents=True)
        (ctx / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
        lines += [f"  - name: {image}", f"    context: services/svc{n}",
                  f"    platforms: [{', '.join(PLATFORMS)}]"]
    (repo / ".github" / "ghbuild.yml").write_text("\n".join(lines) + "\n")
    (repo / "README.md").write_text("1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("2\n")
    _git(repo, "commit", "-qam", "docs only")
    return repo, base


def _index_for(client: RegistryClient, image: str) -> tuple[bytes, str]:
    """A two-platform index of empty images, pushed to ``image`` by digest."""
    ref = ImageRef.parse(image)
    entries = []
    for platform in PLATFORMS:
        os_name, arch = platform.split("/")
        config = json.dumps({"architecture": arch, "os": os_name,
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        client.upload_blob(ref, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                       "size": len(config)}, "layers": []}).encode()
        digest = client.put_manifest(ref.with_digest(
            "sha256:" + hashlib.sha256(manifest).hexdigest()), manifest,
            "application/vnd.oci.image.manifest.v1+json")
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": digest, "size": len(manifest),
                        "platform": {"architecture": arch, "os": os_name}})
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": entries}).encode()
    return body, "sha256:" + hashlib.sha256(body).hexdigest()


def _publish(registry: str, images: list[str], base: str) -> None:
    client = RegistryClient(CredentialStore.static({registry: Credentials("alice",
                                                                          USERS["alice"])}))
    tag = key_tag_name(revision_key(base))
    for image in images:
        body, _ = _index_for(client, image)
        client.put_manifest(ImageRef.parse(image).with_tag(tag), body,
                            "application/vnd.oci.image.index.v1+json")


def _plan(repo: Path, base: str) -> tuple[int, float]:
    """One timed unit: the matrix with its registry checks, then the bake definition.

    Returns the number of confirmed images and the wall time of the checks alone
    (first check started to last check done).
    """
    client = RegistryClient()
    timed = _Timed(registry_check(client))
    try:
        out = plan_matrix(repo, base, check=timed)
    finally:
        client.session.close()
    assert not out.include, f"expected every image confirmed, got builds: {out.include}"
    bake_file([BakeImage(d.image.name, BuildPlan(inputs=BuildInputs(
        context=d.image.context or ".", platforms=tuple(d.image.platforms or ())),
        tags=(f"{d.image.name}:main",))) for d in out.decisions])
    checks = max(e for _, e in timed.spans) - min(s for s, _ in timed.spans)
    return len(out.promote_only), checks


class _Timed:
    """The registry check with the span of each call, its warm-up (shared tokens) too."""

    def __init__(self, check: object) -> None:
        self.check = check
        self.spans: list[tuple[float, float]] = []

    def warm_up(self, images: Sequence[str], base: str) -> None:
        start = time.perf_counter()
        try:
            self.check.warm_up(images, base)  # type: ignore[attr-defined]
        finally:
            self.spans.append((start, time.perf_counter()))

    def __call__(self, image: str, commit: str, platforms: Sequence[str]) -> tuple[bool, str]:
        start = time.perf_counter()
        try:
            return self.check(image, commit, platforms)  # type: ignore[operator]
        finally:
            self.spans.append((start, time.perf_counter()))


Result = tuple[float, float, int]   # median plan seconds, median checks seconds, peak bytes


def _measure(repo: Path, base: str, size: int, rounds: int) -> Result:
    assert _plan(repo, base)[0] == size  # warm-up: imports, the first connection
    times, checks = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        checks.append(_plan(repo, base)[1])
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    _plan(repo, base)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), statistics.median(checks), peak


def _scenario(root: Path, registry: str, reach: str, label: str,
              rounds: int) -> dict[int, Result]:
    """Images published to ``registry`` directly, planned through ``reach`` (the same
    registry, or a relay in front of it)."""
    run = uuid.uuid4().hex[:8]
    results: dict[int, Result] = {}
    for size in SIZES:
        names = [f"public/many-{run}-{size}-{n}" for n in range(size)]
        repo, base = _repo(root / label, [f"{reach}/{name}" for name in names])
        _publish(registry, [f"{registry}/{name}" for name in names], base)
        results[size] = _measure(repo, base, size, rounds)
    return results


def _report(label: str, results: dict[int, Result]) -> tuple[float, float]:
    print(f"\n{label}")
    print(f"{'images':>6}  {'plan s':>8}  {'checks s':>8}  {'peak KiB':>9}  {'KiB/image':>9}")
    for size, (seconds, checks, peak) in results.items():
        print(f"{size:>6}  {seconds:>8.3f}  {checks:>8.3f}  {peak / 1024:>9.0f}  "
              f"{peak / 1024 / size:>9.1f}")
    time_ratio = results[50][0] / results[1][0]
    checks_ratio = results[50][1] / results[1][1]
    mem_ratio = results[50][2] / results[1][2]
    print(f"time 50/1, plan with checks: {time_ratio:.2f} (target <= 3); "
          f"the checks alone: {checks_ratio:.2f}")
    print(f"peak memory 50/1: {mem_ratio:.2f} (target <= 50: no faster than the image count)")
    return time_ratio, mem_ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=20.0,
                        help="round trip added by the relay in the second scenario")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ghbuild-bench-") as tmp, \
            TokenService(dict(USERS), Path(tmp) / "auth") as tokens:
        # The remote registry's token service is as far away as the registry itself.
        token_addr = tokens.auth["token"]["realm"].split("/")[2]
        with DelayRelay(token_addr, args.latency_ms / 1000) as far_tokens:
            far_auth = {"token": {**tokens.auth["token"], "realm": tokens.auth["token"][
                "realm"].replace(token_addr, far_tokens.addr)}}
            near = LocalRegistry(Path(tmp) / "near", tokens.auth).start()
            far = LocalRegistry(Path(tmp) / "far", far_auth).start()
            try:
                direct = _scenario(Path(tmp), near.addr, near.addr, "direct", args.rounds)
                with DelayRelay(far.addr, args.latency_ms / 1000) as relay:
                    remote = _scenario(Path(tmp), far.addr, relay.addr, "remote", args.rounds)
            finally:
                near.stop()
                far.stop()
    _report("token-auth registry on loopback: each check is client and registry CPU on the "
            "same cores", direct)
    ratio, mem = _report(f"token-auth registry and token service {args.latency_ms:g} ms away "
                         "(relays on 127.0.0.1), like a hosted registry", remote)
    return 0 if ratio <= 3 and mem <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
