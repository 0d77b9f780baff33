"""JavaScript regular expressions (``type=match`` patterns and ``match=``) run in Python.

metadata-action evaluates a plain ``pattern`` as ``text.match(pattern)``, which is
``new RegExp(pattern)`` without flags, and ``/body/flags`` as ``new RegExp(body, flags)``;
``match=`` of semver/pep440 rules is always the plain form. A JavaScript pattern is
parsed here by JavaScript's grammar (ECMAScript 2024 as Node 20 has it, with the web
compatibility rules of Annex B when neither ``u`` nor ``v`` is set) and rewritten into
an unambiguous pattern for the ``regex`` package: every literal is escaped, ``\\d``
``\\w`` ``\\s`` ``\\b`` ``.`` ``^`` ``$`` get JavaScript's sets, groups keep their
numbers, a backreference to a group that has not matched is empty, a repetition that
matches empty once the minimum is reached is rejected (``/()?/`` leaves group 1 unset),
``\\p{...}`` is
checked against the names JavaScript accepts (:mod:`.jsprops`), and without ``u``/``v``
pattern and text are UTF-16 code units, as there (``.`` matches half an emoji). What
JavaScript rejects is refused with the reason and the position.

Known differences, all rare in tag patterns (docs/meta.md lists them):

* a capture inside a repeated group is not reset at each repetition as in JavaScript
  (``/(?:(a)|b)+/`` on "ab": group 1 is unset there, "a" here);
* ``i`` is JavaScript's (:mod:`.jsfold`), except that Node 20 does not close a bare
  character subtracted in a ``v`` class (:mod:`.jsclassset`);
* properties of strings (``\\p{RGI_Emoji}``) are refused as not supported; ``v``-flag
  classes (nested, ``--``, ``&&``, ``\\q{...}``) are :mod:`.jsclassset`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NoReturn

_FLAGS = set("dgimsuvy")
_SYNTAX = set("^$\\.*+?()[]{}|")
_CONTROL = {"f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_LINE_END = "\\n\\r\\u2028\\u2029"
_WORD = "0-9A-Za-z_"
# JavaScript's WhiteSpace and LineTerminator: \s differs from Python's (\x1c-\x1f, \ufeff)
_SPACE = ("\\t\\n\\x0b\\x0c\\r\\x20\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
          "\\u205f\\u3000\\ufeff")
_SETS = {"d": "0-9", "w": _WORD, "s": _SPACE}
# the same sets as code point ranges, for case folding without u/v (see jsfold)
_SET_RANGES = {
    "d": [(0x30, 0x39)], "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "s": [(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
          (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
          (0xFEFF, 0xFEFF)],
}
_QUANT = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_HEX2, _HEX4 = re.compile(r"[0-9A-Fa-f]{2}"), re.compile(r"[0-9A-Fa-f]{4}")
_BRACED_HEX = re.compile(r"\{([0-9A-Fa-f]+)\}")
# Python's regex engine counts repetitions in 32 bits; JavaScript goes up to 2**53
_MAX_REPEAT = 2**32 - 2
_LITERAL = re.compile(r"/([^\n\r\u2028\u2029]+)/([^\n\r\u2028\u2029]*)")


class JsRegexError(ValueError):
    pass


def to_units(text: str) -> str:
    """``text`` as JavaScript sees it without u/v: characters beyond the BMP as their two
    UTF-16 surrogates."""
    if text.isascii() or max(text) < "\U00010000":
        return text
    return "".join(c if c < "\U00010000" else _pair(ord(c)) for c in text)


def _pair(cp: int) -> str:
    cp -= 0x10000
    return chr(0xD800 + (cp >> 10)) + chr(0xDC00 + (cp & 0x3FF))


def from_units(text: str | None) -> str | None:
    """Surrogate pairs joined again; a lone surrogate (half a character) stays."""
    if text is None or text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


@dataclass(frozen=True)
class JsRegex:
    compiled: Any          # a regex.Pattern (the package ships no type hints)
    global_: bool
    sticky: bool
    units: bool = False    # without u/v: match UTF-16 code units, as JavaScript does
    groups: int = 0        # JavaScript's capture groups, named g1... in the translation

    def match(self, text: str) -> list[str | None] | None:
        """What ``text.match(re)`` returns: groups (None for unset), or all matches."""
        if not self.units:
            return self._match(text)
        found = self._match(to_units(text))
        return None if found is None else [from_units(part) for part in found]

    def _match(self, text: str) -> list[str | None] | None:
        if not self.global_:
            m = self.compiled.match(text) if self.sticky else self.compiled.search(text)
            if m is None:
                return None
            return [m.group(0), *(m.group(f"g{n}") for n in range(1, self.groups + 1))]
        found: list[str | None] = []
        pos = 0
        while pos <= len(text):
            m = self.compiled.match(text, pos) if self.sticky else \
                self.compiled.search(text, pos)
            if m is None:
                break
            found.append(m.group(0))
            # an empty match moves one on, as JavaScript's lastIndex does
            pos = m.end() if m.end() > m.start() else m.end() + 1
        return found or None


def split_literal(pattern: str) -> tuple[str, str]:
    """metadata-action's ``/^\\/(.+)\\/(.*)$/`` test: (body, flags), or (pattern, "")."""
    literal = _LITERAL.fullmatch(pattern)
    return (literal.group(1), literal.group(2)) if literal else (pattern, "")


