"""One platform per job: build outputs without final tags, pushing an OCI layout by
digest, and the files that hand results and metadata from job to job.

A distributed multi-platform build runs one matrix job per platform and one merge job
(:mod:`ghbuild.merge`). Each platform job pushes its image *without* the final tags, so
that nobody can pull a half-published release, and records the digest it pushed in a
small JSON file (the handover) that the merge job collects.

How a platform job pushes depends on the buildx driver:

* ``docker-container``, ``kubernetes``, ``remote``: BuildKit pushes by digest itself
  (``type=image,push-by-digest=true,name-canonical=true,push=true``).
* ``docker`` (the default builder, and the only one on machines without a BuildKit
  image): it refuses ``push-by-digest`` ("not implemented for docker driver"). We export
  an OCI layout (``type=oci,dest=DIR,tar=false``) and push that layout's blobs and
  manifests ourselves, children first, each manifest by digest, so no tag is written.
  We chose this over per-platform temporary tags merged with ``imagetools create``
  because a temporary tag is visible and pullable until deleted, and some registries
  (ghcr.io among them) do not allow deleting a tag through the distribution API, so a
  failed merge would leave stray tags behind; the layout route leaves the registry in
  exactly the state push-by-digest leaves it, and needs no docker login in the job.

Tags and labels are computed once per workflow run (the "prepare" job) and handed to
every job as :class:`SharedMeta` JSON, so a timestamped tag cannot differ between jobs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from .context import parse_json
from .errors import BuildError, InputError, RegistryError

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

# BuildKit marks attestation manifests with these annotations and platform unknown/unknown.
REF_TYPE = "vnd.docker.reference.type"
REF_DIGEST = "vnd.docker.reference.digest"
ATTESTATION = "attestation-manifest"

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_PLATFORM_PART = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


# -- platforms ----------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        tail = f"/{self.variant}" if self.variant else ""
        return f"{self.os}/{self.architecture}{tail}"

    @property
    def slug(self) -> str:
        """A file- and artifact-name-safe spelling: ``linux-arm-v7``."""
        return str(self).replace("/", "-")

    @classmethod
    def parse(cls, text: str, *, source: str = "platforms", strict: bool = True) -> Platform:
        # The registry check's spelling rules (arm64/v8 is arm64, arm is arm/v7, x86_64
        # is amd64), so a merge compares platforms exactly as the existence check does.
        from .registry.checks import normalise_platform

        parts = normalise_platform(text, input_name=source, strict=strict).split("/")
        if not all(_PLATFORM_PART.match(p) for p in parts):
            raise InputError(f"input '{source}': {text!r} is not a platform (expected "
                             "os/arch or os/arch/variant, e.g. linux/amd64)")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    @classmethod
    def from_descriptor(cls, platform: Mapping[str, Any]) -> Platform:
        return cls.parse("/".join(filter(None, (str(platform.get("os", "")),
                                                 str(platform.get("architecture", "")),
                                                 str(platform.get("variant", ""))))),
                         source="manifest platform", strict=False)


def parse_platforms(text: str, *, source: str = "platforms") -> list[Platform]:
    """A comma- or newline-separated platform list; duplicates are an error."""
    seen: list[Platform] = []
    for item in re.split(r"[,\n]", text):
        if not item.strip():
            continue
        plat = Platform.parse(item, source=source)
        if plat in seen:
            raise InputError(f"{source}: platform {plat} is listed twice")
        seen.append(plat)
    if not seen:
        raise InputError(f"{source}: no platform given; expected e.g. linux/amd64,linux/arm64")
    return seen


# -- builder driver and the per-platform output --------------------------------------------

class Driver(Enum):
    DOCKER = "docker"
    DOCKER_CONTAINER = "docker-container"
    KUBERNETES = "kubernetes"
    REMOTE = "remote"

    @property
    def pushes_by_digest(self) -> bool:
        return self is not Driver.DOCKER


def detect_driver(builder: str = "", env: Mapping[str, str] | None = None) -> Driver:
    """The driver of ``builder`` (or the current one), read by :mod:`ghbuild.buildx`."""
    from .buildx import detect_driver as buildx_driver

    name = buildx_driver(env=env, builder=builder)
    try:
        return Driver(name)
    except ValueError:
        raise BuildError(f"buildx driver {name!r} is not one ghbuild knows "
                         f"({', '.join(d.value for d in Driver)})") from None


def platform_output_args(driver: Driver, image: str, layout_dir: str | Path) -> list[str]:
    """The ``--output`` of a platform job: pushed by digest, or an OCI layout to push.

    ``image`` is the repository without tag (``ghcr.io/acme/app``). With the docker
    driver the caller pushes ``layout_dir`` afterwards with :func:`push_layout`.
    """
    if driver.pushes_by_digest:
        return ["--output", f"type=image,name={image},push-by-digest=true,"
                            "name-canonical=true,push=true"]
    return ["--output", f"type=oci,dest={layout_dir},tar=false"]


# -- the registry operations this module needs ---------------------------------------------

class BlobRegistry(Protocol):
    """The distribution calls a layout push and a merge need, for one repository.

    ``image`` is ``registry/path`` without tag or digest. Implemented over the project's
    registry client (:mod:`ghbuild.registry`) so auth, retries and timeouts are its own.
    """

    def blob_exists(self, image: str, digest: str) -> bool: ...

    def upload_blob(self, image: str, digest: str, size: int, path: Path) -> None: ...

    def get_blob(self, image: str, digest: str) -> bytes: ...

    def get_manifest(self, image: str, reference: str) -> tuple[str, bytes] | None: ...

    def put_manifest(self, image: str, reference: str, media_type: str,
                     body: bytes) -> str: ...


class ClientRegistry:
    """:class:`BlobRegistry` over the project's :class:`ghbuild.registry.RegistryClient`.

    Auth, retries, timeouts and error wording are the client's; this only maps names.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def _ref(image: str) -> Any:
        from .registry.reference import ImageRef

        return ImageRef.parse(image, input_name="image")

    def blob_exists(self, image: str, digest: str) -> bool:
        return bool(self.client.blob_exists(self._ref(image), digest))

    def upload_blob(self, image: str, digest: str, size: int, path: Path) -> None:
        # The client's upload is monolithic and reads the blob into memory: fine for the
        # layers of one platform, a limit for multi-GB layers (chunked upload not done).
        stored = self.client.upload_blob(self._ref(image), path)
        if stored != digest:
            raise BuildError(f"OCI layout blob {path} hashes to {stored}, not {digest}")

    def get_blob(self, image: str, digest: str) -> bytes:
        return bytes(self.client.get_blob(self._ref(image), digest))

    def get_manifest(self, image: str, reference: str) -> tuple[str, bytes] | None:
        from .registry.client import ManifestUnknown

        ref = self._ref(image)
        ref = ref.with_digest(reference) if reference.startswith("sha256:") \
            else ref.with_tag(reference)
        try:
            got = self.client.get_manifest(ref)
        except ManifestUnknown:
            return None
        return got.media_type, got.body

    def put_manifest(self, image: str, reference: str, media_type: str,
                     body: bytes) -> str:
        ref = self._ref(image)
        ref = ref.with_digest(reference) if reference.startswith("sha256:") \
            else ref.with_tag(reference)
        return str(self.client.put_manifest(ref, body, media_type))


