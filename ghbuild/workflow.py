"""Reading a GitHub Actions workflow as a runner would hand it to ghbuild (``ghbuild plan``).

A workflow runs ghbuild in one of the shapes we ship (``workflows/*.yml``, our own
``.github/workflows/*.yml``):

* a step ``uses: OWNER/ghbuild@REF`` (or ``OWNER/REPO/PATH/ghbuild@REF``, a reference
  marked ``# ghbuild`` as ``ghbuild init --action`` writes it, ``uses: ./`` in a checkout
  of ghbuild itself, or, with a note, a ``uses:`` whose ``with:`` keys are all ghbuild
  inputs) whose ``with:`` mapping becomes ``INPUT_<NAME>`` as action.yml maps it;
* a step ``uses: OWNER/ghbuild/setup@REF`` and, later in the job, a step whose ``run:``
  calls ``ghbuild run``: its inputs are the ``INPUT_*`` of the workflow, job and step
  ``env:`` and the flags on that command line;
* a job ``uses: OWNER/ghbuild/.github/workflows/reusable.yml@REF`` (our reusable
  workflow, read from the copy shipped in this package) or ``uses: ./.github/workflows/
  X.yml`` (read from the checkout), whose ``with:`` is the called workflow's ``inputs``.

``${{ … }}`` expressions are evaluated by the small reader below, from facts a local
checkout has (the git context, the workflow's own ``env:`` and input defaults, a
caller's ``with:``). What only a runner knows (``secrets``, ``vars``, ``steps``,
``needs``, ``matrix``, ``runner``, most of ``github``) is an :class:`Unknown` that says
where it came from; it never carries a value, so a secret cannot be printed.

Known limits (docs/plan.md says them too): no object filters (``a.*``), no
``hashFiles``; a job's ``strategy.matrix`` is expanded only with one value per key (else
``matrix.*`` is unknown); an input whose value is partly unknown is left unset, with a
note (the login inputs get stand-ins instead); a ``run:`` line's shell expansion is only
``$NAME`` / ``${NAME}`` from the step's ``env:``."""

from __future__ import annotations

import difflib
import json
import math
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError

# -- expressions ---------------------------------------------------------------------------


class ExpressionError(Exception):
    """An expression the runner would refuse; the caller adds file and line."""


@dataclass(frozen=True)
class Unknown:
    """A value only a runner has. ``sources`` name where it comes from (``secrets.X``)."""

    sources: tuple[str, ...]
    secret: bool = False

    def __str__(self) -> str:  # never a value: there is none
        return "<not known locally: " + ", ".join(self.sources) + ">"

    def get(self, name: str) -> Unknown:
        return Unknown(tuple(f"{s}.{name}" for s in self.sources), self.secret)


