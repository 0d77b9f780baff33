"""Platforms, builder drivers, OCI layout push, handovers and shared metadata (no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.build import BuildInputs, BuildPlan
from ghbuild.errors import BuildError, InputError, RegistryError
from ghbuild.multiplatform import (
    OCI_INDEX,
    OCI_MANIFEST,
    Driver,
    Platform,
    PlatformResult,
    detect_driver,
    parse_handover,
    parse_platforms,
    parse_shared_meta,
    platform_output_args,
    platform_plan,
    push_layout,
    read_handovers,
    read_layout,
    write_handover,
)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class FakeRegistry:
    """An in-memory repository store that records every write, in order."""

    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.manifests: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.writes: list[tuple[str, str, str]] = []

    def blob_exists(self, image, digest):
        return (image, digest) in self.blobs

    def upload_blob(self, image, digest, size, path):
        data = Path(path).read_bytes()
        assert sha(data) == digest and len(data) == size
        self.blobs[(image, digest)] = data
        self.writes.append(("blob", image, digest))

    def get_blob(self, image, digest):
        return self.blobs[(image, digest)]

    def get_manifest(self, image, reference):
        return self.manifests.get((image, reference))

    def put_manifest(self, image, reference, media_type, body):
        if reference.startswith("sha256:"):
            assert sha(body) == reference
        for digest in _refs(media_type, body):
            assert (image, digest) in self.blobs or (image, digest) in self.manifests, \
                f"{reference} names {digest} before it was pushed"
        self.manifests[(image, reference)] = (media_type, body)
        self.manifests[(image, sha(body))] = (media_type, body)
        self.writes.append(("manifest", image, reference))
        return sha(body)


def _refs(media_type: str, body: bytes) -> list[str]:
    doc = json.loads(body)
    if media_type == OCI_INDEX:
        return [m["digest"] for m in doc["manifests"]]
    return [doc["config"]["digest"], *(layer["digest"] for layer in doc["layers"] or [])]


def _blob(root: Path, data: bytes) -> dict:
    path = root / "blobs" / "sha256"
    path.mkdir(parents=True, exist_ok=True)
    (path / sha(data)[7:]).write_bytes(data)
    return {"digest": sha(data), "size": len(data)}


def make_layout(root: Path, arch: str = "arm64", attest: bool = True) -> dict:
    """A layout like buildx's oci exporter writes: index -> image (+ attestation)."""
    config = json.dumps({"architecture": arch, "os": "linux"}).encode()
    layer = b"layer-bytes-" + arch.encode()
    image = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                   **_blob(root, config)},
                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                    **_blob(root, layer)}]}).encode()
    image_desc = {"mediaType": OCI_MANIFEST, **_blob(root, image),
                  "platform": {"architecture": arch, "os": "linux"}}
    entries = [image_desc]
    if attest:
        statement = b'{"predicateType":"https://slsa.dev/provenance/v0.2"}'
        att = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     **_blob(root, b"{}")},
                          "layers": [{"mediaType": "application/vnd.in-toto+json",
                                      **_blob(root, statement)}]}).encode()
        entries.append({"mediaType": OCI_MANIFEST, **_blob(root, att),
                        "platform": {"architecture": "unknown", "os": "unknown"},
                        "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                        "vnd.docker.reference.digest": image_desc["digest"]}})
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries,
                        "annotations": {"org.opencontainers.image.description": "d"}}).encode()
    top = {"mediaType": OCI_INDEX, **_blob(root, index)}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return {"top": top["digest"], "image": image_desc["digest"], "entries": entries}


# -- platforms ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expect"), [
    ("linux/amd64", "linux/amd64"),
    (" Linux/ARM64 ", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm/v7", "linux/arm/v7"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/x86_64", "linux/amd64"),
])
def test_platform_parse_normalises(text, expect):
    assert str(Platform.parse(text)) == expect


@pytest.mark.parametrize("text", ["linux", "linux/", "linux/amd64/v2/x", "linux amd64", ""])
def test_platform_parse_refuses_and_names_the_input(text):
    with pytest.raises(InputError, match=r"^input '--platforms': .* is not a platform"):
        Platform.parse(text, source="--platforms")


def test_platform_list_refuses_duplicates_after_normalising():
    with pytest.raises(InputError, match="linux/arm64 is listed twice"):
        parse_platforms("linux/arm64,linux/arm64/v8")
    assert [p.slug for p in parse_platforms("linux/amd64\nlinux/arm/v7")] == \
        ["linux-amd64", "linux-arm-v7"]


