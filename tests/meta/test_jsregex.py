"""type=match and match= patterns: JavaScript's grammar, \\p{...} under u/v, and one located
error for what JavaScript rejects (the tags input's line, or the config file's line)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ghbuild.config import load_config
from ghbuild.errors import ConfigError, InputError
from ghbuild.meta.jsregex import JsRegexError, compile_js

from .support import lines, run_meta


@pytest.mark.parametrize(("pattern", "text", "found"), [
    ("/\\p{L}+/u", "1-héllo", ["héllo"]),
    ("\\p{L}+", "ap{L}", ["p{L}"]),                # without u, \p is a "p"
    ("/\\p{Script=Greek}+/u", "abγδ", ["γδ"]),
    ("/[\\p{Lu}\\d]+/v", "xAB1y", ["AB1"]),
    ("(?<major>\\d+)\\.(?<minor>\\d+)", "v10.20", ["10.20", "10", "20"]),
    ("(?<=v+)\\d+", "vv12", ["12"]),                # a lookbehind of any length
    ("a{,5}", "a{,5}", ["a{,5}"]),                  # not a quantifier in JavaScript
    ("\\d+", "١٢3", ["3"]),                          # \d is ASCII
    ("(a)?\\1b", "b", ["b", None]),                  # an unset group matches empty
    ("/^b/m", "a\rb", ["b"]),                        # \r ends a line too
    ("/\\d*/g", "a12", ["", "12", ""]),
    ("/[\\p{L}--[a-z]]+/v", "abcXYé", ["XYé"]),  # v-flag set operations
    ("/[\\w&&\\d]+/v", "ab12", ["12"]),
    ("/[\\q{abc|d}x]+/v", "abcdxq", ["abcdx"]),   # strings, the longest first
    ("(?<\\u0061b>.)\\k<ab>", "xx", ["xx", "x"]),  # escapes in a group name
    # i: toUpperCase without u/v (never into ASCII), simple case folding with them
    ("/s+/i", "ſsS", ["sS"]),
    ("/s+/iu", "ſsS", ["ſsS"]),
    ("/i+/iu", "İıiI", ["iI"]),
    ("/\\P{Lu}/iu", "A", ["A"]),                  # "a" is not Lu
    ("/\\P{Lu}/iv", "A", None),
    ("/[\\q{ss}&&\\q{SS}]/iv", "sS", ["sS"]),
    # an empty repetition past the minimum is rejected, as in JavaScript
    ("()?", "x", ["", None]),
    ("(?:|a)+", "a", ["a"]),
    ("(a*)+", "b", ["", ""]),                       # the first (minimum) one may be empty
    # without u/v, UTF-16 code units
    ("x(.)", "x😀", ["x\ud83d", "\ud83d"]),
    ("/x(.)/u", "x😀", ["x😀", "😀"]),
    ("\\uD83D\\uDE00", "😀", ["😀"]),
])
def test_matches_as_javascript(pattern: str, text: str, found: list[str | None]) -> None:
    assert compile_js(pattern).match(text) == found


@pytest.mark.parametrize(("pattern", "reason"), [
    ("/\\p{letter}/u", "invalid property name 'letter'"),
    ("/\\p{Script=greek}/u", "invalid property name 'Script=greek'"),
    ("/\\q/u", "invalid escape"),
    ("a**", "nothing to repeat"),
    ("(?<x>a)(?<x>b)", "duplicate capture group name"),
    ("(?<x>a)\\k<y>", "invalid named capture referenced"),
    ("[z-a]", "range out of order"),
    ("/a{/u", "incomplete quantifier"),
    ("/[^\\q{ab}]/v", "negated character class may contain strings"),
    ("/[a-z&&b]/v", "invalid set operation"),
    ("/[a(]/v", "invalid character in character class"),
    ("/\\p{RGI_Emoji}/v", "not supported by ghbuild"),
])
def test_refused(pattern: str, reason: str) -> None:
    with pytest.raises(JsRegexError, match=reason.replace("{", r"\{").replace("[", r"\[")):
        compile_js(pattern)


def test_uv_together_are_bad_flags() -> None:
    with pytest.raises(JsRegexError, match="invalid regular expression flags 'uv'"):
        compile_js("/a/uv")


def test_a_unicode_pattern_in_a_rule() -> None:
    result = run_meta("push_tag", {"tags": "type=match,pattern=/v(\\p{N}+\\.\\p{N}+)/u,group=1"})
    assert result.tags == ("1.1", "latest")


def test_a_bad_pattern_names_the_line() -> None:
    with pytest.raises(InputError) as info:
        run_meta("push_branch", {"tags": lines("type=sha", "type=match,pattern=/\\p{Letr}/u")})
    assert str(info.value) == (
        "input 'tags' line 2: pattern: bad regular expression '\\p{Letr}': invalid property "
        "name 'Letr' at position 0 in \"type=match,pattern=/\\p{Letr}/u\"")


def test_a_bad_pattern_in_the_config_file_names_file_and_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github").mkdir()
    path = tmp_path / ".github" / "ghbuild.yml"
    path.write_text(textwrap.dedent("""\
        images:
          - name: ghcr.io/acme/a
            tags: |
              type=sha
              type=match,pattern=/(?<v>\\d+)\\k<w>/u
        """), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(".github/ghbuild.yml:5:") and "images[0].tags" in message
    assert "invalid named capture referenced" in message


def test_cli_bad_pattern_is_one_line_and_nothing_on_stdout(monkeypatch, capsys) -> None:
    from .support import load_env
    from .test_cli import run_cli

    env = load_env("push_tag", INPUT_TAGS="type=match,pattern=/v(?<n>\\d)\\k<m>/")
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "input 'tags' line 1: pattern:" in err and \
        "invalid named capture referenced" in err


def test_cli_unicode_pattern(monkeypatch, capsys) -> None:
    import json

    from .support import load_env
    from .test_cli import run_cli

    env = load_env("push_tag", INPUT_TAGS="type=match,pattern=/^\\p{L}(\\p{N}+)/u,group=1")
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert (code, err) == (0, "")
    assert json.loads(out)["tags"] == ["1", "latest"]
