"""Handlebars #if/#unless blocks in tag values, prefixes, suffixes and labels: what they
render for each context, the warnings they earn, and the constructs that stay refused."""

from __future__ import annotations

import pytest

from ghbuild.errors import InputError
from ghbuild.meta.expr import ExprError, Helper, is_single_path, render, truthy

from .support import lines, run_meta

SCOPE = {"a": "A", "e": "", "z": 0, "list": ["beta"], "empty": [],
         "branch": Helper(lambda p, h: "dev"), "nothing": Helper(lambda p, h: "")}


@pytest.mark.parametrize(("value", "include_zero", "expected"), [
    ("x", None, True), ("false", None, True), ("0", None, True), ("", None, False),
    (None, None, False), (False, None, False), (True, None, True), (0, None, False),
    (0, True, True), (0.0, "yes", True), (float("nan"), True, False), (3, None, True),
    ([], None, False), ([0], None, True), (0, 0, False),
])
def test_truthiness_is_handlebars(value: object, include_zero: object, expected: bool) -> None:
    assert truthy(value, include_zero) is expected


@pytest.mark.parametrize(("template", "out"), [
    ("{{#if a}}yes{{else}}no{{/if}}", "yes"),
    ("{{#if e}}yes{{else}}no{{/if}}", "no"),
    ("{{#unless e}}empty{{/unless}}", "empty"),
    ("{{#if branch}}{{branch}}{{/if}}", "dev"),       # a global function is called
    ("{{#if nothing}}x{{else}}y{{/if}}", "y"),
    ("{{#if e}}1{{else if z}}2{{else if a}}3{{else}}4{{/if}}", "3"),
    ("{{#if a}}{{#unless e}}in{{/unless}}{{/if}}", "in"),
    ("{{#if z includeZero=true}}zero{{/if}}", "zero"),
    ("a {{~#if a~}} b {{~/if~}} c", "abc"),
    ("{{#if a}}\n  x\n{{else}}\n  y\n{{/if}}\n", "  x\n"),  # standalone lines go
    ("{{#if missing}}x{{^}}y{{/if}}", "y"),
])
def test_render(template: str, out: str) -> None:
    assert render(template, SCOPE) == out


@pytest.mark.parametrize(("template", "message"), [
    ("{{#each list}}x{{/each}}", "the block helper '#each' is not supported"),
    ("{{#with a}}x{{/with}}", "the block helper '#with' is not supported"),
    ("{{> part}}", "partials are not supported"),
    ("{{#> part}}x{{/part}}", "partial blocks and decorators are not supported"),
    ("{{^a}}x{{/a}}", "inverse blocks ({{^name}}) are not supported"),
    ("{{#if (eq a 1)}}x{{/if}}", "sub-expressions are not supported"),
    ("{{#if a as |b|}}x{{/if}}", "block parameters (as |x|) are not supported"),
    ("{{#if a}}x", "{{#if a}} is never closed with {{/if}}"),
    ("{{#if a}}x{{/unless}}", "{{#if a}} is closed by {{/unless}}"),
    ("x{{else}}y", "{{else}} without an open {{#if}} or {{#unless}} block"),
    ("{{#if}}x{{/if}}", "#if requires exactly one argument"),
    ("{{#if a}}x{{else}}y{{else}}z{{/if}}", "a second {{else}}"),
])
def test_refused(template: str, message: str) -> None:
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("|", r"\|").replace("^", r"\^")):
        render(template, SCOPE)


def test_a_block_is_not_a_raw_statement() -> None:
    assert not is_single_path("{{#if raw}}{{raw}}{{/if}}", "raw")
    assert not is_single_path("{{! note }}{{raw}}", "raw")  # Handlebars counts the comment
    assert is_single_path("{{raw}}", "raw")


TAGS = lines(
    "type=raw,value={{#if branch}}{{branch}}{{else}}tag-{{tag}}{{/if}}",
    "type=ref,event=branch,suffix={{#unless is_default_branch}}{{/unless}}-x",
    "type=sha,prefix={{#if tag}}rel-{{else}}dev-{{/if}}",
)


@pytest.mark.parametrize(("fixture", "tags"), [
    ("push_branch", ("dev-x", "dev", "dev-860c190")),  # ref (600) before raw (200)
    ("push_tag", ("tag-v1.1.1", "rel-860c190")),
])
def test_blocks_in_rules(fixture: str, tags: tuple[str, ...]) -> None:
    assert run_meta(fixture, {"tags": TAGS}).tags == tags


def test_a_block_on_a_text_flag_is_warned_about_and_kept() -> None:
    result = run_meta("push_branch", {
        "tags": "type=raw,value={{#if is_default_branch}}latest{{else}}dev{{/if}}"})
    # metadata-action renders "latest" on every branch: "false" is non-empty text
    assert result.tags == ("latest",)
    assert any("{{#if is_default_branch}} is always true" in w and "line 1" in w
               for w in result.warnings)


def test_unknown_condition_is_warned_about() -> None:
    result = run_meta("push_branch", {"tags": "type=raw,value=x{{#if brnach}}-b{{/if}}"})
    assert result.tags == ("x",)
    assert any("unknown variable 'brnach'" in w and "did you mean 'branch'?" in w
               for w in result.warnings)


def test_labels_render_blocks() -> None:
    result = run_meta("push_tag", {"labels": "stage={{#if tag}}release{{else}}dev{{/if}}"})
    assert result.labels["stage"] == "release"


def test_a_bad_block_names_the_line() -> None:
    with pytest.raises(InputError) as info:
        run_meta("push_branch", {"tags": lines("type=sha", "type=raw,value={{#each x}}{{/each}}")})
    assert str(info.value).startswith("input 'tags' line 2: value: the block helper '#each' is "
                                      "not supported")


@pytest.mark.parametrize(("value", "tags"), [
    ("v2.0.3", ("2", "latest")),      # minor is the number 0: false
    ("v2.1.3", ("2.1", "latest")),
])
def test_version_fields_are_numbers(value: str, tags: tuple[str, ...]) -> None:
    rule = ("type=semver,value=" + value +
            ",pattern={{#if minor}}{{major}}.{{minor}}{{else}}{{major}}{{/if}}")
    assert run_meta("push_branch", {"tags": rule}).tags == tags


def test_cli_renders_blocks_in_labels(monkeypatch, capsys) -> None:
    import json

    from .support import load_env
    from .test_cli import run_cli

    env = load_env("push_tag", INPUT_TAGS="type=ref,event=tag",
                   INPUT_LABELS="stage={{#if tag}}release{{else}}dev{{/if}}\n"
                                "note={{! dropped }}{{#unless tag}}branch{{/unless}}x")
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert (code, err) == (0, "")
    labels = json.loads(out)["labels"]
    assert (labels["stage"], labels["note"]) == ("release", "x")


def test_unless_on_a_text_flag_is_always_false() -> None:
    result = run_meta("push_default", {
        "tags": "type=raw,value=x{{#unless is_not_default_branch}}-main{{/unless}}"})
    assert result.tags == ("x",)
    assert any("{{#unless is_not_default_branch}} is always false" in w
               for w in result.warnings)
