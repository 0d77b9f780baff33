"""An OCI distribution client on ``requests``: manifests, blobs, tags, auth and faults.

Every request has a timeout. Connection errors, 429 and 5xx are retried a bounded
number of times with exponential backoff (urllib3's ``Retry``), honouring
``Retry-After`` up to a limit; a registry that asks us to wait longer than that gets
no retry and the answer is ``unknown``. Reads that a caller bases a decision on
return a :class:`Presence`; writes raise :class:`RegistryError` naming the registry,
the status and the registry's own message.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as urllib3_error
from urllib3.exceptions import MaxRetryError, NewConnectionError, ResponseError
from urllib3.exceptions import TimeoutError as urllib3_timeout
from urllib3.util.retry import Retry

from ..errors import InputError, RegistryError
from . import auth
from .credentials import Credentials, CredentialStore
from .presence import Presence, State
from .reference import ImageRef, check_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_V2)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
ACCEPT = ", ".join(MANIFEST_TYPES)
# The distribution spec lets registries refuse manifests above 4 MiB; we refuse to read them.
MAX_MANIFEST = 4 * 1024 * 1024
_ABSENT_CODES = {"MANIFEST_UNKNOWN", "NAME_UNKNOWN", "TAG_UNKNOWN", "BLOB_UNKNOWN"}
_RETRY_STATUS = (429, 500, 502, 503, 504)
# A token for many repositories carries one access entry each, and goes in every request's
# header: twenty keep it near 2 KiB, well inside the 8 KiB header limit of common proxies.
SCOPES_PER_TOKEN = 20
# Checks are small reads: enough in flight to hide a hosted registry's round trip for
# fifty images, no more than the connection pool keeps open (pool_maxsize below).
MAX_CONCURRENT_CHECKS = 64


@dataclass(frozen=True)
class Ping:
    ok: bool
    auth: str      # "bearer", "basic", or "" when the registry asked for none
    reason: str


class ManifestUnknown(RegistryError):
    """The registry says the manifest (or the repository) does not exist."""


class AccessDenied(RegistryError):
    """401/403: the credentials (or their absence) do not allow this scope."""


@dataclass(frozen=True)
class Manifest:
    body: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        return data if isinstance(data, dict) else {}

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


@dataclass
class BlobStream:
    """A blob being read (:meth:`RegistryClient.open_blob`): ``size`` is the registry's
    Content-Length, None when it sent none."""

    size: int | None
    chunks: Iterator[bytes]
    response: requests.Response

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
    if host.startswith("[") is False and host.count(":") > 1:
        name = host  # a bare IPv6 address without a port
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _BoundedRetry(Retry):
    """urllib3's Retry that counts attempts and refuses to wait past ``max_wait``."""

    def __init__(self, *args: Any, on_retry: Callable[[], None] | None = None,
                 max_wait: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_retry = on_retry
        self.max_wait = max_wait

    def new(self, **kw: Any) -> _BoundedRetry:
        fresh = super().new(**kw)
        fresh.on_retry, fresh.max_wait = self.on_retry, self.max_wait
        return fresh  # type: ignore[return-value]

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None,
                  _stacktrace: Any = None) -> _BoundedRetry:
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_wait:
                # Waiting that long would stall the job; the caller treats it as unknown.
                raise MaxRetryError(_pool, url or "", ResponseError(
                    f"Retry-After {wait:.0f}s exceeds the {self.max_wait:.0f}s limit"))
        if self.on_retry:
            self.on_retry()
        return super().increment(  # type: ignore[return-value]
            method, url, response, error, _pool, _stacktrace)


