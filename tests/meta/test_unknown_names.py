"""A template naming a variable nothing provides: the output stays metadata-action's (the
name renders as empty text), and a warning names the input, its line, the name and a close
match, found when the input is parsed, so a rule for another event reports it too."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ghbuild import context
from ghbuild.cli import main
from ghbuild.meta import MetaInputs, expr, pep440, semver
from ghbuild.meta.engine import global_scope

from .support import lines, load_env, run_meta

KNOWN_GLOBALS = ("known here: branch, tag, sha, base_ref, is_default_branch, "
                 "is_not_default_branch, date, commit_date")

CASES = [
    ("typo-in-raw", "push_branch", {"tags": lines("type=ref,event=branch",
                                                  "type=raw,value={{brnach}}")},
     ["dev"],
     ["input 'tags' line 2: value: unknown variable 'brnach' renders as empty text in "
      "\"type=raw,value={{brnach}}\" (did you mean 'branch'?)"]),
    ("no-close-match", "push_branch", {"tags": "type=raw,value=x-{{foo}}"}, ["x-"],
     [f"input 'tags' line 1: value: unknown variable 'foo' renders as empty text in "
      f"\"type=raw,value=x-{{{{foo}}}}\" ({KNOWN_GLOBALS})"]),
    ("case", "push_branch", {"tags": "type=ref,event=branch,suffix=-{{Sha}}"}, ["dev-"],
     ["input 'tags' line 1: suffix: unknown variable 'Sha' renders as empty text in "
      "\"type=ref,event=branch,suffix=-{{Sha}}\" (did you mean 'sha'?)"]),
    # a schedule pattern sees only the date helpers; the rule does not even run on a push
    ("schedule-scope", "push_branch",
     {"tags": lines("type=ref,event=branch", "type=schedule,pattern=n-{{branch}}")}, ["dev"],
     ["input 'tags' line 2: pattern: unknown variable 'branch' renders as empty text in "
      "\"type=schedule,pattern=n-{{branch}}\" (known here: date, commit_date)"]),
    ("semver-pattern", "push_tag", {"tags": "type=semver,pattern={{verison}}"}, [],
     ["input 'tags' line 1: pattern: unknown variable 'verison' renders as empty text in "
      "\"type=semver,pattern={{verison}}\" (did you mean 'version'?)"]),
    ("pep440-pattern", "push_tag", {"tags": "type=pep440,pattern={{major}}.{{minr}}"},
     ["1.", "latest"],
     ["input 'tags' line 1: pattern: unknown variable 'minr' renders as empty text in "
      "\"type=pep440,pattern={{major}}.{{minr}}\" (did you mean 'minor'?)"]),
    # {{version}} exists only in a version pattern
    ("version-in-raw", "push_tag", {"tags": "type=raw,value=v{{version}}"}, ["v"],
     [f"input 'tags' line 1: value: unknown variable 'version' renders as empty text in "
      f"\"type=raw,value=v{{{{version}}}}\" ({KNOWN_GLOBALS})"]),
    ("date-argument", "push_branch", {"tags": "type=raw,value={{date YYYY}}"},
     ["2020-01-10T00-30-00Z"],
     ["input 'tags' line 1: value: unknown variable 'YYYY' as an argument is undefined in "
      "\"type=raw,value={{date YYYY}}\" (quote it if it is text: 'YYYY')"]),
    ("flavor", "push_branch", {"flavor": "prefix={{brach}}-", "tags": "type=raw,value=a"},
     ["a"],
     ["input 'flavor' line 1: prefix: unknown variable 'brach' renders as empty text in "
      "\"prefix={{brach}}-\" (did you mean 'branch'?)"]),
    ("once-per-name", "push_branch", {"tags": "type=raw,value={{x}}{{x}}-{{y}}"}, [],
     None),
]


@pytest.mark.parametrize(("case", "fixture", "inputs", "tags", "warnings"), CASES,
                         ids=[c[0] for c in CASES])
def test_unknown_variable_warns_and_keeps_the_output(case: str, fixture: str,
                                                     inputs: dict[str, str], tags: list[str],
                                                     warnings: list[str] | None) -> None:
    result = run_meta(fixture, inputs)
    assert list(result.tag_names) == tags
    found = [w for w in result.warnings if "unknown variable" in w]
    if warnings is None:  # each unknown name once, in the order written
        assert [w.split("'")[3] for w in found] == ["x", "y"]
    else:
        assert found == warnings


def test_labels_and_annotations() -> None:
    result = run_meta("push_branch", {"labels": lines("a=1", "b={{sah}}"),
                                      "annotations": "c={{is_default}}"})
    assert result.labels["b"] == ""
    assert list(result.warnings) == [
        "input 'labels' line 2: unknown variable 'sah' renders as empty text in "
        "\"b={{sah}}\" (did you mean 'sha'?)",
        "input 'annotations' line 1: unknown variable 'is_default' renders as empty text in "
        "\"c={{is_default}}\" (did you mean 'is_default_branch'?)"]


def _mustache(name: str, args: str = "") -> str:
    return "{{" + name + args + "}}"


def test_known_names_give_no_warning() -> None:
    every_global = "-".join(_mustache(n, " 'YYYY'" if n in expr.DATE_HELPERS else "")
                            for n in expr.GLOBAL_NAMES)
    result = run_meta("push_tag", {
        "tags": lines(f"type=raw,value=g{every_global}",
                      "type=semver,pattern=" + ".".join(map(_mustache, semver.SCOPE_NAMES)),
                      "type=pep440,pattern=" + ".".join(map(_mustache, pep440.SCOPE_NAMES)),
                      "type=schedule,pattern={{date 'YYYY'}}{{commit_date 'MM'}}"),
        "flavor": "suffix=-{{sha}}", "labels": "l={{tag}}"})
    assert result.warnings == ()


def test_the_name_lists_are_what_the_engine_provides() -> None:
    ctx = context.from_env(load_env("push_branch"))
    env = SimpleNamespace(ctx=ctx, inputs=MetaInputs(), now_ms=0, commit_ms=0)
    assert set(global_scope(env)) == set(expr.GLOBAL_NAMES)  # type: ignore[arg-type]
    parsed = semver.parse("1.2.3-rc.1+b5")
    assert parsed is not None and set(parsed.scope()) == set(semver.SCOPE_NAMES)
    # the pep440 scope is built in the engine: each name renders something
    result = run_meta("push_tag", {"tags": "type=pep440,pattern=" + "-".join(
        map(_mustache, pep440.SCOPE_NAMES))})
    assert result.version == "1.1.1-1-1-1-v1.1.1"


def test_cli_prints_the_warning_on_stderr(monkeypatch, capsys) -> None:
    env = load_env("push_branch", INPUT_TAGS="type=raw,value={{brnach}}")
    env.pop("GITHUB_ACTIONS", None)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["meta"]) == 0
    out, err = capsys.readouterr()
    assert '"tags": []' in out
    assert err == ("warning: input 'tags' line 1: value: unknown variable 'brnach' renders "
                   "as empty text in \"type=raw,value={{brnach}}\" (did you mean 'branch'?)\n")
