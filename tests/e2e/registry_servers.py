"""Real registries and faults on 127.0.0.1 for the registry e2e tests.

* :class:`LocalRegistry` runs the CNCF distribution binary (``docker-registry``) with
  its own config: open, htpasswd (bcrypt hashes made with the system's libcrypt) or
  ``auth: token`` trusting a certificate the test makes.
* :class:`TokenServer` is the token service for the latter: it checks Basic
  credentials and signs RS256 JWTs with an ``x5c`` header, as distribution expects.
* :class:`FaultProxy` sits in front of a registry and answers 500, 503, 429 with
  Retry-After, resets connections, stalls, or returns an HTML page, on demand.

Ports come from 5100-5199; every process and thread is stopped by its fixture.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import ctypes.util
import datetime
import http.client
import http.server
import json
import os
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

PORTS = range(5100, 5200)
_port_lock = threading.Lock()
_taken: set[int] = set()


def free_port() -> int:
    with _port_lock:
        for port in PORTS:
            if port in _taken:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _taken.add(port)
            return port
    raise RuntimeError("no free port in 5100-5199")


def release_port(port: int) -> None:
    with _port_lock:
        _taken.discard(port)


def bcrypt_hash(password: str) -> str:
    """A bcrypt hash through libcrypt (crypt(3)); Go's bcrypt accepts its $2b$ form."""
    name = ctypes.util.find_library("crypt")
    if not name:
        raise RuntimeError("libcrypt not found: cannot make an htpasswd file")
    lib = ctypes.CDLL(name)
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt.restype = ctypes.c_char_p
    salt = lib.crypt_gensalt(b"$2b$", 5, None, 0)
    return lib.crypt(password.encode(), salt).decode()


class _Server(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops SYNs when 16+ clients connect at once, and each
    # dropped SYN costs a 1 s retransmit: a test-server artefact we do not want to measure.
    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        # A client that hangs up mid-request (a reset, a timeout) is expected here.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _serve(port: int, handler: type[http.server.BaseHTTPRequestHandler]) -> _Server:
    """``handler`` answering on 127.0.0.1:``port`` from a background thread."""
    server = _Server(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _close(server: _Server | None, port: int) -> None:
    """Stop a server of :func:`_serve` (if it started) and give its port back."""
    if server:
        server.shutdown()
        server.server_close()
    release_port(port)


def _wait_http(url: str, *, seconds: float = 15.0, ok: tuple[int, ...] = (200, 401)) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code in ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {seconds:g}s")


# -- the registry ------------------------------------------------------------------------------
class LocalRegistry:
    def __init__(self, workdir: Path, auth: dict | None = None, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.auth = auth
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalRegistry:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # The blob descriptor cache is in distribution's own default config too: without
        # it every manifest read stats its blobs on disk again.
        config = {"version": 0.1, "log": {"level": "warn"},
                  "storage": {"filesystem": {"rootdirectory": str(self.workdir / "data")},
                              "cache": {"blobdescriptor": "inmemory"},
                              "delete": {"enabled": True}},
                  "http": {"addr": self.addr, "secret": uuid.uuid4().hex}}
        if self.auth:
            config["auth"] = self.auth
        path = self.workdir / "config.yml"
        path.write_text(json.dumps(config))  # JSON is YAML
        log = open(self.workdir / "registry.log", "wb")  # noqa: SIM115 (kept open for the child)
        self.proc = subprocess.Popen(["docker-registry", "serve", str(path)], stdout=log,
                                     stderr=subprocess.STDOUT, env=self.env)
        try:
            _wait_http(f"http://{self.addr}/v2/")
        except RuntimeError:
            self.stop()
            raise RuntimeError("registry did not start: "
                               + (self.workdir / "registry.log").read_text()[-2000:]) from None
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        release_port(self.port)


def htpasswd_auth(workdir: Path, users: dict[str, str]) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "htpasswd"
    path.write_text("".join(f"{u}:{bcrypt_hash(p)}\n" for u, p in users.items()))
    return {"htpasswd": {"realm": "ghbuild-test", "path": str(path)}}


# -- the token service -------------------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    key: object
    cert_der: bytes
    cert_pem: bytes

    @classmethod
    def create(cls) -> SigningKey:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ghbuild test token issuer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(key, cert.public_bytes(serialization.Encoding.DER),
                   cert.public_bytes(serialization.Encoding.PEM))

    def sign(self, claims: dict) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert_der).decode()]}
        signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         _b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(),  # type: ignore
                                  hashes.SHA256())
        return signing_input + "." + _b64url(signature)


