"""Benchmark: registry checks by ghbuild's client against ``skopeo inspect``, same run.

Against a real distribution registry with token auth (started here on 127.0.0.1, as in
the e2e tests) holding N public images, each in its own repository, it measures:

* ghbuild, one image: HTTP requests and time per check, cold (a new client: no
  challenge, token or connection yet, as every ``ghbuild run`` starts) and warm;
* ghbuild, N images by ``check_many`` (one ``/v2/`` look, one token per twenty
  repositories, then the checks in a pool of ``--workers``), cold and warm;
* the floor: the same N GETs by bare ``http.client`` on connections opened, and with
  tokens fetched, beforehand — what this registry on this machine allows any client;
* skopeo, the same single and N checks (``skopeo inspect --raw``, one process each,
  run concurrently by the same pool size).

Three scenarios: loopback, and the registry and its token service each behind a relay
adding a round trip (``--rtt-ms``), as a hosted registry is. The relays and the token
service run in processes of their own (bench/netsim.py) so that only the client runs
in the measuring process. It prints the medians and the ratios: ghbuild N / 1, cold and
warm (target at most 3); the floor's N / 1; ghbuild / floor; skopeo / ghbuild (target
above 1); and requests per image (target at most 2 once a token is held).

Measured on the 2-core CI machine (2026-12-03, 4 runs, load average 1.3 to 9 from other
jobs): requests per image 1.00 warm and 1.08 cold (one ``/v2/`` look and three tokens for
50 repositories); skopeo is 4.8 to 9.8x slower per check with 50 in flight and 4.1 to
11x for one image. The 3x target, 50 images against one:

* cold, what every ``ghbuild run`` and ``ghbuild matrix`` pays: met with the registry
  20 ms away (2.4 to 2.6x) and 50 ms away (1.6 to 1.8x); missed on loopback (9 to 12x);
* warm: met at 50 ms (2.1 to 2.9x), missed at 20 ms (4.0 to 4.2x) and on loopback (45 to
  58x). The floor misses the same way (20 ms: 3.6 to 4.7x, loopback 45 to 61x): the
  registry on these two cores spends about 1.5 ms of CPU per manifest GET (measured
  from /proc during the run), so 50 answers take longer than a 20 ms round trip
  whatever the client. ghbuild's warm 50 is 0.9 to 1.9x the floor's.

Usage: ``source /tmp/ghbuild-engine/env.sh && python bench/bench_registry.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.netsim import DelayRelay, TokenService  # noqa: E402
from ghbuild.registry import Credentials, CredentialStore, ImageRef, RegistryClient  # noqa: E402
from ghbuild.registry.client import ACCEPT  # noqa: E402
from ghbuild.registry.presence import State  # noqa: E402
from tests.e2e.registry_servers import USERS, LocalRegistry, seed_image  # noqa: E402


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(fn: Callable[[], object], rounds: int) -> float:
    return statistics.median(_timed(fn) for _ in range(rounds))


def _check_all(client: RegistryClient, refs: list[ImageRef], workers: int) -> None:
    # one image: a plain check, no pool around it; many: the warm-up, then the pool
    answers = client.check_many(refs, workers=workers)
    bad = [a for a in answers if a.state is not State.PRESENT]
    if bad:
        raise SystemExit(f"benchmark check failed: {bad[0].reason}")


def _skopeo(ref: ImageRef) -> None:
    done = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                           f"docker://{ref}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"skopeo inspect {ref} failed: {done.stderr.strip()[:300]}")


def _skopeo_all(refs: list[ImageRef], workers: int) -> None:
    if len(refs) == 1:
        _skopeo(refs[0])
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_skopeo, refs))


class _Floor:
    """The least any client could take: one GET per image on a connection opened and a
    token fetched beforehand, with http.client and nothing else, in threads like ours.
    What is left between this and ghbuild is ghbuild's own cost per check."""

    def __init__(self, client: RegistryClient, refs: list[ImageRef]) -> None:
        self.jobs = []
        for ref in refs:
            token = client._tokens.get(ref.api_host, f"repository:{ref.repository}:pull")
            host, port = ref.api_host.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            headers = {"Accept": ACCEPT, "Authorization": f"Bearer {token}"}
            self.jobs.append((conn, f"/v2/{ref.repository}/manifests/{ref.tag}", headers))

    @staticmethod
    def _get(job: tuple[http.client.HTTPConnection, str, dict[str, str]]) -> None:
        conn, path, headers = job
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"floor GET {path}: HTTP {resp.status}")

    def run(self, count: int, workers: int) -> None:
        if count == 1:
            self._get(self.jobs[0])
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(self._get, self.jobs[:count]))

    def close(self) -> None:
        for conn, _, _ in self.jobs:
            conn.close()


