from __future__ import annotations

import json

import pytest
from urllib3.exceptions import MaxRetryError

from ghbuild.buildkey import BUILD_KEY_ANNOTATION, key_tag_name
from ghbuild.errors import InputError, RegistryError
from ghbuild.registry import (
    ACCEPT,
    MANIFEST_TYPES,
    AccessDenied,
    Credentials,
    CredentialStore,
    ImageRef,
    ManifestUnknown,
    RegistryClient,
    State,
    is_loopback,
)
from ghbuild.registry.client import _BoundedRetry

from .fakeregistry import OCI_INDEX, OCI_MANIFEST, FakeRegistry, digest_of

KEY = "rev-" + "a" * 40


def client_for(fake: FakeRegistry, creds: dict[str, Credentials] | None = None,
               **kw) -> RegistryClient:
    store = CredentialStore.static(creds or {})
    return RegistryClient(store, session=fake.session(), **kw)


def ref(text: str) -> ImageRef:
    return ImageRef.parse(text)


# -- the answer: present, absent, unknown -----------------------------------------------------
def test_present_index_with_platforms_leaves_out_attestations():
    fake = FakeRegistry()
    digest = fake.add_index("acme/app", "v1", [("linux", "amd64"), ("linux", "arm64")])
    client = client_for(fake)
    got = client.check(ref("reg.test/acme/app:v1"), platforms=["linux/amd64", "linux/arm64/v8"])
    assert got.state is State.PRESENT
    assert (got.digest, got.media_type) == (digest, OCI_INDEX)
    assert got.platforms == ("linux/amd64", "linux/arm64")
    assert got.to_json() == {"state": "present", "digest": digest, "mediaType": OCI_INDEX,
                             "platforms": ["linux/amd64", "linux/arm64"],
                             "reason": f"found {digest}"}
    assert client.requests_made == 1
    _, _, headers = fake.log[0]
    assert headers["Accept"] == ACCEPT
    assert all(t in headers["Accept"] for t in MANIFEST_TYPES)


def test_missing_platform_is_absent_with_the_reason():
    fake = FakeRegistry()
    digest = fake.add_index("acme/app", "v1", [("linux", "amd64")])
    got = client_for(fake).check(ref("reg.test/acme/app:v1"), platforms=["linux/arm64"])
    assert got.state is State.ABSENT and got.should_build
    assert got.digest == digest
    assert "lacks platform linux/arm64 (has linux/amd64)" in got.reason


def test_single_manifest_platform_comes_from_its_config():
    fake = FakeRegistry()
    fake.add_image("acme/app", "v1", platform=("linux", "arm64"))
    client = client_for(fake)
    assert client.check(ref("reg.test/acme/app:v1")).platforms == ()
    assert client.requests_made == 1  # no platform asked for: no config read
    got = client.check(ref("reg.test/acme/app:v1"), platforms=["linux/amd64"])
    assert got.state is State.ABSENT and got.platforms == ("linux/arm64",)
    assert client.requests_made == 3


@pytest.mark.parametrize(("annotations", "tag", "state", "words"), [
    ({BUILD_KEY_ANNOTATION: KEY}, "main", State.PRESENT, "found"),
    ({BUILD_KEY_ANNOTATION: "rev-" + "b" * 40}, "main", State.ABSENT, "records build key rev-b"),
    ({BUILD_KEY_ANNOTATION: "rev-" + "b" * 40}, key_tag_name(KEY), State.ABSENT,
     "records build key"),
    (None, "main", State.ABSENT, "records no build key"),
    (None, key_tag_name(KEY), State.PRESENT, "found"),
])
def test_build_key(annotations, tag, state, words):
    fake = FakeRegistry()
    fake.add_image("acme/app", tag, annotations=annotations)
    got = client_for(fake).check(ref(f"reg.test/acme/app:{tag}"), key=KEY)
    assert got.state is state
    assert words in got.reason


