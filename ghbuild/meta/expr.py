"""The ``{{...}}`` expressions of metadata-action: the subset of Handlebars it relies on.

metadata-action renders every value, prefix, suffix, label and ``enable`` with
Handlebars, so its observable rules are Handlebars rules, kept here:

* ``{{name}}`` looks ``name`` up; a function is called; a missing name renders ``""``;
  a path (``a.length``, ``a.[0]``, ``this.a``, ``@root.a``) reads own properties;
* ``{{name arg key=value}}`` calls a helper with string, number, boolean or path
  arguments (an unknown path argument is undefined, which the date helpers read as
  "no format": moment's ISO default);
* ``{{...}}`` output is HTML-escaped (``&<>"'`=``), ``{{{...}}}`` and ``{{&...}}`` are not;
* ``\\{{`` is a literal ``{{``; ``{{! ...}}`` and ``{{!-- ... --}}`` are comments;
  ``~`` trims the whitespace next to a mustache;
* ``{{#if x}}`` / ``{{#unless x}}`` with ``{{else}}``, ``{{else if y}}`` and ``{{^}}``, with
  Handlebars' truthiness (:func:`truthy`) and its whitespace rules (ported whole:
  ``~`` and standalone lines).

Other block helpers (``#each``, ``#with``), partials, decorators, block parameters and
sub-expressions are refused with an error naming the construct.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple


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


@dataclass(frozen=True)
class Block:
    """``{{#if x}}...{{else}}...{{/if}}`` or ``{{#unless x}}``: the two built-in block
    helpers that choose, not loop or rescope (``#each``, ``#with`` stay refused)."""

    helper: str
    param: object                 # a literal, or PathArg
    include_zero: object          # the ``includeZero=`` hash value, None without one
    program: tuple[Node, ...]
    inverse: tuple[Node, ...]
    source: str


Node = str | Mustache | Block

BLOCK_HELPERS = ("if", "unless")

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
      | (?P<path>(?:\.\.?/|this[./]|@)?(?:""" + _ID + r"""|\[[^\]]*\])"""
        r"""(?:[./](?:""" + _ID + r"""|\[[^\]]*\]))*|this|\.)
    )""", re.VERBOSE)


def escape_html(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


# -- parsing: Handlebars' tokens, its tree, then its whitespace rules -------------------------

# The parse tree's classes are plain (no dataclass): `ghbuild meta` imports this module on
# every run, and each dataclass costs its creation at import.

class _Content:
    """A text run: what the template says (``original``) and what renders (``value``)."""

    __slots__ = ("original", "value", "left_stripped", "right_stripped")

    def __init__(self, text: str) -> None:
        self.original = self.value = text
        self.left_stripped = self.right_stripped = False


class _Strip(NamedTuple):
    open: bool = False            # ``{{~``: strip the whitespace before
    close: bool = False           # ``~}}``: strip the whitespace after
    open_standalone: bool = False
    close_standalone: bool = False
    inline_standalone: bool = False


class _Tag:
    """One ``{{...}}`` as the lexer sees it: ``kind`` is mustache, comment, open, else,
    chain or close; ``node`` the mustache or the helper call of open/chain; ``name`` the
    helper a close names."""

    __slots__ = ("kind", "strip", "source", "node", "name")

    def __init__(self, kind: str, strip: _Strip, source: str, node: Mustache | None = None,
                 name: str = "") -> None:
        self.kind, self.strip, self.source, self.node, self.name = \
            kind, strip, source, node, name


class _Program:
    __slots__ = ("body", "chained")

    def __init__(self, body: list[object] | None = None, chained: bool = False) -> None:
        self.body: list[object] = body if body is not None else []
        self.chained = chained


class _BlockTree:
    __slots__ = ("call", "program", "inverse", "open_strip", "inverse_strip", "close_strip")

    def __init__(self, call: Mustache, program: _Program, inverse: _Program | None,
                 open_strip: _Strip, inverse_strip: _Strip, close_strip: _Strip) -> None:
        self.call, self.program, self.inverse = call, program, inverse
        self.open_strip, self.inverse_strip, self.close_strip = \
            open_strip, inverse_strip, close_strip


@lru_cache(maxsize=512)
def compile_template(template: str) -> tuple[Node, ...]:
    """Parse a template into text, mustache and block nodes (cached: rules repeat)."""
    return _freeze(_parse(template)[0])


def _parse(template: str) -> tuple[_Program, int]:
    """The tree after whitespace rules, and the count of top-level nodes before them
    (what metadata-action's isRawStatement counts)."""
    items = _lex(template)
    root, _, stop = _program(items, 0, None)
    if stop is not None:
        assert isinstance(stop, _Tag)
        what = "{{else}}" if stop.kind in ("else", "chain") else stop.source
        raise ExprError(f"{what} without an open {{{{#if}}}} or {{{{#unless}}}} block")
    raw_length = len(root.body)
    _whitespace(root, is_root=True)
    return root, raw_length


_LITERAL_END = re.compile(r"\{\{|\\\{\{|\\\\\{\{")


def _lex(template: str) -> list[object]:
    """Content runs and tags, split where Handlebars' lexer splits them: at each ``{{``;
    ``\\{{`` starts a literal run (without the backslash) that ends before the next
    ``{{`` or backslashed ``{{``; ``\\\\{{`` is one backslash and a mustache."""
    items: list[object] = []
    pos, size = 0, len(template)
    while pos < size:
        start = template.find("{{", pos)
        text = template[pos:] if start < 0 else template[pos:start]
        literal = False
        if start >= 0 and text.endswith("\\\\"):
            text = text[:-1]
        elif start >= 0 and text.endswith("\\"):
            text, literal = text[:-1], True
        if text:
            items.append(_Content(text))
        if start < 0:
            break
        if literal:
            stop = _LITERAL_END.search(template, start + 2)
            end = size if stop is None else stop.start()
            items.append(_Content(template[start:end]))
            pos = end
            continue
        tag, pos = _read_tag(template, start)
        items.append(tag)
    return items


def _program(items: list[object], i: int, block: Mustache | None) -> tuple[_Program, int,
                                                                            object]:
    """Nodes from ``items[i]`` up to the ``{{else}}`` or ``{{/...}}`` that ends ``block``:
    (program, index of that tag, the tag or None at the end)."""
    program = _Program()
    while i < len(items):
        item = items[i]
        if isinstance(item, _Tag) and item.kind in ("else", "chain", "close"):
            return program, i, item
        if isinstance(item, _Tag) and item.kind == "open":
            node, i = _block(items, i)
            program.body.append(node)
            continue
        program.body.append(item)
        i += 1
    if block is not None:
        raise ExprError(f"{block.source} is never closed with {{{{/{block.path}}}}}")
    return program, i, None


def _block(items: list[object], i: int, outer: Mustache | None = None) -> tuple[_BlockTree,
                                                                                 int]:
    """The block opened at ``items[i]``; ``outer``: the block whose {{else if}} this is,
    whose {{/name}} closes the whole chain."""
    opener = items[i]
    assert isinstance(opener, _Tag) and opener.node is not None
    call = opener.node
    first = outer or call
    program, i, stop = _program(items, i + 1, call)
    assert isinstance(stop, _Tag)
    inverse: _Program | None = None
    inverse_strip = _Strip()
    if stop.kind == "chain":
        # {{else if y}}: the rest of the chain is one block inside the inverse
        chained, i = _block(items, i, first)
        inverse, inverse_strip = _Program([chained], chained=True), stop.strip
        close = chained.close_strip
    else:
        if stop.kind == "else":
            inverse_strip = stop.strip
            inverse, i, stop = _program(items, i + 1, call)
            assert isinstance(stop, _Tag)
            if stop.kind != "close":
                raise ExprError(f"a second {{{{else}}}} in {call.source}")
        if stop.name != first.path:
            raise ExprError(f"{first.source} is closed by {stop.source}")
        close = stop.strip
        i += 1
    return _BlockTree(call, program, inverse, opener.strip, inverse_strip, close), i


_TRIPLE_CLOSE = re.compile(r"\}(~?)\}\}")
_LONG_COMMENT_CLOSE = re.compile(r"--(~?)\}\}")
_ELSE = re.compile(r"\s*else\s*")
_CHAIN = re.compile(r"\s*else\s+")


def _read_tag(template: str, start: int) -> tuple[_Tag, int]:
    """One ``{{...}}`` from ``start``, and the position after it."""
    body = start + 2
    strip_before = template.startswith("~", body)
    body += strip_before
    if template.startswith("!", body):
        return _read_comment(template, start, body, strip_before)
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
    if four and (triple or not (_ELSE.fullmatch(inner) or inner.strip() == "^")):
        # ({{else}} and {{^}} are one token in Handlebars' lexer: a "}" after is text)
        raise ExprError(f"unbalanced expression: '{{{{' at column {start + 1} is closed with "
                        f"too many '}}'")
    source = template[start:after]
    strip = _Strip(open=strip_before, close=strip_after)
    if "{{" in inner:
        raise ExprError(f"unbalanced expression: {source}")
    if triple:
        return _Tag("mustache", strip, source, _parse_inner(inner, source, False)), after
    return _classify(inner, source, strip), after


def _read_comment(template: str, start: int, body: int, strip_before: bool) -> tuple[_Tag,
                                                                                       int]:
    if template.startswith("!--", body):
        m = _LONG_COMMENT_CLOSE.search(template, body + 3)
        if not m:
            raise ExprError(f"unclosed comment at column {start + 1}")
        return _Tag("comment", _Strip(strip_before, bool(m.group(1))), m.group(0)), m.end()
    end = template.find("}}", body)
    if end < 0:
        raise ExprError(f"unclosed comment at column {start + 1}")
    strip = _Strip(strip_before, template[end - 1] == "~")
    return _Tag("comment", strip, template[start:end + 2]), end + 2


def _classify(inner: str, source: str, strip: _Strip) -> _Tag:
    """What a ``{{...}}`` (not triple, not a comment) is: a mustache, a block's open,
    ``{{else}}`` (or ``{{^}}``), ``{{else if x}}`` or a close."""
    if _ELSE.fullmatch(inner) or inner.strip() == "^":
        return _Tag("else", strip, source)
    chain = _CHAIN.match(inner)
    if chain:
        return _Tag("chain", strip, source, _block_call(inner[chain.end():], source))
    if inner.startswith("#"):
        return _Tag("open", strip, source, _block_call(inner[1:], source))
    if inner.startswith("/"):
        return _Tag("close", strip, source, name=_strip_this(inner[1:].strip()))
    if inner[:1] in (">", "^", "*") or inner.startswith("#>"):
        what = {">": "partials", "^": "inverse blocks ({{^name}})",
                "*": "decorators"}[inner[0]]
        raise ExprError(f"{what} are not supported: {source}")
    escape = True
    if inner.startswith("&"):
        escape, inner = False, inner[1:]
    return _Tag("mustache", strip, source, _parse_inner(inner, source, escape))


def _block_call(inner: str, source: str) -> Mustache:
    """The helper call of ``{{#if x}}`` / ``{{else if x}}``: only if/unless with one
    argument (and ``includeZero=``), as Handlebars' own helpers demand."""
    if inner.startswith((">", "*")):
        raise ExprError(f"partial blocks and decorators are not supported: {source}")
    if "|" in inner:
        raise ExprError(f"block parameters (as |x|) are not supported: {source}")
    call = _parse_inner(inner, source, True)
    name = _strip_this(call.path)
    if name not in BLOCK_HELPERS:
        raise ExprError(f"the block helper '#{name}' is not supported (only #if and #unless, "
                        f"with {{{{else}}}}): {source}")
    if len(call.params) != 1:
        raise ExprError(f"#{name} requires exactly one argument: {source}")
    return Mustache(name, call.params, call.hash, True, source)


# -- whitespace: Handlebars' "~" and standalone-line rules ------------------------------------

def _whitespace(program: _Program, is_root: bool) -> None:
    body = program.body
    for i, current in enumerate(body):
        strip = _strip_of(current)
        if strip is None:
            continue
        prev_blank = _prev_blank(body, i, is_root)
        next_blank = _next_blank(body, i, is_root)
        if strip.close:
            _omit_right(body, i, True)
        if strip.open:
            _omit_left(body, i, True)
        if strip.inline_standalone and prev_blank and next_blank:
            _omit_right(body, i)
            _omit_left(body, i)
        if strip.open_standalone and prev_blank:
            assert isinstance(current, _BlockTree)
            _omit_right(current.program.body, None)
            _omit_left(body, i)
        if strip.close_standalone and next_blank:
            assert isinstance(current, _BlockTree)
            _omit_right(body, i)
            _omit_left((current.inverse or current.program).body, None)


def _strip_of(node: object) -> _Strip | None:
    if isinstance(node, _BlockTree):
        return _block_whitespace(node)
    if isinstance(node, _Tag):
        if node.kind == "comment":
            return node.strip._replace(inline_standalone=True)
        return node.strip
    return None


def _block_whitespace(block: _BlockTree) -> _Strip:
    _whitespace(block.program, False)
    if block.inverse is not None:
        _whitespace(block.inverse, False)
    program, inverse = block.program, block.inverse
    first = last = inverse
    if inverse is not None and inverse.chained:
        chained = inverse.body[0]
        assert isinstance(chained, _BlockTree)
        first = chained.program
        while last is not None and last.chained:
            tail = last.body[-1]
            assert isinstance(tail, _BlockTree)
            last = tail.program
    strip = _Strip(open=block.open_strip.open, close=block.close_strip.close,
                   open_standalone=_next_blank(program.body, None, False),
                   close_standalone=_prev_blank((first or program).body, None, False))
    if block.open_strip.close:
        _omit_right(program.body, None, True)
    if first is not None and last is not None:
        if block.inverse_strip.open:
            _omit_left(program.body, None, True)
        if block.inverse_strip.close:
            _omit_right(first.body, None, True)
        if block.close_strip.open:
            _omit_left(last.body, None, True)
        # a standalone {{else}}
        if _prev_blank(program.body, None, False) and _next_blank(first.body, None, False):
            _omit_left(program.body, None)
            _omit_right(first.body, None)
    elif block.close_strip.open:
        _omit_left(program.body, None, True)
    return strip


def _at(body: list[object], i: int) -> object:
    return body[i] if 0 <= i < len(body) else None


def _prev_blank(body: list[object], i: int | None, is_root: bool) -> bool:
    """Whether only blanks stand between the node at ``i`` and the line break before it."""
    i = len(body) if i is None else i
    prev, sibling = _at(body, i - 1), _at(body, i - 2)
    if prev is None:
        return is_root
    pattern = r"\r?\n\s*?\Z" if sibling is not None or not is_root else r"(^|\r?\n)\s*?\Z"
    return isinstance(prev, _Content) and re.search(pattern, prev.original) is not None


def _next_blank(body: list[object], i: int | None, is_root: bool) -> bool:
    i = -1 if i is None else i
    nxt, sibling = _at(body, i + 1), _at(body, i + 2)
    if nxt is None:
        return is_root
    pattern = r"^\s*?\r?\n" if sibling is not None or not is_root else r"^\s*?(\r?\n|\Z)"
    return isinstance(nxt, _Content) and re.search(pattern, nxt.original) is not None


def _omit_right(body: list[object], i: int | None, multiple: bool = False) -> None:
    """Strip the start of the text after ``i`` (the first node for None): all whitespace,
    or (a standalone line) its blanks and one line break."""
    current = _at(body, 0 if i is None else i + 1)
    if not isinstance(current, _Content) or (not multiple and current.right_stripped):
        return
    before = current.value
    current.value = re.sub(r"^\s+" if multiple else r"^[ \t]*\r?\n?", "", before)
    current.right_stripped = current.value != before


def _omit_left(body: list[object], i: int | None, multiple: bool = False) -> None:
    current = _at(body, len(body) - 1 if i is None else i - 1)
    if not isinstance(current, _Content) or (not multiple and current.left_stripped):
        return
    before = current.value
    current.value = re.sub(r"\s+\Z" if multiple else r"[ \t]+\Z", "", before)
    current.left_stripped = current.value != before


def _freeze(program: _Program) -> tuple[Node, ...]:
    out: list[Node] = []
    for node in program.body:
        if isinstance(node, _Content):
            if node.value:
                out.append(node.value)
        elif isinstance(node, _BlockTree):
            call = node.call
            zero = dict(call.hash).get("includeZero")
            out.append(Block(call.path, call.params[0], zero, _freeze(node.program),
                             () if node.inverse is None else _freeze(node.inverse),
                             call.source))
        elif isinstance(node, _Tag) and node.node is not None:
            out.append(node.node)
    return tuple(out)


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
        if inner[pos:].lstrip().startswith("("):
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
    ``isRawStatement``, which counts nodes before whitespace rules, comments included);
    False for anything else, including templates that do not parse."""
    try:
        raw_length = _parse(template)[1]
    except ExprError:
        return False
    nodes = compile_template(template)
    return raw_length == 1 and len(nodes) == 1 and isinstance(nodes[0], Mustache) \
        and _strip_this(nodes[0].path) == name and not nodes[0].params


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
    _render_nodes(compile_template(template), scope, out)
    return "".join(out)


def _render_nodes(nodes: Sequence[Node], scope: Mapping[str, object], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Block):
            chosen = truthy(_condition(node.param, scope), node.include_zero)
            if node.helper == "unless":
                chosen = not chosen
            _render_nodes(node.program if chosen else node.inverse, scope, out)
        else:
            text = js_string(_evaluate(node, scope))
            out.append(escape_html(text) if node.escape else text)


def _condition(param: object, scope: Mapping[str, object]) -> object:
    """The value #if tests: a function (every metadata-action global is one) is called
    with no arguments, as Handlebars' ``if`` helper does."""
    if isinstance(param, PathArg):
        value = _lookup(param.name, scope)
        return value.fn((), {}) if isinstance(value, Helper) else value
    return param


