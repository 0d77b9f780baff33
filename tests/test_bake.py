"""The generated bake definition: exact targets, escaping, secrets kept out of the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.bake import (
    BakeImage,
    bake_argv,
    bake_file,
    digests_from_metadata,
    escape,
    run_bake,
    target_name,
)
from ghbuild.build import BuildInputs, BuildPlan, KeyValue, inputs_from_env
from ghbuild.errors import BuildError, InputError
from ghbuild.gha import Actions


def plan(**inputs) -> BuildPlan:
    extra = {k: inputs.pop(k) for k in ("tags", "labels", "annotations", "cache_from",
                                        "cache_to", "push") if k in inputs}
    return BuildPlan(inputs=BuildInputs(**inputs), **extra)


def test_two_images_become_two_targets_in_the_default_group():
    baked = bake_file([
        BakeImage("ghcr.io/acme/api", plan(
            context="services/api", platforms=("linux/amd64", "linux/arm64"),
            tags=("ghcr.io/acme/api:1.0.0",), labels=("org.opencontainers.image.title=api",),
            annotations=("index:org.opencontainers.image.version=1.0.0",),
            cache_from=("type=gha,scope=api",), cache_to=("type=gha,scope=api,mode=max",),
            provenance="mode=min", push=True)),
        BakeImage("ghcr.io/acme/web", plan(context="services/web", file="docker/web.Dockerfile",
                                           target="prod", tags=("ghcr.io/acme/web:1.0.0",))),
    ])
    assert baked.definition == {
        "group": {"default": {"targets": ["acme-api", "acme-web"]}},
        "target": {
            "acme-api": {
                "context": "services/api", "platforms": ["linux/amd64", "linux/arm64"],
                "tags": ["ghcr.io/acme/api:1.0.0"],
                "labels": {"org.opencontainers.image.title": "api"},
                "annotations": ["index:org.opencontainers.image.version=1.0.0"],
                "cache-from": ["type=gha,scope=api"],
                "cache-to": ["type=gha,scope=api,mode=max"],
                "output": ["type=registry"], "attest": ["type=provenance,mode=min"]},
            "acme-web": {
                "context": "services/web", "dockerfile": "../../docker/web.Dockerfile",
                "target": "prod", "tags": ["ghcr.io/acme/web:1.0.0"]},
        }}
    assert baked.targets == {"acme-api": "ghcr.io/acme/api", "acme-web": "ghcr.io/acme/web"}


def test_interpolation_markers_are_escaped_so_values_stay_literal():
    baked = bake_file([BakeImage("a/b", plan(labels=("x=${HOME}", "y=%{if}", "z=$x 100%"),
                                             tags=("a/b:${TAG}",)))])
    target = baked.definition["target"]["a-b"]
    assert target["labels"] == {"x": "$${HOME}", "y": "%%{if}", "z": "$x 100%"}
    assert target["tags"] == ["a/b:$${TAG}"]
    assert escape("plain") == "plain"


def test_secrets_and_credential_args_never_enter_the_file():
    baked = bake_file([BakeImage("a/b", plan(
        secrets=(KeyValue("npmrc", "s3cr3t-value"),),
        secret_envs=(KeyValue("gh", "GH_TOKEN"),),
        build_args=(KeyValue("NPM_TOKEN", "tok-value-123"), KeyValue("MODE", "fast"))))])
    text = json.dumps(baked.definition)
    assert "s3cr3t-value" not in text and "tok-value-123" not in text
    target = baked.definition["target"]["a-b"]
    assert target["secret"] == ["id=npmrc,env=GHBUILD_SECRET_NPMRC", "id=gh,env=GH_TOKEN"]
    assert target["args"] == {"NPM_TOKEN": "${GHBUILD_BAKE_A_B_NPM_TOKEN}", "MODE": "fast"}
    assert baked.definition["variable"] == {"GHBUILD_BAKE_A_B_NPM_TOKEN": {"default": ""}}
    assert baked.env["GHBUILD_BAKE_A_B_NPM_TOKEN"] == "tok-value-123"
    assert baked.env["GHBUILD_SECRET_NPMRC"] == "s3cr3t-value"


def test_a_context_url_token_is_a_secret_reference_in_the_file():
    url = "https://x-access-token:url-tok-42@github.com/a/b.git"
    inputs = inputs_from_env({"INPUT_CONTEXT": url})
    baked = bake_file([BakeImage("a/b", BuildPlan(inputs=inputs))])
    assert "url-tok-42" not in json.dumps(baked.definition)
    target = baked.definition["target"]["a-b"]
    assert target["context"] == "https://github.com/a/b.git"
    assert target["secret"] == [
        "id=GIT_AUTH_TOKEN.github.com,env=GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM"]
    assert baked.env["GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM"] == "url-tok-42"


@pytest.mark.parametrize(("value", "attest"), [
    ("false", ["type=provenance,disabled=true"]),
    ("true", ["type=provenance"]),
    ("mode=max", ["type=provenance,mode=max"]),
])
def test_provenance_values(value, attest):
    target = bake_file([BakeImage("a/b", plan(provenance=value))]).definition["target"]["a-b"]
    assert target["attest"] == attest


def test_max_provenance_with_a_credential_arg_is_lowered_like_a_build():
    target = bake_file([BakeImage("a/b", plan(provenance="mode=max", build_args=(
        KeyValue("API_KEY", "v"),)))]).definition["target"]["a-b"]
    assert target["attest"] == ["type=provenance,mode=min"]


def test_network_is_refused_with_the_image_named():
    with pytest.raises(InputError, match=r"image a/b: input\(s\) network cannot be passed"):
        bake_file([BakeImage("a/b", plan(network="host"))])


def test_different_builders_are_refused():
    with pytest.raises(InputError, match="different builders"):
        bake_file([BakeImage("a/b", plan(builder="x")), BakeImage("a/c", plan(builder="y"))])


def test_no_images_is_bad_input():
    with pytest.raises(InputError, match="no image"):
        bake_file([])


def test_target_names_are_unique_and_safe():
    taken: set[str] = set()
    assert target_name("ghcr.io/acme/api", taken) == "acme-api"
    assert target_name("127.0.0.1:5000/acme/api", taken) == "acme-api-2"
    assert target_name("docker.io/library/x.y", taken) == "library-x-y"
    assert target_name("acme/api", taken) == "acme-api-3"


def test_digests_from_metadata():
    md = {"t1": {"containerimage.digest": "sha256:" + "a" * 64}, "t2": {}}
    assert digests_from_metadata(md, {"t1": "x/one"}, require=True) == {"x/one": "sha256:" +
                                                                        "a" * 64}
    with pytest.raises(BuildError, match="no digest for x/two"):
        digests_from_metadata(md, {"t1": "x/one", "t2": "x/two"}, require=True)
    assert digests_from_metadata(md, {"t2": "x/two"}, require=False) == {}


class BakeRunner(proc.Runner):
    """Checks the argv and the file bake would read, writes the metadata bake would."""

    def __init__(self, code: int = 0) -> None:
        self.code, self.seen = code, {}

    def stream(self, argv, *, env=None, cwd=None, on_line=None):  # type: ignore[override]
        args = list(argv)
        definition = json.loads(Path(args[args.index("--file") + 1]).read_text())
        self.seen = {"argv": args, "definition": definition, "env": dict(env or {})}
        md = {t: {"containerimage.digest": "sha256:" + str(i) * 64}
              for i, t in enumerate(definition["target"], start=1)}
        Path(args[args.index("--metadata-file") + 1]).write_text(json.dumps(md))
        lines = ["#1 building", "ERROR: failed to solve: boom"] if self.code else ["done"]
        for line in lines:
            (on_line or print)(line)
        return proc.Completed(tuple(args), self.code, "\n".join(lines), "")


def test_run_bake_one_invocation_for_all_images(tmp_path):
    runner = BakeRunner()
    proc.set_runner(runner)
    got = run_bake([BakeImage("r/a", plan(tags=("r/a:1",), push=True,
                                          secrets=(KeyValue("s", "hidden-value"),))),
                    BakeImage("r/b", plan(tags=("r/b:1",), push=True))],
                   Actions(environ={}), env={"DOCKER_CONFIG": "/x"})
    assert got == {"r/a": "sha256:" + "1" * 64, "r/b": "sha256:" + "2" * 64}
    argv = runner.seen["argv"]
    assert argv[:3] == ["docker", "buildx", "bake"] and "hidden-value" not in " ".join(argv)
    assert runner.seen["env"]["GHBUILD_SECRET_S"] == "hidden-value"
    assert runner.seen["env"]["DOCKER_CONFIG"] == "/x"


def test_run_bake_failure_is_a_build_error_with_buildx_last_line():
    proc.set_runner(BakeRunner(code=1))
    with pytest.raises(BuildError, match="buildx bake failed: ERROR: failed to solve: boom"):
        run_bake([BakeImage("r/a", plan())], Actions(environ={}))


def test_bake_argv():
    assert bake_argv("/t/b.json", "/t/m.json", builder="ci") == [
        "docker", "buildx", "bake", "--builder", "ci", "--file", "/t/b.json",
        "--metadata-file", "/t/m.json", "--progress", "plain"]
