"""The config file ``.github/ghbuild.yml``: several images with shared defaults.

The file is read with ruamel.yaml's round-trip loader, which keeps the line and
column of every key and value, and checked against ``schema/ghbuild.schema.json``.
Every problem becomes one :class:`ConfigError` at ``file:line:col`` with the key path
(``images[1].platform: unknown key (did you mean 'platforms'?)``). A file that
libyaml reads exactly as ruamel.yaml would and that passes every check is taken from
libyaml instead, 20 to 50 times faster (see :mod:`ghbuild.config_fast`); every error
still comes from the round-trip path.

Each image key is the action input of the same name, so :meth:`ImageConfig.as_inputs`
hands ``run`` the strings an ``INPUT_*`` variable would carry.
"""

from __future__ import annotations

import datetime
import difflib
import enum
import json
import os
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString

from . import config_fast
from .cache import CacheMode
from .errors import ConfigError, InputError
from .policy import PushMode

CONFIG_NAMES = (".github/ghbuild.yml", ".github/ghbuild.yaml")

PathPart = str | int


@dataclass(frozen=True)
class Secret:
    """A build secret by name: BuildKit id and the environment variable holding it."""

    id: str
    env: str


def _input(name: str) -> Any:
    return field(default=None, metadata={"input": name})


@dataclass(frozen=True, kw_only=True)
class ImageConfig:
    """One image after its defaults are applied. ``None`` means "not set here"."""

    name: str
    index: int
    line: int
    context: str | None = _input("context")
    file: str | None = _input("file")
    target: str | None = _input("target")
    network: str | None = _input("network")
    platforms: tuple[str, ...] | None = _input("platforms")
    # metadata-action syntax, kept as the text of the input (one entry per line)
    tags: str | None = _input("tags")
    flavor: str | None = _input("flavor")
    labels: str | None = _input("labels")
    annotations: str | None = _input("annotations")
    build_args: str | None = _input("build-args")
    secrets: tuple[Secret, ...] | None = _input("secret-envs")
    cache: CacheMode | None = _input("cache")
    cache_ref: str | None = _input("cache-ref")
    cache_dir: str | None = _input("cache-dir")
    cache_from: str | None = _input("cache-from")
    cache_to: str | None = _input("cache-to")
    push: PushMode | None = _input("push")
    push_events: tuple[str, ...] | None = _input("push-events")
    push_branches: tuple[str, ...] | None = _input("push-branches")
    push_tags: tuple[str, ...] | None = _input("push-tags")
    login: PushMode | None = _input("login")
    provenance: str | None = _input("provenance")
    sbom: str | None = _input("sbom")
    build_key: str | None = _input("build-key")
    paths: tuple[str, ...] = ()

    def as_inputs(self) -> dict[str, str]:
        """Action input name -> value, in the form an ``INPUT_*`` variable carries."""
        out = {"images": self.name}
        for f in fields(self):
            name = f.metadata.get("input")
            value = getattr(self, f.name)
            if name and value is not None:
                out[name] = _input_text(value)
        return out


def _input_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return "\n".join(f"{v.id}={v.env}" if isinstance(v, Secret) else str(v) for v in value)
    return str(value)


@dataclass(frozen=True, kw_only=True)
class Config:
    path: str
    images: tuple[ImageConfig, ...]
    # ``defaults.bake``: a setting of the whole run, not of an image, so it is kept out of
    # ImageConfig (whose fields ``ghbuild matrix`` compares to decide what changed).
    bake: bool | None = None

    def image(self, name: str) -> ImageConfig:
        """The image called ``name``: its full name, or its last path part when unique."""
        want = name.strip().lower()
        for img in self.images:
            if img.name == want:
                return img
        short = [img for img in self.images if img.name.rsplit("/", 1)[-1] == want]
        if len(short) == 1:
            return short[0]
        names = [img.name for img in self.images]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(names)
        raise InputError(f"input 'image': {name!r} is not an image in {self.path}", hint=hint)


# -- finding and loading -----------------------------------------------------------

