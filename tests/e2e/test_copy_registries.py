"""An image named on several registries, against real CNCF registries on 127.0.0.1.

(a) registry/copy.py copies a two-platform index with its provenance attestation
    manifests (pushed by buildx) into another registry with its own login: the same
    digest, every child and blob there with the source's bytes, a layer larger than the
    copy's buffer streamed through it, and a second copy sends nothing.
(b) ``ghbuild run`` twice on one commit naming two registries (htpasswd, a user each):
    a push to main builds and pushes to both; the v1.2.3 tag push builds nothing, finds
    the digest under the key tag on the second registry too and tags 1.2.3 on both.
(c) a registry added to ``images`` later (it lacks the image): copied there, not rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from ghbuild.registry import Credentials, CredentialStore, ImageRef, RegistryClient
from ghbuild.registry.copy import CopyStats, copy_image, copy_tree
from tests.e2e.registry_servers import (  # noqa: F401  (fixture)
    LocalRegistry,
    _need_registry_binary,
    engine_run,
    fault_proxy,
    htpasswd_auth,
    seed_image,
    user_registries,
)
from tests.e2e.run_support import (
    ACCEPT,
    REPO_PAYLOAD,
    forget_local_images,
    hello_env,
    new_sha,
    run_ghbuild,
    workspace,
)

pytestmark = pytest.mark.e2e

USERS = {"alice": "alice-pw-7d1e0c55", "bob": "bob-pw-a3f92b10", "carol": "carol-pw-51c0e8d4"}
REPO = "acme/hello"
TAGS = "type=ref,event=branch\ntype=semver,pattern={{version}}"


@pytest.fixture()
def registries(tmp_path, engine_env):
    """Three htpasswd registries, one user each (alice, bob, carol)."""
    with user_registries(tmp_path, USERS, {**os.environ, **engine_env}) as started:
        try:
            yield dict(zip(USERS, started, strict=True))
        finally:
            for reg in started:
                forget_local_images(f"{reg.addr}/{REPO}", engine_env)


def _auth(reg: LocalRegistry, user: str) -> tuple[str, str]:
    return user, USERS[user]


def raw_manifest(addr: str, repo: str, ref: str, auth=None) -> tuple[str, bytes, str]:
    """Independent of our client: digest, bytes and media type as the registry answers."""
    resp = requests.get(f"http://{addr}/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT},
                        auth=auth, timeout=10)
    resp.raise_for_status()
    return resp.headers["Docker-Content-Digest"], resp.content, resp.headers["Content-Type"]


def blob_digest(addr: str, repo: str, digest: str, auth=None) -> str:
    import hashlib

    resp = requests.get(f"http://{addr}/v2/{repo}/blobs/{digest}", auth=auth, timeout=30)
    resp.raise_for_status()
    return "sha256:" + hashlib.sha256(resp.content).hexdigest()


def tag_list(addr: str, repo: str, auth) -> list[str]:
    resp = requests.get(f"http://{addr}/v2/{repo}/tags/list", auth=auth, timeout=10)
    if resp.status_code == 404:
        return []
    resp.raise_for_status()
    return sorted(resp.json().get("tags") or [])


# -- (a) the copy itself -------------------------------------------------------------------
def test_a_two_platform_index_with_attestations_is_copied_by_digest(
        engine_env, registry, registries, tmp_path):
    source_repo = f"{registry}/e2e/copy-{uuid.uuid4().hex[:8]}"
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY big.bin hello.txt /\n")
    (ctx / "hello.txt").write_text(f"hello {uuid.uuid4()}\n")
    (ctx / "big.bin").write_bytes(os.urandom(3 << 20))  # a layer well above the buffer
    engine_run(["docker", "buildx", "build", "--platform", "linux/amd64,linux/arm64",
                "--provenance=true", "--push", "-t", f"{source_repo}:main", str(ctx)],
               engine_env)
    src = ImageRef.parse(source_repo)
    digest, body, media_type = raw_manifest(src.registry, src.repository, "main")
    target = registries["bob"]
    bob = _auth(target, "bob")
    client = RegistryClient(CredentialStore.static({target.addr: Credentials(*bob)}))

    results = copy_image(client, src.with_digest(digest),
                         [ImageRef.parse(f"{target.addr}/{REPO}:1.2.3")])
    assert [r.digest for r in results] == [digest]
    got_digest, got_body, got_type = raw_manifest(target.addr, REPO, "1.2.3", bob)
    assert (got_digest, got_body, got_type) == (digest, body, media_type)
    index = json.loads(body)
    kinds = [(e.get("annotations") or {}).get("vnd.docker.reference.type")
             for e in index["manifests"]]
    assert kinds.count("attestation-manifest") == 2 and len(kinds) == 4
    sizes = []
    for entry in index["manifests"]:
        child = raw_manifest(src.registry, src.repository, entry["digest"])
        assert raw_manifest(target.addr, REPO, entry["digest"], bob) == child
        for blob in [json.loads(child[1])["config"], *json.loads(child[1])["layers"]]:
            assert blob_digest(target.addr, REPO, blob["digest"], bob) == blob["digest"]
            sizes.append(blob["size"])
    assert max(sizes) > 3 << 20  # the big layer went through the 1 MiB buffer
    # Everything is there by digest: a second copy reads one manifest and sends nothing.
    again = copy_tree(client, src.with_digest(digest), ImageRef.parse(f"{target.addr}/{REPO}"))
    assert again == CopyStats(manifests_present=1)
    # Another client reads the copy as the original.
    if not shutil.which("skopeo"):
        from tests.e2e.conftest import _missing

        _missing("skopeo is not installed (scripts/provision-engine.sh installs it)")
    done = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw",
                           "--creds", ":".join(bob), f"docker://{target.addr}/{REPO}:1.2.3"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == index


def test_an_upload_the_target_fails_once_is_retried_from_a_new_read_of_the_source(
        registry, fault_proxy):  # noqa: F811
    """The target (a proxy in front of a registry, so another host) answers the first blob
    PUT with HTTP 500: the client's retry rewinds the body, which reads the source again."""
    src = ImageRef.parse(f"{registry}/e2e/copy-{uuid.uuid4().hex[:8]}")
    client = RegistryClient(CredentialStore.static({}))
    digest = seed_image(client, src, "main")
    fault_proxy.fail("500", times=1, path="/blobs/uploads/", method="PUT")
    target = ImageRef.parse(f"{fault_proxy.addr}/e2e/mirror-{uuid.uuid4().hex[:8]}")
    results = copy_image(client, src.with_digest(digest), [target.with_tag("1.0.0")])
    assert results[0].digest == digest
    puts = [kind for method, path, kind in fault_proxy.seen
            if method == "PUT" and "/blobs/uploads/" in path]
    assert puts == ["500", "pass", "pass"]  # the failed one again, then the second blob
    assert raw_manifest(registry, target.repository, "1.0.0")[0] == digest


