"""Copying an image into another registry by digest, blob by blob, in bounded memory.

Promotion (promote.py) stays inside one registry, where a blob is mounted rather than
sent. Into another registry each blob the target lacks is streamed: a GET on the source
feeds a monolithic upload on the target (POST, then PUT with ``?digest=``) through a
buffer of fixed size, hashed on the way. The block that completes the blob is held back
until its hash and length are checked, so a blob that does not match its digest is
never completed on the target. Manifests are PUT by digest with their exact bytes and
media type, children (image and attestation manifests) before the index that names
them, so the digest, and every signature and attestation made for it, stays as it was.
Tags come last, under promotion's rules (``promote.check_targets``, ``write_tags``).

Known limits: only what the manifest tree names is copied. Referrers that are separate
manifests pointing at the image (cosign's ``sha256-<digest>.sig`` tags, OCI 1.1
``subject`` referrers) are not found or copied. A layer is sent in one PUT: a registry
that caps the size of a monolithic upload (and wants PATCH chunks) refuses it, and
the error names the blob. A PUT the client retries (a connection error, a 5xx) reads
the blob from the source again and goes to the same upload URL; a registry that dropped
that upload session refuses it, and a rerun copies again, skipping the blobs already
there. A 401 on the PUT itself (a token that expired between POST and PUT) is not
answered with a resend of the stream: that upload fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from ..errors import InputError, RegistryError
from .client import Manifest, RegistryClient
from .promote import PromoteResult, check_targets, semver_like, write_tags
from .reference import ImageRef, check_digest

# The most a copy holds of one blob at a time (one block read from the source, handed to
# the upload in pieces no larger): large enough that a layer costs few reads.
BUFFER = 1 << 20
# Layers that registries must not be asked to store (Windows base layers): their
# descriptors carry URLs, and clients fetch them from there.
_FOREIGN = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")


class BlobMismatch(RegistryError):
    """A blob's bytes do not match its digest or its size: nothing is completed."""


@dataclass
class CopyStats:
    blobs_copied: int = 0
    blobs_present: int = 0     # the target had them already
    bytes_copied: int = 0
    manifests_written: int = 0
    manifests_present: int = 0

    def describe(self) -> str:
        return (f"{self.blobs_copied} blob(s) copied ({self.bytes_copied} bytes), "
                f"{self.blobs_present} already there; {self.manifests_written} manifest(s) "
                f"written by digest, {self.manifests_present} already there")


