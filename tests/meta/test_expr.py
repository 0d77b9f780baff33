"""The Handlebars subset: lookup, helpers, escaping, literals, comments."""

from __future__ import annotations

import pytest

from ghbuild.meta.expr import ExprError, Helper, is_single_path, js_string, render

SCOPE = {
    "branch": Helper(lambda p, h: "feat/x"),
    "amp": "a&b<c>\"d'e`f=g",
    "num": 3,
    "flag": False,
    "list": ["beta", 67],
    "echo": Helper(lambda p, h: "|".join(js_string(x) for x in p) + ";" +
                   ",".join(f"{k}={js_string(v)}" for k, v in h.items())),
}


@pytest.mark.parametrize(("template", "out"), [
    ("plain", "plain"),
    ("{{branch}}", "feat/x"),
    ("{{ branch }}-{{branch}}", "feat/x-feat/x"),
    ("{{this.branch}}", "feat/x"),
    ("{{missing}}", ""),
    ("{{num}}.{{flag}}", "3.false"),
    ("{{list}}", "beta,67"),
    ("{{amp}}", "a&amp;b&lt;c&gt;&quot;d&#x27;e&#x60;f&#x3D;g"),
    ("{{{amp}}}", "a&b<c>\"d'e`f=g"),
    ("{{&amp}}", "a&b<c>\"d'e`f=g"),
    ("\\{{branch}}", "{{branch}}"),
    ("a{{! a comment }}b{{!-- {{x}} --}}c", "abc"),
    ("a  {{~branch~}}  b", "afeat/xb"),
    ("a {{~{amp}~}} b", "aa&b<c>\"d'e`f=gb"),
    ("a {{~!-- x --~}} b", "ab"),
    ("{{echo 'x' \"y\" 2 true key='v'}}", "x|y|2|true;key&#x3D;v"),
    ("{{echo unknown.path}}", ";"),
    ("{{echo 'x' k = 'v'}}", "x;k&#x3D;v"),
    ("}} stray", "}} stray"),
])
def test_render(template: str, out: str) -> None:
    assert render(template, SCOPE) == out


@pytest.mark.parametrize("template", ["{{branch", "{{#each x}}{{/each}}", "{{> partial}}",
                                      "{{echo (sub x)}}", "{{echo k=}}", "{{}}"])
def test_refused(template: str) -> None:
    with pytest.raises(ExprError):
        render(template, SCOPE)


@pytest.mark.parametrize(("pattern", "expected"), [
    ("{{ raw }}.{{ version }}", False),
    ("{{ version }},{{raw }.", False),
    ("{{ raw }}", True),
    ("{{ raw}}", True),
    ("{{raw}}", True),
    ("{{raw}}-x", False),
    ("{{version}}", False),
])
def test_is_single_raw(pattern: str, expected: bool) -> None:
    assert is_single_path(pattern, "raw") is expected