# -- OCI layout ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any, where: str) -> Descriptor:
        if not isinstance(raw, Mapping):
            raise InputError(f"{where}: a descriptor must be a JSON object")
        digest, size = raw.get("digest"), raw.get("size")
        if not isinstance(digest, str) or not _DIGEST_RE.match(digest):
            raise InputError(f"{where}: digest {digest!r} is not sha256:<64 hex>")
        if not isinstance(size, int) or size < 0:
            raise InputError(f"{where}: size {size!r} is not a byte count")
        plat = raw.get("platform")
        annotations = raw.get("annotations") or {}
        return cls(str(raw.get("mediaType", "")), digest, size,
                   Platform.from_descriptor(plat) if isinstance(plat, Mapping) else None,
                   {str(k): str(v) for k, v in annotations.items()})

    @property
    def is_attestation(self) -> bool:
        return self.annotations.get(REF_TYPE) == ATTESTATION


@dataclass(frozen=True)
class Layout:
    """An OCI image layout directory with exactly one image in ``index.json``."""

    root: Path
    top: Descriptor

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def read(self, desc: Descriptor) -> bytes:
        path = self.blob_path(desc.digest)
        if not path.is_file():
            raise BuildError(f"OCI layout {self.root}: blob {desc.digest} is missing")
        data = path.read_bytes()
        if "sha256:" + hashlib.sha256(data).hexdigest() != desc.digest:
            raise BuildError(f"OCI layout {self.root}: blob {desc.digest} does not match "
                             "its digest")
        return data