class RegistryClient:
    def __init__(self, creds: CredentialStore | None = None, *, timeout: float = 10.0,
                 retries: int = 3, backoff: float = 0.5, max_backoff: float = 8.0,
                 max_retry_after: float = 30.0, scheme: str | None = None,
                 http_hosts: Collection[str] = (), session: requests.Session | None = None,
                 secret_sink: Callable[[str], None] | None = None) -> None:
        if scheme not in (None, "http", "https"):
            raise InputError(f"registry scheme must be 'http' or 'https', got {scheme!r}")
        self.creds = creds or CredentialStore()
        self.timeout = timeout
        self.scheme = scheme
        self.http_hosts = frozenset(http_hosts)
        self._secret_sink = secret_sink
        self._count = 0
        self._count_lock = threading.Lock()
        self._tokens = auth.TokenCache()
        self._fetch_locks: dict[tuple[str, str], threading.Lock] = {}
        self._challenges: dict[str, auth.Challenge] = {}
        self._first_contact: dict[str, threading.Event] = {}
        self._contacted: set[str] = set()
        self._state_lock = threading.Lock()
        self.session = session or self._new_session(retries, backoff, max_backoff,
                                                    max_retry_after)

    # -- plumbing ---------------------------------------------------------------------
    def _new_session(self, retries: int, backoff: float, max_backoff: float,
                     max_retry_after: float) -> requests.Session:
        retry = _BoundedRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            status_forcelist=_RETRY_STATUS, backoff_factor=backoff, backoff_max=max_backoff,
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE"}),
            respect_retry_after_header=True, raise_on_status=False, raise_on_redirect=False,
            on_retry=self._tick, max_wait=max_retry_after)
        session = requests.Session()
        session.trust_env = False  # no proxy variables between us and the registry
        adapter = HTTPAdapter(max_retries=retry, pool_connections=16, pool_maxsize=64)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "ghbuild-registry"
        return session

    def _tick(self) -> None:
        with self._count_lock:
            self._count += 1

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._count

    def scheme_for(self, host: str) -> str:
        if self.scheme:
            return self.scheme
        return "http" if host in self.http_hosts or is_loopback(host) else "https"

    def _url(self, host: str, path: str) -> str:
        return f"{self.scheme_for(host)}://{host}{path}"

    def _http(self, method: str, url: str, **kw: Any) -> requests.Response:
        self._tick()
        kw.setdefault("timeout", self.timeout)
        kw.setdefault("allow_redirects", True)
        return self.session.request(method, url, **kw)

    # -- auth --------------------------------------------------------------------------
    def _send(self, method: str, ref: ImageRef, path: str, scopes: Sequence[str],
              **kw: Any) -> requests.Response:
        host = ref.api_host
        with self._state_lock:
            known = host in self._contacted
            learnt = self._first_contact.get(host)
            leader = not known and learnt is None
            if leader:
                learnt = self._first_contact[host] = threading.Event()
        if known:
            return self._send_once(method, ref, path, scopes, **kw)
        if not leader:
            # The first request to a host goes alone: once its answer has shown how the
            # host wants to be authenticated, concurrent checks fetch their tokens up
            # front instead of each paying for a 401 first. They wait for that answer
            # only, not for the first request's own token fetch and retry.
            assert learnt is not None
            learnt.wait()
            return self._send_once(method, ref, path, scopes, **kw)
        try:
            return self._send_once(method, ref, path, scopes, learnt=lambda: self._learnt(host),
                                   **kw)
        finally:
            self._learnt(host)  # also when the first request failed: the others may try

    def _learnt(self, host: str) -> None:
        with self._state_lock:
            self._contacted.add(host)
            self._first_contact[host].set()

    def _send_once(self, method: str, ref: ImageRef, path: str, scopes: Sequence[str], *,
                   learnt: Callable[[], None] | None = None, **kw: Any) -> requests.Response:
        host = ref.api_host
        scope = auth.merge_scopes(scopes)
        headers = dict(kw.pop("headers", {}) or {})
        sent = self._auth_header(ref.registry, host, scope)
        if sent:
            headers["Authorization"] = sent
        resp = self._http(method, self._url(host, path), headers=headers, **kw)
        if resp.status_code != 401:
            return resp
        header = self._answer_challenge(resp, ref.registry, host, scope, sent, learnt)
        if header is None:
            return resp
        headers["Authorization"] = header
        return self._http(method, self._url(host, path), headers=headers, **kw)

    def _auth_header(self, registry: str, host: str, scope: str) -> str | None:
        token = self._tokens.get(host, scope)
        if token:
            return f"Bearer {token}"
        with self._state_lock:
            challenge = self._challenges.get(host)
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            creds = self.creds.get(registry)
            if creds is None:
                return None
            self._note_secrets(creds)   # a challenge from warm_up has not registered them
            return auth.basic_header(creds.username, creds.password)
        # A bearer registry seen before: fetch the token now and save the 401 round trip.
        return f"Bearer {self._token(registry, host, scope, challenge)}"

    def _answer_challenge(self, resp: requests.Response, registry: str, host: str,
                          scope: str, sent: str | None,
                          learnt: Callable[[], None] | None = None) -> str | None:
        """The header to retry with once, or None when a retry cannot help. ``learnt`` is
        called as soon as the challenge is stored, before any token is fetched."""
        header = resp.headers.get("WWW-Authenticate", "")
        bearer = auth.find_challenge(header, "bearer")
        if bearer is not None:
            # A cached token the registry now refuses (expired, revoked): renew it once.
            self._tokens.drop(host, scope)
            with self._state_lock:
                self._challenges[host] = bearer
            if learnt:
                learnt()
            wanted = auth.merge_scopes([scope, bearer.params.get("scope", "")])
            return f"Bearer {self._token(registry, host, scope, bearer, wanted)}"
        basic = auth.find_challenge(header, "basic")
        creds = self.creds.get(registry)
        if basic is None or creds is None or (sent or "").startswith("Basic "):
            return None
        with self._state_lock:
            self._challenges[host] = basic
        if learnt:
            learnt()
        self._note_secrets(creds)
        return auth.basic_header(creds.username, creds.password)

    def _token(self, registry: str, host: str, scope: str, challenge: auth.Challenge,
               wanted: str | None = None) -> str:
        """A token for ``wanted`` (default ``scope``), cached under ``scope``."""
        key = (host, scope)
        with self._state_lock:
            lock = self._fetch_locks.setdefault(key, threading.Lock())
        with lock:  # one fetch per scope even when 50 checks start together
            cached = self._tokens.get(host, scope)
            if cached:
                return cached
            token, ttl = self._fetch_token(registry, wanted or scope, challenge)
            self._tokens.put(host, scope, token, ttl)
            return token

    def _fetch_token(self, registry: str, scope: str,
                     challenge: auth.Challenge) -> tuple[str, float | None]:
        realm = challenge.realm
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(f"registry {registry} sent a token realm that is not a URL: "
                                f"{realm!r}")
        creds = self.creds.get(registry)
        if creds is not None and realm.startswith("http://") and \
                not is_loopback(realm.split("/")[2]):
            raise RegistryError(f"registry {registry} asks for credentials over plain http at "
                                f"{realm}; refusing to send them")
        try:
            resp = self._token_request(realm, challenge.params.get("service", ""), scope,
                                       creds)
        except requests.RequestException as exc:
            # the registry answered (its 401 named the realm): the token service did not
            raise RegistryError(f"cannot reach the token service {realm.split('/')[2]} that "
                                f"registry {registry} sends clients to ({realm}): "
                                f"{_short(exc)}") from None
        if resp.status_code in (401, 403):
            who = f"user {creds.username!r}" if creds and creds.username else "anonymous"
            raise AccessDenied(f"token service {realm} refused {who} for scope '{scope}' "
                               f"(HTTP {resp.status_code})")
        if resp.status_code != 200:
            raise RegistryError(f"token service {realm} answered HTTP {resp.status_code}")
        token, ttl = auth.token_from_answer(_json_or_error(resp, f"token service {realm}"), realm)
        if self._secret_sink:
            self._secret_sink(token)
        return token, ttl

    def _token_request(self, realm: str, service: str, scope: str,
                       creds: Credentials | None) -> requests.Response:
        scopes = scope.split()
        if creds is not None and creds.identity_token:
            self._note_secrets(creds)
            form = {"grant_type": "refresh_token", "refresh_token": creds.identity_token,
                    "service": service, "scope": " ".join(scopes), "client_id": "ghbuild"}
            resp = self._http("POST", realm, data=form)
            # Not every token service speaks OAuth2; those answer the POST with 404/405.
            if resp.status_code not in (404, 405) or not creds.password:
                return resp
        params: list[tuple[str, str]] = [("service", service)] if service else []
        params += [("scope", s) for s in scopes]
        basic = None
        if creds is not None and (creds.username or creds.password):
            self._note_secrets(creds)
            basic = (creds.username, creds.password)
        return self._http("GET", realm, params=params, auth=basic)

    def _note_secrets(self, creds: Credentials) -> None:
        """Register what a request may carry: the password and identity token, and the
        basic ``Authorization`` value made of them, which a registry may echo in an error
        body (base64 hides nothing: it is the password in other letters)."""
        if self._secret_sink:
            for secret in creds.secrets:
                self._secret_sink(secret)
            if creds.password:
                header = auth.basic_header(creds.username, creds.password)
                self._secret_sink(header)
                self._secret_sink(header.removeprefix("Basic "))

    # -- many images -----------------------------------------------------------------
    def warm_up(self, refs: Sequence[ImageRef], *, push: bool = False) -> None:
        """Before many checks: learn each registry's authentication with one ``/v2/``
        request and, where it wants bearer tokens, fetch one token per
        :data:`SCOPES_PER_TOKEN` repositories instead of one per repository. Fifty
        images on one registry then cost three round trips and four token signatures,
        as one image costs three round trips and one.

        Only ever an optimisation: a registry that refuses, a token service that grants
        less than asked or fails, leave each check to fetch its own token (a 401 on a
        shared token renews that check's scope alone), so nothing here can turn a check
        into a wrong answer. Nothing is raised."""
        by_host: dict[str, list[ImageRef]] = {}
        for ref in refs:
            by_host.setdefault(ref.api_host, []).append(ref)
        jobs = []
        for host, group in by_host.items():
            challenge = self._learn(group[0])
            if challenge is None or challenge.scheme != "bearer":
                continue
            scopes = sorted({auth.repository_scope(r.repository, push=push) for r in group})
            scopes = [s for s in scopes if not self._tokens.get(host, s)]
            for n in range(0, len(scopes), SCOPES_PER_TOKEN) if len(scopes) > 1 else ():
                jobs.append((group[0].registry, host, challenge,
                             scopes[n:n + SCOPES_PER_TOKEN]))
        if len(jobs) == 1:
            self._shared_token(*jobs[0])
        elif jobs:
            with ThreadPoolExecutor(max_workers=min(8, len(jobs))) as pool:
                list(pool.map(lambda job: self._shared_token(*job), jobs))

    def _learn(self, ref: ImageRef) -> auth.Challenge | None:
        """The challenge of ``ref``'s host, from one bare ``GET /v2/`` if none is known
        yet: no token is fetched for it (``ping`` would fetch one for no scope)."""
        host = ref.api_host
        with self._state_lock:
            asked = host in self._contacted or host in self._first_contact
            if not asked:
                self._first_contact[host] = threading.Event()
        if asked:
            self._first_contact.get(host, threading.Event()).wait(self.timeout)
        else:
            try:
                resp = self._http("GET", self._url(host, "/v2/"))
                header = resp.headers.get("WWW-Authenticate", "") \
                    if resp.status_code == 401 else ""
                challenge = auth.find_challenge(header, "bearer")
                if challenge is None and self.creds.get(ref.registry) is not None:
                    challenge = auth.find_challenge(header, "basic")
                if challenge is not None:
                    with self._state_lock:
                        self._challenges[host] = challenge
            except (RegistryError, requests.RequestException, ValueError):
                pass  # the checks meet the same fault and report it
            finally:
                self._learnt(host)
        with self._state_lock:
            return self._challenges.get(host)

    def _shared_token(self, registry: str, host: str, challenge: auth.Challenge,
                      scopes: Sequence[str]) -> None:
        try:
            token, ttl = self._fetch_token(registry, auth.merge_scopes(scopes), challenge)
        except (RegistryError, requests.RequestException, ValueError):
            return  # each check fetches its own token, and reports what goes wrong then
        for scope in scopes:
            self._tokens.put(host, scope, token, ttl)

    def check_many(self, refs: Sequence[ImageRef], *, platforms: Sequence[str] = (),
                   workers: int = MAX_CONCURRENT_CHECKS) -> list[Presence]:
        """:meth:`check` for each of ``refs`` (same platforms, no key), concurrently after
        one :meth:`warm_up`, in the order given."""
        if len(refs) > 1:
            self.warm_up(refs)
        if len(refs) <= 1:
            return [self.check(ref, platforms=platforms) for ref in refs]
        with ThreadPoolExecutor(max_workers=min(workers, len(refs)),
                                thread_name_prefix="ghbuild-check") as pool:
            return list(pool.map(lambda ref: self.check(ref, platforms=platforms), refs))

    # -- ping ----------------------------------------------------------------------------
    def ping(self, registry: str) -> Ping:
        """``GET /v2/``: is this a registry, which auth does it want, do our credentials pass?"""
        ref = ImageRef(registry=registry, repository="ping")
        try:
            resp = self._send("GET", ref, "/v2/", [])
        except RegistryError as exc:
            return Ping(False, "", str(exc))
        except requests.RequestException as exc:
            return Ping(False, "", f"cannot reach registry {registry}: {_short(exc)}")
        with self._state_lock:
            challenge = self._challenges.get(ref.api_host)
        scheme = challenge.scheme if challenge else ""
        if resp.status_code == 200:
            return Ping(True, scheme, f"registry {registry} answers the v2 API")
        if resp.status_code == 401:
            return Ping(False, scheme or _scheme_of(resp), f"registry {registry} wants "
                        f"credentials (HTTP 401{_error_text(resp)})")
        return Ping(False, scheme, f"registry {registry} answered HTTP {resp.status_code} to "
                    f"/v2/{_error_text(resp)}")

    # -- manifests -----------------------------------------------------------------------
    def _manifest_request(self, method: str, ref: ImageRef, *, push: bool = False,
                          **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}) or {})
        headers.setdefault("Accept", ACCEPT)
        path = f"/v2/{ref.repository}/manifests/{ref.reference}"
        scope = auth.repository_scope(ref.repository, push=push)
        return self._send(method, ref, path, [scope], headers=headers, **kw)

    def fetch(self, ref: ImageRef, *, push_scope: bool = False) -> Manifest | Presence:
        """The manifest, or a non-present :class:`Presence` saying why there is none."""
        try:
            resp = self._manifest_request("GET", ref, push=push_scope, stream=True)
            # The timeout bounds each socket read; this bounds the whole body, so a
            # registry that trickles bytes cannot hold the job either.
            _load_body(resp, MAX_MANIFEST, time.monotonic() + 2 * self.timeout)
        except _SlowBody as exc:
            return Presence.unknown(str(ref), f"registry {ref.registry} did not send the "
                                    f"manifest within {2 * self.timeout:g}s ({exc})", "timeout")
        except AccessDenied as exc:
            return Presence.unknown(str(ref), f"access: {exc}", "access")
        except RegistryError as exc:
            return Presence.unknown(str(ref), str(exc), "fault")
        except requests.RequestException as exc:
            if _is_timeout(exc):
                return Presence.unknown(str(ref), f"registry {ref.registry} did not answer "
                                        f"within {self.timeout:g}s: {_short(exc)}", "timeout")
            return Presence.unknown(str(ref), f"cannot reach registry {ref.registry}: "
                                    f"{_short(exc)}", "fault")
        return self._read_manifest(ref, resp)

    def _read_manifest(self, ref: ImageRef, resp: requests.Response) -> Manifest | Presence:
        where = f"registry {ref.registry}"
        status = resp.status_code
        if status in (401, 403):
            return Presence.unknown(str(ref), f"access: {where} refused pull of "
                                    f"{ref.repository} (HTTP {status}{_error_text(resp)}; "
                                    f"scope '{auth.repository_scope(ref.repository)}', "
                                    f"{self._who(ref.registry)})", "access")
        if status == 404:
            return self._read_404(ref, resp)
        if status == 429:
            return Presence.unknown(str(ref), f"{where} is rate limiting (HTTP 429"
                                    f"{_retry_after(resp)})", "rate-limit")
        if status != 200:
            return Presence.unknown(str(ref), f"{where} answered HTTP {status}"
                                    f"{_error_text(resp)}", "fault")
        try:
            return _manifest_from(ref, resp)
        except RegistryError as exc:
            return Presence.unknown(str(ref), str(exc), "body")

    def _who(self, registry: str) -> str:
        try:
            creds = self.creds.get(registry)
        except RegistryError:
            return "credentials could not be read"
        if creds is None:
            return "anonymous: no credentials for this registry"
        return f"as {creds.username!r}" if creds.username else "with an identity token"

    def _read_404(self, ref: ImageRef, resp: requests.Response) -> Presence:
        body = resp.content
        if not body.strip():
            return Presence.absent(str(ref), f"{ref.reference} not found in {ref.name} (404)")
        try:
            errors = json.loads(body).get("errors") or []
            codes = {str(e.get("code")) for e in errors if isinstance(e, dict)}
        except (ValueError, AttributeError):
            codes = set()
        if codes & _ABSENT_CODES:
            code = sorted(codes & _ABSENT_CODES)[0]
            return Presence.absent(str(ref), f"{ref.reference} not found in {ref.name} "
                                   f"(404 {code})")
        # A 404 that is not the registry's own answer (a proxy page, a wrong path).
        return Presence.unknown(str(ref), f"registry {ref.registry} answered 404 with a body "
                                f"that is not a registry error ({_kind(resp)})", "body")

    def get_manifest(self, ref: ImageRef, *, push_scope: bool = False) -> Manifest:
        got = self.fetch(ref, push_scope=push_scope)
        if isinstance(got, Manifest):
            return got
        if got.state is State.ABSENT:
            raise ManifestUnknown(got.reason)
        if got.cause == "access":
            raise AccessDenied(got.reason)
        raise RegistryError(got.reason)

    def put_manifest(self, ref: ImageRef, body: bytes, media_type: str) -> str:
        """PUT ``body`` at the ref's tag or digest; returns the digest the registry reports."""
        if media_type not in MANIFEST_TYPES:
            raise InputError(f"manifest media type {media_type!r} is not one of "
                             f"{', '.join(MANIFEST_TYPES)}")
        digest = sha256_digest(body)
        if ref.digest and ref.digest != digest:
            raise InputError(f"manifest body hashes to {digest}, not to {ref.digest} in {ref}")
        resp = self._write("PUT", ref, f"/v2/{ref.repository}/manifests/{ref.reference}",
                           data=body, headers={"Content-Type": media_type})
        _expect(resp, (201, 200), f"PUT manifest {ref}")
        reported = resp.headers.get("Docker-Content-Digest", digest)
        if reported != digest:
            raise RegistryError(f"registry {ref.registry} stored {ref} as {reported}, "
                                f"but the body hashes to {digest}")
        return digest

    def delete_manifest(self, ref: ImageRef) -> None:
        if not ref.digest:
            # The distribution API deletes by digest only; deleting a tag is not portable.
            raise InputError(f"delete needs a digest reference, got {ref}")
        resp = self._write("DELETE", ref, f"/v2/{ref.repository}/manifests/{ref.digest}")
        _expect(resp, (202, 200), f"DELETE manifest {ref}")

    def _write(self, method: str, ref: ImageRef, path: str, *,
               extra_scopes: Sequence[str] = (), **kw: Any) -> requests.Response:
        scopes = [auth.repository_scope(ref.repository, push=True), *extra_scopes]
        try:
            return self._send(method, ref, path, scopes, **kw)
        except requests.RequestException as exc:
            raise RegistryError(f"{method} {path} on registry {ref.registry} failed: "
                                f"{_short(exc)}") from None

    # -- checks ------------------------------------------------------------------------
    def check(self, ref: ImageRef, *, platforms: Sequence[str] = (), key: str | None = None,
              push_scope: bool = False, describe: bool = False) -> Presence:
        """Present only if the manifest exists, has every platform asked for and, when
        ``key`` is given, records that build key (by annotation or by its key tag)."""
        from . import checks

        # Bad input is refused before any request is made.
        wanted = [checks.normalise_platform(p) for p in platforms]
        got = self.fetch(ref, push_scope=push_scope)
        if isinstance(got, Presence):
            return got
        return checks.judge(self, ref, got, wanted, key, describe)

    def resolve(self, ref: ImageRef) -> Presence:
        """The digest a tag resolves to now (after a push), with no platform lookup."""
        got = self.fetch(ref)
        if isinstance(got, Presence):
            return got
        annotations = got.json().get("annotations") or {}
        return Presence(State.PRESENT, ref=str(ref), digest=got.digest,
                        media_type=got.media_type, reason="resolved",
                        annotations=dict(annotations) if isinstance(annotations, dict) else {})

    # -- blobs ---------------------------------------------------------------------------
    def blob_exists(self, repo_ref: ImageRef, digest: str) -> bool:
        check_digest(digest)
        path = f"/v2/{repo_ref.repository}/blobs/{digest}"
        try:
            resp = self._send("HEAD", repo_ref, path,
                              [auth.repository_scope(repo_ref.repository)])
        except requests.RequestException as exc:
            raise RegistryError(f"HEAD blob {digest} on {repo_ref.registry}: {_short(exc)}") \
                from None
        if resp.status_code == 404:
            return False
        _expect(resp, (200,), f"HEAD blob {digest} in {repo_ref.name}")
        return True

    def get_blob(self, repo_ref: ImageRef, digest: str, *, limit: int = 512 << 20) -> bytes:
        """The blob's bytes, checked against its digest; refused above ``limit`` bytes
        (it is held in memory: promotion's copy fallback and config reads use this)."""
        check_digest(digest)
        path = f"/v2/{repo_ref.repository}/blobs/{digest}"
        try:
            resp = self._send("GET", repo_ref, path, [auth.repository_scope(repo_ref.repository)],
                              stream=True)
            _expect(resp, (200,), f"GET blob {digest} in {repo_ref.name}")
            data = _read_limited(resp, limit)
        except requests.RequestException as exc:
            raise RegistryError(f"GET blob {digest} on {repo_ref.registry}: {_short(exc)}") \
                from None
        if data is None:
            raise RegistryError(f"blob {digest} in {repo_ref.name} is larger than {limit} bytes")
        if sha256_digest(data) != digest:
            raise RegistryError(f"blob {digest} from {repo_ref.name} does not match its digest")
        return data

    def open_blob(self, repo_ref: ImageRef, digest: str, *,
                  chunk_size: int = 1 << 16) -> BlobStream:
        """The blob as chunks of at most ``chunk_size`` bytes, for a copy of a layer too
        large to hold in memory. Unlike :meth:`get_blob` nothing is checked here: the
        reader hashes as it goes (registry/copy.py). Close it (``with``) when done."""
        check_digest(digest)
        path = f"/v2/{repo_ref.repository}/blobs/{digest}"
        try:
            resp = self._send("GET", repo_ref, path, [auth.repository_scope(repo_ref.repository)],
                              stream=True)
        except requests.RequestException as exc:
            raise RegistryError(f"GET blob {digest} on {repo_ref.registry}: {_short(exc)}") \
                from None
        try:
            _expect(resp, (200,), f"GET blob {digest} in {repo_ref.name}")
        except RegistryError:
            resp.close()
            raise
        length = resp.headers.get("Content-Length", "")
        return BlobStream(int(length) if length.isdigit() else None,
                          resp.iter_content(chunk_size), resp)

    def upload_stream(self, repo_ref: ImageRef, digest: str, body: Any, size: int) -> str:
        """Monolithic upload of ``size`` bytes that ``body`` (an object with ``read``)
        gives a block at a time, so they are never all in memory; the registry checks
        them against ``digest``. A retry (this client's policy) rewinds the body with
        ``seek(0)``: one that cannot be rewound fails the upload with an error saying so
        (copy.VerifiedBody reads its source again). The 401 resend of ``_send_once``
        would send a spent body: it is only reached when the token of the POST just
        before has expired."""
        check_digest(digest)
        location = self._start_upload(repo_ref)
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        try:
            done = self._put_upload(repo_ref, location, digest, body, headers)
        except urllib3_error as exc:
            raise RegistryError(f"upload of {digest} to {repo_ref.name} failed and cannot "
                                f"be resent from its stream: {exc}") from None
        _expect(done, (201,), f"upload {digest} to {repo_ref.name}")
        return digest

    def _start_upload(self, repo_ref: ImageRef) -> str:
        """POST an upload session; its ``Location``, where the blob is then PUT."""
        start = self._write("POST", repo_ref, f"/v2/{repo_ref.repository}/blobs/uploads/",
                            allow_redirects=False)
        _expect(start, (202,), f"start upload to {repo_ref.name}")
        location = start.headers.get("Location", "")
        if not location:
            raise RegistryError(f"registry {repo_ref.registry} opened an upload without a "
                                "Location header")
        return location

    def mount_blob(self, from_ref: ImageRef, to_ref: ImageRef, digest: str) -> bool:
        """Cross-repository mount; True if mounted, False if the registry declined.

        A declined mount opens an upload session, which we cancel so nothing lingers.
        """
        check_digest(digest)
        if from_ref.api_host != to_ref.api_host:
            raise InputError(f"cannot mount {digest} across registries "
                             f"({from_ref.registry} → {to_ref.registry})")
        path = f"/v2/{to_ref.repository}/blobs/uploads/"
        resp = self._write("POST", to_ref, path,
                           extra_scopes=[auth.repository_scope(from_ref.repository)],
                           params={"mount": digest, "from": from_ref.repository},
                           allow_redirects=False)
        if resp.status_code == 201:
            return True
        _expect(resp, (202,), f"mount {digest} from {from_ref.name} into {to_ref.name}")
        location = resp.headers.get("Location")
        if location:
            self._write("DELETE", to_ref, _location_path(location))
        return False

    def upload_blob(self, repo_ref: ImageRef, data: bytes | os.PathLike[str] | str) -> str:
        """Monolithic upload (POST, then PUT with the digest); returns the digest.

        A path is hashed and sent streaming, never read whole into memory. A blob the
        repository already has is not sent again.
        """
        path = Path(data) if isinstance(data, (str, os.PathLike)) else None
        digest = _file_digest(path) if path else sha256_digest(data)  # type: ignore[arg-type]
        if self.blob_exists(repo_ref, digest):
            return digest
        location = self._start_upload(repo_ref)
        headers = {"Content-Type": "application/octet-stream"}
        if path is None:
            done = self._put_upload(repo_ref, location, digest, data, headers)
        else:
            headers["Content-Length"] = str(path.stat().st_size)
            with open(path, "rb") as body:
                done = self._put_upload(repo_ref, location, digest, body, headers)
        _expect(done, (201,), f"upload {digest} to {repo_ref.name}")
        return digest

    def _put_upload(self, ref: ImageRef, location: str, digest: str, body: Any,
                    headers: dict[str, str]) -> requests.Response:
        parts = urlsplit(location)
        query = f"{parts.query}&digest={digest}" if parts.query else f"digest={digest}"
        if parts.netloc and parts.netloc != ref.api_host:
            # An upload URL on another host (object storage) is pre-authorised: our
            # registry token must not travel there.
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
            try:
                return self._http("PUT", url, data=body, headers=headers)
            except requests.RequestException as exc:
                raise RegistryError(f"upload to {parts.netloc} for {ref.registry} failed: "
                                    f"{_short(exc)}") from None
        return self._write("PUT", ref, f"{parts.path}?{query}", data=body, headers=headers)

    # -- promotion -------------------------------------------------------------------------
    def promote(self, source: ImageRef, targets: Sequence[ImageRef], *, allow_move: bool = False,
                immutable: Callable[[str], bool] | None = None) -> list[Any]:
        from . import promote as _promote

        return _promote.promote(self, source, targets, allow_move=allow_move,
                                immutable=immutable or _promote.semver_like)