# -- driver and output ------------------------------------------------------------------------

class InspectRunner(proc.Runner):
    def __init__(self, stdout: str, code: int = 0) -> None:
        self.stdout, self.code, self.calls = stdout, code, []

    def run(self, argv, **kwargs):  # type: ignore[override]
        self.calls.append(list(argv))
        return proc.Completed(tuple(argv), self.code, self.stdout, "boom")


@pytest.mark.parametrize(("out", "driver"), [
    ("Name: default\nDriver:        docker\n", Driver.DOCKER),
    ("Name: b\nDriver: docker-container\n", Driver.DOCKER_CONTAINER),
])
def test_detect_driver_reads_buildx_inspect(out, driver):
    runner = InspectRunner(out)
    proc.set_runner(runner)
    assert detect_driver("mybuilder") is driver
    assert runner.calls == [["docker", "buildx", "inspect", "mybuilder"]]


def test_unknown_driver_is_a_build_error():
    proc.set_runner(InspectRunner("Driver: cloud\n"))
    with pytest.raises(BuildError, match="'cloud' is not one ghbuild knows"):
        detect_driver()


def test_output_args_per_driver(tmp_path):
    assert platform_output_args(Driver.DOCKER_CONTAINER, "ghcr.io/a/b", tmp_path) == [
        "--output", "type=image,name=ghcr.io/a/b,push-by-digest=true,name-canonical=true,"
                    "push=true"]
    assert platform_output_args(Driver.DOCKER, "ghcr.io/a/b", tmp_path / "l") == [
        "--output", f"type=oci,dest={tmp_path / 'l'},tar=false"]


def test_platform_plan_drops_tags_and_push_and_keeps_the_rest(tmp_path):
    plan = BuildPlan(inputs=BuildInputs(platforms=("linux/amd64", "linux/arm64"), load=True),
                     tags=("ghcr.io/a/b:1",), labels=("a=b",), push=True,
                     cache_to=("type=gha,scope=x",))
    narrowed = platform_plan(plan, Platform.parse("linux/arm64"), "ghcr.io/a/b", Driver.DOCKER,
                             tmp_path)
    assert narrowed.tags == () and narrowed.push is False and narrowed.inputs.load is False
    assert narrowed.inputs.platforms == ("linux/arm64",)
    assert narrowed.inputs.outputs == (f"type=oci,dest={tmp_path},tar=false",)
    assert narrowed.labels == ("a=b",) and narrowed.cache_to == ("type=gha,scope=x",)


# -- layout push ---------------------------------------------------------------------------------

def test_push_layout_children_first_by_digest_and_no_tag(tmp_path):
    made = make_layout(tmp_path)
    reg = FakeRegistry()
    assert push_layout(reg, "r/app", read_layout(tmp_path)) == made["top"]
    kinds = [w[0] for w in reg.writes]
    assert kinds.count("manifest") == 3 and kinds[-1] == "manifest"
    assert reg.writes[-1] == ("manifest", "r/app", made["top"])
    assert all(ref.startswith("sha256:") for kind, _, ref in reg.writes if kind == "manifest")