def _seed(addr: str, count: int) -> list[ImageRef]:
    writer = RegistryClient(CredentialStore.static({addr: Credentials("alice",
                                                                      USERS["alice"])}))
    refs = []
    for i in range(count):
        repo = ImageRef.parse(f"{addr}/public/bench-{i}")
        seed_image(writer, repo, "v1")
        refs.append(repo.with_tag("v1"))
    return refs


def measure(refs: list[ImageRef], rounds: int, workers: int) -> dict[str, float]:
    one = refs[:1]
    out: dict[str, float] = {}

    cold_one = RegistryClient()
    out["ghbuild_1_cold_s"] = _timed(lambda: _check_all(cold_one, one, 1))
    out["ghbuild_1_cold_requests"] = cold_one.requests_made
    before = cold_one.requests_made
    out["ghbuild_1_warm_s"] = _median(lambda: _check_all(cold_one, one, 1), rounds)
    out["ghbuild_1_warm_requests"] = (cold_one.requests_made - before) / rounds

    cold_many = RegistryClient()
    out["ghbuild_n_cold_s"] = _timed(lambda: _check_all(cold_many, refs, workers))
    out["ghbuild_n_cold_requests_per_image"] = cold_many.requests_made / len(refs)
    before = cold_many.requests_made
    out["ghbuild_n_warm_s"] = _median(lambda: _check_all(cold_many, refs, workers), rounds)
    out["ghbuild_n_warm_requests_per_image"] = (cold_many.requests_made - before) / (
        rounds * len(refs))

    floor = _Floor(cold_many, refs)
    try:
        floor.run(len(refs), workers)  # connect every connection outside the timing
        out["floor_1_s"] = _median(lambda: floor.run(1, 1), rounds)
        out["floor_n_s"] = _median(lambda: floor.run(len(refs), workers), rounds)
    finally:
        floor.close()

    out["skopeo_1_s"] = _median(lambda: _skopeo_all(one, 1), rounds)
    out["skopeo_n_s"] = _median(lambda: _skopeo_all(refs, workers), rounds)
    return out


def _scenario(workdir: Path, auth: dict, rtt: float, args: argparse.Namespace
              ) -> dict[str, float]:
    """A registry of its own, seeded, measured directly or (``rtt`` > 0) through a relay,
    its token service behind a relay of the same latency, as a hosted one is."""
    with contextlib.ExitStack() as stack:
        if rtt:
            realm = auth["token"]["realm"]
            host = realm.split("/")[2]
            far_tokens = stack.enter_context(DelayRelay(host, rtt))
            auth = {"token": {**auth["token"], "realm": realm.replace(host, far_tokens.addr)}}
        reg = LocalRegistry(workdir, auth).start()
        stack.callback(reg.stop)
        refs = _seed(reg.addr, args.images)
        if rtt:
            relay = stack.enter_context(DelayRelay(reg.addr, rtt))
            refs = [ImageRef.parse(f"{relay.addr}/{r.repository}:{r.tag}") for r in refs]
        return measure(refs, args.rounds, args.workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--rtt-ms", default="20,50",
                        help="round trips (ms, comma-separated) the relays add, one "
                             "scenario each")
    args = parser.parse_args(argv)
    if not shutil.which("skopeo") or not shutil.which("docker-registry"):
        print("needs skopeo and docker-registry (scripts/provision-engine.sh installs them)",
              file=sys.stderr)
        return 2

    results = []
    with tempfile.TemporaryDirectory(prefix="ghbuild-bench-") as tmp, \
            TokenService(dict(USERS), Path(tmp) / "auth") as tokens:
        results.append(("loopback, no added latency",
                        _scenario(Path(tmp) / "near", tokens.auth, 0.0, args)))
        for rtt in [float(x) for x in args.rtt_ms.split(",") if x.strip()]:
            title = f"registry and token service {rtt:g} ms away (relays on 127.0.0.1)"
            results.append((title, _scenario(Path(tmp) / f"far-{rtt:g}", tokens.auth,
                                             rtt / 1000, args)))
    for title, result in results:
        _report(result, args.images, title)
    return 0