def truthy(value: object, include_zero: object = None) -> bool:
    """Handlebars' #if: false, undefined, null, "", [] and NaN are false; so is 0 unless
    ``includeZero=`` is true. Any other text is true, ``"false"`` and ``"0"`` included."""
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:  # NaN
            return False
        return value != 0 or _js_truthy(include_zero)
    return True


def _js_truthy(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    return value not in (None, False, "", 0) and value == value


class _Context:
    """The object a template renders against (``{{this}}``, ``{{.}}``, ``@root``)."""

    def __str__(self) -> str:
        return "[object Object]"


_CONTEXT = _Context()
_SEGMENT = re.compile(r"\[([^\]]*)\]|([^./\[]+)")


def _lookup(path: str, scope: Mapping[str, object]) -> object:
    """What Handlebars finds at ``path``: ``a``, ``this.a``, ``a.length``, ``a.[0]``,
    ``@root.a``; a parent (``../a``) or another ``@`` name is undefined at the top."""
    if path in ("this", ".", "@root"):
        return _CONTEXT
    path = _strip_this(path)
    if path.startswith("@root.") or path.startswith("@root/"):
        path = path[len("@root."):]
    elif path.startswith(("@", "../")):
        return None
    value: object = _CONTEXT
    for found in _SEGMENT.finditer(path):
        key = found.group(1) if found.group(1) is not None else found.group(2)
        value = scope.get(key) if value is _CONTEXT else _property(value, key)
    return None if value is _CONTEXT else value


def _property(value: object, key: str) -> object:
    """An own property as Handlebars reads it (it refuses inherited ones): a mapping's
    key, a list's or string's ``length`` and indexes (a string in UTF-16 units)."""
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, str):
        units = value.encode("utf-16-le", "surrogatepass")
        if key == "length":
            return len(units) // 2
        index = _index(key)
        if index is not None and index < len(units) // 2:
            return units[2 * index:2 * index + 2].decode("utf-16-le", "surrogatepass")
        return None
    if isinstance(value, (list, tuple)):
        if key == "length":
            return len(value)
        index = _index(key)
        return value[index] if index is not None and index < len(value) else None
    return None


