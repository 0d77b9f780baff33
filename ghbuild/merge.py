"""Join per-platform images into one OCI index, then publish it under the final tags.

Each platform job pushed its image by digest (see :mod:`ghbuild.multiplatform`): a
plain image manifest, or (with provenance or SBOM) a one-platform index holding the
image manifest and its attestation manifests. The merge

1. pairs every expected platform with exactly one handover and refuses a partial set;
2. reads each digest back from the registry, checks the image really is for that
   platform, and keeps its attestation manifests (they point at the image digest,
   which does not change, so they stay valid) and its index annotations;
3. writes one index by digest (no tag yet), so a failure before step 4 publishes nothing;
4. applies the tags as ``ghbuild run`` does (:func:`placements`, ``run.place_tags``):
   promoted within the index's registry; into another registry the index is copied by
   digest first (registry/copy.py), then tagged there. Every tag is read back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import InputError, PolicyError, RegistryError
from .multiplatform import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    REF_DIGEST,
    BlobRegistry,
    Descriptor,
    Platform,
    PlatformResult,
)
from .registry.copy import Placement, by_registry
from .registry.reference import ImageRef


@dataclass(frozen=True)
class Part:
    """One platform's contribution to the merged index."""

    platform: Platform
    image: Descriptor
    attestations: tuple[Descriptor, ...]
    annotations: Mapping[str, str]


@dataclass(frozen=True)
class Merged:
    digest: str
    body: bytes
    parts: tuple[Part, ...]

    @property
    def platforms(self) -> list[str]:
        return [str(p.platform) for p in self.parts]


class Promoter(Protocol):
    """Adds tags to a digest that already exists (the registry client's promotion)."""

    def __call__(self, image: str, digest: str, tags: Sequence[str]) -> None: ...


def pair_results(expected: Sequence[Platform],
                 results: Sequence[PlatformResult]) -> list[PlatformResult]:
    """One result per expected platform, in the expected order; anything else refused."""
    by_platform: dict[Platform, PlatformResult] = {}
    for result in results:
        if result.platform in by_platform:
            other = by_platform[result.platform]
            raise InputError(f"platform {result.platform} was handed over twice "
                             f"({other.digest} and {result.digest}); one job per platform")
        if result.platform not in expected:
            raise InputError(f"platform {result.platform} ({result.digest}) is not one of the "
                             f"expected platforms {', '.join(map(str, expected))}")
        by_platform[result.platform] = result
    missing = [str(p) for p in expected if p not in by_platform]
    if missing:
        raise PolicyError(f"refusing to publish a partial index: no image arrived for "
                          f"{', '.join(missing)} (got {len(by_platform)} of {len(expected)})")
    return [by_platform[p] for p in expected]


def fetch_part(registry: BlobRegistry, image: str, result: PlatformResult) -> Part:
    got = registry.get_manifest(image, result.digest)
    if got is None:
        raise PolicyError(f"refusing to publish a partial index: {image}@{result.digest} "
                          f"({result.platform}) is not in the registry")
    media_type, body = got
    if "sha256:" + hashlib.sha256(body).hexdigest() != result.digest:
        raise RegistryError(f"{image}@{result.digest}: the registry returned other bytes")
    if media_type in INDEX_TYPES:
        return _part_from_index(image, result, json.loads(body))
    if media_type in MANIFEST_TYPES:
        return _part_from_manifest(registry, image, result, media_type, body)
    raise RegistryError(f"{image}@{result.digest}: unexpected media type {media_type!r}")


def _part_from_index(image: str, result: PlatformResult, doc: Mapping[str, Any]) -> Part:
    """The image for ``result.platform`` in an index, with the attestations naming it.

    The index is usually a platform job's one-platform index; it may also be a merged
    index found by the existence check, whose other platforms are left out here.
    """
    where = f"{image}@{result.digest}"
    descs = [Descriptor.parse(m, where) for m in doc.get("manifests") or []]
    images = [d for d in descs if not d.is_attestation]
    chosen = [d for d in images if d.platform == result.platform]
    if len(chosen) != 1:
        found = ", ".join(str(d.platform) for d in images) or "none"
        raise PolicyError(f"{where}: handed over as {result.platform} but the image is for "
                          f"{found}; refusing to publish it as {result.platform}")
    attestations = tuple(d for d in descs
                         if d.is_attestation and d.annotations.get(REF_DIGEST) == chosen[0].digest)
    annotations = doc.get("annotations") or {}
    return Part(result.platform, chosen[0], attestations,
                {str(k): str(v) for k, v in annotations.items()})


def _part_from_manifest(registry: BlobRegistry, image: str, result: PlatformResult,
                        media_type: str, body: bytes) -> Part:
    where = f"{image}@{result.digest}"
    config = Descriptor.parse(json.loads(body).get("config"), where + " config")
    conf = json.loads(registry.get_blob(image, config.digest))
    actual = Platform.from_descriptor(conf)
    _check_platform(where, result.platform, actual)
    desc = Descriptor(media_type, result.digest, len(body), actual)
    return Part(result.platform, desc, (), {})