def _report(r: dict[str, float], n: int, title: str) -> None:
    print(f"== {title}: token-auth registry, {n} images in {n} repositories")
    print(f"  ghbuild 1 image   cold {r['ghbuild_1_cold_s'] * 1000:8.1f} ms "
          f"({r['ghbuild_1_cold_requests']:.0f} requests)   warm "
          f"{r['ghbuild_1_warm_s'] * 1000:8.1f} ms ({r['ghbuild_1_warm_requests']:.1f} requests)")
    print(f"  ghbuild {n} images cold {r['ghbuild_n_cold_s'] * 1000:8.1f} ms "
          f"({r['ghbuild_n_cold_requests_per_image']:.2f} req/image)  warm "
          f"{r['ghbuild_n_warm_s'] * 1000:8.1f} ms "
          f"({r['ghbuild_n_warm_requests_per_image']:.2f} req/image)")
    print(f"  floor   1 image        {r['floor_1_s'] * 1000:8.1f} ms   (bare http.client, "
          "connection and token held)")
    print(f"  floor   {n} images       {r['floor_n_s'] * 1000:8.1f} ms")
    print(f"  skopeo  1 image        {r['skopeo_1_s'] * 1000:8.1f} ms")
    print(f"  skopeo  {n} images       {r['skopeo_n_s'] * 1000:8.1f} ms")
    scale = r["ghbuild_n_warm_s"] / r["ghbuild_1_warm_s"]
    scale_cold = r["ghbuild_n_cold_s"] / r["ghbuild_1_cold_s"]
    per_check = r["skopeo_n_s"] / r["ghbuild_n_warm_s"]
    single = r["skopeo_1_s"] / r["ghbuild_1_warm_s"]
    print("  ratios")
    print(f"    ghbuild {n} images / 1 image, warm: {scale:6.2f}x   (target <= 3)")
    print(f"    ghbuild {n} images / 1 image, cold: {scale_cold:6.2f}x")
    floor = r["floor_n_s"] / r["floor_1_s"]
    ours = r["ghbuild_n_warm_s"] / r["floor_n_s"]
    print(f"    floor   {n} images / 1 image:       {floor:6.2f}x   (what this registry "
          "and machine allow)")
    print(f"    ghbuild / floor, {n} images, warm:  {ours:6.2f}x   (ghbuild's own cost)")
    print(f"    skopeo / ghbuild, {n} concurrent:   {per_check:6.1f}x   (target > 1)")
    print(f"    skopeo / ghbuild, one image:       {single:6.1f}x")
    print(f"    ghbuild requests per image: warm {r['ghbuild_n_warm_requests_per_image']:.2f} "
          f"(target <= 2), cold {r['ghbuild_n_cold_requests_per_image']:.2f}")
    verdict = {name: "met" if ratio <= 3 else "missed"
               for name, ratio in (("cold", scale_cold), ("warm", scale), ("floor", floor))}
    print(f"  3x target: ghbuild cold {verdict['cold']}, warm {verdict['warm']}; the floor "
          f"{verdict['floor']} (where the floor misses, no client meets it on this machine)")


if __name__ == "__main__":
    sys.exit(main())