def _index(key: str) -> int | None:
    return int(key) if key.isdigit() and (key == "0" or not key.startswith("0")) else None


def _evaluate(node: Mustache, scope: Mapping[str, object]) -> object:
    name = _strip_this(node.path)
    target = _lookup(node.path, scope)
    params = [_resolve(p, scope) for p in node.params]
    hashes = {k: _resolve(v, scope) for k, v in node.hash}
    if isinstance(target, Helper):
        return target.fn(params, hashes)
    if (params or hashes) and target is None:
        raise ExprError(f"unknown helper '{name}' in {node.source}")
    return target


def _resolve(arg: object, scope: Mapping[str, object]) -> object:
    if isinstance(arg, PathArg):
        value = _lookup(arg.name, scope)
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
    return {_strip_this(n.path) for n in _walk(nodes) if isinstance(n, Mustache)} | \
        {_strip_this(n.param.name) for n in _walk(nodes)
         if isinstance(n, Block) and isinstance(n.param, PathArg)}


def _walk(nodes: Sequence[Node]) -> list[Node]:
    """Every node, blocks' contents included, in template order."""
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        if isinstance(node, Block):
            out += _walk(node.program) + _walk(node.inverse)
    return out


DATE_HELPERS = ("date", "commit_date")
# globals whose value is the text "true" or "false": never empty, so #if always passes
TEXT_FLAGS = ("is_default_branch", "is_not_default_branch")
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
    # not unknown: #if/#unless on a global that is always non-empty text ("true"/"false");
    # the helper's name
    always_true: str = ""

    def message(self, known: Sequence[str]) -> tuple[str, str]:
        """(message, hint): a close match among ``known``, else the list of them."""
        import difflib  # only when there is something to report

        if self.always_true:
            verdict = "always true" if self.always_true == "if" else "always false"
            return (f"{{{{#{self.always_true} {self.name}}}}} is {verdict}: '{self.name}' is "
                    f"the text 'true' or 'false', and Handlebars counts any non-empty text as "
                    f"true",
                    f"use {{{{{self.name}}}}} where 'true'/'false' is wanted, e.g. "
                    f"enable={{{{{self.name}}}}}")

        close = difflib.get_close_matches(self.name, list(known), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known here: {', '.join(known)}"
        if not self.argument:
            return f"unknown variable '{self.name}' renders as empty text", hint
        if not close:
            hint = f"quote it if it is text: '{self.name}'"
        return f"unknown variable '{self.name}' as an argument is undefined", hint


def unknown_names(nodes: Sequence[Node], known: Collection[str]) -> tuple[Unknown, ...]:
    found: dict[str, Unknown] = {}
    for node in _walk(nodes):
        if isinstance(node, str):
            continue
        if isinstance(node, Block):
            # the condition of #if is looked up as a variable is, to be tested
            looked_up = [(node.param.name, False)] if isinstance(node.param, PathArg) else []
            args = [node.include_zero.name] if isinstance(node.include_zero, PathArg) else []
        else:
            looked_up = [(node.path, False)]
            args = [a.name for a in (*node.params, *(v for _k, v in node.hash))
                    if isinstance(a, PathArg)]
        flag = _strip_this(looked_up[0][0]) if isinstance(node, Block) and looked_up else ""
        if isinstance(node, Block) and flag in TEXT_FLAGS and flag in known:
            found.setdefault(f"#{node.helper} {flag}",
                             Unknown(flag, False, always_true=node.helper))
        for path, argument in (*looked_up, *((a, True) for a in args)):
            head = _head(path)
            if head is not None and head not in known and head not in found:
                found[head] = Unknown(head, argument)
    return tuple(found.values())


def _head(path: str) -> str | None:
    """The name a path looks up first (``a`` of ``this.a.length``); None for the context
    itself, ``@`` data and parents, which no name list describes."""
    if path in ("this", ".", "@root"):
        return None
    path = _strip_this(path)
    if path.startswith(("@root.", "@root/")):
        path = path[len("@root."):]
    elif path.startswith(("@", "../")):
        return None
    first = _SEGMENT.search(path)
    if first is None:
        return path
    return first.group(1) if first.group(1) is not None else first.group(2)


def _check_dates(nodes: Sequence[Node]) -> None:
    for node in _walk(nodes):
        if isinstance(node, Block) and isinstance(node.param, PathArg) and \
                _strip_this(node.param.name) in DATE_HELPERS:
            # Handlebars calls it without a format: metadata-action's helper then throws
            raise ExprError(f"{node.source} calls {node.param.name} without a format")
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
