"""``ghbuild init``: write a workflow template into the user's ``.github/workflows/``.

The templates ship in the package (``ghbuild/templates/``, the same files as the
repository's ``workflows/``). Three placeholders are filled in from the checkout:

* the image ``ghcr.io/owner/repo`` -> ``ghcr.io/<owner>/<repo>`` of the ``origin`` remote,
  lowercased (registries refuse upper case);
* the branch ``main`` in ``on.push.branches`` / ``on.pull_request.branches`` -> the
  default branch (``origin/HEAD``, else ``git config init.defaultBranch``, else the
  current branch, else ``main``);
* the action reference ``org/ghbuild@v1`` -> ``--action OWNER/REPO@REF`` when given, and
  the ``setup`` sub-action ``org/ghbuild/setup@v1`` -> ``OWNER/REPO/setup@REF`` with it
  (one release for both: the sub-action installs the same ghbuild the action runs).

The YAML is parsed only to find where those values are; the text is then edited at
exactly those places, so comments, quoting and layout stay as the template has them.
An existing file that differs is never overwritten without ``--force``: its diff is
printed on stdout and the command exits 3 (refused by policy).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .. import workflow
from ..errors import InputError, PolicyError
from ..gha import Actions
from ..proc import get_runner

PLACEHOLDER_IMAGE = "ghcr.io/owner/repo"
PLACEHOLDER_BRANCH = "main"
PLACEHOLDER_ACTION = "org/ghbuild"
# Sub-actions of ghbuild's repository the templates name as ``org/ghbuild/<name>@v1``.
SUB_ACTIONS = ("setup",)
DEFAULT_TEMPLATE = "publish"
DESCRIPTION_PREFIX = re.compile(r'^ghbuild template "[^"]+":\s*')
# Templates that name no image of their own, and where the image is given instead.
IMAGE_ELSEWHERE = {
    "monorepo": "its images are the images: entries of .github/ghbuild.yml "
                "(docs/many-images.md)",
    "reusable": "the calling workflow names it (with: images: …)",
}

# owner/repo at the end of https://host/owner/repo(.git), git@host:owner/repo(.git) or
# ssh://git@host[:port]/owner/repo(.git).
_REMOTE = re.compile(r"[:/](?P<owner>[^/:]+)/(?P<repo>[^/]+?)(?:\.git)?/?$")
_COMPONENT = r"[a-z0-9]+(?:[._-]+[a-z0-9]+)*"
_IMAGE = re.compile(rf"^{_COMPONENT}(?::[0-9]+)?(?:/{_COMPONENT})+$")
_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?@[A-Za-z0-9_./-]+$")
_BRANCH = re.compile(r"^[^\s~^:?*\[\\]+$")


@dataclass(frozen=True, kw_only=True)
class Template:
    name: str
    description: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Fill:
    image: str
    branch: str
    action: str | None          # "owner/ghbuild@ref", or None to keep the placeholder


@dataclass(frozen=True)
class Edit:
    line: int                   # 0-based
    col: int
    old: str
    new: str


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", nargs="?", default=DEFAULT_TEMPLATE,
                        help=f"template name (default: {DEFAULT_TEMPLATE}); see --list")
    parser.add_argument("--list", action="store_true", help="list the templates and exit")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing workflow that differs from the template")
    parser.add_argument("--dir", default=".", metavar="PATH",
                        help="a directory of the git checkout to write into; the workflow "
                             "goes to the top of that checkout (default: .)")
    parser.add_argument("--image", help="image name (default: ghcr.io/<owner>/<repo> of "
                                        "the origin remote, lowercased)")
    parser.add_argument("--branch", help="default branch (default: origin/HEAD, else "
                                         "init.defaultBranch, else the current branch, "
                                         "else main)")
    parser.add_argument("--action", metavar="OWNER/REPO@REF",
                        help=f"reference to write in place of {PLACEHOLDER_ACTION}@v1 (and "
                             f"OWNER/REPO/setup@REF for {PLACEHOLDER_ACTION}/setup@v1), e.g. "
                             "a release tag or a full commit SHA")


def run(args: argparse.Namespace) -> int:
    actions = Actions()
    templates = load_templates()
    if args.list:
        width = max(len(name) for name in templates)
        for tpl in templates.values():
            print(f"{tpl.name:<{width}}  {tpl.description}")
        return 0
    tpl = pick(templates, args.template)
    if args.image and tpl.name in IMAGE_ELSEWHERE:
        raise InputError(f"--image: the {tpl.name} template names no image: "
                         f"{IMAGE_ELSEWHERE[tpl.name]}", hint="drop --image")
    if not Path(args.dir).is_dir():
        what = "is a file, not a directory" if Path(args.dir).exists() else "no such directory"
        raise InputError(f"--dir {args.dir}: {what}")
    root = checkout_root(Path(args.dir), actions)
    fill = resolve_fill(root, args, actions, needs_image=tpl.name not in IMAGE_ELSEWHERE)
    text = render(tpl, fill)
    target = root / ".github" / "workflows" / f"{tpl.name}.yml"
    write(target, text, force=args.force, actions=actions)
    if tpl.name == "monorepo" and not any(
            (root / ".github" / n).is_file() for n in ("ghbuild.yml", "ghbuild.yaml")):
        actions.notice("the monorepo workflow reads its images from .github/ghbuild.yml, "
                       "which this checkout does not have yet (docs/many-images.md)")
    return 0


# -- templates --------------------------------------------------------------------------
def load_templates() -> dict[str, Template]:
    folder = resources.files("ghbuild") / "templates"
    found: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yml") and entry.is_file():
            name = entry.name[:-len(".yml")]
            text = entry.read_text(encoding="utf-8")
            found[name] = Template(name=name, description=describe(text), text=text)
    return found


def describe(text: str) -> str:
    """The template's first comment paragraph, else its workflow ``name:``."""
    words: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#") or line.strip() == "#":
            break
        words.append(line.lstrip("#").strip())
    if words:
        return DESCRIPTION_PREFIX.sub("", " ".join(words))
    match = re.search(r"^name:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip().strip("'\"") if match else ""


def pick(templates: dict[str, Template], name: str) -> Template:
    if name in templates:
        return templates[name]
    close = difflib.get_close_matches(name, list(templates), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(templates)}"
    raise InputError(f"template '{name}' does not exist", hint=hint)


# -- what to fill in ----------------------------------------------------------------------
def resolve_fill(root: Path, args: argparse.Namespace, actions: Actions,
                 needs_image: bool = True) -> Fill:
    image = args.image or (image_from_origin(root, actions) if needs_image else
                           PLACEHOLDER_IMAGE)
    if not _IMAGE.match(image):
        raise InputError(f"--image {image!r} is not a valid image name (lowercase "
                         "registry/path, e.g. ghcr.io/acme/widget)")
    branch = args.branch
    if not branch:
        branch, source = guess_branch(root)
        if source:
            actions.notice(f"default branch: {branch} ({source}); pass --branch to choose "
                           "another")
    if not _BRANCH.match(branch):
        raise InputError(f"--branch {branch!r} is not a valid branch name")
    if args.action and not _ACTION.match(args.action):
        raise InputError(f"--action {args.action!r} must look like OWNER/REPO@REF")
    return Fill(image=image, branch=branch, action=args.action)


def _git(root: Path, *argv: str) -> str | None:
    try:
        done = get_runner().run(["git", "-C", str(root), *argv])
    except FileNotFoundError:
        raise InputError("git is not installed, so the image name and default branch cannot "
                         "be read from the checkout", hint="pass --image and --branch")
    return done.stdout.strip() if done.returncode == 0 else None


def checkout_root(path: Path, actions: Actions) -> Path:
    """The top of the git checkout ``path`` is in: workflows live there, not in a
    subdirectory. Outside a checkout (or without git) ``path`` itself."""
    try:
        top = _git(path, "rev-parse", "--show-toplevel")
    except InputError:
        return path
    if top and Path(top).resolve() != path.resolve():
        actions.notice(f"writing into the top of the checkout, {top}")
        return Path(top)
    return path


def image_from_origin(root: Path, actions: Actions) -> str:
    url = _git(root, "remote", "get-url", "origin")
    if not url:
        raise InputError(f"{root}: no 'origin' remote to take the image name from",
                         hint="pass --image ghcr.io/OWNER/REPO")
    match = _REMOTE.search(url)
    if not match:
        raise InputError(f"origin remote {url!r}: cannot read OWNER/REPO from it",
                         hint="pass --image ghcr.io/OWNER/REPO")
    path = f"{match['owner']}/{match['repo']}"
    if path != path.lower():
        actions.notice(f"image name lowercased: {path} -> {path.lower()}")
    return f"ghcr.io/{path.lower()}"


def default_branch(root: Path) -> str:
    return guess_branch(root)[0]


def guess_branch(root: Path) -> tuple[str, str]:
    """The default branch, and why it is a guess ("" when git says it outright).

    ``origin/HEAD`` names it; ``init.defaultBranch`` is what new repositories start on.
    Without either (a clone by an old git, a repository never pushed) the branch checked
    out is the better guess than a fixed ``main``: ``init`` is mostly run on the branch a
    project works on. A detached HEAD has none, so then ``main``."""
    head = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if head and head.startswith("origin/"):
        return head[len("origin/"):], ""
    configured = _git(root, "config", "--get", "init.defaultBranch")
    if configured:
        return configured, ""
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    if current:
        return current, "the current branch: no origin/HEAD or init.defaultBranch"
    return PLACEHOLDER_BRANCH, "no origin/HEAD, init.defaultBranch or current branch"


# -- rendering ------------------------------------------------------------------------------
def render(tpl: Template, fill: Fill) -> str:
    from ruamel.yaml import YAML

    doc = YAML(typ="rt").load(tpl.text)
    lines = tpl.text.splitlines(keepends=True)
    edits = list(_edits(doc, fill, lines))
    # Right to left, so an edit never shifts the column of another on the same line.
    for edit in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        line = lines[edit.line]
        if line[edit.col:edit.col + len(edit.old)] != edit.old:
            raise AssertionError(f"template {tpl.name}: expected {edit.old!r} at "
                                 f"{edit.line + 1}:{edit.col + 1}")
        lines[edit.line] = line[:edit.col] + edit.new + line[edit.col + len(edit.old):]
    return "".join(lines)


def _edits(doc: Any, fill: Fill, lines: list[str]) -> Iterator[Edit]:
    for branches in _branch_lists(doc):
        for i, value in enumerate(branches):
            if value == PLACEHOLDER_BRANCH and fill.branch != PLACEHOLDER_BRANCH:
                line, col = branches.lc.item(i)
                yield _scalar_edit(lines, line, col, value, fill.branch)
    for mapping in _mappings(doc):
        yield from _mapping_edits(mapping, fill, lines)


def _branch_lists(doc: Any) -> Iterator[Any]:
    """``on.push.branches`` and ``on.pull_request.branches`` where they are lists."""
    on = doc.get("on") if isinstance(doc, dict) else None
    for event in ("push", "pull_request"):
        spec = on.get(event) if isinstance(on, dict) else None
        branches = spec.get("branches") if isinstance(spec, dict) else None
        if isinstance(branches, list):
            yield branches


def _mapping_edits(mapping: Any, fill: Fill, lines: list[str]) -> Iterator[Edit]:
    uses = mapping.get("uses")
    new = action_reference(uses, fill.action) if isinstance(uses, str) else None
    if new is not None:
        line, col = mapping.lc.value("uses")
        yield _scalar_edit(lines, line, col, uses, new)
        marker = marker_for(new)
        if marker:  # at the end of the line: after a closing quote or a comment
            end = len(lines[line].rstrip("\r\n"))
            yield Edit(line, end, "", f" {marker}")
    images = mapping.get("images")
    if images == PLACEHOLDER_IMAGE:
        line, col = mapping.lc.value("images")
        yield _scalar_edit(lines, line, col, images, fill.image)


def action_reference(uses: str, action: str | None) -> str | None:
    """What ``--action OWNER/REPO[/PATH]@REF`` makes of a template's ``uses:`` value:
    the action itself, or its sub-action at the same reference; None when ``uses`` is
    not one of our placeholders (or no ``--action`` was given)."""
    name, at, _ = uses.partition("@")
    if not action or not at:
        return None
    if name == PLACEHOLDER_ACTION:
        return action
    repo, _, ref = action.partition("@")
    for sub in SUB_ACTIONS:
        if name == f"{PLACEHOLDER_ACTION}/{sub}":
            return f"{repo}/{sub}@{ref}"
    return None


def marker_for(uses: str) -> str:
    """The comment ``ghbuild plan`` knows a step by when its reference does not say
    ghbuild (``--action acme/container-build@v2``): ``# ghbuild``, ``# ghbuild setup``
    for the setup sub-action; "" when the name is recognised already."""
    if workflow.recognised(uses):
        return ""
    name = uses.partition("@")[0]
    return workflow.MARKER + (" setup" if any(name.endswith(f"/{sub}") for sub in
                                              SUB_ACTIONS) else "")


def _scalar_edit(lines: list[str], line: int, col: int, old: str, new: str) -> Edit:
    # A quoted scalar starts with its quote; the text inside is what we replace.
    if lines[line][col:col + 1] in ("'", '"'):
        col += 1
    return Edit(line, col, old, new)


def _mappings(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _mappings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mappings(item)


# -- writing ------------------------------------------------------------------------------
def check_target(target: Path, root: Path) -> None:
    """The workflow file may be written only at its own place inside the checkout: not
    through a symlink (``--force`` would overwrite whatever it points at, and without it
    the diff would print that file), not under a ``.github`` or ``.github/workflows``
    that is a file or a symlink leading out of the checkout."""
    top = root.resolve()
    for path in (root / ".github", root / ".github" / "workflows"):
        if path.is_symlink():
            resolved = path.resolve()
            if resolved != top and top not in resolved.parents:
                raise PolicyError(f"{path} is a symlink to {resolved}, outside the checkout "
                                  f"{top}; not writing through it")
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is a file, not a directory: ghbuild init writes the "
                             "workflow into .github/workflows/",
                             hint="move the file away, or give another checkout with --dir")
    if target.is_symlink():
        raise PolicyError(f"{target} is a symlink (to {os.readlink(target)}); not writing "
                          "through it", hint="remove the link to have the template written "
                                             "in its place")
    if target.exists() and not target.is_file():
        raise InputError(f"{target} exists and is not a file")


def write(target: Path, text: str, *, force: bool, actions: Actions) -> None:
    # target is <root>/.github/workflows/<name>.yml
    check_target(target, target.parents[2])
    if target.exists():
        current = target.read_text(encoding="utf-8")
        if current == text:
            actions.info(f"{target}: already up to date")
            return
        if not force:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=f"{target} (yours)", tofile=f"{target} (template)"))
            raise PolicyError(f"{target} exists and differs from the template; "
                              "not overwritten", hint="the diff is on stdout; pass --force "
                                                      "to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: a symlink put there since the check is not followed either
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    actions.info(f"wrote {target}")