def test_an_image_with_no_layers_pushes(tmp_path):
    # FROM scratch with no COPY: buildx writes "layers": null.
    config = b'{"architecture":"amd64","os":"linux"}'
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": None,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      **_blob(tmp_path, config)}}).encode()
    top = {"mediaType": OCI_MANIFEST, **_blob(tmp_path, manifest)}
    (tmp_path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    reg = FakeRegistry()
    assert push_layout(reg, "r/app", read_layout(tmp_path)) == top["digest"]
    assert [w[0] for w in reg.writes] == ["blob", "manifest"]


def test_push_layout_skips_blobs_the_repository_has(tmp_path):
    make_layout(tmp_path)
    reg = FakeRegistry()
    push_layout(reg, "r/app", read_layout(tmp_path))
    first = len(reg.writes)
    push_layout(reg, "r/app", read_layout(tmp_path))
    assert [w for w in reg.writes[first:] if w[0] == "blob"] == []


def test_a_corrupt_layout_blob_is_refused_before_anything_is_written(tmp_path):
    made = make_layout(tmp_path)
    (tmp_path / "blobs" / "sha256" / made["image"][7:]).write_bytes(b"tampered")
    reg = FakeRegistry()
    with pytest.raises(BuildError, match="does not match its digest"):
        push_layout(reg, "r/app", read_layout(tmp_path))
    assert not [w for w in reg.writes if w[0] == "manifest"]


def test_registry_that_stores_other_bytes_is_an_error(tmp_path):
    make_layout(tmp_path)

    class Liar(FakeRegistry):
        def put_manifest(self, image, reference, media_type, body):
            super().put_manifest(image, reference, media_type, body)
            return "sha256:" + "0" * 64

    with pytest.raises(RegistryError, match="stored manifest"):
        push_layout(Liar(), "r/app", read_layout(tmp_path))


@pytest.mark.parametrize(("index", "message"), [
    (None, "no index.json"),
    ("{not json", r"index.json:1:2: not JSON"),
    ('{"manifests": []}', "expected one image, found 0"),
])
def test_read_layout_errors(tmp_path, index, message):
    if index is not None:
        (tmp_path / "index.json").write_text(index)
    with pytest.raises(BuildError, match=message):
        read_layout(tmp_path)


# -- handover -------------------------------------------------------------------------------------

def test_handover_round_trip(tmp_path):
    result = PlatformResult("ghcr.io/a/b", Platform.parse("linux/arm/v7"), "sha256:" + "1" * 64)
    path = write_handover(tmp_path, result)
    assert path.name == "linux-arm-v7.json"
    assert read_handovers(tmp_path) == [result]


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "expected a JSON object"),
    ('{"image": "a", "platform": "linux/amd64"}', "missing or non-string key.*digest"),
    ('{"image": "a", "platform": "linux/amd64", "digest": "sha256:12"}', "is not sha256"),
    ('{"image": "a", "platform": "amd64", "digest": "sha256:' + "1" * 64 + '"}',
     "is not a platform"),
    ("{", r"^h.json:1:2: not JSON"),
])
def test_handover_errors_name_the_file(text, message):
    with pytest.raises(InputError, match=message):
        parse_handover(text, "h.json")


def test_missing_handover_directory_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="no such directory"):
        read_handovers(tmp_path / "nope")


# -- shared metadata ------------------------------------------------------------------------------

def test_shared_meta_accepts_metadata_action_json_and_picks_index_annotations():
    meta = parse_shared_meta(json.dumps({
        "tags": ["ghcr.io/a/b:1.2.3", "127.0.0.1:5000/a/b:latest", "ghcr.io/a/b:1.2"],
        "labels": {"org.opencontainers.image.version": "1.2.3"},
        "annotations": ["manifest:org.opencontainers.image.title=t",
                        "index:org.opencontainers.image.version=1.2.3",
                        "manifest,index:org.opencontainers.image.vendor=acme",
                        "org.opencontainers.image.url=no-level-means-manifest"]}), "meta.json")
    assert meta.images() == ["ghcr.io/a/b", "127.0.0.1:5000/a/b"]
    assert meta.index_annotations() == {"org.opencontainers.image.version": "1.2.3",
                                        "org.opencontainers.image.vendor": "acme"}
    assert meta.created is None


@pytest.mark.parametrize(("doc", "message"), [
    ({"tags": []}, "'tags' is empty"),
    ({"tags": "a:b"}, "'tags' must be a list"),
    ({"tags": ["ghcr.io/a/b"]}, "has no tag"),
    ({"tags": ["127.0.0.1:5000/a"]}, "has no tag"),
    ({"tags": ["a/b:1"], "created": "yesterday"}, "'created' must be whole epoch seconds"),
    ({"tags": ["a/b:1"], "labels": ["x"]}, "'labels' must be an object"),
])
def test_shared_meta_errors(doc, message):
    with pytest.raises(InputError, match=message):
        parse_shared_meta(json.dumps(doc), "meta.json")


def test_shared_meta_takes_the_pinned_clock_from_the_created_label():
    meta = parse_shared_meta(json.dumps({
        "tags": ["a/b:1"], "labels": {"org.opencontainers.image.created":
                                      "2023-11-14T22:13:20.999Z"}}), "m.json")
    assert meta.created == 1700000000
    explicit = parse_shared_meta(json.dumps({
        "tags": ["a/b:1"], "created": 5, "labels": {"org.opencontainers.image.created":
                                                   "2023-11-14T22:13:20Z"}}), "m.json")
    assert explicit.created == 5
    with pytest.raises(InputError, match="is not an ISO 8601 time"):
        parse_shared_meta(json.dumps({"tags": ["a/b:1"], "labels": {
            "org.opencontainers.image.created": "yesterday"}}), "m.json")


# -- the platform command (one matrix job) --------------------------------------------------

