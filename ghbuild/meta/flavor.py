"""The ``flavor`` input: ``latest=auto|true|false``, ``prefix=``/``suffix=`` and
``onlatest=`` (which applies to the prefix or suffix just before it on the same line)."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from ..errors import InputError
from .csvlist import ListItem, split_fields, split_key_value


class Latest(str, enum.Enum):
    AUTO = "auto"
    TRUE = "true"
    FALSE = "false"


@dataclass(frozen=True)
class Flavor:
    latest: Latest = Latest.AUTO
    prefix: str = ""
    prefix_latest: bool = False
    suffix: str = ""
    suffix_latest: bool = False
    # warnings found while parsing (a prefix or suffix naming an unknown variable)
    warnings: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    def latest_for(self, auto: bool) -> bool:
        """Whether ``latest`` goes with a version whose auto rule says ``auto``."""
        if self.latest is Latest.AUTO:
            return auto
        return self.latest is Latest.TRUE


def _err(name: str, item: ListItem, message: str) -> InputError:
    return InputError(f"input '{name}' line {item.line}: {message} in \"{item.text}\"")


def _check_template(value: str, key: str, item: ListItem, name: str) -> list[str]:
    """Errors raise; the returned warnings name variables that would render empty."""
    from .expr import GLOBAL_NAMES, ExprError, validate
    from .tagspec import located

    try:
        unknown = validate(value, GLOBAL_NAMES)
    except ExprError as exc:
        raise _err(name, item, f"{key}: {exc}")
    return [located(name, item, f"{key}: {msg}", hint)
            for msg, hint in (u.message(GLOBAL_NAMES) for u in unknown)]


def parse_flavor(items: tuple[ListItem, ...], name: str = "flavor") -> Flavor:
    values: dict[str, object] = {}
    warnings: list[str] = []
    for item in items:
        onlatest_for = ""
        for field in split_fields(item, name):
            kv = split_key_value(field)
            if kv is None:
                raise _err(name, item, f"'{field.strip()}' is not key=value")
            key, value = kv
            if key == "latest":
                try:
                    values["latest"] = Latest(value)
                except ValueError:
                    raise _err(name, item, f"latest must be auto, true or false, got '{value}'")
            elif key in ("prefix", "suffix"):
                warnings += _check_template(value, key, item, name)
                values[key] = value
                onlatest_for = key
            elif key == "onlatest":
                if value not in ("true", "false"):
                    raise _err(name, item, f"onlatest must be 'true' or 'false', got '{value}'")
                if onlatest_for:
                    values[f"{onlatest_for}_latest"] = value == "true"
            else:
                raise _err(name, item, f"unknown flavor '{key}' (expected: latest, prefix, "
                                       "suffix, onlatest)")
    return Flavor(**values, warnings=tuple(warnings))  # type: ignore[arg-type]
