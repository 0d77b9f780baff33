"""The ``{{...}}`` expressions of metadata-action: the subset of Handlebars it relies on.

metadata-action renders every value, prefix, suffix, label and ``enable`` with
Handlebars, so its observable rules are Handlebars rules, kept here:

* ``{{name}}`` looks ``name`` up; a function is called; a missing name renders ``""``;
* ``{{name arg key=value}}`` calls a helper with string, number, boolean or path
  arguments (an unknown path argument is undefined, which the date helpers read as
  "no format": moment's ISO default);
* ``{{...}}`` output is HTML-escaped (``&<>"'`=``), ``{{{...}}}`` and ``{{&...}}`` are not;
* ``\\{{`` is a literal ``{{``; ``{{! ...}}`` and ``{{!-- ... --}}`` are comments;
  ``~`` trims the whitespace next to a mustache.

Blocks (``{{#if}}``), partials and sub-expressions are refused with an error: no tag
rule in metadata-action's documentation uses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache


class ExprError(Exception):
    """A template that cannot be parsed or rendered; the caller adds the location."""


@dataclass(frozen=True)
class Helper:
    """A callable value: ``fn(params, hash)``."""

    fn: Callable[[Sequence[object], Mapping[str, object]], object]


@dataclass(frozen=True)
class PathArg:
    name: str


@dataclass(frozen=True)
class Mustache:
    path: str
    params: tuple[object, ...]
    hash: tuple[tuple[str, object], ...]
    escape: bool
    source: str


Node = str | Mustache

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
            "`": "&#x60;", "=": "&#x3D;"}
_ESCAPE_RE = re.compile(r"[&<>\"'`=]")

# Handlebars' ID: anything but whitespace and  ! " # % & ' ( ) * + , . / ; < = > @ [ \ ] ^ ` { | } ~
_ID = r"[^\s!\"#%&'()*+,./;<=>@\[\\\]^`{|}~]+"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
      | (?P<num>-?[0-9]+(?:\.[0-9]+)?(?=[\s=}~)]|$))
      | (?P<key>""" + _ID + r""")\s*=
      | (?P<path>(?:\.\.?/|this[./]|@)?""" + _ID + r"""(?:[./]""" + _ID + r""")*|this|\.)
    )""", re.VERBOSE)