def read_layout(root: str | Path) -> Layout:
    root = Path(root)
    index_path = root / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"OCI layout {root}: no index.json (did the build write it?)")
    except json.JSONDecodeError as exc:
        raise BuildError(f"{index_path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}")
    manifests = index.get("manifests") if isinstance(index, Mapping) else None
    if not isinstance(manifests, list) or len(manifests) != 1:
        count = len(manifests) if isinstance(manifests, list) else 0
        raise BuildError(f"{index_path}: expected one image, found {count}")
    return Layout(root, Descriptor.parse(manifests[0], str(index_path)))


def _children(media_type: str, body: bytes, where: str) -> tuple[list[Descriptor],
                                                                 list[Descriptor]]:
    """(child manifests, blobs) referenced by a manifest or index body."""
    doc = json.loads(body)
    if media_type in INDEX_TYPES:
        return [Descriptor.parse(m, where) for m in doc.get("manifests") or []], []
    blobs = [Descriptor.parse(doc.get("config"), where + " config")]
    blobs += [Descriptor.parse(layer, where + " layer") for layer in doc.get("layers") or []]
    return [], blobs


def _walk(layout: Layout, desc: Descriptor) -> Iterator[tuple[str, Descriptor, bytes | None]]:
    """Post-order: every blob and child manifest comes before the manifest naming it."""
    body = layout.read(desc)
    manifests, blobs = _children(desc.media_type, body, f"{layout.root} {desc.digest}")
    for blob in blobs:
        yield "blob", blob, None
    for child in manifests:
        yield from _walk(layout, child)
    yield "manifest", desc, body


def push_layout(registry: BlobRegistry, image: str, layout: Layout) -> str:
    """Push every blob and manifest of ``layout`` into ``image`` by digest; no tag.

    Blobs the repository already holds are not uploaded again. Returns the digest of
    the top descriptor (an index when attestations were built, else a manifest).
    """
    done: set[str] = set()
    for kind, desc, body in _walk(layout, layout.top):
        if desc.digest in done:
            continue
        done.add(desc.digest)
        if kind == "blob":
            if not registry.blob_exists(image, desc.digest):
                registry.upload_blob(image, desc.digest, desc.size,
                                     layout.blob_path(desc.digest))
            continue
        assert body is not None
        pushed = registry.put_manifest(image, desc.digest, desc.media_type, body)
        if pushed != desc.digest:
            raise RegistryError(f"{image}: registry stored manifest {desc.digest} as {pushed}")
    return layout.top.digest


# -- the handover between jobs -------------------------------------------------------------

@dataclass(frozen=True)
class PlatformResult:
    """What one platform job pushed: written by that job, read by the merge job."""

    image: str
    platform: Platform
    digest: str

    def to_json(self) -> str:
        return json.dumps({"image": self.image, "platform": str(self.platform),
                           "digest": self.digest}, indent=2) + "\n"


