"""Turning a fetched manifest into a decision: platforms and the recorded build key.

An image is present for a build only when it has every platform the build asks for
and, when a build key is given, records that key. Anything short of that is
``absent`` with a reason, so the caller rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..buildkey import BUILD_KEY_ANNOTATION, key_tag_name
from ..errors import InputError, RegistryError
from .presence import Presence, State
from .reference import ImageRef

if TYPE_CHECKING:
    from .client import Manifest, RegistryClient

ATTESTATION_TYPE = "attestation-manifest"
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
                 "i386": "386"}


# Go's known GOOS and GOARCH values (go/build syslist.go): the names OCI image platforms use.
KNOWN_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
    "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"})
KNOWN_ARCH = frozenset({
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
    "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
    "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"})
# The variants image indexes use (GOARM, GOARM64, GOAMD64, GORISCV64 levels). Any other
# variant, or a variant on another architecture, is refused as a likely typo.
KNOWN_VARIANTS = {
    "arm": frozenset({"v5", "v6", "v7", "v8"}),
    "arm64": frozenset({"v8", *(f"v8.{n}" for n in range(10)), "v9",
                        *(f"v9.{n}" for n in range(6))}),
    "amd64": frozenset({"v1", "v2", "v3", "v4"}),
    "riscv64": frozenset({"rva20u64", "rva22u64"}),
}


def normalise_platform(text: str, *, input_name: str = "platforms", strict: bool = True) -> str:
    """``linux/arm64/v8`` → ``linux/arm64``, ``linux/amd64/v1`` → ``linux/amd64``,
    ``linux/arm`` → ``linux/arm/v7`` (containerd's defaults), so a build's platform list
    compares with what a registry index states.

    ``strict`` (every input) also requires a known OS, architecture and variant, with a
    close match in the error: ``linux/amd6`` would otherwise reach buildx, or a registry
    check that can never match.
    """
    parts = [p.strip().lower() for p in text.strip().split("/")]
    if len(parts) not in (2, 3) or not all(parts):
        raise InputError(f"input '{input_name}': {text!r} is not a platform (expected "
                         "os/arch or os/arch/variant, e.g. linux/amd64)")
    os_name, arch = parts[0], _ARCH_ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ""
    if strict:
        _check_known(text, input_name, os_name, arch, variant)
    # containerd's platforms.Normalize, which BuildKit applies before it writes an index:
    # amd64/v1 is amd64, arm64/v8 and v8.0 are arm64, arm64/v9.0 is arm64/v9, arm is arm/v7
    variant = {("amd64", "v1"): "", ("arm64", "v8"): "", ("arm64", "v8.0"): "",
               ("arm64", "v9.0"): "v9"}.get((arch, variant), variant)
    if arch == "arm" and not variant:
        variant = "v7"
    return "/".join(p for p in (os_name, arch, variant) if p)


def _check_known(text: str, input_name: str, os_name: str, arch: str, variant: str) -> None:
    problem, guess = "", [os_name, arch, variant]
    if os_name not in KNOWN_OS:
        problem, guess[0] = f"unknown operating system {os_name!r}", _closest(os_name, KNOWN_OS)
    elif arch not in KNOWN_ARCH:
        problem, guess[1] = f"unknown architecture {arch!r}", _closest(arch, KNOWN_ARCH)
    elif variant and variant not in KNOWN_VARIANTS.get(arch, ()):
        known = sorted(KNOWN_VARIANTS.get(arch, ()))
        problem = (f"unknown variant {variant!r} for {arch} (known: {', '.join(known)})"
                   if known else f"{arch} takes no variant, got {variant!r}")
        guess[2] = _closest(variant, known) if known else ""
    if not problem:
        return
    suggestion = "/".join(p for p in guess if p)
    hint = f"did you mean {suggestion}?" if all(guess[:2]) else None
    raise InputError(f"input '{input_name}': {text.strip()!r} is not a platform: {problem}",
                     hint=hint)


def _closest(word: str, known: Sequence[str] | frozenset[str]) -> str:
    import difflib

    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.5)
    return found[0] if found else ""


def platform_of(entry: Mapping[str, Any]) -> str | None:
    """The platform string of an object with ``os``/``architecture``/``variant`` fields."""
    os_name, arch = entry.get("os"), entry.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    if os_name == "unknown" and arch == "unknown":
        return None
    variant = entry.get("variant")
    text = f"{os_name}/{arch}" + (f"/{variant}" if isinstance(variant, str) and variant else "")
    try:
        # A registry's own data: an architecture we do not know is left out, not an error.
        return normalise_platform(text, strict=False)
    except InputError:
        return None


def index_platforms(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Image platforms of an index, leaving out attestation manifests."""
    found: list[str] = []
    for entry in data.get("manifests") or []:
        if not isinstance(entry, dict):
            continue
        notes = entry.get("annotations") or {}
        if isinstance(notes, dict) and notes.get("vnd.docker.reference.type") == ATTESTATION_TYPE:
            continue
        platform = entry.get("platform")
        name = platform_of(platform) if isinstance(platform, dict) else None
        if name and name not in found:
            found.append(name)
    return tuple(found)


def manifest_platforms(client: RegistryClient, ref: ImageRef, data: Mapping[str, Any]) \
        -> tuple[str, ...]:
    """A single image's platform, read from its config blob (one more request)."""
    config = data.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    if not isinstance(digest, str):
        raise RegistryError(f"manifest of {ref} names no config blob")
    blob = client.get_blob(ref.repo_only(), digest, limit=4 << 20)
    try:
        parsed = json.loads(blob)
    except ValueError:
        raise RegistryError(f"config blob {digest} of {ref} is not JSON") from None
    name = platform_of(parsed) if isinstance(parsed, dict) else None
    return (name,) if name else ()


def judge(client: RegistryClient, ref: ImageRef, manifest: Manifest, platforms: Sequence[str],
          key: str | None, describe: bool) -> Presence:
    data = manifest.json()
    notes = data.get("annotations") or {}
    annotations = {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}
    wanted = [normalise_platform(p) for p in platforms]
    try:
        found = _platforms(client, ref, manifest, data, bool(wanted) or describe)
    except RegistryError as exc:
        return Presence.unknown(str(ref), f"found {manifest.digest} but cannot read its "
                                f"platform: {exc}", "fault", digest=manifest.digest,
                                media_type=manifest.media_type)
    if _attestation_only(manifest, data):
        # not an image: a tag at one is seen for a moment while another run pushes the
        # index holding it (docs/run.md, step 7); promoting it would tag no image
        return Presence.unknown(str(ref), f"{manifest.digest} is an attestation manifest, "
                                "not an image (another push of this tag in progress?)",
                                "fault", digest=manifest.digest,
                                media_type=manifest.media_type)
    base: dict[str, Any] = {"ref": str(ref), "digest": manifest.digest,
                            "media_type": manifest.media_type, "platforms": found,
                            "annotations": annotations}
    missing = [p for p in wanted if p not in found]
    if missing:
        has = ", ".join(found) or "none stated"
        return Presence.absent(reason=f"{manifest.digest} lacks platform {', '.join(missing)} "
                               f"(has {has})", **base)
    stale = _key_problem(ref, annotations, key)
    if stale:
        return Presence.absent(reason=f"{manifest.digest} {stale}", **base)
    return Presence(State.PRESENT, reason=f"found {manifest.digest}", **base)


IN_TOTO = "application/vnd.in-toto+json"


def _attestation_only(manifest: Manifest, data: Mapping[str, Any]) -> bool:
    """A manifest whose layers are all in-toto statements: BuildKit's attestation
    manifest (provenance, SBOM), which an index lists beside the image."""
    layers = data.get("layers")
    return not manifest.is_index and isinstance(layers, list) and bool(layers) and all(
        isinstance(layer, dict) and layer.get("mediaType") == IN_TOTO for layer in layers)


def _platforms(client: RegistryClient, ref: ImageRef, manifest: Manifest,
               data: Mapping[str, Any], needed: bool) -> tuple[str, ...]:
    if manifest.is_index:
        return index_platforms(data)
    if not needed:
        return ()
    return manifest_platforms(client, ref, data)


def _key_problem(ref: ImageRef, annotations: Mapping[str, str], key: str | None) -> str:
    if not key:
        return ""
    recorded = annotations.get(BUILD_KEY_ANNOTATION)
    if recorded is not None and recorded != key:
        return f"records build key {recorded}, not {key}"
    if recorded is None and ref.tag != key_tag_name(key):
        return f"records no build key ({BUILD_KEY_ANNOTATION}), so it cannot stand for {key}"
    return ""
