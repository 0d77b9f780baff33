"""Computing version, tags, labels and annotations (metadata-action's ``Meta``).

Rules run in priority order. Each produces one value or nothing; the first value is
the version, the others follow in order without repeats; the first rule that
produced a value decides ``latest`` under ``latest=auto`` (semver/pep440 releases, match
and ref tag say yes; everything else no).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from . import MetaInputs, MetaResult, RepoMeta
from .csvlist import ListItem, parse_list
from .expr import ExprError, Helper, is_single_path, js_string, render, unknown_zone_message
from .flavor import Flavor, parse_flavor
from .images import parse_images
from .labels import as_object, merge_entries
from .sanitize import sanitize_tag
from .tagspec import RefEvent, ShaFormat, TagRule, TagType, parse_rules

if TYPE_CHECKING:
    from ..context import Context

HEADS, TAGS, PULL = "refs/heads/", "refs/tags/", "refs/pull/"


@dataclass
class _Version:
    main: str | None = None
    partial: list[str] = field(default_factory=list)
    latest: bool | None = None
    warnings: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    # tag names that name one exact release (see _Outcome.release)
    releases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Env:
    ctx: Context
    repo: RepoMeta
    flavor: Flavor
    inputs: MetaInputs
    now_ms: int
    commit_ms: int
    scope: Mapping[str, object]


def run(ctx: Context, inputs: MetaInputs, repo: RepoMeta | None) -> MetaResult:
    ctx = _workflow_context(ctx, inputs)
    repo_meta = (repo or RepoMeta()).merged(RepoMeta.from_payload(ctx.payload))
    images = parse_images(parse_list(inputs.text("images"), "images"))
    rules = parse_rules(parse_list(inputs.text("tags"), "tags"))
    flavor = parse_flavor(parse_list(inputs.text("flavor"), "flavor"))
    now_ms = int(round(ctx.now * 1000))
    env = _Env(ctx, repo_meta, flavor, inputs, now_ms, commit_date_ms(ctx, now_ms), {})
    env = replace(env, scope=global_scope(env))
    version = _versions(env, rules)
    names = [i.name for i in images if i.enable]
    tags, tag_names = _tags(version, names, flavor)
    labels, label_notes = _entries(env, version.main, inputs.text("labels"), "labels")
    annotations, annotation_notes = _entries(env, version.main, inputs.text("annotations"),
                                             "annotations")
    # what parsing found comes first, in the order the user wrote the rules
    rule_notes = [note for rule in sorted(rules, key=lambda r: r.line) for note in rule.notes]
    warnings = (*flavor.warnings, *rule_notes, *version.warnings, *label_notes,
                *annotation_notes)
    leveled = tuple(f"{level}:{a}" for level in inputs.annotation_levels for a in annotations)
    return MetaResult(
        version=version.main or "", tags=tags, tag_names=tag_names, images=tuple(names),
        labels=as_object(labels), annotations=leveled, unmatched=tuple(version.unmatched),
        warnings=warnings, latest=bool(version.latest),
        label_lines=tuple(labels), annotation_lines=tuple(annotations),
        levels=inputs.annotation_levels, release_tags=_release_refs(version, names))


def _release_refs(version: _Version, images: Sequence[str]) -> tuple[str, ...]:
    """Full refs (``image:tag``, or the bare tag without images) of the release tags, in
    the order of ``tags``."""
    if not version.main:
        return ()
    if not images:
        return tuple(version.releases)
    return tuple(f"{image}:{name}" for image in images for name in version.releases)


# -- context --------------------------------------------------------------------------------

def _workflow_context(ctx: Context, inputs: MetaInputs) -> Context:
    """metadata-action's adjustments to the runner context."""
    ref, sha = ctx.ref, ctx.sha
    payload = ctx.payload
    if "pull_request_target" in ctx.event_name:
        # the runner gives the base branch's ref; the PR's merge ref is what is built
        number = payload.get("number")
        ref = f"refs/pull/{number}/merge" if number is not None else ""
    if inputs.pr_head_sha and "pull_request" in ctx.event_name:
        head = (payload.get("pull_request") or {}).get("head") or {}
        if isinstance(head, Mapping) and head.get("sha"):
            sha = str(head["sha"])
    if (ref, sha) == (ctx.ref, ctx.sha):
        return ctx
    return replace(ctx, ref=ref, sha=sha)


