"""The merge: pairing platforms, reading each part, the index it writes (no network)."""

from __future__ import annotations

import json

import pytest

from ghbuild.cli import main
from ghbuild.errors import InputError, PolicyError, RegistryError
from ghbuild.merge import fetch_part, index_annotations, index_body, merge, pair_results
from ghbuild.multiplatform import (
    OCI_INDEX,
    OCI_MANIFEST,
    Platform,
    PlatformResult,
    push_layout,
    read_layout,
)
from tests.test_multiplatform import FakeRegistry, make_layout, sha

AMD, ARM = Platform.parse("linux/amd64"), Platform.parse("linux/arm64")
IMAGE = "r.example/acme/app"


def pushed(tmp_path, reg, arch, attest=True):
    root = tmp_path / arch
    root.mkdir()
    made = make_layout(root, arch, attest)
    digest = push_layout(reg, IMAGE, read_layout(root))
    return PlatformResult(IMAGE, Platform.parse(f"linux/{arch}"), digest), made


def result(platform, n="1"):
    return PlatformResult(IMAGE, platform, "sha256:" + n * 64)


def test_pairing_follows_the_expected_order():
    got = pair_results([AMD, ARM], [result(ARM, "2"), result(AMD, "1")])
    assert [r.platform for r in got] == [AMD, ARM]


def test_a_missing_platform_is_refused_by_policy():
    with pytest.raises(PolicyError, match=r"partial index: no image arrived for linux/arm64 "
                                          r"\(got 1 of 2\)"):
        pair_results([AMD, ARM], [result(AMD)])


def test_a_platform_handed_over_twice_is_bad_input():
    with pytest.raises(InputError, match="handed over twice"):
        pair_results([AMD], [result(AMD, "1"), result(AMD, "2")])


def test_an_unexpected_platform_is_bad_input():
    with pytest.raises(InputError, match="linux/s390x .* is not one of the expected"):
        pair_results([AMD], [result(AMD), result(Platform.parse("linux/s390x"))])


def test_merge_keeps_attestations_and_annotations_and_writes_no_tag(tmp_path):
    reg = FakeRegistry()
    amd, amd_made = pushed(tmp_path, reg, "amd64")
    arm, arm_made = pushed(tmp_path, reg, "arm64")
    merged = merge(reg, IMAGE, [AMD, ARM], [arm, amd],
                   {"org.opencontainers.image.version": "1.0.0"})
    doc = json.loads(merged.body)
    assert doc["mediaType"] == OCI_INDEX
    assert [m["digest"] for m in doc["manifests"]] == \
        [e["digest"] for e in amd_made["entries"]] + [e["digest"] for e in arm_made["entries"]]
    assert doc["manifests"][1]["annotations"]["vnd.docker.reference.digest"] == \
        amd_made["image"]
    assert doc["annotations"] == {"org.opencontainers.image.description": "d",
                                  "org.opencontainers.image.version": "1.0.0"}
    assert merged.digest == sha(merged.body)
    assert reg.writes[-1] == ("manifest", IMAGE, merged.digest)
    assert not [w for w in reg.writes if w[0] == "manifest" and not w[2].startswith("sha256:")]


def test_a_plain_manifest_part_gets_its_platform_from_the_config(tmp_path):
    reg = FakeRegistry()
    arm, made = pushed(tmp_path, reg, "arm64", attest=False)
    # Without attestations the layout's top is the index; take the image inside it.
    plain = PlatformResult(IMAGE, ARM, made["image"])
    part = fetch_part(reg, IMAGE, plain)
    assert part.image.platform == ARM and part.image.media_type == OCI_MANIFEST
    assert part.attestations == ()
    with pytest.raises(PolicyError, match="handed over as linux/amd64 but the image is for "
                                          "linux/arm64"):
        fetch_part(reg, IMAGE, PlatformResult(IMAGE, AMD, made["image"]))


def test_a_digest_the_registry_lacks_is_refused_before_writing(tmp_path):
    reg = FakeRegistry()
    amd, _ = pushed(tmp_path, reg, "amd64")
    before = list(reg.writes)
    with pytest.raises(PolicyError, match="is not in the registry"):
        merge(reg, IMAGE, [AMD, ARM], [amd, result(ARM, "9")], {})
    assert reg.writes == before


def test_other_bytes_from_the_registry_are_an_error(tmp_path):
    reg = FakeRegistry()
    amd, _ = pushed(tmp_path, reg, "amd64")
    media_type, body = reg.manifests[(IMAGE, amd.digest)]
    reg.manifests[(IMAGE, amd.digest)] = (media_type, body + b" ")
    with pytest.raises(RegistryError, match="returned other bytes"):
        fetch_part(reg, IMAGE, amd)


def test_parts_from_another_repository_are_refused():
    with pytest.raises(InputError, match="merge needs them in one repository"):
        merge(FakeRegistry(), IMAGE, [AMD],
              [PlatformResult("r.example/other", AMD, "sha256:" + "1" * 64)], {})


def test_conflicting_annotations_keep_the_first_and_warn(tmp_path):
    reg = FakeRegistry()
    amd, _ = pushed(tmp_path, reg, "amd64")
    arm, _ = pushed(tmp_path, reg, "arm64")
    a, b = fetch_part(reg, IMAGE, amd), fetch_part(reg, IMAGE, arm)
    b = type(b)(b.platform, b.image, b.attestations, {"org.opencontainers.image.description": "x"})
    warnings: list[str] = []
    got = index_annotations([a, b], {}, warnings.append)
    assert got == {"org.opencontainers.image.description": "d"}
    assert warnings and "differs between platforms" in warnings[0]
    assert index_annotations([a, b], {"org.opencontainers.image.description": "z"},
                             warnings.append)["org.opencontainers.image.description"] == "z"


def test_index_body_is_deterministic(tmp_path):
    reg = FakeRegistry()
    amd, _ = pushed(tmp_path, reg, "amd64")
    part = fetch_part(reg, IMAGE, amd)
    assert index_body([part], {"b": "1", "a": "2"}) == index_body([part], {"a": "2", "b": "1"})


@pytest.mark.parametrize(("argv", "message"), [
    (["--platforms", "linux"], "is not a platform"),
    (["--platforms", "linux/amd64"], "no tags to apply"),
    (["--platforms", "linux/amd64", "--tag", "a/b:1"], "no platform results"),
    (["--platforms", "linux/amd64", "--tag", "a/b"], "has no tag"),
    (["--platforms", "linux/amd64", "--tag", "a/b:1", "--digest", "linux/amd64=sha256:1"],
     "with --image"),
    (["--platforms", "linux/amd64", "--tag", "a/b:1", "--meta", "/nonexistent/m.json"],
     "cannot read"),
])
def test_cli_bad_input_exits_2_before_any_request(argv, message, capsys):
    assert main(["merge", *argv]) == 2
    assert message in capsys.readouterr().err


def test_cli_bad_annotation_is_bad_input(tmp_path, capsys):
    argv = ["merge", "--platforms", "linux/amd64", "--tag", "a/b:1", "--image", "a/b",
            "--digest", "linux/amd64=sha256:" + "1" * 64, "--annotation", "manifest:k=v"]
    assert main(argv) == 2
    assert "expected KEY=VALUE or index:KEY=VALUE" in capsys.readouterr().err