class Open(dict[str, Any]):
    """A context object whose missing keys are unknown (the runner may have them), not
    null: ``github.event.before`` exists on a runner even when git cannot say it."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        super().__init__(data)
        self.prefix = prefix


_TOKEN = re.compile(r"""\s*(?:
    (?P<num>0x[0-9a-fA-F]+|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
)""", re.VERBOSE)

# The named contexts an expression may read; the ones here but not in the scope given to
# evaluate() are unknown (a runner fills them).
CONTEXTS = ("github", "env", "inputs", "secrets", "vars", "steps", "needs", "matrix",
            "strategy", "job", "jobs", "runner")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") or isinstance(value, (list, dict))


def to_str(value: Any) -> str:
    """A value as the runner writes it into a string (an input, a format() argument)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return str(value)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: Any, b: Any) -> bool:
    """GitHub's loose equality: strings ignore case, other types compare as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a is b
    if a is None and b is None:
        return True
    return _number(a) == _number(b)


def _order(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.casefold()
        y: Any = b.casefold()
    else:
        x, y = _number(a), _number(b)
        if math.isnan(x) or math.isnan(y):
            return False
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _unknown_of(*values: Any) -> Unknown | None:
    unknown = [v for v in values if isinstance(v, Unknown)]
    if not unknown:
        return None
    sources = tuple(dict.fromkeys(s for u in unknown for s in u.sources))
    return Unknown(sources, any(u.secret for u in unknown))


def _inside(value: Any) -> Unknown | None:
    """The unknowns anywhere in a value a function is given: an :class:`Open` object (a
    runner's has fields git has not) or an :class:`Unknown` nested in a list or mapping.
    ``toJSON(github)`` is then unknown, not a JSON text missing what a runner adds."""
    found: list[Unknown] = []

    def walk(item: Any) -> None:
        if isinstance(item, Unknown):
            found.append(item)
        elif isinstance(item, Mapping):
            if isinstance(item, Open):
                found.append(Unknown((item.prefix,)))
            for sub in item.values():
                walk(sub)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)

    walk(value)
    got = _unknown_of(*found)
    if got is None:
        return None
    # github.event is in github: name the outer one only
    kept = tuple(s for s in got.sources
                 if not any(s.startswith(f"{o}.") for o in got.sources if o != s))
    return Unknown(kept, got.secret)


def _format(args: Sequence[Any]) -> str:
    if not args:
        raise ExpressionError("format() needs a format string")
    template, rest = to_str(args[0]), args[1:]
    out, i = [], 0
    while i < len(template):
        two = template[i:i + 2]
        if two in ("{{", "}}"):
            out.append(two[0])
            i += 2
            continue
        if template[i] == "{":
            end = template.find("}", i)
            index = template[i + 1:end] if end > 0 else ""
            if not index.isdigit():
                raise ExpressionError(f"format(): invalid format string {template!r} (a "
                                      "'{' starts {N}, N an argument number; '{{' is a '{')")
            if int(index) >= len(rest):
                raise ExpressionError(f"format(): no argument for {template[i:end + 1]!r}")
            out.append(to_str(rest[int(index)]))
            i = end + 1
            continue
        if template[i] == "}":
            raise ExpressionError("format(): a single '}' (write '}}')")
        out.append(template[i])
        i += 1
    return "".join(out)


def _contains(args: Sequence[Any]) -> bool:
    haystack, needle = args
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return to_str(needle).casefold() in to_str(haystack).casefold()


def _join(args: Sequence[Any]) -> str:
    sep = to_str(args[1]) if len(args) > 1 else ","
    items = args[0] if isinstance(args[0], list) else [args[0]]
    return sep.join(to_str(i) for i in items)


def _from_json(args: Sequence[Any]) -> Any:
    try:
        return json.loads(to_str(args[0]))
    except ValueError as exc:
        raise ExpressionError(f"fromJSON(): not JSON: {exc}") from None


# name -> (fewest, most arguments, function); the status functions read as a step that
# would run (the plan is of a job whose earlier steps succeeded).
_FUNCTIONS: dict[str, tuple[int, int, Callable[[Sequence[Any]], Any]]] = {
    "contains": (2, 2, _contains),
    "startswith": (2, 2, lambda a: to_str(a[0]).casefold().startswith(to_str(a[1]).casefold())),
    "endswith": (2, 2, lambda a: to_str(a[0]).casefold().endswith(to_str(a[1]).casefold())),
    "format": (1, 99, _format),
    "join": (1, 2, _join),
    "tojson": (1, 1, lambda a: json.dumps(a[0], indent=2)),
    "fromjson": (1, 1, _from_json),
    "success": (0, 0, lambda a: True),
    "always": (0, 0, lambda a: True),
    "failure": (0, 0, lambda a: False),
    "cancelled": (0, 0, lambda a: False),
}


class _Parser:
    """Recursive descent over GitHub's operators, lowest precedence first:
    ``||``, ``&&``, ``== !=``, ``< <= > >=``, ``!``, then ``.name`` / ``[index]``."""

    def __init__(self, text: str, scope: Mapping[str, Any]) -> None:
        self.toks = _tokens(text)
        self.pos = 0
        self.scope = scope

    def peek(self) -> str:
        return self.toks[self.pos][1] if self.pos < len(self.toks) else ""

    def take(self, want: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.toks):
            raise ExpressionError(f"expected {want!r} at the end" if want else "unexpected end")
        tok = self.toks[self.pos]
        if want is not None and tok[1] != want:
            raise ExpressionError(f"expected {want!r}, got {tok[1]!r}")
        self.pos += 1
        return tok

    def parse(self) -> Any:
        if not self.toks:
            raise ExpressionError("empty expression")
        value = self.or_()
        if self.pos != len(self.toks):
            raise ExpressionError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            left = left if isinstance(left, Unknown) else (left if truthy(left) else right)
        return left

    def and_(self) -> Any:
        left = self.eq()
        while self.peek() == "&&":
            self.take()
            right = self.eq()
            left = left if isinstance(left, Unknown) else (right if truthy(left) else left)
        return left

    def eq(self) -> Any:
        left = self.cmp()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.cmp()
            unknown = _unknown_of(left, right)
            left = unknown or (_equal(left, right) == (op == "=="))
        return left

    def cmp(self) -> Any:
        left = self.unary()
        while self.peek() in ("<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.unary()
            left = _unknown_of(left, right) or _order(op, left, right)
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            value = self.unary()
            return value if isinstance(value, Unknown) else not truthy(value)
        return self.postfix(self.primary())

    def postfix(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if name == "*":
                    raise ExpressionError("object filters (.*) are not read by ghbuild plan")
                if kind != "name":
                    raise ExpressionError(f"expected a property name after '.', got {name!r}")
                value = _member(value, name)
            else:
                index = self.or_()
                self.take("]")
                value = _index(value, index)
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            return self.call(text)
        if text not in CONTEXTS:
            raise ExpressionError(f"unrecognised named value {text!r}")
        if text in self.scope:
            return self.scope[text]
        return Unknown((text,), secret=text == "secrets")

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() != ",":
                break
            self.take(",")
        self.take(")")
        if name.lower() == "hashfiles":
            return Unknown(("hashFiles()",))
        spec = _FUNCTIONS.get(name.lower())
        if spec is None:
            raise ExpressionError(f"unrecognised function {name!r}")
        fewest, most, fn = spec
        if not fewest <= len(args) <= most:
            raise ExpressionError(f"{name}() takes {fewest}..{most} arguments, got {len(args)}")
        # an unknown anywhere in an argument (toJSON(github)) makes the result unknown
        return _unknown_of(*(_inside(a) for a in args)) or fn(args)


def _member(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return value.get(name)
    if isinstance(value, Mapping):
        for key in value:  # property names ignore case on a runner
            if isinstance(key, str) and key.casefold() == name.casefold():
                got = value[key]
                if isinstance(got, Mapping) and isinstance(value, Open):
                    return Open(got, f"{value.prefix}.{name}")
                return got
        return Unknown((f"{value.prefix}.{name}",)) if isinstance(value, Open) else None
    return None


def _index(value: Any, index: Any) -> Any:
    if isinstance(value, Unknown) or isinstance(index, Unknown):
        return _unknown_of(value, index)
    if isinstance(value, list):
        number = _number(index)
        return value[int(number)] if number.is_integer() and 0 <= number < len(value) else None
    return _member(value, to_str(index))


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """One expression (the inside of ``${{ }}``, or an ``if:``)."""
    return _Parser(text, scope).parse()


def _split_template(text: str) -> list[tuple[bool, str]]:
    """(is expression, text) pieces of a value with ``${{ … }}`` in it."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    while True:
        start = text.find("${{", pos)
        if start < 0:
            if pos < len(text):
                pieces.append((False, text[pos:]))
            return pieces
        if start > pos:
            pieces.append((False, text[pos:start]))
        end, i, quoted = -1, start + 3, False
        while i < len(text) - 1:
            if text[i] == "'":
                quoted = not quoted
            elif not quoted and text.startswith("}}", i):
                end = i
                break
            i += 1
        if end < 0:
            raise ExpressionError("'${{' without its closing '}}'")
        pieces.append((True, text[start + 3:end]))
        pos = end + 2


def render(text: str, scope: Mapping[str, Any]) -> Any:
    """A workflow value: plain text, one expression (its value, any type), or text with
    expressions in it (a string). Any unknown piece makes the whole value unknown."""
    pieces = _split_template(text)
    if len(pieces) == 1 and pieces[0][0]:
        return evaluate(pieces[0][1], scope)
    values = [evaluate(t, scope) if is_expr else t for is_expr, t in pieces]
    return _unknown_of(*values) or "".join(to_str(v) for v in values)


def condition(text: str, scope: Mapping[str, Any]) -> Any:
    """An ``if:``: an expression with or without its ``${{ }}``."""
    stripped = text.strip()
    pieces = _split_template(stripped)
    if len(pieces) == 1 and pieces[0][0]:
        stripped = pieces[0][1]
    elif any(is_expr for is_expr, _ in pieces):
        # text around ${{ }} is a non-empty string to the runner: always true
        return render(stripped, scope)
    return evaluate(stripped, scope)


# -- workflow files ------------------------------------------------------------------------
WORKFLOW_DIR = ".github/workflows"
# Our reusable workflow as another repository calls it; the copy shipped in this package
# stands in for the file at that ref (it is the same template).
_REUSABLE = re.compile(r"^[^/\s]+/ghbuild/\.github/workflows/(?P<file>[^@/\s]+\.ya?ml)@\S+$",
                       re.IGNORECASE)
# OWNER/ghbuild@REF, or the path form OWNER/REPO/…/ghbuild@REF (docs/action.md)
_ACTION = re.compile(r"^[^/\s]+/(?:[^@\s]+/)?ghbuild@\S+$", re.IGNORECASE)
_SETUP = re.compile(r"^[^/\s]+/(?:[^@\s]+/)?ghbuild/setup@\S+$", re.IGNORECASE)
# ``ghbuild init --action acme/container-build@v2`` writes this comment after a reference
# whose name does not say ghbuild, so that plan knows the step (init.MARKER writes it).
MARKER = "# ghbuild"
_MARKED = re.compile(r"#\s*ghbuild(?P<setup>\s+setup)?\s*$", re.IGNORECASE)
# Inputs given a stand-in when only a runner has them, so the plan shows the login a
# runner would do; a stand-in is never a value (and the secret ones are redacted).
SECRET_INPUTS = ("github-token", "password", "registry-auth", "username")
# action.yml's inputs (tests/test_workflow_reader.py keeps this equal to action.yml, which
# is not in the installed package): with: keys outside it are warned about, as GitHub does.
ACTION_INPUTS = (
    "images", "tags", "flavor", "labels", "annotations", "meta-context", "context", "file",
    "target", "platforms", "build-args", "build-contexts", "secrets", "secret-files",
    "secret-envs", "ssh", "load", "network", "provenance", "sbom", "outputs", "no-cache",
    "no-cache-filters", "pull", "shm-size", "ulimit", "add-hosts", "builder", "cache",
    "cache-ref", "cache-dir", "cache-scope", "cache-from", "cache-to", "github-runtime",
    "push", "push-events", "push-branches", "push-tags", "allow-fork-pr-target", "login",
    "github-token", "registry", "username", "password", "registry-auth", "build-key",
    "check", "allow-tag-move", "config", "image", "bake")
# Owners whose actions share input names with ghbuild (metadata-action: images, tags)
# but are never ghbuild: not guessed from their with: keys.
_NOT_GUESSED = ("docker/", "actions/", "github/")


def is_stand_in(value: str) -> bool:
    """A value the plan put in for an input only a runner has (``str(Unknown)``)."""
    return value.startswith("<not known locally: ") and value.endswith(">")


def recognised(uses: str) -> bool:
    """A ``uses:`` plan knows for ghbuild's action or its setup by its name alone."""
    return bool(_ACTION.match(uses) or _SETUP.match(uses))


class StepError(ConfigError):
    """A ghbuild step (or a call of one) GitHub refuses: always the answer."""


class UnsureError(ConfigError):
    """A workflow that cannot be read, where plan cannot tell whether it runs ghbuild (a
    called file that does not exist): when another workflow does, it is a note."""


@dataclass(frozen=True, kw_only=True)
class Where:
    file: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Text:
    """A workflow value with the line it is on."""

    value: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Call:
    """A job of a caller workflow that calls a reusable workflow."""

    workflow: str
    job: str
    line: int
    with_: Mapping[str, Text]
    secrets: Mapping[str, Text] | None      # None: ``secrets: inherit``
    job_if: Text | None
    input_defaults: Mapping[str, Text]      # the called workflow's on.workflow_call.inputs


@dataclass(frozen=True, kw_only=True)
class Step:
    """A step that runs ghbuild, with what a runner would read to run it."""

    workflow: str              # the file shown in messages, relative to the checkout
    workflow_name: str
    job: str
    index: int                 # 1-based position in the job's steps
    name: str
    step_id: str
    line: int
    kind: str                  # "action" (uses: …/ghbuild@), "run" (ghbuild run)
    uses: str
    with_: Mapping[str, Text]
    env: tuple[Mapping[str, Text], ...]   # workflow, job, step env, in that order
    run: Text | None
    job_if: Text | None
    step_if: Text | None
    triggers: Mapping[str, Any]           # the on: of the workflow the event starts
    trigger_file: str
    dispatch_inputs: Mapping[str, Text]
    call: Call | None = None
    guessed: bool = False      # taken for ghbuild from its with: keys alone
    workdir: Text | None = None           # defaults.run / the step's working-directory
    matrix: Mapping[str, Any] | None = None  # a matrix of one value per key, expanded
    marked: bool = False       # named by init's marker comment

    def label(self) -> str:
        where = f"{self.call.workflow} job {self.call.job} -> " if self.call and \
            self.call.line else ""
        return (f"{where}{self.workflow} job {self.job} step {self.index}"
                + (f" ({self.name})" if self.name else ""))


def _yaml_load(path: Path, shown: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the workflow: {exc}", file=shown) from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}",
                          file=shown, line=line, col=col) from None
    except (ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"YAML: a value cannot be read ({type(exc).__name__})",
                          file=shown) from None
    except RecursionError:
        raise ConfigError("YAML: nested too deeply to read", file=shown) from None


def _line(node: Any, key: Any = None) -> int:
    """1-based line of a mapping's key (or of the node itself)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return 0
    if key is not None:
        try:
            return int(lc.key(key)[0]) + 1
        except (KeyError, TypeError, IndexError):
            pass
    return int(lc.line) + 1


def _text(node: Mapping[str, Any], key: str) -> Text | None:
    if key not in node or node[key] is None:
        return None
    return Text(value=to_str(_plain(node[key])), line=_line(node, key))


def _plain(value: Any) -> Any:
    """ruamel's scalar types as plain Python (a YAML ``true`` is the runner's "true")."""
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(value, bool):
        return value
    if isinstance(value, ScalarBoolean):  # an anchored true is an int subclass, not bool
        return bool(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return float(value)
    return value


def _texts(node: Any) -> dict[str, Text]:
    if not isinstance(node, Mapping):
        return {}
    return {str(k): Text(value=to_str(_plain(v)), line=_line(node, k))
            for k, v in node.items() if not isinstance(v, (Mapping, list))}


def triggers(doc: Any) -> dict[str, Any]:
    """``on:`` as event -> its filters (a mapping, or None)."""
    on = doc.get("on") if isinstance(doc, Mapping) else None
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on}
    if isinstance(on, Mapping):
        return {str(k): v for k, v in on.items()}
    return {}


def _input_defaults(filters: Any) -> dict[str, Text]:
    inputs = filters.get("inputs") if isinstance(filters, Mapping) else None
    out: dict[str, Text] = {}
    for name, spec in (inputs or {}).items():
        if isinstance(spec, Mapping) and "default" in spec:
            out[str(name)] = Text(value=to_str(_plain(spec["default"])),
                                  line=_line(spec, "default"))
    return out


@dataclass(frozen=True, kw_only=True)
class Workflow:
    path: str              # shown
    name: str
    triggers: Mapping[str, Any]
    steps: tuple[Step, ...]
    passed_over: str = ""  # why a file that uses ghbuild has no step plan reads


def _check_shape(doc: Any, shown: str) -> None:
    """What GitHub refuses before reading a job: no mapping, no ``on:``, ``jobs:`` that
    is not a mapping of job ids."""
    if not isinstance(doc, Mapping):
        raise ConfigError("a workflow must be a mapping (name:, on:, jobs:)", file=shown,
                          line=1)
    if "on" not in doc or "jobs" not in doc:
        missing = " and ".join(k + ":" for k in ("on", "jobs") if k not in doc)
        raise ConfigError(f"not a workflow: no {missing} (plan reads .github/ghbuild.yml, "
                          "the config file, by itself)", file=shown, line=1)
    jobs = doc["jobs"]
    if not isinstance(jobs, Mapping):
        raise ConfigError(f"jobs: must be a mapping of job ids, got {to_str(_plain(jobs))!r}",
                          file=shown, line=_line(doc, "jobs"))


def read_workflow(path: Path, shown: str, root: Path, *, depth: int = 0,
                  alone: bool = False) -> Workflow:
    """Every step of the file that runs ghbuild, the called reusable workflows' included.

    ``alone``: a reusable workflow (``on: workflow_call`` only) read by itself, as a
    caller that gives no ``with:`` would start it on any event: its inputs' defaults,
    secrets unknown."""
    doc = _yaml_load(path, shown)
    _check_shape(doc, shown)
    lines = path.read_text(encoding="utf-8").splitlines()
    on = triggers(doc)
    call = None
    if alone and set(on) == {"workflow_call"}:
        call = Call(workflow="(a caller with no with:)", job="(any)", line=0, with_={},
                    secrets=None, job_if=None,
                    input_defaults=_input_defaults(on.get("workflow_call")))
        on = dict.fromkeys(DEFAULT_EVENT_ORDER)
    name = to_str(doc.get("name")) or shown
    jobs = doc.get("jobs")
    steps: list[Step] = []
    for job_id, job in (jobs.items() if isinstance(jobs, Mapping) else ()):
        if not isinstance(job, Mapping):
            continue
        if isinstance(job.get("uses"), str):
            steps += _called(doc, shown, root, str(job_id), job, on, depth)
        else:
            steps += _job_steps(doc, shown, name, str(job_id), job, on, shown, root, call,
                                lines)
    passed = "" if steps else _passed_over(doc)
    return Workflow(path=shown, name=name, triggers=on, steps=tuple(steps),
                    passed_over=passed)


_SUBCOMMAND = re.compile(r"(?:^|[\s;&|(])(?:\S*/)?ghbuild\s+(?P<cmd>[a-z][a-z-]*)")


def _passed_over(doc: Mapping[str, Any]) -> str:
    """Why a workflow that installs ghbuild has no step plan reads: it runs other ghbuild
    commands (the multi-platform template's meta, platform and merge), or none."""
    commands: list[str] = []
    uses_setup = False
    jobs = doc.get("jobs")
    for job in (jobs.values() if isinstance(jobs, Mapping) else ()):
        for step in (job.get("steps") or []) if isinstance(job, Mapping) else ():
            if not isinstance(step, Mapping):
                continue
            uses_setup = uses_setup or bool(_SETUP.match(to_str(step.get("uses")).strip()))
            commands += [m["cmd"] for m in _SUBCOMMAND.finditer(to_str(step.get("run")))]
    if not uses_setup and not commands:
        return ""
    others = [c for c in dict.fromkeys(commands) if c != "run"]
    if others:
        return (f"it runs ghbuild {', '.join(others)}, not ghbuild run (the multi-platform "
                "template's shape): plan reads only a ghbuild run or the action; plan it "
                "with --no-workflow --tags … --platforms …")
    return "it installs ghbuild (setup) but no step runs ghbuild run"


def _is_self(uses: str, root: Path) -> bool:
    """``uses: ./`` (or ``./PATH``, a copy of the action in the checkout) is ghbuild only
    when the action.yml there is ghbuild's (``name: ghbuild``)."""
    if not uses.startswith("./") or ".." in uses.split("/"):
        return False
    action = root / uses[2:] / "action.yml"
    try:
        text = action.read_text(encoding="utf-8") if action.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"(?m)^name:\s*ghbuild\s*$", text) is not None


