"""Tag rules: ``type=...`` lines of the ``tags`` input, parsed into :class:`TagRule`.

The attribute rules and defaults follow docker/metadata-action (src/tag.ts): a field
without ``=`` is the ``value``; a rule without ``type`` is ``raw``; default priorities
schedule 1000, semver/pep440 900, match 800, edge 700, ref 600, raw 200, sha 100; rules
are sorted by priority, highest first, keeping input order among equals.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from .csvlist import ListItem, split_fields, split_key_value


class TagType(str, enum.Enum):
    SCHEDULE = "schedule"
    SEMVER = "semver"
    PEP440 = "pep440"
    MATCH = "match"
    EDGE = "edge"
    REF = "ref"
    RAW = "raw"
    SHA = "sha"


class RefEvent(str, enum.Enum):
    BRANCH = "branch"
    TAG = "tag"
    PR = "pr"


class ShaFormat(str, enum.Enum):
    SHORT = "short"
    LONG = "long"


DEFAULT_PRIORITY: Mapping[TagType, int] = {
    TagType.SCHEDULE: 1000, TagType.SEMVER: 900, TagType.PEP440: 900, TagType.MATCH: 800,
    TagType.EDGE: 700, TagType.REF: 600, TagType.RAW: 200, TagType.SHA: 100,
}

# The rules metadata-action uses when the tags input is empty.
DEFAULT_RULES = ("type=schedule", "type=ref,event=branch", "type=ref,event=tag",
                 "type=ref,event=pr")

# Attributes each type reads; anything else is reported as unused (metadata-action
# silently ignores unknown attributes, so a typo would otherwise go unnoticed).
_COMMON = {"enable", "priority", "prefix", "suffix"}
KNOWN_ATTRS: Mapping[TagType, frozenset[str]] = {
    TagType.SCHEDULE: frozenset(_COMMON | {"pattern"}),
    TagType.SEMVER: frozenset(_COMMON | {"pattern", "value", "match"}),
    TagType.PEP440: frozenset(_COMMON | {"pattern", "value", "match"}),
    TagType.MATCH: frozenset(_COMMON | {"pattern", "value", "group"}),
    TagType.EDGE: frozenset(_COMMON | {"branch"}),
    TagType.REF: frozenset(_COMMON | {"event"}),
    TagType.RAW: frozenset(_COMMON | {"value"}),
    TagType.SHA: frozenset(_COMMON | {"format"}),
}


@dataclass(frozen=True)
class TagRule:
    type: TagType
    attrs: Mapping[str, str]      # every attribute with defaults filled in
    priority: float
    text: str                     # the rule as written (or the default rule)
    line: int                     # 0 for a default rule
    unknown: tuple[str, ...] = field(default=())
    # warnings found while parsing (a template naming a variable nothing provides)
    notes: tuple[str, ...] = field(default=())

    def has(self, key: str) -> bool:
        return key in self.attrs

    def get(self, key: str, default: str = "") -> str:
        return self.attrs.get(key, default)

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else "default rule"


def located(name: str, item: ListItem, message: str, hint: str = "") -> str:
    """``input 'tags' line 3: <message> in "<item>" (<hint>)``: errors and warnings alike."""
    text = f"input '{name}' line {item.line}: {message} in \"{item.text}\""
    return text + (f" ({hint})" if hint else "")


def _err(name: str, item: ListItem, message: str, hint: str = "") -> InputError:
    return InputError(located(name, item, message, hint))


def _did_you_mean(word: str, choices: list[str]) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_rule(item: ListItem, name: str = "tags") -> TagRule:
    attrs: dict[str, str] = {}
    rule_type: TagType | None = None
    for raw_field in split_fields(item, name):
        kv = split_key_value(raw_field)
        if kv is None:
            attrs["value"] = raw_field.strip()
            continue
        key, value = kv
        if key != "type":
            attrs[key] = value
            continue
        try:
            rule_type = TagType(value)
        except ValueError:
            names = [t.value for t in TagType]
            raise _err(name, item, f"unknown tag type '{value}'",
                       f"expected one of: {', '.join(names)}{_did_you_mean(value, names)}")
    rule_type = rule_type or TagType.RAW
    _fill_defaults(rule_type, attrs, item, name)
    notes = _validate(rule_type, attrs, item, name)
    priority = _priority(attrs, rule_type, item, name)
    unknown = tuple(k for k in attrs if k not in KNOWN_ATTRS[rule_type])
    return TagRule(rule_type, attrs, priority, item.text, item.line, unknown, notes)


def _require(attrs: dict[str, str], key: str, rule_type: TagType, item: ListItem,
             name: str) -> None:
    if key not in attrs:
        raise _err(name, item, f"type={rule_type.value} needs the '{key}' attribute",
                   _example(rule_type))


def _example(rule_type: TagType) -> str:
    return {
        TagType.SEMVER: "e.g. type=semver,pattern={{version}}",
        TagType.PEP440: "e.g. type=pep440,pattern={{version}}",
        TagType.MATCH: "e.g. type=match,pattern=v(.*),group=1",
        TagType.REF: "e.g. type=ref,event=branch; event is one of: branch, tag, pr",
        TagType.RAW: "e.g. type=raw,value=latest",
    }.get(rule_type, "")


def _fill_defaults(rule_type: TagType, attrs: dict[str, str], item: ListItem,
                   name: str) -> None:
    if rule_type is TagType.SCHEDULE:
        attrs.setdefault("pattern", "nightly")
    elif rule_type in (TagType.SEMVER, TagType.PEP440):
        _require(attrs, "pattern", rule_type, item, name)
        attrs.setdefault("value", "")
        attrs.setdefault("match", "")
    elif rule_type is TagType.MATCH:
        _require(attrs, "pattern", rule_type, item, name)
        attrs.setdefault("group", "0")
        attrs.setdefault("value", "")
        if _js_number(attrs["group"]) is None:
            raise _err(name, item, f"match group must be a number, got '{attrs['group']}'")
    elif rule_type is TagType.EDGE:
        attrs.setdefault("branch", "")
    elif rule_type is TagType.REF:
        _fill_ref(attrs, item, name)
    elif rule_type is TagType.RAW:
        _require(attrs, "value", rule_type, item, name)
    elif rule_type is TagType.SHA:
        attrs.setdefault("prefix", "sha-")
        attrs.setdefault("format", ShaFormat.SHORT.value)
        if attrs["format"] not in {f.value for f in ShaFormat}:
            raise _err(name, item, f"unknown sha format '{attrs['format']}'",
                       "expected one of: short, long")
    attrs.setdefault("enable", "true")


def _fill_ref(attrs: dict[str, str], item: ListItem, name: str) -> None:
    _require(attrs, "event", TagType.REF, item, name)
    events = [e.value for e in RefEvent]
    if attrs["event"] not in events:
        raise _err(name, item, f"unknown ref event '{attrs['event']}'",
                   f"expected one of: {', '.join(events)}"
                   f"{_did_you_mean(attrs['event'], events)}")
    if attrs["event"] == RefEvent.PR.value:
        attrs.setdefault("prefix", "pr-")


# attributes rendered as {{...}} templates (a match pattern is a regular expression)
_TEMPLATES = ("value", "pattern", "prefix", "suffix", "enable")


def template_names(rule_type: TagType, key: str) -> tuple[str, ...]:
    """The names a template attribute sees: a version pattern sees the parsed version, a
    schedule pattern only the date helpers, everything else metadata-action's globals."""
    from .expr import DATE_HELPERS, GLOBAL_NAMES

    if key != "pattern":
        return GLOBAL_NAMES
    if rule_type is TagType.SCHEDULE:
        return DATE_HELPERS
    if rule_type is TagType.SEMVER:
        from .semver import SCOPE_NAMES
        return SCOPE_NAMES
    from .pep440 import SCOPE_NAMES as PEP440_NAMES
    return PEP440_NAMES


