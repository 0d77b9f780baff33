"""The buildx plan and its exact argument list.

:class:`BuildInputs` holds build-push-action's inputs, parsed once; :class:`BuildPlan`
adds what ``run`` decided (tags, labels, annotations, cache, push). :func:`buildx_argv`
turns a plan into the ``docker buildx build`` argument list, and :func:`child_env` into
the environment that carries every secret value: a secret is never on argv.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .inputs import env_input, parse_bool

_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
# Name parts that mark a build argument as a credential (NPM_TOKEN, DB_PASSWORD, ...).
_CREDENTIAL_PARTS = frozenset({"TOKEN", "PASSWORD", "PASSWD", "PASS", "PWD", "SECRET",
                               "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS", "AUTH", "PAT"})
_CREDENTIAL_SUFFIXES = ("TOKEN", "PASSWORD", "SECRET", "APIKEY")
SECRET_ENV_PREFIX = "GHBUILD_SECRET_"
# BuildKit's own secret ids for fetching a git remote over http(s), per host. The token
# is sent as ``basic base64(x-access-token:<token>)``; the header secret is the whole
# Authorization value, used first (BuildKit source/git: authSecretNames). Both seen on
# this project's engine against a git server that checks the header
# (tests/e2e/test_run_secrets.py).
GIT_AUTH_TOKEN, GIT_AUTH_HEADER = "GIT_AUTH_TOKEN", "GIT_AUTH_HEADER"
# ``scheme://userinfo@rest``: the userinfo runs to the last "@" before the path, as git
# reads it (a password may hold an "@" only percent-encoded).
_URL_SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git"})
_URL_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<userinfo>[^/?#]*)@"
                           r"(?P<rest>.*)$")


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str = field(repr=False)   # may be a secret: never in a repr


@dataclass(frozen=True, kw_only=True)
class BuildInputs:
    """build-push-action's inputs (``build-args`` is ``build_args`` and so on)."""

    context: str = "."
    file: str = ""                       # default: <context>/Dockerfile
    target: str = ""
    platforms: tuple[str, ...] = ()
    build_args: tuple[KeyValue, ...] = ()
    build_contexts: tuple[str, ...] = ()
    secrets: tuple[KeyValue, ...] = ()        # id=value: the value goes through the env
    secret_files: tuple[KeyValue, ...] = ()   # id=path
    secret_envs: tuple[KeyValue, ...] = ()    # id=ENV_NAME already in the environment
    # GIT_AUTH_TOKEN.<host>=token or GIT_AUTH_HEADER.<host>=header, taken out of a git
    # context URL's userinfo
    git_auth: tuple[KeyValue, ...] = ()
    ssh: tuple[str, ...] = ()
    load: bool = False
    network: str = ""
    provenance: str = ""
    sbom: str = ""
    outputs: tuple[str, ...] = ()
    no_cache: bool = False
    no_cache_filters: tuple[str, ...] = ()
    pull: bool = False
    shm_size: str = ""
    ulimit: tuple[str, ...] = ()
    add_hosts: tuple[str, ...] = ()
    builder: str = ""


@dataclass(frozen=True, kw_only=True)
class BuildPlan:
    inputs: BuildInputs
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()          # KEY=VALUE
    annotations: tuple[str, ...] = ()     # [type:]KEY=VALUE
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    push: bool = False
    metadata_file: str = ""
    progress: str = "plain"


def is_credential_name(name: str) -> bool:
    upper = name.upper()
    parts = set(re.split(r"[^A-Z0-9]+", upper))
    return bool(parts & _CREDENTIAL_PARTS) or upper.endswith(_CREDENTIAL_SUFFIXES)


def secret_env_name(secret_id: str) -> str:
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", secret_id).upper()


def is_secret_id(text: str) -> bool:
    """A name BuildKit takes as a secret id, and not a credential pasted in its place."""
    return bool(_SECRET_ID.match(text)) and credential_shape(text) is None