def calls_ghbuild_run(script: str) -> bool:
    return _run_args(script) is not None


def _run_args(script: str) -> list[str] | None:
    """The arguments after the first ``ghbuild run`` in a ``run:`` script, or None."""
    every = _all_run_args(script)
    return every[0] if every else None


def _all_run_args(script: str) -> list[list[str]]:
    """The arguments of every ``ghbuild run`` in a ``run:`` script, one list per call."""
    found: list[list[str]] = []
    joined = re.sub(r"\\\n", " ", script)
    for line in joined.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            words = list(lexer)
        except ValueError:
            continue
        for i, word in enumerate(words[:-1]):
            if (word == "ghbuild" or word.endswith("/ghbuild")) and words[i + 1] == "run":
                args = []
                for arg in words[i + 2:]:
                    if arg in (";", "&&", "||", "|", "&"):
                        break
                    args.append(arg)
                found.append(args)
    return found


def _marker(step: Mapping[str, Any], lines: Sequence[str]) -> str:
    """"action" or "setup" when the ``uses:`` line carries init's marker comment."""
    line = _line(step, "uses")
    if not 0 < line <= len(lines):
        return ""
    m = _MARKED.search(lines[line - 1])
    return "" if m is None else ("setup" if m["setup"] else "action")


def _guessed(uses: str, with_: Any) -> bool:
    """A ``uses:`` of another name whose ``with:`` keys are all ghbuild inputs: a
    renamed copy of the action (plan says it took it, and why)."""
    if not uses or uses.startswith(("./", "docker://")) or uses.lower().startswith(
            _NOT_GUESSED) or not isinstance(with_, Mapping) or not with_:
        return False
    return all(str(k) in ACTION_INPUTS for k in with_)


