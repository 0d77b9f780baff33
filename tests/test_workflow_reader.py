"""The workflow reader (ghbuild.workflow): expressions, and every template we ship as
``ghbuild init`` writes it, read as a runner would start its ghbuild step."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ghbuild import workflow
from ghbuild.commands import init
from ghbuild.context import Context
from ghbuild.errors import ConfigError, InputError
from ghbuild.workflow import Unknown, condition, evaluate, render

ROOT = Path(__file__).resolve().parents[1]
SHA = "0123456789abcdef0123456789abcdef01234567"
FLAGS = {"--images": "images", "--tags": "tags", "--cache": "cache", "--context": "context"}


def ctx(event: str = "push", ref: str = "refs/heads/main", **payload: Any) -> Context:
    body = {"repository": {"default_branch": "main", "full_name": "acme/widget"}, **payload}
    return Context(event_name=event, ref=ref, sha=SHA, repository="acme/widget",
                   repository_owner="acme", payload=body, source="git",
                   base_ref="main" if event.startswith("pull_request") else "")


def scope(c: Context | None = None, **more: Any) -> dict[str, Any]:
    return {"github": workflow.github_scope(c or ctx(), "Publish"), **more}


# -- expressions ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("'it''s'", "it's"),
    ("1 == 1.0", True),
    ("'ABC' == 'abc'", True),              # strings compare ignoring case
    ("null == 0", True),                   # other types compare as numbers
    ("'' == 0", True),
    ("'x' != 'y'", True),
    ("2 < 10", True),
    ("'b' > 'A'", True),
    ("!0", True),
    ("!'a'", False),
    ("0x10 == 16", True),
    ("(1 == 2) || 'fallback'", "fallback"),
    ("'' && 'never'", ""),                 # && gives the first falsy operand
    ("github.event_name == 'push' && 'yes' || 'no'", "yes"),
    ("github.ref_name", "main"),
    ("github.sha", SHA),
    ("github.repository", "acme/widget"),
    ("github.event.repository.default_branch", "main"),
    ("github['event_name']", "push"),
    ("github.EVENT_NAME", "push"),         # property names ignore case
    ("format('{0}-{1}', github.ref_name, 'x')", "main-x"),
    ("format('{{0}} {0}', 1)", "{0} 1"),
    ("contains('Hello', 'ELL')", True),
    ("contains(fromJSON('[\"a\",\"b\"]'), 'B')", True),
    ("startsWith(github.ref, 'refs/HEADS/')", True),
    ("endsWith(github.ref, 'main')", True),
    ("join(fromJSON('[1,2]'), '+')", "1+2"),
    ("inputs.version", None),              # an input this event has not: null
    ("success() && !failure()", True),
])
def test_expression_values(text: str, expected: Any) -> None:
    assert evaluate(text, scope(inputs={})) == expected


@pytest.mark.parametrize(("text", "sources", "secret"), [
    ("secrets.REGISTRY_TOKEN", ("secrets.REGISTRY_TOKEN",), True),
    ("vars.IMAGE", ("vars.IMAGE",), False),
    ("steps.meta.outputs.json", ("steps.meta.outputs.json",), False),
    ("needs.changes.outputs.count != '0'", ("needs.changes.outputs.count",), False),
    ("format('{0}/{1}', vars.REG, secrets.X)", ("vars.REG", "secrets.X"), True),
    ("github.event.before", ("github.event.before",), False),   # a runner's payload has it
    ("github.token", ("github.token",), True),
    ("matrix.image", ("matrix.image",), False),
    ("!needs.a.result", ("needs.a.result",), False),
])
def test_what_only_a_runner_knows_is_unknown(text: str, sources: tuple[str, ...],
                                             secret: bool) -> None:
    got = evaluate(text, scope())
    assert got == Unknown(sources, secret)
    assert "<not known locally" in str(got)


def test_a_known_operand_can_decide_alone() -> None:
    assert evaluate("github.event_name == 'pull_request' && needs.x.outputs.y", scope()) \
        is False
    assert evaluate("github.event_name == 'push' || secrets.X", scope()) is True


@pytest.mark.parametrize(("text", "message"), [
    ("github.ref ==", "unexpected end"),
    ("nope.x", "unrecognised named value 'nope'"),
    ("format('{1}', 'a')", "format(): no argument for '{1}'"),
    ("format('}')", "single '}'"),
    ("shout('a')", "unrecognised function 'shout'"),
    ("contains('a')", "contains() takes 2..2 arguments, got 1"),
    ("github.*", "object filters"),
    ("fromJSON('{')", "fromJSON(): not JSON"),
    ("'a' 'b'", "unexpected \"'b'\""),
    ("a # b", "unexpected character '#'"),
])
def test_bad_expressions_are_refused(text: str, message: str) -> None:
    with pytest.raises(workflow.ExpressionError, match=None) as err:
        evaluate(text, scope())
    assert message in str(err.value)


def test_render_values_with_expressions_in_text() -> None:
    assert render("sha-${{ github.sha }}-${{ 'x' }}", scope()) == f"sha-{SHA}-x"
    assert render("${{ github.event_name == 'push' }}", scope()) is True   # one: its type
    assert render("on ${{ github.event_name == 'push' }}", scope()) == "on true"
    assert render("plain {{version}}", scope()) == "plain {{version}}"  # metadata-action's
    assert render("${{ '}}' }}", scope()) == "}}"                      # quoted braces
    unknown = render("a ${{ secrets.X }} b", scope())
    assert unknown == Unknown(("secrets.X",), True)
    with pytest.raises(workflow.ExpressionError, match="without its closing"):
        render("${{ github.sha", scope())


def test_conditions_with_and_without_the_braces() -> None:
    assert condition("github.event_name == 'push'", scope()) is True
    assert condition("${{ github.event_name != 'push' }}", scope()) is False
    assert condition("github.event_name == 'pull_request' && needs.a.outputs.b", scope()) \
        is False


def test_truthiness_and_strings() -> None:
    assert not workflow.truthy(math.nan) and not workflow.truthy("") and not workflow.truthy(0)
    assert workflow.truthy([]) and workflow.truthy({}) and workflow.truthy("false")
    values: tuple[Any, ...] = (None, True, 3.0, 2.5, [1], {})
    assert [workflow.to_str(v) for v in values] == \
        ["", "true", "3", "2.5", "Array", "Object"]


# -- templates as ghbuild init writes them ----------------------------------------------------
def install(tmp_path: Path, *names: str, action: str | None = None) -> Path:
    """The templates rendered by ``ghbuild init`` into a checkout's .github/workflows/."""
    root = tmp_path / "repo"
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    templates = init.load_templates()
    fill = init.Fill(image="ghcr.io/acme/widget", branch="trunk", action=action)
    for name in names:
        (folder / f"{name}.yml").write_text(init.render(templates[name], fill))
    return root


