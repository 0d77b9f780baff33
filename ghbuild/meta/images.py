"""The ``images`` input: image names with optional ``name=`` / ``enable=`` attributes.

As in metadata-action: a single line whose fields have no ``=`` lists plain names
(``user/app,ghcr.io/user/app``); otherwise each item is one image, a field without
``=`` (or ``name=``) is its name and ``enable=true|false`` switches it. Names are
lowercased. Unlike metadata-action, a name that is not a Docker repository reference
(a tag or digest in it, spaces, an empty path part) is refused here rather than
producing tags no registry accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .csvlist import ListItem, split_fields, split_key_value

# Docker's reference grammar for a repository name (distribution/reference), lowercased.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
NAME_RE = re.compile(rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*")
MAX_NAME = 255


@dataclass(frozen=True)
class Image:
    name: str          # lowercased
    enable: bool
    line: int


def parse_images(items: tuple[ListItem, ...], name: str = "images") -> tuple[Image, ...]:
    if len(items) == 1:
        fields = split_fields(items[0], name)
        if all(split_key_value(f) is None for f in fields):
            return tuple(_checked(f.strip(), True, items[0], name) for f in fields
                         if f.strip())
    return tuple(_parse_one(item, name) for item in items)


def _parse_one(item: ListItem, name: str) -> Image:
    image_name, enable = "", True
    for field in split_fields(item, name):
        kv = split_key_value(field)
        key, value = kv if kv is not None else ("name", field.strip())
        if key == "name":
            if image_name:
                raise InputError(f"input '{name}' line {item.line}: the image name is given "
                                 f"twice ('{image_name}', '{value}') in \"{item.text}\"")
            image_name = value
        elif key == "enable":
            if value not in ("true", "false"):
                raise InputError(f"input '{name}' line {item.line}: enable must be 'true' or "
                                 f"'false', got '{value}' in \"{item.text}\"")
            enable = value == "true"
        else:
            raise InputError(f"input '{name}' line {item.line}: unknown image attribute "
                             f"'{key}' in \"{item.text}\" (expected: name, enable)")
    if not image_name:
        raise InputError(f"input '{name}' line {item.line}: no image name in \"{item.text}\"")
    return _checked(image_name, enable, item, name)


def _checked(image_name: str, enable: bool, item: ListItem, name: str) -> Image:
    lowered = image_name.lower()
    if len(lowered) > MAX_NAME:
        # the distribution spec's limit (as Docker's reference parser has it)
        raise InputError(f"input '{name}' line {item.line}: the image name is "
                         f"{len(lowered)} characters long, more than the {MAX_NAME} a "
                         f"registry takes: '{image_name[:60]}…'")
    if not NAME_RE.fullmatch(lowered):
        hint = "without a tag or digest" if (":" in lowered.rsplit("/", 1)[-1]
                                              or "@" in lowered) else "e.g. ghcr.io/owner/app"
        raise InputError(f"input '{name}' line {item.line}: '{image_name}' is not an image "
                         f"name ({hint}) in \"{item.text}\"")
    return Image(lowered, enable, item.line)