def escape_html(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


class _Text:
    """A text run: what the template says (``original``) and what renders (``value``)."""

    def __init__(self, text: str) -> None:
        self.original = self.value = text


_COMMENT = object()


@lru_cache(maxsize=512)
def compile_template(template: str) -> tuple[Node, ...]:
    """Parse a template into text and mustache nodes (cached: rules repeat)."""
    parts: list[object] = []
    pos, size = 0, len(template)
    text: list[str] = []
    while pos < size:
        start = template.find("{{", pos)
        if start < 0:
            text.append(template[pos:])
            break
        if start > 0 and template[start - 1] == "\\":
            # \{{ is a literal {{; the backslash itself is dropped
            text.append(template[pos:start - 1] + "{{")
            pos = start + 2
            continue
        text.append(template[pos:start])
        node, pos, strip_before, strip_after = _read_mustache(template, start)
        _flush(parts, text, strip_before)
        parts.append(_COMMENT if node is None else node)
        if strip_after:
            while pos < size and template[pos].isspace():
                pos += 1
    _flush(parts, text, False)
    _standalone_comments(parts)
    return tuple(p.value if isinstance(p, _Text) else p  # type: ignore[misc]
                 for p in parts if p is not _COMMENT and not (isinstance(p, _Text) and
                                                              not p.value))


def _flush(parts: list[object], text: list[str], rstrip: bool) -> None:
    chunk = "".join(text)
    text.clear()
    if chunk or rstrip:
        if rstrip and parts and isinstance(parts[-1], _Text):
            parts[-1].value = parts[-1].value.rstrip()
        item = _Text(chunk)
        if rstrip:
            item.value = chunk.rstrip()
        parts.append(item)


def _standalone_comments(parts: list[object]) -> None:
    """Handlebars drops a comment that stands alone on its line together with that
    line's indentation and line break (its "standalone" rule)."""
    for i, part in enumerate(parts):
        if part is not _COMMENT:
            continue
        prev = parts[i - 1] if i > 0 else None
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        first, last = i - 1 <= 0, i + 1 >= len(parts) - 1
        prev_ok = _blank_beside(prev, r"(^|\r?\n)\s*?$" if first else r"\r?\n\s*?$")
        next_ok = _blank_beside(nxt, r"^\s*?(\r?\n|$)" if last else r"^\s*?\r?\n")
        if prev_ok and next_ok:
            if isinstance(prev, _Text):
                prev.value = re.sub(r"[ \t]+$", "", prev.value)
            if isinstance(nxt, _Text):
                nxt.value = re.sub(r"^[ \t]*\r?\n?", "", nxt.value)


def _blank_beside(part: object, pattern: str) -> bool:
    """Whether the part on one side of a comment leaves it alone on its line: nothing, or
    text whose original form matches ``pattern`` (only blanks up to the line break)."""
    if part is None:
        return True
    return isinstance(part, _Text) and re.search(pattern, part.original) is not None


_TRIPLE_CLOSE = re.compile(r"\}(~?)\}\}")
_LONG_COMMENT_CLOSE = re.compile(r"--(~?)\}\}")


def _read_mustache(template: str, start: int) -> tuple[Mustache | None, int, bool, bool]:
    """One ``{{...}}`` from ``start``: (node or None for a comment, end position, strip the
    whitespace before, strip the whitespace after)."""
    body = start + 2
    strip_before = template.startswith("~", body)
    body += strip_before
    if template.startswith("!--", body):
        m = _LONG_COMMENT_CLOSE.search(template, body + 3)
        if not m:
            raise ExprError(f"unclosed comment at column {start + 1}")
        return None, m.end(), strip_before, bool(m.group(1))
    if template.startswith("!", body):
        end = template.find("}}", body)
        if end < 0:
            raise ExprError(f"unclosed comment at column {start + 1}")
        return None, end + 2, strip_before, template[end - 1] == "~"
    triple = template.startswith("{", body)
    if triple:
        m = _TRIPLE_CLOSE.search(template, body + 1)
        end, after, strip_after = (m.start(), m.end(), bool(m.group(1))) if m else (-1, 0, False)
        inner = template[body + 1:end]
        four = m is not None and (template.startswith("}}}}", end) or inner.endswith("~"))
    else:
        end = template.find("}}", body)
        after = end + 2
        inner = template[body:end]
        strip_after = inner.endswith("~")
        inner = inner[:-1] if strip_after else inner
        four = not strip_after and template.startswith("}}}", end)
    if end < 0:
        raise ExprError(f"unbalanced expression: '{{{{' at column {start + 1} is never "
                        f"closed with '{'}}}' if triple else '}}'}'")
    if end >= 0 and four:
        raise ExprError(f"unbalanced expression: '{{{{' at column {start + 1} is closed with "
                        f"too many '}}'")
    source = template[start:after]
    escape = not triple
    if inner.startswith("&") and not triple:
        escape, inner = False, inner[1:]
    if inner[:1] in ("#", "/", "^", ">", "*") or inner.strip().startswith("else"):
        raise ExprError(f"block, partial and else expressions are not supported: {source}")
    if "{{" in inner:
        raise ExprError(f"unbalanced expression: {source}")
    return _parse_inner(inner, source, escape), after, strip_before, strip_after


def _parse_inner(inner: str, source: str, escape: bool) -> Mustache:
    tokens = _tokens(inner, source)
    if not tokens:
        raise ExprError(f"empty expression {source}")
    kind, value = tokens[0]
    if kind == "key":
        raise ExprError(f"expected a name at the start of {source}")
    if kind != "path":
        # Handlebars reads a literal head ({{"x"}}, {{7}}) as the name of a property
        value = js_string(value)
    params: list[object] = []
    hashes: list[tuple[str, object]] = []
    i = 1
    while i < len(tokens):
        kind, tok = tokens[i]
        if kind == "key":
            if i + 1 >= len(tokens) or tokens[i + 1][0] == "key":
                raise ExprError(f"'{tok}=' has no value in {source}")
            hashes.append((str(tok), _arg(tokens[i + 1])))
            i += 2
            continue
        if hashes:
            raise ExprError(f"positional argument after key=value in {source}")
        params.append(_arg(tokens[i]))
        i += 1
    return Mustache(str(value), tuple(params), tuple(hashes), escape, source)


def _tokens(inner: str, source: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    stripped_end = len(inner.rstrip())
    while pos < stripped_end:
        if inner[pos] == "(":
            raise ExprError(f"sub-expressions are not supported: {source}")
        m = _TOKEN.match(inner, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot read {inner[pos:].strip()!r} in {source}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")
            out.append(("str", re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif m.group("num") is not None:
            num = m.group("num")
            out.append(("num", float(num) if "." in num else int(num)))
        elif m.group("key") is not None:
            out.append(("key", m.group("key")))
        else:
            out.append(("path", m.group("path")))
    return out


def _arg(token: tuple[str, object]) -> object:
    kind, value = token
    if kind == "path":
        literal = {"true": True, "false": False, "null": None, "undefined": None}
        return literal.get(str(value), PathArg(str(value)))
    return value


def is_single_path(template: str, name: str) -> bool:
    """True when the template is exactly one ``{{name}}`` (metadata-action's
    ``isRawStatement``); False for anything else, including templates that do not parse."""
    try:
        nodes = compile_template(template)
    except ExprError:
        return False
    return len(nodes) == 1 and isinstance(nodes[0], Mustache) and \
        _strip_this(nodes[0].path) == name and not nodes[0].params


def _strip_this(path: str) -> str:
    for prefix in ("this.", "this/", "./"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def render(template: str, scope: Mapping[str, object]) -> str:
    """Render ``template`` against ``scope`` (names to values or :class:`Helper`)."""
    if "{{" not in template:
        return template
    out: list[str] = []
    for node in compile_template(template):
        if isinstance(node, str):
            out.append(node)
            continue
        value = _evaluate(node, scope)
        text = js_string(value)
        out.append(escape_html(text) if node.escape else text)
    return "".join(out)


def _evaluate(node: Mustache, scope: Mapping[str, object]) -> object:
    name = _strip_this(node.path)
    target = scope.get(name) if "." not in name and "/" not in name else None
    params = [_resolve(p, scope) for p in node.params]
    hashes = {k: _resolve(v, scope) for k, v in node.hash}
    if isinstance(target, Helper):
        return target.fn(params, hashes)
    if (params or hashes) and target is None:
        raise ExprError(f"unknown helper '{name}' in {node.source}")
    return target


def _resolve(arg: object, scope: Mapping[str, object]) -> object:
    if isinstance(arg, PathArg):
        value = scope.get(_strip_this(arg.name))
        # a helper passed as an argument is not called by Handlebars; treat as unset
        return None if isinstance(value, Helper) else value
    return arg


def js_string(value: object) -> str:
    """``String(value)`` as JavaScript would print it (how Handlebars outputs values)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(js_string(v) for v in value)
    return str(value)


def names_used(template: str) -> set[str]:
    """The names a template refers to (for lazy work such as loading time zones)."""
    try:
        nodes = compile_template(template)
    except ExprError:
        return set()
    return {_strip_this(n.path) for n in nodes if isinstance(n, Mustache)}


DATE_HELPERS = ("date", "commit_date")
# What metadata-action's global expressions offer (engine.global_scope builds them); a
# schedule pattern sees only the date helpers.
GLOBAL_NAMES = ("branch", "tag", "sha", "base_ref", "is_default_branch",
                "is_not_default_branch", *DATE_HELPERS)


def validate(template: str, known: Sequence[str] | None = None) -> tuple[Unknown, ...]:
    """Parse ``template`` and check what can be checked before it runs: date helpers
    have a format, only ``tz=`` and a known zone. Raises :class:`ExprError`.

    With ``known`` (the names the template will see), also returns the names it looks up
    that are not among them, each once. Handlebars renders those as empty text (an
    argument: undefined), which callers report as a warning, since metadata-action then
    drops the tag without a word."""
    nodes = compile_template(template)
    _check_dates(nodes)
    return () if known is None else unknown_names(nodes, known)


@dataclass(frozen=True)
class Unknown:
    name: str
    argument: bool   # a helper's argument (``{{date YYYY}}``), not the looked-up name

    def message(self, known: Sequence[str]) -> tuple[str, str]:
        """(message, hint): a close match among ``known``, else the list of them."""
        import difflib  # only when there is something to report

        close = difflib.get_close_matches(self.name, list(known), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known here: {', '.join(known)}"
        if not self.argument:
            return f"unknown variable '{self.name}' renders as empty text", hint
        if not close:
            hint = f"quote it if it is text: '{self.name}'"
        return f"unknown variable '{self.name}' as an argument is undefined", hint


def unknown_names(nodes: Sequence[Node], known: Collection[str]) -> tuple[Unknown, ...]:
    found: dict[str, Unknown] = {}
    for node in nodes:
        if not isinstance(node, Mustache):
            continue
        args = [a.name for a in (*node.params, *(v for _k, v in node.hash))
                if isinstance(a, PathArg)]
        for path, argument in ((node.path, False), *((a, True) for a in args)):
            # a dotted path looks into its first name; only that one can be unknown here
            head = re.split(r"[./]", _strip_this(path), maxsplit=1)[0] or path
            if head not in known and head not in found:
                found[head] = Unknown(head, argument)
    return tuple(found.values())


def _check_dates(nodes: Sequence[Node]) -> None:
    for node in nodes:
        if not isinstance(node, Mustache) or _strip_this(node.path) not in DATE_HELPERS:
            continue
        name = _strip_this(node.path)
        if not node.params:
            raise ExprError(f"{{{{{name}}}}} needs a format, e.g. {{{{{name} 'YYYYMMDD'}}}}")
        for key, value in node.hash:
            if key != "tz":
                raise ExprError(f"unknown attribute '{key}' for {name} (expected tz='Zone')")
            if isinstance(value, str):
                from .dates import UnknownZone, zone

                try:
                    zone(value)
                except UnknownZone:
                    raise ExprError(unknown_zone_message(value))


def unknown_zone_message(name: str) -> str:
    return f"unknown time zone '{name}' (expected an IANA name such as 'Europe/Paris' or 'UTC')"