def _validate(rule_type: TagType, attrs: dict[str, str], item: ListItem,
              name: str) -> tuple[str, ...]:
    """Check templates and regular expressions now, so a rule that does not run for this
    event still reports its mistakes; returns the warnings (unknown variables)."""
    from .expr import ExprError, validate

    notes: list[str] = []
    for key in _TEMPLATES:
        if key in attrs and not (key == "pattern" and rule_type is TagType.MATCH):
            known = template_names(rule_type, key)
            try:
                unknown = validate(attrs[key], known)
            except ExprError as exc:
                raise _err(name, item, f"{key}: {exc}")
            for found in unknown:
                message, hint = found.message(known)
                notes.append(located(name, item, f"{key}: {message}", hint))
    regexes = [("pattern", True)] if rule_type is TagType.MATCH else \
        [("match", False)] if attrs.get("match") else []
    for key, slashes in regexes:
        from .jsregex import JsRegexError, compile_js  # only for rules with a regex

        try:
            compile_js(attrs[key], allow_slashes=slashes)
        except JsRegexError as exc:
            raise _err(name, item, f"{key}: {exc}")
    return tuple(notes)


def _priority(attrs: dict[str, str], rule_type: TagType, item: ListItem, name: str) -> float:
    if "priority" not in attrs:
        return float(DEFAULT_PRIORITY[rule_type])
    number = _js_number(attrs["priority"])
    if number is None:
        raise _err(name, item, f"priority must be a number, got '{attrs['priority']}'")
    return number


def _js_number(text: str) -> float | None:
    """JavaScript ``Number(text)`` for the forms people write; None where it gives NaN."""
    stripped = text.strip()
    if stripped == "":
        return 0.0
    try:
        if stripped.lower().startswith(("0x", "0o", "0b")):
            return float(int(stripped, 0))
        if stripped.lower() in ("inf", "infinity", "nan", "+inf", "-inf") or "_" in stripped:
            return None
        return float(stripped)
    except ValueError:
        return None


def parse_rules(items: tuple[ListItem, ...], name: str = "tags") -> tuple[TagRule, ...]:
    """All rules sorted by priority, highest first (stable, as in metadata-action)."""
    if not items:
        rules = [parse_rule(ListItem(text, 0), name) for text in DEFAULT_RULES]
    else:
        rules = [parse_rule(item, name) for item in items]
    return tuple(sorted(rules, key=lambda rule: -rule.priority))