@dataclass
class TokenServer:
    """Grants pull on ``public/*`` to anyone, pull and push on everything to known users."""

    users: dict[str, str]
    service: str = "ghbuild-test-registry"
    issuer: str = "ghbuild-test-issuer"
    key: SigningKey = field(default_factory=SigningKey.create)
    issued: list[dict] = field(default_factory=list)
    expired_next: int = 0          # hand out this many already-expired tokens
    port: int = 0
    _server: _Server | None = None

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def auth_config(self, workdir: Path) -> dict:
        workdir.mkdir(parents=True, exist_ok=True)
        bundle = workdir / "token-root.pem"
        bundle.write_bytes(self.key.cert_pem)
        return {"token": {"realm": self.realm, "service": self.service, "issuer": self.issuer,
                          "rootcertbundle": str(bundle)}}

    def start(self) -> TokenServer:
        self.port = free_port()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                status, body = owner._answer(self.headers.get("Authorization", ""),
                                             parse_qs(urlsplit(self.path).query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = _serve(self.port, Handler)
        return self

    def stop(self) -> None:
        _close(self._server, self.port)

    def _answer(self, header: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        user = None
        if header.startswith("Basic "):
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if self.users.get(name) != password:
                return 401, {"details": "incorrect username or password"}
            user = name
        access = []
        for scope in " ".join(query.get("scope", [])).split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository":
                continue
            allowed = actions.split(",") if user else (["pull"] if name.startswith("public/")
                                                       else [])
            granted = [a for a in actions.split(",") if a in allowed]
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        expired = self.expired_next > 0
        self.expired_next -= 1 if expired else 0
        exp = now - 600 if expired else now + 300
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": exp,
                  "nbf": now - 900 if expired else now - 5, "iat": now - 900 if expired else now,
                  "jti": uuid.uuid4().hex, "access": access}
        self.issued.append({"user": user, "access": access, "expired": expired})
        # The lifetime we state is a lie for expired tokens: the client learns on the 401.
        return 200, {"token": self.key.sign(claims), "expires_in": 300,
                     "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}


# -- the fault proxy ------------------------------------------------------------------------
@dataclass
class Fault:
    kind: str                 # "500", "503", "429", "reset", "stall", "html", "delay", "trickle"
    times: int | None = None  # None: every matching request
    path: str = "/manifests/"
    retry_after: str = "1"
    stall: float = 5.0        # seconds: a "stall" waits before closing, a "delay" before passing
    #                           on, a "trickle" between the bytes of the upstream body
    method: str = ""


_HTML = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
         b"<h1>Corporate proxy</h1><p>Please sign in.</p></body></html>")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.faults: list[Fault] = []
        self._local = threading.local()
        self.seen: list[tuple[str, str, str]] = []   # (method, path, what happened)
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def fail(self, kind: str, **kw: object) -> Fault:
        fault = Fault(kind, **kw)  # type: ignore[arg-type]
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def _pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path in path and (not fault.method or fault.method == method):
                    if fault.times is not None:
                        if fault.times <= 0:
                            continue
                        fault.times -= 1
                    return fault
        return None

    def start(self) -> FaultProxy:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle on, the delayed ACK adds 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = owner._pick(self.command, self.path)
                with owner._lock:
                    owner.seen.append((self.command, self.path, fault.kind if fault else "pass"))
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.stall)
                    fault = None
                if fault is None or fault.kind == "trickle":
                    owner._forward(self, body, trickle=fault.stall if fault else 0.0)
                else:
                    owner._inject(self, fault)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _handle  # noqa: N815

        self._server = _serve(self.port, Handler)
        return self

    def stop(self) -> None:
        _close(self._server, self.port)

    def _forward(self, handler: http.server.BaseHTTPRequestHandler, body: bytes,
                 trickle: float = 0.0) -> None:
        # One upstream connection per client connection (thread), kept alive between requests.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.upstream, timeout=30)
        # Header by header: a client may send several Accept lines, and all must pass.
        conn.putrequest(handler.command, handler.path, skip_host=True,
                        skip_accept_encoding=True)
        for key, value in handler.headers.items():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                   "content-length"):
                conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read()
        handler.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                   "content-length"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            self._write_body(handler, data, trickle)
        if resp.will_close:
            conn.close()
            self._local.conn = None

    @staticmethod
    def _write_body(handler: http.server.BaseHTTPRequestHandler, data: bytes,
                    trickle: float) -> None:
        if not trickle:
            handler.wfile.write(data)
            return
        # One byte at a time, each gap shorter than the client's read timeout.
        try:
            for i in range(len(data)):
                handler.wfile.write(data[i:i + 1])
                handler.wfile.flush()
                time.sleep(trickle)
        except OSError:
            handler.close_connection = True  # the client gave up, as it should

    def _inject(self, handler: http.server.BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.kind == "reset":
            # SO_LINGER 0 makes close() send a TCP RST instead of a FIN.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))
            handler.close_connection = True
            handler.connection.close()
            return
        if fault.kind == "stall":
            time.sleep(fault.stall)
            handler.close_connection = True
            return
        status = 200 if fault.kind == "html" else int(fault.kind)
        data = _HTML if fault.kind == "html" else (
            b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}')
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8" if fault.kind == "html"
                            else "application/json")
        if fault.kind == "429":
            handler.send_header("Retry-After", fault.retry_after)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)


