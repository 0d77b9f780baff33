"""``ghbuild merge``: join the per-platform images of a run into one index and tag it.

Inputs: the platforms expected (``--platforms``), what each platform job pushed (a
directory of handover files from ``--digests``, or ``--digest PLATFORM=DIGEST``), and
the tags, from the run's shared metadata (``--meta``, computed once by the prepare job)
or ``--tag``. A missing platform refuses the merge (exit 3) before anything is written.

Stdout: ``{"digest", "image", "tags", "platforms"}``; on a runner the same as step
outputs ``digest``, ``image``, ``tags`` (one per line), ``platforms``.
Credentials: the docker config (``DOCKER_CONFIG``), or ``--username`` with the password
on stdin (``--password-stdin``), as ``docker login`` takes it; that login is for the
registry of ``--image``. Tags may name other registries too: the index is copied there
by digest and tagged as ``ghbuild run`` does, with the docker config's login for them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import buildkey
from ..errors import InputError, RegistryError
from ..gha import Actions, safe_json
from ..inputs import check_runner_files
from ..merge import Merged, key_tags_elsewhere, merge, placements, verify_tags
from ..multiplatform import (
    ClientRegistry,
    Platform,
    PlatformResult,
    SharedMeta,
    parse_platforms,
    parse_shared_meta,
    read_handovers,
    split_tag,
    unique,
)
from ..registry.credentials import login_password

if TYPE_CHECKING:
    from ..registry import ImageRef, RegistryClient


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platforms",
                        help="every platform the index must have, e.g. linux/amd64,linux/arm64")
    parser.add_argument("--digests", metavar="DIR",
                        help="directory of the platform jobs' handover files (*.json)")
    parser.add_argument("--digest", action="append", default=[], metavar="PLATFORM=DIGEST",
                        help="a platform's digest given directly (repeatable; needs --image)")
    parser.add_argument("--image", help="repository the platform images were pushed to "
                                        "(default: the one in the handover files)")
    parser.add_argument("--meta", metavar="FILE",
                        help="the run's shared metadata JSON (tags, annotations) from the "
                             "prepare job (ghbuild meta or metadata-action's json output)")
    parser.add_argument("--tag", action="append", default=[], metavar="REF",
                        help="a final tag, registry/name:tag (repeatable; adds to --meta)")
    parser.add_argument("--annotation", action="append", default=[], metavar="KEY=VALUE",
                        help="an index annotation (repeatable; an 'index:' prefix is allowed)")
    parser.add_argument("--revision", metavar="SHA",
                        help="record this commit's build key on the index (annotation and key "
                             "tag), so later runs find it; with --promote-only, the new commit")
    parser.add_argument("--promote-only", metavar="JSON",
                        help="instead of merging: the 'promote-only' output of ghbuild matrix; "
                             "each image's base build gets this run's tags, no rebuild")
    parser.add_argument("--config", metavar="FILE",
                        help="with --promote-only: the config file (default: "
                             ".github/ghbuild.yml in the workspace)")
    parser.add_argument("--allow-move", action="store_true",
                        help="allow moving a release tag (x.y.z) that names another digest")
    parser.add_argument("--username", help="registry user (password from --password-stdin)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the registry password or token from stdin")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the platform images and print the index; write nothing")


def run(args: argparse.Namespace) -> int:
    if not args.dry_run:
        # the step outputs are written after the index is pushed: checked before
        check_runner_files()
    actions = Actions()
    _read_password(args, actions)
    if args.promote_only is not None:
        return _promote_only(args, actions)
    if not args.platforms:
        raise InputError("--platforms is required: every platform the index must have")
    expected = parse_platforms(args.platforms, source="--platforms")
    _check_digests_dir(args.digests)
    meta = _meta(args)
    tags = unique([*(meta.tags if meta else ()), *_checked_tags(args.tag)])
    if not tags and not args.dry_run:
        raise InputError("no tags to apply: give --meta with tags or --tag REF")
    results = _results(args)
    image = _image(args, results)
    annotations = {**(meta.index_annotations() if meta else {}), **_annotations(args)}
    if args.revision:
        # The platform jobs' build inputs (INPUT_*) give the same key ghbuild run would.
        key = buildkey.revision_key(args.revision, buildkey.settings_from_env(os.environ))
        annotations[buildkey.BUILD_KEY_ANNOTATION] = key
        tags.append(f"{image}:{buildkey.key_tag_name(key)}")
        tags += key_tags_elsewhere(image, tags, buildkey.key_tag_name(key))
    registry = ClientRegistry(_client(args, image, actions))
    with actions.group(f"Merge {len(expected)} platforms into {image}"):
        merged = _merge_or_dry_run(registry, image, expected, results, annotations, args,
                                   actions)
    if args.dry_run:
        print(merged.body.decode())
        return 0
    _promote(registry, image, merged.digest, tags, args.allow_move, actions)
    _report(actions, image, merged, tags)
    return 0


def _merge_or_dry_run(registry: ClientRegistry, image: str, expected: list[Platform],
                      results: list[PlatformResult],
                      annotations: dict[str, str], args: argparse.Namespace,
                      actions: Actions) -> Merged:
    if args.dry_run:
        from ..merge import fetch_part, index_annotations, index_body, pair_results

        parts = tuple(fetch_part(registry, image, r) for r in pair_results(expected, results))
        body = index_body(parts, index_annotations(parts, annotations, actions.warning))
        return Merged("", body, parts)
    merged = merge(registry, image, expected, results, annotations, actions.warning)
    for part in merged.parts:
        actions.info(f"{part.platform}: {part.image.digest} "
                     f"(+{len(part.attestations)} attestation manifest(s))")
    actions.info(f"index {image}@{merged.digest}")
    return merged


def _meta(args: argparse.Namespace) -> SharedMeta | None:
    if not args.meta:
        return None
    path = Path(args.meta)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--meta {args.meta}: cannot read: {exc.strerror}")
    return parse_shared_meta(text, args.meta)


def _checked_tags(tags: list[str]) -> list[str]:
    for tag in tags:
        split_tag(tag)
    return tags


def _check_digests_dir(directory: str | None) -> None:
    """The handover directory first: a missing one (the artifact download did not run)
    is the cause of everything after, so it is named before the tags are looked at."""
    if not directory:
        return
    root = Path(directory)
    if not root.is_dir():
        what = "is a file, not a directory" if root.exists() else "no such directory"
        raise InputError(f"--digests {directory}: {what} (did the artifact download run?)")
    if not any(root.glob("*.json")):
        raise InputError(f"--digests {directory}: no *.json handover files in it (did the "
                         "platform jobs upload them?)")


def _results(args: argparse.Namespace) -> list[PlatformResult]:
    results = read_handovers(args.digests) if args.digests else []
    for item in args.digest:
        plat, sep, digest = item.partition("=")
        if not sep or not args.image:
            raise InputError(f"--digest {item!r}: expected PLATFORM=sha256:..., with --image")
        results.append(PlatformResult(args.image, Platform.parse(plat, source="--digest"),
                                      digest.strip()))
    if not results:
        raise InputError("no platform results: give --digests DIR or --digest PLATFORM=DIGEST")
    return results


def _image(args: argparse.Namespace, results: list[PlatformResult]) -> str:
    images = unique(r.image for r in results)
    if args.image:
        return str(args.image)
    if len(images) != 1:
        raise InputError(f"the handover files name {len(images)} repositories "
                         f"({', '.join(images)}); pass --image")
    return images[0]


def _annotations(args: argparse.Namespace) -> dict[str, str]:
    out = {}
    for item in args.annotation:
        key, sep, value = item.partition("=")
        key = key.removeprefix("index:")
        if not sep or not key or ":" in key:
            raise InputError(f"--annotation {item!r}: expected KEY=VALUE or index:KEY=VALUE")
        out[key] = value
    return out


def _read_password(args: argparse.Namespace, actions: Actions) -> None:
    """Read the password from stdin once, before any client is made."""
    args.password = ""
    if args.password_stdin:
        if not args.username:
            raise InputError("--password-stdin needs --username")
        args.password = login_password(sys.stdin.read())
        actions.add_secret(args.password)


def _client(args: argparse.Namespace, image: str, actions: Actions) -> Any:
    from ..registry import Credentials, CredentialStore, ImageRef, RegistryClient

    store = CredentialStore.from_docker_config()
    if getattr(args, "password", ""):
        host = ImageRef.parse(image, input_name="--image").registry
        store = store.with_static(host, Credentials(args.username, args.password))
    return RegistryClient(store, secret_sink=actions.add_secret)


def _promote(registry: ClientRegistry, image: str, digest: str, tags: list[str],
             allow_move: bool, actions: Actions) -> None:
    from ..registry import ImageRef
    from ..registry.promote import semver_like
    from . import run as runcmd

    source = ImageRef.parse(image, input_name="--image").with_digest(digest)
    targets = [ImageRef.parse(tag, input_name="tags") for tag in tags]
    # As in run: full semver, and every tag spelling out the release of the git tag this
    # workflow runs for (app-7.7.7 from {{major}}.{{minor}}.{{patch}}, type=match, ...).
    spelled = {t.rpartition(":")[2] for t in
               runcmd.spelled_release_tags(tags, os.environ.get("GITHUB_REF", ""))}
    with actions.group(f"Tag {digest}"):
        _place(registry.client, source, targets, allow_move,
               lambda tag: semver_like(tag) or tag in spelled, actions)
    verify_tags(registry, tags, digest)


def _place(client: RegistryClient, source: ImageRef, targets: list[ImageRef],
           allow_move: bool, immutable: Callable[[str], bool], actions: Actions) -> None:
    """The tags on every registry they name, in ``ghbuild run``'s order and with its
    messages (run.place_tags): all read first, a release tag that would move refuses
    (exit 3) before any write, copies into other registries, then the tags, the first
    tag's registry first; a stop says what was written where."""
    from . import run as runcmd

    runcmd.place_tags(client, source, placements(source, targets), allow_move=allow_move,
                      immutable=immutable, actions=actions)


