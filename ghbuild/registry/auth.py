"""Registry authentication: ``WWW-Authenticate`` challenges, bearer tokens, Basic auth.

A registry answers an unauthenticated request with 401 and a challenge. ``Bearer``
names a token service (``realm``, ``service``, ``scope``); we ask it for a token
for ``repository:<name>:pull`` (or ``pull,push``), anonymously or with Basic
credentials, or by OAuth2 refresh-token grant when we hold an identity token.
``Basic`` means send the credentials on every request. Tokens are cached per
(host, scope) and dropped when the registry answers 401 to them.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.request import parse_http_list

from ..errors import RegistryError

_TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# A token with no stated lifetime is good for 60 s by the token spec; we renew earlier.
_DEFAULT_TTL = 60.0
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_MARGIN = 10.0


@dataclass(frozen=True)
class Challenge:
    scheme: str                       # lower case: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a ``WWW-Authenticate`` value (RFC 7235): several challenges may share it.

    The standard library splits at commas outside quotes; a piece that starts with a
    bare token opens a new challenge (its scheme), a ``name=value`` piece adds a
    parameter to the open one.
    """
    out: list[Challenge] = []
    for piece in (p for p in parse_http_list(header) if p):
        scheme, rest = _leading_scheme(piece)
        if scheme:
            out.append(Challenge(scheme.lower(), {}))
            piece = rest
        if not piece or not out:
            continue
        name, eq, value = piece.partition("=")
        if eq and name.strip() and set(name.strip()) <= _TOKEN_CHARS:
            out[-1].params[name.strip().lower()] = _unquote(value.strip())
    return out


def _leading_scheme(piece: str) -> tuple[str, str]:
    """``Bearer realm="x"`` → (``Bearer``, ``realm="x"``); ``service="y"`` → ("", piece)."""
    head, _, rest = piece.partition(" ")
    if not head or not set(head) <= _TOKEN_CHARS or "=" in head:
        return "", piece
    rest = rest.strip()
    # "Basic abc==" carries a token68, which no registry scheme here uses.
    return head, "" if _TOKEN68.fullmatch(rest) else rest


def _unquote(value: str) -> str:
    # parse_http_list has already resolved backslash escapes inside quotes.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def find_challenge(header: str, scheme: str) -> Challenge | None:
    for challenge in parse_challenges(header):
        if challenge.scheme == scheme:
            return challenge
    return None


def repository_scope(repository: str, *, push: bool = False) -> str:
    return f"repository:{repository}:{'pull,push' if push else 'pull'}"


def merge_scopes(*groups: Iterable[str]) -> str:
    """One space-separated scope string, each entry once, in a stable order."""
    seen: list[str] = []
    for group in groups:
        for scope in group:
            for part in scope.split():
                if part and part not in seen:
                    seen.append(part)
    return " ".join(seen)


def basic_header(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass
class _Entry:
    token: str
    expires: float


class TokenCache:
    """Bearer tokens per (host, scope); thread-safe, expiry from ``expires_in``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def get(self, host: str, scope: str) -> str | None:
        with self._lock:
            entry = self._items.get((host, scope))
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._items[(host, scope)]
                return None
            return entry.token

    def put(self, host: str, scope: str, token: str, expires_in: float | None) -> None:
        ttl = expires_in if expires_in and expires_in > 0 else _DEFAULT_TTL
        expires = self._clock() + max(ttl - _MARGIN, ttl / 2)
        with self._lock:
            self._items[(host, scope)] = _Entry(token, expires)

    def drop(self, host: str, scope: str) -> None:
        with self._lock:
            self._items.pop((host, scope), None)


def token_from_answer(data: object, realm: str) -> tuple[str, float | None]:
    """The token and lifetime from a token service's JSON (``token`` or ``access_token``)."""
    if not isinstance(data, dict):
        raise RegistryError(f"token service {realm} answered JSON that is not an object")
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryError(f"token service {realm} answered without a token")
    expires = data.get("expires_in")
    return token, float(expires) if isinstance(expires, (int, float)) else None
