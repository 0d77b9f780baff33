"""The read-back after a push while another push of the same tags is running: a tag that
points for a moment at a manifest inside the pushed index (or answers unknown) is read
again until it settles; if it does not, the error says it is that race. A tag moved to an
unrelated image fails at once. Seen for real: tests/e2e/test_round2_verify_race.py."""

from __future__ import annotations

import json

import pytest

from ghbuild.commands import run as run_cmd
from ghbuild.registry import OCI_MANIFEST, Manifest, Presence, State
from tests.commands import test_run as run_tests
from tests.commands.test_run import DIGEST, OTHER, FakeClient, error_lines

harness = run_tests.harness
ws = run_tests.ws

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
CHILD = "sha256:" + "c" * 64
ATTESTATION = "sha256:" + "a" * 64


class RacingClient(FakeClient):
    """The pushed digest is an index of CHILD and ATTESTATION; the tags answer ``answers``
    in turn (then DIGEST)."""

    def __init__(self, answers: list[Presence]) -> None:
        super().__init__()
        self.answers = answers

    def resolve(self, ref):
        self.resolved_refs.append(str(ref))
        if self.answers:
            return self.answers.pop(0)
        return Presence(State.PRESENT, ref=str(ref), digest=DIGEST)

    def get_manifest(self, ref, **_):
        if ref.digest == DIGEST:
            body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": CHILD},
                {"mediaType": OCI_MANIFEST, "digest": ATTESTATION}]}
            return Manifest(json.dumps(body).encode(), OCI_INDEX, DIGEST)
        return super().get_manifest(ref)


def at(digest: str) -> Presence:
    return Presence(State.PRESENT, ref="x", digest=digest)


@pytest.fixture()
def sleeps(monkeypatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(run_cmd, "_sleep", slept.append)
    return slept


def test_a_child_for_a_moment_is_read_again_and_verifies(harness, sleeps):
    unknown = Presence(State.UNKNOWN, ref="x", reason="500 from the registry")
    client = RacingClient([at(ATTESTATION), unknown])
    code, _, _, io = harness({}, client=client)
    assert code == 0, io.err
    assert "verified: " in io.err
    assert sleeps == list(run_cmd.VERIFY_DELAYS[:2])


def test_a_child_that_stays_is_reported_as_the_race(harness, sleeps):
    client = RacingClient([at(ATTESTATION)] * 10)
    code, _, _, io = harness({}, client=client)
    assert code == 1
    (line,) = error_lines(io.err)
    assert f"resolves to {ATTESTATION}, a manifest inside the pushed index, not to the pushed " \
           f"digest {DIGEST}; another push to these tags ran at the same time" in line
    assert sleeps == list(run_cmd.VERIFY_DELAYS)


def test_an_index_holding_the_reported_digest_is_the_race_too(harness, sleeps):
    # the docker driver reported a manifest of the index the tag now holds
    class Reported(RacingClient):
        def get_manifest(self, ref, **_):
            if ref.digest == OTHER:
                body = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                        "manifests": [{"mediaType": OCI_MANIFEST, "digest": DIGEST}]}
                return Manifest(json.dumps(body).encode(), OCI_INDEX, OTHER)
            return FakeClient.get_manifest(self, ref)

    code, _, _, io = harness({}, client=Reported([at(OTHER)] * 10))
    assert code == 1
    assert f"resolves to {OTHER}, an index holding the digest buildx reported" in io.err


def test_a_tag_moved_to_an_unrelated_image_fails_at_once(harness, sleeps):
    code, _, _, io = harness({}, client=RacingClient([at(OTHER)] * 10))
    assert code == 1
    (line,) = error_lines(io.err)
    assert f"resolves to {OTHER}, not to the pushed digest {DIGEST}" in line
    assert "another run pushing these tags at the same time" in line
    assert sleeps == []


def test_a_key_tag_at_an_attestation_manifest_is_unknown_not_present() -> None:
    from ghbuild.registry import ImageRef, checks

    body = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + "1" * 64},
            "layers": [{"mediaType": "application/vnd.in-toto+json",
                        "digest": "sha256:" + "2" * 64,
                        "annotations": {"in-toto.io/predicate-type":
                                        "https://slsa.dev/provenance/v0.2"}}]}
    manifest = Manifest(json.dumps(body).encode(), OCI_MANIFEST, ATTESTATION)
    ref = ImageRef.parse("127.0.0.1:5000/acme/x:ghbuild-key-rev-" + "9" * 40)
    got = checks.judge(None, ref, manifest, (), "rev-" + "9" * 40, False)  # type: ignore[arg-type]
    assert got.state is State.UNKNOWN
    assert "is an attestation manifest, not an image" in got.reason
    # an image manifest is judged as before
    image = dict(body, layers=[{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                "digest": "sha256:" + "3" * 64}])
    plain = Manifest(json.dumps(image).encode(), OCI_MANIFEST, CHILD)
    assert checks.judge(None, ref, plain, (), "rev-" + "9" * 40,  # type: ignore[arg-type]
                        False).state is State.PRESENT
