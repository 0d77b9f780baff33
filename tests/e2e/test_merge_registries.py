"""``ghbuild merge`` whose tags name two real registries (htpasswd, a user each).

Two platform jobs (the real engine, OCI layout pushed by digest) put their images on
the first registry; the merge writes the index there and its tags name both. The
index is copied into the second registry by digest and tagged there: every tag on
both names one digest, and the second registry holds the index and every child with
the first's bytes. A release tag already on the second registry at another digest
refuses the merge (exit 3) before any tag is written anywhere. Everything is read back
over the registries' HTTP API, not through our client.
"""

from __future__ import annotations

import base64
import io
import json
import os
import uuid
from pathlib import Path

import pytest
import requests

from ghbuild import buildkey
from ghbuild.build import BuildInputs, BuildPlan
from ghbuild.cli import main
from ghbuild.gha import Actions
from ghbuild.multiplatform import (
    ClientRegistry,
    Driver,
    Platform,
    build_platform,
    detect_driver,
    write_handover,
)
from ghbuild.registry import Credentials, CredentialStore, ImageRef, RegistryClient
from tests.e2e.registry_servers import (
    LocalRegistry,
    seed_image,
    user_registries,
)

pytestmark = pytest.mark.e2e

USERS = {"alice": "alice-pw-0c9d2e71", "bob": "bob-pw-6f3a81b4"}
ACCEPT = ("application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json,"
          " application/vnd.docker.distribution.manifest.list.v2+json")
PLATFORMS = [Platform.parse("linux/amd64"), Platform.parse("linux/arm64")]
SHA = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture()
def two(tmp_path, engine_env):
    """Two htpasswd registries: alice may use the first, bob the second."""
    with user_registries(tmp_path, USERS, {**os.environ, **engine_env}) as started:
        yield started


def raw(addr: str, user: str, repo: str, ref: str) -> tuple[int, str, bytes]:
    resp = requests.get(f"http://{addr}/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT},
                        auth=(user, USERS[user]), timeout=10)
    return resp.status_code, resp.headers.get("Docker-Content-Digest", ""), resp.content


def tag_list(addr: str, user: str, repo: str) -> list[str]:
    resp = requests.get(f"http://{addr}/v2/{repo}/tags/list", auth=(user, USERS[user]),
                        timeout=10)
    return [] if resp.status_code == 404 else sorted(resp.json().get("tags") or [])


def platform_jobs(engine_env, first: LocalRegistry, repo: str, tmp_path: Path) -> Path:
    """Both platforms built and pushed by digest to the first registry as alice; the
    handover directory."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nARG TARGETPLATFORM\nCOPY hello.txt /\n")
    (ctx / "hello.txt").write_text(f"hello {uuid.uuid4()}\n")
    driver = detect_driver(env=engine_env)
    assert driver is Driver.DOCKER, "this machine only has the docker driver"
    plan = BuildPlan(inputs=BuildInputs(context=str(ctx), provenance="mode=min"))
    alice = RegistryClient(CredentialStore.static(
        {first.addr: Credentials("alice", USERS["alice"])}))
    env = {**engine_env, "SOURCE_DATE_EPOCH": "1700000000"}
    for plat in PLATFORMS:
        result = build_platform(plan, plat, f"{first.addr}/{repo}", driver,
                                ClientRegistry(alice), Actions(environ={}), tmp_path / "work",
                                env=env)
        write_handover(tmp_path / "digests", result)
    return tmp_path / "digests"


def merge_as_alice(monkeypatch, tmp_path: Path, second: LocalRegistry, digests: Path,
                   tags: list[str], *extra: str) -> int:
    """``ghbuild merge`` with alice's password on stdin (for the first registry) and bob's
    login in the docker config (for the second), as a workflow would give them."""
    docker = tmp_path / "docker-config"
    docker.mkdir(exist_ok=True)
    auth = base64.b64encode(f"bob:{USERS['bob']}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {second.addr: {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    monkeypatch.setattr("sys.stdin", io.StringIO(USERS["alice"] + "\n"))
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"version": "1.2.3", "tags": tags, "labels": {},
                                "annotations": ["index:org.opencontainers.image.version=1.2.3"],
                                "created": 1700000000}))
    return main(["merge", "--platforms", "linux/amd64,linux/arm64", "--digests", str(digests),
                 "--meta", str(meta), "--username", "alice", "--password-stdin", *extra])


def test_a_merge_naming_two_registries_ends_with_the_index_and_tags_on_both(
        two, engine_env, tmp_path, monkeypatch, capsys):
    first, second = two
    repo = f"acme/multi-{uuid.uuid4().hex[:8]}"
    digests = platform_jobs(engine_env, first, repo, tmp_path)
    tags = [f"{first.addr}/{repo}:1.2.3", f"{first.addr}/{repo}:latest",
            f"{second.addr}/{repo}:1.2.3", f"{second.addr}/{repo}:latest"]
    capsys.readouterr()
    code = merge_as_alice(monkeypatch, tmp_path, second, digests, tags, "--revision", SHA)
    out, err = capsys.readouterr()
    assert code == 0, err
    digest = json.loads(out)["digest"]
    key = buildkey.key_tag_name(buildkey.revision_key(SHA, buildkey.settings_from_env(
        os.environ)))
    assert f"copied {digest} into {second.addr}/{repo}: " in err

    status, got, index_body = raw(first.addr, "alice", repo, digest)
    assert (status, got) == (200, digest)
    for reg, user in ((first, "alice"), (second, "bob")):
        assert tag_list(reg.addr, user, repo) == sorted(["1.2.3", "latest", key])
        for tag in ("1.2.3", "latest", key):
            assert raw(reg.addr, user, repo, tag) == (200, digest, index_body), (reg.addr, tag)
    # Both platform images and their provenance are on the second registry, same bytes.
    index = json.loads(index_body)
    assert len(index["manifests"]) == 4
    assert index["annotations"]["org.opencontainers.image.version"] == "1.2.3"
    for entry in index["manifests"]:
        assert raw(second.addr, "bob", repo, entry["digest"]) == \
            raw(first.addr, "alice", repo, entry["digest"])
    for password in USERS.values():
        assert password not in out + err


def test_a_release_tag_elsewhere_on_the_second_registry_refuses_before_any_tag(
        two, engine_env, tmp_path, monkeypatch, capsys):
    first, second = two
    repo = f"acme/multi-{uuid.uuid4().hex[:8]}"
    bob = RegistryClient(CredentialStore.static({second.addr: Credentials("bob", USERS["bob"])}))
    other = seed_image(bob, ImageRef.parse(f"{second.addr}/{repo}"), "1.2.3")
    digests = platform_jobs(engine_env, first, repo, tmp_path)
    tags = [f"{first.addr}/{repo}:1.2.3", f"{second.addr}/{repo}:1.2.3"]
    capsys.readouterr()
    code = merge_as_alice(monkeypatch, tmp_path, second, digests, tags)
    err = capsys.readouterr().err
    assert code == 3, err
    (line,) = [x for x in err.splitlines() if x.startswith("ghbuild: error: ")]
    assert f"{second.addr}/{repo}:1.2.3 is {other}" in line
    assert "no tag was written on any registry" in line
    assert tag_list(first.addr, "alice", repo) == []
    assert tag_list(second.addr, "bob", repo) == ["1.2.3"]
    assert raw(second.addr, "bob", repo, "1.2.3")[1] == other
