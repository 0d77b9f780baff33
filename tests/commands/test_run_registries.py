"""``ghbuild run`` retagging an image named on two registries (ghcr.io and docker.io).

The check finds the build key tag on the first name's registry. Each other registry is
asked whether it holds the same digest under its key tag: there the tags are promoted
within it, elsewhere the image is copied in by digest (and gets the key tag). The
harness is test_run.py's with a real RegistryClient over two fake registries; the same
runs against two real registries are in tests/e2e/test_copy_registries.py.
"""

from __future__ import annotations

import json

import pytest
import requests

from ghbuild.registry import CredentialStore, RegistryClient
from tests.commands.test_run import (  # noqa: F401 - fixtures
    FakeRunner,
    error_lines,
    harness,
    key_for,
    outputs,
    ws,
)
from tests.registry.fakeregistry import OCI_MANIFEST, FakeRegistry

A, B = "reg-a.test", "reg-b.test"
KEY = f"ghbuild-key-{key_for('app')}"
TAG_PUSH = {"GITHUB_REF": "refs/tags/v1.2.3", "INPUT_IMAGES": f"{A}/acme/app\n{B}/acme/app"}
PLATFORMS = [("linux", "amd64"), ("linux", "arm64")]


@pytest.fixture()
def go(harness):  # noqa: F811 (the imported fixture)
    """test_run.py's harness: ``ghbuild run`` with env additions and a client."""
    return harness


def registries(*, b_has: bool):
    """The first registry holds a two-platform index under the key tag; the second holds
    the same digest under its key tag too (``b_has``), or nothing."""
    first, second = FakeRegistry(A), FakeRegistry(B)
    digest = first.add_index("acme/app", KEY, PLATFORMS)
    if b_has:
        assert second.add_index("acme/app", KEY, PLATFORMS) == digest
    session = requests.Session()
    session.mount(f"https://{A}/", first)
    session.mount(f"https://{B}/", second)
    return first, second, RegistryClient(CredentialStore(), session=session), digest


def tag_digests(fake: FakeRegistry, repo: str = "acme/app") -> dict[str, str]:
    from tests.registry.fakeregistry import digest_of

    return {tag: digest_of(body) for tag, (body, _) in fake.manifests.get(repo, {}).items()
            if not tag.startswith("sha256:")}


def blob_uploads(fake: FakeRegistry) -> list[str]:
    return fake.requests_to("PUT", "/blobs/uploads/")


def test_second_registry_with_the_digest_is_promoted_within_itself(go):
    first, second, client, digest = registries(b_has=True)
    code, runner, _, io = go(TAG_PUSH, client=client)
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "build") == []
    assert f"registry {B}: {B}/acme/app:{KEY} is {digest} too: promoting there" in io.err
    for fake in (first, second):
        assert tag_digests(fake) == {KEY: digest, "1.2.3": digest, "latest": digest}
    # Within each registry: tag PUTs only, no blob crossed between them.
    assert blob_uploads(second) == [] and second.requests_to("POST") == []
    assert [u.rsplit("/", 1)[1] for u in second.requests_to("PUT")] == ["1.2.3", "latest"]
    assert error_lines(io.err) == []


def test_second_registry_without_the_image_gets_it_copied_not_rebuilt(go, tmp_path):
    first, second, client, digest = registries(b_has=False)
    code, runner, _, io = go(TAG_PUSH, client=client)
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "build") == []
    assert f"registry {B}: {B}/acme/app:{KEY} is not there" in io.err
    # eight descriptors, seven blobs: the two attestations share one config
    assert f"copied {digest} into {B}/acme/app: 7 blob(s) copied" in io.err
    # The same digest, its key tag last, every child there with the source's bytes.
    assert tag_digests(second) == {"1.2.3": digest, "latest": digest, KEY: digest}
    index = json.loads(first.manifests["acme/app"][digest][0])
    for entry in index["manifests"]:
        assert second.manifests["acme/app"][entry["digest"]] == \
            first.manifests["acme/app"][entry["digest"]]
    puts = [u.rsplit("/", 1)[1] for u in second.requests_to("PUT", "/manifests/")]
    assert puts[-3:] == ["1.2.3", "latest", KEY]
    out = outputs(tmp_path)
    assert (out["action"], out["digest"], out["pushed"]) == ("retag", digest, "true")
    # The first registry only got its tags.
    assert tag_digests(first) == {KEY: digest, "1.2.3": digest, "latest": digest}
    assert blob_uploads(first) == []


def test_a_key_tag_at_another_digest_is_copied_over_and_said(go):
    first, second, client, digest = registries(b_has=False)
    stale = second.add_image("acme/app", KEY)
    code, _, _, io = go(TAG_PUSH, client=client)
    assert code == 0, io.err
    assert f"{B}/acme/app:{KEY} is {stale}, not {digest}: copying" in io.err
    assert f"{B}/acme/app:{KEY}: moved from {stale} to {digest}" in io.err
    assert tag_digests(second)[KEY] == digest


def test_a_release_tag_on_the_second_registry_refuses_before_any_write(go):
    first, second, client, digest = registries(b_has=False)
    other = second.add_image("acme/app", "1.2.3")
    code, runner, _, io = go(TAG_PUSH, client=client)
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"{B}/acme/app:1.2.3 is {other}" in line and "nothing was built or pushed" in line
    assert runner.argvs("docker", "buildx", "build") == []
    assert first.requests_to("PUT") == [] and second.requests_to("PUT") == []


def test_a_failed_copy_writes_no_tag_on_either_registry(go):
    first, second, client, digest = registries(b_has=False)
    second.fail_next(400, b'{"errors":[{"code":"DENIED","message":"quota"}]}',
                     match="/blobs/uploads/u1")
    code, runner, _, io = go(TAG_PUSH, client=client)
    assert code == 1, io.err
    (line,) = error_lines(io.err)
    assert "DENIED: quota" in line and "no tag was written on any registry" in line
    assert f"not written: {A}/acme/app:1.2.3, {A}/acme/app:latest" in line
    assert runner.argvs("docker", "buildx", "build") == []
    assert tag_digests(first) == {KEY: digest} and tag_digests(second) == {}


def test_a_failure_after_the_first_registry_was_tagged_says_what_was_written(go):
    first, second, client, digest = registries(b_has=True)
    second.lie_on_put = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                    "config": {"digest": "sha256:" + "0" * 64},
                                    "layers": []})
    code, _, _, io = go(TAG_PUSH, client=client)
    assert code == 1, io.err
    (line,) = error_lines(io.err)
    assert f"wrote {B}/acme/app:1.2.3 as {digest}, but reading it back gives" in line
    assert (f"written: {A}/acme/app:1.2.3: created at {digest}, {A}/acme/app:latest: "
            f"created at {digest}") in line
    assert f"not written: {B}/acme/app:1.2.3, {B}/acme/app:latest" in line
    assert tag_digests(first) == {KEY: digest, "1.2.3": digest, "latest": digest}
