"""Promotion: give an existing digest more tags without rebuilding it.

The manifest bytes are copied as they are, so the digest, and with it every
signature and attestation made for it, stays valid. Into another repository of the
same registry the blobs (and an index's child manifests) are mounted first. A
release tag that already names another digest is refused before anything is
written; every tag written is read back and compared. :func:`tag_pushed` does the
same for a digest a push already put into the target repositories (``ghbuild run``'s
release tags).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InputError, PolicyError, RegistryError
from .presence import State
from .reference import ImageRef, check_digest

if TYPE_CHECKING:
    from .client import Manifest, RegistryClient

# A full release version, with or without a leading v: the tags users expect never to move.
# Shorter forms (1, 1.2) and latest are moving tags by design, so they stay mutable.
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")


def semver_like(tag: str) -> bool:
    return bool(_SEMVER.match(tag))


def immutable_tags(releases: Iterable[str]) -> Callable[[str], bool]:
    """The ``immutable`` predicate for a promotion: full semver, and the given tag names
    (the meta engine's release tags, such as ``app-5.0.0`` or ``2.0.0rc1``)."""
    names = frozenset(releases)
    return lambda tag: semver_like(tag) or tag in names


class Action(str, enum.Enum):
    CREATED = "created"
    MOVED = "moved"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PromoteResult:
    target: ImageRef
    digest: str
    action: Action
    previous: str | None = None

    def describe(self) -> str:
        if self.action is Action.MOVED:
            return f"{self.target}: moved from {self.previous} to {self.digest}"
        return f"{self.target}: {self.action.value} at {self.digest}"


def promote(client: RegistryClient, source: ImageRef, targets: Sequence[ImageRef], *,
            allow_move: bool = False,
            immutable: Callable[[str], bool] = semver_like) -> list[PromoteResult]:
    """Tag ``source`` (pinned by digest) as every target of its own registry: every
    target read first (:func:`check_targets`), then written and read back
    (:func:`write_tags`)."""
    if not source.digest:
        raise InputError(f"promotion needs a source pinned by digest, got {source}")
    for target in targets:
        if target.api_host != source.api_host:
            # Another registry needs the image copied there first: registry/copy.py.
            raise InputError(f"promotion from {source.registry} to {target.registry}: only "
                             "targets in the same registry are supported")
    current = check_targets(client, targets, source.digest, allow_move=allow_move,
                            immutable=immutable)
    return write_tags(client, source, targets, current)


def _current_digests(client: RegistryClient, targets: Sequence[ImageRef], digest: str,
                     allow_move: bool, immutable: Callable[[str], bool]) -> dict[str, str | None]:
    """What each target tag names now; refuses before any write if a release tag would move."""
    now: dict[str, str | None] = {}
    refused: list[str] = []
    for target in targets:
        seen = client.resolve(target)
        tag = target.tag or ""
        if seen.state is State.UNKNOWN:
            if immutable(tag) and not allow_move:
                raise RegistryError(f"cannot tell whether release tag {target} exists "
                                    f"({seen.reason}); not writing it")
            now[str(target)] = None
            continue
        now[str(target)] = seen.digest if seen.state is State.PRESENT else None
        moved = seen.digest if seen.state is State.PRESENT and seen.digest != digest else None
        if moved and immutable(tag) and not allow_move:
            refused.append(f"{target} is {moved}, would become {digest}")
    if refused:
        raise PolicyError("refusing to move release tag(s): " + "; ".join(refused),
                          hint="release tags are immutable unless moving them is allowed")
    return now


def _copy_into(client: RegistryClient, source: ImageRef, target_repo: ImageRef,
               manifest: Manifest) -> None:
    """Make ``manifest`` resolvable by digest in ``target_repo``: blobs, then children."""
    data = manifest.json()
    if manifest.is_index:
        for entry in data.get("manifests") or []:
            child_digest = entry.get("digest") if isinstance(entry, dict) else None
            if not isinstance(child_digest, str):
                raise RegistryError(f"index {manifest.digest} has an entry without a digest")
            child = client.get_manifest(source.with_digest(child_digest))
            _copy_into(client, source, target_repo, child)
    else:
        for digest in _blob_digests(data):
            _ensure_blob(client, source, target_repo, digest)
    client.put_manifest(target_repo.with_digest(manifest.digest), manifest.body,
                        manifest.media_type)


def _blob_digests(data: dict[str, Any]) -> list[str]:
    out = []
    for entry in [data.get("config"), *(data.get("layers") or [])]:
        digest = entry.get("digest") if isinstance(entry, dict) else None
        if isinstance(digest, str) and digest not in out:
            out.append(digest)
    return out


def _ensure_blob(client: RegistryClient, source: ImageRef, target_repo: ImageRef,
                 digest: str) -> None:
    if client.blob_exists(target_repo, digest):
        return
    if client.mount_blob(source.repo_only(), target_repo, digest):
        return
    # The registry declined the mount (it may not know we can read the source): copy it.
    client.upload_blob(target_repo, client.get_blob(source.repo_only(), digest))


def _write_tag(client: RegistryClient, target: ImageRef, manifest: Manifest,
               previous: str | None) -> PromoteResult:
    if previous == manifest.digest:
        return PromoteResult(target, manifest.digest, Action.UNCHANGED, previous)
    written = client.put_manifest(target, manifest.body, manifest.media_type)
    back = client.resolve(target)
    if back.state is not State.PRESENT or back.digest != manifest.digest:
        raise RegistryError(f"wrote {target} as {written}, but reading it back gives "
                            f"{back.digest or back.state.value} ({back.reason})")
    action = Action.MOVED if previous else Action.CREATED
    return PromoteResult(target, manifest.digest, action, previous)


def tag_pushed(client: RegistryClient, digest: str, targets: Sequence[ImageRef], *,
               allow_move: bool = False, immutable: Callable[[str], bool] = semver_like,
               on_result: Callable[[PromoteResult], None] | None = None
               ) -> list[PromoteResult]:
    """Tag ``digest``, which a push already put into every target's repository (buildx
    pushes it there under the key tag), so no blob or child manifest is copied.

    As in :func:`promote`, every target is read first and a release tag naming another
    digest refuses the whole call before any write; each tag written is read back. The
    read of a tag and its PUT are a few round trips apart, not a build apart: this is
    how ``ghbuild run`` writes release tags after buildx pushed the others. The
    distribution API has no conditional PUT, so a writer that gets in between those
    round trips is still overwritten (one that writes just after the PUT is caught by
    the read-back). ``on_result`` hears of each tag as it is written, so a caller can
    say which were written if a later write fails."""
    check_digest(digest)
    _check_tag_targets(targets)
    manifests: dict[str, Manifest] = {}
    for target in targets:
        repo = str(target.repo_only())
        if repo not in manifests:
            manifests[repo] = _pushed_manifest(client, target.repo_only(), digest)
    current = check_targets(client, targets, digest, allow_move=allow_move,
                            immutable=immutable)
    results = []
    for target in targets:
        result = _write_tag(client, target, manifests[str(target.repo_only())],
                            current[str(target)])
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _pushed_manifest(client: RegistryClient, repo: ImageRef, digest: str) -> Manifest:
    manifest = client.get_manifest(repo.with_digest(digest))
    if manifest.digest != digest:
        raise RegistryError(f"{repo}@{digest} was answered with a manifest of digest "
                            f"{manifest.digest}")
    return manifest


# -- the pieces of promote(), for a caller that spreads one digest over several registries
# (registry/copy.py and ghbuild run): all targets are read before the first write anywhere.
def check_targets(client: RegistryClient, targets: Sequence[ImageRef], digest: str, *,
                  allow_move: bool = False, immutable: Callable[[str], bool] = semver_like
                  ) -> dict[str, str | None]:
    """What each target tag names now (None: nothing), read-only; raises
    :class:`PolicyError` before any write if a release tag would move to ``digest``,
    and :class:`RegistryError` if a release tag's answer is doubtful. Targets may be on
    any registry."""
    check_digest(digest)
    _check_tag_targets(targets)
    return _current_digests(client, targets, digest, allow_move, immutable)


def _check_tag_targets(targets: Sequence[ImageRef]) -> None:
    for target in targets:
        if not target.tag or target.digest:
            raise InputError(f"promotion target {target} must be a tag without a digest")


def write_tags(client: RegistryClient, source: ImageRef, targets: Sequence[ImageRef],
               current: Mapping[str, str | None], *,
               on_result: Callable[[PromoteResult], None] | None = None
               ) -> list[PromoteResult]:
    """:func:`promote`'s writes with ``current`` from :func:`check_targets`: every target
    must be in ``source``'s registry, which holds ``source`` by digest (a repository of
    its own gets the blobs mounted first). Each tag is read back; ``on_result`` hears of
    each as it is written."""
    if not source.digest:
        raise InputError(f"promotion needs a source pinned by digest, got {source}")
    for target in targets:
        if target.api_host != source.api_host:
            raise InputError(f"write_tags from {source.registry} to {target.registry}: "
                             "copy the image into that registry first (registry/copy.py)")
    manifest = _pushed_manifest(client, source.repo_only(), source.digest)
    copied: set[str] = {source.repository}
    results = []
    for target in targets:
        if target.repository not in copied:
            _copy_into(client, source, target.repo_only(), manifest)
            copied.add(target.repository)
        result = _write_tag(client, target, manifest, current[str(target)])
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
