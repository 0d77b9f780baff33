"""Checks and promotion against the real open registry, on images buildx pushed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from ghbuild.buildkey import BUILD_KEY_ANNOTATION, key_tag_name, revision_key
from ghbuild.errors import PolicyError
from ghbuild.registry import ACCEPT, OCI_INDEX, Action, ImageRef, RegistryClient, State
from tests.e2e.registry_servers import engine_run

pytestmark = pytest.mark.e2e

SHA = uuid.uuid4().hex + uuid.uuid4().hex[:8]
KEY = revision_key(SHA)


def _context(tmp: Path, text: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (tmp / "hello.txt").write_text(text)
    return tmp


@pytest.fixture(scope="module")
def multiarch(engine_env, registry, tmp_path_factory):
    """A two-platform index with provenance attestations, tagged main and with its key tag."""
    repo = f"{registry}/e2e/reg-{uuid.uuid4().hex[:8]}"
    ctx = _context(tmp_path_factory.mktemp("multiarch"), f"hello {uuid.uuid4()}\n")
    engine_run(["docker", "buildx", "build", "--platform", "linux/amd64,linux/arm64",
                "--provenance=true", "--push", "-t", f"{repo}:main",
                "--annotation", f"index:{BUILD_KEY_ANNOTATION}={KEY}",
                "-t", f"{repo}:{key_tag_name(KEY)}", str(ctx)], engine_env)
    raw = _raw_manifest(f"{repo}:main")
    return ImageRef.parse(repo), raw


def _raw_manifest(text: str) -> tuple[str, bytes]:
    """Independent of our client: the registry's answer read with plain requests."""
    ref = ImageRef.parse(text)
    resp = requests.get(f"http://{ref.registry}/v2/{ref.repository}/manifests/{ref.reference}",
                        headers={"Accept": ACCEPT}, timeout=10)
    resp.raise_for_status()
    return resp.headers["Docker-Content-Digest"], resp.content


def test_check_multiarch_index(multiarch):
    repo, (digest, body) = multiarch
    client = RegistryClient()
    got = client.check(repo.with_tag("main"), platforms=["linux/amd64", "linux/arm64"])
    assert got.state is State.PRESENT and got.digest == digest
    assert got.media_type == OCI_INDEX
    # The attestation manifests (unknown/unknown) are not platforms.
    assert set(got.platforms) == {"linux/amd64", "linux/arm64"}
    assert len(json.loads(body)["manifests"]) == 4
    assert client.requests_made == 1
    lacking = client.check(repo.with_tag("main"), platforms=["linux/amd64", "linux/s390x"])
    assert lacking.state is State.ABSENT and "lacks platform linux/s390x" in lacking.reason


def test_key_tag_is_one_request(multiarch):
    repo, (digest, _) = multiarch
    client = RegistryClient()
    got = client.check(repo.with_tag(key_tag_name(KEY)), key=KEY)
    assert got.state is State.PRESENT and got.digest == digest
    assert client.requests_made == 1
    other = revision_key("f" * 40)
    assert client.check(repo.with_tag(key_tag_name(other)), key=other).state is State.ABSENT
    # By another tag, the index annotation is what records the key.
    by_main = client.check(repo.with_tag("main"), key=KEY)
    assert by_main.state is State.PRESENT and by_main.annotations[BUILD_KEY_ANNOTATION] == KEY
    stale = client.check(repo.with_tag("main"), key=other)
    assert stale.state is State.ABSENT and f"records build key {KEY}, not {other}" in stale.reason


def test_promotion_keeps_the_index_digest_and_its_attestations(multiarch):
    repo, (digest, body) = multiarch
    client = RegistryClient()
    tags = [repo.with_tag(t) for t in ("1.4.0", "1.4", "1", "latest")]
    results = client.promote(repo.with_digest(digest), tags)
    assert [r.action for r in results] == [Action.CREATED] * 4
    for tag in tags:
        got_digest, got_body = _raw_manifest(str(tag))
        assert got_digest == digest and got_body == body
    again = client.promote(repo.with_digest(digest), tags)
    assert [r.action for r in again] == [Action.UNCHANGED] * 4


def test_cross_repository_promotion(multiarch, registry):
    repo, (digest, body) = multiarch
    target = ImageRef.parse(f"{registry}/e2e/release-{uuid.uuid4().hex[:8]}")
    client = RegistryClient()
    results = client.promote(repo.with_digest(digest), [target.with_tag("1.4.0")])
    assert results[0].digest == digest
    got_digest, got_body = _raw_manifest(f"{target}:1.4.0")
    assert got_digest == digest and got_body == body
    # Every child (images and attestations) and their blobs resolve in the new repository.
    for entry in json.loads(body)["manifests"]:
        child = client.get_manifest(target.with_digest(entry["digest"]))
        for blob in [child.json()["config"], *child.json()["layers"]]:
            assert client.blob_exists(target, blob["digest"])
    # Another client (skopeo) reads the promoted index, unchanged.
    if not shutil.which("skopeo"):
        from tests.e2e.conftest import _missing

        _missing("skopeo is not installed (scripts/provision-engine.sh installs it)")
    done = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw",
                           f"docker://{target}:1.4.0"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(body)


