"""``\\p{...}`` in JavaScript regexes: which names are valid, and how ``regex`` spells them.

JavaScript is strict where the ``regex`` package is lenient (it ignores case, spaces and
underscores, and knows more properties): ``\\p{letter}`` or ``\\p{Script=latin}`` is a
SyntaxError in JavaScript, so names are checked, case-sensitively, against the tables
recorded from Node (:mod:`._jsprops_data`) before ``regex`` sees them.
"""

from __future__ import annotations

from ._jsprops_data import BINARY, GC, GC_NAMES, SCRIPT, SCRIPT_NAMES, STRINGS

# valid in JavaScript, unknown to the regex package
_UNSUPPORTED = frozenset({"CWKCF", "Changes_When_NFKC_Casefolded"})


class PropertyError(ValueError):
    pass


def python_property(text: str, vmode: bool) -> str:
    """The ``regex`` spelling of JavaScript's ``\\p{text}``; PropertyError if invalid."""
    name, eq, value = text.partition("=")
    if eq:
        if name in GC_NAMES and value in GC:
            return f"gc={value}"
        if name in SCRIPT_NAMES and value in SCRIPT:
            extensions = name in ("Script_Extensions", "scx")
            return f"{'scx' if extensions else 'sc'}={value}"
        raise PropertyError(f"invalid property name '{text}'")
    if name in GC:
        return f"gc={name}"
    if name in _UNSUPPORTED:
        raise PropertyError(f"the property '{name}' is not supported by ghbuild")
    if name in BINARY:
        return name
    if name in STRINGS and vmode:
        raise PropertyError(f"properties of strings ('{name}') are not supported by ghbuild")
    raise PropertyError(f"invalid property name '{text}'")
