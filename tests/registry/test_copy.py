"""Copying an image between two registries (registry/copy.py) over two fake hosts.

The same copies run against two real CNCF registries in tests/e2e/test_copy_registries.py.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
import requests

from ghbuild.errors import PolicyError, RegistryError
from ghbuild.registry import Action, Credentials, CredentialStore, ImageRef, RegistryClient
from ghbuild.registry.copy import (
    BlobMismatch,
    CopyStats,
    VerifiedBody,
    copy_image,
    copy_tree,
)

from .fakeregistry import OCI_MANIFEST, FakeRegistry, LazyBlob, digest_of

A, B = "reg-a.test", "reg-b.test"
PLATFORMS = [("linux", "amd64"), ("linux", "arm64")]


def two_hosts(**kw):
    """Two fake registries behind one session, each answering only its own host."""
    first, second = FakeRegistry(A, **kw), FakeRegistry(B, **kw)
    session = requests.Session()
    session.mount(f"https://{A}/", first)
    session.mount(f"https://{B}/", second)
    return first, second, session


def client_for(session, creds=None):
    return RegistryClient(CredentialStore.static(creds or {}), session=session)


def seeded(**kw):
    first, second, session = two_hosts(**kw)
    digest = first.add_index("acme/app", "main", PLATFORMS)
    return first, second, session, ImageRef.parse(f"{A}/acme/app@{digest}"), digest


def test_index_tree_copied_by_digest_children_first_then_tags():
    first, second, session, source, digest = seeded()
    client = client_for(session)
    results = copy_image(client, source, [ImageRef.parse(f"{B}/acme/app:1.2.3"),
                                          ImageRef.parse(f"{B}/acme/app:latest")])
    assert [(r.action, r.digest) for r in results] == [(Action.CREATED, digest)] * 2
    # Same bytes, same media type, so the same digest; every child and blob is there.
    assert second.manifests["acme/app"][digest] == first.manifests["acme/app"][digest]
    index = json.loads(first.manifests["acme/app"][digest][0])
    assert len(index["manifests"]) == 4  # two images, two attestation manifests
    for entry in index["manifests"]:
        child = second.manifests["acme/app"][entry["digest"]]
        assert child == first.manifests["acme/app"][entry["digest"]]
        doc = json.loads(child[0])
        for blob in [doc["config"], *doc["layers"]]:
            assert second.blobs["acme/app"][blob["digest"]] == \
                first.blobs["acme/app"][blob["digest"]]
    # Children by digest before the index, the index before any tag.
    puts = [url.split("/manifests/")[1] for url in second.requests_to("PUT", "/manifests/")]
    assert puts[:4] == [e["digest"] for e in index["manifests"]]
    assert puts[4:] == [digest, "1.2.3", "latest"]
    # No write at all went to the source registry.
    assert first.requests_to("PUT") == first.requests_to("POST") == []


def test_blobs_the_target_has_are_not_sent_and_a_second_copy_sends_nothing():
    first, second, session, source, digest = seeded()
    client = client_for(session)
    # The target already holds one layer (an earlier, partial copy).
    child = json.loads(first.manifests["acme/app"][
        json.loads(first.manifests["acme/app"][digest][0])["manifests"][0]["digest"]][0])
    layer = child["layers"][0]["digest"]
    second.blobs.setdefault("acme/app", {})[layer] = first.blobs["acme/app"][layer]
    stats = copy_tree(client, source, ImageRef.parse(f"{B}/acme/app"))
    # Eight descriptors, seven blobs (both attestations have the same config): one was
    # there before, the shared config is there the second time.
    assert (stats.blobs_copied, stats.blobs_present, stats.manifests_written) == (6, 2, 5)
    assert not any(layer in url for url in second.requests_to("PUT", "/blobs/"))
    again = copy_tree(client, source, ImageRef.parse(f"{B}/acme/app"))
    # The index is there by digest: one manifest request, nothing read or written.
    assert again == CopyStats(manifests_present=1)
    assert len(second.requests_to("PUT")) == 6 + 5


def test_a_second_repository_on_the_target_gets_the_blobs_mounted():
    first, second, session, source, digest = seeded()
    client = client_for(session)
    copy_image(client, source, [ImageRef.parse(f"{B}/acme/app:1.2.3"),
                                ImageRef.parse(f"{B}/mirror/app:1.2.3")])
    assert second.manifests["mirror/app"]["1.2.3"][0] == first.manifests["acme/app"][digest][0]
    mounts = second.requests_to("POST", "mount=")
    assert mounts and all("from=acme%2Fapp" in url for url in mounts)
    # The blobs crossed the wire once: uploads only into the first repository.
    assert all("/acme/app/" in url for url in second.requests_to("PUT", "/blobs/"))


def test_each_registry_gets_its_own_credentials():
    first, second, session = two_hosts(auth="basic")
    first.users, second.users = {"alice": "pw-a"}, {"bob": "pw-b"}
    digest = first.add_image("acme/app", "main")
    client = client_for(session, {A: Credentials("alice", "pw-a"), B: Credentials("bob", "pw-b")})
    copy_image(client, ImageRef.parse(f"{A}/acme/app@{digest}"),
               [ImageRef.parse(f"{B}/acme/app:v1.0.0")])
    assert second.manifests["acme/app"]["v1.0.0"][0] == first.manifests["acme/app"][digest][0]
    assert {h.get("Authorization") for _, _, h in second.log} >= {"Basic Ym9iOnB3LWI="}
    assert all(h.get("Authorization") != "Basic Ym9iOnB3LWI=" for _, _, h in first.log)


def test_a_release_tag_on_the_target_at_another_digest_refuses_before_any_write():
    first, second, session, source, digest = seeded()
    other = second.add_image("acme/app", "1.2.3")
    client = client_for(session)
    with pytest.raises(PolicyError) as err:
        copy_image(client, source, [ImageRef.parse(f"{B}/acme/app:latest"),
                                    ImageRef.parse(f"{B}/acme/app:1.2.3")])
    assert err.value.exit_code == 3 and other in str(err.value)
    assert second.requests_to("PUT") == second.requests_to("POST") == []
    assert digest not in second.manifests["acme/app"]
    moved = copy_image(client, source, [ImageRef.parse(f"{B}/acme/app:1.2.3")], allow_move=True)
    assert moved[0].action is Action.MOVED and moved[0].previous == other


def test_a_tag_read_back_at_another_digest_fails():
    first, second, session, source, _ = seeded()
    second.lie_on_put = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                    "config": {"digest": "sha256:" + "0" * 64},
                                    "layers": []})
    with pytest.raises(RegistryError, match="reading it back gives"):
        copy_image(client_for(session), source, [ImageRef.parse(f"{B}/acme/app:main")])


def big_image(fake: FakeRegistry, size: int, **kw) -> tuple[str, LazyBlob]:
    blob = LazyBlob(size, **kw)
    layer = blob.digest()
    fake.blobs.setdefault("acme/big", {})[layer] = blob  # type: ignore[assignment]
    config = json.dumps({"os": "linux", "architecture": "amd64"}).encode()
    cfg = fake.add_blob("acme/big", config)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": cfg, "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                   "digest": layer, "size": size}]}).encode()
    return fake.put("acme/big", "main", body, OCI_MANIFEST), blob


def test_a_large_layer_is_streamed_in_bounded_memory():
    first, second, session = two_hosts()
    size, buffer = 48 << 20, 256 << 10
    digest, blob = big_image(first, size)
    second.sink_uploads = True           # the target keeps a hash, not the bytes
    second.upload_block = 4 << 20        # and asks for more than the buffer at a time
    client = client_for(session)
    tracemalloc.start()
    try:
        stats = copy_tree(client, ImageRef.parse(f"{A}/acme/big@{digest}"),
                          ImageRef.parse(f"{B}/acme/big"), buffer=buffer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.bytes_copied == size + len(first.blobs["acme/big"][
        json.loads(first.manifests["acme/big"][digest][0])["config"]["digest"]])
    assert second.blobs["acme/big"][blob.digest()].size == size  # hashed on arrival: intact
    # No single read from the source and no block handed to the target above the buffer.
    assert blob.reads and max(blob.reads) <= buffer and max(blob.returned) <= buffer
    assert len(blob.returned) >= size // buffer
    assert second.upload_reads and max(second.upload_reads) <= buffer
    # What the copy held at its peak is a few buffers, far below the 48 MiB layer.
    assert peak < 8 * buffer, peak


def test_verified_body_hands_out_no_block_above_its_buffer():
    data = bytes(range(256)) * 1000
    body = VerifiedBody([data[:100_000], data[100_000:]], digest_of(data), len(data),
                        where="blob x", buffer=4096)
    out = []
    while chunk := body.read(10_000):
        out.append(chunk)
    assert b"".join(out) == data and max(map(len, out)) == 4096 == body.largest_read
    assert len(body) == len(data) and body.tell() == len(data)
    with pytest.raises(OSError, match="cannot be rewound"):
        body.seek(0)


@pytest.mark.parametrize(("pieces", "message"), [
    ([b"hello", b" worle"], "hashes to sha256:"),
    ([b"hello", b" worl"], "ended after 10 of its 11 bytes"),
    ([b"hello world", b"!"], "longer than the 11 bytes"),
])
def test_verified_body_refuses_a_mismatch_before_the_last_block(pieces, message):
    good = b"hello world"
    body = VerifiedBody(pieces, digest_of(good), len(good), where="blob x", buffer=4)
    handed = b""
    with pytest.raises(BlobMismatch, match=message):
        while chunk := body.read(4):
            handed += chunk
    # The block that would have completed the blob was never handed out.
    assert len(handed) < len(good)


def test_a_blob_that_does_not_match_its_digest_is_refused_and_not_completed():
    first, second, session = two_hosts()
    size = 3 << 20
    digest, blob = big_image(first, size, corrupt_at=2 << 20)  # same length, one byte off
    with pytest.raises(BlobMismatch, match="hashes to sha256:.*not to its digest") as err:
        copy_tree(client_for(session), ImageRef.parse(f"{A}/acme/big@{digest}"),
                  ImageRef.parse(f"{B}/acme/big"), buffer=64 << 10)
    assert err.value.exit_code == 1
    assert blob.digest() in str(err.value)
    # Nothing was completed on the target: neither the layer nor any manifest.
    assert blob.digest() not in second.blobs.get("acme/big", {})
    assert digest not in second.manifests.get("acme/big", {})


def test_a_blob_whose_size_is_not_its_descriptors_is_refused():
    first, second, session = two_hosts()
    digest = first.add_image("acme/app", "main", layer=b"twelve bytes")
    layer = digest_of(b"twelve bytes")
    first.blobs["acme/app"][layer] = b"eleven byte"
    with pytest.raises(BlobMismatch, match="sends 11 bytes, its descriptor gives 12"):
        copy_tree(client_for(session), ImageRef.parse(f"{A}/acme/app@{digest}"),
                  ImageRef.parse(f"{B}/acme/app"))
    assert layer not in second.blobs.get("acme/app", {})


def test_a_source_that_fails_mid_copy_is_a_registry_error_and_nothing_is_tagged():
    first, second, session, source, _ = seeded()
    first.fail_next(500, match="/blobs/sha256:")  # the fake has no retries: one is enough
    with pytest.raises(RegistryError, match="HTTP 500"):
        copy_image(client_for(session), source, [ImageRef.parse(f"{B}/acme/app:1.0.0")])
    assert "1.0.0" not in second.manifests.get("acme/app", {})


def test_same_registry_is_promotion_not_a_copy():
    first, _, session, source, _ = seeded()
    with pytest.raises(Exception, match="promot"):
        copy_image(client_for(session), source, [ImageRef.parse(f"{A}/acme/app:1.0.0")])
    with pytest.raises(Exception, match="promotion mounts"):
        copy_tree(client_for(session), source, ImageRef.parse(f"{A}/other/app"))


def test_verified_body_rewound_reads_its_source_again():
    data = bytes(range(256)) * 100
    opened = []

    def reopen():
        opened.append(1)
        return [data[:5000], data[5000:]]

    body = VerifiedBody([data[:5000], data[5000:]], digest_of(data), len(data), where="blob x",
                        buffer=1024, reopen=reopen)
    assert len(body.read(1024)) == 1024 and body.tell() == 1024
    assert body.seek(0) == 0 and body.tell() == 0 and opened == [1]
    out = b""
    while chunk := body.read(4096):
        out += chunk
    assert out == data and body.restarts == 1
    with pytest.raises(OSError, match="cannot be rewound"):
        body.seek(10)


def test_a_source_connection_lost_mid_blob_is_a_registry_error_not_an_oserror():
    data = b"x" * 100

    def chunks():
        yield data[:40]
        raise requests.ConnectionError("connection reset by peer")

    body = VerifiedBody(chunks(), digest_of(data), len(data), where="blob x", buffer=64)
    assert body.read(64) == data[:40]
    # Not an OSError: urllib3 would take that for the target's fault and retry.
    with pytest.raises(RegistryError, match="reading blob x failed: connection reset") as err:
        body.read(64)
    assert not isinstance(err.value, OSError)
