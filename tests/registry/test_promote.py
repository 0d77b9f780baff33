from __future__ import annotations

import pytest

from ghbuild.errors import InputError, PolicyError, RegistryError
from ghbuild.registry import Action, CredentialStore, ImageRef, RegistryClient, semver_like

from .fakeregistry import FakeRegistry


def setup(**kw):
    fake = FakeRegistry(**kw)
    digest = fake.add_index("acme/app", "main", [("linux", "amd64"), ("linux", "arm64")])
    client = RegistryClient(CredentialStore(), session=fake.session())
    return fake, client, ImageRef.parse(f"reg.test/acme/app@{digest}"), digest


def refs(*texts):
    return [ImageRef.parse(t) for t in texts]


@pytest.mark.parametrize(("tag", "immutable"), [
    ("1.2.3", True), ("v1.2.3", True), ("1.2.3-rc.1", True), ("v0.0.0", True),
    ("1.2", False), ("1", False), ("latest", False), ("main", False), ("v1.2.3.4", False),
    ("01.2.3", False), ("sha-abc1234", False),
])
def test_semver_like(tag, immutable):
    assert semver_like(tag) is immutable


def test_same_repository_keeps_the_digest_and_reads_back():
    fake, client, source, digest = setup()
    results = client.promote(source, refs("reg.test/acme/app:v1.2.3", "reg.test/acme/app:1.2"))
    assert [(r.action, r.digest) for r in results] == [(Action.CREATED, digest)] * 2
    assert fake.manifests["acme/app"]["v1.2.3"] == fake.manifests["acme/app"][digest]
    # Same repository: no blob work, one PUT per tag, each read back.
    assert fake.requests_to("POST") == []
    assert len(fake.requests_to("PUT")) == 2


def test_immutable_tag_not_moved_and_nothing_written():
    fake, client, source, digest = setup()
    other = fake.add_image("acme/app", "v1.2.3")
    puts = len(fake.requests_to("PUT"))
    with pytest.raises(PolicyError) as err:
        client.promote(source, refs("reg.test/acme/app:latest", "reg.test/acme/app:v1.2.3"))
    assert other in str(err.value) and digest in str(err.value)
    assert err.value.exit_code == 3
    assert len(fake.requests_to("PUT")) == puts  # latest was not written either
    assert "latest" not in fake.manifests["acme/app"]


def test_moving_allowed_and_mutable_tags_move():
    fake, client, source, digest = setup()
    old = fake.add_image("acme/app", "v1.2.3")
    fake.add_image("acme/app", "latest", layer=b"other")
    results = client.promote(source, refs("reg.test/acme/app:v1.2.3", "reg.test/acme/app:latest"),
                             allow_move=True)
    assert results[0].action is Action.MOVED and results[0].previous == old
    assert "moved from" in results[0].describe()
    assert client.resolve(ImageRef.parse("reg.test/acme/app:v1.2.3")).digest == digest


def test_unchanged_tag_is_not_rewritten():
    fake, client, source, digest = setup()
    fake.put("acme/app", "v1.2.3", *fake.manifests["acme/app"][digest])
    puts = len(fake.requests_to("PUT"))
    results = client.promote(source, refs("reg.test/acme/app:v1.2.3"))
    assert results[0].action is Action.UNCHANGED
    assert len(fake.requests_to("PUT")) == puts


def test_cross_repository_mounts_blobs_and_children_first():
    fake, client, source, digest = setup()
    results = client.promote(source, refs("reg.test/acme/release:v1.0.0"))
    assert results[0].digest == digest
    mounts = fake.requests_to("POST", "mount=")
    assert mounts and all("from=acme%2Fapp" in m for m in mounts)
    puts = [u for m, u, _ in fake.log if m == "PUT"]
    # Children by digest first, the tag last.
    assert puts[-1].endswith("/manifests/v1.0.0")
    assert all("/manifests/sha256:" in u for u in puts[:-1])
    assert fake.manifests["acme/release"]["v1.0.0"] == fake.manifests["acme/app"][digest]
    # Both the image manifests and the attestation manifests came along.
    assert len([k for k in fake.manifests["acme/release"] if k.startswith("sha256:")]) == 5


def test_cross_repository_copies_when_mount_declined():
    fake, client, source, digest = setup()
    fake.allow_mount = False
    client.promote(source, refs("reg.test/acme/release:v1.0.0"))
    assert fake.blobs["acme/release"] == {k: v for k, v in fake.blobs["acme/app"].items()
                                          if k in fake.blobs["acme/release"]}
    assert fake.requests_to("PUT", "/blobs/uploads/")


def test_cross_repository_with_bearer_auth_asks_for_both_scopes():
    fake, client, source, digest = setup(auth="bearer")
    client.promote(source, refs("reg.test/acme/release:v1.0.0"))
    scopes = " ".join(fake.requests_to("GET", "auth.test"))
    assert "repository%3Aacme%2Frelease%3Apull%2Cpush" in scopes
    assert "repository%3Aacme%2Fapp%3Apull" in scopes


def test_read_back_mismatch_fails():
    fake, client, source, digest = setup()
    fake.lie_on_put = ('{"schemaVersion":2,"mediaType":'
                       '"application/vnd.oci.image.manifest.v1+json",'
                       '"config":{"digest":"sha256:' + "0" * 64 + '","size":1},"layers":[]}')
    with pytest.raises(RegistryError, match="reading it back gives sha256:"):
        client.promote(source, refs("reg.test/acme/app:v2.0.0"))


def test_unknown_release_tag_is_not_written():
    fake, client, source, digest = setup()
    fake.fail_next(503, b"down", match="/manifests/v2.0.0", times=1)
    with pytest.raises(RegistryError, match="cannot tell whether release tag"):
        client.promote(source, refs("reg.test/acme/app:v2.0.0"))
    assert "v2.0.0" not in fake.manifests["acme/app"]


@pytest.mark.parametrize(("src", "target", "words"), [
    ("reg.test/acme/app:main", "reg.test/acme/app:v1", "pinned by digest"),
    ("reg.test/acme/app@sha256:" + "a" * 64, "other.test/acme/app:v1", "same registry"),
    ("reg.test/acme/app@sha256:" + "a" * 64, "reg.test/acme/app@sha256:" + "b" * 64,
     "must be a tag"),
])
def test_bad_promotion_requests(src, target, words):
    fake, client, _, _ = setup()
    with pytest.raises(InputError, match=words):
        client.promote(ImageRef.parse(src), refs(target))
    assert fake.log == []