def pick(root: Path, c: Context, **kw: Any) -> tuple[workflow.Resolved, list[str]]:
    return workflow.choose(workflow.discover(root), c, FLAGS, **kw)


def test_every_template_is_read(tmp_path: Path) -> None:
    root = install(tmp_path, *init.load_templates())
    found = {wf.path: [(s.job, s.index, s.kind) for s in wf.steps]
             for wf in workflow.discover(root)}
    # multi-platform runs ghbuild meta/platform/merge (not run), reusable is only called
    assert found == {
        ".github/workflows/monorepo.yml": [("build", 2, "action"), ("publish", 2, "action")],
        ".github/workflows/publish.yml": [("build", 2, "action"), ("publish", 2, "action")],
    }
    multi = workflow.read_workflow(root / ".github/workflows/multi-platform.yml",
                                   "multi-platform.yml", root)
    assert multi.steps == ()


def test_publish_push_to_the_default_branch(tmp_path: Path) -> None:
    root = install(tmp_path, "publish", action="acme/ghbuild@v2")
    chosen, notes = pick(root, ctx(ref="refs/heads/trunk"))
    assert (chosen.step.job, chosen.step.uses, chosen.runs) == ("publish", "acme/ghbuild@v2",
                                                                True)
    assert chosen.inputs["images"] == "ghcr.io/acme/widget"
    tags = chosen.inputs["tags"].splitlines()
    assert tags[1] == "type=sha,enable={{is_default_branch}}"
    assert tags[-1] == "type=semver,pattern={{version}},value="   # inputs.version: null
    assert chosen.inputs["flavor"] == "latest=auto\n"
    assert chosen.unknown == {"github-token": Unknown(("github.token",), True)}
    assert chosen.placeholders == ("github-token",)
    env = chosen.env()
    assert env["INPUT_IMAGES"] == "ghcr.io/acme/widget" and "INPUT_TAGS" in env
    assert env["INPUT_GITHUB_TOKEN"] == "<not known locally: github.token>"
    assert notes == []
    assert workflow.filter_note(chosen.step, ctx(ref="refs/heads/trunk")) == ""


def test_publish_pull_request_and_dispatch(tmp_path: Path) -> None:
    root = install(tmp_path, "publish")
    pr, _ = pick(root, ctx("pull_request", "refs/pull/4/merge"))
    assert pr.step.job == "build" and dict(pr.inputs) == {"images": "ghcr.io/acme/widget"}
    dispatch, _ = pick(root, ctx("workflow_dispatch", "refs/heads/trunk"))
    assert dispatch.step.job == "publish"
    # the dispatch form's default (empty) for inputs.version
    assert dispatch.inputs["tags"].splitlines()[-1] == "type=semver,pattern={{version}},value="


