"""``ghbuild schema`` prints the shipped schema, and the schema itself is sound."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from ghbuild.cli import main
from ghbuild.config import schema

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "ghbuild" / "schema" / "ghbuild.schema.json"


def test_prints_the_shipped_file_byte_for_byte(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out, err = capsys.readouterr()
    assert out == SHIPPED.read_text(encoding="utf-8")
    assert err == ""
    assert json.loads(out)["title"] == "ghbuild config (.github/ghbuild.yml)"


def test_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


def test_every_key_is_described_for_editors() -> None:
    settings = schema()["$defs"]["settings"]["properties"]
    image = schema()["$defs"]["image"]["properties"]
    missing = [k for k, v in {**settings, **image}.items() if not v.get("description")]
    assert missing == []


def test_the_bundled_example_config_is_valid() -> None:
    data = YAML(typ="safe").load(ROOT / "examples" / "monorepo" / ".github" / "ghbuild.yml")
    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(data))
    assert errors == []
    assert len(data["images"]) == 2


def test_unknown_keys_are_refused_by_the_schema_alone() -> None:
    """Editors see the same refusal load_config reports (no Python needed)."""
    validator = jsonschema.Draft202012Validator(schema())
    bad = {"images": [{"name": "a", "platform": "linux/amd64"}], "defaults": {"name": "x"}}
    kinds = sorted(e.validator for e in validator.iter_errors(bad))
    assert kinds == ["unevaluatedProperties", "unevaluatedProperties"]
