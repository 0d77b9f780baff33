"""Case-insensitive matching of JavaScript regexes without ``u``/``v``, done exactly.

There JavaScript compares characters by ``Canonicalize``: the character's ``toUpperCase``
when that is one UTF-16 unit and does not turn a non-ASCII character into ASCII, else the
character itself. So ``/s/i`` does not match ``ſ`` and ``/k/i`` not the Kelvin sign,
where Unicode case folding (the ``regex`` package's ``IGNORECASE``) matches both. Without
``u``/``v`` ghbuild therefore compiles without ``IGNORECASE`` and writes each literal and
class as the explicit set of characters JavaScript would accept. Characters beyond the
BMP are surrogate pairs to JavaScript, whose units canonicalize to themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

_BMP = 0x10000
_MAX = 0x10FFFF


@lru_cache(maxsize=1)
def _tables() -> tuple[list[int], dict[int, list[int]]]:
    """(canonical unit of each BMP unit, the units of each canonical value)."""
    uppers = [chr(cp).upper() for cp in range(_BMP)]
    canon = [ord(u) if len(u) == 1 and (cp < 128 or ord(u) >= 128) else cp
             for cp, u in enumerate(uppers)]
    # the units that canonicalize to another value (the value itself joins when it is
    # its own canonical form); every other unit matches only itself
    members: dict[int, list[int]] = {}
    for cp, value in enumerate(canon):
        if value != cp:
            members.setdefault(value, [value] if canon[value] == value else []).append(cp)
    return canon, members


def closure(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every character that JavaScript's ``i`` matches against the set ``ranges``."""
    canon, members = _tables()
    out: set[int] = set()
    astral: list[tuple[int, int]] = []
    for low, high in ranges:
        if high >= _BMP:
            astral.append((max(low, _BMP), high))
        for cp in range(low, min(high, _BMP - 1) + 1):
            out.add(cp)
            out.update(members.get(canon[cp], ()))
    return merge(sorted(out), astral)


def merge(points: list[int], extra: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cp in points:
        if spans and spans[-1][1] + 1 == cp:
            spans[-1] = (spans[-1][0], cp)
        else:
            spans.append((cp, cp))
    return spans + extra


def complement(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 0
    for low, high in sorted(ranges):
        if low > nxt:
            out.append((nxt, low - 1))
        nxt = max(nxt, high + 1)
    if nxt <= _MAX:
        out.append((nxt, _MAX))
    return out