def test_absent_tag_and_absent_repository():
    fake = FakeRegistry()
    fake.add_image("acme/app", "v1")
    client = client_for(fake)
    got = client.check(ref("reg.test/acme/app:v2"))
    assert got.state is State.ABSENT and "404 MANIFEST_UNKNOWN" in got.reason
    got = client.check(ref("reg.test/acme/other:v1"))
    assert got.state is State.ABSENT and "NAME_UNKNOWN" in got.reason
    assert got.exit_code == 1


@pytest.mark.parametrize(("status", "body", "headers", "cause", "words"), [
    (200, b"<!DOCTYPE html><html>login</html>", {"Content-Type": "text/html"}, "body",
     "registry reg.test answered HTTP 200 with a body that is not JSON (an HTML page"),
    (404, b"<html>Not Found</html>", {"Content-Type": "text/html"}, "body",
     "answered 404 with a body that is not a registry error"),
    (500, b'{"errors":[{"code":"UNKNOWN","message":"disk"}]}', {}, "fault",
     "answered HTTP 500: UNKNOWN: disk"),
    (502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}, "fault",
     "answered HTTP 502, an HTML page"),
    (429, b"", {"Retry-After": "120"}, "rate-limit", "rate limiting (HTTP 429, Retry-After 120)"),
    (403, b'{"errors":[{"code":"DENIED","message":"no"}]}', {}, "access",
     "access: registry reg.test refused pull of acme/app (HTTP 403: DENIED: no; scope "
     "'repository:acme/app:pull', anonymous: no credentials for this registry)"),
    (200, b'{"mediaType":"text/plain"}', {}, "body", "media type 'text/plain'"),
    (200, b"[1]", {}, "body", "not a JSON object"),
    (200, b'{"error":"login required"}', {"Content-Type": "application/json"}, "body",
     "JSON that is not a manifest: schemaVersion is None"),
    (200, b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}', {},
     "body", "an index without a list of manifests"),
    (200, b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}', {},
     "body", "a manifest without config and layers"),
])
def test_doubtful_answers_are_unknown(status, body, headers, cause, words):
    fake = FakeRegistry()
    fake.add_image("acme/app", "v1")
    fake.fail_next(status, body, headers)
    got = client_for(fake).check(ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and got.should_build
    assert got.cause == cause
    assert words in got.reason
    assert got.exit_code == 2


def test_digest_header_that_does_not_match_the_body_is_unknown():
    fake = FakeRegistry()
    fake.add_image("acme/app", "v1")
    body = fake.manifests["acme/app"]["v1"][0]
    fake.fail_next(200, body, {"Docker-Content-Digest": "sha256:" + "0" * 64,
                               "Content-Type": OCI_MANIFEST})
    got = client_for(fake).check(ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and "hashes to" in got.reason


def test_digest_from_body_when_no_header():
    fake = FakeRegistry()
    digest = fake.add_image("acme/app", "v1")
    fake.send_digest_header = False
    assert client_for(fake).resolve(ref("reg.test/acme/app:v1")).digest == digest


def test_connection_error_is_unknown():
    import requests

    class Refusing(FakeRegistry):
        def send(self, request, **kw):  # type: ignore[override]
            raise requests.ConnectionError("connection reset by peer")

    got = client_for(Refusing()).check(ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and got.cause == "fault"
    assert "cannot reach registry reg.test" in got.reason and "reset" in got.reason


def test_timeout_is_unknown():
    import requests

    class Stalling(FakeRegistry):
        def send(self, request, **kw):  # type: ignore[override]
            assert kw["timeout"] == 2.5
            raise requests.ReadTimeout("read timed out")

    got = client_for(Stalling(), timeout=2.5).check(ref("reg.test/acme/app:v1"))
    assert got.cause == "timeout" and "did not answer within 2.5s" in got.reason


# -- authentication ---------------------------------------------------------------------
def test_bearer_anonymous_token_is_fetched_once_and_reused():
    fake = FakeRegistry(auth="bearer")
    fake.add_image("acme/app", "v1")
    client = client_for(fake)
    assert client.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    assert client.requests_made == 3  # 401, token, manifest
    token_call = fake.requests_to("GET", "auth.test")[0]
    assert "scope=repository%3Aacme%2Fapp%3Apull" in token_call and "service=reg.test" in \
        token_call
    assert "Authorization" not in fake.log[1][2]  # anonymous
    assert client.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    assert client.requests_made == 4  # token held: one request
    # Another repository on the same registry: token first, no 401 round trip.
    fake.add_image("acme/two", "v1")
    assert client.check(ref("reg.test/acme/two:v1")).state is State.PRESENT
    assert client.requests_made == 6


def test_private_repository_anonymous_is_unknown_access_never_absent():
    fake = FakeRegistry(auth="bearer", users={"bot": "ghs_job_token"}, private=["acme/app"])
    digest = fake.add_image("acme/app", "v1")
    anonymous = client_for(fake).check(ref("reg.test/acme/app:v1"))
    assert anonymous.state is State.UNKNOWN and anonymous.cause == "access"
    assert anonymous.reason.startswith("access:")
    with_token = client_for(fake, {"reg.test": Credentials("bot", "ghs_job_token")})
    got = with_token.check(ref("reg.test/acme/app:v1"))
    assert got.state is State.PRESENT and got.digest == digest
    missing = with_token.check(ref("reg.test/acme/app:nope"))
    assert missing.state is State.ABSENT and "MANIFEST_UNKNOWN" in missing.reason
    assert "ghs_job_token" not in anonymous.reason + got.reason + missing.reason


def test_wrong_credentials_are_unknown_access_naming_the_user():
    fake = FakeRegistry(auth="bearer", users={"bot": "right"})
    fake.add_image("acme/app", "v1")
    got = client_for(fake, {"reg.test": Credentials("bot", "wrong")}).check(
        ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and got.cause == "access"
    assert "refused user 'bot'" in got.reason and "wrong" not in got.reason


def test_token_renewed_on_401():
    fake = FakeRegistry(auth="bearer")
    fake.add_image("acme/app", "v1")
    client = client_for(fake)
    client.check(ref("reg.test/acme/app:v1"))
    fake.revoke_tokens()
    assert client.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    assert len(fake.requests_to("GET", "auth.test")) == 2


def test_push_scope_asks_for_pull_push():
    fake = FakeRegistry(auth="bearer", users={"u": "p"})
    fake.add_image("acme/app", "v1")
    client = client_for(fake, {"reg.test": Credentials("u", "p")})
    client.check(ref("reg.test/acme/app:v1"), push_scope=True)
    assert "repository%3Aacme%2Fapp%3Apull%2Cpush" in fake.requests_to("GET", "auth.test")[0]


def test_basic_auth():
    fake = FakeRegistry(auth="basic", users={"u": "p"})
    fake.add_image("acme/app", "v1")
    assert client_for(fake).check(ref("reg.test/acme/app:v1")).cause == "access"
    client = client_for(fake, {"reg.test": Credentials("u", "p")})
    assert client.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    assert client.requests_made == 2
    client.check(ref("reg.test/acme/app:v1"))
    assert client.requests_made == 3  # Basic sent up front once the registry asked for it


def test_identity_token_uses_the_refresh_grant():
    fake = FakeRegistry(auth="bearer")
    fake.add_image("acme/app", "v1")

    posted = []
    original = fake._token_service

    def token_service(request, parts):
        if request.method == "POST":
            posted.append(request.body)
            return fake._response(request, 200, json.dumps({"access_token": "at"}).encode())
        return original(request, parts)

    fake._token_service = token_service  # type: ignore[method-assign]
    fake.tokens["at"] = (None, {"acme/app:pull"})
    client = client_for(fake, {"reg.test": Credentials(identity_token="refresh-xyz")})
    assert client.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    assert "grant_type=refresh_token" in posted[0] and "refresh_token=refresh-xyz" in posted[0]


def test_secrets_reach_the_sink():
    fake = FakeRegistry(auth="bearer", users={"u": "pass-1234"})
    fake.add_image("acme/app", "v1")
    seen: list[str] = []
    client = RegistryClient(CredentialStore.static({"reg.test": Credentials("u", "pass-1234")}),
                            session=fake.session(), secret_sink=seen.append)
    client.check(ref("reg.test/acme/app:v1"))
    assert "pass-1234" in seen and any(s.startswith("tok-") for s in seen)


def test_credentials_never_sent_over_plain_http_to_a_remote_realm():
    fake = FakeRegistry(auth="bearer", realm="http://auth.test/token", users={"u": "p"})
    fake.add_image("acme/app", "v1")
    got = client_for(fake, {"reg.test": Credentials("u", "p")}).check(ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and "plain http" in got.reason
    assert fake.requests_to("GET", "auth.test") == []


# -- writes and blobs ---------------------------------------------------------------------------
def test_put_and_get_manifest_by_tag_and_digest():
    fake = FakeRegistry()
    src = fake.add_image("acme/app", "v1")
    client = client_for(fake)
    manifest = client.get_manifest(ref("reg.test/acme/app:v1"))
    assert manifest.digest == src and manifest.media_type == OCI_MANIFEST
    assert client.put_manifest(ref("reg.test/acme/app:v2"), manifest.body,
                               manifest.media_type) == src
    assert client.get_manifest(ref(f"reg.test/acme/app@{src}")).body == manifest.body
    with pytest.raises(InputError, match="hashes to"):
        client.put_manifest(ref(f"reg.test/acme/app@sha256:{'1' * 64}"), manifest.body,
                            OCI_MANIFEST)
    with pytest.raises(ManifestUnknown):
        client.get_manifest(ref("reg.test/acme/app:none"))


def test_write_errors_name_registry_and_status():
    fake = FakeRegistry()
    fake.fail_next(503, b"<html>down</html>", {"Content-Type": "text/html"})
    with pytest.raises(RegistryError) as err:
        client_for(fake).put_manifest(ref("reg.test/acme/app:v1"), b"{}", OCI_MANIFEST)
    assert "registry reg.test answered HTTP 503" in str(err.value)
    fake.fail_next(403, b'{"errors":[{"code":"DENIED","message":"read-only token"}]}')
    with pytest.raises(AccessDenied, match="read-only token"):
        client_for(fake).put_manifest(ref("reg.test/acme/app:v1"), b"{}", OCI_MANIFEST)


def test_blobs_upload_mount_exists_delete():
    fake = FakeRegistry()
    client = client_for(fake)
    repo = ref("reg.test/acme/app")
    digest = client.upload_blob(repo, b"hello")
    assert digest == digest_of(b"hello") and fake.blobs["acme/app"][digest] == b"hello"
    assert client.blob_exists(repo, digest)
    assert not client.blob_exists(ref("reg.test/acme/other"), digest)
    assert client.mount_blob(repo, ref("reg.test/acme/other"), digest)
    assert client.blob_exists(ref("reg.test/acme/other"), digest)
    fake.allow_mount = False
    assert not client.mount_blob(repo, ref("reg.test/acme/third"), digest)
    assert fake.requests_to("DELETE", "/blobs/uploads/")  # the opened session is cancelled
    uploads = len(fake.requests_to("POST"))
    assert client.upload_blob(repo, b"hello") == digest
    assert len(fake.requests_to("POST")) == uploads  # already there: no upload


def test_upload_from_a_path(tmp_path):
    fake = FakeRegistry()
    (tmp_path / "blob").write_bytes(b"layer bytes")
    digest = client_for(fake).upload_blob(ref("reg.test/a/b"), tmp_path / "blob")
    assert fake.blobs["a/b"][digest] == b"layer bytes"
    assert fake.streamed_uploads == 1  # sent from the open file, not read into memory


def test_upload_location_on_another_host_gets_no_registry_token():
    fake = FakeRegistry(auth="bearer", users={"u": "p"})
    storage = []
    original = fake.send

    def send(request, **kw):
        if request.url.startswith("https://storage.test/"):
            storage.append((request.method, request.url, dict(request.headers)))
            return fake._response(request, 201)
        resp = original(request, **kw)
        if request.method == "POST" and resp.status_code == 202:
            resp.headers["Location"] = "https://storage.test/up/1?sig=abc"
        return resp

    fake.send = send  # type: ignore[method-assign]
    client = client_for(fake, {"reg.test": Credentials("u", "p")})
    client.upload_blob(ref("reg.test/a/b"), b"payload")
    method, url, headers = storage[0]
    assert method == "PUT" and url.startswith("https://storage.test/up/1?sig=abc&digest=sha256")
    assert "Authorization" not in headers


def test_blob_over_the_limit_is_refused():
    fake = FakeRegistry()
    digest = fake.add_blob("a/b", b"x" * 1000)
    with pytest.raises(RegistryError, match="larger than 100 bytes"):
        client_for(fake).get_blob(ref("reg.test/a/b"), digest, limit=100)
    assert client_for(fake).get_blob(ref("reg.test/a/b"), digest) == b"x" * 1000


def test_delete_manifest_needs_a_digest():
    fake = FakeRegistry()
    digest = fake.add_image("acme/app", "v1")
    client = client_for(fake)
    with pytest.raises(InputError, match="needs a digest"):
        client.delete_manifest(ref("reg.test/acme/app:v1"))
    client.delete_manifest(ref(f"reg.test/acme/app@{digest}"))
    assert client.check(ref("reg.test/acme/app:v1")).state is State.ABSENT


# -- transport rules ------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "loop"), [
    ("127.0.0.1:5000", True), ("127.1.2.3", True), ("localhost:5000", True), ("localhost", True),
    ("[::1]:5000", True), ("::1", True), ("ghcr.io", False), ("10.0.0.1:5000", False),
    ("localhost.example.com", False), ("128.0.0.1", False),
])
def test_loopback_hosts_use_http(host, loop):
    assert is_loopback(host) is loop
    client = RegistryClient()
    assert client.scheme_for(host) == ("http" if loop else "https")


def test_scheme_override():
    assert RegistryClient(scheme="https").scheme_for("127.0.0.1:5000") == "https"
    assert RegistryClient(http_hosts={"reg.lan:5000"}).scheme_for("reg.lan:5000") == "http"
    with pytest.raises(InputError, match="scheme"):
        RegistryClient(scheme="ftp")


class _Resp:
    def __init__(self, retry_after: str | None) -> None:
        self.headers = {"Retry-After": retry_after} if retry_after else {}
        self.status = 429

    def get_redirect_location(self):
        return None


def test_retry_refuses_to_wait_past_the_limit():
    ticks = []
    retry = _BoundedRetry(total=3, status=3, status_forcelist=[429], max_wait=30,
                          on_retry=lambda: ticks.append(1), raise_on_status=False)
    short = retry.increment("GET", "/v2/x", response=_Resp("2"))
    assert isinstance(short, _BoundedRetry) and short.max_wait == 30 and ticks == [1]
    assert short.on_retry is retry.on_retry
    with pytest.raises(MaxRetryError, match="exceeds the 30s limit"):
        short.increment("GET", "/v2/x", response=_Resp("3600"))
    assert ticks == [1]


def test_retry_is_bounded():
    retry = _BoundedRetry(total=2, status=2, status_forcelist=[503], backoff_factor=0.5,
                          backoff_max=4, raise_on_status=False)
    retry = retry.increment("GET", "/", response=_Resp(None))
    retry = retry.increment("GET", "/", response=_Resp(None))
    assert retry.get_backoff_time() <= 4
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/", response=_Resp(None))


def test_bad_platform_is_refused_before_any_request():
    fake = FakeRegistry()
    with pytest.raises(InputError, match="input 'platforms': 'amd64'"):
        client_for(fake).check(ref("reg.test/acme/app:v1"), platforms=["amd64"])
    assert fake.log == []


def test_concurrent_cold_checks_pay_one_401_in_total():
    from concurrent.futures import ThreadPoolExecutor

    fake = FakeRegistry(auth="bearer")
    refs = []
    for i in range(20):
        fake.add_image(f"acme/app{i}", "v1")
        refs.append(ref(f"reg.test/acme/app{i}:v1"))
    client = client_for(fake)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(client.check, refs))
    assert all(a.state is State.PRESENT for a in answers)
    assert sum(1 for _, url, _ in fake.log if "auth.test" not in url) == 21  # one 401 + 20 GETs
    assert len(fake.requests_to("GET", "auth.test")) == 20
    assert client.requests_made == 41


def test_docker_hub_names_go_to_its_api_host_over_https():
    fake = FakeRegistry(host="registry-1.docker.io")
    fake.add_image("library/alpine", "3")
    client = client_for(fake)
    got = client.check(ref("alpine:3"))
    assert got.state is State.PRESENT and got.ref == "docker.io/library/alpine:3"
    assert fake.log[0][1] == "https://registry-1.docker.io/v2/library/alpine/manifests/3"


def test_docker_hub_credentials_are_found_under_the_cli_key(tmp_path):
    import base64

    fake = FakeRegistry(host="registry-1.docker.io", auth="basic", users={"hub": "pw"})
    fake.add_image("acme/app", "v1")
    config = tmp_path / "config.json"
    auth_value = base64.b64encode(b"hub:pw").decode()
    config.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth_value}}}))
    client = RegistryClient(CredentialStore.from_docker_config(config), session=fake.session())
    assert client.check(ref("acme/app:v1")).state is State.PRESENT