def commit_date_ms(ctx: Context, now_ms: int) -> int:
    """The commit date from the payload (a pushed commit or the head commit with this
    sha); "now" when the payload has none (metadata-action would ask the API)."""
    payload = ctx.payload
    stamps: list[Any] = []
    commits = payload.get("commits")
    if isinstance(commits, list):
        stamps += [c.get("timestamp") for c in commits
                   if isinstance(c, Mapping) and c.get("id") == ctx.sha]
    head = payload.get("head_commit")
    if isinstance(head, Mapping) and head.get("id") == ctx.sha:
        stamps.append(head.get("timestamp"))
    for stamp in stamps:
        parsed = _parse_timestamp(stamp)
        if parsed is not None:
            return parsed
    return now_ms


def _parse_timestamp(stamp: Any) -> int | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    text = stamp.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


# -- expressions ----------------------------------------------------------------------------

def _date_helper(epoch_ms: int, label: str) -> Helper:
    def fn(params: Sequence[object], hashes: Mapping[str, object]) -> str:
        from .dates import UnknownZone, format_moment

        if not params:
            raise ExprError(f"{{{{{label}}}}} needs a format, e.g. {{{{{label} 'YYYYMMDD'}}}}")
        tz = "UTC"
        for key, value in hashes.items():
            if key != "tz":
                raise ExprError(f"unknown attribute '{key}' for {label} (expected tz='Zone')")
            tz = js_string(value)
        fmt = params[0]
        try:
            return format_moment(epoch_ms, None if fmt is None else js_string(fmt), tz)
        except UnknownZone:
            raise ExprError(unknown_zone_message(tz))
    return Helper(fn)


def short_sha(sha: str, length: int) -> str:
    """The first ``length`` characters, the whole sha when it has no more (as in
    metadata-action). A length below 1 is refused here, where it is used: metadata-action
    makes the short sha empty then, so ``type=sha`` gives the tag ``sha-`` for every commit
    and ``{{sha}}`` vanishes, which no one means. Where no short sha is made, such a
    length has no effect, there as here."""
    if length < 1 and sha:
        raise InputError(f"DOCKER_METADATA_SHORT_SHA_LENGTH is {length}, which makes the short "
                         "sha empty (metadata-action would tag every commit 'sha-'); use a "
                         f"length from 1 up ({len(sha)} or more for the whole sha)")
    return sha if length >= len(sha) else sha[:length]


def global_scope(env: _Env) -> dict[str, object]:
    ctx = env.ctx
    ref = ctx.ref

    def const(value: str) -> Helper:
        return Helper(lambda _p, _h: value)

    branch = ref[len(HEADS):] if ref.startswith(HEADS) else ""
    tag = ref[len(TAGS):] if ref.startswith(TAGS) else ""
    default = _is_default_branch(ctx)
    return {
        "branch": const(branch),
        "tag": const(tag),
        # made when a template asks for it: only then may a bad length be an error
        "sha": Helper(lambda _p, _h: short_sha(ctx.sha, env.inputs.short_sha_length)),
        "base_ref": const(_base_ref(ctx)),
        "is_default_branch": const("true" if default else "false"),
        "is_not_default_branch": const("false" if default else "true"),
        "date": _date_helper(env.now_ms, "date"),
        "commit_date": _date_helper(env.commit_ms, "commit_date"),
    }


def _base_ref(ctx: Context) -> str:
    payload = ctx.payload
    if ctx.ref.startswith(TAGS) and isinstance(payload.get("base_ref"), str):
        return str(payload["base_ref"]).removeprefix(HEADS)
    pr = payload.get("pull_request")
    if ctx.ref.startswith(PULL) and isinstance(pr, Mapping):
        base = pr.get("base")
        if isinstance(base, Mapping) and base.get("ref") is not None:
            return js_string(base["ref"])
    return ""


def _is_default_branch(ctx: Context) -> bool:
    # metadata-action strips refs/heads/ only, so a tag ref is compared whole (never equal)
    branch = ctx.ref.removeprefix(HEADS)
    if not branch:
        return False
    if ctx.default_branch and ctx.default_branch == branch:
        return True
    # these events always run for the last commit of the default branch
    return any(e in ctx.event_name for e in ("create", "discussion", "issues", "schedule"))