class VerifiedBody:
    """A blob's bytes on their way between registries, as an upload body: ``read`` hands
    out at most ``buffer`` bytes, pulled block by block from ``chunks``; the hash is kept
    as they pass, and the block that would complete the blob is only handed out once
    length and digest are checked (:class:`BlobMismatch` otherwise). ``len`` and ``tell``
    give requests the Content-Length. ``seek(0)`` (urllib3 rewinds a body before it
    retries a request) starts again from ``reopen()``, a new read of the source; without
    ``reopen`` the body cannot be rewound."""

    def __init__(self, chunks: Iterable[bytes], digest: str, size: int, *, where: str,
                 buffer: int = BUFFER,
                 reopen: Callable[[], Iterable[bytes]] | None = None) -> None:
        algorithm = check_digest(digest).partition(":")[0]
        if algorithm not in ("sha256", "sha512"):
            raise InputError(f"{where}: digest algorithm {algorithm!r} is not supported")
        self._digest, self._size, self._buffer, self._where = digest, size, buffer, where
        self._algorithm, self._reopen = algorithm, reopen
        self.largest_read = 0   # for tests: the biggest block handed out
        self.restarts = 0
        self._start(chunks)

    def _start(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._hash = hashlib.new(self._algorithm)
        self._seen = 0      # bytes pulled from the source
        self._pos = 0       # bytes handed out
        self._pending = memoryview(b"")
        self._done = False

    def __len__(self) -> int:
        return self._size

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0 and offset == self._pos:
            return self._pos
        if whence == 0 and offset == 0 and self._reopen is not None:
            self.restarts += 1
            self._start(self._reopen())
            return 0
        raise OSError(f"{self._where} is streamed from its registry and cannot be rewound")

    def read(self, amount: int | None = -1) -> bytes:
        limit = self._buffer if amount is None or amount < 0 else min(amount, self._buffer)
        while not self._pending and not self._done:
            self._pull()
        out = bytes(self._pending[:limit])
        self._pending = self._pending[limit:]
        self._pos += len(out)
        self.largest_read = max(self.largest_read, len(out))
        return out

    def _pull(self) -> None:
        chunk = self._next()
        if chunk is None:
            self._finish()
            return
        self._hash.update(chunk)
        self._seen += len(chunk)
        if self._seen > self._size:
            raise BlobMismatch(f"{self._where} is longer than the {self._size} bytes its "
                               "descriptor gives: refusing to copy it")
        if self._seen == self._size:
            if self._next() is not None:
                raise BlobMismatch(f"{self._where} is longer than the {self._size} bytes "
                                   "its descriptor gives: refusing to copy it")
            self._finish()  # before the last block is handed out
        self._pending = memoryview(chunk)

    def _finish(self) -> None:
        self._done = True
        if self._seen != self._size:
            raise BlobMismatch(f"{self._where} ended after {self._seen} of its {self._size} "
                               "bytes: refusing to copy it")
        got = f"{self._hash.name}:{self._hash.hexdigest()}"
        if got != self._digest:
            raise BlobMismatch(f"{self._where} hashes to {got}, not to its digest: refusing "
                               "to copy it")

    def _next(self) -> bytes | None:
        try:
            while True:
                chunk = next(self._chunks)
                if chunk:
                    return chunk
        except StopIteration:
            return None
        except (requests.RequestException, OSError) as exc:
            # Not an OSError any more: urllib3 would take it for the target's fault.
            raise RegistryError(f"reading {self._where} failed: {exc}") from None


# -- the manifest tree ---------------------------------------------------------------------
def copy_tree(client: RegistryClient, source: ImageRef, target_repo: ImageRef, *,
              buffer: int = BUFFER, stats: CopyStats | None = None) -> CopyStats:
    """Make ``source`` (pinned by digest) resolvable by the same digest in
    ``target_repo`` on another registry; writes no tag. What the target already holds
    (a manifest by digest, a blob) is not read or sent again."""
    if not source.digest:
        raise InputError(f"a copy needs a source pinned by digest, got {source}")
    if target_repo.api_host == source.api_host:
        raise InputError(f"{source} and {target_repo} are in one registry: promotion "
                         "mounts the blobs there instead of copying them")
    stats = stats or CopyStats()
    _copy_manifest(client, source.repo_only(), target_repo.repo_only(), source.digest,
                   buffer, stats)
    return stats


def _copy_manifest(client: RegistryClient, source: ImageRef, target: ImageRef, digest: str,
                   buffer: int, stats: CopyStats) -> None:
    # A registry stores a manifest only once all it names is there: present means done.
    if isinstance(client.fetch(target.with_digest(digest)), Manifest):
        stats.manifests_present += 1
        return
    manifest = client.get_manifest(source.with_digest(digest))
    data = manifest.json()
    if manifest.is_index:
        for child in _children(manifest, data):
            _copy_manifest(client, source, target, child, buffer, stats)
    else:
        for descriptor in _blobs(data):
            _copy_blob(client, source, target, descriptor, buffer, stats)
    client.put_manifest(target.with_digest(manifest.digest), manifest.body, manifest.media_type)
    stats.manifests_written += 1


def _children(manifest: Manifest, data: dict[str, Any]) -> list[str]:
    out = []
    for entry in data.get("manifests") or []:
        digest = entry.get("digest") if isinstance(entry, dict) else None
        if not isinstance(digest, str):
            raise RegistryError(f"index {manifest.digest} has an entry without a digest")
        out.append(digest)
    return out


def _blobs(data: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in [data.get("config"), *(data.get("layers") or [])]:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise RegistryError("a manifest names a blob without a digest")
        if entry.get("mediaType") in _FOREIGN and entry.get("urls"):
            continue
        if all(entry["digest"] != seen["digest"] for seen in out):
            out.append(entry)
    return out


def _copy_blob(client: RegistryClient, source: ImageRef, target: ImageRef,
               descriptor: dict[str, Any], buffer: int, stats: CopyStats) -> None:
    digest = descriptor["digest"]
    if client.blob_exists(target, digest):
        stats.blobs_present += 1
        return
    where = f"blob {digest} from {source.name}"
    streams = [client.open_blob(source, digest, chunk_size=buffer)]

    def reopen() -> Iterable[bytes]:
        # A retry of the upload (the client's policy) reads the source again from the start.
        streams[-1].close()
        streams.append(client.open_blob(source, digest, chunk_size=buffer))
        return streams[-1].chunks

    try:
        size = _blob_size(descriptor.get("size"), streams[0].size, where)
        body = VerifiedBody(streams[0].chunks, digest, size, where=where, buffer=buffer,
                            reopen=reopen)
        client.upload_stream(target, digest, body, size)
    finally:
        for stream in streams:
            stream.close()
    stats.blobs_copied += 1
    stats.bytes_copied += size


def _blob_size(declared: object, sent: int | None, where: str) -> int:
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 0:
        raise RegistryError(f"{where}: its descriptor has no valid size ({declared!r})")
    if sent is not None and sent != declared:
        raise BlobMismatch(f"{where}: the registry sends {sent} bytes, its descriptor gives "
                           f"{declared}: refusing to copy it")
    return declared


# -- tags on several registries --------------------------------------------------------------
@dataclass(frozen=True)
class Placement:
    """One registry's part of spreading a digest: its tags, the image they are promoted
    from there (pinned by digest), and, when that registry lacks it, where to copy it
    from first."""

    registry: str
    targets: tuple[ImageRef, ...]
    source: ImageRef
    copy_from: ImageRef | None = None


def by_registry(refs: Sequence[ImageRef]) -> list[list[ImageRef]]:
    """``refs`` grouped by registry host, groups and members in their first order."""
    groups: dict[str, list[ImageRef]] = {}
    for ref in refs:
        groups.setdefault(ref.api_host, []).append(ref)
    return list(groups.values())


def place(client: RegistryClient, placements: Sequence[Placement],
          current: dict[str, str | None], *, buffer: int = BUFFER,
          on_result: Callable[[PromoteResult], None] | None = None,
          on_copied: Callable[[Placement, CopyStats], None] | None = None
          ) -> list[PromoteResult]:
    """Every copy first, then each registry's tags in order, with ``current`` from
    ``promote.check_targets`` over all targets: a copy that fails leaves every tag on
    every registry as it was."""
    for placement in placements:
        if placement.copy_from is not None:
            stats = copy_tree(client, placement.copy_from, placement.source.repo_only(),
                              buffer=buffer)
            if on_copied is not None:
                on_copied(placement, stats)
    results: list[PromoteResult] = []
    for placement in placements:
        results += write_tags(client, placement.source, placement.targets, current,
                              on_result=on_result)
    return results


def copy_image(client: RegistryClient, source: ImageRef, targets: Sequence[ImageRef], *,
               allow_move: bool = False, immutable: Callable[[str], bool] = semver_like,
               buffer: int = BUFFER,
               on_result: Callable[[PromoteResult], None] | None = None
               ) -> list[PromoteResult]:
    """Tags on other registries for ``source`` (pinned by digest). Every target is read
    first: a release tag that would move refuses the whole copy (exit 3) before anything
    is written. Then the image is copied into one repository per registry (the others
    there get it mounted), and the tags are written and read back."""
    if not source.digest:
        raise InputError(f"a copy needs a source pinned by digest, got {source}")
    for target in targets:
        if target.api_host == source.api_host:
            raise InputError(f"{target} is in the registry of {source}: promote it instead")
    placements = [Placement(group[0].registry, tuple(group),
                            group[0].repo_only().with_digest(source.digest), copy_from=source)
                  for group in by_registry(targets)]
    current = check_targets(client, targets, source.digest, allow_move=allow_move,
                            immutable=immutable)
    return place(client, placements, current, buffer=buffer, on_result=on_result)