def write_handover(directory: str | Path, result: PlatformResult) -> Path:
    """Write ``<platform-slug>.json`` into ``directory`` (uploaded as an artifact)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{result.platform.slug}.json"
    path.write_text(result.to_json(), encoding="utf-8")
    return path


def parse_handover(text: str, source: str) -> PlatformResult:
    doc = parse_json(text, source, dict, "a JSON object with image, platform, digest")
    missing = [k for k in ("image", "platform", "digest") if not isinstance(doc.get(k), str)]
    if missing:
        raise InputError(f"{source}: missing or non-string key(s): {', '.join(missing)}")
    if not _DIGEST_RE.match(doc["digest"]):
        raise InputError(f"{source}: digest {doc['digest']!r} is not sha256:<64 hex>")
    return PlatformResult(doc["image"], Platform.parse(doc["platform"], source=source),
                          doc["digest"])


def read_handovers(directory: str | Path) -> list[PlatformResult]:
    """Every ``*.json`` handover in ``directory``, in file-name order."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"--digests {root}: no such directory (did the artifact download "
                         "run?)")
    return [parse_handover(p.read_text(encoding="utf-8"), str(p))
            for p in sorted(root.glob("*.json"))]


# -- metadata computed once per run --------------------------------------------------------

@dataclass(frozen=True)
class SharedMeta:
    """Tags, labels and annotations computed once by the prepare job.

    Accepts the JSON of ``ghbuild meta`` and of docker/metadata-action's ``json``
    output (``tags``, ``labels``, ``annotations``); ``created`` is the pinned clock
    (epoch seconds) every platform job passes on as ``SOURCE_DATE_EPOCH``.
    """

    tags: tuple[str, ...]
    labels: Mapping[str, str]
    annotations: tuple[str, ...]
    version: str = ""
    created: int | None = None

    def images(self) -> list[str]:
        """The repositories the tags name, in first-seen order."""
        seen: list[str] = []
        for tag in self.tags:
            repo = split_tag(tag)[0]
            if repo not in seen:
                seen.append(repo)
        return seen

    def index_annotations(self) -> dict[str, str]:
        """Annotations meant for the index (``index:`` or ``index,manifest:`` levels)."""
        out: dict[str, str] = {}
        for entry in self.annotations:
            key, _, value = entry.partition("=")
            levels, sep, name = key.rpartition(":")
            if sep and "index" in {lv.strip() for lv in levels.split(",")}:
                out[name] = value
        return out


def split_tag(ref: str) -> tuple[str, str]:
    """``host/path:tag`` -> (``host/path``, ``tag``); a port colon is not a tag."""
    head, sep, tail = ref.rpartition(":")
    if not sep or "/" in tail:
        raise InputError(f"tags: {ref!r} has no tag; expected registry/name:tag")
    return head, tail


def parse_shared_meta(text: str, source: str) -> SharedMeta:
    doc = parse_json(text, source, dict, "a JSON object with tags, labels, annotations")
    tags = _str_list(doc.get("tags", []), source, "tags")
    if not tags:
        raise InputError(f"{source}: 'tags' is empty; the prepare job produced no tag")
    for tag in tags:
        split_tag(tag)
    labels = doc.get("labels", {})
    if not isinstance(labels, Mapping):
        raise InputError(f"{source}: 'labels' must be an object of strings")
    created = doc.get("created")
    if created is not None and (not isinstance(created, int) or isinstance(created, bool)):
        raise InputError(f"{source}: 'created' must be whole epoch seconds, got {created!r}")
    labels = {str(k): str(v) for k, v in labels.items()}
    if created is None and labels.get(CREATED_LABEL):
        created = _epoch(labels[CREATED_LABEL], source)
    return SharedMeta(tuple(tags), labels,
                      tuple(_str_list(doc.get("annotations", []), source, "annotations")),
                      str(doc.get("version", "")), created)


CREATED_LABEL = "org.opencontainers.image.created"


def _epoch(stamp: str, source: str) -> int:
    """The created label (ISO 8601, as metadata-action writes it) as whole seconds."""
    import arrow

    try:
        return int(arrow.get(stamp).timestamp())
    except (arrow.parser.ParserError, ValueError, TypeError):
        raise InputError(f"{source}: label {CREATED_LABEL} {stamp!r} is not an ISO 8601 "
                         "time") from None


