"""``ghbuild meta``: version, tags, labels and annotations, as docker/metadata-action gives them.

Context from the runner environment (``GITHUB_*`` and the payload) or, with
``--context git``, from the local checkout; inputs from ``INPUT_*`` with flags of the same
names on top. Stdout carries only the result; warnings go to stderr. This path imports
no HTTP, YAML or schema library.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace

from ..errors import InputError
from ..gha import safe_json, safe_text

_LIST_FLAGS = ("images", "tags", "flavor", "labels", "annotations")
_TEXT_FLAGS = ("sep-tags", "sep-labels", "sep-annotations", "bake-target")
# flags that shape the git context only
_GIT_FLAGS = ("event", "event_path", "ref", "pr")
_EVENTS = ("push", "pull_request", "pull_request_target", "release", "schedule",
           "workflow_dispatch")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json", "text"), default="json",
                        help="json: one object {version, tags, labels, annotations}; "
                             "text: a readable listing")
    for name in _LIST_FLAGS:
        parser.add_argument(f"--{name}", metavar="LIST", default=None,
                            help=f"the '{name}' input (overrides INPUT_{name.upper()})")
    for name in _TEXT_FLAGS:
        parser.add_argument(f"--{name}", metavar="TEXT", default=None,
                            help=f"the '{name}' input (overrides INPUT_"
                                 f"{name.upper().replace('-', '_')})")
    parser.add_argument("--context", choices=("workflow", "git"), default=None,
                        help="the 'context' input (overrides INPUT_CONTEXT): workflow (the "
                             "runner's GITHUB_* and payload, the default) or git (the checkout "
                             "in the current directory)")
    parser.add_argument("--repo-metadata", metavar="FILE",
                        help="a GitHub REST repository object (JSON) for the title, "
                             "description, license and URL labels")
    parser.add_argument("--event", choices=_EVENTS, default=None,
                        help="with --context git: the event to compute for (default: "
                             "GITHUB_EVENT_NAME or push)")
    parser.add_argument("--event-path", metavar="FILE", default=None,
                        help="with --context git: a saved event payload (JSON) whose fields "
                             "win over git's (default: GITHUB_EVENT_PATH)")
    parser.add_argument("--ref", metavar="REF", default=None,
                        help="with --context git: compute for this ref instead of git's "
                             "(refs/tags/v1.2.3)")
    parser.add_argument("--pr", type=int, metavar="NUMBER", default=None,
                        help="with --context git: the pull request number for --event "
                             "pull_request / pull_request_target")
    parser.add_argument("--output-file", metavar="FILE",
                        help="also append metadata-action's step outputs to FILE "
                             "(GITHUB_OUTPUT format; bake files written beside it)")


def run(args: argparse.Namespace) -> int:
    from .. import meta

    env = os.environ
    if args.output_file:
        from ..inputs import check_writable_file

        check_writable_file("--output-file", args.output_file)
    overrides = {name: getattr(args, name.replace("-", "_")) for name in
                 (*_LIST_FLAGS, *_TEXT_FLAGS, "context")}
    inputs = meta.read_inputs(env, overrides)
    ctx = _context(inputs.context, args, env)
    repo = meta.RepoMeta.from_file(args.repo_metadata) if args.repo_metadata else None
    result = meta.compute(ctx, inputs, repo)
    _warn(result.warnings)
    if inputs.context == "git":
        _note_empty_repo_labels(result.labels)
    if args.output_file:
        _write_outputs(result.outputs(inputs, os.path.dirname(os.path.abspath(
            args.output_file))), args.output_file)
    if args.format == "json":
        sys.stdout.write(safe_json(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
                         + "\n")
    else:
        from ..meta.outputs import text_listing

        sys.stdout.write(safe_text(text_listing(result)))
    return 0


def _context(kind: str, args: argparse.Namespace, env: os._Environ[str]):  # type: ignore[no-untyped-def]
    from .. import context

    if kind == "git":
        from ..gitcontext import from_git

        event = args.event or env.get("GITHUB_EVENT_NAME") or "push"
        return from_git(os.getcwd(), event=event,
                        event_path=args.event_path or env.get("GITHUB_EVENT_PATH") or None,
                        environ=env, ref=args.ref, pr_number=args.pr)
    given = [f"--{name.replace('_', '-')}" for name in _GIT_FLAGS
             if getattr(args, name) is not None]
    if given:
        raise InputError(f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} "
                         "with --context git")
    path = env.get("GITHUB_EVENT_PATH", "")
    if path and not os.path.exists(path):
        # the Actions toolkit (and so metadata-action) reads a missing payload file as {}
        _warn((f"GITHUB_EVENT_PATH {path} does not exist; using an empty event payload",))
        thin = {k: v for k, v in env.items() if k != "GITHUB_EVENT_PATH"}
        return replace(context.from_env(thin), event_path=path)
    return context.from_env(env)


def _note_empty_repo_labels(labels: dict[str, str]) -> None:
    from ..gha import Actions
    from ..meta.labels import empty_repo_labels

    empty = empty_repo_labels(labels)
    if empty:
        # a checkout without an origin remote leaves title, url and source empty too
        Actions().notice(f"OCI labels {', '.join(empty)} left empty: this checkout does not "
                         "provide them (pass --repo-metadata FILE with the repository's REST "
                         "object)")


def _warn(warnings: tuple[str, ...]) -> None:
    if not warnings:
        return
    from ..gha import Actions

    actions = Actions()
    for warning in warnings:
        actions.warning(warning)


def _write_outputs(outputs: dict[str, str], path: str) -> None:
    import uuid

    with open(path, "a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            delim = f"ghadelim_{uuid.uuid4().hex}"
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")
