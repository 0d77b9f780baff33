"""An in-memory OCI registry behind a requests transport adapter, for unit tests.

It speaks enough of the distribution API for the client's logic (manifests, blobs,
mounts, monolithic uploads, Basic and Bearer auth with a token service) and records
every request. It is a test double for logic only: the same behaviours are tested
against the real CNCF registry in tests/e2e/.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LazyBlob:
    """A large blob made on demand from a seed, never held whole: what a test of bounded
    memory serves. ``reads`` records the size asked of each read of a served stream."""

    def __init__(self, size: int, seed: bytes = b"ghbuild", *, corrupt_at: int = -1) -> None:
        self.size, self.seed, self.corrupt_at = size, seed, corrupt_at
        self.reads: list[int] = []
        self.returned: list[int] = []

    def __len__(self) -> int:
        return self.size

    def block(self, offset: int, length: int) -> bytes:
        # Cheap, position-dependent bytes: every 64 KiB block differs.
        pattern = hashlib.sha256(self.seed + str(offset // 65536).encode()).digest() * 2048
        start = offset % 65536
        out = bytearray((pattern * 2)[start:start + length])
        if offset <= self.corrupt_at < offset + len(out):
            out[self.corrupt_at - offset] ^= 0xFF  # one flipped byte: same length
        return bytes(out)

    def digest(self) -> str:
        clean = LazyBlob(self.size, self.seed)
        digest = hashlib.sha256()
        for chunk in clean.stream():
            digest.update(chunk)
        return "sha256:" + digest.hexdigest()

    def stream(self, step: int = 65536) -> Iterable[bytes]:
        for offset in range(0, self.size, step):
            yield self.block(offset, min(step, self.size - offset))

    def reader(self) -> _LazyReader:
        return _LazyReader(self)


class _LazyReader(io.RawIOBase):
    def __init__(self, blob: LazyBlob) -> None:
        self.blob, self.pos = blob, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.blob.reads.append(size)
        if size is None or size < 0:
            size = self.blob.size - self.pos
        length = min(size, self.blob.size - self.pos)
        if length <= 0:
            return b""
        out = b"".join(self.blob.block(offset, min(65536 - offset % 65536,
                                                   self.pos + length - offset))
                       for offset in _steps(self.pos, self.pos + length))
        self.pos += len(out)
        self.blob.returned.append(len(out))
        return out


def _steps(start: int, end: int) -> list[int]:
    offsets, offset = [], start
    while offset < end:
        offsets.append(offset)
        offset += 65536 - offset % 65536
    return offsets


@dataclass
class Sunk:
    """An uploaded blob the fake kept only the digest and size of (``sink_uploads``)."""

    digest: str
    size: int

    def __len__(self) -> int:
        return self.size


@dataclass
class Canned:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    match: str = ""          # only for URLs containing this text


class FakeRegistry(BaseAdapter):
    def __init__(self, host: str = "reg.test", *, auth: str = "none",
                 users: dict[str, str] | None = None, private: Iterable[str] = (),
                 realm: str = "https://auth.test/token") -> None:
        super().__init__()
        self.host = host
        self.auth = auth
        self.users = users or {}
        self.private = set(private)
        self.realm = realm
        self.manifests: dict[str, dict[str, tuple[bytes, str]]] = {}
        self.blobs: dict[str, dict[str, bytes]] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.canned: list[Canned] = []
        self.tokens: dict[str, tuple[str | None, set[str]]] = {}
        self.allow_mount = True
        self.send_digest_header = True
        self.lie_on_put: str | None = None
        self.streamed_uploads = 0
        # Upload bodies with ``read`` are read in blocks of this size; each block's length
        # is recorded, and with sink_uploads only the digest is kept (a large blob).
        self.upload_block = 1 << 20
        self.upload_reads: list[int] = []
        self.sink_uploads = False

    # -- seeding ------------------------------------------------------------------------
    def add_blob(self, repo: str, data: bytes) -> str:
        digest = digest_of(data)
        self.blobs.setdefault(repo, {})[digest] = data
        return digest

    def add_image(self, repo: str, tag: str | None, *, platform: tuple[str, str] = ("linux",
                  "amd64"), annotations: dict[str, str] | None = None,
                  layer: bytes = b"layer") -> str:
        config = json.dumps({"os": platform[0], "architecture": platform[1]}).encode()
        cfg = self.add_blob(repo, config)
        lay = self.add_blob(repo, layer)
        doc: dict = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                     "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                "digest": cfg, "size": len(config)},
                     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                 "digest": lay, "size": len(layer)}]}
        if annotations:
            doc["annotations"] = annotations
        return self.put(repo, tag, json.dumps(doc).encode(), OCI_MANIFEST)

    def add_index(self, repo: str, tag: str | None, platforms: Iterable[tuple[str, str]], *,
                  attestations: bool = True, annotations: dict[str, str] | None = None) -> str:
        entries = []
        for os_name, arch in platforms:
            child = self.add_image(repo, None, platform=(os_name, arch),
                                   layer=f"{os_name}/{arch}".encode())
            size = len(self.manifests[repo][child][0])
            entries.append({"mediaType": OCI_MANIFEST, "digest": child, "size": size,
                            "platform": {"os": os_name, "architecture": arch}})
            if attestations:
                att = self.add_image(repo, None, platform=("unknown", "unknown"),
                                     layer=f"att {arch}".encode())
                entries.append({"mediaType": OCI_MANIFEST, "digest": att,
                                "size": len(self.manifests[repo][att][0]),
                                "platform": {"os": "unknown", "architecture": "unknown"},
                                "annotations": {"vnd.docker.reference.type":
                                                "attestation-manifest",
                                                "vnd.docker.reference.digest": child}})
        doc: dict = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        if annotations:
            doc["annotations"] = annotations
        return self.put(repo, tag, json.dumps(doc).encode(), OCI_INDEX)

    def put(self, repo: str, tag: str | None, body: bytes, media_type: str) -> str:
        digest = digest_of(body)
        store = self.manifests.setdefault(repo, {})
        store[digest] = (body, media_type)
        if tag:
            store[tag] = (body, media_type)
        return digest

    def fail_next(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                  *, times: int = 1, match: str = "") -> None:
        for _ in range(times):
            self.canned.append(Canned(status, body, headers or {}, match))

    def requests_to(self, method: str, fragment: str = "") -> list[str]:
        return [url for m, url, _ in self.log if m == method and fragment in url]

    def session(self) -> requests.Session:
        sess = requests.Session()
        sess.mount("https://", self)
        sess.mount("http://", self)
        return sess

    # -- transport ----------------------------------------------------------------------
    def close(self) -> None:
        pass

    def send(self, request, **kwargs):  # type: ignore[override]
        self.log.append((request.method, request.url, dict(request.headers)))
        for i, canned in enumerate(self.canned):
            if canned.match in request.url:
                del self.canned[i]
                return self._response(request, canned.status, canned.body, canned.headers)
        parts = urlsplit(request.url)
        if parts.netloc != self.host:
            return self._token_service(request, parts)
        denied = self._check_auth(request, parts.path)
        if denied is not None:
            return denied
        return self._route(request, parts)

    def _response(self, request, status: int, body: bytes = b"",
                  headers: dict[str, str] | None = None) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict(headers or {})
        # A raw stream, as a real transport gives: .content and iter_content both work.
        if isinstance(body, LazyBlob):
            resp.raw = io.BytesIO(b"") if request.method == "HEAD" else body.reader()
        elif isinstance(body, Sunk):
            resp.raw = io.BytesIO(b"")
        else:
            resp.raw = io.BytesIO(b"" if request.method == "HEAD" else body)
        resp.url = request.url
        resp.request = request
        return resp

    def _error(self, request, status: int, code: str, headers: dict[str, str] | None = None):
        body = json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return self._response(request, status, body, hdrs)

    # -- auth -----------------------------------------------------------------------------
    def _needed(self, method: str, path: str, query: str) -> list[str]:
        repo = _repo_of(path)
        if repo is None:
            return []
        action = "pull" if method in ("GET", "HEAD") else "push"
        needs = [f"{repo}:{action}"] if action == "pull" else [f"{repo}:pull", f"{repo}:push"]
        source = parse_qs(query).get("from")
        if source:
            needs.append(f"{source[0]}:pull")
        return needs

    def _check_auth(self, request, path: str):
        if self.auth == "none":
            return None
        header = request.headers.get("Authorization", "")
        if self.auth == "basic":
            user, _, password = base64.b64decode(header[6:]).decode().partition(":") \
                if header.startswith("Basic ") else ("", "", "")
            if self.users.get(user) == password and user:
                return None
            return self._error(request, 401, "UNAUTHORIZED",
                               {"WWW-Authenticate": 'Basic realm="fake"'})
        needs = self._needed(request.method, path, urlsplit(request.url).query)
        token = header[7:] if header.startswith("Bearer ") else ""
        granted = self.tokens.get(token, (None, set()))[1] if token else set()
        if token and token in self.tokens and all(n in granted for n in needs):
            return None
        by_repo: dict[str, set[str]] = {}
        for need in needs:
            name, _, action = need.rpartition(":")
            by_repo.setdefault(name, set()).add(action)
        scope = " ".join(f"repository:{name}:{','.join(sorted(acts))}"
                         for name, acts in sorted(by_repo.items()))
        error = ',error="invalid_token"' if token else ""
        challenge = f'Bearer realm="{self.realm}",service="{self.host}",scope="{scope}"{error}'
        return self._error(request, 401, "UNAUTHORIZED", {"WWW-Authenticate": challenge})

    def _token_service(self, request, parts):
        query = parse_qs(parts.query)
        header = request.headers.get("Authorization", "")
        user = None
        if header.startswith("Basic "):
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if self.users.get(name) != password:
                return self._response(request, 401, b'{"details":"bad credentials"}')
            user = name
        granted: set[str] = set()
        for scope in query.get("scope", []):
            for item in scope.split():
                _, repo, actions = item.split(":")
                if repo in self.private and user is None:
                    continue
                granted |= {f"{repo}:{a}" for a in actions.split(",")}
        token = f"tok-{len(self.tokens) + 1}"
        self.tokens[token] = (user, granted)
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        return self._response(request, 200, body, {"Content-Type": "application/json"})

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # -- API ------------------------------------------------------------------------------
    def _route(self, request, parts):
        path = parts.path
        repo = _repo_of(path)
        if path == "/v2/":
            return self._response(request, 200, b"{}")
        if repo is None:
            return self._error(request, 404, "NOT_FOUND")
        rest = path[len(f"/v2/{repo}/"):]
        if rest.startswith("manifests/"):
            return self._manifest(request, repo, rest[len("manifests/"):])
        if rest.startswith("blobs/uploads"):
            return self._upload(request, repo, rest, parse_qs(parts.query))
        if rest.startswith("blobs/"):
            digest = rest[len("blobs/"):]
            data = self.blobs.get(repo, {}).get(digest)
            if data is None:
                return self._error(request, 404, "BLOB_UNKNOWN")
            return self._response(request, 200, data, {"Docker-Content-Digest": digest,
                                                       "Content-Length": str(len(data))})
        return self._error(request, 404, "NOT_FOUND")

    def _manifest(self, request, repo: str, ref: str):
        known = repo in self.manifests
        store = self.manifests.setdefault(repo, {})
        if request.method in ("GET", "HEAD"):
            if ref not in store:
                code = "MANIFEST_UNKNOWN" if known else "NAME_UNKNOWN"
                return self._error(request, 404, code)
            body, media_type = store[ref]
            headers = {"Content-Type": media_type}
            if self.send_digest_header:
                headers["Docker-Content-Digest"] = digest_of(body)
            return self._response(request, 200, body, headers)
        if request.method == "PUT":
            body = request.body if isinstance(request.body, bytes) else request.body.encode()
            doc = json.loads(body)
            for child in doc.get("manifests", []):
                if child["digest"] not in store:
                    return self._error(request, 400, "MANIFEST_BLOB_UNKNOWN")
            for blob in [doc.get("config"), *doc.get("layers", [])]:
                if blob and blob["digest"] not in self.blobs.get(repo, {}):
                    return self._error(request, 400, "MANIFEST_BLOB_UNKNOWN")
            digest = self.put(repo, None if ref.startswith("sha256:") else ref, body,
                              request.headers["Content-Type"])
            if self.lie_on_put and not ref.startswith("sha256:"):
                store[ref] = (self.lie_on_put.encode(), OCI_MANIFEST)
            return self._response(request, 201, b"", {"Docker-Content-Digest": digest})
        if request.method == "DELETE":
            for key in [k for k, v in store.items() if digest_of(v[0]) == ref]:
                del store[key]
            return self._response(request, 202)
        return self._error(request, 405, "UNSUPPORTED")

    def _upload(self, request, repo: str, rest: str, query: dict[str, list[str]]):
        if request.method == "POST" and "mount" in query:
            digest, source = query["mount"][0], query["from"][0]
            if self.allow_mount and digest in self.blobs.get(source, {}):
                self.blobs.setdefault(repo, {})[digest] = self.blobs[source][digest]
                return self._response(request, 201, b"", {"Docker-Content-Digest": digest})
        if request.method == "POST":
            return self._response(request, 202, b"",
                                  {"Location": f"/v2/{repo}/blobs/uploads/u1?state=x"})
        if request.method == "PUT":
            data = request.body or b""
            digest = query["digest"][0]
            if hasattr(data, "read"):
                self.streamed_uploads += 1
                data = self._read_upload(request, data, digest)
                if data is None:
                    return self._error(request, 400, "DIGEST_INVALID")
            elif digest_of(data) != digest:
                return self._error(request, 400, "DIGEST_INVALID")
            self.blobs.setdefault(repo, {})[digest] = data
            return self._response(request, 201, b"", {"Docker-Content-Digest": digest})
        if request.method == "DELETE":
            return self._response(request, 204)
        return self._error(request, 405, "UNSUPPORTED")


    def _read_upload(self, request, body, digest: str):
        """A streamed upload body, read block by block as a server would; None when it
        does not hash to ``digest`` or is not as long as its Content-Length."""
        hasher, kept, size = hashlib.sha256(), [], 0
        while True:
            block = body.read(self.upload_block)
            if not block:
                break
            self.upload_reads.append(len(block))
            hasher.update(block)
            size += len(block)
            if not self.sink_uploads:
                kept.append(block)
        length = request.headers.get("Content-Length")
        if "sha256:" + hasher.hexdigest() != digest or (length and int(length) != size):
            return None
        return Sunk(digest, size) if self.sink_uploads else b"".join(kept)


def _repo_of(path: str) -> str | None:
    if not path.startswith("/v2/"):
        return None
    tail = path[4:]
    for marker in ("/manifests/", "/blobs/"):
        if marker in tail:
            return tail.split(marker, 1)[0]
    return None
