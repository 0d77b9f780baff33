"""metadata-action's step outputs and bake definitions from a :class:`MetaResult`."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from .labels import as_object

if TYPE_CHECKING:
    from . import MetaInputs, MetaResult


def js_json(value: Any, indent: int | None = None) -> str:
    """``JSON.stringify`` output: no ASCII escaping, compact unless indented."""
    if indent is None:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _args(result: MetaResult) -> dict[str, str]:
    args = {"DOCKER_META_IMAGES": ",".join(result.images)}
    if result.version:
        # JSON.stringify drops an undefined version
        args["DOCKER_META_VERSION"] = result.version
    return args


def bake_definitions(result: MetaResult, target: str) -> dict[str, dict[str, Any]]:
    """The four bake files metadata-action writes, by output name."""
    labels = as_object(result.label_lines)
    return {
        "bake-file-tags": {"target": {target: {"tags": list(result.tags),
                                               "args": _args(result)}}},
        "bake-file-labels": {"target": {target: {"labels": labels}}},
        "bake-file-annotations": {"target": {target: {"annotations":
                                                      list(result.annotations)}}},
        "bake-file": {"target": {target: {"tags": list(result.tags), "labels": labels,
                                          "args": _args(result)}}},
    }


_BAKE_FILE_NAMES = {"bake-file-tags": "docker-metadata-action-bake-tags.json",
                    "bake-file-labels": "docker-metadata-action-bake-labels.json",
                    "bake-file-annotations": "docker-metadata-action-bake-annotations.json",
                    "bake-file": "docker-metadata-action-bake.json"}


def step_outputs(result: MetaResult, inputs: MetaInputs,
                 bake_dir: str | None = None) -> dict[str, str]:
    # metadata-action's json output (its newest form also carries the tag names)
    meta_json = {"tags": list(result.tags), "tag-names": list(result.tag_names),
                 "labels": dict(result.labels), "annotations": list(result.annotations)}
    out = {
        "version": result.version,
        "tags": inputs.sep_tags.join(result.tags),
        "tag-names": inputs.sep_tags.join(result.tag_names),
        "labels": inputs.sep_labels.join(result.label_lines),
        "annotations": inputs.sep_annotations.join(result.annotations),
        "json": js_json(meta_json),
    }
    for name, definition in bake_definitions(result, inputs.bake_target).items():
        text = js_json(definition, indent=2)
        if bake_dir is None:
            out[name] = text
            continue
        path = os.path.join(bake_dir, _BAKE_FILE_NAMES[name])
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        out[name] = path
    return out


def text_listing(result: MetaResult) -> str:
    """A human listing like metadata-action's log groups (``--format text``)."""
    lines = ["Docker image version", f"  {result.version or '(none)'}", "Docker tags"]
    lines += [f"  {t}" for t in result.tags] or ["  (none)"]
    lines.append("Docker labels")
    lines += [f"  {label}" for label in result.label_lines]
    lines.append("Annotations")
    lines += [f"  {a}" for a in result.annotations]
    if result.unmatched:
        lines.append("Rules that produced no tag")
        lines += [f"  {u}" for u in result.unmatched]
    return "\n".join(lines) + "\n"