def _render(env: _Env, template: str, where: str, text: str, name: str = "tags",
            scope: Mapping[str, object] | None = None) -> str:
    try:
        return render(template, env.scope if scope is None else scope)
    except ExprError as exc:
        raise InputError(f"input '{name}' {where}: {exc} in \"{text}\"")


# -- tag rules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    value: str | None      # None: the rule does not apply here
    auto_latest: bool = False
    reason: str = ""
    # The value names one exact release (a semver/pep440 full version or raw text, with
    # its prefix and suffix): such a tag must never move to another digest.
    release: bool = False


def _skip(reason: str) -> _Outcome:
    return _Outcome(None, False, reason)


def _versions(env: _Env, rules: Sequence[TagRule]) -> _Version:
    version = _Version()
    for rule in rules:
        if rule.unknown:
            version.warnings.append(
                f"input 'tags' {rule.where}: attribute(s) {', '.join(rule.unknown)} are not "
                f"used by type={rule.type.value} in \"{rule.text}\"")
        enabled = _render(env, rule.get("enable"), rule.where, rule.text)
        if enabled not in ("true", "false"):
            raise InputError(f"input 'tags' {rule.where}: enable must be 'true' or 'false', "
                             f"got '{enabled}' in \"{rule.text}\"")
        if enabled == "false":
            version.unmatched.append(f"{rule.text} ({rule.where}): disabled (enable=false)")
            continue
        outcome = _PROCESSORS[rule.type](env, rule, version)
        if outcome.value is None or outcome.value == "":
            reason = outcome.reason or "produced an empty value"
            version.unmatched.append(f"{rule.text} ({rule.where}): {reason}")
            continue
        _set_version(version, outcome.value, env.flavor.latest_for(outcome.auto_latest),
                     rule, release=outcome.release)
    version.latest = bool(version.latest)
    return version


def _set_version(version: _Version, value: str, latest: bool, rule: TagRule, *,
                 release: bool = False) -> None:
    tag, warning = sanitize_tag(value)
    if warning:
        version.warnings.append(f"input 'tags' {rule.where}: {warning}")
    if not tag:
        version.warnings.append(f"input 'tags' {rule.where}: value {value!r} has no character "
                                f"a Docker tag may start with; no tag from \"{rule.text}\"")
        version.unmatched.append(f"{rule.text} ({rule.where}): value {value!r} is not a tag")
        return
    if version.main is None:
        version.main = tag
    elif tag != version.main and tag not in version.partial:
        version.partial.append(tag)
    if release and tag not in version.releases:
        version.releases.append(tag)
    if version.latest is None:
        version.latest = latest


def _with_affixes(env: _Env, rule: TagRule, value: str) -> str:
    """metadata-action's setValue: the rule's prefix/suffix, else the flavor's."""
    if rule.has("prefix"):
        value = _render(env, rule.get("prefix"), rule.where, rule.text) + value
    elif env.flavor.prefix:
        value = _render(env, env.flavor.prefix, "prefix", env.flavor.prefix, "flavor") + value
    if rule.has("suffix"):
        value += _render(env, rule.get("suffix"), rule.where, rule.text)
    elif env.flavor.suffix:
        value += _render(env, env.flavor.suffix, "suffix", env.flavor.suffix, "flavor")
    return value