def _str_list(value: Any, source: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{source}: '{key}' must be a list of strings")
    return list(value)


def shared_meta_json(meta: SharedMeta) -> str:
    return json.dumps({"version": meta.version, "tags": list(meta.tags),
                       "labels": dict(meta.labels), "annotations": list(meta.annotations),
                       "created": meta.created}, indent=2) + "\n"


def build_source_env(meta: SharedMeta) -> dict[str, str]:
    """Environment that pins every timestamp of a platform build to the shared clock."""
    return {} if meta.created is None else {"SOURCE_DATE_EPOCH": str(meta.created)}


def unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


# -- one platform job, end to end -----------------------------------------------------------

def platform_plan(plan: Any, platform: Platform, image: str, driver: Driver,
                  layout_dir: str | Path) -> Any:
    """``plan`` (a :class:`ghbuild.build.BuildPlan`) narrowed to one platform, untagged.

    The final tags are applied by the merge job only; the plan keeps labels,
    annotations, cache and secrets as the caller made them.
    """
    from dataclasses import replace

    outputs = tuple(platform_output_args(driver, image, layout_dir)[1::2])
    inputs = replace(plan.inputs, platforms=(str(platform),), outputs=outputs, load=False)
    return replace(plan, inputs=inputs, tags=(), push=False)


def build_platform(plan: Any, platform: Platform, image: str, driver: Driver,
                   registry: BlobRegistry, actions: Any, workdir: str | Path, *,
                   env: Mapping[str, str] | None = None) -> PlatformResult:
    """Build one platform and push it by digest (by BuildKit, or from the OCI layout)."""
    from .buildx import run_build

    layout_dir = Path(workdir) / f"oci-{platform.slug}"
    result = run_build(platform_plan(plan, platform, image, driver, layout_dir), actions,
                       env=env)
    if driver.pushes_by_digest:
        if not _DIGEST_RE.match(result.digest or ""):
            raise BuildError("buildx pushed by digest but its metadata file has no digest")
        return PlatformResult(image, platform, result.digest)
    with actions.group(f"Push {platform} to {image} by digest"):
        digest = push_layout(registry, image, read_layout(layout_dir))
        actions.info(f"{image}@{digest} ({platform})")
    if result.digest and result.digest != digest:
        raise BuildError(f"buildx reported {result.digest} but the OCI layout holds {digest}")
    return PlatformResult(image, platform, digest)


def existing_platform(registry: BlobRegistry, image: str, key_tag: str, platform: Platform,
                      warn: Any) -> PlatformResult | None:
    """The image already published under ``key_tag`` if it has ``platform``, else None.

    Lets a re-run platform job hand over what exists instead of building again. A
    registry error is a doubt: ``warn`` is told and None returned, so the job builds.
    """
    try:
        got = registry.get_manifest(image, key_tag)
        if got is None:
            return None
        media_type, body = got
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if media_type in INDEX_TYPES:
            found = [Descriptor.parse(m, f"{image}:{key_tag}").platform
                     for m in json.loads(body).get("manifests") or []
                     if not Descriptor.parse(m, f"{image}:{key_tag}").is_attestation]
        else:
            config = Descriptor.parse(json.loads(body).get("config"), f"{image}:{key_tag}")
            found = [Platform.from_descriptor(json.loads(registry.get_blob(image,
                                                                           config.digest)))]
    except (RegistryError, InputError, ValueError) as exc:
        warn(f"cannot tell whether {image}:{key_tag} has {platform} ({exc}); building it")
        return None
    return PlatformResult(image, platform, digest) if platform in found else None


def platform_job(plan: Any, platform: Platform, image: str, driver: Driver,
                 registry: BlobRegistry, actions: Any, workdir: str | Path, *,
                 handover_dir: str | Path, key_tag: str = "",
                 env: Mapping[str, str] | None = None) -> tuple[PlatformResult, bool]:
    """One matrix job: reuse the platform if the key tag has it, else build and push it.

    Writes the handover file either way; returns (result, built).
    """
    found = existing_platform(registry, image, key_tag, platform, actions.warning) \
        if key_tag else None
    if found is not None:
        actions.info(f"{image}:{key_tag} already has {platform}; handing over "
                     f"{found.digest} without building")
        write_handover(handover_dir, found)
        return found, False
    result = build_platform(plan, platform, image, driver, registry, actions, workdir, env=env)
    write_handover(handover_dir, result)
    return result, True