def _with(step: Mapping[str, Any], shown: str) -> dict[str, Text]:
    """A ghbuild step's ``with:``; a list or mapping value is refused as GitHub does
    (an input is a string)."""
    node = step.get("with")
    if node is not None and not isinstance(node, Mapping):
        raise StepError("with: must be a mapping of input: value", file=shown,
                          line=_line(step, "with"))
    for key, value in (node or {}).items():
        if isinstance(value, (Mapping, list)):
            kind = "mapping" if isinstance(value, Mapping) else "sequence"
            raise StepError(f"with.{key}: a {kind} is not an input value (GitHub refuses "
                              "the workflow: write it as a string, e.g. a | block)",
                              file=shown, line=_line(node, key))
    return _texts(node)


def _matrix(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``strategy.matrix`` with one static value per key (no include/exclude): the one
    combination CI runs. Anything else stays unknown."""
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else None
    if not isinstance(matrix, Mapping) or not matrix:
        return None
    out: dict[str, Any] = {}
    for key, values in matrix.items():
        if not isinstance(values, list) or len(values) != 1 or isinstance(
                values[0], (Mapping, list)) or "${{" in to_str(values[0]):
            return None
        out[str(key)] = _plain(values[0])
    return out


def _workdir(doc: Mapping[str, Any], job: Mapping[str, Any],
             step: Mapping[str, Any]) -> Text | None:
    """A ``run:`` step's working directory: its own, else the job's, else the workflow's
    ``defaults.run.working-directory``."""
    if "working-directory" in step:
        return _text(step, "working-directory")
    for node in (job, doc):
        defaults = node.get("defaults")
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        if isinstance(run, Mapping) and "working-directory" in run:
            return _text(run, "working-directory")
    return None


def _job_steps(doc: Mapping[str, Any], shown: str, wf_name: str, job_id: str,
               job: Mapping[str, Any], on: Mapping[str, Any], trigger_file: str,
               root: Path, call: Call | None = None,
               lines: Sequence[str] = ()) -> list[Step]:
    raw = job.get("steps")
    if not isinstance(raw, list):
        return []
    env_layers = (_texts(doc.get("env")), _texts(job.get("env")))
    dispatch = _input_defaults(on.get("workflow_dispatch"))
    out: list[Step] = []
    setup_seen = False
    for index, step in enumerate(raw, start=1):
        if not isinstance(step, Mapping):
            continue
        uses = to_str(step.get("uses")).strip()
        script = to_str(step.get("run")) if "run" in step else ""
        marked = _marker(step, lines) if uses else ""
        if _SETUP.match(uses) or marked == "setup":
            setup_seen = True
            continue
        guessed = False
        if _ACTION.match(uses) or _is_self(uses, root) or marked == "action":
            kind = "action"
        elif setup_seen and script and calls_ghbuild_run(script):
            kind = "run"
        elif _guessed(uses, step.get("with")):
            kind, guessed = "action", True
        else:
            continue
        out.append(Step(
            workflow=shown, workflow_name=wf_name, job=job_id, index=index,
            name=to_str(step.get("name")), step_id=to_str(step.get("id")),
            line=_line(step), kind=kind, uses=uses,
            with_=_with(step, shown) if kind == "action" else {},
            env=(*env_layers, _texts(step.get("env"))), run=_text(step, "run"),
            job_if=_text(job, "if"), step_if=_text(step, "if"), triggers=on,
            trigger_file=trigger_file, dispatch_inputs=dispatch, call=call,
            guessed=guessed, marked=bool(marked), matrix=_matrix(job),
            workdir=_workdir(doc, job, step) if kind == "run" else None))
    return out


def _called(doc: Mapping[str, Any], shown: str, root: Path, job_id: str,
            job: Mapping[str, Any], on: Mapping[str, Any], depth: int) -> list[Step]:
    """The ghbuild steps of the reusable workflow a job calls (ours, or a local file)."""
    uses = str(job["uses"]).strip()
    ours = _REUSABLE.match(uses)
    if ours:
        path = Path(str(resources.files("ghbuild") / "templates" / "reusable.yml"))
        callee_shown = f"{uses} (the copy in this ghbuild)"
    elif uses.startswith("./"):
        path = root / uses[2:].split("@", 1)[0]
        callee_shown = uses[2:].split("@", 1)[0]
    else:
        return []
    line = _line(job, "uses")
    if depth >= 3:
        return []  # GitHub's own nesting limit is 4 levels
    if not path.is_file():
        raise UnsureError(f"jobs.{job_id}.uses: no such workflow {callee_shown!r} in this "
                          "checkout (GitHub refuses the caller)", file=shown, line=line)
    callee = _yaml_load(path, callee_shown)
    if not isinstance(callee, Mapping):
        return []
    callee_on = triggers(callee)
    secrets = job.get("secrets")
    call = Call(workflow=shown, job=job_id, line=line,
                with_=_texts(job.get("with")),
                secrets=None if secrets == "inherit" else _texts(secrets),
                job_if=_text(job, "if"),
                input_defaults=_input_defaults(callee_on.get("workflow_call")))
    name = to_str(callee.get("name")) or callee_shown
    out: list[Step] = []
    jobs = callee.get("jobs")
    lines = path.read_text(encoding="utf-8").splitlines()
    for callee_job_id, callee_job in (jobs.items() if isinstance(jobs, Mapping) else ()):
        if isinstance(callee_job, Mapping) and not isinstance(callee_job.get("uses"), str):
            # the event (and so the trigger filters) is the caller's
            out += _job_steps(callee, callee_shown, name, str(callee_job_id), callee_job,
                              on, shown, root, call, lines)
    if out:  # a call plan reads: refused here as GitHub refuses it
        check_call(job, callee_on, shown, job_id, callee_shown)
    return out


def check_call(job: Mapping[str, Any], callee_on: Mapping[str, Any], shown: str,
               job_id: str, callee: str) -> None:
    """What GitHub checks when a job calls a reusable workflow: the file is one (``on:
    workflow_call``), every ``with:`` key is one of its inputs and every required input
    is given (a default does not make a required input optional), the same for
    ``secrets:`` unless they are inherited."""
    where: dict[str, Any] = {"file": shown, "line": _line(job, "uses")}
    if "workflow_call" not in callee_on:
        raise StepError(f"jobs.{job_id}.uses: {callee} is not a reusable workflow (its "
                          "on: has no workflow_call)", **where)
    spec = callee_on.get("workflow_call")
    spec = spec if isinstance(spec, Mapping) else {}
    for kind, given in (("input", job.get("with")), ("secret", job.get("secrets"))):
        if kind == "secret" and given == "inherit":
            continue
        declared = spec.get(kind + "s")
        declared = {str(k).casefold(): (str(k), v) for k, v in declared.items()} \
            if isinstance(declared, Mapping) else {}
        given = given if isinstance(given, Mapping) else {}
        key = "with" if kind == "input" else "secrets"
        for name in given:
            if str(name).casefold() not in declared:
                close = difflib.get_close_matches(str(name), [n for n, _ in declared.values()],
                                                  n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                names = ", ".join(n for n, _ in declared.values()) or "none"
                article = "an" if kind == "input" else "a"
                raise StepError(f"jobs.{job_id}.{key}.{name}: '{name}' is not {article} "
                                  f"{kind} of {callee}{hint}; its {kind}s: {names}",
                                  file=shown, line=_line(given, name))
        wanted = {str(k).casefold() for k in given}
        for folded, (name, decl) in declared.items():
            if isinstance(decl, Mapping) and decl.get("required") is True and \
                    folded not in wanted:
                raise StepError(f"jobs.{job_id}: {kind} '{name}' is required by {callee} "
                                  f"and not given in {key}:", **where)


@dataclass(frozen=True, kw_only=True)
class Survey:
    """The workflows plan can read ghbuild from, and what it passed over and why."""

    workflows: list[Workflow]
    notes: list[str]


def discover(root: Path, chosen: str | None = None) -> list[Workflow]:
    """The workflows that run ghbuild (see :func:`survey`)."""
    return survey(root, chosen).workflows


def survey(root: Path, chosen: str | None = None) -> Survey:
    """The workflows that run ghbuild: ``chosen`` alone, else every file under
    .github/workflows/ with a ghbuild step (a file only called by others, ``on:
    workflow_call``, is read through its callers). The notes say which files were passed
    over, and why."""
    if chosen:
        return Survey(workflows=[_chosen(root, chosen)], notes=[])
    folder = root / WORKFLOW_DIR
    files = sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yml", ".yaml")) \
        if folder.is_dir() else []
    read: list[Workflow] = []
    broken: list[tuple[Path, ConfigError]] = []
    for path in files:
        try:
            read.append(read_workflow(path, _shown(path, root), root))
        except StepError:
            raise
        except UnsureError as exc:
            broken.append((path, exc))
        except ConfigError as exc:
            if not _mentions_ghbuild(path):
                broken.append((path, exc))
                continue
            raise
    found = [wf for wf in read if wf.steps and set(wf.triggers) != {"workflow_call"}]
    notes: list[str] = []
    found = _drop_guesses(found, notes)
    if broken and not found:
        raise broken[0][1]  # it may be the ghbuild workflow: its error is the answer
    notes += [f"{path.relative_to(root)}: passed over, it cannot be read ({_said(exc)}); "
              "another workflow runs ghbuild" for path, exc in broken]
    called = {s.workflow for wf in found for s in wf.steps if s.call is not None}
    for wf in read:
        if wf in found:
            continue
        if wf.steps and wf.path not in called and set(wf.triggers) == {"workflow_call"}:
            notes.append(f"{wf.path}: passed over, it is only on: workflow_call and no "
                         "workflow here calls it (--workflow reads it alone, with its "
                         "inputs' defaults)")
        elif wf.passed_over:
            notes.append(f"{wf.path}: passed over: {wf.passed_over}")
    return Survey(workflows=found, notes=notes)


def _chosen(root: Path, chosen: str) -> Workflow:
    path = Path(chosen)
    path = path if path.is_absolute() or path.exists() else root / chosen
    shown = _shown(path, root)
    if path.is_dir():
        raise ConfigError("--workflow: a directory, not a workflow file", file=shown)
    if path.exists() and not path.is_file():
        raise ConfigError("--workflow: not a regular file", file=shown)
    if not path.is_file():
        raise ConfigError("--workflow: no such file", file=shown)
    return read_workflow(path, shown, root, alone=True)


def _mentions_ghbuild(path: Path) -> bool:
    try:
        return "ghbuild" in path.read_text(encoding="utf-8", errors="replace").lower()
    except OSError:
        return False


def _said(exc: ConfigError) -> str:
    where = f"line {exc.line}: " if exc.line else ""
    return where + exc.message


def _drop_guesses(found: list[Workflow], notes: list[str]) -> list[Workflow]:
    """Steps taken for ghbuild from their with: keys only count when no step names it,
    and only one of them: two guesses are more likely another action than two ghbuilds."""
    guesses = [s for wf in found for s in wf.steps if s.guessed]
    named = any(not s.guessed for wf in found for s in wf.steps)
    if not guesses or (len(guesses) == 1 and not named):
        return found
    if not named:
        notes.append(f"{len(guesses)} steps could be ghbuild's by their with: keys alone ("
                     + "; ".join(f"{s.workflow}:{s.line} uses: {s.uses}" for s in guesses)
                     + "): none taken; write '# ghbuild' after the reference of the one "
                       "that is")
    kept = [replace(wf, steps=tuple(s for s in wf.steps if not s.guessed)) for wf in found]
    return [wf for wf in kept if wf.steps]


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# -- choosing the event and the step ---------------------------------------------------------
DEFAULT_EVENT_ORDER = ("push", "workflow_dispatch", "release", "schedule", "pull_request",
                       "pull_request_target")


def default_event(workflows: Sequence[Workflow]) -> str | None:
    """The event to plan when none is given: push when a workflow runs on it, else the
    first of the others ghbuild plan knows that one does."""
    events = {e for wf in workflows for s in wf.steps for e in s.triggers}
    return next((e for e in DEFAULT_EVENT_ORDER if e in events), None)


def github_scope(ctx: Any, workflow_name: str) -> Open:
    """The ``github`` context from a :class:`~ghbuild.context.Context` (local facts only;
    the rest, e.g. ``github.actor`` or ``github.run_id``, is unknown)."""
    ref = ctx.ref or ""
    kind = "tag" if ref.startswith("refs/tags/") else ("branch" if ref.startswith(
        "refs/heads/") else "")
    name = re.sub(r"^refs/(?:heads|tags|pull)/", "", ref)
    known: dict[str, Any] = {
        "event_name": ctx.event_name, "ref": ref, "ref_name": name, "sha": ctx.sha,
        "repository": ctx.repository, "repository_owner": ctx.repository_owner,
        "server_url": ctx.server_url, "head_ref": ctx.head_ref, "base_ref": ctx.base_ref,
        "workflow": workflow_name, "event": Open(ctx.payload, "github.event"),
        "token": Unknown(("github.token",), secret=True),
    }
    if kind:
        known["ref_type"] = kind
    return Open(known, "github")


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """One ghbuild step as the runner would start it here."""

    step: Step
    inputs: Mapping[str, str]           # input name -> value
    unknown: Mapping[str, Unknown]      # inputs only a runner can fill
    runs: bool | None                   # None: an if: only a runner can decide
    notes: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()  # secret inputs given a stand-in value
    # a stand-in other than str(Unknown): registry-auth with each unknown piece replaced
    stand_ins: Mapping[str, str] = field(default_factory=dict)
    workdir: str = ""                   # a run: step's working directory ("" the top)
    # the workflow's, job's and step's env: other than INPUT_* (the step's process has
    # them: secret-envs, a shell variable on the run line); unknown ones as stand-ins
    process_env: Mapping[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The inputs as ``INPUT_*`` (action.yml: ``INPUT_<NAME>`` upper case, ``-`` as ``_``)."""
        out = {f"INPUT_{k.upper().replace('-', '_')}": v for k, v in self.inputs.items()}
        for name in self.placeholders:
            out[f"INPUT_{name.upper().replace('-', '_')}"] = self.stand_ins.get(
                name, str(self.unknown[name]))
        return out


def _where(file: str, text: Text) -> dict[str, Any]:
    return {"file": file, "line": text.line or None}


def _render(text: Text, scope: Mapping[str, Any], file: str, what: str) -> Any:
    try:
        return render(text.value, scope)
    except ExpressionError as exc:
        raise ConfigError(f"{what}: {exc} in {text.value.strip()[:120]!r}",
                          **_where(file, text)) from None


def _cond(text: Text | None, scope: Mapping[str, Any], file: str, what: str) -> Any:
    if text is None:
        return True
    try:
        return condition(text.value, scope)
    except ExpressionError as exc:
        raise ConfigError(f"{what}: {exc} in {text.value.strip()[:120]!r}",
                          **_where(file, text)) from None


def _env(layers: Sequence[Mapping[str, Text]], scope: dict[str, Any], file: str) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for layer in layers:
        scope = {**scope, "env": dict(env)}
        for key, text in layer.items():
            env[key] = _render(text, scope, file, f"env {key}")
    return env


def _call_scope(step: Step, github: Open, event: str) -> tuple[dict[str, Any], list[str]]:
    """``inputs`` and ``secrets`` inside a called workflow, from the caller's job."""
    assert step.call is not None
    call = step.call
    caller = {"github": github, "inputs": _dispatch(step, github, event)}
    inputs: dict[str, Any] = {}
    for name, text in call.input_defaults.items():
        inputs[name] = _render(text, caller, step.workflow, f"input {name} default")
    for name, text in call.with_.items():
        inputs[name] = _render(text, caller, call.workflow, f"jobs.{call.job}.with.{name}")
    scope: dict[str, Any] = {"github": github, "inputs": inputs}
    if call.secrets is not None:
        secrets: dict[str, Any] = {"GITHUB_TOKEN": Unknown(("secrets.GITHUB_TOKEN",), True)}
        for name, text in call.secrets.items():
            got = _render(text, caller, call.workflow, f"jobs.{call.job}.secrets.{name}")
            secrets[name] = got if isinstance(got, Unknown) else Unknown(
                (f"secrets.{name}",), True)  # a literal written as a secret stays unshown
        scope["secrets"] = secrets
    return scope, []


def _dispatch(step: Step, github: Open, event: str) -> dict[str, Any]:
    """``inputs`` of a manual dispatch: the defaults (what an empty form sends)."""
    if event != "workflow_dispatch":
        return {}
    return {name: _render(text, {"github": github}, step.trigger_file, f"input {name}")
            for name, text in step.dispatch_inputs.items()}


def resolve(step: Step, ctx: Any, flags: Mapping[str, str]) -> Resolved:
    """The step's inputs and whether it runs, for this context. ``flags`` maps ``ghbuild
    run``'s option strings (``--images``) to input names."""
    github = github_scope(ctx, step.workflow_name)
    if step.call:
        scope, notes = _call_scope(step, github, ctx.event_name)
    else:
        scope, notes = {"github": github, "inputs": _dispatch(step, github, ctx.event_name)}, []
    if step.matrix is not None:
        scope["matrix"] = dict(step.matrix)
        notes.append(f"{step.label()}: its matrix has one value per key, planned as that "
                     "one combination")
    runs = _runs(step, scope, github, ctx.event_name)
    scope["env"] = _env(step.env, scope, step.workflow)
    values = _step_inputs(step, scope, flags)
    known = {k: to_str(v) for k, v in values.items() if not isinstance(v, Unknown)}
    unknown = {k: v for k, v in values.items() if isinstance(v, Unknown)}
    held = tuple(k for k, v in unknown.items() if k in SECRET_INPUTS and (
        v.secret or k == "username"))
    stand_ins = _stand_ins(step, scope, held)
    held = tuple(k for k in held if k != "registry-auth" or k in stand_ins)
    notes += _step_notes(step, scope)
    workdir = _render_workdir(step, scope, notes)
    process_env = _process_env(scope["env"], notes)
    return Resolved(step=step, inputs=known, unknown=unknown,
                    runs=None if isinstance(runs, Unknown) else truthy(runs),
                    notes=tuple(notes), placeholders=held, stand_ins=stand_ins,
                    workdir=workdir, process_env=process_env)


# Variables a workflow's env: may set that plan does not take into its own environment:
# the runner's own, and those that say where docker, buildx, git or ssh keep their state.
_RUNNER_ENV = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "GIT_")
_LOCAL_STATE = ("PATH", "HOME", "DOCKER_CONFIG", "DOCKER_HOST", "DOCKER_CONTEXT",
                "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "BUILDX_CONFIG", "BUILDX_BUILDER",
                "SSH_AUTH_SOCK")
