"""Where registry credentials come from: inputs on a runner, the docker config locally.

The docker config is read the way the Docker CLI reads it: a per-registry
``credHelpers`` entry wins, then ``credsStore``, then the base64 ``auth`` (or an
``identitytoken``) under ``auths``. Helpers are run through :mod:`ghbuild.proc` with
the server URL on stdin, as the credential-helper protocol specifies.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import proc
from ..errors import InputError, RegistryError
from .reference import DOCKER_HUB, DOCKER_HUB_API

# The key the Docker CLI files Docker Hub under in config.json and in helpers.
HUB_CONFIG_KEY = "https://index.docker.io/v1/"
# A helper answers this user name when the secret is an identity (refresh) token.
IDENTITY_TOKEN_USER = "<token>"


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password, self.identity_token) if s)


def login_password(text: str) -> str:
    """The password ``docker login --password-stdin`` makes of ``text``: one trailing
    ``\\n`` removed, then one ``\\r`` (docker/cli's verifyLoginOptions). Every password
    ghbuild logs in with goes through this where it is read, so its own registry client
    sends what the docker config holds, not a secret's stray newline (a 401 there would
    make the check unknown and the read-back after the push fail)."""
    return text.removesuffix("\n").removesuffix("\r")


def login_stdin(password: str) -> str:
    """What to write to ``docker login --password-stdin`` so that it keeps ``password``
    (already :func:`login_password`'s result) exactly: as it is when docker's trim finds
    nothing to take; else with ``\\r\\n`` added, which is just what the trim takes."""
    return password + "\r\n" if password.endswith(("\n", "\r")) else password


def normalise_host(server: str) -> str:
    """``https://index.docker.io/v1/`` → ``docker.io``; ``http://h:5000/`` → ``h:5000``."""
    host = server.strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/", 1)[0].lower()
    if host in ("index.docker.io", DOCKER_HUB_API, "registry.hub.docker.com"):
        return DOCKER_HUB
    return host


class CredentialStore:
    """Looks up credentials by registry host; answers are cached per host."""

    def __init__(self, static: Mapping[str, Credentials] | None = None,
                 config: Mapping[str, Any] | None = None, config_path: str = "") -> None:
        self._static = {normalise_host(h): c for h, c in (static or {}).items()}
        self._config = dict(config or {})
        self._path = config_path
        self._cache: dict[str, Credentials | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def static(cls, mapping: Mapping[str, Credentials]) -> CredentialStore:
        return cls(static=mapping)

    @classmethod
    def from_docker_config(cls, path: str | os.PathLike[str] | None = None,
                           environ: Mapping[str, str] | None = None) -> CredentialStore:
        file = Path(path) if path else _default_config_path(environ or os.environ)
        if not file.exists():
            return cls(config_path=str(file))
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"docker config {file}: cannot be read as JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"docker config {file}: expected a JSON object")
        return cls(config=data, config_path=str(file))

    def with_static(self, host: str, creds: Credentials) -> CredentialStore:
        """A store with ``creds`` for ``host`` in front of this one's answers."""
        merged = dict(self._static)
        merged[normalise_host(host)] = creds
        return CredentialStore(static=merged, config=self._config, config_path=self._path)

    def get(self, registry: str) -> Credentials | None:
        host = normalise_host(registry)
        with self._lock:
            if host in self._cache:
                return self._cache[host]
        found = self._lookup(host)
        with self._lock:
            self._cache[host] = found
        return found

    def _lookup(self, host: str) -> Credentials | None:
        if host in self._static:
            return self._static[host]
        helpers = self._config.get("credHelpers") or {}
        for key, helper in helpers.items() if isinstance(helpers, dict) else ():
            if normalise_host(key) == host and helper:
                return self._from_helper(str(helper), key)
        entry_key, entry = self._auths_entry(host)
        store = self._config.get("credsStore")
        if store:
            found = self._from_helper(str(store), entry_key or _server_url(host))
            if found is not None:
                return found
        return _from_auths(entry, self._path, entry_key) if entry is not None else None

    def _auths_entry(self, host: str) -> tuple[str, Mapping[str, Any] | None]:
        auths = self._config.get("auths") or {}
        if not isinstance(auths, dict):
            return "", None
        for key, entry in auths.items():
            if normalise_host(key) == host and isinstance(entry, dict):
                return key, entry
        return "", None

    def _from_helper(self, helper: str, server: str) -> Credentials | None:
        argv = [f"docker-credential-{helper}", "get"]
        try:
            done = proc.get_runner().run(argv, stdin=server)
        except FileNotFoundError:
            raise RegistryError(f"docker config {self._path}: credential helper "
                                f"'docker-credential-{helper}' is not on PATH") from None
        if done.returncode != 0:
            # The protocol's "not found" answer: no credentials, not a failure.
            if "credentials not found" in (done.stdout + done.stderr).lower():
                return None
            raise RegistryError(f"credential helper docker-credential-{helper} failed for "
                                f"{server} (exit {done.returncode})")
        return _parse_helper_answer(done.stdout, helper)


def _parse_helper_answer(text: str, helper: str) -> Credentials:
    try:
        data = json.loads(text)
        user, secret = str(data.get("Username", "")), str(data.get("Secret", ""))
    except (ValueError, AttributeError):
        # Never echo the answer: it is a secret.
        raise RegistryError(f"credential helper docker-credential-{helper} answered something "
                            "that is not the expected JSON object") from None
    if user == IDENTITY_TOKEN_USER:
        return Credentials(identity_token=secret)
    return Credentials(username=user, password=secret)


def _from_auths(entry: Mapping[str, Any], path: str, key: str) -> Credentials | None:
    token = str(entry.get("identitytoken") or "")
    auth = str(entry.get("auth") or "")
    user, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    if auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"docker config {path}: auths.{key}.auth is not base64 of "
                             "user:password") from None
        user, sep, password = decoded.partition(":")
        if not sep:
            raise InputError(f"docker config {path}: auths.{key}.auth decodes to no ':' "
                             "(expected base64 of user:password)")
    if token:
        return Credentials(username=user, identity_token=token)
    if user or password:
        return Credentials(username=user, password=password)
    return None


def _server_url(host: str) -> str:
    return HUB_CONFIG_KEY if host == DOCKER_HUB else host


def config_key(server: str) -> str:
    """The key the Docker CLI files ``server``'s login under in config.json, and so the
    one buildx looks up: every Docker Hub spelling (``docker.io``, ``index.docker.io``,
    ``registry-1.docker.io``) is ``https://index.docker.io/v1/``, any other registry its
    ``host[:port]``. ``docker login index.docker.io`` would file the login under that
    name, where buildx never looks for Docker Hub's."""
    return _server_url(normalise_host(server))


def _default_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(base) / "config.json"