# -- response helpers ---------------------------------------------------------------------
def _manifest_from(ref: ImageRef, resp: requests.Response) -> Manifest:
    where = f"registry {ref.registry}"
    body = resp.content
    if len(body) > MAX_MANIFEST:
        raise RegistryError(f"{where} sent a manifest of {len(body)} bytes for {ref}, above "
                            "the 4 MiB limit")
    try:
        data = json.loads(body)
    except ValueError:
        raise RegistryError(f"{where} answered HTTP {resp.status_code} with a body that is "
                            f"not JSON ({_kind(resp)}) for {ref}") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{where} answered a manifest for {ref} that is not a JSON object")
    media_type = _media_type(resp, data)
    if media_type not in MANIFEST_TYPES:
        raise RegistryError(f"{where} answered media type {media_type!r} for {ref}, not one "
                            "of the manifest types asked for")
    problem = _shape_problem(data, media_type)
    if problem:
        # JSON that is not a manifest (an error object, a proxy's answer) is no evidence.
        raise RegistryError(f"{where} answered HTTP {resp.status_code} for {ref} with JSON "
                            f"that is not a manifest: {problem}")
    digest = sha256_digest(body)
    header = resp.headers.get("Docker-Content-Digest", "")
    if header.startswith("sha256:") and header != digest:
        raise RegistryError(f"{where} says {ref} is {header} but its body hashes to {digest}")
    if ref.digest and ref.digest.startswith("sha256:") and ref.digest != digest:
        raise RegistryError(f"{where} answered a body for {ref} that hashes to {digest}")
    return Manifest(body=body, media_type=media_type, digest=header or digest)


