"""List inputs the way docker/metadata-action reads them, and the CSV fields of one item.

A list input (``tags``, ``labels``, ...) is a CSV document: records end at a newline,
fields are separated by commas, a field that starts with ``"`` is quoted (it may hold
commas and newlines, ``""`` is a literal quote) and a quote anywhere else is an
ordinary character ("relaxed" quoting). metadata-action joins the fields of a record
back with commas, so one record is one item. Two deliberate differences, both so that
what the user wrote survives:

* a record with several fields keeps its source text, quotes included, so that
  ``type=match,"pattern=\\d{1,2}"`` reaches the tag parser with the comma protected
  (metadata-action drops the quotes at this step and then splits the pattern);
* a line is a comment only when its first non-blank character is ``#``; a ``#``
  anywhere else is data (``pattern=mkdocs#(.*)``, a URL's ``#readme``).

Each item carries the line it starts on, so errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class ListItem:
    text: str
    line: int  # 1-based line of the multi-line input where the item starts


def parse_list(text: str | None, name: str) -> tuple[ListItem, ...]:
    """Split a list input into trimmed, non-empty items with their line numbers."""
    if not text:
        return ()
    items: list[ListItem] = []
    pos, line, size = 0, 1, len(text)
    while pos < size:
        end_of_line = _line_end(text, pos)
        if text[pos:end_of_line].strip() == "" or text[pos:end_of_line].lstrip().startswith("#"):
            pos, line = _next_line(text, end_of_line, line)
            continue
        fields, quoted, end = _read_record(text, pos, name, line)
        raw = text[pos:end]
        value = raw if len(fields) > 1 and quoted else ",".join(fields)
        value = value.strip()
        if value:
            items.append(ListItem(value, line))
        line += text.count("\n", pos, end)
        pos, line = _next_line(text, end, line)
    return tuple(items)


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def _next_line(text: str, end: int, line: int) -> tuple[int, int]:
    """Position after the record delimiter at ``end`` (``\\n`` or ``\\r\\n``)."""
    if end < len(text) and text[end] == "\n":
        return end + 1, line + 1
    return end, line


def _read_record(text: str, pos: int, name: str, line: int) -> tuple[list[str], bool, int]:
    """Read one relaxed-quote CSV record; returns fields, whether any was quoted, end."""
    fields: list[str] = []
    field: list[str] = []
    quoted_any = False
    size = len(text)
    while True:
        if pos < size and text[pos] == '"' and not field:
            value, pos = _read_quoted(text, pos, name, line)
            field.append(value)
            quoted_any = True
        while pos < size and text[pos] not in ",\n":
            field.append(text[pos])
            pos += 1
        fields.append("".join(field).removesuffix("\r"))
        field = []
        if pos < size and text[pos] == ",":
            pos += 1
            continue
        return fields, quoted_any, pos


def _read_quoted(text: str, pos: int, name: str, line: int) -> tuple[str, int]:
    """Read a quoted field starting at the opening quote; returns its value and the
    position after the closing quote. A quote followed by anything but a delimiter is
    kept as text (relaxed quoting)."""
    value, close = _quoted_body(text, pos)
    if close < 0:
        raise InputError(f"input '{name}' line {line}: unclosed quote in "
                         f"{_excerpt(text[text.rfind(chr(10)) + 1:])!s}")
    if _ends_field(text, close + 1):
        return value, close + 1
    # relaxed: the quote did not close the field; both quotes stay as text
    return '"' + value + '"', close + 1


def split_fields(item: ListItem, name: str) -> list[str]:
    """The CSV fields of one item (strict quoting, as metadata-action parses a tag,
    flavor or image entry): a quote may only open a field and must close it."""
    text = item.text
    fields: list[str] = []
    pos, size = 0, len(text)
    while True:
        if pos < size and text[pos] == '"':
            value, pos = _strict_quoted(text, pos, item, name)
            fields.append(value)
        else:
            start = pos
            while pos < size and text[pos] not in ',"\n':
                pos += 1
            if pos < size and text[pos] == '"':
                raise InputError(f"input '{name}' line {item.line}: a quote inside a field "
                                 f"in {_excerpt(text)} (quote the whole field: "
                                 f"\"key=value\")")
            fields.append(text[start:pos].removesuffix("\r"))
        if pos < size and text[pos] == ",":
            pos += 1
            continue
        # only the first record counts, as in metadata-action
        return fields


def _strict_quoted(text: str, pos: int, item: ListItem, name: str) -> tuple[str, int]:
    value, close = _quoted_body(text, pos)
    if close < 0:
        raise InputError(f"input '{name}' line {item.line}: unclosed quote in {_excerpt(text)}")
    if not _ends_field(text, close + 1):
        raise InputError(f"input '{name}' line {item.line}: text after a closing "
                         f"quote in {_excerpt(text)}")
    return value, close + 1


def _quoted_body(text: str, pos: int) -> tuple[str, int]:
    """The value of the quoted field opening at ``pos`` (a doubled quote stands for one)
    and the position of its closing quote, -1 when it never closes."""
    out: list[str] = []
    pos += 1
    size = len(text)
    while pos < size:
        ch = text[pos]
        if ch == '"':
            if pos + 1 < size and text[pos + 1] == '"':
                out.append('"')
                pos += 2
                continue
            return "".join(out), pos
        out.append(ch)
        pos += 1
    return "".join(out), -1


def _ends_field(text: str, pos: int) -> bool:
    """Whether ``pos`` is the end of the text or a field or record delimiter."""
    return text[pos:pos + 1] in ("", ",", "\n", "\r")


def _excerpt(text: str) -> str:
    first = text.split("\n", 1)[0]
    if len(first) > 120:
        first = first[:117] + "..."
    return '"' + first.replace('"', '\\"') + '"'


def split_key_value(field: str) -> tuple[str, str] | None:
    """``key=value`` split on the first ``=``, both trimmed, key lowercased; None when
    the field has no ``=`` (or starts with one, as metadata-action's split does)."""
    key, sep, value = field.partition("=")
    if not sep or not key:
        return None
    return key.strip().lower(), value.strip()
