"""The quick way to read the config file: libyaml, where it is sure to agree with ruamel.yaml.

:mod:`ghbuild.config` reads the file with ruamel.yaml's round-trip loader, which keeps
every line and column for error messages but is pure Python: a 50-image file took
about 25 ms per pass, and it needed two passes (one for duplicate keys). libyaml, the
C parser behind PyYAML, composes the same file in about 1 ms.

The catch is that libyaml resolves plain scalars by YAML 1.1 and ruamel.yaml by YAML
1.2: ``on`` is true for one and text for the other, ``0o17`` and ``1e3`` are text for
one and numbers for the other, ``012`` is 10 or 12. So :func:`read` vouches for a file
only when every node means the same under both: mappings with text keys, each key
once; lists; text, ``true``/``false``, null, and plain decimal integers. Anything else
(another number form, text that could be read as a number or date, an anchor or
alias, a merge key, an explicit tag, a ``%`` directive, a tab, a syntax error) gives
None and
the caller takes the round-trip path. That path also reports every error, so this
module never raises one of its own and never changes a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Without the C extension PyYAML's pure-Python parser is no quicker than ruamel.yaml's.
_LOADER: Any = getattr(yaml, "CSafeLoader", None)

_TAG = "tag:yaml.org,2002:"
_STR, _BOOL, _NULL, _INT = (_TAG + t for t in ("str", "bool", "null", "int"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
# The texts YAML 1.1 and 1.2 both read as booleans and as null.
_BOOLS = {"true": True, "True": True, "TRUE": True,
          "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# YAML 1.2 numbers and dates (in every form ruamel.yaml knows: hex, octal, binary,
# ".inf", ".nan", timestamps) start with one of these and use no other characters, so
# text with any other one (a "/", a "w") is text to both loaders.
_NUMBER_START = frozenset("+-.0123456789")
_NUMBER_CHARS = frozenset("0123456789+-._: abcdefABCDEFxXoOiInNTtZz")
# libyaml takes block headers ruamel.yaml refuses, such as ">#" with no space before "#".
_BLOCK_HEADER = re.compile(r"[|>](?:[-+][1-9]?|[1-9][-+]?)?(?:[ ]+#.*|[ ]*)$")


@dataclass(frozen=True)
class Parsed:
    data: Any
    # 1-based line of each entry of the top-level ``images`` list (ruamel's ``lc.line + 1``)
    image_lines: tuple[int, ...]


def available() -> bool:
    return _LOADER is not None


def read(text: str) -> Parsed | None:
    """The file's data, or None when the round-trip loader must decide."""
    # ruamel.yaml refuses some tabs that libyaml takes as spaces (one after a value).
    if _LOADER is None or text.lstrip().startswith("%") or "\n%" in text or "\t" in text:
        return None
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None or not _agrees(root, set(), text.split("\n")):
            return None
        data = loader.construct_document(root)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return Parsed(data, _image_lines(root))


def _agrees(node: Node, seen: set[int], lines: list[str]) -> bool:
    """Whether ``node`` and everything under it reads the same under YAML 1.1 and 1.2."""
    if id(node) in seen:  # an alias: ruamel keeps anchors its own way; let it decide
        return False
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        return _scalar_agrees(node, lines)
    if isinstance(node, SequenceNode):
        return node.tag == _SEQ and all(_agrees(item, seen, lines) for item in node.value)
    if isinstance(node, MappingNode):
        return node.tag == _MAP and _mapping_agrees(node, seen, lines)
    return False


def _mapping_agrees(node: MappingNode, seen: set[int], lines: list[str]) -> bool:
    keys: set[str] = set()
    for key, value in node.value:
        # A duplicate is an error the round-trip path reports with both lines.
        if not isinstance(key, ScalarNode) or key.tag != _STR or key.value in keys:
            return False
        keys.add(key.value)
        if not (_agrees(key, seen, lines) and _agrees(value, seen, lines)):
            return False
    return True


def _scalar_agrees(node: ScalarNode, lines: list[str]) -> bool:
    tag, text = node.tag, node.value
    if node.style in ("|", ">"):
        mark = node.start_mark
        header = lines[mark.line][mark.column:] if mark.line < len(lines) else ""
        return tag == _STR and _BLOCK_HEADER.match(header) is not None
    if node.style:  # quoted: text under both, unless tagged ("" is plain in libyaml)
        return tag == _STR
    if tag == _STR:
        return not (text in _BOOLS or text in _NULLS or _number_like(text)
                    or _indicator_like(text))
    if tag == _BOOL:
        return text in _BOOLS
    if tag == _NULL:
        return text in _NULLS
    if tag == _INT:
        return _DECIMAL.fullmatch(text) is not None
    return False  # floats, dates, merge keys, binary, sets and the like


# Plain text that starts with a YAML indicator, or holds ": " or " #", is where YAML 1.1
# (libyaml) and 1.2 (ruamel.yaml) plain-scalar rules part: `:: &0:0` is a key ':' to
# one and an error to the other. Such text is rare in a config file; let ruamel.yaml read it.
# A leading "-" followed by text (`-web`) is plain in both and common in flavors.
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`")


def _indicator_like(text: str) -> bool:
    return (text[:1] in _INDICATORS or text == "-" or text.startswith("- ")
            or ": " in text or " #" in text or text.endswith(":"))


def _number_like(text: str) -> bool:
    return text[:1] in _NUMBER_START and set(text) <= _NUMBER_CHARS


def _image_lines(root: Node) -> tuple[int, ...]:
    if not isinstance(root, MappingNode):
        return ()
    for key, value in root.value:
        if key.value == "images" and isinstance(value, SequenceNode):
            return tuple(item.start_mark.line + 1 for item in value.value)
    return ()