def _shape_problem(data: Mapping[str, Any], media_type: str) -> str:
    if data.get("schemaVersion") != 2:
        return f"schemaVersion is {data.get('schemaVersion')!r}, not 2"
    if media_type in INDEX_TYPES:
        entries = data.get("manifests")
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("digest"), str) for e in entries):
            return "an index without a list of manifests with digests"
        return ""
    config = data.get("config")
    # buildx writes "layers": null for an image with no layers (FROM scratch with only
    # metadata); that is an empty list, not a broken manifest.
    layers = data.get("layers")
    if not isinstance(config, dict) or not isinstance(config.get("digest"), str) or \
            not (layers is None or isinstance(layers, list)):
        return "a manifest without config and layers"
    return ""


def _media_type(resp: requests.Response, data: Mapping[str, Any]) -> str:
    declared = data.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = resp.headers.get("Content-Type", "").split(";")[0].strip()
    if header in MANIFEST_TYPES:
        return header
    # An OCI manifest may omit mediaType; tell index from manifest by its fields.
    return OCI_INDEX if "manifests" in data else OCI_MANIFEST


def _scheme_of(resp: requests.Response) -> str:
    found = auth.parse_challenges(resp.headers.get("WWW-Authenticate", ""))
    return found[0].scheme if found else ""


