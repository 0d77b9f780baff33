"""Docker tag grammar: sanitising, shortening, and properties over arbitrary ref names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghbuild.context import Context
from ghbuild.meta import MetaInputs, compute
from ghbuild.meta.sanitize import MAX_TAG, metadata_action_tag, sanitize_tag

# Docker's reference grammar (distribution/reference), written out independently of the code
COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
DOMAIN = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|" \
         r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?"
TAG = r"[\w][\w.-]{0,127}"
REFERENCE = re.compile(rf"(?:{DOMAIN}/)?{COMPONENT}(?:/{COMPONENT})*:{TAG}", re.ASCII)
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


@pytest.mark.parametrize(("value", "tag"), [
    ("feature/add-list-project", "feature-add-list-project"),
    ("banner-utils-test-#5", "banner-utils-test--5"),
    ("fix/été+tôt", "fix-t-t-t"),
    ("#5", "5"),
    ("..hidden", "hidden"),
    ("-x", "x"),
    ("_ok", "_ok"),
    ("😀smile", "smile"),
    ("###", ""),
])
def test_sanitize(value: str, tag: str) -> None:
    assert sanitize_tag(value) == (tag, None)


def test_matches_metadata_action_when_no_leading_separator() -> None:
    assert sanitize_tag("a/b c")[0] == metadata_action_tag("a/b c") == "a-b-c"


def test_long_tags_are_shortened_deterministically_without_collision() -> None:
    base = "x" * 200
    first, warning = sanitize_tag(base + "a")
    second, _ = sanitize_tag(base + "b")
    assert len(first) == MAX_TAG and first.startswith("x" * 119 + "-")
    assert first != second
    assert sanitize_tag(base + "a")[0] == first
    assert warning is not None and "shortened" in warning


def _ctx(ref: str) -> Context:
    return Context(event_name="push", ref=ref, sha="860c1904a1ce19322e91ac35af1ab07466440c37",
                   payload={"repository": {"default_branch": ref.rpartition("/")[2]}},
                   now=1578616200.0)


TAG_RULES = "\n".join([
    "type=ref,event=branch", "type=ref,event=tag", "type=raw,value={{branch}}-{{tag}}",
    "type=edge", "type=sha,prefix={{branch}}-", "type=semver,pattern={{version}}",
    "type=match,pattern=(.*),group=1", "type=raw,value=x,suffix=-{{branch}}",
])
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300)


@settings(max_examples=150, deadline=None)
@given(name=names, kind=st.sampled_from(["refs/heads/", "refs/tags/"]))
def test_every_tag_is_valid_for_any_ref_name(name: str, kind: str) -> None:
    inputs = MetaInputs(images=("ghcr.io/Acme/App", "localhost:5000/team/app"),
                        tags=(TAG_RULES,), flavor=("prefix=#p/,onlatest=true",))
    result = compute(_ctx(kind + name), inputs)
    for tag in result.tag_names:
        assert TAG_RE.fullmatch(tag), tag
    for ref in result.tags:
        assert REFERENCE.fullmatch(ref), ref
        assert len(ref.rpartition(":")[2]) <= MAX_TAG


@settings(max_examples=60, deadline=None)
@given(a=names, b=names)
def test_distinct_long_names_stay_distinct(a: str, b: str) -> None:
    long_a, long_b = "y" * 130 + a, "y" * 130 + b
    tag_a, tag_b = sanitize_tag(long_a)[0], sanitize_tag(long_b)[0]
    if metadata_action_tag(long_a) != metadata_action_tag(long_b):
        assert tag_a != tag_b