def _report(actions: Actions, image: str, merged: Merged, tags: list[str]) -> None:
    pinned = f"{image}@{merged.digest}"
    doc = {"digest": merged.digest, "image": pinned, "tags": tags,
           "platforms": merged.platforms}
    print(safe_json(json.dumps(doc, indent=2)))
    actions.set_output("digest", merged.digest)
    actions.set_output("image", pinned)
    actions.set_output("tags", "\n".join(tags))
    actions.set_output("platforms", ",".join(merged.platforms))
    rows = "\n".join(f"| `{t}` |" for t in tags)
    actions.summary(f"### Merged index\n\n`{image}@{merged.digest}` — "
                    f"{', '.join(merged.platforms)}\n\n| tag |\n| --- |\n{rows}\n")


def _promote_only(args: argparse.Namespace, actions: Actions) -> int:
    """Give each unchanged image's build for its base commit this run's tags.

    The tags are computed exactly as ``ghbuild run`` computes them for that image of the
    config file (same meta engine, same event); the digest is read from the registry
    under the base commit's key tag and copied, never rebuilt. The new commit's key tag
    is added too, so the next ``ghbuild matrix`` finds a build for this commit. A base
    build that is not in the registry is an error, never a silent skip.
    """
    import os

    from .. import context
    from ..config import find_config, load_config
    from ..matrix import parse_promote_only
    from ..policy import decide, policy_from_inputs
    from . import run as runcmd

    if not args.revision:
        raise InputError("--promote-only needs --revision SHA (the commit being built)")
    entries = parse_promote_only(args.promote_only, "--promote-only")
    env = dict(os.environ)
    ctx = context.from_env(env)
    path = Path(args.config) if args.config else find_config(ctx.workspace or os.getcwd())
    if path is None:
        raise InputError("--promote-only needs the config file (.github/ghbuild.yml or "
                         "--config) to compute each image's tags")
    config = load_config(path)
    done = []
    plans: list[tuple[dict[str, str], Any, buildkey.BuildSettings]] = []
    for entry in entries:
        overlay = dict(env)
        for name, value in config.image(entry["image"]).as_inputs().items():
            runcmd.set_input(overlay, name, value)
        decision = decide(ctx, policy_from_inputs(overlay))
        if not decision.push:
            actions.info(f"{entry['image']}: not promoted — {decision.reason}")
            continue
        meta = runcmd.compute_meta(ctx, overlay, actions)
        settings = buildkey.settings_from_env(overlay, ctx.workspace or os.getcwd())
        plans.append((entry, meta, settings))
    # Every image's tags are computed and checked before the first one is written.
    for entry, meta, settings in plans:
        releases = {t.rpartition(":")[2] for t in meta.release_tags}
        done.append(_carry(args, entry, list(meta.tags), actions, settings, releases))
    print(safe_json(json.dumps(done, indent=2)))
    actions.set_output("promoted", json.dumps(done, separators=(",", ":")))
    return 0