def test_immutable_tag_is_not_moved(multiarch, engine_env, registry, tmp_path):
    repo, (digest, _) = multiarch
    other_ctx = _context(tmp_path / "other", f"other {uuid.uuid4()}\n")
    engine_run(["docker", "buildx", "build", "--platform", "linux/amd64", "--provenance=false",
                "--push", "-t", f"{repo}:2.0.0", str(other_ctx)], engine_env)
    other_digest, _ = _raw_manifest(f"{repo}:2.0.0")
    client = RegistryClient()
    with pytest.raises(PolicyError) as err:
        client.promote(repo.with_digest(digest), [repo.with_tag("edge"), repo.with_tag("2.0.0")])
    assert other_digest in str(err.value) and digest in str(err.value)
    assert _raw_manifest(f"{repo}:2.0.0")[0] == other_digest
    assert client.check(repo.with_tag("edge")).state is State.ABSENT  # nothing written at all
    moved = client.promote(repo.with_digest(digest), [repo.with_tag("2.0.0")], allow_move=True)
    assert moved[0].action is Action.MOVED and moved[0].previous == other_digest
    assert _raw_manifest(f"{repo}:2.0.0")[0] == digest


def test_registry_not_local_store_decides(engine_env, registry, tmp_path):
    """Field case: the registry has the key tag at D1, the local store has the name at D2."""
    repo = f"{registry}/e2e/local-{uuid.uuid4().hex[:8]}"
    key = revision_key(uuid.uuid4().hex + uuid.uuid4().hex[:8])
    key_ref = f"{repo}:{key_tag_name(key)}"
    pushed = _context(tmp_path / "pushed", "pushed\n")
    engine_run(["docker", "buildx", "build", "--provenance=false", "--push", "-t", key_ref,
                str(pushed)], engine_env)
    d1, _ = _raw_manifest(key_ref)
    local = _context(tmp_path / "local", "only local\n")
    engine_run(["docker", "buildx", "build", "--provenance=false", "--load", "-t", key_ref,
                str(local)], engine_env)
    local_id = engine_run(["docker", "image", "inspect", "--format", "{{.Id}}", key_ref],
                          engine_env).stdout.strip()
    assert local_id != d1

    client = RegistryClient()
    got = client.check(ImageRef.parse(key_ref), key=key)
    assert got.state is State.PRESENT and got.digest == d1

    # An earlier push failed: the registry lacks the tag, whatever the local store holds.
    client.delete_manifest(ImageRef.parse(repo).with_digest(d1))
    gone = client.check(ImageRef.parse(key_ref), key=key)
    assert gone.state is State.ABSENT and gone.should_build
    still_local = engine_run(["docker", "image", "inspect", "--format", "{{.Id}}", key_ref],
                             engine_env).stdout.strip()
    assert still_local == local_id
    engine_run(["docker", "image", "rm", key_ref], engine_env)


def _inspect(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "ghbuild", "inspect", *args],
                          capture_output=True, text=True, env=env, input=stdin, timeout=120)


def test_inspect_command_exit_codes(multiarch, engine_env, registry):
    repo, (digest, _) = multiarch
    present = _inspect([f"{repo}:main", "--platform", "linux/arm64"], engine_env)
    assert present.returncode == 0, present.stderr
    doc = json.loads(present.stdout)
    assert doc == {"state": "present", "digest": digest, "mediaType": OCI_INDEX,
                   "platforms": doc["platforms"], "reason": f"found {digest}"}
    assert sorted(doc["platforms"]) == ["linux/amd64", "linux/arm64"]
    absent = _inspect([f"{repo}:missing"], engine_env)
    assert absent.returncode == 1 and json.loads(absent.stdout)["state"] == "absent"
    unknown = _inspect(["127.0.0.1:5199/e2e/none:x", "--retries", "0", "--timeout", "1"],
                       engine_env)
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["state"] == "unknown"
    assert "unknown: cannot reach registry 127.0.0.1:5199" in unknown.stderr
    bad = _inspect(["127.0.0.1:5000/Upper/case"], engine_env)
    assert bad.returncode == 2 and bad.stdout == "" and "input 'REF'" in bad.stderr
