"""Character classes under JavaScript's ``v`` flag: nested classes, ``--``, ``&&`` and
``\\q{...}`` strings, rewritten for the ``regex`` package.

Each operand becomes a :class:`_Set`: one pattern that matches a single character, and
the finite strings (``\\q{ab|c}``) it also matches. Set operations on single characters
become lookaheads (``A--B`` is ``(?!B)A``, ``A&&B`` is ``(?=B)A``); on strings they are
computed here (under ``i``, in any case). As in JavaScript, a class with strings tries
the longest first, and a negated class may not contain strings. Under ``i`` every operand
is closed over case before the operation, as the specification says; Node 20's V8 leaves a
bare character subtracted unclosed (``/[[A-Z]--S]/iv`` matches ``S`` there, not here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .jsregex import _Parser

_SYNTAX = set("()[]{}/-\\|")
_RESERVED = set("&-!#%,:;<=>@`~")
_DOUBLES = tuple(c * 2 for c in "&!#$%*+,.:;<=>?@^`~")


@dataclass
class _Set:
    ranges: list[tuple[int, int]] = field(default_factory=list)  # single characters
    props: list[str] = field(default_factory=list)      # \p{...} escapes
    matchers: list[str] = field(default_factory=list)   # patterns matching one character
    strings: set[str] = field(default_factory=set)      # "" or two characters and more
    # JavaScript's MayContainStrings, decided by the syntax (a negated class may not)
    may_strings: bool = False

    def single(self, p: _Parser) -> str | None:
        """One pattern for the single characters, None when there are none."""
        from .jsfold import written
        from .jsregex import _char, folded_class

        if not (self.ranges or self.props):
            members = []
        elif p.icase:
            members = [folded_class(self.ranges, self.props, False, True, vmode=True)]
        else:
            members = [f"[{written(self.ranges, _char)}{''.join(self.props)}]"]
        alts = members + self.matchers
        if not alts:
            return None
        return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"

    def pattern(self, p: _Parser) -> str:
        longest = sorted((s for s in self.strings if s), key=lambda s: (-len(s), s))
        alts = ["".join(p.literal(ord(c)) for c in s) for s in longest]
        single = self.single(p)
        alts += [single] if single else []
        alts += [""] if "" in self.strings else []
        return f"(?:{'|'.join(alts)})" if alts else "(?!)"


def class_set(p: _Parser) -> str:
    """``[...]`` from ``p.pos`` (at the ``[``) to its ``]``, as one pattern."""
    result = _nested(p)
    p.nullable = "" in result.strings  # [\q{}] matches the empty string
    return result.pattern(p)


def _nested(p: _Parser) -> _Set:
    start = p.pos
    p.pos += 1
    negate = p.eat("^")
    result = _contents(p, start)
    if not negate:
        return result
    if result.may_strings:
        p.fail("negated character class may contain strings", start)
    inner = result.single(p)
    return _Set(matchers=[f"(?:(?!{inner})[\\s\\S])" if inner else "[\\s\\S]"])


def _contents(p: _Parser, start: int) -> _Set:
    if p.eat("]"):
        return _Set()
    first, was_range = _operand_or_range(p)
    for op, combine in (("&&", _intersect), ("--", _subtract)):
        if p.src.startswith(op, p.pos):
            if was_range:
                p.fail("invalid set operation in character class")
            while p.eat(op):
                if op == "&&" and p.peek() == "&":
                    p.fail("invalid character in character class")
                first = combine(first, _operand(p), p)
            _close(p, start)
            return first
    while not p.eat("]"):
        if p.pos >= len(p.src):
            p.fail("unterminated character class", start)
        if p.src.startswith(("&&", "--"), p.pos):
            p.fail("invalid set operation in character class")
        item, _ = _operand_or_range(p)
        first = _union(first, item, p)
    return first


def _close(p: _Parser, start: int) -> None:
    if p.pos >= len(p.src):
        p.fail("unterminated character class", start)
    if not p.eat("]"):
        p.fail("invalid set operation in character class")


def _operand_or_range(p: _Parser) -> tuple[_Set, bool]:
    if p.peek() == "[" or p.src.startswith(("\\q{",), p.pos) or \
            (p.peek() == "\\" and p.peek(1) in "dDsSwWpP"):
        return _operand(p), False
    low = _character(p)
    if p.peek() != "-" or p.peek(1) == "-":
        return _Set(ranges=[(low, low)]), False
    dash = p.pos
    p.pos += 1
    high = _character(p)
    if high < low:
        p.fail("range out of order in character class", dash)
    return _Set(ranges=[(low, high)]), True


def _operand(p: _Parser) -> _Set:
    from .jsfold import complement

    if p.pos >= len(p.src):
        p.fail("unterminated character class")
    if p.peek() == "[":
        return _nested(p)
    if p.eat("\\q{"):
        return _strings(p)
    if p.peek() == "\\" and p.peek(1) in "dDsSwW":
        letter = p.peek(1)
        p.pos += 2
        ranges = p.set_ranges(letter.lower())
        return _Set(ranges=ranges if letter.islower() else complement(ranges))
    if p.peek() == "\\" and p.peek(1) in "pP":
        return _Set(props=[p.property_escape()])
    cp = _character(p)
    return _Set(ranges=[(cp, cp)])


def _strings(p: _Parser) -> _Set:
    """``\\q{ab|c|}`` after its ``\\q{``: one-character strings join the class."""
    result, current = _Set(), list[str]()
    while True:
        if p.pos >= len(p.src):
            p.fail("unterminated class string disjunction")
        if p.peek() in "|}":
            text = "".join(current)
            if len(text) == 1:
                result.ranges.append((ord(text), ord(text)))
            else:
                result.strings.add(text)
                result.may_strings = True
            current = []
            if p.eat("}"):
                return result
            p.pos += 1
            continue
        current.append(chr(_character(p)))


def _character(p: _Parser) -> int:
    """A ClassSetCharacter: not a syntax character or doubled punctuator unless escaped."""
    if p.pos >= len(p.src):
        p.fail("unterminated character class")
    ch = p.peek()
    if p.src.startswith(_DOUBLES, p.pos):
        p.fail("invalid set operation in character class")
    if ch != "\\":
        if ch in _SYNTAX:
            p.fail("invalid character in character class")
        p.pos += 1
        return ord(ch)
    nxt = p.peek(1)
    if nxt == "b":
        p.pos += 2
        return 8
    if nxt in _RESERVED:
        p.pos += 2
        return ord(nxt)
    return p.character_escape(in_class=True)


def _union(a: _Set, b: _Set, p: _Parser) -> _Set:
    return _Set(a.ranges + b.ranges, a.props + b.props, a.matchers + b.matchers,
                a.strings | b.strings, a.may_strings or b.may_strings)


def _same_strings(a: set[str], b: set[str], p: _Parser) -> set[str]:
    """The strings of ``a`` that ``b`` holds too (under ``i``, in any case)."""
    if not p.icase:
        return a & b
    from .jsfold import fold_key

    keys = {fold_key(s, True) for s in b}
    return {s for s in a if fold_key(s, True) in keys}


def _intersect(a: _Set, b: _Set, p: _Parser) -> _Set:
    sa, sb = a.single(p), b.single(p)
    matchers = [f"(?:(?={sb}){sa})"] if sa and sb else []
    return _Set(matchers=matchers, strings=_same_strings(a.strings, b.strings, p),
                may_strings=a.may_strings and b.may_strings)


def _subtract(a: _Set, b: _Set, p: _Parser) -> _Set:
    sa, sb = a.single(p), b.single(p)
    matchers = ([f"(?:(?!{sb}){sa})" if sb else sa] if sa else [])
    strings = a.strings - _same_strings(a.strings, b.strings, p)
    return _Set(matchers=matchers, strings=strings, may_strings=a.may_strings)
