"""``ghbuild plan`` against the real registry: absent, then present after a real push.

The image is pushed by a real ``docker buildx build --push``; the plan itself runs
in-process with a runner that lets only git through, so it provably makes no docker
call, and the registry's tags and digests are compared before and after it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from ghbuild import buildkey, proc
from ghbuild.cli import main
from ghbuild.registry import ACCEPT, Credentials, CredentialStore, ImageRef, RegistryClient
from tests.commands.test_plan import GitOnlyRunner, pin_git
from tests.e2e.registry_servers import (  # noqa: F401  (fixtures)
    USERS,
    htpasswd_registry,
    seed_image,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
         ) -> Path:
    subprocess.run(["bash", str(ROOT / "scripts" / "prepare-example.sh")], check=True)
    pin_git(monkeypatch, tmp_path)
    path = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "monorepo", path)
    # The images live where the test says (all traffic stays on loopback).
    config = path / ".github" / "ghbuild.yml"
    image = request.getfixturevalue("image_base")
    config.write_text(config.read_text().replace("ghcr.io/example-org/monorepo", image))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"],
                 ["remote", "add", "origin", "https://github.com/acme/mono.git"]):
        subprocess.run(["git", "-C", str(path), *args], check=True)
    monkeypatch.setattr(proc, "RUNNER", GitOnlyRunner())
    return path


@pytest.fixture()
def image_base(registry: str, unique_repo: str) -> str:
    return f"{registry}/{unique_repo}"

def _api_key_tag(sha: str) -> str:
    """The api image's key tag: its context and build-args make it a variant
    (rev-<sha>-<12 hex>)."""
    settings = buildkey.BuildSettings(context="api",
                                      build_args=(("GREETING", "hello from the api"),))
    return buildkey.key_tag_name(buildkey.revision_key(sha, settings))



def _plan(capsys: pytest.CaptureFixture[str], repo: Path, image: str) -> dict[str, Any]:
    code = main(["plan", "--dir", str(repo), "--format", "json", "--image", image])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc["images"][0]


def _tags(registry: str, repository: str) -> dict[str, str]:
    """tag -> digest, as the registry reports them now ({} for an unknown repository)."""
    base = f"http://{registry}/v2/{repository}"
    listing = requests.get(f"{base}/tags/list", timeout=10)
    if listing.status_code == 404:
        return {}
    listing.raise_for_status()
    out = {}
    for tag in listing.json().get("tags") or []:
        head = requests.head(f"{base}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
        out[tag] = head.headers["Docker-Content-Digest"]
    return out


def test_plan_reads_the_registry_and_changes_nothing(repo: Path, registry: str,
                                                     image_base: str,
                                                     engine_env: dict[str, str],
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    image = f"{image_base}-api"
    repository = image.split("/", 1)[1]
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    key_tag = _api_key_tag(sha)

    # Nothing pushed yet: the registry answers "absent" and run would build.
    first = _plan(capsys, repo, image)
    assert first["registry"]["checked"] is True
    assert first["registry"]["state"] == "absent"
    assert first["action"] == "build"
    assert f"{image}:{key_tag}" in first["buildx"]
    assert _tags(registry, repository) == {}

    # A real build pushes the key tag, as a first run on main would.
    subprocess.run(["docker", "buildx", "build", "--progress", "quiet", "--provenance=false",
                    "--push", "--tag", f"{image}:{key_tag}", str(repo / "api")],
                   env=engine_env, check=True, capture_output=True)
    before = _tags(registry, repository)
    assert list(before) == [key_tag]

    second = _plan(capsys, repo, image)
    assert second["registry"]["state"] == "present"
    assert second["registry"]["digest"] == before[key_tag]
    assert second["action"] == "retag"
    assert second["reason"] == f"{image}:{key_tag} already built as {before[key_tag]}: no build"
    assert _tags(registry, repository) == before  # read only: no tag was added or moved


@pytest.mark.parametrize("image_base", ["127.0.0.1:9/acme/mono"])
def test_unreachable_registry_is_not_checked(image_base: str, repo: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) has no listener on these machines: the connection is refused.
    got = _plan(capsys, repo, f"{image_base}-api")
    assert got["registry"]["checked"] is False
    assert got["registry"]["state"] == "not checked"
    assert got["registry"]["reason"].startswith("registry not reachable: cannot reach "
                                                "registry 127.0.0.1:9")
    assert got["action"] == "build"


# The repo fixture writes this into the config; the test swaps in the registry it starts.
SENTINEL = "sentinel.invalid/acme/mono"


@pytest.mark.parametrize("image_base", [SENTINEL])
def test_private_registry_is_read_with_the_docker_config_credentials(
        image_base: str, repo: Path, htpasswd_registry: Any,  # noqa: F811 (fixture)
        capsys: pytest.CaptureFixture[str]) -> None:
    base = f"{htpasswd_registry.addr}/acme/mono"
    config = repo / ".github" / "ghbuild.yml"
    config.write_text(config.read_text().replace(SENTINEL, base))
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    # The commit's build is in the private registry, pushed by alice.
    alice = RegistryClient(CredentialStore.static(
        {htpasswd_registry.addr: Credentials(username="alice", password=USERS["alice"])}),
        timeout=5, retries=1)
    digest = seed_image(alice, ImageRef.parse(f"{base}-api"), _api_key_tag(sha))

    # No credentials: the registry refuses, which is an answer, not "not checked".
    denied = _plan(capsys, repo, f"{base}-api")
    assert (denied["registry"]["checked"], denied["registry"]["state"]) == (True, "unknown")
    assert denied["action"] == "build"

    # alice's login in the docker config (what `docker login` writes): present.
    docker = Path(os.environ["DOCKER_CONFIG"])
    docker.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {htpasswd_registry.addr:
                                                              {"auth": auth}}}))
    code = main(["plan", "--dir", str(repo), "--image", f"{base}-api"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"registry: {base}-api:{_api_key_tag(sha)}: present {digest}" in out
    assert "  run would: retag" in out
    assert USERS["alice"] not in out + err and auth not in out + err
