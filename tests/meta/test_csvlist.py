"""List inputs: records, quoting, comments, line numbers; the strict fields of one item."""

from __future__ import annotations

import pytest

from ghbuild.errors import InputError
from ghbuild.meta.csvlist import ListItem, parse_list, split_fields, split_key_value


def texts(text: str) -> list[tuple[str, int]]:
    return [(item.text, item.line) for item in parse_list(text, "tags")]


@pytest.mark.parametrize(("text", "expected"), [
    ("", []),
    ("a\nb", [("a", 1), ("b", 2)]),
    ("  a  \n\n\n  b", [("a", 1), ("b", 4)]),
    ("a\r\nb\r\n", [("a", 1), ("b", 2)]),
    # one line with commas is one item (metadata-action joins the fields back)
    ("type=ref,event=branch", [("type=ref,event=branch", 1)]),
    # a whole quoted line may hold commas and newlines; quotes are removed
    ('"type=raw,value=a\nb"\nnext', [("type=raw,value=a\nb", 1), ("next", 3)]),
    # a quoted field among others keeps its quotes for the item parser
    ('type=match,"pattern=\\d{1,2}"', [('type=match,"pattern=\\d{1,2}"', 1)]),
    # a quote inside a field is an ordinary character
    ('desc=this is a "good" example', [('desc=this is a "good" example', 1)]),
    ('"a""b"', [('a"b', 1)]),
    # comments: only when the first non-blank character is #
    ("# x\n  # y\na#b\nc # d", [("a#b", 3), ("c # d", 4)]),
    ("#only", []),
])
def test_parse_list(text: str, expected: list[tuple[str, int]]) -> None:
    assert texts(text) == expected


def test_unclosed_quote_is_an_error() -> None:
    with pytest.raises(InputError, match=r"^input 'labels' line 2: unclosed quote in "):
        parse_list('a=b\n"c=d', "labels")


@pytest.mark.parametrize(("text", "fields"), [
    ("type=raw,value=x", ["type=raw", "value=x"]),
    ('type=match,"pattern=a,b",group=1', ["type=match", "pattern=a,b", "group=1"]),
    ('"x""y"', ['x"y']),
    ("a,,b", ["a", "", "b"]),
    ("a\nb", ["a"]),          # only the first record counts
])
def test_split_fields(text: str, fields: list[str]) -> None:
    assert split_fields(ListItem(text, 1), "tags") == fields


@pytest.mark.parametrize(("field", "pair"), [
    ("Key = Value ", ("key", "Value")),
    ("a=b=c", ("a", "b=c")),
    ("novalue", None),
    ("=x", None),
    ("k=", ("k", "")),
])
def test_split_key_value(field: str, pair: tuple[str, str] | None) -> None:
    assert split_key_value(field) == pair