def test_publish_on_a_branch_the_workflow_does_not_run_on(tmp_path: Path) -> None:
    root = install(tmp_path, "publish")
    c = ctx(ref="refs/heads/feature")
    chosen, _ = pick(root, c)
    assert workflow.filter_note(chosen.step, c) == (
        ".github/workflows/publish.yml: on.push.branches does not match 'feature': CI would "
        "not start this workflow")
    tag = ctx(ref="refs/tags/v1.2.3")
    assert workflow.filter_note(chosen.step, tag) == ""          # tags: ["v*"]
    other = ctx(ref="refs/tags/release-1")
    assert "on.push.tags does not match 'release-1'" in workflow.filter_note(chosen.step, other)


def test_monorepo_matrix_image_is_unknown(tmp_path: Path) -> None:
    root = install(tmp_path, "monorepo")
    chosen, _ = pick(root, ctx())
    assert chosen.step.job == "publish"
    assert chosen.runs is None                          # needs.changes.outputs.count
    assert chosen.unknown["image"] == Unknown(("matrix.image",))
    assert "image" not in chosen.inputs                 # unset: every configured image
    notes = workflow.unknown_notes(chosen)
    assert "input 'image' comes from matrix.image: not known locally (left unset: its " \
           "default)" in notes
    assert any("its if: depends on what only a runner knows" in n for n in notes)
    pr, _ = pick(root, ctx("pull_request", "refs/pull/4/merge"))
    assert pr.step.job == "build"


CALLER = """\
name: Images
on:
  push:
    branches: [main]
jobs:
  image:
    uses: {uses}
    permissions: {{contents: read, packages: write}}
    with:
      images: ghcr.io/acme/${{{{ github.event.repository.default_branch }}}}-app
      tags: |
        type=raw,value=${{{{ github.ref_name }}}}
        type=sha
      registry-username: bot
    secrets: {secrets}
"""


def caller(tmp_path: Path, uses: str, secrets: str) -> Path:
    root = install(tmp_path, "reusable")
    (root / ".github/workflows/images.yml").write_text(
        CALLER.format(uses=uses, secrets=secrets))
    return root


def test_our_reusable_workflow_called_with_with(tmp_path: Path) -> None:
    root = caller(tmp_path, "acme/ghbuild/.github/workflows/reusable.yml@v1",
                  "{registry-password: '${{ secrets.REG_PW }}'}")
    chosen, _ = pick(root, ctx())
    step = chosen.step
    assert step.call is not None and step.call.job == "image"
    assert step.workflow.endswith("(the copy in this ghbuild)")
    assert chosen.inputs["images"] == "ghcr.io/acme/main-app"
    assert chosen.inputs["tags"] == "type=raw,value=main\ntype=sha\n"
    # the called workflow's input defaults fill what the caller leaves out
    assert (chosen.inputs["context"], chosen.inputs["cache"], chosen.inputs["push"]) == \
        (".", "gha", "auto")
    assert chosen.inputs["username"] == "bot"
    assert chosen.inputs["secrets"] == ""       # build-secrets: not passed, so empty
    assert chosen.unknown["password"] == Unknown(("secrets.REG_PW",), True)
    assert "password" in chosen.placeholders
    assert "input 'password' comes from secrets.REG_PW: not known locally (a placeholder " \
           "stands in for it)" in workflow.unknown_notes(chosen)


def test_a_local_reusable_workflow_with_inherited_secrets(tmp_path: Path) -> None:
    root = caller(tmp_path, "./.github/workflows/reusable.yml", "inherit")
    chosen, _ = pick(root, ctx())
    assert chosen.step.workflow == ".github/workflows/reusable.yml"
    assert chosen.unknown["password"] == Unknown(("secrets.registry-password",), True)
    assert chosen.unknown["secrets"] == Unknown(("secrets.build-secrets",), True)
    assert "secrets" not in chosen.placeholders   # structured: left unset, never guessed


def test_our_own_ci_uses_dot_slash() -> None:
    found = workflow.discover(ROOT, ".github/workflows/ci.yml")
    chosen, notes = workflow.choose(found, ctx(), FLAGS)
    assert (chosen.step.job, chosen.step.index, chosen.step.uses) == ("self-test", 4, "./")
    assert dict(chosen.inputs) == {"context": "examples/hello",
                                   "images": "localhost:5000/ghbuild/hello", "push": "true",
                                   "github-token": ""}
    assert notes == ["planned once: CI also runs the same inputs in .github/workflows/ci.yml "
                     "job self-test step 5 (Build the example again (build once))"]