def _check_platform(where: str, expected: Platform, actual: Platform | None) -> None:
    if actual != expected:
        raise PolicyError(f"{where}: handed over as {expected} but the image is for "
                          f"{actual or 'no platform'}; refusing to publish it as {expected}")


def _descriptor_json(desc: Descriptor) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaType": desc.media_type, "digest": desc.digest,
                           "size": desc.size}
    if desc.platform is not None:
        plat = {"architecture": desc.platform.architecture, "os": desc.platform.os}
        if desc.platform.variant:
            plat["variant"] = desc.platform.variant
        out["platform"] = plat
    elif desc.is_attestation:
        out["platform"] = {"architecture": "unknown", "os": "unknown"}
    if desc.annotations:
        out["annotations"] = dict(desc.annotations)
    return out


def index_annotations(parts: Sequence[Part], extra: Mapping[str, str],
                      warn: Any = None) -> dict[str, str]:
    """The parts' index annotations, then ``extra`` (computed once) on top.

    When platforms disagree on a key (an unpinned ``created`` time, say) the first
    platform's value is kept and ``warn`` is told which key differed.
    """
    out: dict[str, str] = {}
    for part in parts:
        for key, value in part.annotations.items():
            if key in out and out[key] != value and key not in extra and warn:
                warn(f"index annotation {key} differs between platforms; keeping "
                     f"{out[key]!r} from {parts[0].platform}")
            out.setdefault(key, value)
    out.update(extra)
    return out


def index_body(parts: Sequence[Part], annotations: Mapping[str, str]) -> bytes:
    manifests: list[dict[str, Any]] = []
    for part in parts:
        manifests.append(_descriptor_json(part.image))
        manifests.extend(_descriptor_json(att) for att in part.attestations)
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    if annotations:
        doc["annotations"] = dict(sorted(annotations.items()))
    return json.dumps(doc, separators=(",", ":")).encode()


def merge(registry: BlobRegistry, image: str, expected: Sequence[Platform],
          results: Sequence[PlatformResult], extra_annotations: Mapping[str, str],
          warn: Any = None) -> Merged:
    """Check every platform, write the index by digest (untagged) and return it."""
    if not expected:
        raise InputError("--platforms: no platform expected")
    for result in results:
        if result.image != image:
            raise InputError(f"platform {result.platform} was pushed to {result.image}, "
                             f"not to {image}; merge needs them in one repository")
    paired = pair_results(expected, results)
    parts = tuple(fetch_part(registry, image, r) for r in paired)
    body = index_body(parts, index_annotations(parts, extra_annotations, warn))
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    stored = registry.put_manifest(image, digest, OCI_INDEX, body)
    if stored != digest:
        raise RegistryError(f"{image}: registry stored the index {digest} as {stored}")
    return Merged(digest, body, parts)


def verify_tags(registry: BlobRegistry, tags: Sequence[str], digest: str) -> None:
    """Read every tag back; each must name exactly ``digest``."""
    from .multiplatform import split_tag

    for tag in tags:
        repo, name = split_tag(tag)
        got = registry.get_manifest(repo, name)
        actual = "sha256:" + hashlib.sha256(got[1]).hexdigest() if got else None
        if actual != digest:
            raise RegistryError(f"tag {tag} resolves to {actual or 'nothing'} after promotion, "
                                f"expected {digest}")


def placements(source: ImageRef, targets: Sequence[ImageRef]) -> list[Placement]:
    """Where the tags of ``source`` (pinned by digest) are written, one registry each, the
    first tag's registry first. In ``source``'s registry they are promoted from it; any
    other registry gets the tree copied in first (a copy finds what is already there by
    digest and sends nothing for it), then its tags are promoted there."""
    assert source.digest
    out = []
    for group in by_registry(targets):
        if group[0].api_host == source.api_host:
            out.append(Placement(group[0].registry, tuple(group), source))
        else:
            pinned = group[0].repo_only().with_digest(source.digest)
            out.append(Placement(group[0].registry, tuple(group), pinned, copy_from=source))
    return out


def key_tags_elsewhere(image: str, tags: Sequence[str], key_tag: str) -> list[str]:
    """The build key tag for every repository ``tags`` name on a registry other than
    ``image``'s, so a later ``ghbuild run`` finds the build there and promotes within
    that registry instead of copying it again (as run gives the key tag to a copy)."""
    home = ImageRef.parse(image, input_name="--image").api_host
    out: list[str] = []
    for tag in tags:
        ref = ImageRef.parse(tag, input_name="tags")
        key = str(ref.repo_only().with_tag(key_tag))
        if ref.api_host != home and key not in out and key not in tags:
            out.append(key)
    return out
