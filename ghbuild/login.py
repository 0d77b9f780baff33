"""A private ``DOCKER_CONFIG`` for one run: log in with the password on stdin, remove after.

The directory lives under ``RUNNER_TEMP`` on a runner (a temporary directory
elsewhere), so the credential never lands in the user's ``~/.docker`` and is gone
when the run ends, failed or not. buildx is a CLI plugin found through
``$DOCKER_CONFIG/cli-plugins``, so that folder is linked in from the config the
caller had (``DOCKER_CONFIG`` or ``~/.docker``).

Which logins a run does is decided here too: input ``registry-auth`` (a YAML list of
``{registry, username, password}`` entries, the form docker/login-action takes) is parsed
by :func:`parse_registry_auth`, and :func:`merge_logins` settles two sources naming one
registry (docs/action.md, "Logins to several registries").
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from . import proc
from .errors import InputError, RegistryError
from .gha import Actions
from .registry.credentials import config_key, login_password, login_stdin, normalise_host
from .registry.reference import DOCKER_HUB, check_host


@dataclass(frozen=True, kw_only=True)
class Credentials:
    registry: str
    username: str
    password: str = field(repr=False)
    # Where the login comes from, as messages name it ("input 'registry-auth' entry 2 at
    # line 4"); automatic: from github-token, so an explicit login to the same registry
    # replaces it instead of clashing with it.
    source: str = ""
    automatic: bool = False

    @property
    def host(self) -> str:
        """The registry as one key for all its spellings (``index.docker.io`` → docker.io)."""
        return normalise_host(self.registry)

    def describe(self) -> str:
        """The registry, the user and the source; never the password."""
        return f"{self.host} as {self.username}" + (f" ({self.source})" if self.source else "")


# -- input registry-auth ------------------------------------------------------------------
REGISTRY_AUTH = "registry-auth"
_KEYS = ("registry", "username", "password")
# docker/login-action's other per-entry keys, which ghbuild has no use for: refused by name.
_LOGIN_ACTION_KEYS = ("scope", "ecr")


@dataclass(frozen=True, kw_only=True)
class AuthEntry:
    """One entry of ``registry-auth``: its place in the list (from 1) and in the text."""

    index: int
    line: int
    credentials: Credentials

    @property
    def where(self) -> str:
        return f"entry {self.index} (line {self.line})"


def parse_registry_auth(text: str | None) -> tuple[AuthEntry, ...]:
    """The entries of input ``registry-auth``; empty text (or only comments) gives none.

    Values are taken as written: YAML would read ``password: 0123`` as the number 123 and
    ``password: yes`` as true, so scalars are read from the node tree, never converted.
    An entry without ``registry`` is Docker Hub, as docker/login-action has it.
    """
    if text is None or not text.strip():
        return ()
    root = _compose(text)
    if root is None:
        return ()
    if not isinstance(root, SequenceNode):
        raise _error(root.start_mark.line + 1, None,
                     f"expected a YAML list of {{registry, username, password}} entries, got "
                     f"{_kind(root)} (start each entry with '- ')")
    entries = tuple(_entry(number, node) for number, node in enumerate(root.value, start=1))
    _check_unique(entries)
    return entries


def registry_auth_passwords(text: str | None) -> list[str]:
    """Every password in ``registry-auth``, also when the text does not parse, so they can
    be registered as secrets before anything is read or printed; never raises."""
    if not text:
        return []
    found: list[str] = []
    try:
        root = _compose(text)
    except InputError:
        root = None
    for entry in root.value if isinstance(root, SequenceNode) else ():
        for key, value in entry.value if isinstance(entry, MappingNode) else ():
            if isinstance(key, ScalarNode) and key.value == "password" and \
                    isinstance(value, ScalarNode):
                found.append(_text(value))
    # A text YAML cannot read still holds its passwords where a line names one.
    for match in _PASSWORD_LINE.finditer(text):
        value = match.group(1).strip()
        found += [value, value.strip("'\""), value.split(" #", 1)[0].strip().strip("'\"")]
    return [value for value in dict.fromkeys(found) if value]


_PASSWORD_LINE = re.compile(r"""["']?password["']?[ \t]*:[ \t]*([^\n,}]*)""")


# ruamel.yaml reads these as line breaks (YAML 1.1), so inside a value they would turn into
# a space or a new line: a password holding one would silently become another.
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


# An entry is one level of flow brackets at most (a JSON list of objects is two); far
# deeper nesting is refused before ruamel.yaml, whose scanner takes seconds on it.
_MAX_FLOW_DEPTH = 64


def _flow_depth(text: str) -> tuple[int, int]:
    """The deepest run of open brackets (quotes are not looked at, so a password full of
    ``[`` counts too; no real entry comes near the limit) and the line it reaches."""
    depth = deepest = 0
    line = where = 1
    for char in text:
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest, where


def _compose(text: str) -> Node | None:
    deepest, where = _flow_depth(text)
    if deepest > _MAX_FLOW_DEPTH:
        raise _error(where, None, f"nested too deeply ({deepest} levels of brackets; expected "
                                  "a list of entries of plain values)")
    odd = _LINE_BREAKS.search(text)
    if odd:
        at = text.count("\n", 0, odd.start()) + 1
        raise _error(at, _entry_at(text, at), f"character #x{ord(odd.group()):04x} is a "
                     "line break to YAML and would change the value; write it as an escape "
                     "in a double-quoted value")
    try:
        node: Node | None = YAML(typ="rt").compose(text)
        return node
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = _quiet(str(exc.problem or exc.context or "unreadable"))
        raise _error(line, _entry_at(text, line), f"not valid YAML: {problem}") from None
    except ReaderError as exc:
        # a control character YAML does not allow (an escape sequence pasted in, say)
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise _error(line, _entry_at(text, line), f"not valid YAML: character "
                     f"#x{exc.character:04x} is not allowed in YAML text") from None
    except RecursionError:
        first = next((n for n, raw in enumerate(text.splitlines(), 1) if raw.strip()), 1)
        raise _error(first, None, "nested too deeply (expected a list of entries of plain "
                                  "values)") from None
    except (YAMLError, ValueError, IndexError, TypeError) as exc:
        # ruamel.yaml can fail outside its own error types (config.py has one); its message
        # may quote the value, so only its kind is named.
        raise _error(None, None, f"not valid YAML (ruamel.yaml {type(exc).__name__})") from None


def _quiet(problem: str) -> str:
    """ruamel.yaml's message without the text it quotes (``found undefined alias 'x'``):
    an unquoted password that starts with ``*`` would otherwise be printed. A quoted
    character (``'@'``, or ``'\\t'`` as two) says what is wrong and is kept; two characters
    are too short to be redacted anyway (gha.Actions.add_secret)."""
    return re.sub(r"'[^'\n]{3,}'", "'…'", problem)


def _entry_at(text: str, line: int | None) -> int | None:
    """Which entry a line falls in, counting the list's ``-`` lines up to it (for a
    syntax error, where there is no node tree to ask)."""
    if line is None:
        return None
    dashes = [(len(raw) - len(raw.lstrip()), n) for n, raw in enumerate(text.splitlines(), 1)
              if raw.lstrip().startswith("-")]
    if not dashes:
        return None
    indent = min(i for i, _ in dashes)
    count = sum(1 for i, n in dashes if i == indent and n <= line)
    return count or None


def _error(line: int | None, entry: int | None, message: str) -> InputError:
    where = f"input '{REGISTRY_AUTH}'" + (f" line {line}" if line is not None else "")
    if entry is not None:
        where += f" (entry {entry})"
    return InputError(f"{where}: {message}")


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a single value"


def _entry(number: int, node: Node) -> AuthEntry:
    line = node.start_mark.line + 1
    if not isinstance(node, MappingNode):
        raise _error(line, number, f"expected a mapping with registry, username and password, "
                                   f"got {_kind(node)}")
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key, value, merged in _pairs(node, number):
        if merged and key.value in values:
            continue  # a key written in the entry wins over the one merged in
        name = _key_name(key, number, values)
        if not isinstance(value, ScalarNode):
            raise _error(value.start_mark.line + 1, number,
                         f"'{name}' must be text, got {_kind(value)}")
        # A plain empty value or ~/null: YAML's null, read as "not given".
        is_null = value.style is None and str(value.tag).endswith(":null")
        values[name] = "" if is_null else _text(value)
        lines[name] = key.start_mark.line + 1
    for name in ("username", "password"):
        if name not in values:
            raise _error(line, number, f"'{name}' is missing (each entry needs registry, "
                                       "username and password; registry defaults to docker.io)")
        if not values[name].strip():
            raise _error(line, number, f"'{name}' is empty (a secret that is not set, or not "
                                       "available to this event, gives an empty value)")
    _check_username(values["username"], lines["username"], number)
    # Only a missing key is Docker Hub (docker/login-action's default). An empty one is
    # most likely an unset ${{ vars.X }}: a private registry's password must not go there.
    if "registry" in values and not values["registry"].strip():
        raise _error(lines["registry"], number,
                     "'registry' is empty (a variable that is not set gives an empty value); "
                     "leave the key out to log in to Docker Hub")
    registry = _registry(values.get("registry", ""), line, number)
    # as docker login --password-stdin reads it, so the client's reads use the same one
    creds = Credentials(registry=registry, username=values["username"].strip(),
                        password=login_password(values["password"]),
                        source=f"input '{REGISTRY_AUTH}' entry {number} at line {line}")
    return AuthEntry(index=number, line=line, credentials=creds)


def _pairs(node: MappingNode, number: int) -> Iterator[tuple[Node, Node, bool]]:
    """The entry's keys and values with YAML merge keys (``<<: *defaults``) expanded: the
    keys written in the entry, then the merged ones (True), the first mapping merged
    winning, as YAML's merge key has it."""
    merged: list[tuple[Node, Node, bool]] = []
    for key, value in node.value:
        if isinstance(key, ScalarNode) and str(key.tag).endswith(":merge"):
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise _error(source.start_mark.line + 1, number,
                                 f"'<<' merges a mapping (an anchored entry), got "
                                 f"{_kind(source)}")
                merged += [(k, v, True) for k, v, _ in _pairs(source, number)]
        else:
            yield key, value, False
    seen: set[str] = set()
    for key, value, _ in merged:
        if str(key.value) not in seen:
            seen.add(str(key.value))
            yield key, value, True


def username_problem(name: str) -> str | None:
    """What is wrong with a user name, if anything. It is one line of printable text: a
    line break or control character would corrupt the ``user:password`` pair and the
    docker login call, so it is refused before any registry is asked."""
    bad = next((c for c in name.strip() if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0), None)
    if bad is None:
        return None
    return f"holds the control character #x{ord(bad):02x} (a user name is one line of text)"


def _check_username(name: str, line: int, number: int) -> None:
    problem = username_problem(name)
    if problem:
        raise _error(line, number, f"'username' {problem}")


def _text(node: ScalarNode) -> str:
    """A scalar's text. ruamel.yaml reads the JSON escape of a character outside the
    BMP (``"\\ud83d\\ude00"``, as JSON encoders write it) as two lone surrogates; JSON and
    YAML 1.2 mean the one character the pair encodes."""
    text = str(node.value)
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text  # a lone surrogate: left as written


def _key_name(key: Node, number: int, seen: Mapping[str, str]) -> str:
    line = key.start_mark.line + 1
    name = str(key.value) if isinstance(key, ScalarNode) else ""
    if name in _LOGIN_ACTION_KEYS:
        raise _error(line, number, f"key '{name}' is docker/login-action's and ghbuild does "
                                   "not support it; an entry takes registry, username, password")
    if name not in _KEYS:
        close = difflib.get_close_matches(name, _KEYS, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        what = f"unknown key '{name}'" if name else "a key that is not text"
        raise _error(line, number, f"{what}{hint}; an entry takes registry, username, "
                                   "password")
    if name in seen:
        raise _error(line, number, f"'{name}' is given twice")
    return name


def _registry(raw: str, line: int, number: int) -> str:
    """A registry host[:port]; docker login's URL forms are taken too (``https://`` or
    ``http://`` in front, an API root ``/v1/`` or ``/v2/`` after, as in Docker Hub's
    ``https://index.docker.io/v1/``), an image name is not. Kept as docker has it:
    ``ghcr.io:443`` is another config key than ``ghcr.io`` to docker and buildx (an image
    ghcr.io/x is looked up under ghcr.io), so it is another registry here too."""
    given = raw.strip()
    if not given:
        return DOCKER_HUB
    host = given.lower()
    scheme, sep, rest = host.partition("://")
    if sep:
        if scheme not in ("https", "http"):
            raise _error(line, number, f"registry {given!r}: a registry is reached over "
                                       f"https or http, not {scheme}; give the host[:port] "
                                       "(such as ghcr.io or 127.0.0.1:5000)")
        host = rest.rstrip("/")
        for root in ("/v2", "/v1"):
            host = host.removesuffix(root)
    host = host.rstrip("/")
    if "/" in host:
        raise _error(line, number, f"registry {given!r} is not a registry host[:port]: give "
                                   f"the host only ({host.split('/', 1)[0]!r}), not an image "
                                   "name")
    try:
        check_host(host)
    except InputError as exc:
        if "out of range" in str(exc):
            raise _error(line, number, f"registry {given!r}: the port is out of range (1 to "
                                       "65535)") from None
        raise _error(line, number, f"registry {given!r} is not a registry host[:port] (such "
                                   "as ghcr.io, docker.io or 127.0.0.1:5000)") from None
    return host


def _check_unique(entries: Iterable[AuthEntry]) -> None:
    first: dict[str, AuthEntry] = {}
    for entry in entries:
        host = entry.credentials.host
        if host in first:
            raise _error(entry.line, entry.index,
                         f"registry {host} is already given by {first[host].where}; give each "
                         "registry once (Docker Hub's spellings docker.io, index.docker.io and "
                         "registry-1.docker.io are one registry)")
        first[host] = entry


# -- several sources for one registry --------------------------------------------------------
def merge_logins(logins: Iterable[Credentials]) -> list[Credentials]:
    """One login per registry, in the order first named. The same login twice (several
    images with the same inputs) is one; an explicit login replaces an automatic one (from
    github-token); two different explicit logins for one registry are an input error."""
    chosen: dict[str, Credentials] = {}
    for creds in logins:
        have = chosen.get(creds.host)
        if have is None or (have.automatic and not creds.automatic):
            chosen[creds.host] = creds
        elif have != creds and not creds.automatic:
            raise InputError(f"{creds.source or 'a login'} and {have.source or 'another login'} "
                             f"both log in to {creds.host}; give each registry once",
                             hint="registry-auth entries and the registry/username/password "
                                  "inputs are both explicit logins")
    return list(chosen.values())


def base_config_dir(environ: Mapping[str, str]) -> Path:
    given = environ.get("DOCKER_CONFIG", "")
    return Path(given) if given else Path(environ.get("HOME", str(Path.home()))) / ".docker"


def _link_plugins(base: Path, target: Path) -> None:
    plugins = base / "cli-plugins"
    if not plugins.is_dir():
        return
    try:
        (target / "cli-plugins").symlink_to(plugins.resolve(), target_is_directory=True)
    except OSError:
        # A file system without symlinks: a copy works as well, it is only a few binaries.
        shutil.copytree(plugins, target / "cli-plugins")


def _inherited_config(base: Path, logins: list[Credentials]) -> dict[str, Any]:
    """What the private config keeps from the caller's: logins to other registries
    (``auths``, ``credHelpers``, e.g. a Docker Hub login from an earlier step) and
    ``proxies``. ``credsStore`` is left out, or ``docker login`` would write this run's
    password into that store, where it would outlive the run.

    Known limit: credentials the caller keeps only in a ``credsStore`` are therefore
    not seen by buildx during the run.
    """
    try:
        data = json.loads((base / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    ours = {normalise_host(c.registry) for c in logins}
    out: dict[str, Any] = {}
    for key in ("auths", "credHelpers"):
        entries = data.get(key)
        if isinstance(entries, dict):
            kept = {k: v for k, v in entries.items() if normalise_host(k) not in ours}
            if kept:
                out[key] = kept
    if isinstance(data.get("proxies"), dict):
        out["proxies"] = data["proxies"]
    if isinstance(data.get("currentContext"), str):
        out["currentContext"] = data["currentContext"]
    return out


def _keep_builders_and_contexts(base: Path, target: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Keep the caller's buildx builders and docker contexts visible.

    buildx keeps its builders (the one docker/setup-buildx-action creates, say) under
    ``$BUILDX_CONFIG``, by default ``$DOCKER_CONFIG/buildx``, and the docker CLI keeps
    contexts under ``$DOCKER_CONFIG/contexts``; a bare private config would hide both
    and silently fall back to the default ``docker`` driver.
    """
    contexts = base / "contexts"
    if contexts.is_dir():
        with contextlib.suppress(OSError):
            (target / "contexts").symlink_to(contexts.resolve(), target_is_directory=True)
    if env.get("BUILDX_CONFIG"):
        return {}
    return {"BUILDX_CONFIG": str(base / "buildx")}


def login_server(registry: str) -> str:
    """What ``docker login`` gets as its server: the config key buildx will look up
    (:func:`ghbuild.registry.credentials.config_key`)."""
    return config_key(registry)


def register_login_secrets(creds: Credentials, actions: Actions) -> None:
    """The password, and the basic Authorization value ``docker login`` sends with it
    (``Basic base64(user:password)``, also what config.json keeps): a registry may echo
    that header in the error text docker login prints."""
    actions.add_secret(creds.password)
    pair = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode("ascii")
    actions.add_secret(f"Basic {pair}")
    actions.add_secret(pair)


def _login(creds: Credentials, env: Mapping[str, str], actions: Actions) -> None:
    argv = ["docker", "login", "--username", creds.username, "--password-stdin",
            login_server(creds.registry)]
    actions.info(f"logging in to {creds.describe()}")
    done = proc.get_runner().run(argv, env=env, stdin=login_stdin(creds.password))
    if done.returncode != 0:
        detail = actions.redact((done.stderr or done.stdout).strip())[-300:]
        where = f" ({creds.source})" if creds.source else ""
        raise RegistryError(f"docker login to {creds.registry} failed{where}: {detail}")


@contextlib.contextmanager
def private_docker_config(logins: list[Credentials], actions: Actions, *,
                          environ: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Yield the environment additions (``DOCKER_CONFIG``) for a logged-in docker.

    Every password is registered with ``actions`` before use. The directory is removed
    on exit, also when the body or a login raises.
    """
    env = dict(os.environ if environ is None else environ)
    parent = env.get("RUNNER_TEMP") or None
    if parent:
        os.makedirs(parent, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="ghbuild-docker-", dir=parent))
    try:
        os.chmod(path, 0o700)
        base = base_config_dir(env)
        config = path / "config.json"
        config.write_text(json.dumps(_inherited_config(base, logins), indent=1) + "\n",
                          encoding="utf-8")
        os.chmod(config, 0o600)
        _link_plugins(base, path)
        extra = {"DOCKER_CONFIG": str(path), **_keep_builders_and_contexts(base, path, env)}
        for creds in logins:
            register_login_secrets(creds, actions)
            _login(creds, {**env, **extra}, actions)
        yield extra
    finally:
        shutil.rmtree(path, ignore_errors=True)