def _carry(args: argparse.Namespace, entry: dict[str, str], tags: list[str],
           actions: Actions, settings: buildkey.BuildSettings | None = None,
           releases: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    from ..registry import ImageRef
    from ..registry.promote import immutable_tags

    base_tag = buildkey.key_tag_name(buildkey.revision_key(entry["base"], settings))
    head_tag = buildkey.key_tag_name(buildkey.revision_key(args.revision, settings))
    source = ImageRef.parse(entry["image"], input_name="--promote-only").with_tag(base_tag)
    client = _client(args, entry["image"], actions)
    got = client.resolve(source)
    if not got.present or not got.digest:
        raise RegistryError(f"{source}: {got.state.value} ({got.reason}); the image did not "
                            "change but has no build for its base commit: build it")
    names = [*tags, str(source.with_tag(head_tag))]
    names += key_tags_elsewhere(entry["image"], names, head_tag)
    targets = [ImageRef.parse(t, input_name="tags") for t in names]
    with actions.group(f"Promote {entry['image']} (unchanged since {entry['base'][:12]})"):
        _place(client, source.repo_only().with_digest(got.digest), targets, args.allow_move,
               immutable_tags(releases), actions)
    return {"image": entry["image"], "digest": got.digest,
            "tags": [str(t) for t in targets]}