def test_dot_slash_is_not_ghbuild_in_another_checkout(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/x.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./\n")
    assert workflow.discover(root) == []


RUN_STEP = """\
on: [push, workflow_dispatch]
env:
  INPUT_CACHE: registry
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      INPUT_PUSH: ${{ github.event_name == 'push' }}
    steps:
      - uses: acme/ghbuild/setup@v1
      - name: Build
        env:
          INPUT_IMAGES: ghcr.io/acme/base
          TAGS: type=sha
        run: |
          ghbuild run --images ghcr.io/acme/${{ github.ref_name }} \\
            --tags "$TAGS" --context=sub && echo done
"""


def test_setup_then_ghbuild_run(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/b.yml").write_text(RUN_STEP)
    chosen, _ = pick(root, ctx())
    assert (chosen.step.kind, chosen.step.index, chosen.step.name) == ("run", 2, "Build")
    # "$TAGS" is the step's env: TAGS, as the shell has it
    assert dict(chosen.inputs) == {"cache": "registry", "push": "true",
                                   "images": "ghcr.io/acme/main", "context": "sub",
                                   "tags": "type=sha"}
    assert chosen.unknown == {}
    assert chosen.process_env == {"TAGS": "type=sha"}
    assert "github-token" not in chosen.unknown   # run: steps get no token by default


def test_a_run_step_without_setup_is_not_ghbuild(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/b.yml").write_text(RUN_STEP.replace(
        "      - uses: acme/ghbuild/setup@v1\n", ""))
    assert workflow.discover(root) == []


TWO = """\
on: push
jobs:
  a:
    runs-on: x
    steps:
      - uses: acme/ghbuild@v1
        with: {images: ghcr.io/acme/a}
  b:
    runs-on: x
    steps:
      - name: first
        uses: acme/ghbuild@v1
        with: {images: ghcr.io/acme/b}
      - id: second
        if: github.ref_type == 'tag'
        uses: acme/ghbuild@v1
        with: {images: ghcr.io/acme/c}
"""


def test_several_steps_are_refused_with_the_list(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/two.yml").write_text(TWO)
    with pytest.raises(InputError) as err:
        pick(root, ctx())
    assert str(err.value) == (
        "2 ghbuild steps run on push with different inputs: .github/workflows/two.yml job a "
        "step 1; .github/workflows/two.yml job b step 1 (first) (choose one with --job JOB "
        "(and --step N|NAME))")
    assert pick(root, ctx(), job="b")[0].inputs["images"] == "ghcr.io/acme/b"
    assert pick(root, ctx(), step="first")[0].step.job == "b"
    # step 2's if: is false for a branch; a tag push runs it, so --step alone is not enough
    with pytest.raises(InputError, match="the if: of .* is false here"):
        pick(root, ctx(), step="second")
    assert pick(root, ctx(ref="refs/tags/v1"), step="second")[0].inputs["images"] == \
        "ghcr.io/acme/c"
    with pytest.raises(InputError, match="--job nope: no job of that id runs ghbuild"):
        pick(root, ctx(), job="nope")


def test_an_event_the_workflow_does_not_run_on(tmp_path: Path) -> None:
    root = install(tmp_path, "publish")
    with pytest.raises(InputError, match="no workflow here runs ghbuild on release"):
        pick(root, ctx("release", "refs/tags/v1.0.0"))
    assert workflow.default_event(workflow.discover(root)) == "push"


def test_the_default_event_when_there_is_no_push(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/n.yml").write_text(
        "on:\n  schedule:\n    - cron: '1 1 * * *'\n  workflow_dispatch:\njobs:\n  a:\n"
        "    runs-on: x\n    steps:\n      - uses: acme/ghbuild@v1\n")
    assert workflow.default_event(workflow.discover(root)) == "workflow_dispatch"


def test_yaml_errors_name_the_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/bad.yml").write_text("on: push\njobs:\n  a: [\n")
    with pytest.raises(ConfigError) as err:
        workflow.discover(root)
    assert str(err.value).startswith(".github/workflows/bad.yml:4:")


def test_expression_errors_name_the_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/e.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/ghbuild@v1\n"
        "        with:\n          images: x\n          tags: ${{ format('{2}', 'a') }}\n")
    with pytest.raises(ConfigError) as err:
        pick(root, ctx())
    assert str(err.value) == (".github/workflows/e.yml:9: with.tags: format(): no argument "
                              "for '{2}' in \"${{ format('{2}', 'a') }}\"")


def test_a_missing_workflow_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--workflow: no such file"):
        workflow.discover(tmp_path, "nope.yml")


def test_our_reusable_workflow_read_alone(tmp_path: Path) -> None:
    root = install(tmp_path, "reusable")
    found = workflow.discover(root, ".github/workflows/reusable.yml")
    chosen, _ = workflow.choose(found, ctx("release", "refs/tags/v1.0.0"), FLAGS)
    assert chosen.step.call is not None and chosen.step.call.line == 0
    assert (chosen.inputs["images"], chosen.inputs["context"], chosen.inputs["cache"]) == \
        ("", ".", "gha")
    assert chosen.unknown["password"] == Unknown(("secrets.registry-password",), True)
    assert chosen.step.label() == ".github/workflows/reusable.yml job image step 2 " \
        "(Build and push)"


# -- unknowns inside functions --------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "toJSON(github)", "contains(toJSON(github), 'x')", "fromJSON(toJSON(github))",
    "format('{0}', toJSON(github.event))", "join(fromJSON(toJSON(github)), ',')",
])
def test_a_function_over_an_unknown_inside_a_value_is_unknown(text: str) -> None:
    got = evaluate(text, scope(inputs={}))
    # a runner's github has fields git has not (and its token): never a partial JSON text
    assert isinstance(got, Unknown)
    assert got.sources[0].startswith("github")