# -- a credential where a name belongs ---------------------------------------------------
# Prefixes the issuers document for their tokens, with the length of the random part.
_TOKEN_SHAPES = (
    ("a GitHub token", re.compile(r"^(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{40,})")),
    ("a GitLab token", re.compile(r"^glpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"^xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key id", re.compile(r"^(?:AKIA|ASIA)[A-Z0-9]{16}$")),
    ("an npm token", re.compile(r"^npm_[A-Za-z0-9]{36}")),
)
# A long random string: names are words (NPM_TOKEN, MyServiceApiKey2024), which change
# between letters and digits, or from lower to upper case, seldom; random text does so at
# about half its characters (measured: 99% of 32 random base62 or hex characters reach
# 0.25), and base64 keys that switch less still carry more than 4.5 bits a character.
_LONG = 32


def credential_shape(text: str) -> str | None:
    """What credential ``text`` looks like ("a GitHub token", "a long random string"), or
    None when it may well be a name. A heuristic for inputs that take names."""
    text = text.strip()
    for kind, shape in _TOKEN_SHAPES:
        if shape.match(text):
            return kind
    if len(text) >= _LONG:
        switches, entropy = _class_switches(text), _entropy(text)
        if switches >= 0.25 or (entropy >= 4.5 and switches >= 0.1):
            return "a long random string"
    return None


def _char_class(ch: str) -> str:
    return "upper" if ch.isupper() else "lower" if ch.islower() else \
        "digit" if ch.isdigit() else "other"


def _class_switches(text: str) -> float:
    """The share of neighbours that change between upper, lower and digit, not counting
    upper to lower (a word's capital) or anything next to a separator."""
    count = 0
    for a, b in zip(text, text[1:], strict=False):
        first, second = _char_class(a), _char_class(b)
        if "other" not in (first, second) and first != second and \
                (first, second) != ("upper", "lower"):
            count += 1
    return count / max(len(text) - 1, 1)


def _entropy(text: str) -> float:
    import math
    from collections import Counter

    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def refuse_credential_names(name: str, raw: str | None, *, key_role: str,
                            value_role: str = "") -> None:
    """Each line's key (and its value when ``value_role`` names it, as in secret-envs'
    ``id=VARIABLE``) must not be a credential: it would be printed and put on buildx's
    argv as a name. The message never shows the text."""
    for number, text in split_lines(raw):
        key, sep, value = text.partition("=")
        checks = [(key_role, key)] + ([(value_role, value)] if sep and value_role else [])
        for role, part in checks:
            kind = credential_shape(part)
            if kind:
                raise InputError(f"input '{name}' line {number}: the {role} looks like a "
                                 f"credential value ({kind}), not a variable name; store it "
                                 "as a secret and name the variable")


# Where a token can sit inside a value (``https://x:TOKEN@host``, ``Bearer TOKEN``,
# ``a=TOKEN;b``): the text between these is matched against the issuers' shapes.
_VALUE_PARTS = re.compile(r"""[\s=:;,/@'"?&]+""")


def credential_value_shape(value: str) -> str | None:
    """The issuer's token ``value`` holds somewhere ("a GitHub token"), or None. Only the
    documented prefixes: a build arg value is often long and random on purpose (a commit
    sha, a digest, a checksum), so the long-random heuristic is not used on values."""
    for part in _VALUE_PARTS.split(value):
        for kind, shape in _TOKEN_SHAPES:
            if shape.match(part):
                return kind
    return None


def refuse_credential_values(raw: str | None) -> None:
    """A build arg whose value is a token is refused, whatever its name: build args end up
    in the image's history (each RUN that uses one records it) and in mode=max provenance,
    which anyone who can pull the image can read. The message never shows the value."""
    for number, text in split_lines(raw):
        key, sep, value = text.partition("=")
        kind = credential_value_shape(value) if sep else None
        if kind:
            raise InputError(f"input 'build-args' line {number}: the value of build arg "
                             f"{key.strip()!r} looks like a credential ({kind}); build args "
                             "stay in the image history and provenance",
                             hint="pass it as a secret: input 'secrets' (id=value) or "
                                  "'secret-envs' (id=VARIABLE), read with RUN "
                                  "--mount=type=secret")


def git_auth_env_name(secret_id: str) -> str:
    """``GIT_AUTH_TOKEN.github.com`` -> ``GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM``."""
    return "GHBUILD_" + re.sub(r"[^A-Za-z0-9_]", "_", secret_id).upper()


# -- credentials in context URLs -------------------------------------------------------
@dataclass(frozen=True)
class UrlCredentials:
    """A URL's userinfo, split off: ``url`` is the URL without it."""

    url: str
    host: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    userinfo: str = field(repr=False)

    @property
    def token(self) -> str:
        # ``https://TOKEN@github.com/...`` (no password) is git's token-as-username form.
        return self.password or self.username


def url_credentials(text: str) -> UrlCredentials | None:
    """The userinfo of a ``scheme://user:password@host/...`` URL, or None when it has none
    (or only a user name on a scheme that is not http(s), such as ``ssh://git@host``)."""
    from urllib.parse import unquote

    found = _URL_USERINFO.match(text.strip())
    if not found:
        return None
    scheme, userinfo, rest = found.group("scheme", "userinfo", "rest")
    # docker-image://alpine:3.19@sha256:… has the same shape, but no credentials
    if not userinfo or scheme.lower() not in _URL_SCHEMES:
        return None
    user, _, password = userinfo.partition(":")
    if not password and scheme.lower() not in ("http", "https"):
        return None
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return UrlCredentials(url=f"{scheme}://{rest}", host=host, username=unquote(user),
                          password=unquote(password), userinfo=userinfo)


# Query parameters that carry a credential, by the documentation of who signs or checks
# them: a token or key in general use (``token``, ``access_token``, ``private_token`` of
# GitLab's API, ``api_key``...), AWS SigV4 presigned URLs (``X-Amz-Signature``,
# ``X-Amz-Credential``, ``X-Amz-Security-Token``), Google Cloud Storage signed URLs
# (``X-Goog-Signature``, ``X-Goog-Credential``, and ``Signature`` of the older form) and
# Azure shared access signatures (``sig``). Compared without case; a name ending in one of
# _QUERY_SUFFIXES counts too (``upload_token``, ``client_secret``).
_QUERY_CREDENTIALS = frozenset({
    "token", "access_token", "id_token", "refresh_token", "private_token", "auth",
    "auth_token", "key", "api_key", "apikey", "password", "passwd", "pwd", "secret",
    "client_secret", "sig", "signature", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "x-goog-signature", "x-goog-credential"})
_QUERY_SUFFIXES = ("token", "secret", "password", "signature")
_QUERY_PAIR = re.compile(r"(?P<name>[^&;=#]+)=(?P<value>[^&;#]*)")


def is_credential_param(name: str) -> bool:
    from urllib.parse import unquote_plus

    lowered = unquote_plus(name).strip().lower()
    return lowered in _QUERY_CREDENTIALS or lowered.endswith(_QUERY_SUFFIXES)


def _query_span(text: str) -> tuple[int, int] | None:
    """Where a URL's query is (after ``?``, up to ``#``), for a ``scheme://`` URL."""
    if "://" not in text or "?" not in text:
        return None
    start = text.index("?") + 1
    end = text.find("#", start)
    if 0 <= text.find("#") < start:
        return None   # the "?" is in the fragment (a git ref or subdir), not a query
    return start, len(text) if end < 0 else end


def query_credentials(text: str) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a URL's query that carry a credential (empty values
    left out), as written (percent-encoding kept: that is how they would be printed)."""
    span = _query_span(text.strip())
    if span is None:
        return []
    query = text.strip()[span[0]:span[1]]
    return [(m.group("name"), m.group("value")) for m in _QUERY_PAIR.finditer(query)
            if m.group("value") and is_credential_param(m.group("name"))]


def hide_url_credentials(text: str) -> str:
    """A URL as messages and the log show it: userinfo as ``***@``, each credential query
    value as ``***``."""
    creds = url_credentials(text)
    if creds is not None:
        scheme, _, rest = creds.url.partition("://")
        text = f"{scheme}://***@{rest}"
    span = _query_span(text)
    if span is None:
        return text
    start, end = span

    def hide(m: re.Match[str]) -> str:
        return f"{m.group('name')}=***" if m.group("value") and \
            is_credential_param(m.group("name")) else m.group(0)

    return text[:start] + _QUERY_PAIR.sub(hide, text[start:end]) + text[end:]


def refuse_query_credentials(where: str, text: str) -> None:
    """A credential in a URL's query would reach buildx's command line (and BuildKit's
    request log): refused, the URL shown without it."""
    found = query_credentials(text)
    if found:
        names = ", ".join(dict.fromkeys(name for name, _ in found))
        raise InputError(f"{where}: {hide_url_credentials(text)!r} carries credentials in the "
                         f"URL's query ({names}), which buildx would get on its command line",
                         hint="remove them from the URL; for a private git repository use "
                              "https://…/repo.git with the token as its user or password")


def refuse_attribute_url_credentials(name: str, raw: str | None) -> None:
    """``cache-from``/``cache-to`` lines (``type=…,url=https://…``): a URL value with
    userinfo or a credential query would go to buildx's argv as it is."""
    for number, line in split_lines(raw):
        where = f"input '{name}' line {number}"
        for attribute in line.split(","):
            _, _, value = attribute.partition("=")
            if "://" not in value:
                continue
            refuse_query_credentials(where, value)
            if url_credentials(value) is not None:
                raise InputError(f"{where}: {hide_url_credentials(value)!r} carries "
                                 "credentials in the URL, which buildx would get on its "
                                 "command line", hint="remove the credentials from the URL")


def _is_git_http(url: str) -> bool:
    """BuildKit takes an http(s) URL for a git repository only when its path ends in
    ``.git`` (any other is a tarball or Dockerfile download)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and parts.path.endswith(".git")


def strip_credentials(name: str, text: str, line: int | None = None
                      ) -> tuple[str, KeyValue | None]:
    """A context URL without its userinfo, and the token as the ``GIT_AUTH_TOKEN.<host>``
    build secret BuildKit reads for a git remote on that host. A URL whose credentials
    could only travel on buildx's argv (a tarball URL, ``git://``, ``ssh://``) is refused.
    Messages show the URL without its userinfo."""
    where = f"input '{name}'" + (f" line {line}" if line is not None else "")
    refuse_query_credentials(where, text)
    creds = url_credentials(text)
    if creds is None:
        return text, None
    if not _is_git_http(creds.url):
        raise InputError(f"{where}: {creds.url!r} carries credentials in the URL, which "
                         "buildx would get on its command line; only an http(s) git URL "
                         "(path ending in .git) can take them, as a build secret",
                         hint="remove the credentials from the URL; for a private git "
                              "repository use https://…/repo.git with a token")
    return creds.url, git_auth_secret(creds)


def git_auth_secret(creds: UrlCredentials) -> KeyValue:
    """The build secret that makes BuildKit send these credentials. BuildKit's token
    secret always sends the user name ``x-access-token`` (GitHub's), so any other user
    name goes as a whole basic Authorization header instead."""
    if creds.username in ("", "x-access-token") or not creds.password:
        return KeyValue(f"{GIT_AUTH_TOKEN}.{creds.host}", creds.token)
    pair = f"{creds.username}:{creds.password}".encode()
    return KeyValue(f"{GIT_AUTH_HEADER}.{creds.host}",
                    "basic " + base64.b64encode(pair).decode("ascii"))


def _contexts(context: str, build_contexts: str | None
              ) -> tuple[str, tuple[str, ...], tuple[KeyValue, ...]]:
    """``context`` and ``build-contexts`` without URL credentials, and the tokens."""
    auth: dict[str, KeyValue] = {}   # by host

    def keep(kv: KeyValue | None, where: str) -> None:
        if kv is None:
            return
        host = kv.key.partition(".")[2]
        if host in auth and auth[host] != kv:
            raise InputError(f"{where}: other credentials for {host} than an earlier URL's; "
                             "BuildKit takes one set per host")
        auth[host] = kv

    clean, kv = strip_credentials("context", context)
    keep(kv, "input 'context'")
    others = []
    for number, text in split_lines(build_contexts):
        key, sep, value = text.partition("=")
        url, kv = strip_credentials("build-contexts", value if sep else text, number)
        keep(kv, f"input 'build-contexts' line {number}")
        others.append(f"{key}={url}" if sep else url)
    return clean, tuple(others), tuple(auth.values())


# -- parsing ---------------------------------------------------------------------------
def split_lines(raw: str | None) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based line numbers."""
    if not raw:
        return []
    out = []
    for number, line in enumerate(raw.splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            out.append((number, text))
    return out


def split_list(raw: str | None) -> tuple[str, ...]:
    """Comma- or newline-separated items (platforms, tags-like inputs)."""
    return tuple(part.strip() for _, line in split_lines(raw) for part in line.split(",")
                 if part.strip())


def parse_key_values(name: str, raw: str | None, *, key_re: re.Pattern[str] = _ARG_NAME,
                     what: str = "NAME=value", sensitive: bool = False
                     ) -> tuple[KeyValue, ...]:
    items: list[KeyValue] = []
    seen: set[str] = set()
    for number, text in split_lines(raw):
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key_re.match(key):
            if sensitive and not sep:
                got = "a line without '=' (not shown: it may be a secret)"
            else:
                got = repr(key if sep else text[:40]) + ("=…" if sep else "")
            raise InputError(f"input '{name}' line {number}: expected {what}, got {got}")
        if key in seen:
            raise InputError(f"input '{name}' line {number}: {key!r} is given twice")
        seen.add(key)
        items.append(KeyValue(key, value))
    return tuple(items)


def parse_platform_list(raw: str | None, name: str = "platforms") -> tuple[str, ...]:
    """The ``platforms`` input, each entry checked by the one platform parser (known OS,
    architecture and variant) before anything runs; entries keep the user's spelling."""
    from .registry.checks import normalise_platform

    items = split_list(raw)
    for item in items:
        normalise_platform(item, input_name=name)
    return items


def inputs_from_env(environ: Mapping[str, str] | None = None) -> BuildInputs:
    """Read the build inputs (names as in build-push-action; see docs/run.md)."""
    def raw(name: str, trim: bool = True) -> str | None:
        return env_input(name, environ, trim=trim)

    def text(name: str) -> str:
        return raw(name) or ""

    def flag(name: str) -> bool:
        return parse_bool(name, raw(name), False)

    for name, key_role, value_role in _NAMED_INPUTS:
        refuse_credential_names(name, raw(name, False), key_role=key_role,
                                value_role=value_role)
    refuse_credential_values(raw("build-args", False))
    for name in ("cache-from", "cache-to"):
        refuse_attribute_url_credentials(name, raw(name))
    if parse_bool("bake", raw("bake"), False):
        _refuse_unquoted_secret_fields(raw("secret-files"), raw("secret-envs"))
    context, build_contexts, git_auth = _contexts(text("context") or ".",
                                                  raw("build-contexts"))
    secrets = parse_key_values("secrets", raw("secrets", False), key_re=_SECRET_ID,
                               what="id=value", sensitive=True)
    _check_git_auth(git_auth, secrets)
    return BuildInputs(
        context=context, file=text("file"), target=text("target"),
        platforms=parse_platform_list(raw("platforms")),
        build_args=parse_key_values("build-args", raw("build-args", False)),
        build_contexts=build_contexts, secrets=secrets, git_auth=git_auth,
        secret_files=parse_key_values("secret-files", raw("secret-files"), key_re=_SECRET_ID,
                                      what="id=path"),
        secret_envs=parse_key_values("secret-envs", raw("secret-envs"), key_re=_SECRET_ID,
                                     what="id=ENV_NAME"),
        ssh=tuple(t for _, t in split_lines(raw("ssh"))),
        load=flag("load"), network=text("network"), provenance=text("provenance"),
        sbom=text("sbom"), outputs=tuple(t for _, t in split_lines(raw("outputs"))),
        no_cache=flag("no-cache"), no_cache_filters=split_list(raw("no-cache-filters")),
        pull=flag("pull"), shm_size=text("shm-size"),
        ulimit=tuple(t for _, t in split_lines(raw("ulimit"))),
        add_hosts=split_list(raw("add-hosts")), builder=text("builder"),
    )


# Inputs whose keys (and for secret-envs values) are names, printed and put on argv.
_NAMED_INPUTS = (("secrets", "secret id", ""), ("secret-files", "secret id", ""),
                 ("secret-envs", "secret id", "variable name"),
                 ("build-args", "build arg name", ""))


def _refuse_unquoted_secret_fields(files: str | None, envs: str | None) -> None:
    """bake.py writes ``secret`` entries without CSV quoting (see secret_specs), so in bake
    mode a path or variable holding a comma or a quote, which would add an attribute, is
    refused instead."""
    for name, raw in (("secret-files", files), ("secret-envs", envs)):
        for number, text in split_lines(raw):
            value = text.partition("=")[2]
            if "," in value or '"' in value:
                raise InputError(f"input '{name}' line {number}: with bake: true a value "
                                 "holding ',' or '\"' is not supported (it would add a "
                                 "secret attribute)", hint="rename the file, or build "
                                                           "without bake")


def unset_secret_variables(inputs: BuildInputs, environ: Mapping[str, str]
                           ) -> list[tuple[int, KeyValue]]:
    """The ``secret-envs`` entries (1-based position, id=VARIABLE) whose variable is not
    set: buildx would pass an empty secret, and the build fail inside the Dockerfile or,
    from a cached layer, pass without it."""
    return [(number, kv) for number, kv in enumerate(inputs.secret_envs, start=1)
            if kv.value not in environ]


def _check_git_auth(git_auth: Sequence[KeyValue], secrets: Sequence[KeyValue]) -> None:
    """A ``secrets`` entry for the same host would compete with the URL's credentials
    (BuildKit uses the header before the token), so one of them would be ignored."""
    given = {kv.key for kv in secrets}
    for kv in git_auth:
        host = kv.key.partition(".")[2]
        for key in (f"{GIT_AUTH_TOKEN}.{host}", f"{GIT_AUTH_HEADER}.{host}"):
            if key in given:
                raise InputError(f"input 'secrets': {key!r} competes with the credentials "
                                 f"of a context URL for {host}; give them in one place")


# -- checks ------------------------------------------------------------------------------
def _is_remote(context: str) -> bool:
    return context == "-" or "://" in context or context.startswith("git@")


def dockerfile_path(inputs: BuildInputs, cwd: str) -> Path:
    base = Path(cwd)
    if inputs.file:
        return base / inputs.file
    return base / inputs.context / "Dockerfile"


def check_paths(inputs: BuildInputs, *, cwd: str, workspace: str) -> None:
    """Context inside the workspace, Dockerfile present, the files and stage the other
    inputs name there (:func:`check_input_files`): else one error naming the input."""
    if _is_remote(inputs.context):
        check_input_files(inputs, cwd=cwd)
        return
    root = Path(workspace or cwd).resolve()
    context = (Path(cwd) / inputs.context).resolve()
    if context != root and root not in context.parents:
        raise InputError(f"input 'context' {inputs.context!r} resolves to {context}, outside "
                         f"the workspace {root}")
    if not context.is_dir():
        raise InputError(f"input 'context' {inputs.context!r}: no such directory ({context})")
    dockerfile = dockerfile_path(inputs, cwd)
    resolved = dockerfile.resolve()
    if inputs.file and root not in resolved.parents:
        raise InputError(f"input 'file' {inputs.file!r} resolves to {resolved}, outside the "
                         f"workspace {root}")
    if not dockerfile.is_file():
        name = "file" if inputs.file else "context"
        shown = inputs.file or os.path.join(inputs.context, "Dockerfile")
        raise InputError(f"input '{name}': Dockerfile {shown!r} not found ({dockerfile})")
    check_input_files(inputs, cwd=cwd)


def credential_build_args(inputs: BuildInputs) -> tuple[str, ...]:
    return tuple(kv.key for kv in inputs.build_args if is_credential_name(kv.key))


def safe_provenance(inputs: BuildInputs) -> tuple[str, str | None]:
    """The provenance value to use, and a warning when it had to change.

    BuildKit's ``mode=max`` provenance records every build argument with its value;
    ``mode=min`` records none (checked against the pushed attestation in
    tests/e2e/test_run_secrets.py). With a credential-named build argument present we
    therefore lower ``max`` to ``min``.
    """
    value = inputs.provenance
    if credential_build_args(inputs) and "mode=max" in value.replace(" ", ""):
        return value.replace("mode=max", "mode=min"), (
            "provenance mode=max would record the credential-named build argument's value; "
            "using mode=min")
    return value, None


# -- argv and environment --------------------------------------------------------------
def _repeat(flag: str, values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out += [flag, value]
    return out


def _build_arg_flags(inputs: BuildInputs) -> list[str]:
    out: list[str] = []
    for kv in inputs.build_args:
        # A credential-named argument is named only: buildx reads its value from the
        # environment (child_env), which keeps it off argv.
        out += ["--build-arg", kv.key if is_credential_name(kv.key) else f"{kv.key}={kv.value}"]
    return out


def csv_record(*fields: str) -> str:
    """Attributes as buildx reads a ``--secret`` value: one CSV record (Go's encoding/csv),
    so a field holding a comma or a quote is quoted (``"src=/a,b"``) and a path such as
    ``/etc/hostname,env=HOME`` stays one path instead of adding an attribute."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


def secret_specs(inputs: BuildInputs) -> list[str]:
    """Each build secret as ``--secret`` takes it (ids are checked names; the variable
    names and file paths the user gave are quoted as CSV fields)."""
    out = [csv_record(f"id={kv.key}", f"env={secret_env_name(kv.key)}")
           for kv in inputs.secrets]
    out += [csv_record(f"id={kv.key}", f"env={kv.value}") for kv in inputs.secret_envs]
    out += [csv_record(f"id={kv.key}", f"src={kv.value}") for kv in inputs.secret_files]
    out += [csv_record(f"id={kv.key}", f"env={git_auth_env_name(kv.key)}")
            for kv in inputs.git_auth]
    return out


def _secret_flags(inputs: BuildInputs) -> list[str]:
    return _repeat("--secret", secret_specs(inputs))


def buildx_argv(plan: BuildPlan) -> list[str]:
    """The exact ``docker buildx build`` argument list for a plan."""
    i = plan.inputs
    provenance, _ = safe_provenance(i)
    argv = ["docker", "buildx", "build"]
    if i.builder:
        argv += ["--builder", i.builder]
    argv += ["--progress", plan.progress]
    argv += _repeat("--add-host", i.add_hosts)
    argv += _repeat("--annotation", plan.annotations)
    argv += _build_arg_flags(i)
    argv += _repeat("--build-context", i.build_contexts)
    argv += _repeat("--cache-from", plan.cache_from)
    argv += _repeat("--cache-to", plan.cache_to)
    if i.file:
        argv += ["--file", i.file]
    argv += _repeat("--label", plan.labels)
    if i.load:
        argv.append("--load")
    if plan.metadata_file:
        argv += ["--metadata-file", plan.metadata_file]
    if i.network:
        argv += ["--network", i.network]
    if i.no_cache:
        argv.append("--no-cache")
    argv += _repeat("--no-cache-filter", i.no_cache_filters)
    argv += _repeat("--output", i.outputs)
    if i.platforms:
        argv += ["--platform", ",".join(i.platforms)]
    if provenance:
        argv += ["--provenance", provenance]
    if i.pull:
        argv.append("--pull")
    if plan.push:
        argv.append("--push")
    if i.sbom:
        argv += ["--sbom", i.sbom]
    argv += _secret_flags(i)
    if i.shm_size:
        argv += ["--shm-size", i.shm_size]
    argv += _repeat("--ssh", i.ssh)
    argv += _repeat("--tag", plan.tags)
    if i.target:
        argv += ["--target", i.target]
    argv += _repeat("--ulimit", i.ulimit)
    argv.append(i.context)
    return argv


def child_env(plan: BuildPlan) -> dict[str, str]:
    """The environment additions for buildx: secret values and credential build args."""
    env = {secret_env_name(kv.key): kv.value for kv in plan.inputs.secrets}
    env.update((git_auth_env_name(kv.key), kv.value) for kv in plan.inputs.git_auth)
    for kv in plan.inputs.build_args:
        if is_credential_name(kv.key):
            env[kv.key] = kv.value
    return env


def secret_values(inputs: BuildInputs) -> list[str]:
    """Every value that must be redacted: secrets and credential-named build args."""
    values = [kv.value for kv in (*inputs.secrets, *inputs.git_auth)]
    values += [kv.value for kv in inputs.build_args if is_credential_name(kv.key)]
    return [v for v in values if v]


def shell_echo(argv: Sequence[str], redact: object = None) -> str:
    """The command as one shell-quoted line, passed through ``redact`` when given."""
    line = shlex.join(argv)
    return redact(line) if callable(redact) else line


# -- values buildx parses itself -----------------------------------------------------------
# Checked when the inputs are read, so a typo is one input error before anything runs, not
# a failed build whose buildx message does not name the input. Each rule follows what
# buildx 0.13 (and BuildKit behind it) accepts; what buildx passes on unread (a provenance
# or sbom attribute it does not know) is let through, since BuildKit may know it.

# Go's strconv.ParseBool, which buildx uses for --provenance/--sbom true/false
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False,
             "False": False}
# docker/go-units RAMInBytes, which buildx uses for --shm-size
_SIZE = re.compile(r"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
# docker/go-units ulimit names
ULIMIT_NAMES = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack")
OUTPUT_TYPES = ("image", "registry", "local", "tar", "oci", "docker", "cacheonly")
# Only what every BuildKit refuses: the engine here (dockerd 26.1) ignores a provenance
# version= it does not know, newer ones refuse it, so version= is left to BuildKit.
_ATTEST_VALUES = {"provenance": {"mode": ("min", "max")}}


def _close(word: str, known: Sequence[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {found[0]!r}?" if found else None


def _fields(name: str, value: str, what: str) -> list[tuple[str, str]]:
    """``key=value,key=value``, read as one CSV record as buildx reads it (so
    ``"name=a:1,a:2"`` is one field): every field must have its ``=``."""
    out = []
    for part in read_csv_record(name, value):
        key, sep, val = part.strip().partition("=")
        if not sep or not key.strip():
            raise InputError(f"input '{name}': {part.strip()!r} in {value!r} is not "
                             f"key=value; expected {what}")
        out.append((key.strip().lower(), val.strip()))
    return out



def read_csv_record(name: str, value: str) -> list[str]:
    """The fields of one CSV record as Go's encoding/csv reads it (buildx's reader for
    --output and --attest): a field that starts with a double quote runs to the closing
    one and may hold commas, ``""`` in it is one quote; a quote anywhere else, or a
    quoted field not closed or followed by more than a comma, is an error."""
    fields: list[str] = []
    at = 0
    while True:
        if value.startswith('"', at):
            text, at = _quoted_field(name, value, at + 1)
        else:
            end = value.find(",", at)
            end = len(value) if end < 0 else end
            text = value[at:end]
            if '"' in text:
                raise InputError(f"input '{name}': bare \" in the unquoted field {text!r} of "
                                 f"{value!r}", hint='quote the whole field: "key=a,b"')
            at = end
        fields.append(text)
        if at >= len(value):
            return fields
        at += 1  # the comma


def _quoted_field(name: str, value: str, at: int) -> tuple[str, int]:
    """A quoted field from just after its opening quote: (its text, where it ends)."""
    text = []
    while True:
        close = value.find('"', at)
        if close < 0:
            raise InputError(f"input '{name}': a quoted field of {value!r} is not closed")
        text.append(value[at:close])
        after = close + 1
        if value.startswith('"', after):
            text.append('"')
            at = after + 1
            continue
        if after < len(value) and value[after] != ",":
            raise InputError(f"input '{name}': extraneous or missing \" in a quoted field of "
                             f"{value!r}")
        return "".join(text), after

def check_attestation(name: str, value: str) -> None:
    """``provenance`` or ``sbom``: true/false, or ``key=value`` attributes (buildx's
    shorthand for ``--attest type=<name>,...``)."""
    if not value or value in _GO_BOOLS:
        return
    what = ("true, false or attributes such as mode=min, mode=max, version=v1"
            if name == "provenance" else "true, false or attributes such as generator=IMAGE")
    for key, val in _fields(name, value, what):
        allowed = _ATTEST_VALUES.get(name, {}).get(key)
        if allowed and val not in allowed:
            raise InputError(f"input '{name}': {key}={val!r} is not one of "
                             f"{', '.join(allowed)}", hint=_close(val, allowed))
        if key == "disabled" and val not in _GO_BOOLS:
            raise InputError(f"input '{name}': disabled must be true or false, got {val!r}")
        if key == "generator" and not val:
            raise InputError(f"input '{name}': generator= needs an image name")


def check_shm_size(value: str) -> None:
    if value and not _SIZE.match(value):
        raise InputError(f"input 'shm-size': {value!r} is not a size; expected a number with "
                         "an optional unit, such as 2g, 512m or 1gb")


def check_ulimit(number: int, value: str) -> None:
    """``type=soft[:hard]``, as docker's ulimit parser reads it."""
    where = f"input 'ulimit' line {number}"
    kind, sep, limits = value.partition("=")
    if not sep:
        raise InputError(f"{where}: {value!r} is not type=soft[:hard] (e.g. nofile=1024:2048)")
    if kind not in ULIMIT_NAMES:
        raise InputError(f"{where}: unknown ulimit type {kind!r} (known: "
                         f"{', '.join(ULIMIT_NAMES)})", hint=_close(kind, ULIMIT_NAMES))
    soft, colon, hard = limits.partition(":")
    numbers = [soft, hard] if colon else [soft]
    # Go's strconv.ParseInt (docker's parser) takes a sign, + too, and 64-bit values
    if not all(re.fullmatch(r"[+-]?[0-9]+", n) and -2**63 <= int(n) < 2**63 for n in numbers):
        raise InputError(f"{where}: {value!r}: the limits must be whole numbers "
                         "(type=soft[:hard])")
    if colon and int(soft) > int(hard):
        raise InputError(f"{where}: {value!r}: the soft limit is above the hard limit")


def check_add_host(value: str) -> None:
    """``host:ip`` or ``host=ip`` (buildx's extra hosts; ``host-gateway`` for the
    builder's own address, an IPv6 address may be in brackets)."""
    import ipaddress

    host, sep, ip = value.partition("=")
    if not sep:
        host, sep, ip = value.partition(":")
    if ip.startswith("[") and ip.endswith("]") and len(ip) > 2:
        ip = ip[1:-1]
    if sep and host and ip == "host-gateway":
        return
    if "%" in ip:
        # Python takes an IPv6 zone (fe80::1%eth0); buildx refuses it ("invalid host")
        raise InputError(f"input 'add-hosts': {value!r}: an IPv6 zone (%…) is not taken by "
                         "buildx; give the address without it")
    try:
        ok = bool(sep and host) and bool(ipaddress.ip_address(ip))
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"input 'add-hosts': {value!r} is not host:ip (e.g. "
                         "db.local:10.0.0.5, or host-gateway for the builder's address)")


def check_output(number: int, value: str) -> None:
    """An ``outputs`` line: a directory (``local``), ``-`` (a tar on stdout), or
    ``type=<exporter>[,key=value...]`` with one of buildx's exporters."""
    if "," not in value and not value.lower().startswith("type="):
        return  # buildx reads one field without type= as a directory, even "dest=out"
    where = f"input 'outputs' line {number}"
    fields = dict(_fields("outputs", value, "type=TYPE[,key=value...]"))
    kind = fields.get("type")
    if kind is None:
        raise InputError(f"{where}: {value!r} names no type= (one of "
                         f"{', '.join(OUTPUT_TYPES)})")
    if kind not in OUTPUT_TYPES:
        raise InputError(f"{where}: unknown output type {kind!r} (known: "
                         f"{', '.join(OUTPUT_TYPES)})", hint=_close(kind, OUTPUT_TYPES))
    if kind == "local" and not fields.get("dest"):
        raise InputError(f"{where}: {value!r}: type=local needs dest=<directory>")


def check_values(inputs: BuildInputs, environ: Mapping[str, str] | None = None) -> None:
    """Every build input buildx would parse, before anything runs."""
    check_attestation("provenance", inputs.provenance)
    check_attestation("sbom", inputs.sbom)
    check_shm_size(inputs.shm_size)
    for host in inputs.add_hosts:
        check_add_host(host)
    for number, line in split_lines(env_input("ulimit", environ)):
        check_ulimit(number, line)
    for number, line in split_lines(env_input("outputs", environ)):
        check_output(number, line)


# -- files the build inputs name -----------------------------------------------------------
def check_input_files(inputs: BuildInputs, *, cwd: str,
                      environ: Mapping[str, str] | None = None) -> None:
    """``secret-files`` and ``ssh`` name files (buildx reads them relative to its working
    directory), ``target`` a stage of the Dockerfile: each is checked before anything runs."""
    env = os.environ if environ is None else environ
    base = Path(cwd)
    for kv in inputs.secret_files:
        path = base / kv.value
        if not path.is_file():
            raise InputError(f"input 'secret-files': {kv.key}={kv.value}: no such file "
                             f"({path})")
    for entry in inputs.ssh:
        _check_ssh(entry, base, env)
    _check_target(inputs, cwd)


def _check_ssh(entry: str, base: Path, env: Mapping[str, str]) -> None:
    """``default``, or ``id=path[,path]`` with agent sockets or key files that exist;
    ``default`` alone is the agent at SSH_AUTH_SOCK."""
    ssh_id, sep, paths = entry.partition("=")
    if not _SECRET_ID.match(ssh_id.strip()):
        raise InputError(f"input 'ssh': {entry!r}: expected default or id=path")
    if not sep:
        if ssh_id.strip() == "default" and not env.get("SSH_AUTH_SOCK"):
            raise InputError("input 'ssh': 'default' is the SSH agent at SSH_AUTH_SOCK, "
                             "which is not set", hint="start an agent (webfactory/ssh-agent) "
                                                      "or give default=<key file>")
        return
    for part in paths.split(","):
        path = base / part.strip()
        if not part.strip() or not path.exists():
            raise InputError(f"input 'ssh': {entry!r}: no such key file or agent socket "
                             f"({path})")


def _check_target(inputs: BuildInputs, cwd: str) -> None:
    """The stage must be one the Dockerfile names (``FROM … AS <stage>``). A remote
    context or a Dockerfile another frontend reads (``# syntax=``) cannot be checked
    here: buildx then reports an unknown stage itself."""
    from .dockerstages import stage_names

    target = inputs.target.strip()
    if not target or _is_remote(inputs.context) or inputs.file == "-":
        return
    dockerfile = dockerfile_path(inputs, cwd)
    try:
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return  # check_paths reports a missing Dockerfile
    names = stage_names(text)
    if names is None or target.lower() in names:
        return
    shown = inputs.file or os.path.join(inputs.context, "Dockerfile")
    known = ", ".join(names) if names else "none: no FROM … AS <name> line"
    raise InputError(f"input 'target': stage {target!r} is not in {shown} (its stages: "
                     f"{known})", hint=_close(target.lower(), names or ()))
