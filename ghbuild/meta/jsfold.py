"""JavaScript's ``i`` flag, done exactly: which characters a literal or a class matches.

JavaScript compares characters by ``Canonicalize``: without ``u``/``v`` the character's
``toUpperCase`` when that is one UTF-16 unit and does not turn a non-ASCII character into
ASCII (so ``/s/i`` does not match ``ſ``, nor ``/k/i`` the Kelvin sign); with ``u``/``v``
Unicode simple case folding (``İ`` and ``ı`` fold to themselves, not to ``i``). The
``regex`` package's ``IGNORECASE`` follows neither exactly, so ghbuild compiles without it
and writes each literal and class as the set of characters JavaScript accepts for it. The
classes of characters that stand for one another were recorded from Node
(:mod:`._jsfold_data`); a class is closed by adding every class it touches. Property
escapes (``\\p{...}``) have no tables here: they keep ``IGNORECASE`` in a scoped group.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

_MAX = 0x10FFFF


@lru_cache(maxsize=2)
def _classes(unicode: bool) -> tuple[tuple[int, ...], ...]:
    from ._jsfold_data import LEGACY, UNICODE

    return UNICODE if unicode else LEGACY


def closure(ranges: Iterable[tuple[int, int]], unicode: bool) -> list[tuple[int, int]]:
    """``ranges`` with every character JavaScript's ``i`` takes for one of them."""
    spans = merge(ranges)
    starts = [low for low, _ in spans]

    def inside(cp: int) -> bool:
        i = bisect_right(starts, cp) - 1
        return i >= 0 and spans[i][1] >= cp

    extra = [(cp, cp) for group in _classes(unicode) if any(inside(cp) for cp in group)
             for cp in group]
    return merge([*spans, *extra]) if extra else spans


def merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def complement(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 0
    for low, high in merge(ranges):
        if low > nxt:
            out.append((nxt, low - 1))
        nxt = high + 1
    if nxt <= _MAX:
        out.append((nxt, _MAX))
    return out


def written(spans: Sequence[tuple[int, int]], char: Callable[[int], str]) -> str:
    """The body of a ``[...]`` for ``spans``; ``char`` writes one code point."""
    return "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in spans)


@lru_cache(maxsize=64)
def property_pattern(escape: str, vmode: bool) -> str:
    """``\\p{...}`` / ``\\P{...}`` (the regex package's spelling) under JavaScript's ``i``,
    which has u or v: the property, plus the fold classes it touches. With u, ``\\P{X}`` is
    closed after complementing (``/\\P{Lu}/iu`` matches ``A``, whose ``a`` is not Lu); with
    v, before."""
    import regex

    from .jsregex import _char

    positive = regex.compile("\\p" + escape[2:])
    groups = _classes(True)
    if escape.startswith("\\p") or vmode:
        touching = merge((cp, cp) for group in groups
                         if any(positive.match(chr(cp)) for cp in group) for cp in group)
        either = f"\\p{escape[2:]}" + (f"|[{written(touching, _char)}]" if touching else "")
        return f"(?:{either})" if escape.startswith("\\p") else f"(?:(?!{either})[\\s\\S])"
    # u: a character matches \P{X} when it or a character of its fold class is not X
    outside = merge((cp, cp) for group in groups
                    if not all(positive.match(chr(cp)) for cp in group) for cp in group)
    return f"(?:{escape}" + (f"|[{written(outside, _char)}]" if outside else "") + ")"


@lru_cache(maxsize=2)
def _representatives(unicode: bool) -> dict[int, int]:
    return {cp: group[0] for group in _classes(unicode) for cp in group}


def fold_key(text: str, unicode: bool) -> str:
    """``text`` with each character replaced by the first of its fold class: two strings
    JavaScript's ``i`` takes for one another get the same key."""
    reps = _representatives(unicode)
    return "".join(chr(reps.get(ord(c), ord(c))) for c in text)