def test_tojson_of_an_object_with_a_secret_inside_stays_secret() -> None:
    got = evaluate("toJSON(github)", scope(inputs={}))
    assert got == Unknown(("github",), secret=True)
    assert evaluate("toJSON(fromJSON('[1, \"a\"]'))", scope(inputs={})) == '[\n  1,\n  "a"\n]'


def test_a_label_from_tojson_is_an_unknown_input(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(
        uses="acme/ghbuild@v1", extra="          labels: x=${{ toJSON(github) }}\n"))
    chosen, _ = pick(root, ctx())
    assert chosen.unknown["labels"].sources == ("github",)
    assert "labels" not in chosen.inputs
    assert ("input 'labels' comes from github: not known locally (left unset: its default)"
            in workflow.unknown_notes(chosen))


@pytest.mark.parametrize(("text", "message"), [
    ("format('{0')", "format(): invalid format string '{0'"),
    ("format('{a}', 1)", "format(): invalid format string '{a}'"),
    ("format('{1}', 1)", "format(): no argument for '{1}'"),
])
def test_format_strings_github_refuses(text: str, message: str) -> None:
    with pytest.raises(workflow.ExpressionError) as err:
        evaluate(text, scope(inputs={}))
    assert str(err.value).startswith(message)


# -- helpers for whole workflows ------------------------------------------------------------
ACTION_STEP = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Build
        uses: {uses}
        with:
          images: ghcr.io/acme/widget
{extra}"""


def write(tmp_path: Path, **files: str) -> Path:
    """A checkout with these workflows (name -> text) under .github/workflows/."""
    root = tmp_path / "repo"
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yml").write_text(text)
    return root


# -- reusable workflow calls GitHub refuses -------------------------------------------------
CALLEE = """\
on:
  workflow_call:
    inputs:
      image:
        type: string
        required: true
      tags:
        type: string
        default: type=sha
    secrets:
      pw:
        required: true
      extra:
        required: false
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/ghbuild@v1
        with:
          images: ${{ inputs.image }}
          password: ${{ secrets.pw }}