def seed_image(client, repo, tag: str, *, arch: str = "amd64") -> str:
    """Push a tiny image (config + one layer) through the client's own write path."""
    from ghbuild.registry import OCI_MANIFEST

    config = json.dumps({"architecture": arch, "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = f"layer for {repo}:{tag} {uuid.uuid4().hex}".encode()
    cfg_digest = client.upload_blob(repo, config)
    layer_digest = client.upload_blob(repo, layer)
    body = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cfg_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}]}).encode()
    return client.put_manifest(repo.with_tag(tag), body, OCI_MANIFEST)


def engine_run(argv: list[str], env: dict[str, str], cwd: str | None = None,
               stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, env={**os.environ, **env}, cwd=cwd, capture_output=True,
                          text=True, input=stdin)
    if done.returncode != 0:
        raise AssertionError(f"{argv[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


# -- fixtures (imported by the test modules that use them) ----------------------------------------
import pytest  # noqa: E402  (kept next to the fixtures it serves)

USERS = {"alice": "alice-s3cret-pw", "ci-bot": "ghs_jobtoken_0123456789"}


@contextlib.contextmanager
def user_registries(workdir: Path, users: dict[str, str],
                    env: dict[str, str]) -> Iterator[list[LocalRegistry]]:
    """One htpasswd registry per user (in ``users``' order), each letting in only that
    user; all stopped on the way out."""
    _need_registry_binary()
    started: list[LocalRegistry] = []
    try:
        for user, password in users.items():
            started.append(LocalRegistry(workdir / f"reg-{user}",
                                         htpasswd_auth(workdir / f"auth-{user}",
                                                       {user: password}), env=env).start())
        yield started
    finally:
        for reg in started:
            reg.stop()


def _need_registry_binary() -> None:
    import shutil

    from tests.e2e.conftest import _missing

    if not shutil.which("docker-registry"):
        _missing("docker-registry (Debian package docker-registry) is not installed; "
                 "scripts/provision-engine.sh installs it")


@pytest.fixture()
def htpasswd_registry(tmp_path, engine_env):
    _need_registry_binary()
    reg = LocalRegistry(tmp_path / "htpasswd-reg", htpasswd_auth(tmp_path / "auth", USERS),
                        env={**os.environ, **engine_env}).start()
    yield reg
    reg.stop()


@pytest.fixture()
def token_registry(tmp_path, engine_env):
    _need_registry_binary()
    tokens = TokenServer(dict(USERS)).start()
    reg = LocalRegistry(tmp_path / "token-reg", tokens.auth_config(tmp_path / "auth"),
                        env={**os.environ, **engine_env}).start()
    reg.tokens = tokens  # type: ignore[attr-defined]
    yield reg
    reg.stop()
    tokens.stop()


@pytest.fixture()
def fault_proxy(registry):
    proxy = FaultProxy(registry).start()
    yield proxy
    proxy.stop()
