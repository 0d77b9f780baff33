"""Helpers for the ``ghbuild run`` end-to-end tests (tests/e2e/test_run_*.py).

``ghbuild run`` runs in-process with the real process runner wrapped by one that
records every command, so a test can prove what did or did not run (no
``docker login`` on a pull request, no ``buildx build`` on a retag). Everything it
starts is real: buildx, dockerd, docker login, the registry on 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from ghbuild import buildkey, cli, proc

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"])


@dataclass
class Call:
    argv: list[str]
    env_keys: list[str]
    stdin: str | None


class RecordingRunner(proc.Runner):
    """The real runner, keeping a record of each command (argv, env names, stdin)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.envs: list[dict[str, str]] = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):  # type: ignore[override]
        self.calls.append(Call(list(argv), sorted(env or {}), stdin))
        self.envs.append(dict(env or {}))
        return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)

    def stream(self, argv, *, env=None, cwd=None, on_line=None):  # type: ignore[override]
        self.calls.append(Call(list(argv), sorted(env or {}), None))
        self.envs.append(dict(env or {}))
        return super().stream(argv, env=env, cwd=cwd, on_line=on_line)

    def commands(self, *prefix: str) -> list[Call]:
        return [c for c in self.calls if c.argv[:len(prefix)] == list(prefix)]


@dataclass
class RunResult:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    calls: RecordingRunner
    runner_temp: Path = field(default_factory=Path)


def new_sha() -> str:
    return secrets.token_hex(20)


def forget_images_fixture(*paths: str) -> Any:
    """An autouse fixture for a test module: after each test the engine forgets the images
    it kept of ``registry/unique_repo`` (or of each ``registry/unique_repo<path>``)."""
    @pytest.fixture(autouse=True)
    def _forget_images(engine_env, registry, unique_repo):
        yield
        for path in paths or ("",):
            forget_local_images(f"{registry}/{unique_repo}{path}", engine_env)
    return _forget_images


def main_push_env(tmp_path: Path) -> dict[str, str]:
    """The runner variables of a push to main of acme/widget, on a new commit."""
    payload = {"repository": {"full_name": "acme/widget", "default_branch": "main"}}
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
            "GITHUB_SHA": new_sha(), "GITHUB_REPOSITORY": "acme/widget",
            "GITHUB_EVENT_PATH": str(write_payload(tmp_path, payload))}


# The repository object of the Acme/Widget payloads (mixed case: names must be lowercased).
REPO_PAYLOAD = {"full_name": "Acme/Widget", "default_branch": "main",
                "html_url": "https://github.com/Acme/Widget"}


def hello_env(tmp_path: Path, image: str, sha: str, ref: str, payload: dict[str, Any],
              event: str = "push") -> dict[str, str]:
    """The runner variables of an Acme/Widget ``event`` with ``payload``, and the inputs
    that build examples/hello into ``image`` with a registry cache at a pinned time."""
    return {"GITHUB_EVENT_NAME": event, "GITHUB_REF": ref, "GITHUB_SHA": sha,
            "GITHUB_REPOSITORY": "Acme/Widget", "GITHUB_REPOSITORY_OWNER": "Acme",
            "GITHUB_EVENT_PATH": str(write_payload(tmp_path, payload)),
            "SOURCE_DATE_EPOCH": "1764000000", "INPUT_IMAGES": image,
            "INPUT_CONTEXT": "examples/hello", "INPUT_CACHE": "registry"}


def hello_key(sha: str, **settings: Any) -> str:
    """The revision key of a build of hello_env's context (examples/hello): a context
    other than the workspace is part of the key, so it is ``rev-<sha>-<12 hex>``."""
    return buildkey.revision_key(sha, buildkey.BuildSettings(context="examples/hello",
                                                             **settings))


def prepare_examples() -> None:
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "prepare-example.sh")], check=True)


def workspace(tmp_path: Path, example: str = "hello") -> Path:
    """A workspace holding a copy of examples/<example> (busybox included)."""
    ws = tmp_path / "ws"
    shutil.copytree(REPO_ROOT / "examples" / example, ws / "examples" / example)
    return ws


