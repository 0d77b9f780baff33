from __future__ import annotations

import pytest

from ghbuild.errors import InputError
from ghbuild.registry.checks import index_platforms, normalise_platform, platform_of


@pytest.mark.parametrize(("text", "expected"), [
    ("linux/amd64", "linux/amd64"), ("Linux/AMD64", "linux/amd64"),
    ("linux/x86_64", "linux/amd64"), ("linux/aarch64", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"), ("linux/arm64", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"), ("linux/arm/v6", "linux/arm/v6"),
    ("windows/amd64", "windows/amd64"), (" linux/s390x ", "linux/s390x"),
])
def test_normalise_platform(text, expected):
    assert normalise_platform(text) == expected


@pytest.mark.parametrize("text", ["linux", "amd64", "linux/", "/amd64", "linux/arm/v7/x", ""])
def test_bad_platform(text):
    with pytest.raises(InputError, match="is not a platform"):
        normalise_platform(text)


def test_platform_of_objects():
    assert platform_of({"os": "linux", "architecture": "arm", "variant": "v7"}) == "linux/arm/v7"
    assert platform_of({"os": "unknown", "architecture": "unknown"}) is None
    assert platform_of({"os": "linux"}) is None
    assert platform_of({"os": 1, "architecture": "amd64"}) is None


def test_index_platforms_skip_attestations_and_duplicates():
    data = {"manifests": [
        {"digest": "a", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "b", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "c", "platform": {"os": "linux", "architecture": "amd64"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
        {"digest": "d", "platform": {"os": "unknown", "architecture": "unknown"}},
        {"digest": "e", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "f"},
        "garbage",
    ]}
    assert index_platforms(data) == ("linux/amd64", "linux/arm64")


def test_containerd_spellings_of_a_default_variant_compare_with_the_index():
    from ghbuild.registry.checks import normalise_platform

    # BuildKit writes linux/amd64 for a build asked as linux/amd64/v1 (containerd's
    # Normalize); a check asking for the latter must still find it, not rebuild each run
    assert normalise_platform("linux/amd64/v1") == "linux/amd64"
    assert normalise_platform("linux/arm64/v8.0") == "linux/arm64"
    assert normalise_platform("linux/arm64/v9.0") == "linux/arm64/v9"
    assert normalise_platform("linux/amd64/v3") == "linux/amd64/v3"