# Settings ghbuild itself reads from the environment: a stand-in there would be read as
# a value (SOURCE_DATE_EPOCH as a time), so an unknown one is left out (and said).
_SETTINGS = ("SOURCE_DATE_EPOCH", "DOCKER_METADATA_", "BUILDX_")


def _process_env(env: Mapping[str, Any], notes: list[str]) -> dict[str, str]:
    out = {}
    for key, value in env.items():
        upper = key.upper()
        if upper.startswith(_RUNNER_ENV) or upper in _LOCAL_STATE:
            continue
        if not isinstance(value, Unknown):
            out[key] = to_str(value)
        elif upper.startswith(_SETTINGS):
            notes.append(f"env {key} comes from {', '.join(value.sources)}: not known "
                         "locally (left unset here)")
        else:
            out[key] = str(value)
    return out


def _render_workdir(step: Step, scope: Mapping[str, Any], notes: list[str]) -> str:
    if step.workdir is None:
        return ""
    got = _render(step.workdir, scope, step.workflow, "working-directory")
    if isinstance(got, Unknown):
        notes.append(f"{step.label()}: its working-directory comes from "
                     f"{', '.join(got.sources)}: not known locally (planned from the top)")
        return ""
    return to_str(got).strip()


def _step_notes(step: Step, scope: Mapping[str, Any]) -> list[str]:
    """What GitHub would warn about a step, and how plan took it."""
    notes = []
    where = f"{step.workflow}:{step.line}"
    if step.guessed:
        notes.append(f"{where}: uses: {step.uses} taken as ghbuild: every with: key is an "
                     "input of ghbuild's action.yml (write '# ghbuild' after the reference, "
                     "as ghbuild init --action does, to say so)")
    for name, text in step.with_.items():
        if name not in ACTION_INPUTS:
            close = difflib.get_close_matches(name, ACTION_INPUTS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            notes.append(f"{step.workflow}:{text.line}: with.{name} is not an input of "
                         f"ghbuild{hint}: GitHub warns 'Unexpected input' and ignores it")
    if step.kind == "run" and step.run is not None:
        script = _render(step.run, scope, step.workflow, "run")
        count = 0 if isinstance(script, Unknown) else len(_all_run_args(to_str(script)))
        if count > 1:
            notes.append(f"{step.label()}: its run: calls ghbuild run {count} times; the "
                         "first is planned")
    return notes


def _stand_ins(step: Step, scope: Mapping[str, Any], held: Sequence[str]) -> dict[str, str]:
    """registry-auth with each unknown piece as a stand-in (``<secrets.HUB_TOKEN>``), so
    the plan shows one login per entry; only when every entry's registry is known (else
    it is left unset, as another unknown input)."""
    if "registry-auth" not in held:
        return {}
    text = step.with_.get("registry-auth") if step.kind == "action" else next(
        (layer[k] for layer in reversed(step.env) for k in layer
         if k.upper() == "INPUT_REGISTRY_AUTH"), None)
    if text is None:
        return {}
    from .login import parse_registry_auth

    try:
        filled = render_stand_ins(text.value, scope)
        entries = parse_registry_auth(filled)
    except (ExpressionError, InputError):
        return {}
    if any("<" in e.credentials.registry for e in entries):
        return {}
    return {"registry-auth": filled}


def render_stand_ins(text: str, scope: Mapping[str, Any]) -> str:
    """A value with each unknown ``${{ }}`` replaced by ``<its sources>`` (no value: a
    name, with no space, so that YAML reads it as one word)."""
    out = []
    for is_expr, piece in _split_template(text):
        value = evaluate(piece, scope) if is_expr else piece
        out.append("<" + "+".join(value.sources) + ">" if isinstance(value, Unknown)
                   else to_str(value))
    return "".join(out)


def _runs(step: Step, scope: Mapping[str, Any], github: Open, event: str) -> Any:
    """The job's (and a caller job's) and the step's ``if:``: False, True or unknown."""
    results = []
    if step.call:
        caller = {"github": github, "inputs": _dispatch(step, github, event)}
        results.append(_cond(step.call.job_if, caller, step.call.workflow,
                             f"jobs.{step.call.job}.if"))
    results.append(_cond(step.job_if, scope, step.workflow, f"jobs.{step.job}.if"))
    env_scope = {**scope, "env": _env(step.env, dict(scope), step.workflow)}
    results.append(_cond(step.step_if, env_scope, step.workflow,
                         f"jobs.{step.job}.steps[{step.index}].if"))
    if any(not isinstance(r, Unknown) and not truthy(r) for r in results):
        return False
    return _unknown_of(*results) or True


def _step_inputs(step: Step, scope: Mapping[str, Any], flags: Mapping[str, str]
                 ) -> dict[str, Any]:
    if step.kind == "action":
        values = {name: _render(text, scope, step.workflow, f"with.{name}")
                  for name, text in step.with_.items()}
        # action.yml's one default that is an expression: the job's token
        values.setdefault("github-token", Unknown(("github.token",), secret=True))
        return values
    values = {}
    for key, value in scope["env"].items():
        if key.upper().startswith("INPUT_"):
            values[key[len("INPUT_"):].lower().replace("_", "-")] = value
    assert step.run is not None
    script = _render(step.run, scope, step.workflow, "run")
    if isinstance(script, Unknown):
        values["(ghbuild run flags)"] = script
        return values
    args = _run_args(script) or []
    for i, arg in enumerate(args):
        option, eq, value = arg.partition("=")
        if option not in flags:
            continue
        if not eq:
            value = args[i + 1] if i + 1 < len(args) else ""
        values[flags[option]] = _expand(value, scope["env"])
    return values


_SHELL_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)\}|(?P<name>[A-Za-z_]\w*))", re.ASCII)


