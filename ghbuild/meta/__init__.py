"""The tag, label and annotation engine (docker/metadata-action syntax and results).

This module is on the ``ghbuild meta`` path, so it imports only the standard library
and the small sibling modules; :mod:`packaging` is imported only for ``type=pep440``.

* :class:`MetaInputs` and :func:`read_inputs`: the action inputs, from ``INPUT_*`` and
  flags, plus metadata-action's ``DOCKER_METADATA_*`` switches;
* :class:`RepoMeta`: the repository fields the OCI labels use;
* :func:`compute`: a pure function of a :class:`ghbuild.context.Context`, the inputs and
  the repository metadata, giving a :class:`MetaResult`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from ..context import read_json_object
from ..errors import InputError
from ..inputs import env_input

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["MetaInputs", "RepoMeta", "MetaResult", "read_inputs", "compute"]


@dataclass(frozen=True, kw_only=True)
class MetaInputs:
    images: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    flavor: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()
    sep_tags: str = "\n"
    sep_labels: str = "\n"
    sep_annotations: str = "\n"
    bake_target: str = "docker-metadata-action"
    context: str = "workflow"
    # metadata-action's documented environment switches (DOCKER_METADATA_*)
    pr_head_sha: bool = False
    short_sha_length: int = 7
    annotation_levels: tuple[str, ...] = ("manifest",)

    def text(self, name: str) -> str:
        """A list input joined back into its multi-line text (how it is parsed)."""
        return "\n".join(getattr(self, name))


_LIST_INPUTS = ("images", "tags", "flavor", "labels", "annotations")
_SEP_INPUTS = {"sep-tags": "sep_tags", "sep-labels": "sep_labels",
               "sep-annotations": "sep_annotations"}


def read_inputs(environ: Mapping[str, str],
                overrides: Mapping[str, str | None] | None = None) -> MetaInputs:
    """Inputs from ``INPUT_*`` (both ``-`` and ``_`` spellings); ``overrides`` holds raw
    flag values by input name (``tags``, ``sep-tags``, ...) and wins when not None."""
    over = dict(overrides or {})

    def raw(name: str, trim: bool = True) -> str | None:
        for key in (name, name.replace("-", "_"), name.replace("_", "-")):
            if over.get(key) is not None:
                value = over[key]
                assert value is not None
                return value.strip() if trim else value
        return env_input(name, environ, trim=trim)

    values: dict[str, Any] = {}
    for name in _LIST_INPUTS:
        text = raw(name)
        values[name] = (text,) if text else ()
    for name, attr in _SEP_INPUTS.items():
        values[attr] = raw(name, trim=False) or "\n"
    values["bake_target"] = raw("bake-target") or "docker-metadata-action"
    context = raw("context") or "workflow"
    if context not in ("workflow", "git"):
        raise InputError(f"input 'context' must be 'workflow' or 'git', got {context!r}")
    values["context"] = context
    values.update(_env_switches(environ))
    return MetaInputs(**values)


def _env_switches(environ: Mapping[str, str]) -> dict[str, Any]:
    from .labels import parse_levels

    out: dict[str, Any] = {}
    head = environ.get("DOCKER_METADATA_PR_HEAD_SHA", "").strip().lower()
    if head not in ("", "true", "false"):
        raise InputError("DOCKER_METADATA_PR_HEAD_SHA must be 'true' or 'false', got "
                         f"{environ['DOCKER_METADATA_PR_HEAD_SHA']!r}")
    out["pr_head_sha"] = head == "true"
    length = environ.get("DOCKER_METADATA_SHORT_SHA_LENGTH", "").strip()
    if length:
        out["short_sha_length"] = _short_sha_length(length)
    out["annotation_levels"] = parse_levels(environ.get("DOCKER_METADATA_ANNOTATIONS_LEVELS"))
    return out


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def _short_sha_length(text: str) -> int:
    """A whole number, as metadata-action reads it (JavaScript's ``Number``; it refuses
    what is not a number). 0 and negative ones are taken here and refused only where a
    short sha is made (``engine.short_sha``), since that is the only place metadata-action
    uses them. Unlike metadata-action, a fraction (``7.5``, cut down to 7 there) and the
    other spellings ``Number`` knows (``0x10``, ``1e1``, ``Infinity``) are refused here,
    and at once rather than at first use: none of them is written to mean a length."""
    if not text.isascii() or not _WHOLE_NUMBER.fullmatch(text):
        raise InputError("DOCKER_METADATA_SHORT_SHA_LENGTH must be a whole number (the length "
                         f"of {{{{sha}}}} and type=sha), got {text!r}")
    return int(text)


@dataclass(frozen=True)
class RepoMeta:
    """The repository fields labels use (a subset of the GitHub REST repository object)."""

    name: str = ""
    description: str = ""
    license: str = ""          # SPDX id
    html_url: str = ""
    default_branch: str = ""

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> RepoMeta:
        lic = obj.get("license")
        spdx = lic.get("spdx_id") if isinstance(lic, Mapping) else None

        def text(key: str) -> str:
            value = obj.get(key)
            return value if isinstance(value, str) else ""

        return cls(name=text("name"), description=text("description"),
                   license=spdx if isinstance(spdx, str) else "", html_url=text("html_url"),
                   default_branch=text("default_branch"))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RepoMeta:
        repo = payload.get("repository")
        return cls.from_object(repo) if isinstance(repo, Mapping) else cls()

    @classmethod
    def from_file(cls, path: str) -> RepoMeta:
        data = read_json_object(path, "--repo-metadata", "a JSON object (a GitHub repository)")
        return cls.from_object(data)

    def merged(self, other: RepoMeta | None) -> RepoMeta:
        """Self's fields, with the empty ones taken from ``other``."""
        if other is None:
            return self
        return replace(self, **{f.name: getattr(self, f.name) or getattr(other, f.name)
                                for f in fields(self)})

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if not getattr(self, f.name))


@dataclass(frozen=True)
class MetaResult:
    version: str
    tags: tuple[str, ...]
    tag_names: tuple[str, ...]
    images: tuple[str, ...]
    labels: dict[str, str]
    annotations: tuple[str, ...]
    unmatched: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    latest: bool = False
    label_lines: tuple[str, ...] = ()       # sorted key=value
    annotation_lines: tuple[str, ...] = ()  # sorted key=value, no level
    levels: tuple[str, ...] = ("manifest",)
    # The tags (full refs, as in ``tags``) that name one exact release: made by a semver or
    # pep440 rule from the full version ({{version}}, {{raw}}, a pre-release), prefix and
    # suffix included. They must not move to another digest. Not part of to_json(): the
    # ``ghbuild meta`` JSON contract stays metadata-action's.
    release_tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``ghbuild meta --format json`` object."""
        return {"version": self.version, "tags": list(self.tags), "labels": dict(self.labels),
                "annotations": list(self.annotations)}

    def outputs(self, inputs: MetaInputs, bake_dir: str | None = None) -> dict[str, str]:
        """metadata-action's step outputs. ``bake-file*`` are file paths when ``bake_dir``
        is given (files written there, as metadata-action does), else the JSON text."""
        from .outputs import step_outputs

        return step_outputs(self, inputs, bake_dir)


def compute(ctx: Context, inputs: MetaInputs, repo: RepoMeta | None = None) -> MetaResult:
    from .engine import run

    return run(ctx, inputs, repo)
