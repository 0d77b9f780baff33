"""ghbuild's moment, Handlebars, semver, PEP 440, list and collation code against answers
recorded from the JavaScript libraries metadata-action runs (see reference/record.py).

One list case differs on purpose: an indented ``# ...`` line is a comment for ghbuild (the
issue's rule: the first non-blank character decides) and data for csv-parse; see
docs/meta.md. The Handlebars constructs outside ghbuild's subset (``#each``, ``#with``,
partial blocks, ``{{^name}}``, sections, sub-expressions) are recorded too: ghbuild must
refuse each of them, saying it is not supported, where Handlebars renders something.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ghbuild.errors import InputError
from ghbuild.meta import pep440, semver
from ghbuild.meta.csvlist import ListItem, parse_list, split_fields
from ghbuild.meta.dates import format_moment
from ghbuild.meta.expr import ExprError, Helper, js_string, render
from ghbuild.meta.jsregex import compile_js
from ghbuild.meta.labels import _collation_key

CASES = json.loads((Path(__file__).parent / "reference" / "cases.json").read_text())


def _echo(params: Any, hashes: Any) -> str:
    return "|".join("undefined" if p is None else js_string(p) for p in params) + ";" + \
        ",".join(f"{k}={js_string(v)}" for k, v in sorted(hashes.items()))


def _ours(case: dict[str, Any]) -> Any:
    kind = case["kind"]
    if kind == "moment":
        return format_moment(case["ms"], case["fmt"], case["tz"])
    if kind == "hbs":
        scope = {**case["scope"], "branch": Helper(lambda p, h: case["branch"]),
                 "echo": Helper(_echo), "nothing": Helper(lambda p, h: "")}
        return render(case["template"], scope)
    if kind == "semver":
        v = semver.parse(case["text"])
        return None if v is None else [v.version, v.major, v.minor, v.patch,
                                       [str(p) for p in v.prerelease], bool(v.prerelease)]
    if kind == "pep440":
        p = pep440.parse(case["text"])
        return None if p is None else [p.clean, str(p.major), str(p.minor), str(p.patch),
                                       p.is_release]
    if kind == "list":
        return [item.text for item in parse_list(case["text"], "tags")]
    if kind == "regex":
        return compile_js(case["pattern"]).match(case["text"])
    if kind == "fields":
        return split_fields(ListItem(case["text"], 1), "tags")
    return sorted(case["keys"], key=_collation_key)


DELIBERATE = {("list", "one\n  # indented comment\ntwo"): {"ok": ["one", "two"]}}


REFUSED = {"{{#each list}}x{{/each}}", "{{#with a}}x{{/with}}", "{{#> p}}x{{/p}}",
           "{{^a}}x{{/a}}", "{{#a}}x{{/a}}", "{{#if (echo a)}}x{{/if}}"}


def _expected(case: dict[str, Any]) -> dict[str, Any]:
    key = (case["kind"], case.get("text"))
    return DELIBERATE.get(key, case["expected"])  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["moment", "hbs", "semver", "pep440", "list", "fields",
                                  "regex", "cmp"])
def test_matches_the_javascript_libraries(kind: str) -> None:
    mismatches = []
    for case in (c for c in CASES if c["kind"] == kind):
        expected = _expected(case)
        try:
            got: dict[str, Any] = {"ok": _ours(case)}
        except (ExprError, ValueError, InputError) as exc:
            got = {"err": str(exc)}
        if kind == "hbs" and case["template"] in REFUSED:
            if "not supported" not in got.get("err", ""):
                mismatches.append((case, got))
        elif "err" in expected:
            if "err" not in got:
                mismatches.append((case, got))
        elif got != expected:
            mismatches.append((case, got))
    assert mismatches == []


def test_the_refused_constructs_are_recorded() -> None:
    assert REFUSED.issubset({c["template"] for c in CASES if c["kind"] == "hbs"})