def _json_or_error(resp: requests.Response, who: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise RegistryError(f"{who} answered HTTP {resp.status_code} with a body that is not "
                            f"JSON ({_kind(resp)})") from None


def _kind(resp: requests.Response) -> str:
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    head = resp.content[:200].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or "html" in ctype:
        return f"an HTML page, {ctype}"
    return ctype


def _error_text(resp: requests.Response) -> str:
    try:
        errors = json.loads(resp.content).get("errors") or []
    except (ValueError, AttributeError):
        kind = _kind(resp) if resp.content.strip() else ""
        return f", {kind}" if kind else ""
    parts = [f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
    return f": {'; '.join(parts)}" if parts else ""


def _retry_after(resp: requests.Response) -> str:
    value = resp.headers.get("Retry-After")
    return f", Retry-After {value}" if value else ""


def _expect(resp: requests.Response, ok: Sequence[int], what: str) -> None:
    if resp.status_code in ok:
        return
    host = resp.url.split("/")[2] if resp.url else "?"
    text = f"{what}: registry {host} answered HTTP {resp.status_code}{_error_text(resp)}"
    if resp.status_code in (401, 403):
        raise AccessDenied(text)
    if resp.status_code == 404:
        raise ManifestUnknown(text)
    raise RegistryError(text)


class _SlowBody(Exception):
    """A response body that did not arrive by its deadline."""


def _load_body(resp: requests.Response, limit: int, deadline: float) -> None:
    """Read a streamed body now, at most ``limit`` bytes, by ``deadline``; ``.content``
    then returns it as if it had not been streamed."""
    raw = resp.raw
    read = getattr(raw, "read1", None) or raw.read  # read1 returns what has arrived
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            resp.close()
            raise _SlowBody(f"{size} bytes so far")
        chunk = read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            resp.close()
            raise RegistryError(f"registry answer for {resp.url} exceeds {limit} bytes")
        chunks.append(chunk)
    resp._content = b"".join(chunks)  # noqa: SLF001 (requests' own cache of the body)


def _read_limited(resp: requests.Response, limit: int) -> bytes | None:
    chunks, size = [], 0
    for chunk in resp.iter_content(1 << 16):
        size += len(chunk)
        if size > limit:
            resp.close()
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _location_path(location: str) -> str:
    """An upload Location may be absolute or relative; we keep path and query."""
    if location.startswith(("http://", "https://")):
        return "/" + location.split("/", 3)[3]
    return location


def _is_timeout(exc: BaseException) -> bool:
    """requests reports a read timeout that exhausted the retries as a ConnectionError."""
    root = _root(exc)
    # urllib3 files a refused connection under ConnectTimeoutError; it is not a timeout.
    if isinstance(root, NewConnectionError):
        return False
    return isinstance(exc, requests.Timeout) or isinstance(root, (TimeoutError, urllib3_timeout))


def _root(exc: BaseException) -> object:
    inner: object = exc
    while True:
        arg = inner.args[0] if isinstance(inner, BaseException) and inner.args else None
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            inner = arg.reason
        elif isinstance(inner, MaxRetryError) and inner.reason is not None:
            inner = inner.reason
        elif isinstance(arg, BaseException):
            inner = arg
        else:
            return inner


def _short(exc: BaseException) -> str:
    """The root cause of a requests error, without urllib3's pool boilerplate."""
    inner = _root(exc)
    text = str(inner)
    text = text.split(": ", 1)[1] if text.startswith(("HTTPConnection", "<urllib3")) and ": " \
        in text else text
    kind = type(inner).__name__
    text = f"{kind}: {text}" if text else kind
    return text if len(text) <= 300 else text[:300] + "…"