def find_config(workspace: str | os.PathLike[str]) -> Path | None:
    """``.github/ghbuild.yml`` (or ``.yaml``) under ``workspace``, or None."""
    found = [Path(workspace, name) for name in CONFIG_NAMES if Path(workspace, name).is_file()]
    if len(found) > 1:
        raise ConfigError(f"both {CONFIG_NAMES[0]} and {CONFIG_NAMES[1]} exist; keep one",
                          file=str(found[1]))
    return found[0] if found else None


def config_inside(root: str | os.PathLike[str], given: str, what: str) -> Path:
    """``given`` (relative to ``root``, the checkout) as a path that stays inside ``root``,
    symbolic links followed: a config file elsewhere (``../../etc/passwd``) is refused
    before it is read, so no part of it is quoted in an error."""
    base = Path(root).resolve()
    path = Path(root, given)
    resolved = path.resolve()
    if Path(given).is_absolute() or (resolved != base and base not in resolved.parents):
        raise InputError(f"{what} {given!r} is outside the checkout ({base}); give a path "
                         "inside it, relative to its root")
    return path


def schema_text() -> str:
    """The JSON Schema exactly as shipped in the package."""
    return resources.files("ghbuild").joinpath("schema/ghbuild.schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, check and resolve the config file; any problem is one :class:`ConfigError`."""
    shown = _display(Path(path))
    return load_config_text(_read(Path(path), shown), shown)


def load_config_text(text: str, shown: str) -> Config:
    """The config from the file's text; ``shown`` is the file name messages give."""
    return _load_fast(text, shown) or _load_round_trip(text, shown)


def _load_fast(text: str, shown: str) -> Config | None:
    """The config through libyaml when it reads the file as ruamel.yaml would, else None.

    Only a file that passes every check is taken from here: on any problem the
    round-trip path runs the same checks again and reports it at its line and column.
    """
    parsed = config_fast.read(text)
    if parsed is None or parsed.data is None:
        return None
    try:
        return _resolve(parsed.data, text, shown, lambda i, _: parsed.image_lines[i])
    except Exception:  # noqa: BLE001 - whatever failed, the round-trip path says it exactly
        return None


def _load_round_trip(text: str, shown: str) -> Config:
    data = _parse(text, shown)
    if data is None:
        raise ConfigError("the file is empty; expected a mapping with an 'images' list",
                          file=shown)
    return _resolve(data, text, shown, lambda _, item: int(item.lc.line) + 1)


def _resolve(data: Any, text: str, shown: str, line_of: Callable[[int, Any], int]) -> Config:
    """Check the parsed file and resolve each image; ``line_of(index, item)`` is the
    1-based line of an entry of ``images``."""
    _check_schema(data, shown)
    _check_images(data, shown)
    _check_tag_rules(data, text.splitlines(), shown)
    _check_secret_names(data, shown)
    defaults = data.get("defaults") or {}
    images = tuple(_image(i, item, defaults, line_of(i, item))
                   for i, item in enumerate(data["images"]))
    bake = defaults.get("bake")
    return Config(path=shown, images=images, bake=None if bake is None else bool(bake))


def _display(path: Path) -> str:
    """The path as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file", file=shown)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=shown)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown)


# -- YAML --------------------------------------------------------------------------

def _parse(text: str, shown: str) -> Any:
    yaml = YAML(typ="rt")
    try:
        # Compose first: the node tree still has every key, so a duplicate can be
        # reported with its path and both lines (the loader only says "duplicate").
        root = yaml.compose(text)
        if root is not None:
            _check_duplicates(root, [], shown, set())
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(f"YAML syntax error: {problem}", file=shown, line=line, col=col)
    except (ValueError, IndexError, TypeError) as exc:
        # ruamel.yaml's value readers can fail outside its own error types: a plain "-_"
        # matches its YAML 1.2 integer pattern and then crashes its integer reader. It
        # gives no position then, so only the file is named; nor is its message shown,
        # which may quote the value (a secret pasted by mistake, say).
        raise ConfigError(f"YAML: a value cannot be read (ruamel.yaml {type(exc).__name__}); "
                          "quote values that look like numbers", file=shown)


def _check_duplicates(node: Node, path: list[PathPart], shown: str, seen: set[int]) -> None:
    if id(node) in seen:  # an alias to a node already walked
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        first: dict[str, Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if str(key.tag).endswith(":null"):
                # A null key has no name to report, and jsonschema fails on one outright.
                raise ConfigError(f"{_dotted(path) or 'the top level'}: a key is empty or "
                                  f"null ({name!r})", file=shown, line=key.start_mark.line + 1,
                                  col=key.start_mark.column + 1)
            _check_key_is_text(key, path, shown)
            if name in first and name != "<<":
                raise ConfigError(
                    f"{_dotted([*path, name])}: duplicate key "
                    f"(first at line {first[name].start_mark.line + 1})",
                    file=shown, line=key.start_mark.line + 1, col=key.start_mark.column + 1)
            first[name] = key
            _check_duplicates(value, [*path, name], shown, seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, [*path, i], shown, seen)


# What YAML 1.2 reads a plain key as, when not as text (ruamel.yaml's resolved tags).
_KEY_KINDS = {"int": "a number", "float": "a number", "bool": "a boolean",
              "timestamp": "a date"}


def _check_key_is_text(key: Node, path: list[PathPart], shown: str) -> None:
    """Every key in the file is a name (a label, a build arg, an input), so one YAML reads
    as anything but text is refused: ``1: x`` would become the label ``1=x`` and
    ``true: x`` the build arg ``True=x``, and jsonschema fails on it outright."""
    where = _dotted(path) or "the top level"
    line, col = key.start_mark.line + 1, key.start_mark.column + 1
    if isinstance(key, (MappingNode, SequenceNode)):
        kind = "a mapping" if isinstance(key, MappingNode) else "a list"
        raise ConfigError(f"{where}: a key is {kind}, not text", file=shown, line=line,
                          col=col, hint="a key is a name: write it as plain or quoted text")
    tag = str(key.tag)
    if tag.endswith((":str", ":merge")):  # "<<" merges a mapping in; its keys are checked
        return
    text = str(key.value)
    known = _KEY_KINDS.get(tag.rpartition(":")[2])
    kind = known or f"a {tag} value"
    # an explicit tag (!foo, !!binary) stays on a quoted key: it has to go
    hint = f"quote the key to keep it as text: \"{text}\": ..." if known else \
        f"drop the tag {tag} before the key"
    raise ConfigError(f"{where}: the key {text} is read by YAML as {kind}, not text",
                      file=shown, line=line, col=col, hint=hint)


def _dotted(path: Sequence[PathPart]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(root: Any, path: Sequence[PathPart], *, key: bool = False) -> tuple[int, int]:
    """1-based line and column of the value at ``path`` (or of its key)."""
    if not path:
        return 1, 1
    parent = _value_at(root, path[:-1])
    last = path[-1]
    try:
        if isinstance(last, int):
            line, col = parent.lc.item(last)
        else:
            line, col = parent.lc.key(last) if key else parent.lc.value(last)
    except (AttributeError, KeyError, IndexError):
        return _locate(root, path[:-1], key=key)
    return line + 1, col + 1


# -- schema errors -------------------------------------------------------------------

_KINDS = {"string": "a string", "array": "a list", "object": "a mapping",
          "integer": "a whole number", "boolean": "true or false", "number": "a number"}


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    # Built once: checking the schema itself and compiling its refs is not free.
    return jsonschema.Draft202012Validator(schema())


def _check_schema(data: Any, shown: str) -> None:
    validator = _validator()
    found = []
    for err in validator.iter_errors(data):
        path, message, hint, on_key = _explain(err, data)
        found.append((_locate(data, path, key=on_key), message, hint))
    if found:
        (line, col), message, hint = min(found, key=lambda item: item[0])
        raise ConfigError(message, file=shown, line=line, col=col, hint=hint)


def _explain(err: jsonschema.ValidationError,
             data: Any) -> tuple[list[PathPart], str, str | None, bool]:
    """(path to point at, message, hint, point at the key rather than the value)."""
    path: list[PathPart] = list(err.absolute_path)
    where = _dotted(path)
    prefix = f"{where}: " if where else ""
    kind = err.validator
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_key(err, path)
    if "propertyNames" in err.absolute_schema_path:
        # jsonschema checks a key as its own instance, at the mapping's path
        wanted = err.schema.get("patternErrorMessage", "a shorter key")
        return [*path, err.instance], f"{prefix}bad key {err.instance!r}", \
            f"expected {wanted}", True
    if kind == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        return path, f"{prefix}missing the required key '{missing[0]}'", None, True
    shown = _describe(err.instance, secret="secrets" in path)
    if kind == "type":
        types = err.validator_value if isinstance(err.validator_value, list) \
            else [err.validator_value]
        expected = " or ".join(_KINDS[t] for t in types)
        hint = None
        # YAML turned the text into a float or a date, which loses how it was written
        if "string" in types and isinstance(err.instance, (float, datetime.date)):
            hint = f"quote it to keep the text as written: '{err.instance}'"
        elif "boolean" in types:
            hint = _quoted_bool_hint(err.instance)
        return path, f"{prefix}expected {expected}, got {shown}", hint, False
    if kind in ("enum", "const"):
        choices = err.validator_value if kind == "enum" else [err.validator_value]
        names = ", ".join(_show_choice(c) for c in choices)
        close = difflib.get_close_matches(str(err.instance), [str(c) for c in choices], n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        same_text = _same_text_other_type(err.instance, choices)
        if same_text is not None:
            hint = same_text
        if any(isinstance(c, bool) for c in choices):
            hint = _quoted_bool_hint(err.instance) or hint
        return path, f"{prefix}expected one of {names}, got {shown}", hint, False
    if kind == "pattern":
        wanted = err.schema.get("patternErrorMessage", f"text matching {err.validator_value}")
        return path, f"{prefix}expected {wanted}, got {shown}", None, False
    if kind == "minLength":
        return path, f"{prefix}must not be empty", None, False
    if kind == "minItems":
        return path, f"{prefix}expected at least {err.validator_value} entry, got none", \
            None, False
    return path, f"{prefix}{err.message}", None, False


def _unknown_key(err: jsonschema.ValidationError,
                 path: list[PathPart]) -> tuple[list[PathPart], str, str | None, bool]:
    allowed = _property_names(err.schema)
    free = [re.compile(p) for p in err.schema.get("patternProperties", {})]
    extra = [k for k in err.instance
             if k not in allowed and not any(rx.search(str(k)) for rx in free)]
    bad = str(extra[0]) if extra else "?"
    hint = None
    close = difflib.get_close_matches(bad, sorted(allowed), n=1, cutoff=0.6)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif path == ["defaults"] and bad in _property_names(schema()["$defs"]["image"]):
        hint = f"'{bad}' is set on each image, not in defaults"
    elif len(path) == 2 and path[0] == "images" and bad in _run_settings():
        hint = f"'{bad}' applies to the whole run: set it in defaults"
    return [*path, extra[0] if extra else bad], f"{_dotted([*path, bad])}: unknown key", \
        hint, True


def _run_settings() -> set[str]:
    """Keys only ``defaults`` has (settings of the run rather than of an image)."""
    return _property_names(schema()["properties"]["defaults"]) - \
        _property_names(schema()["$defs"]["image"])


def _property_names(node: Mapping[str, Any]) -> set[str]:
    """The keys a schema object allows, following local ``$ref`` and ``allOf``."""
    names = set(node.get("properties", {}))
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        names |= _property_names(schema()["$defs"][ref.removeprefix("#/$defs/")])
    for part in node.get("allOf", []):
        names |= _property_names(part)
    return names


def _quoted_bool_hint(value: object) -> str | None:
    """A boolean written in quotes ("false") is text to YAML; the fix is to drop the
    quotes, not the close match by spelling (which would be Python's 'False')."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return f"write {value.strip().lower()} without quotes"
    return None


def _show_choice(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _same_text_other_type(value: object, choices: list[Any]) -> str | None:
    """``version: "1"`` against the number 1: "did you mean '1'?" would repeat the value;
    what differs is the quoting."""
    for choice in choices:
        if isinstance(choice, bool) or isinstance(value, bool) or str(choice) != str(value):
            continue
        if isinstance(choice, (int, float)) and isinstance(value, str):
            return f"write {choice} without quotes: quoted, YAML reads it as text"
        if isinstance(choice, str) and isinstance(value, (int, float)):
            return f"quote it: '{choice}' is text, YAML reads {value} as a number"
    return None


# A value a message quotes is cut here: a 3 MB scalar is not echoed whole.
SHOWN_CHARS = 200


def _describe(value: object, *, secret: bool = False) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        # a value under secrets may be the secret itself pasted by mistake: never echo it
        if secret:
            return "a text (not shown)"
        if len(value) > SHOWN_CHARS:
            return f"{value[:SHOWN_CHARS]!r}… ({len(value)} characters)"
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the {type(value).__name__} {value}"


# -- checks the schema cannot express ---------------------------------------------------

def _check_images(data: Any, shown: str) -> None:
    from .registry.reference import repository_key

    first: dict[str, int] = {}
    for i, item in enumerate(data["images"]):
        _check_name(data, i, str(item["name"]), shown)
        # one repository spelled two ways (docker.io/acme/x, acme/x) is still one: the
        # second image would overwrite the first one's tags
        name = repository_key(str(item["name"]))
        if name in first:
            line, col = _locate(data, ["images", i, "name"])
            earlier = data["images"][first[name]]["name"]
            same = "" if str(earlier) == str(item["name"]) else \
                f" ({earlier!r}: both are {name})"
            raise ConfigError(
                f"images[{i}].name: {item['name']!r} is already used by "
                f"images[{first[name]}]{same}", file=shown, line=line, col=col)
        first[name] = i
    for path, value in _repo_paths(data):
        if not _inside_repo(value):
            line, col = _locate(data, path)
            raise ConfigError(f"{_dotted(path)}: {value!r} is outside the repository",
                              file=shown, line=line, col=col,
                              hint="paths are relative to the repository root")


def _sections(data: Any) -> list[tuple[list[PathPart], Any]]:
    """``defaults`` and each image, with their paths, as written (before merging)."""
    sections: list[tuple[list[PathPart], Any]] = [(["defaults"], data.get("defaults") or {})]
    return sections + [(["images", i], item) for i, item in enumerate(data["images"])]


def _check_name(data: Any, index: int, name: str, shown: str) -> None:
    from .registry.reference import ImageRef

    path: list[PathPart] = ["images", index, "name"]
    try:
        ref = ImageRef.parse(name, input_name=_dotted(path))
        problem = "carries a tag or digest; tags come from 'tags'" \
            if ref.tag or ref.digest else ""
    except InputError as exc:
        problem = "is not a valid image name: " + str(exc).split(" image reference: ", 1)[-1]
    if problem:
        line, col = _locate(data, path)
        raise ConfigError(f"{_dotted(path)}: {_describe(name)} {problem}", file=shown,
                          line=line, col=col)


def _repo_paths(data: Any) -> Iterator[tuple[list[PathPart], str]]:
    for base, section in _sections(data):
        for key in ("context", "file"):
            if key in section:
                yield [*base, key], section[key]
        for i, value in enumerate(section.get("paths") or []):
            yield [*base, "paths", i], value


_INPUT_LINE = re.compile(r"^input 'tags' line \d+: ")


def _check_tag_rules(data: Any, lines: Sequence[str], shown: str) -> None:
    """Parse each ``tags`` rule with the meta engine's own parser, so a bad rule is
    reported at its line of the config file rather than of the joined input."""
    from .meta.csvlist import parse_list
    from .meta.tagspec import parse_rule

    for base, section in _sections(data):
        value = section.get("tags")
        if value is None:
            continue
        entries = [([*base, "tags", i], v) for i, v in enumerate(value)] \
            if isinstance(value, list) else [([*base, "tags"], value)]
        for path, text in entries:
            try:
                for item in parse_list(str(text), "tags"):
                    try:
                        parse_rule(item)
                    except InputError as exc:
                        raise _rule_error(data, path, text, item.line, lines, shown, exc)
            except ConfigError:
                raise
            except InputError as exc:
                raise _rule_error(data, path, text, 1, lines, shown, exc)


def _check_secret_names(data: Any, shown: str) -> None:
    """A credential pasted into ``secrets`` (``- ghp_…``) has the shape of a variable name
    and passes the schema; it would be printed and put on buildx's argv as a secret id.
    The message gives its place, never its text."""
    from .build import credential_shape

    for base, section in _sections(data):
        value = section.get("secrets")
        if isinstance(value, list):
            entries = [([*base, "secrets", i], str(v), False) for i, v in enumerate(value)]
        elif isinstance(value, Mapping):
            entries = [e for k, v in value.items()
                       for e in (([*base, "secrets", k], str(k), True),
                                 ([*base, "secrets", k], str(v), False))]
        else:
            continue
        for path, text, is_key in entries:
            kind = credential_shape(text)
            if kind:
                line, col = _locate(data, path, key=is_key)
                raise ConfigError(f"{_dotted(path[:-1])}: an entry looks like a credential "
                                  f"value ({kind}), not a variable name; store it as a "
                                  "secret and name the variable", file=shown, line=line,
                                  col=col)


def _rule_error(data: Any, path: list[PathPart], text: object, item_line: int,
                lines: Sequence[str], shown: str, exc: InputError) -> ConfigError:
    line, col = _locate(data, path)
    if isinstance(text, LiteralScalarString):
        # a "|" block: its text starts on the line after the indicator
        line += item_line
        source = lines[line - 1] if line - 1 < len(lines) else ""
        col = len(source) - len(source.lstrip()) + 1
    message = _INPUT_LINE.sub("", str(exc))
    hint = None
    parent = _value_at(data, path[:-1])
    if _split_by_flow_commas(parent, text):
        hint = "in a [a, b] list a comma starts a new entry: quote a rule that has commas"
    return ConfigError(f"{_dotted(path)}: {message}", file=shown, line=line, col=col,
                       hint=hint)


def _split_by_flow_commas(parent: Any, text: object) -> bool:
    """Whether an unquoted ``[type=ref,event=branch]`` looks cut into two entries."""
    if not (getattr(parent, "fa", None) and parent.fa.flow_style()) or "," in str(text):
        return False
    return any(not str(entry).strip().startswith("type=") for entry in parent)


def _value_at(data: Any, path: Sequence[PathPart]) -> Any:
    for part in path:
        data = data[part]
    return data


def _inside_repo(value: str) -> bool:
    if value.startswith(("/", "\\")) or (len(value) > 1 and value[1] == ":"):
        return False
    norm = posixpath.normpath(value.replace("\\", "/"))
    return norm != ".." and not norm.startswith("../")


# -- resolving one image ---------------------------------------------------------------

def _image(index: int, item: Any, defaults: Mapping[str, Any], line: int) -> ImageConfig:
    merged = {**defaults, **item}  # an image's key replaces the default, never merges
    return ImageConfig(
        name=str(item["name"]),
        index=index,
        line=line,
        context=_opt(merged, "context"),
        file=_opt(merged, "file"),
        target=_opt(merged, "target"),
        network=_opt(merged, "network"),
        platforms=_opt_tuple(merged, "platforms"),
        tags=_lines(merged.get("tags")),
        flavor=_pairs(merged.get("flavor")),
        labels=_pairs(merged.get("labels")),
        annotations=_pairs(merged.get("annotations")),
        build_args=_pairs(merged.get("build-args")),
        secrets=_secrets(merged.get("secrets")),
        cache=CacheMode(merged["cache"]) if "cache" in merged else None,
        cache_ref=_opt(merged, "cache-ref"),
        cache_dir=_opt(merged, "cache-dir"),
        cache_from=_lines(merged.get("cache-from")),
        cache_to=_lines(merged.get("cache-to")),
        push=PushMode(_scalar(merged["push"])) if "push" in merged else None,
        push_events=_opt_tuple(merged, "push-events"),
        push_branches=_opt_tuple(merged, "push-branches"),
        push_tags=_opt_tuple(merged, "push-tags"),
        login=PushMode(_scalar(merged["login"])) if "login" in merged else None,
        provenance=_toggle(merged.get("provenance")),
        sbom=_toggle(merged.get("sbom")),
        build_key=_opt(merged, "build-key"),
        paths=tuple(str(p) for p in merged.get("paths") or ()),
    )


def _scalar(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _opt(merged: Mapping[str, Any], key: str) -> str | None:
    return str(merged[key]) if key in merged else None


def _opt_tuple(merged: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    if key not in merged:
        return None
    value = merged[key]
    if isinstance(value, str):
        return tuple(p.strip() for p in value.replace("\n", ",").split(",") if p.strip())
    return tuple(str(v) for v in value)


def _lines(value: object) -> str | None:
    """A list or a block of text as the text of a multi-line input."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip("\n")
    return "\n".join(str(v) for v in value)  # type: ignore[attr-defined]


def _pairs(value: object) -> str | None:
    if isinstance(value, Mapping):
        return "\n".join(f"{k}={_scalar(v)}" for k, v in value.items())
    return _lines(value)


def _toggle(value: object) -> str | None:
    return None if value is None else _scalar(value)


def _secrets(value: object) -> tuple[Secret, ...] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return tuple(Secret(str(k), str(v)) for k, v in value.items())
    return tuple(Secret(str(v), str(v)) for v in value)  # type: ignore[attr-defined]


# -- late input errors at the config file's line -------------------------------------------
# What an image's environment carries (run.image_envs) so that an input error raised
# later for that image (a stage the Dockerfile lacks, a bad provenance value, a missing
# context) is reported at the key of the file that set the input, as docs/config.md says.
ORIGIN_VAR = "GHBUILD_CONFIG_ORIGIN"
# input name -> the config key that sets it, where the two differ
_KEY_OF_INPUT = {"images": "name", "secret-envs": "secrets"}
_INPUT_PREFIX = re.compile(r"^input '(?P<name>[a-z-]+)'(?: line (?P<line>\d+))?:? ?")


def origin(config: Config, path: Path, image: ImageConfig, inputs: Sequence[str]) -> str:
    """The value of :data:`ORIGIN_VAR`: the file, the image, and the inputs the file set
    for it (those a command-line flag replaced are left out: an error there is the
    flag's)."""
    return json.dumps({"file": config.path, "path": str(path.resolve()), "index": image.index,
                       "name": image.name, "inputs": sorted(inputs)})


def relocate(exc: InputError, value: str) -> InputError:
    """``exc`` at the line of the key that set its input for this image, or ``exc`` as it
    is when the input did not come from the file (or the file cannot be read again)."""
    found = _INPUT_PREFIX.match(exc.message)
    try:
        where = json.loads(value)
        if found is None or found.group("name") not in where["inputs"]:
            return exc
        data = _parse(Path(where["path"]).read_text(encoding="utf-8"), where["file"])
    except (OSError, ValueError, KeyError, TypeError, ConfigError):
        return exc
    index, name = int(where["index"]), found.group("name")
    key = _KEY_OF_INPUT.get(name, name)
    item = data["images"][index]
    path: list[PathPart] = ["images", index, key] if key in item else ["defaults", key]
    line, col = _entry_position(data, path, found.group("line"))
    shown = _dotted(path) + (f" (for images[{index}])" if path[0] == "defaults" else "")
    rest = exc.message[found.end():]
    return ConfigError(f"{shown}: {rest} (image {where['name']})", file=where["file"],
                       line=line, col=col, hint=exc.hint)


def _entry_position(data: Any, path: list[PathPart], line: str | None) -> tuple[int, int]:
    """The key's place; for an error on line N of a multi-line input written as a list or
    a mapping in the file, the place of its N-th entry."""
    value = _value_at(data, path)
    if line is not None and isinstance(value, list | Mapping):
        number = int(line) - 1
        keys = list(value) if isinstance(value, Mapping) else list(range(len(value)))
        if 0 <= number < len(keys):
            return _locate(data, [*path, keys[number]], key=isinstance(value, Mapping))
    return _locate(data, path, key=True)