def _proc_schedule(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    if "schedule" not in env.ctx.event_name:
        return _skip("only on schedule events")
    # a schedule pattern sees only the date helpers, as in metadata-action
    scope = {"date": env.scope["date"], "commit_date": env.scope["commit_date"]}
    value = _render(env, rule.get("pattern"), rule.where, rule.text, scope=scope)
    return _Outcome(_with_affixes(env, rule, value), False)


def _version_source(env: _Env, rule: TagRule, version: _Version) -> str | None:
    """The text a semver/pep440/match rule reads: ``value=`` or the pushed tag name."""
    if rule.get("value"):
        return _render(env, rule.get("value"), rule.where, rule.text)
    if env.ctx.ref.startswith(TAGS):
        return env.ctx.ref[len(TAGS):]
    return None


def _apply_match(env: _Env, rule: TagRule, version: _Version, raw: str) -> str | None:
    from .jsregex import JsRegexError, compile_js

    if not rule.get("match"):
        return raw
    try:
        found = compile_js(rule.get("match"), allow_slashes=False).match(raw)
    except JsRegexError as exc:
        raise InputError(f"input 'tags' {rule.where}: match: {exc} in \"{rule.text}\"")
    if not found:
        # as metadata-action: the version text is then used whole
        version.warnings.append(f"input 'tags' {rule.where}: match {rule.get('match')!r} does "
                                f"not match {raw!r}; using it whole")
        return raw
    if len(found) < 2 or found[1] is None:
        version.warnings.append(f"input 'tags' {rule.where}: match {rule.get('match')!r} has "
                                f"no group 1 in {raw!r}")
        return None
    return found[1]


def _matched_version(env: _Env, rule: TagRule, version: _Version) -> str | _Outcome:
    """The text a semver/pep440 rule parses (after match=, slashes as dashes), or its skip."""
    raw = _version_source(env, rule, version)
    if raw is None:
        return _skip("only on tag pushes (refs/tags/*) or with value=")
    raw = _apply_match(env, rule, version, raw)
    if raw is None:
        return _skip("match= has no group 1")
    return raw.replace("/", "-")


def _proc_semver(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    from . import semver

    raw = _matched_version(env, rule, version)
    if isinstance(raw, _Outcome):
        return raw
    parsed = semver.parse(raw)
    if parsed is None:
        version.warnings.append(f"input 'tags' {rule.where}: {raw} is not a valid semver "
                                f"(https://semver.org/); no tag from \"{rule.text}\"")
        return _skip(f"{raw!r} is not a semantic version")
    pattern = rule.get("pattern")
    scope = parsed.scope()
    if parsed.prerelease:
        # a pre-release gets only its full version (or {{raw}}), never major/minor aliases
        body = _render(env, pattern, rule.where, rule.text, scope=scope) \
            if is_single_path(pattern, "raw") else parsed.version
        return _Outcome(_with_affixes(env, rule, body), False, release=True)
    body = _render(env, pattern, rule.where, rule.text, scope=scope)
    return _Outcome(_with_affixes(env, rule, body), True, release=names_release(pattern))


def _proc_pep440(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    from . import pep440

    raw = _matched_version(env, rule, version)
    if isinstance(raw, _Outcome):
        return raw
    parsed = pep440.parse(raw)
    if parsed is None:
        version.warnings.append(f"input 'tags' {rule.where}: {raw} does not conform to PEP 440;"
                                f" no tag from \"{rule.text}\"")
        return _skip(f"{raw!r} is not a PEP 440 version")
    pattern = rule.get("pattern")
    if not parsed.is_release:
        body = raw if is_single_path(pattern, "raw") else parsed.clean
        return _Outcome(_with_affixes(env, rule, body), False, release=True)
    scope = {"raw": raw, "version": parsed.clean, "major": parsed.major,
             "minor": parsed.minor, "patch": parsed.patch}
    body = _render(env, pattern, rule.where, rule.text, scope=scope)
    return _Outcome(_with_affixes(env, rule, body), True, release=names_release(pattern))


# {{version}} or {{raw}} anywhere in a pattern: the tag carries the full version, so it
# names one release. {{major}} and {{major}}.{{minor}} alone are floating by design.
_FULL_VERSION = re.compile(r"\{\{\s*(?:this[./])?(?:version|raw)\s*\}\}")


def names_release(pattern: str) -> bool:
    """Whether a semver/pep440 ``pattern`` gives a tag for one exact release."""
    return bool(_FULL_VERSION.search(pattern))


def _proc_match(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    from .jsregex import JsRegexError, compile_js

    raw = _version_source(env, rule, version)
    if raw is None:
        return _skip("only on tag pushes (refs/tags/*) or with value=")
    try:
        regex = compile_js(rule.get("pattern"))
    except JsRegexError as exc:
        raise InputError(f"input 'tags' {rule.where}: {exc} in \"{rule.text}\"")
    found = regex.match(raw)
    if not found:
        version.warnings.append(f"input 'tags' {rule.where}: pattern {rule.get('pattern')!r} "
                                f"does not match {raw!r}")
        return _skip(f"pattern does not match {raw!r}")
    group = rule.get("group").strip()
    index = int(group) if group.isdigit() and (group == "0" or not group.startswith("0")) \
        else -1
    if index < 0 or index >= len(found) or found[index] is None:
        version.warnings.append(f"input 'tags' {rule.where}: group {group} does not exist in "
                                f"the match of {rule.get('pattern')!r} on {raw!r}")
        return _skip(f"group {group} is not set in the match of {raw!r}")
    return _Outcome(_with_affixes(env, rule, found[index] or ""), True)


def _proc_ref(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    ref = env.ctx.ref
    event = RefEvent(rule.get("event"))
    if event is RefEvent.BRANCH:
        if not ref.startswith(HEADS):
            return _skip("only on branch pushes (refs/heads/*)")
        return _Outcome(_with_affixes(env, rule, ref[len(HEADS):]), False)
    if event is RefEvent.TAG:
        if not ref.startswith(TAGS):
            return _skip("only on tag pushes (refs/tags/*)")
        return _Outcome(_with_affixes(env, rule, ref[len(TAGS):]), True)
    if not ref.startswith(PULL):
        return _skip("only on pull requests (refs/pull/*)")
    number = ref[len(PULL):].removesuffix("/merge")
    return _Outcome(_with_affixes(env, rule, number), False)


def _proc_edge(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    ref = env.ctx.ref
    if not ref.startswith(HEADS):
        return _skip("only on branch pushes (refs/heads/*)")
    branch = rule.get("branch") or env.repo.default_branch
    if branch != ref[len(HEADS):]:
        return _skip(f"only on branch {branch or '(default branch unknown)'}")
    return _Outcome(_with_affixes(env, rule, "edge"), False)


def _proc_raw(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    value = _render(env, rule.get("value"), rule.where, rule.text)
    return _Outcome(_with_affixes(env, rule, value), False)


def _proc_sha(env: _Env, rule: TagRule, version: _Version) -> _Outcome:
    sha = env.ctx.sha
    if not sha:
        return _skip("no commit sha in this context")
    if rule.get("format") == ShaFormat.SHORT.value:
        sha = short_sha(sha, env.inputs.short_sha_length)
    return _Outcome(_with_affixes(env, rule, sha), False)


_PROCESSORS: dict[TagType, Callable[[_Env, TagRule, _Version], _Outcome]] = {
    TagType.SCHEDULE: _proc_schedule, TagType.SEMVER: _proc_semver,
    TagType.PEP440: _proc_pep440, TagType.MATCH: _proc_match, TagType.REF: _proc_ref,
    TagType.EDGE: _proc_edge, TagType.RAW: _proc_raw, TagType.SHA: _proc_sha,
}


# -- tags, labels ---------------------------------------------------------------------------

def _tags(version: _Version, images: list[str],
          flavor: Flavor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not version.main:
        return (), ()
    names = [version.main, *version.partial]
    if version.latest:
        latest = (flavor.prefix if flavor.prefix_latest else "") + "latest" + \
                 (flavor.suffix if flavor.suffix_latest else "")
        latest_tag, _ = sanitize_tag(latest)
        if latest_tag and latest_tag not in names:
            names.append(latest_tag)
    if not images:
        return tuple(names), tuple(names)
    return tuple(f"{image}:{name}" for image in images for name in names), tuple(names)


def _iso_ms(epoch_ms: int) -> str:
    dt = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def _entries(env: _Env, version: str | None, text: str,
             name: str) -> tuple[list[str], list[str]]:
    """The sorted ``key=value`` entries, and warnings for variables that render empty."""
    repo = env.repo
    defaults = [
        ("org.opencontainers.image.title", repo.name),
        ("org.opencontainers.image.description", repo.description),
        ("org.opencontainers.image.url", repo.html_url),
        ("org.opencontainers.image.source", repo.html_url),
        ("org.opencontainers.image.version", version or ""),
        ("org.opencontainers.image.created", _iso_ms(env.now_ms)),
        ("org.opencontainers.image.revision", env.ctx.sha),
        ("org.opencontainers.image.licenses", repo.license),
    ]
    items = parse_list(text, name)
    notes = [note for item in items for note in _entry_notes(item, name)]
    extra = [_render(env, item.text, f"line {item.line}", item.text, name) for item in items]
    return merge_entries(defaults, extra), notes


def _entry_notes(item: ListItem, name: str) -> list[str]:
    from .expr import GLOBAL_NAMES, validate
    from .tagspec import located

    if "{{" not in item.text:
        return []
    try:
        unknown = validate(item.text, GLOBAL_NAMES)
    except ExprError:
        return []  # rendering it just below raises the located error
    return [located(name, item, msg, hint)
            for msg, hint in (u.message(GLOBAL_NAMES) for u in unknown)]

