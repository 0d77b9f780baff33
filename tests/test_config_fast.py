"""The libyaml fast path of the config loader gives exactly what the round-trip path gives.

Every case compares the two loaders on the same text: the fast path either returns
the same :class:`Config` or declines (None), never a different answer, and every
error still comes from the round-trip path (tests/test_config.py has the messages).
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghbuild import config, config_fast
from ghbuild.errors import ConfigError

SHOWN = ".github/ghbuild.yml"

TYPICAL = """\
version: 1
defaults:
  platforms: [linux/amd64, linux/arm64]
  cache: gha
  push-branches: [main, 'release/*']
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
  - # a comment line before the first key
    name: 127.0.0.1:5000/acme/widget-web
    context: web
    file: web/Containerfile
    platforms: linux/amd64
    labels: [org.opencontainers.image.title=web]
    secrets: {npmrc: NPMRC_TEXT}
    push: false
    provenance: mode=min
    annotations: >
      index:org.opencontainers.image.description=folded
      text
  - {name: ghcr.io/acme/flow, context: flow, flavor: {suffix: -web}}
  -
    name: ghcr.io/acme/below-the-dash
"""


def round_trip(text: str) -> config.Config:
    return config._load_round_trip(text, SHOWN)


def test_typical_file_takes_the_fast_path_with_the_same_result() -> None:
    if not config_fast.available():
        pytest.skip("PyYAML without libyaml: the fast path is off and nothing to compare")
    fast = config._load_fast(TYPICAL, SHOWN)
    assert fast is not None
    assert fast == round_trip(TYPICAL)
    assert [img.line for img in fast.images] == [9, 19, 30, 32]


# Each of these reads differently under YAML 1.1 (libyaml) and 1.2 (ruamel.yaml), or
# is something the fast path leaves to ruamel.yaml; the loader must still agree with it.
DECLINED = {
    "on is text in 1.2": "target: on",
    "yes is text in 1.2": "target: yes",
    "0o17 is a number in 1.2": "target: 0o17",
    "1e3 is a number in 1.2": "target: 1e3",
    "012 is 10 or 12": "target: 012",
    "underscores": "target: 1_000",
    "sexagesimal": "target: 1:20",
    "a date": "target: 2001-12-14",
    "infinity": "target: .inf",
    "a float": "target: 1.5",
    "a signed number": "target: -1",
    "explicit tag": "target: !!binary aGk=",
    "quoted with a tag": 'target: !!int "5"',
    "a set": "labels: !!set {a, b}",
    "version-like text": "target: 1.2.3",
    "ruamel.yaml reads it as a number and fails": "target: -_",
}


@pytest.mark.parametrize("line", DECLINED.values(), ids=DECLINED.keys())
def test_scalars_read_differently_are_left_to_the_round_trip_path(line: str) -> None:
    text = f"images:\n  - name: ghcr.io/acme/a\n    {line}\n"
    assert config_fast.read(text) is None
    assert config._load_fast(text, SHOWN) is None
    try:
        expected: object = round_trip(text)
    except ConfigError as exc:
        expected = str(exc)
    try:
        got: object = config.load_config_text(text, SHOWN)
    except ConfigError as exc:
        got = str(exc)
    assert got == expected


STRUCTURES = {
    "anchor and alias": """\
        defaults:
          platforms: &p [linux/amd64]
        images:
          - name: ghcr.io/acme/a
            platforms: *p
        """,
    "merge key": """\
        images:
          - &base {name: ghcr.io/acme/a, context: a}
          - <<: *base
            name: ghcr.io/acme/b
        """,
    "duplicate key": """\
        images:
          - name: ghcr.io/acme/a
            context: a
            context: b
        """,
    "directive": """\
        %YAML 1.1
        ---
        images:
          - name: ghcr.io/acme/a
            target: on
        """,
    "two documents": "images: []\n---\nimages: []\n",
    "a number as a key": "images:\n  - name: ghcr.io/acme/a\n    labels: {8080: x}\n",
    "empty": "",
    "a comment only": "# nothing yet\n",
}


@pytest.mark.parametrize("text", STRUCTURES.values(), ids=STRUCTURES.keys())
def test_anchors_merges_duplicates_and_directives_are_left_alone(text: str) -> None:
    text = textwrap.dedent(text)
    assert config_fast.read(text) is None
    try:
        expected: object = round_trip(text)
    except ConfigError as exc:
        expected = str(exc)
    try:
        got: object = config.load_config_text(text, SHOWN)
    except ConfigError as exc:
        got = str(exc)
    assert got == expected


BAD = {
    "unknown key": ("images:\n  - name: ghcr.io/acme/a\n    platform: x\n",
                    "images[0].platform: unknown key"),
    "outside the repository": ("images:\n  - name: ghcr.io/acme/a\n    context: ../x\n",
                               "is outside the repository"),
    "bad tag rule": ("images:\n  - name: ghcr.io/acme/a\n    tags: |\n      type=nope\n",
                     "images[0].tags"),
    "name used twice": ("images:\n  - name: ghcr.io/acme/a\n  - name: ghcr.io/acme/a\n",
                        "is already used by images[0]"),
}


@pytest.mark.parametrize(("text", "part"), BAD.values(), ids=BAD.keys())
def test_a_file_libyaml_reads_but_the_checks_refuse_is_reported_by_the_round_trip_path(
        text: str, part: str) -> None:
    with pytest.raises(ConfigError) as fast:
        config.load_config_text(text, SHOWN)
    with pytest.raises(ConfigError) as slow:
        round_trip(text)
    assert str(fast.value) == str(slow.value)
    assert part in str(fast.value)
    assert str(fast.value).startswith(f"{SHOWN}:")  # file:line:col, from ruamel's marks


def test_without_libyaml_the_round_trip_path_loads_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_fast, "_LOADER", None)
    assert config_fast.read(TYPICAL) is None
    assert config.load_config_text(TYPICAL, SHOWN) == round_trip(TYPICAL)


# Number and date characters, and the YAML indicators where libyaml is laxer than
# ruamel.yaml (a tab after a value, ">#" as a block header) were found with these.
SCALAR = st.text(alphabet="0123456789+-._:eExXoObB/ aTZtyesnoflw~#'\"[]{},&*!|>%@?\n\t\\",
                 max_size=12)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
@given(value=SCALAR, key=SCALAR, label=SCALAR)
def test_whatever_the_scalar_the_fast_path_agrees_or_declines(value: str, key: str,
                                                              label: str) -> None:
    text = f"images:\n  - name: ghcr.io/acme/a\n    target: {value}\n" \
           f"    labels:\n      {key}: {label}\n"
    try:
        expected: config.Config | None = round_trip(text)
    except Exception:  # noqa: BLE001 - a ruamel.yaml or jsonschema crash on odd keys too
        expected = None
    fast = config._load_fast(text, SHOWN)
    assert fast is None or fast == expected


def test_a_value_ruamel_cannot_construct_is_one_config_error_naming_the_file() -> None:
    with pytest.raises(ConfigError) as caught:
        config.load_config_text("images:\n  - name: ghcr.io/acme/a\n    target: -_\n", SHOWN)
    assert str(caught.value).startswith(f"{SHOWN}: YAML: a value cannot be read")


@pytest.mark.parametrize(("text", "message"), [
    ("null: 1\nimages:\n  - name: ghcr.io/acme/a\n",
     f"{SHOWN}:1:1: the top level: a key is empty or null ('null')"),
    ("images:\n  - name: ghcr.io/acme/a\n    labels: {~: x}\n",
     f"{SHOWN}:3:14: images[0].labels: a key is empty or null ('~')"),
])
def test_a_null_key_is_one_error_at_its_place(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load_config_text(text, SHOWN)
    assert str(caught.value) == message


def test_plain_text_starting_with_an_indicator_is_left_to_ruamel() -> None:
    # Found by hypothesis: `:: &0:0` is a key ':' to libyaml and an error to ruamel.yaml.
    text = "images:\n  - name: ghcr.io/acme/a\n    target: B\n    labels:\n      :: &0:0\n"
    assert config._load_fast(text, SHOWN) is None


KEY_CASES = {
    "int label": ("    labels:\n      1: x\n", "4:7: images[0].labels: the key 1 is read by "
                  "YAML as a number, not text", '"1": ...'),
    "bool build-arg": ("    build-args: {true: x}\n", "3:18: images[0].build-args: the key "
                       "true is read by YAML as a boolean, not text", '"true": ...'),
    "float label": ("    labels:\n      1.5: x\n", "the key 1.5 is read by YAML as a number",
                    '"1.5": ...'),
    "date label": ("    labels:\n      2024-01-01: x\n", "the key 2024-01-01 is read by YAML "
                   "as a date", '"2024-01-01": ...'),
    "list key": ("    labels:\n      [a, b]: x\n", "4:7: images[0].labels: a key is a list, "
                 "not text", "plain or quoted text"),
    "tagged key": ("    labels:\n      !foo x: y\n", "the key x is read by YAML as a !foo "
                   "value", "drop the tag !foo"),
}


@pytest.mark.parametrize(("lines", "message", "hint"), KEY_CASES.values(), ids=KEY_CASES.keys())
def test_a_key_yaml_does_not_read_as_text_is_refused_at_its_place_on_both_paths(
        lines: str, message: str, hint: str) -> None:
    text = "images:\n  - name: ghcr.io/acme/a\n" + lines
    assert config._load_fast(text, SHOWN) is None       # libyaml leaves it to ruamel.yaml
    with pytest.raises(ConfigError) as fast:
        config.load_config_text(text, SHOWN)
    with pytest.raises(ConfigError) as slow:
        round_trip(text)
    assert str(fast.value) == str(slow.value)
    assert str(fast.value).startswith(f"{SHOWN}:") and message in str(fast.value)
    assert fast.value.hint is not None and hint in fast.value.hint


def test_a_number_key_at_the_top_level_is_an_error_not_a_crash() -> None:
    # jsonschema raised TypeError on it before the key check.
    with pytest.raises(ConfigError) as caught:
        config.load_config_text("1: x\nimages:\n  - name: ghcr.io/acme/a\n", SHOWN)
    assert str(caught.value).startswith(f"{SHOWN}:1:1: the top level: the key 1 is read by "
                                        "YAML as a number, not text")


def test_quoted_and_text_keys_still_load_on_both_paths() -> None:
    # `on` is text to YAML 1.2 (ruamel.yaml) though a boolean to libyaml: text, as before.
    text = ('images:\n  - name: ghcr.io/acme/a\n    labels:\n      "1": x\n      !!str 2: y\n'
            "    build-args:\n      on: z\n      'true': w\n")
    got = config.load_config_text(text, SHOWN).images[0].as_inputs()
    assert got["labels"] == "1=x\n2=y" and got["build-args"] == "on=z\ntrue=w"
