"""JavaScript regular expressions (``type=match`` patterns) run with Python's :mod:`re`.

metadata-action evaluates ``pattern`` with ``String.prototype.match``: a plain pattern
is ``new RegExp(pattern)``; ``/body/flags`` uses the flags. The translation covers what
differs for patterns people write: named groups ``(?<n>...)`` and ``\\k<n>``; ``\\d``,
``\\w`` and ``\\b`` are ASCII-only while case-insensitive matching is Unicode; ``$``
matches only at the very end; the flags ``i m s u g y``. With ``g`` the match is the
list of all whole matches (so ``group=1`` is the second match), as in JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_JS_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_WORD = "A-Za-z0-9_"
_ASCII_CLASSES = {  # escape: (outside a class, inside a class)
    "d": ("[0-9]", "0-9"), "D": ("[^0-9]", "\\D"),
    "w": (f"[{_WORD}]", _WORD), "W": (f"[^{_WORD}]", "\\W"),
    "b": (f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))", "\\b"),
    "B": (f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))", "\\B"),
}


class JsRegexError(ValueError):
    pass


@dataclass(frozen=True)
class JsRegex:
    compiled: re.Pattern[str]
    global_: bool
    sticky: bool

    def match(self, text: str) -> list[str | None] | None:
        """What ``text.match(re)`` returns: groups (None for unset), or all matches."""
        if self.global_:
            found = [m.group(0) for m in self.compiled.finditer(text)]
            return list(found) if found else None
        m = self.compiled.match(text) if self.sticky else self.compiled.search(text)
        if not m:
            return None
        return [m.group(0), *m.groups()]


def compile_js(pattern: str, allow_slashes: bool = True) -> JsRegex:
    flags = ""
    body = pattern
    if allow_slashes:
        literal = re.fullmatch(r"/(.+)/(.*)", pattern, re.DOTALL)
        if literal:
            body, flags = literal.group(1), literal.group(2)
    bad = set(flags) - set("dgimsuyv")
    if bad or len(set(flags)) != len(flags):
        raise JsRegexError(f"invalid regular expression flags '{flags}'")
    py_flags = 0
    for f in flags:
        py_flags |= _JS_FLAGS.get(f, 0)
    try:
        compiled = re.compile(_translate(body, "m" in flags), py_flags)
    except re.error as exc:
        raise JsRegexError(f"bad regular expression {body!r}: {exc}")
    return JsRegex(compiled, "g" in flags, "y" in flags)


def _translate(body: str, multiline: bool) -> str:
    out: list[str] = []
    i, size = 0, len(body)
    in_class = False
    while i < size:
        ch = body[i]
        if ch == "\\" and i + 1 < size:
            nxt = body[i + 1]
            if nxt == "k" and body.startswith("<", i + 2):
                end = body.find(">", i + 3)
                if end > 0:
                    out.append(f"(?P={body[i + 3:end]})")
                    i = end + 1
                    continue
            if nxt in _ASCII_CLASSES:
                # JavaScript's \d, \w and \b are ASCII; Python's are Unicode
                out.append(_ASCII_CLASSES[nxt][1 if in_class else 0])
            elif nxt == "/":
                out.append("/")
            else:
                out.append(body[i:i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            if body.startswith("[^]", i):
                out.append(r"[\s\S]")
                in_class = False
                i += 3
                continue
            out.append(ch)
            i += 1
            continue
        if body.startswith("(?<", i) and not body.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        if ch == "$" and not multiline:
            out.append(r"\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)