def write_payload(tmp_path: Path, payload: dict[str, Any]) -> Path:
    path = tmp_path / f"event-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(payload))
    return path


def parse_outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:j])
            i = j + 1
        else:
            i += 1
    return out


def run_ghbuild(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                tmp_path: Path, ws: Path, engine_env: dict[str, str], env: dict[str, str],
                argv: tuple[str, ...] = ()) -> RunResult:
    """``ghbuild run`` in ``ws`` with the engine's environment plus ``env``."""
    name = secrets.token_hex(4)
    out_file, summary_file = tmp_path / f"out-{name}", tmp_path / f"summary-{name}"
    runner_temp = tmp_path / f"runner-temp-{name}"
    runner_temp.mkdir()
    base = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws),
            "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary_file),
            "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTOR": "octocat",
            "INPUT_NETWORK": "host"}
    for key in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG"):
        if key in engine_env:
            monkeypatch.setenv(key, engine_env[key])
    for key, value in {**base, **env}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ws)
    recorder = RecordingRunner()
    previous = proc.set_runner(recorder)
    capsys.readouterr()
    try:
        code = cli.main(["run", *argv])
    finally:
        proc.set_runner(previous)
    captured = capsys.readouterr()
    outputs = parse_outputs(out_file.read_text()) if out_file.exists() else {}
    summary = summary_file.read_text() if summary_file.exists() else ""
    return RunResult(code, captured.out, captured.err, outputs, summary, recorder, runner_temp)


# -- registry reads (plain HTTP on loopback, independent of ghbuild's client) -------------
def tags_of(registry: str, repo: str) -> list[str]:
    resp = requests.get(f"http://{registry}/v2/{repo}/tags/list", timeout=10)
    if resp.status_code == 404:
        return []
    resp.raise_for_status()
    return sorted(resp.json().get("tags") or [])


def manifest(registry: str, repo: str, ref: str) -> tuple[str, dict[str, Any]]:
    resp = requests.get(f"http://{registry}/v2/{repo}/manifests/{ref}",
                        headers={"Accept": ACCEPT}, timeout=10)
    resp.raise_for_status()
    return resp.headers["Docker-Content-Digest"], resp.json()


def blob(registry: str, repo: str, digest: str) -> bytes:
    resp = requests.get(f"http://{registry}/v2/{repo}/blobs/{digest}", timeout=10)
    resp.raise_for_status()
    return resp.content


def image_manifests(registry: str, repo: str, ref: str) -> list[dict[str, Any]]:
    """The platform image manifests behind ``ref`` (attestations left out)."""
    _, top = manifest(registry, repo, ref)
    if "manifests" not in top:
        return [top]
    out = []
    for entry in top["manifests"]:
        kind = (entry.get("annotations") or {}).get("vnd.docker.reference.type")
        if kind != "attestation-manifest":
            out.append(manifest(registry, repo, entry["digest"])[1])
    return out


def image_config(registry: str, repo: str, ref: str) -> dict[str, Any]:
    first = image_manifests(registry, repo, ref)[0]
    return json.loads(blob(registry, repo, first["config"]["digest"]))


def attestation_blobs(registry: str, repo: str, ref: str) -> list[str]:
    """The in-toto statements (provenance, SBOM) attached to ``ref``'s index."""
    _, top = manifest(registry, repo, ref)
    texts = []
    for entry in top.get("manifests", []):
        kind = (entry.get("annotations") or {}).get("vnd.docker.reference.type")
        if kind == "attestation-manifest":
            _, att = manifest(registry, repo, entry["digest"])
            texts += [blob(registry, repo, layer["digest"]).decode() for layer in att["layers"]]
    return texts


def forget_local_images(image: str, engine_env: dict[str, str]) -> None:
    """Remove a test's images from the engine's store (pushing keeps a local copy)."""
    listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", image],
                            env=engine_env, capture_output=True, text=True)
    refs = listed.stdout.split()
    if refs:
        subprocess.run(["docker", "image", "rm", "-f", *refs], env=engine_env,
                       capture_output=True)