@lru_cache(maxsize=256)  # a rule's pattern is checked when parsed and used when run
def compile_js(pattern: str, allow_slashes: bool = True) -> JsRegex:
    import regex

    body, flags = split_literal(pattern) if allow_slashes else (pattern, "")
    bad = set(flags) - _FLAGS
    if bad or len(set(flags)) != len(flags) or {"u", "v"} <= set(flags):
        raise JsRegexError(f"invalid regular expression flags '{flags}'")
    parser = _Parser(body, flags)
    translated = parser.translate()
    try:
        # "i" is written out (jsfold): the regex package's folding is not JavaScript's
        compiled = regex.compile(translated)
    except (regex.error, OverflowError) as exc:  # a limit of Python's engine, not syntax
        raise JsRegexError(f"bad regular expression '{body}': {exc}")
    return JsRegex(compiled, "g" in flags, "y" in flags,
                   units=not ({"u", "v"} & set(flags)), groups=len(parser.groups))


def translate(body: str, flags: str = "") -> str:
    """The ``regex``-package pattern for JavaScript ``body`` with ``flags``."""
    return _Parser(body, flags).translate()


def _scan_groups(src: str) -> list[str | None]:
    """The capturing groups in order (their names, None when unnamed): JavaScript decides
    whether ``\\5`` is a backreference by the count of the whole pattern."""
    groups: list[str | None] = []
    i, in_class = 0, False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            if not src.startswith("?", i + 1):
                groups.append(None)
            elif src.startswith("?<", i + 1) and src[i + 3:i + 4] not in ("=", "!"):
                end = src.find(">", i + 3)
                groups.append((decode_name(src[i + 3:end]) or "") if end > 0 else "")
        i += 1
    return groups


@dataclass
class _Class:
    """A character class being built: its characters as code point ranges (a ``\\D``
    as the complement of 0-9), and its property escapes."""

    ranges: list[tuple[int, int]] = field(default_factory=list)
    props: list[str] = field(default_factory=list)

    def emit(self, negate: bool, icase: bool, unicode: bool) -> str:
        if icase:  # never with v: jsclassset writes those classes
            return folded_class(self.ranges, self.props, negate, unicode)
        from .jsfold import merge, written

        body = written(merge(self.ranges), _char) + "".join(self.props)
        if not body:
            return "[\\s\\S]" if negate else "(?!)"
        return f"[{'^' if negate else ''}{body}]"