# -- (b), (c): ghbuild run -----------------------------------------------------------------------
def registry_auth(*regs_users: tuple[LocalRegistry, str]) -> str:
    return "".join(f"- registry: {reg.addr}\n  username: {user}\n  password: {USERS[user]}\n"
                   for reg, user in regs_users)


def run_env(tmp_path: Path, sha: str, ref: str, *regs_users: tuple[LocalRegistry, str]
            ) -> dict[str, str]:
    images = "\n".join(f"{reg.addr}/{REPO}" for reg, _ in regs_users)
    return {**hello_env(tmp_path, images, sha, ref, {"repository": REPO_PAYLOAD}),
            "INPUT_TAGS": TAGS, "INPUT_REGISTRY-AUTH": registry_auth(*regs_users)}


def test_a_tag_push_of_a_built_commit_tags_both_registries_and_copies_to_a_new_one(
        monkeypatch, capsys, tmp_path, engine_env, registries, examples_ready):
    a, b, c = (registries[u] for u in USERS)
    ws = workspace(tmp_path)
    sha = new_sha()

    def run(ref: str, *regs_users: tuple[LocalRegistry, str]):
        return run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                           run_env(tmp_path, sha, ref, *regs_users))

    # (b) 1. a push to main naming both registries: one build, pushed to both
    main = run("refs/heads/main", (a, "alice"), (b, "bob"))
    assert main.code == 0, main.stderr
    assert len(main.calls.commands("docker", "buildx", "build")) == 1
    built = main.outputs["digest"]
    key = next(t for t in tag_list(b.addr, REPO, _auth(b, "bob")) if t.startswith("ghbuild-key-"))
    for reg, user in ((a, "alice"), (b, "bob")):
        assert raw_manifest(reg.addr, REPO, key, _auth(reg, user))[0] == built

    # (b) 2. the same commit tagged v1.2.3: no build, promoted within each registry
    release = run("refs/tags/v1.2.3", (a, "alice"), (b, "bob"))
    assert release.code == 0, release.stderr
    assert release.calls.commands("docker", "buildx", "build") == []
    assert release.outputs["action"] == "retag" and release.outputs["digest"] == built
    assert f"registry {b.addr}: {b.addr}/{REPO}:{key} is {built} too: promoting there" \
        in release.stderr
    assert "copied" not in release.stderr
    for reg, user in ((a, "alice"), (b, "bob")):
        for tag in ("1.2.3", "latest", "main"):
            assert raw_manifest(reg.addr, REPO, tag, _auth(reg, user))[0] == built

    # (c) a third registry added to images later: copied there by digest, not rebuilt
    added = run("refs/tags/v1.2.3", (a, "alice"), (c, "carol"))
    assert added.code == 0, added.stderr
    assert added.calls.commands("docker", "buildx", "build") == []
    assert f"registry {c.addr}: {c.addr}/{REPO}:{key} is not there: copying {built}" \
        in added.stderr
    assert f"copied {built} into {c.addr}/{REPO}: " in added.stderr
    carol = _auth(c, "carol")
    assert tag_list(c.addr, REPO, carol) == sorted(["1.2.3", "latest", key])
    _, body, _ = raw_manifest(a.addr, REPO, built, _auth(a, "alice"))
    for tag in ("1.2.3", "latest", key):
        assert raw_manifest(c.addr, REPO, tag, carol)[:2] == (built, body)
    # buildx's index with its attestation manifest: every child there, same bytes.
    entries = json.loads(body)["manifests"]
    assert any((e.get("annotations") or {}).get("vnd.docker.reference.type") ==
               "attestation-manifest" for e in entries)
    for entry in entries:
        assert raw_manifest(c.addr, REPO, entry["digest"], carol)[1] == \
            raw_manifest(a.addr, REPO, entry["digest"], _auth(a, "alice"))[1]
    # The first registry's 1.2.3 was already there: nothing moved, nothing rewritten.
    assert f"{a.addr}/{REPO}:1.2.3: unchanged at {built}" in added.stderr
    for password in USERS.values():
        assert password not in added.stdout and password not in added.summary