def test_identity_token_falls_back_to_get_when_oauth2_is_not_served():
    fake = FakeRegistry(auth="bearer", users={"u": "p"}, private=["acme/app"])
    fake.add_image("acme/app", "v1")
    original = fake._token_service

    def token_service(request, parts):
        if request.method == "POST":
            return fake._response(request, 404, b"404 page not found")
        return original(request, parts)

    fake._token_service = token_service  # type: ignore[method-assign]
    both = client_for(fake, {"reg.test": Credentials("u", "p", identity_token="rt")})
    assert both.check(ref("reg.test/acme/app:v1")).state is State.PRESENT
    only_token = client_for(fake, {"reg.test": Credentials(identity_token="rt")})
    got = only_token.check(ref("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN and "answered HTTP 404" in got.reason


@pytest.mark.parametrize(("mode", "creds", "ok", "scheme"), [
    ("none", None, True, ""),
    ("basic", None, False, "basic"),
    ("basic", Credentials("u", "p"), True, "basic"),
    ("bearer", None, True, "bearer"),   # an anonymous token is enough for /v2/
])
def test_ping(mode, creds, ok, scheme):
    fake = FakeRegistry(auth=mode, users={"u": "p"})
    got = client_for(fake, {"reg.test": creds} if creds else None).ping("reg.test")
    assert (got.ok, got.auth) == (ok, scheme)
    assert fake.log[0][1] == "https://reg.test/v2/"


def test_ping_failures():
    fake = FakeRegistry()
    fake.fail_next(503, b"<html>maintenance</html>", {"Content-Type": "text/html"}, match="/v2/")
    got = client_for(fake).ping("reg.test")
    assert not got.ok and "answered HTTP 503 to /v2/, an HTML page" in got.reason


def test_a_manifest_with_null_layers_is_present():
    # buildx writes "layers": null for an image with no layer (FROM scratch, labels only).
    fake = FakeRegistry()
    config = json.dumps({"os": "linux", "architecture": "amd64"}).encode()
    cfg = fake.add_blob("acme/app", config)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": cfg, "size": len(config)},
                       "layers": None}).encode()
    digest = fake.put("acme/app", "empty", body, OCI_MANIFEST)
    got = client_for(fake).check(ref("reg.test/acme/app:empty"))
    assert got.state is State.PRESENT and got.digest == digest


def test_a_manifest_whose_layers_are_not_a_list_is_unknown():
    fake = FakeRegistry()
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"digest": "sha256:" + "0" * 64}, "layers": "x"}).encode()
    fake.put("acme/app", "odd", body, OCI_MANIFEST)
    got = client_for(fake).check(ref("reg.test/acme/app:odd"))
    assert got.state is State.UNKNOWN and "without config and layers" in got.reason
