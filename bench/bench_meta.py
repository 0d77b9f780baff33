"""Whole-process time of ``python -m ghbuild meta`` for a typical tag set.

Prints the median wall time of each command over N runs and the ratio of ``ghbuild
meta`` to two baselines measured in the same run on the same machine: a bare
interpreter (``python -c pass``) and another small stdlib command-line tool
(``python -m json.tool``). Ratios, not absolute times, are what compare across
machines. It also lists any heavy module (HTTP, YAML, schema, arrow, packaging) that
the command imported, which should be none.

    python bench/bench_meta.py [--runs 21]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("requests", "urllib3", "yaml", "ruamel", "jsonschema", "arrow", "packaging")

TAGS = "\n".join([
    "type=schedule", "type=ref,event=branch", "type=ref,event=pr",
    "type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}",
    "type=semver,pattern={{major}}", "type=sha",
    "type=raw,value=latest,enable={{is_default_branch}}",
])


def _environment(workdir: Path) -> dict[str, str]:
    payload = workdir / "event.json"
    payload.write_text(json.dumps({
        "ref": "refs/tags/v1.4.2", "head_commit": {
            "id": "860c1904a1ce19322e91ac35af1ab07466440c37",
            "timestamp": "2024-03-31T23:30:00Z"},
        "repository": {"name": "widget", "default_branch": "main",
                       "html_url": "https://github.com/acme/widget",
                       "description": "A widget", "license": {"spdx_id": "MIT"}}}))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "DOCKER_METADATA_"))}
    env.update({
        "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.4.2",
        "GITHUB_SHA": "860c1904a1ce19322e91ac35af1ab07466440c37",
        "GITHUB_REPOSITORY": "acme/widget", "GITHUB_EVENT_PATH": str(payload),
        "SOURCE_DATE_EPOCH": "1711927800",
        "INPUT_IMAGES": "ghcr.io/acme/widget\ndocker.io/acme/widget",
        "INPUT_TAGS": TAGS, "INPUT_LABELS": "org.opencontainers.image.vendor=Acme",
    })
    return env


def _median_seconds(argv: list[str], env: dict[str, str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def _heavy_imports(env: dict[str, str], cwd: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "ghbuild", "meta"],
                          env=env, cwd=cwd, capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = _environment(work)
        (work / "small.json").write_text('{"a": [1, 2, 3]}')
        meta = _median_seconds([sys.executable, "-m", "ghbuild", "meta"], env, args.runs, work)
        bare = _median_seconds([sys.executable, "-c", "pass"], env, args.runs, work)
        jtool = _median_seconds([sys.executable, "-m", "json.tool", "small.json"], env,
                                args.runs, work)
        heavy = _heavy_imports(env, work)
    print(f"runs per command: {args.runs} (median wall time)")
    print(f"python -c pass          {bare * 1000:7.1f} ms")
    print(f"python -m json.tool     {jtool * 1000:7.1f} ms")
    print(f"python -m ghbuild meta  {meta * 1000:7.1f} ms")
    print(f"ratio meta / bare interpreter: {meta / bare:.2f}")
    print(f"ratio meta / json.tool:        {meta / jtool:.2f}")
    print(f"meta minus interpreter start:  {(meta - bare) * 1000:.1f} ms")
    print("heavy modules imported: " + (", ".join(heavy) if heavy else "none"))
    return 1 if heavy else 0


if __name__ == "__main__":
    raise SystemExit(main())