class BuildRunner(proc.Runner):
    """Records the buildx call and writes the metadata file buildx would write."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict]] = []

    def stream(self, argv, *, env=None, cwd=None, on_line=None):  # type: ignore[override]
        args = list(argv)
        self.calls.append((args, dict(env or {})))
        Path(args[args.index("--metadata-file") + 1]).write_text("{}")
        return proc.Completed(tuple(args), 0, "", "")


def _meta_file(tmp_path) -> Path:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({
        "tags": ["ghcr.io/acme/app:1.0.0"],
        "labels": {"org.opencontainers.image.created": "2023-11-14T22:13:20Z"},
        "annotations": ["manifest:org.opencontainers.image.version=1.0.0",
                        "index:org.opencontainers.image.version=1.0.0"]}))
    return path


def test_platform_job_on_a_pull_request_builds_without_push_or_tags(tmp_path, monkeypatch,
                                                                     capsys):
    from ghbuild.cli import main

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_REF", "refs/pull/7/merge")
    monkeypatch.setenv("INPUT_CONTEXT", str(tmp_path))
    monkeypatch.setenv("INPUT_CACHE", "none")
    runner = BuildRunner()
    proc.set_runner(runner)
    code = main(["platform", "--platform", "linux/arm64", "--meta", str(_meta_file(tmp_path)),
                 "--handover", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    (argv, env), = runner.calls
    assert argv[:3] == ["docker", "buildx", "build"]
    assert argv[argv.index("--platform") + 1] == "linux/arm64"
    assert argv[argv.index("--output") + 1] == "type=cacheonly"
    assert "--tag" not in argv and "--push" not in argv
    # Manifest annotations go on the platform image; index ones wait for the merge.
    assert argv[argv.index("--annotation") + 1] == \
        "manifest:org.opencontainers.image.version=1.0.0"
    assert argv.count("--annotation") == 1
    assert env["SOURCE_DATE_EPOCH"] == "1700000000"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--platform", "arm64"], "is not a platform"),
    (["--platform", "linux/arm64", "--meta", "/nonexistent.json"], "cannot read"),
    (["--platform", "linux/arm64", "--password-stdin"], "--password-stdin needs --username"),
])
def test_platform_job_bad_input_exits_2(argv, message, tmp_path, capsys):
    from ghbuild.cli import main

    full = ["platform", "--meta", str(_meta_file(tmp_path)), "--handover", str(tmp_path),
            *argv]
    assert main(full) == 2
    assert message in capsys.readouterr().err


def test_existing_platform_reuses_only_a_matching_platform_and_builds_on_doubt(tmp_path):
    made = make_layout(tmp_path, "arm64")
    reg = FakeRegistry()
    push_layout(reg, "r/app", read_layout(tmp_path))
    reg.put_manifest("r/app", "ghbuild-key-rev-x", OCI_INDEX,
                     reg.manifests[("r/app", made["top"])][1])
    from ghbuild.multiplatform import existing_platform

    warnings: list[str] = []
    arm = existing_platform(reg, "r/app", "ghbuild-key-rev-x", Platform.parse("linux/arm64"),
                            warnings.append)
    assert arm == PlatformResult("r/app", Platform.parse("linux/arm64"), made["top"])
    assert existing_platform(reg, "r/app", "ghbuild-key-rev-x", Platform.parse("linux/amd64"),
                             warnings.append) is None
    assert existing_platform(reg, "r/app", "ghbuild-key-rev-y", Platform.parse("linux/arm64"),
                             warnings.append) is None

    class Broken(FakeRegistry):
        def get_manifest(self, image, reference):
            raise RegistryError("HTTP 503")

    assert existing_platform(Broken(), "r/app", "t", Platform.parse("linux/arm64"),
                             warnings.append) is None
    assert warnings == ["cannot tell whether r/app:t has linux/arm64 (HTTP 503); building it"]


def test_a_builder_hidden_by_the_login_config_falls_back_with_a_warning():
    from ghbuild.commands.platform import _same_driver
    from ghbuild.gha import Actions

    class Seen(proc.Runner):
        def run(self, argv, **kwargs):  # type: ignore[override]
            return proc.Completed(tuple(argv), 0, "Driver: docker\n", "")

    proc.set_runner(Seen())
    lines: list[str] = []

    class Sink:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    actions = Actions(environ={}, stream=Sink())  # type: ignore[arg-type]
    assert _same_driver(Driver.DOCKER_CONTAINER, "", {}, actions) is Driver.DOCKER
    assert any("uses the docker driver, not docker-container" in line for line in lines)
    assert _same_driver(Driver.DOCKER, "", {}, actions) is Driver.DOCKER