"""


def calling(with_: str = "      image: ghcr.io/acme/a\n",
           secrets: str = "    secrets:\n      pw: ${{ secrets.PW }}\n",
           uses: str = "./.github/workflows/build.yml") -> str:
    return (f"on: push\njobs:\n  image:\n    uses: {uses}\n"
            + (f"    with:\n{with_}" if with_ else "") + secrets)


def test_a_valid_call_is_read(tmp_path: Path) -> None:
    root = write(tmp_path, build=CALLEE, caller=calling())
    chosen, _ = pick(root, ctx())
    assert chosen.inputs["images"] == "ghcr.io/acme/a"
    assert "password" in chosen.placeholders


@pytest.mark.parametrize(("text", "message"), [
    (calling(with_="      imag: ghcr.io/acme/a\n"),
     ".github/workflows/caller.yml:6: jobs.image.with.imag: 'imag' is not an input of "
     ".github/workflows/build.yml (did you mean 'image'?); its inputs: image, tags"),
    (calling(with_="      tags: x\n"),
     ".github/workflows/caller.yml:4: jobs.image: input 'image' is required by "
     ".github/workflows/build.yml and not given in with:"),
    (calling(secrets=""),
     ".github/workflows/caller.yml:4: jobs.image: secret 'pw' is required by "
     ".github/workflows/build.yml and not given in secrets:"),
    (calling(secrets="    secrets:\n      pw: x\n      token: y\n"),
     ".github/workflows/caller.yml:9: jobs.image.secrets.token: 'token' is not a secret of "
     ".github/workflows/build.yml; its secrets: pw, extra"),
    (calling(uses="./.github/workflows/nosuch.yml"),
     ".github/workflows/caller.yml:4: jobs.image.uses: no such workflow "
     "'.github/workflows/nosuch.yml' in this checkout (GitHub refuses the caller)"),
    (calling(with_="      nosuchinput: x\n", secrets="",
            uses="org/ghbuild/.github/workflows/reusable.yml@v1"),
     ".github/workflows/caller.yml:6: jobs.image.with.nosuchinput: 'nosuchinput' is not an "
     "input of org/ghbuild/.github/workflows/reusable.yml@v1 (the copy in this ghbuild)"),
])
def test_a_call_github_would_refuse_names_the_caller_line(tmp_path: Path, text: str,
                                                          message: str) -> None:
    root = write(tmp_path, build=CALLEE, caller=text)
    with pytest.raises(ConfigError) as err:
        workflow.discover(root)
    assert str(err.value).startswith(message)


def test_inherited_secrets_are_not_checked_and_a_default_does_not_excuse_required(
        tmp_path: Path) -> None:
    root = write(tmp_path, build=CALLEE.replace("        required: true\n      tags",
                                                "        required: true\n        default: x\n"
                                                "      tags"),
                 caller=calling(with_="", secrets="    secrets: inherit\n"))
    with pytest.raises(ConfigError, match="input 'image' is required"):
        workflow.discover(root)
    (root / ".github/workflows/caller.yml").write_text(calling(secrets="    secrets: inherit\n"))
    assert [s.job for wf in workflow.discover(root) for s in wf.steps] == ["b"]


def test_calling_a_file_that_is_not_reusable(tmp_path: Path) -> None:
    root = write(tmp_path, build=CALLEE.replace("on:\n  workflow_call:", "on:\n  push:\n  x:"),
                 caller=calling())
    with pytest.raises(ConfigError, match="caller.yml:4: jobs.image.uses: .* is not a reusable "
                                          "workflow"):
        workflow.discover(root)


# -- recognising the step ---------------------------------------------------------------------
def test_init_action_marks_a_renamed_action_and_plan_knows_it(tmp_path: Path) -> None:
    root = install(tmp_path, "publish", "multi-platform", action="acme/container-build@v2")
    text = (root / ".github/workflows/publish.yml").read_text()
    assert "uses: acme/container-build@v2 # ghbuild\n" in text
    assert "uses: acme/container-build/setup@v2 # ghbuild setup\n" in (
        root / ".github/workflows/multi-platform.yml").read_text()
    chosen, notes = pick(root, ctx())
    assert (chosen.step.uses, chosen.step.job, chosen.step.marked) == (
        "acme/container-build@v2", "publish", True)
    assert not any("taken as ghbuild" in n for n in notes + list(chosen.notes))


def test_the_marker_after_a_quoted_reference_and_the_path_form(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="'acme/x@v2'  #  ghbuild", extra=""))
    assert pick(root, ctx())[0].step.uses == "acme/x@v2"
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/build-tools/ghbuild@v1", extra=""))
    assert pick(root, ctx())[0].step.uses == "acme/build-tools/ghbuild@v1"
    assert init.marker_for("acme/build-tools/ghbuild@v1") == ""
    assert init.marker_for("acme/build-tools/ghbuild/setup@v1") == ""


def test_a_step_whose_with_keys_are_all_ghbuild_inputs_is_taken_with_a_note(
        tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/container-build@v2",
                                                extra="          tags: type=sha\n"))
    chosen, _ = pick(root, ctx())
    assert chosen.step.guessed
    assert any(n.startswith(".github/workflows/a.yml:6: uses: acme/container-build@v2 taken "
                            "as ghbuild: every with: key is an input") for n in chosen.notes)
    # metadata-action shares images/tags: never taken; and a named ghbuild step wins
    (root / ".github/workflows/a.yml").write_text(ACTION_STEP.format(
        uses="docker/metadata-action@v5", extra=""))
    assert workflow.discover(root) == []
    write(tmp_path, a=ACTION_STEP.format(uses="acme/container-build@v2", extra=""),
          b=ACTION_STEP.format(uses="acme/ghbuild@v1", extra=""))
    assert [wf.path for wf in workflow.discover(root)] == [".github/workflows/b.yml"]


def test_action_inputs_are_action_ymls() -> None:
    from ruamel.yaml import YAML

    declared = YAML(typ="safe").load((ROOT / "action.yml").read_text())["inputs"]
    assert tuple(declared) == workflow.ACTION_INPUTS


# -- what is passed over, and why -------------------------------------------------------------
def test_passed_over_workflows_are_said(tmp_path: Path) -> None:
    root = install(tmp_path, "multi-platform", "reusable", "publish")
    got = workflow.survey(root)
    assert [wf.path for wf in got.workflows] == [".github/workflows/publish.yml"]
    assert got.notes[0].startswith(".github/workflows/multi-platform.yml: passed over: it runs "
                                   "ghbuild meta, platform, merge, not ghbuild run")
    assert got.notes[1] == (".github/workflows/reusable.yml: passed over, it is only on: "
                            "workflow_call and no workflow here calls it (--workflow reads it "
                            "alone, with its inputs' defaults)")


def test_a_broken_unrelated_workflow_is_a_note(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1", extra=""),
                 zz="name: [broken\n")
    got = workflow.survey(root)
    assert [wf.path for wf in got.workflows] == [".github/workflows/a.yml"]
    assert got.notes == [".github/workflows/zz.yml: passed over, it cannot be read (line 2: "
                         "YAML syntax error: expected ',' or ']', but got '<stream end>'); "
                         "another workflow runs ghbuild"]
    # the one chosen, or one that names ghbuild, is still an error
    with pytest.raises(ConfigError, match="zz.yml:2"):
        workflow.survey(root, ".github/workflows/zz.yml")
    (root / ".github/workflows/zz.yml").write_text("# ghbuild\nname: [broken\n")
    with pytest.raises(ConfigError, match="zz.yml:3"):
        workflow.survey(root)


@pytest.mark.parametrize(("target", "message"), [
    (".github", "--workflow: a directory, not a workflow file"),
    ("/dev/null", "--workflow: not a regular file"),
    (".github/ghbuild.yml", "not a workflow: no on: and jobs: (plan reads "
                            ".github/ghbuild.yml, the config file, by itself)"),
])
def test_workflow_option_on_what_is_not_a_workflow(tmp_path: Path, target: str,
                                                   message: str) -> None:
    root = write(tmp_path)
    (root / ".github/ghbuild.yml").write_text("images:\n  - name: ghcr.io/acme/a\n")
    with pytest.raises(ConfigError) as err:
        workflow.survey(root, target)
    assert message in str(err.value)


def test_jobs_that_are_not_a_mapping(tmp_path: Path) -> None:
    root = write(tmp_path, a="on: push\njobs: 7\n")
    with pytest.raises(ConfigError) as err:
        workflow.survey(root, ".github/workflows/a.yml")
    assert str(err.value) == ".github/workflows/a.yml:2: jobs: must be a mapping of job ids, " \
        "got '7'"


# -- values in with: --------------------------------------------------------------------------
def test_an_anchored_boolean_is_true_not_one(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1",
                                                extra="          push: &on true\n"
                                                      "          load: *on\n"))
    chosen, _ = pick(root, ctx())
    assert (chosen.inputs["push"], chosen.inputs["load"]) == ("true", "true")


@pytest.mark.parametrize(("extra", "kind"), [
    ("          tags:\n            - type=sha\n", "sequence"),
    ("          tags: {a: b}\n", "mapping"),
])
def test_a_list_or_mapping_input_is_refused(tmp_path: Path, extra: str, kind: str) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1", extra=extra))
    with pytest.raises(ConfigError) as err:
        workflow.discover(root)
    assert str(err.value).startswith(f".github/workflows/a.yml:10: with.tags: a {kind} is not "
                                     "an input value")


def test_an_unknown_with_key_is_warned_with_a_close_match(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1",
                                                extra="          tag: type=sha\n"))
    chosen, _ = pick(root, ctx())
    assert (".github/workflows/a.yml:10: with.tag is not an input of ghbuild (did you mean "
            "'tags'?): GitHub warns 'Unexpected input' and ignores it") in chosen.notes


# -- the run: form ------------------------------------------------------------------------------
RUN_FORM = """\
on: push
defaults:
  run:
    working-directory: sub
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/ghbuild/setup@v1
      - env:
          NPM_TOKEN: ${{{{ secrets.NPM }}}}
          IMG: ghcr.io/acme/x
        run: |
{run}
"""


def test_the_run_form_reads_the_steps_env_and_working_directory(tmp_path: Path) -> None:
    root = write(tmp_path, a=RUN_FORM.format(
        run='          ghbuild run --images "${IMG}" --context .\n'
            '          ghbuild run --images other\n'))
    chosen, _ = pick(root, ctx())
    assert chosen.inputs == {"images": "ghcr.io/acme/x", "context": "."}
    assert chosen.workdir == "sub"
    # the step's process has NPM_TOKEN (a stand-in: a runner has the value)
    assert chosen.process_env == {"NPM_TOKEN": "<not known locally: secrets.NPM>",
                                  "IMG": "ghcr.io/acme/x"}
    assert ".github/workflows/a.yml job b step 2: its run: calls ghbuild run 2 times; the " \
        "first is planned" in chosen.notes


def test_a_shell_variable_env_does_not_set_stays_unknown(tmp_path: Path) -> None:
    root = write(tmp_path, a=RUN_FORM.format(run='          ghbuild run --images "$NOPE"\n'))
    chosen, _ = pick(root, ctx())
    assert chosen.unknown["images"] == Unknown(("the shell's $NOPE",))


def test_a_matrix_of_one_value_per_key_is_expanded(tmp_path: Path) -> None:
    text = ACTION_STEP.format(uses="acme/ghbuild@v1",
                              extra="          tags: type=raw,value=${{ matrix.variant }}\n")
    text = text.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n"
                        "    strategy:\n      matrix:\n        variant: [slim]\n")
    root = write(tmp_path, a=text)
    chosen, _ = pick(root, ctx())
    assert chosen.inputs["tags"] == "type=raw,value=slim"
    # two values: unknown, as before
    write(tmp_path, a=text.replace("[slim]", "[slim, full]"))
    assert "tags" in pick(root, ctx())[0].unknown


REGISTRY_AUTH = """\
          registry-auth: |
            - registry: docker.io
              username: ${{ vars.HUB_USER }}
              password: ${{ secrets.HUB_TOKEN }}
            - registry: 127.0.0.1:5000
              username: ci
              password: ${{ secrets.LOCAL }}