def _expand(value: str, env: Mapping[str, Any]) -> Any:
    """A flag value's ``$NAME`` / ``${NAME}`` from the step's ``env:`` (the shell has
    them); any other expansion, or a variable env: does not set, is unknown."""
    if "$" not in value:
        return value
    missing: list[Unknown] = []

    def one(m: re.Match[str]) -> str:
        name = m["braced"] or m["name"]
        got = env.get(name)
        if got is None or isinstance(got, Unknown):
            missing.append(got if isinstance(got, Unknown) else
                           Unknown((f"the shell's ${name}",)))
            return ""
        return to_str(got)

    out = _SHELL_VAR.sub(one, value)
    if "$" in out:
        missing.append(Unknown((f"the shell's {value}",)))
    return _unknown_of(*missing) or out


# -- filters: would the event start the workflow at all ---------------------------------------
def _glob(pattern: str) -> re.Pattern[str]:
    """A GitHub filter pattern: ``*`` (not ``/``), ``**``, ``?``/``+`` after a character,
    ``[...]``."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch in "?+":
            out.append(ch)
        elif ch == "[":
            end = pattern.find("]", i)
            out.append(pattern[i:end + 1] if end > i else re.escape(ch))
            i = end if end > i else i
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:  # a leading ? or +, a range like [z-a]: GitHub refuses it too
        raise ConfigError(f"filter pattern {pattern!r} is not a valid pattern ({exc.msg})") \
            from None


def _matches(patterns: Any, name: str) -> bool:
    result = False
    for raw in patterns if isinstance(patterns, list) else [patterns]:
        pattern = to_str(raw)
        negative = pattern.startswith("!")
        if _glob(pattern[1:] if negative else pattern).fullmatch(name):
            result = not negative
    return result


def filter_note(step: Step, ctx: Any) -> str:
    """Why the workflow would not start for this event and ref, or ""."""
    filters = step.triggers.get(ctx.event_name)
    if not isinstance(filters, Mapping):
        return ""
    event, ref = ctx.event_name, ctx.ref or ""
    if event in ("push",):
        kind, name = ("tags", ref[len("refs/tags/"):]) if ref.startswith("refs/tags/") else (
            "branches", ref[len("refs/heads/"):])
        other = "branches" if kind == "tags" else "tags"
    elif event.startswith("pull_request"):
        kind, name, other = "branches", ctx.base_ref or "", ""
    else:
        return ""
    where = f"{step.trigger_file}: on.{event}"
    try:
        return _filter_verdict(filters, kind, other, name, where, ref)
    except ConfigError as exc:
        raise ConfigError(f"on.{event}: {exc.message}", file=step.trigger_file) from None


def _filter_verdict(filters: Mapping[str, Any], kind: str, other: str, name: str,
                    where: str, ref: str) -> str:
    if kind in filters:
        if not _matches(filters[kind], name):
            return f"{where}.{kind} does not match {name!r}: CI would not start this workflow"
    elif f"{kind}-ignore" in filters:
        if _matches(filters[f"{kind}-ignore"], name):
            return f"{where}.{kind}-ignore matches {name!r}: CI would not start this workflow"
    elif other and (other in filters or f"{other}-ignore" in filters):
        return f"{where} has only {other} filters: CI would not start this workflow for {ref}"
    return ""


def choose(workflows: Sequence[Workflow], ctx: Any, flags: Mapping[str, str], *,
           job: str | None = None, step: str | None = None) -> tuple[Resolved, list[str]]:
    """The one ghbuild step this event runs, and notes. Several steps that would run with
    different inputs are refused: one plan shows one invocation of ghbuild."""
    from .errors import InputError

    steps = [s for wf in workflows for s in wf.steps]
    if job:
        steps = [s for s in steps if job in (s.job, s.call.job if s.call else None)]
        if not steps:
            raise InputError(f"--job {job}: no job of that id runs ghbuild",
                             hint=_listing(workflows))
    if step:
        steps = [s for s in steps if step in (str(s.index), s.name, s.step_id)]
        if not steps:
            raise InputError(f"--step {step}: no ghbuild step with that number, name or id",
                             hint=_listing(workflows))
    started = [s for s in steps if ctx.event_name in s.triggers]
    if not started:
        ons = "; ".join(f"{wf.path}: on {', '.join(wf.triggers) or '(none)'}"
                        for wf in workflows)
        raise InputError(f"no workflow here runs ghbuild on {ctx.event_name} ({ons})",
                         hint="choose the event with --event, or --no-workflow")
    resolved = [resolve(s, ctx, flags) for s in started]
    running = [r for r in resolved if r.runs is not False]
    if not running:
        raise InputError(f"no ghbuild step runs on {ctx.event_name}: the if: of "
                         + "; ".join(r.step.label() for r in resolved) + " is false here",
                         hint="choose the event with --event")
    distinct = list({_key(r): r for r in running}.values())
    if len(distinct) > 1:
        raise InputError(f"{len(running)} ghbuild steps run on {ctx.event_name} with different "
                         "inputs: " + "; ".join(r.step.label() for r in running),
                         hint="choose one with --job JOB (and --step N|NAME)")
    chosen = running[0]
    notes = list(chosen.notes)
    if len(running) > 1:
        notes.append("planned once: CI also runs the same inputs in "
                     + "; ".join(r.step.label() for r in running[1:]))
    return chosen, notes


def _key(r: Resolved) -> tuple[Any, ...]:
    return (tuple(sorted(r.inputs.items())), tuple(sorted(r.unknown)))


def _listing(workflows: Sequence[Workflow]) -> str:
    labels = [s.label() for wf in workflows for s in wf.steps]
    return "ghbuild steps: " + ("; ".join(labels) if labels else "none")


def unknown_notes(r: Resolved) -> list[str]:
    """One note per input only a runner can fill (a secret is named, never shown)."""
    out = []
    for name, value in r.unknown.items():
        sources = ", ".join(value.sources)
        if name.startswith("("):
            out.append(f"the ghbuild run line comes from {sources}: not known locally "
                       "(its flags are not read)")
            continue
        held = " (a placeholder stands in for it)" if name in r.placeholders else \
            " (left unset: its default)"
        out.append(f"input '{name}' comes from {sources}: not known locally{held}")
    if r.runs is None:
        out.append(f"{r.step.label()}: its if: depends on what only a runner knows "
                   "(planned as if it runs)")
    return out