def folded_class(ranges: list[tuple[int, int]], props: list[str], negate: bool,
                 unicode: bool, vmode: bool = False) -> str:
    """A class under the i flag: the characters and the properties' fold classes written
    out (see jsfold)."""
    from .jsfold import closure, property_pattern, written

    spans = closure(ranges, unicode)
    if spans and not props:
        return f"[{'^' if negate else ''}{written(spans, _char)}]"
    alts = ([f"[{written(spans, _char)}]"] if spans else []) + \
        [property_pattern(p, vmode) for p in props]
    if not alts:
        return "[\\s\\S]" if negate else "(?!)"
    either = "|".join(alts)
    return f"(?:(?!{either})[\\s\\S])" if negate else f"(?:{either})"


def _char(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ch
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


class _Parser:
    def __init__(self, src: str, flags: str) -> None:
        self.unicode = "u" in flags or "v" in flags
        # without u/v the pattern, as the text, is UTF-16 code units
        self.shown, self.src, self.pos = src, src if self.unicode else to_units(src), 0
        self.vmode = "v" in flags
        self.icase, self.multiline, self.dotall = "i" in flags, "m" in flags, "s" in flags
        self.groups = _scan_groups(src)
        self.names = {n: i + 1 for i, n in enumerate(self.groups) if n}
        # with named groups (or u/v), \k must be a reference; otherwise it is a "k"
        self.strict_k = self.unicode or bool(self.names)
        self.opened = 0
        self.closed: set[int] = set()
        self.seen_names: set[str] = set()
        # whether what was parsed last can match the empty string; lookbehinds open (the
        # regex package matches them right to left); the empty-repetition checks written
        self.nullable = False
        self.behind = 0
        self.checks = 0

    def translate(self) -> str:
        out = self.disjunction()
        if self.pos < len(self.src):  # only a ')' stops the top level early
            self.fail("unmatched ')'")
        return out

    # -- helpers -----------------------------------------------------------------------

    def fail(self, reason: str, at: int | None = None) -> NoReturn:
        where = self.pos if at is None else at
        raise JsRegexError(f"bad regular expression '{self.shown}': {reason} at position "
                           f"{where}")

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def eat(self, text: str) -> bool:
        if self.src.startswith(text, self.pos):
            self.pos += len(text)
            return True
        return False

    # -- structure ---------------------------------------------------------------------

    def disjunction(self) -> str:
        alts = [self.alternative()]
        empty = self.nullable
        while self.eat("|"):
            alts.append(self.alternative())
            empty = empty or self.nullable
        self.nullable = empty
        return "|".join(alts)

    def alternative(self) -> str:
        parts: list[str] = []
        empty = True
        while self.pos < len(self.src) and self.peek() not in "|)":
            parts.append(self.term())
            empty = empty and self.nullable
        self.nullable = empty
        return "".join(parts)

    def term(self) -> str:
        start = self.pos
        assertion = self.assertion()
        if assertion is not None:
            text, quantifiable = assertion
            self.nullable = True
            if self.at_quantifier():
                if not quantifiable:
                    self.fail("nothing to repeat")
                return self.quantified_assertion(text)
            return text
        self.nullable = False
        atom = self.atom(start)
        empty = self.nullable
        quantifier = self.quantifier()
        if quantifier is None:
            self.nullable = empty
            return atom
        low, high, lazy = quantifier
        self.nullable = empty or low == 0
        if empty:
            return self.checked_repeat(atom, low, high, lazy)
        return f"{atom}{{{low},{'' if high is None else high}}}{'?' if lazy else ''}"

    def checked_repeat(self, atom: str, low: int, high: int | None, lazy: bool) -> str:
        """A repeated atom that can match empty: JavaScript rejects a repetition that
        matches empty once ``low`` are done. Each such one starts by capturing the rest of
        the text, and may not end where that rest is still all there is."""
        self.checks += 1
        rest = f"_e{self.checks}"
        if self.behind:
            # a lookbehind is matched leftwards: the check runs from the right end
            once = f"(?<!^(?P={rest})){atom}(?<=^(?P<{rest}>[\\s\\S]*))"
        else:
            once = f"(?=(?P<{rest}>[\\s\\S]*)){atom}(?!(?P={rest})(?![\\s\\S]))"
        head = f"(?:{atom}){{{low}}}" if low else ""  # a group repeated keeps its name
        if high is not None and high == low:
            return head or "(?:)"
        more = "" if high is None else high - low
        tail = f"(?:{once}){{0,{more}}}{'?' if lazy else ''}"
        # leftwards, the first repetitions matched are the rightmost ones
        return tail + head if self.behind else head + tail

    def at_quantifier(self) -> bool:
        ch = self.peek()
        return ch in ("*", "+", "?") or (ch == "{" and _QUANT.match(self.src, self.pos)
                                         is not None)

    def quantified_assertion(self, text: str) -> str:
        """Annex B lets a lookahead be repeated: at least once is the lookahead, zero
        times is nothing (its groups stay unset)."""
        low = self.quantifier_bounds()[0]
        self.eat("?")
        return text if low else f"(?:{text}){{0}}"

    def assertion(self) -> tuple[str, bool] | None:
        if self.eat("^"):
            return (f"(?<![^{_LINE_END}])" if self.multiline else "(?<![\\s\\S])"), False
        if self.eat("$"):
            return (f"(?![^{_LINE_END}])" if self.multiline else "(?![\\s\\S])"), False
        if self.eat("\\b"):
            word = self.word_chars()
            return f"(?:(?<=[{word}])(?![{word}])|(?<![{word}])(?=[{word}]))", False
        if self.eat("\\B"):
            word = self.word_chars()
            return f"(?:(?<=[{word}])(?=[{word}])|(?<![{word}])(?![{word}]))", False
        for opener, quantifiable in (("(?=", True), ("(?!", True), ("(?<=", False),
                                     ("(?<!", False)):
            start = self.pos
            if self.eat(opener):
                behind = opener.startswith("(?<")
                self.behind += behind
                inner = self.disjunction()
                self.behind -= behind
                self.close_group(start)
                return f"{opener}{inner})", quantifiable and not self.unicode
        return None

    def literal(self, cp: int) -> str:
        """One character; without u/v under i, every character JavaScript takes for it."""
        if not self.icase:
            return _char(cp)
        from .jsfold import closure, written

        spans = closure([(cp, cp)], self.unicode)
        return _char(cp) if spans == [(cp, cp)] else f"[{written(spans, _char)}]"

    def word_chars(self) -> str:
        """JavaScript's word characters: with i and u/v, also the two that fold into
        ASCII letters (U+017F long s, U+212A Kelvin sign). \\b tests them as they are."""
        return _WORD + ("\\u017f\\u212a" if self.icase and self.unicode else "")

    def set_ranges(self, letter: str) -> list[tuple[int, int]]:
        """``\\d``, ``\\w`` or ``\\s`` as code point ranges (``\\w`` as word_chars)."""
        ranges = list(_SET_RANGES[letter])
        if letter == "w" and self.icase and self.unicode:
            ranges += [(0x17F, 0x17F), (0x212A, 0x212A)]
        return ranges

    def word_set(self, negated: bool) -> str:
        """``\\w`` / ``\\W`` outside a class: closed under JavaScript's folding already."""
        return f"[{'^' if negated else ''}{self.word_chars()}]"

    def close_group(self, start: int) -> None:
        if not self.eat(")"):
            self.fail("missing ), unterminated subpattern", start)

    def atom(self, start: int) -> str:
        ch = self.peek()
        if ch == "(":
            return self.group()
        if ch in ("*", "+", "?") or self.at_quantifier():
            self.fail("nothing to repeat")
        if ch in ("{", "}", "]"):
            if self.unicode:
                self.fail("lone quantifier brackets")
            self.pos += 1
            return self.literal(ord(ch))
        if ch == "[":
            return self.char_class()
        if ch == ".":
            self.pos += 1
            return "[\\s\\S]" if self.dotall else f"[^{_LINE_END}]"
        if ch == "\\":
            return self.atom_escape()
        self.pos += 1
        return self.literal(ord(ch))

    def group(self) -> str:
        start = self.pos
        if self.eat("(?:"):
            inner = self.disjunction()
            self.close_group(start)
            return f"(?:{inner})"
        if self.eat("(?<"):
            self.group_name(define=True)
        elif self.src.startswith("(?", self.pos):
            self.fail("invalid group")
        else:
            self.pos += 1
        self.opened += 1
        number = self.opened
        inner = self.disjunction()
        self.close_group(start)
        self.closed.add(number)
        # named, so that a group written twice (checked_repeat) stays one group
        return f"(?P<g{number}>{inner})"

    def group_name(self, define: bool) -> str:
        """The name up to ``>`` (``self.pos`` just after ``<``); ``define``: a group's."""
        start = self.pos
        close = self.src.find(">", self.pos)
        name = decode_name(self.src[self.pos:close]) if close >= 0 else None
        if name is None:
            self.fail("invalid capture group name", start)
        self.pos = close + 1
        if define:
            if name in self.seen_names:
                self.fail("duplicate capture group name", start)
            self.seen_names.add(name)
        return name

    def quantifier(self) -> tuple[int, int | None, bool] | None:
        """(least, most or None, lazy) of the quantifier here, None without one."""
        ch = self.peek()
        if ch == "{" and _QUANT.match(self.src, self.pos) is None:
            if self.unicode:
                self.fail("incomplete quantifier")
            return None  # Annex B: a "{" that starts no quantifier is a literal
        if ch not in ("*", "+", "?", "{"):
            return None
        low, high = self.quantifier_bounds()
        return low, high, self.eat("?")

    def quantifier_bounds(self) -> tuple[int, int | None]:
        """Reads ``*``, ``+``, ``?`` or ``{n,m}`` (not the lazy ``?`` after it)."""
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.pos += 1
            return (1 if ch == "+" else 0), (1 if ch == "?" else None)
        bounds = _QUANT.match(self.src, self.pos)
        if bounds is None:
            self.fail("incomplete quantifier")
        assert bounds is not None
        low = int(bounds.group(1))
        high = low if bounds.group(2) is None else \
            (int(bounds.group(3)) if bounds.group(3) else None)
        if high is not None and high < low:
            self.fail("numbers out of order in {} quantifier")
        if low > _MAX_REPEAT or (high or 0) > _MAX_REPEAT:
            self.fail(f"repetition count above {_MAX_REPEAT} (ghbuild's limit)")
        self.pos = bounds.end()
        return low, high

    # -- escapes -----------------------------------------------------------------------

    def atom_escape(self) -> str:
        start = self.pos
        nxt = self.peek(1)
        if not nxt:
            self.fail("\\ at end of pattern")
        if nxt in "123456789":
            return self.decimal_escape(start)
        if nxt == "k" and self.strict_k:
            self.pos += 2
            if not self.eat("<"):
                self.fail("invalid named reference", start)
            name = self.group_name(define=False)
            if name not in self.names:
                self.fail("invalid named capture referenced", start)
            return self.backreference(self.names[name])
        if nxt in "wW":
            self.pos += 2
            return self.word_set(nxt == "W")
        if nxt in "dDsS":
            self.pos += 2
            body = _SETS[nxt.lower()]
            return f"[{body}]" if nxt.islower() else f"[^{body}]"
        if nxt in "pP" and self.unicode:
            prop = self.property_escape()
            if not self.icase:
                return prop
            from .jsfold import property_pattern

            return property_pattern(prop, self.vmode)
        return self.literal(self.character_escape(in_class=False))

    def backreference(self, number: int) -> str:
        # JavaScript: a group that has not matched (or not closed yet) matches empty
        self.nullable = True
        if number not in self.closed:
            return "(?:)"
        ref = f"(?(g{number})(?P=g{number})|)"
        return f"(?i:{ref})" if self.icase else ref

    def decimal_escape(self, start: int) -> str:
        digits = re.match(r"[0-9]+", self.src[self.pos + 1:])
        assert digits is not None
        number = int(digits.group(0))
        if number <= len(self.groups):
            self.pos += 1 + len(digits.group(0))
            return self.backreference(number)
        if self.unicode:
            self.fail("invalid escape", start)
        return self.literal(self.legacy_escape())

    def legacy_escape(self) -> int:
        """Annex B: ``\\8`` is "8"; ``\\1``-``\\7`` and ``\\0`` + digits are octal."""
        self.pos += 1
        first = self.peek()
        if first in "89":
            self.pos += 1
            return ord(first)
        width = 3 if first in "0123" else 2
        octal = re.match(f"[0-7]{{1,{width}}}", self.src[self.pos:])
        assert octal is not None
        self.pos += len(octal.group(0))
        return int(octal.group(0), 8)

    def character_escape(self, in_class: bool) -> int:
        """One escaped character (``self.pos`` at the backslash); its code point."""
        start = self.pos
        nxt = self.peek(1)
        if nxt in _CONTROL:
            self.pos += 2
            return ord(_CONTROL[nxt])
        if nxt == "c":
            letter = self.peek(2)
            if letter.isascii() and (letter.isalpha() or
                                     (in_class and not self.unicode and
                                      (letter.isdigit() or letter == "_"))):
                self.pos += 3
                return ord(letter) % 32
            if self.unicode:
                self.fail("invalid unicode escape", start)
            self.pos += 1  # Annex B: the backslash stands for itself, "c" follows
            return ord("\\")
        if nxt == "0" and not self.peek(2).isdigit():
            self.pos += 2
            return 0
        if nxt.isdigit():
            if self.unicode:
                self.fail("invalid class escape" if in_class else "invalid decimal escape",
                          start)
            return self.legacy_escape()
        if nxt == "x":
            hexa = _HEX2.match(self.src, self.pos + 2)
            if hexa:
                self.pos = hexa.end()
                return int(hexa.group(0), 16)
        elif nxt == "u":
            cp = self.unicode_escape()
            if cp is not None:
                return cp
        if self.unicode:
            if nxt in _SYNTAX or nxt == "/" or (in_class and nxt == "-"):
                self.pos += 2
                return ord(nxt)
            self.fail("invalid escape", start)
        if nxt == "k" and self.strict_k:
            self.fail("invalid named reference", start)
        self.pos += 2  # Annex B identity escape
        return ord(nxt)

    def unicode_escape(self) -> int | None:
        """``\\uXXXX`` (with u/v a surrogate pair joined), ``\\u{X}`` with u/v; None if
        neither."""
        at = self.pos + 2
        if self.unicode and self.src.startswith("{", at):
            braced = _BRACED_HEX.match(self.src, at)
            if not braced or int(braced.group(1), 16) > 0x10FFFF:
                self.fail("invalid Unicode escape")
            assert braced is not None
            self.pos = braced.end()
            return int(braced.group(1), 16)
        hexa = _HEX4.match(self.src, at)
        if not hexa:
            if self.unicode:
                self.fail("invalid Unicode escape")
            return None
        cp = int(hexa.group(0), 16)
        self.pos = hexa.end()
        low = _HEX4.match(self.src, self.pos + 2) if self.src.startswith("\\u", self.pos) \
            else None
        if self.unicode and 0xD800 <= cp < 0xDC00 and low and \
                0xDC00 <= int(low.group(0), 16) < 0xE000:
            self.pos = low.end()
            return 0x10000 + ((cp - 0xD800) << 10) + (int(low.group(0), 16) - 0xDC00)
        return cp

    def property_escape(self) -> str:
        from .jsprops import PropertyError, python_property

        start = self.pos
        negated = self.peek(1) == "P"
        self.pos += 2
        close = self.src.find("}", self.pos)
        if not self.eat("{") or close < 0:
            self.fail("invalid property name", start)
        text = self.src[self.pos:close]
        self.pos = close + 1
        try:
            prop = python_property(text, self.vmode)
        except PropertyError as exc:
            self.fail(str(exc), start)
        return f"\\{'P' if negated else 'p'}{{{prop}}}"

    # -- classes -----------------------------------------------------------------------

    def char_class(self) -> str:
        if self.vmode:
            from .jsclassset import class_set

            return class_set(self)
        start = self.pos
        self.pos += 1
        negate = self.eat("^")
        cls = _Class()
        while True:
            if self.pos >= len(self.src):
                self.fail("unterminated character class", start)
            if self.eat("]"):
                return cls.emit(negate, self.icase, self.unicode)
            self.class_item(cls)

    def class_item(self, cls: _Class) -> None:
        low = self.class_atom(cls)
        if self.peek() != "-" or self.peek(1) in ("]", ""):
            if low is not None:
                cls.ranges.append((low, low))
            return
        dash = self.pos
        self.pos += 1
        high = self.class_atom(cls)
        if low is None or high is None:
            if self.unicode:
                self.fail("invalid character class", dash)
            # Annex B: [\d-z] is \d, "-" and z
            cls.ranges.extend((c, c) for c in (low, ord("-"), high) if c is not None)
            return
        if high < low:
            self.fail("range out of order in character class", dash)
        cls.ranges.append((low, high))

    def class_atom(self, cls: _Class) -> int | None:
        """One class member: a code point, or None after adding a set to ``cls``."""
        ch = self.peek()
        if ch != "\\":
            self.pos += 1
            return ord(ch)
        nxt = self.peek(1)
        if not nxt:
            self.fail("\\ at end of pattern")
        if nxt in "dDwWsS":
            self.pos += 2
            ranges = self.set_ranges(nxt.lower())
            if nxt.islower():
                cls.ranges.extend(ranges)
            else:
                from .jsfold import complement

                cls.ranges.extend(complement(ranges))
            return None
        if nxt in "pP" and self.unicode:
            cls.props.append(self.property_escape())
            return None
        if nxt == "b":
            self.pos += 2
            return 8
        if nxt == "-" and self.unicode:
            self.pos += 2
            return ord("-")
        return self.character_escape(in_class=True)


_NAME_ESCAPE = re.compile(r"\\u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})")


def decode_name(raw: str) -> str | None:
    """A group name with its ``\\uXXXX`` / ``\\u{X}`` escapes (a surrogate pair joined)
    read; None when JavaScript would not take it as a RegExpIdentifierName."""
    units: list[int] = []
    pos = 0
    for m in _NAME_ESCAPE.finditer(raw):
        units += [ord(c) for c in raw[pos:m.start()]]
        units.append(int(m.group(1) or m.group(2), 16))
        pos = m.end()
    units += [ord(c) for c in raw[pos:]]
    chars: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if 0xD800 <= unit < 0xDC00 and i + 1 < len(units) and 0xDC00 <= units[i + 1] < 0xE000:
            unit = 0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00)
            i += 1
        if unit > 0x10FFFF or 0xD800 <= unit < 0xE000:
            return None
        chars.append(chr(unit))
        i += 1
    name = "".join(chars)
    return name if "\\" not in name and _valid_name(name) else None


def _valid_name(name: str) -> bool:
    """JavaScript's RegExpIdentifierName, escapes already read."""
    if not name or not (name[0] in "$_" or name[0].isidentifier()):
        return False
    return all(c in "$\u200c\u200d" or f"a{c}".isidentifier() for c in name[1:])
