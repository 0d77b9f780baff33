"""The config file: loading, defaults, inputs, and every error message exactly."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from ghbuild import build, policy
from ghbuild.cache import CacheMode
from ghbuild.commands import run
from ghbuild.config import Secret, find_config, load_config
from ghbuild.errors import ConfigError, InputError
from ghbuild.policy import PushMode

FULL = """\
version: 1
defaults:
  platforms: [linux/amd64, linux/arm64]
  cache: gha
  push-branches: [main, release/*]
  labels:
    org.opencontainers.image.vendor: Acme
images:
  - name: ghcr.io/acme/widget-api
    context: api
    tags: |
      type=ref,event=branch
      type=semver,pattern={{version}}
    flavor: {latest: auto, prefix: api-}
    build-args: {PORT: 8080, DEBUG: false}
    secrets: [NPM_TOKEN]
    paths: [libs/common]
  - name: ghcr.io/acme/widget-web
    context: web
    file: web/Containerfile
    platforms: linux/amd64
    labels: [org.opencontainers.image.title=web]
    secrets: {npmrc: NPMRC_TEXT}
    push: false
    provenance: mode=min
    build-key: content
    network: host
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    return tmp_path


def write(repo: Path, text: str) -> Path:
    path = repo / ".github" / "ghbuild.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(repo: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(repo, text))
    return str(caught.value)


# -- a good file ---------------------------------------------------------------------

def test_defaults_apply_unless_the_image_sets_the_key(repo: Path) -> None:
    cfg = load_config(write(repo, FULL))
    api, web = cfg.images
    assert cfg.path == ".github/ghbuild.yml"
    assert (api.name, api.index, api.line) == ("ghcr.io/acme/widget-api", 0, 9)
    assert (web.name, web.index, web.line) == ("ghcr.io/acme/widget-web", 1, 18)
    assert api.platforms == ("linux/amd64", "linux/arm64")
    assert web.platforms == ("linux/amd64",)
    assert api.cache is web.cache is CacheMode.GHA
    assert api.labels == "org.opencontainers.image.vendor=Acme"
    assert web.labels == "org.opencontainers.image.title=web"  # replaced, not merged
    assert api.secrets == (Secret("NPM_TOKEN", "NPM_TOKEN"),)
    assert web.secrets == (Secret("npmrc", "NPMRC_TEXT"),)
    assert (api.push, web.push) == (None, PushMode.FALSE)
    assert api.paths == ("libs/common",)
    assert web.paths == ()


def test_as_inputs_gives_the_text_of_each_input(repo: Path) -> None:
    api, web = load_config(write(repo, FULL)).images
    assert api.as_inputs() == {
        "images": "ghcr.io/acme/widget-api",
        "context": "api",
        "platforms": "linux/amd64\nlinux/arm64",
        "tags": "type=ref,event=branch\ntype=semver,pattern={{version}}",
        "flavor": "latest=auto\nprefix=api-",
        "labels": "org.opencontainers.image.vendor=Acme",
        "build-args": "PORT=8080\nDEBUG=false",
        "secret-envs": "NPM_TOKEN=NPM_TOKEN",
        "cache": "gha",
        "push-branches": "main\nrelease/*",
    }
    assert web.as_inputs() == {
        "images": "ghcr.io/acme/widget-web",
        "context": "web",
        "file": "web/Containerfile",
        "platforms": "linux/amd64",
        "labels": "org.opencontainers.image.title=web",
        "secret-envs": "npmrc=NPMRC_TEXT",
        "cache": "gha",
        "push": "false",
        "push-branches": "main\nrelease/*",
        "provenance": "mode=min",
        "build-key": "content",
        "network": "host",
    }


def test_as_inputs_parse_with_the_real_input_readers(repo: Path) -> None:
    """What the config hands over reads back through run's own parsers unchanged."""
    api, web = load_config(write(repo, FULL)).images
    env = {f"INPUT_{k.upper()}": v for k, v in api.as_inputs().items()}
    inputs = build.inputs_from_env(env)
    assert inputs.context == "api"
    assert inputs.platforms == ("linux/amd64", "linux/arm64")
    assert [(kv.key, kv.value) for kv in inputs.build_args] == [("PORT", "8080"),
                                                                ("DEBUG", "false")]
    assert [(kv.key, kv.value) for kv in inputs.secret_envs] == [("NPM_TOKEN", "NPM_TOKEN")]
    assert policy.policy_from_inputs(env).branches == ("main", "release/*")
    web_env = {f"INPUT_{k.upper()}": v for k, v in web.as_inputs().items()}
    assert policy.policy_from_inputs(web_env).mode is PushMode.FALSE
    assert build.inputs_from_env(web_env).file == "web/Containerfile"
    assert build.inputs_from_env(web_env).network == "host"
    assert run.read_inputs(web_env).build_key == "content"


def test_block_text_and_yaml_1_2_scalars(repo: Path) -> None:
    cfg = load_config(write(repo, """\
        images:
          - name: ghcr.io/acme/one
            platforms: "linux/amd64,linux/arm64"
            build-args: |
              A=1
              B=yes
            labels: {flag: yes, count: 0o17}
            sbom: true
        """))
    one = cfg.images[0]
    assert one.platforms == ("linux/amd64", "linux/arm64")
    assert one.build_args == "A=1\nB=yes"
    # YAML 1.2: "yes" stays text; 0o17 is the number 15
    assert one.labels == "flag=yes\ncount=15"
    assert one.sbom == "true"


def test_anchors_under_x_keys_and_merge_keys(repo: Path) -> None:
    cfg = load_config(write(repo, """\
        x-common: &common
          cache: registry
          platforms: [linux/arm64]
        images:
          - name: ghcr.io/acme/a
            <<: *common
            cache: none
          - name: ghcr.io/acme/b
            <<: *common
        """))
    a, b = cfg.images
    assert (a.cache, b.cache) == (CacheMode.NONE, CacheMode.REGISTRY)
    assert a.platforms == b.platforms == ("linux/arm64",)


def test_image_lookup_by_full_or_short_name(repo: Path) -> None:
    cfg = load_config(write(repo, FULL))
    assert cfg.image("ghcr.io/acme/widget-web").index == 1
    assert cfg.image("widget-api").index == 0
    with pytest.raises(InputError) as caught:
        cfg.image("widget-apo")
    assert str(caught.value) == ("input 'image': 'widget-apo' is not an image in "
                                 ".github/ghbuild.yml (did you mean "
                                 "'ghcr.io/acme/widget-api'?)")


# -- finding the file ------------------------------------------------------------------

def test_find_config(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ghbuild.yaml").write_text("images: []\n")
    assert find_config(tmp_path) == tmp_path / ".github" / "ghbuild.yaml"
    (tmp_path / ".github" / "ghbuild.yml").write_text("images: []\n")
    with pytest.raises(ConfigError) as caught:
        find_config(tmp_path)
    assert str(caught.value) == (f"{tmp_path}/.github/ghbuild.yaml: both .github/ghbuild.yml "
                                 "and .github/ghbuild.yaml exist; keep one")


# -- every error, exactly ----------------------------------------------------------------

ERRORS = [
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            labels:
              org.opencontainers.image.vendor: Acme
              1: x
        """, ".github/ghbuild.yml:5:7: images[0].labels: the key 1 is read by YAML as a "
             'number, not text (quote the key to keep it as text: "1": ...)',
             id="number-key"),
    pytest.param("""\
        defaults:
          build-args: {true: x}
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:16: defaults.build-args: the key true is read by YAML as "
             'a boolean, not text (quote the key to keep it as text: "true": ...)',
             id="boolean-key"),
    pytest.param("""\
        defaults:
          cache: gha
        images:
          - name: ghcr.io/acme/a
          - name: ghcr.io/acme/b
            context: b
            platform: linux/amd64
        """, ".github/ghbuild.yml:7:5: images[1].platform: unknown key "
             "(did you mean 'platforms'?)", id="unknown-key-close-match"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            colour: blue
        """, ".github/ghbuild.yml:3:5: images[0].colour: unknown key", id="unknown-key"),
    pytest.param("""\
        image:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:1:1: image: unknown key (did you mean 'images'?)",
        id="unknown-top-level"),
    pytest.param("""\
        defaults:
          name: ghcr.io/acme/a
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:3: defaults.name: unknown key "
             "('name' is set on each image, not in defaults)", id="image-key-in-defaults"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            flavor: {latset: auto}
        """, ".github/ghbuild.yml:3:14: images[0].flavor.latset: unknown key "
             "(did you mean 'latest'?)", id="nested-unknown-key"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            platforms: 42
        """, ".github/ghbuild.yml:3:16: images[0].platforms: expected a list or a string, "
             "got the number 42", id="wrong-type"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            build-args:
              VERSION: 1.10
        """, ".github/ghbuild.yml:4:16: images[0].build-args.VERSION: expected a string or "
             "a whole number or true or false, got the number 1.1 "
             "(quote it to keep the text as written: '1.1')", id="float-needs-quotes"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            labels:
              created: 2026-01-01
        """, ".github/ghbuild.yml:4:16: images[0].labels.created: expected a string or "
             "a whole number or true or false, got the date 2026-01-01 "
             "(quote it to keep the text as written: '2026-01-01')", id="date-needs-quotes"),
    pytest.param("""\
        defaults:
          cache: gah
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:10: defaults.cache: expected one of 'gha', 'registry', "
             "'inline', 'local', 'none', got 'gah' (did you mean 'gha'?)", id="enum"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            push: yes
        """, ".github/ghbuild.yml:3:11: images[0].push: expected one of 'auto', true, false, "
             "got 'yes'", id="yaml-1.2-yes-is-not-a-boolean"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            push: "false"
        """, ".github/ghbuild.yml:3:11: images[0].push: expected one of 'auto', true, false, "
             "got 'false' (write false without quotes)", id="quoted-false-in-enum"),
    pytest.param("""\
        defaults:
          bake: 'True'
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:9: defaults.bake: expected true or false, got 'True' "
             "(write true without quotes)", id="quoted-true-for-boolean"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            platforms: [linux/amd64, linux-arm64]
        """, ".github/ghbuild.yml:3:30: images[0].platforms[1]: expected a platform such as "
             "linux/amd64 or linux/arm/v7, got 'linux-arm64'", id="pattern"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
          - context: b
            file: b/Dockerfile
        """, ".github/ghbuild.yml:3:5: images[1]: missing the required key 'name'",
        id="required"),
    pytest.param("""\
        defaults:
          cache: gha
        """, ".github/ghbuild.yml:1:1: missing the required key 'images'",
        id="required-top-level"),
    pytest.param("images: []\n", ".github/ghbuild.yml:1:9: images: expected at least 1 entry, "
                 "got none", id="no-images"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            context: ""
        """, ".github/ghbuild.yml:3:14: images[0].context: must not be empty", id="empty"),
    pytest.param("- name: ghcr.io/acme/a\n", ".github/ghbuild.yml:1:1: expected a mapping, "
                 "got a list", id="top-level-list"),
    pytest.param("version: 2\nimages:\n  - name: a\n", ".github/ghbuild.yml:1:10: version: "
                 "expected one of 1, got the number 2", id="version"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            secrets: [NPM_TOKEN=npm_abcdef123456]
        """, ".github/ghbuild.yml:3:15: images[0].secrets[0]: expected an environment "
             "variable name (the secret's value is never written here), got a text "
             "(not shown)", id="secret-value-never-echoed"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            build-args:
              "BAD NAME": x
        """, ".github/ghbuild.yml:4:7: images[0].build-args: bad key 'BAD NAME' (expected a "
             "build argument name: letters, digits and _, not starting with a digit)",
        id="bad-key"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            context: a
            context: b
        """, ".github/ghbuild.yml:4:5: images[0].context: duplicate key (first at line 3)",
        id="duplicate-key"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            tags: [type=sha
        """, ".github/ghbuild.yml:4:1: YAML syntax error: expected ',' or ']', but got "
             "'<stream end>'", id="yaml-syntax"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            context: a: b
        """, ".github/ghbuild.yml:3:15: YAML syntax error: mapping values are not allowed "
             "here", id="yaml-colon"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/widget
            context: a
          - name: ghcr.io/acme/widget
            context: b
        """, ".github/ghbuild.yml:4:11: images[1].name: 'ghcr.io/acme/widget' is already "
             "used by images[0]", id="same-image-twice"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            context: api/../../elsewhere
        """, ".github/ghbuild.yml:3:14: images[0].context: 'api/../../elsewhere' is outside "
             "the repository (paths are relative to the repository root)", id="outside"),
    pytest.param("""\
        defaults:
          paths: [libs/, /etc/passwd]
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:18: defaults.paths[1]: '/etc/passwd' is outside the "
             "repository (paths are relative to the repository root)", id="absolute-path"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            colour: blue
            platforms: 7
        """, ".github/ghbuild.yml:3:5: images[0].colour: unknown key",
        id="first-problem-in-the-file-wins"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            labels:
              description: "two\\nlines"
        """, ".github/ghbuild.yml:4:20: images[0].labels.description: expected a single line, "
             "got 'two\\nlines'", id="multi-line-label"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            tags: [type=sha, "#type=ref,event=tag"]
        """, ".github/ghbuild.yml:3:22: images[0].tags[1]: expected one line that does not "
             "start with '#', got '#type=ref,event=tag'", id="list-entry-read-as-comment"),
    pytest.param("""\
        x-common: &common
          cache: gha
          platfrm: linux/amd64
        imagess: []
        images:
          - name: ghcr.io/acme/a
            <<: *common
        """, ".github/ghbuild.yml:4:1: imagess: unknown key (did you mean 'images'?)",
        id="x-keys-are-free-others-are-not"),
    pytest.param("""\
        x-common: &common
          cache: gha
          platfrm: linux/amd64
        images:
          - name: ghcr.io/acme/a
            <<: *common
        """, ".github/ghbuild.yml:5:5: images[0].platfrm: unknown key "
             "(did you mean 'platforms'?)", id="error-in-merged-mapping"),
    pytest.param("""\
        defaults:
          tags: |
            # branches and versions
            type=ref,event=branch

            type=semvr,pattern={{version}}
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:6:5: defaults.tags: unknown tag type 'semvr' in "
             "\"type=semvr,pattern={{version}}\" (expected one of: schedule, semver, pep440, "
             "match, edge, ref, raw, sha; did you mean 'semver'?)", id="tag-rule-in-block"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            tags: [type=sha, "type=ref,event=brunch"]
        """, ".github/ghbuild.yml:3:22: images[0].tags[1]: unknown ref event 'brunch' in "
             "\"type=ref,event=brunch\" (expected one of: branch, tag, pr; did you mean "
             "'branch'?)", id="tag-rule-in-list"),
    pytest.param("""\
        images:
          - name: ghcr.io/Acme/Widget
        """, ".github/ghbuild.yml:2:11: images[0].name: 'ghcr.io/Acme/Widget' is not a valid "
             "image name: path component 'Acme' should be lower-case letters and digits "
             "separated by '.', '_', '__' or '-' (repository names must be lower case)",
        id="image-name-upper-case"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/widget:1.0
        """, ".github/ghbuild.yml:2:11: images[0].name: 'ghcr.io/acme/widget:1.0' carries a "
             "tag or digest; tags come from 'tags'", id="image-name-with-tag"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            paths: [libs/**]
        """, ".github/ghbuild.yml:3:13: images[0].paths[0]: expected a file or directory path "
             "(globs such as * are not supported), got 'libs/**'", id="paths-no-globs"),
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            tags: [type=ref,event=branch]
        """, ".github/ghbuild.yml:3:12: images[0].tags[0]: type=ref needs the 'event' "
             "attribute in \"type=ref\" (e.g. type=ref,event=branch; event is one of: "
             "branch, tag, pr) (in a [a, b] list a comma starts a new entry: quote a rule "
             "that has commas)", id="flow-list-splits-a-rule"),
    pytest.param("", ".github/ghbuild.yml: the file is empty; expected a mapping with an "
                 "'images' list", id="empty-file"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_error_message(repo: Path, text: str, message: str) -> None:
    assert error_of(repo, text) == message


def test_a_missing_file(repo: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(repo / ".github" / "ghbuild.yml")
    assert str(caught.value) == ".github/ghbuild.yml: no such file"
    assert caught.value.exit_code == 2


def test_a_directory_in_place_of_the_file(repo: Path) -> None:
    (repo / ".github" / "ghbuild.yml").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(repo / ".github" / "ghbuild.yml")
    assert str(caught.value) == ".github/ghbuild.yml: cannot read: Is a directory"


def test_not_utf8(repo: Path) -> None:
    path = repo / ".github" / "ghbuild.yml"
    path.write_bytes(b"images:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == ".github/ghbuild.yml: not UTF-8 text (byte 21)"


def test_error_carries_the_location_for_annotations(repo: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(repo, "images:\n  - name: a\n    platform: x\n"))
    err = caught.value
    assert (err.file, err.line, err.col) == (".github/ghbuild.yml", 3, 5)
    assert err.message == "images[0].platform: unknown key"
    assert err.hint == "did you mean 'platforms'?"


def test_path_outside_the_working_directory_is_shown_as_given(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = tmp_path / "ghbuild.yml"
    path.write_text("images: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:1:9: images: expected a list, got the number 3"


# -- defaults.bake: a setting of the run --------------------------------------------------

def test_bake_is_read_from_defaults(repo: Path) -> None:
    assert load_config(write(repo, FULL)).bake is None
    on = FULL.replace("defaults:\n", "defaults:\n  bake: true\n")
    assert load_config(write(repo, on)).bake is True
    off = FULL.replace("defaults:\n", "defaults:\n  bake: false\n")
    cfg = load_config(write(repo, off))
    assert cfg.bake is False
    # Not an image setting: toggling it changes no image (ghbuild matrix compares those).
    def settings(images: tuple) -> list:
        return [replace(image, line=0) for image in images]  # the added line moves them

    assert settings(cfg.images) == settings(load_config(write(repo, FULL)).images)


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("""\
        images:
          - name: ghcr.io/acme/a
            bake: true
        """, ".github/ghbuild.yml:3:5: images[0].bake: unknown key ('bake' applies to the "
             "whole run: set it in defaults)", id="bake-on-an-image"),
    pytest.param("""\
        defaults:
          bake: yes
        images:
          - name: ghcr.io/acme/a
        """, ".github/ghbuild.yml:2:9: defaults.bake: expected true or false, got 'yes'",
        id="bake-yaml-1-2-yes"),
])
def test_bake_errors(repo: Path, text: str, message: str) -> None:
    assert error_of(repo, text) == message