"""


def test_registry_auth_with_unknowns_gets_stand_ins_per_entry(tmp_path: Path) -> None:
    from ghbuild.login import parse_registry_auth

    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1", extra=REGISTRY_AUTH))
    chosen, _ = pick(root, ctx())
    assert "registry-auth" in chosen.placeholders
    entries = parse_registry_auth(chosen.env()["INPUT_REGISTRY_AUTH"])
    assert [(e.credentials.registry, e.credentials.username, e.credentials.password)
            for e in entries] == [("docker.io", "<vars.HUB_USER>", "<secrets.HUB_TOKEN>"),
                                  ("127.0.0.1:5000", "ci", "<secrets.LOCAL>")]
    # an unknown registry: no stand-in, the input is left unset (and said)
    write(tmp_path, a=ACTION_STEP.format(uses="acme/ghbuild@v1", extra=REGISTRY_AUTH.replace(
        "docker.io", "${{ vars.REG }}")))
    chosen, _ = pick(root, ctx())
    assert "registry-auth" not in chosen.placeholders
    assert "INPUT_REGISTRY_AUTH" not in chosen.env()


_PIECES = ["github", "secrets.X", "vars.Y", "matrix.m", "inputs.x", "env.A", ".event", "[0]",
           "['a']", "(", ")", ",", "'a'", "'{0}'", "'{0'", "'}'", "1", "0x1", "null", "true",
           "==", "!", "&&", "||", "<", "toJSON(", "fromJSON(", "contains(", "format(",
           "join(", "startsWith(", "hashFiles(", "'[1,{\"a\":2}]'", "'{\"b\":[null]}'"]


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=9))
@example(["contains(", "toJSON(", "github", ")", ",", "'a'", ")"])  # h13 M1's traceback
@settings(max_examples=400, deadline=None)
def test_an_expression_is_a_value_an_unknown_or_an_expression_error(pieces: list[str]) -> None:
    """Never a traceback: whatever the runner would refuse is an ExpressionError (the
    reader adds file:line), anything else a value or an Unknown."""
    text = " ".join(pieces)
    try:
        value = evaluate(text, scope(inputs={"x": "1"}, env={"A": "b"}))
    except workflow.ExpressionError:
        return
    assert isinstance(value, Unknown) or isinstance(workflow.to_str(value), str)


def test_a_copy_of_the_action_in_the_checkout_is_ghbuild(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="./.ghbuild", extra=""))
    assert workflow.discover(root) == []     # no action.yml there yet
    (root / ".ghbuild").mkdir()
    (root / ".ghbuild/action.yml").write_text((ROOT / "action.yml").read_text())
    assert pick(root, ctx())[0].step.uses == "./.ghbuild"
    (root / ".ghbuild/action.yml").write_text("name: other\n")
    assert workflow.discover(root) == []


def test_env_settings_ghbuild_reads_are_taken_when_known_and_left_out_when_not(
        tmp_path: Path) -> None:
    text = RUN_FORM.format(run="          ghbuild run --images x").replace(
        "          IMG: ghcr.io/acme/x\n",
        "          DOCKER_METADATA_PR_HEAD_SHA: 'true'\n"
        "          SOURCE_DATE_EPOCH: ${{ steps.t.outputs.epoch }}\n"
        "          DOCKER_CONFIG: /elsewhere\n").replace(
        "    working-directory: sub\n", "    working-directory: ${{ vars.DIR }}\n")
    root = write(tmp_path, a=text)
    chosen, _ = pick(root, ctx())
    assert chosen.process_env == {"NPM_TOKEN": "<not known locally: secrets.NPM>",
                                  "DOCKER_METADATA_PR_HEAD_SHA": "true"}
    assert ("env SOURCE_DATE_EPOCH comes from steps.t.outputs.epoch: not known locally (left "
            "unset here)") in chosen.notes
    assert chosen.workdir == ""
    assert any("its working-directory comes from vars.DIR" in n for n in chosen.notes)


def test_two_guesses_are_none(tmp_path: Path) -> None:
    root = write(tmp_path, a=ACTION_STEP.format(uses="acme/one@v1", extra=""),
                 b=ACTION_STEP.format(uses="acme/two@v1", extra="          tags: x\n"))
    got = workflow.survey(root)
    assert got.workflows == []
    assert got.notes == ["2 steps could be ghbuild's by their with: keys alone ("
                         ".github/workflows/a.yml:6 uses: acme/one@v1; .github/workflows/b.yml:6 "
                         "uses: acme/two@v1): none taken; write '# ghbuild' after the reference "
                         "of the one that is"]


def test_a_filter_pattern_github_refuses_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    from ghbuild.errors import ConfigError

    root = install(tmp_path, "publish")
    path = root / ".github" / "workflows" / "publish.yml"
    path.write_text(path.read_text().replace('tags: ["v*"]', 'tags: ["+v*", "[z-a]"]'))
    c = ctx(ref="refs/tags/v1.2.3")
    chosen, _ = pick(root, c)
    with pytest.raises(ConfigError) as err:
        workflow.filter_note(chosen.step, c)
    assert str(err.value).startswith(".github/workflows/publish.yml: on.push: filter "
                                     "pattern '+v*' is not a valid pattern")


def test_a_workflow_nested_too_deeply_is_an_error(tmp_path: Path) -> None:
    from ghbuild.errors import ConfigError

    path = tmp_path / "deep.yml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        workflow._yaml_load(path, "deep.yml")
