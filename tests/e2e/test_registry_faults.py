"""Faults between the client and a real registry: every doubt means "build", no tag moves.

The fault proxy sits on 127.0.0.1 in front of the registry from provision-engine.sh;
images are seeded straight into the registry, then read or promoted through the proxy.
"""

from __future__ import annotations

import time

import pytest
import requests

from ghbuild.errors import PolicyError, RegistryError
from ghbuild.registry import ImageRef, RegistryClient, State
from tests.e2e.registry_servers import fault_proxy, seed_image  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture()
def seeded(registry, unique_repo):
    direct = RegistryClient(timeout=5)
    repo = ImageRef.parse(f"{registry}/{unique_repo}")
    digest = seed_image(direct, repo, "main")
    return repo, digest


def via(proxy, repo: ImageRef) -> ImageRef:
    return ImageRef.parse(f"{proxy.addr}/{repo.repository}")


def upstream_digest(registry: str, repo: ImageRef, tag: str) -> str | None:
    got = RegistryClient(timeout=5).resolve(ImageRef.parse(f"{registry}/{repo.repository}:{tag}"))
    return got.digest if got.state is State.PRESENT else None


SCENARIOS = [
    ("500", {}, "fault", "answered HTTP 500"),
    ("503", {}, "fault", "answered HTTP 503"),
    ("429", {"retry_after": "1"}, "rate-limit", "HTTP 429, Retry-After 1"),
    ("reset", {}, "fault", "cannot reach registry"),
    ("stall", {"stall": 3.0}, "timeout", "did not answer within 0.5s"),
    ("html", {}, "body", "with a body that is not JSON (an HTML page"),
    ("trickle", {"stall": 0.2}, "timeout", "did not send the manifest within 1s"),
]


@pytest.mark.parametrize(("kind", "options", "cause", "words"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_persistent_fault_is_unknown_and_means_build(fault_proxy, seeded, registry, kind,  # noqa: F811
                                                      options, cause, words):
    repo, digest = seeded
    fault_proxy.fail(kind, **options)
    client = RegistryClient(timeout=0.5, retries=2, backoff=0.1)
    started = time.monotonic()
    got = client.check(via(fault_proxy, repo).with_tag("main"), platforms=["linux/amd64"])
    took = time.monotonic() - started
    assert got.state is State.UNKNOWN and got.should_build
    assert got.cause == cause
    assert words in got.reason
    assert fault_proxy.addr in got.reason
    assert got.decision().startswith("build: the registry's answer")
    assert got.reason in got.decision()
    # Retried, but boundedly: three attempts at most, each within the timeout.
    attempts = [s for s in fault_proxy.seen if "/manifests/" in s[1]]
    assert 1 <= len(attempts) <= 3 if kind not in ("html", "trickle") else len(attempts) == 1
    assert took < 10
    # Nothing was written: the tag still names the seeded digest.
    assert upstream_digest(registry, repo, "main") == digest


@pytest.mark.parametrize("kind", ["500", "503", "reset", "429"])
def test_one_transient_fault_is_retried(fault_proxy, seeded, kind):  # noqa: F811
    repo, digest = seeded
    fault_proxy.fail(kind, times=1, retry_after="1")
    client = RegistryClient(timeout=5, retries=2, backoff=0.1)
    started = time.monotonic()
    got = client.check(via(fault_proxy, repo).with_tag("main"))
    assert got.state is State.PRESENT and got.digest == digest
    assert [s[2] for s in fault_proxy.seen if "/manifests/" in s[1]] == [kind, "pass"]
    assert client.requests_made == 2
    if kind == "429":
        assert time.monotonic() - started >= 0.9  # Retry-After: 1 was honoured


def test_retry_after_beyond_the_limit_is_not_waited_for(fault_proxy, seeded):  # noqa: F811
    repo, _ = seeded
    fault_proxy.fail("429", retry_after="3600")
    client = RegistryClient(timeout=5, retries=3, max_retry_after=30)
    started = time.monotonic()
    got = client.check(via(fault_proxy, repo).with_tag("main"))
    assert time.monotonic() - started < 5
    assert got.state is State.UNKNOWN and "Retry-After 3600" in got.reason
    assert len(fault_proxy.seen) == 1


def test_faults_during_promotion_write_nothing(fault_proxy, seeded, registry):  # noqa: F811
    repo, digest = seeded
    other = seed_image(RegistryClient(), repo, "latest")
    client = RegistryClient(timeout=1, retries=1, backoff=0.1)
    source = via(fault_proxy, repo).with_digest(digest)

    # Every manifest request fails: the source cannot be read, nothing is written.
    fault_proxy.fail("503")
    with pytest.raises(RegistryError, match="HTTP 503"):
        client.promote(source, [via(fault_proxy, repo).with_tag("v9.9.9")])
    fault_proxy.clear()
    assert upstream_digest(registry, repo, "v9.9.9") is None

    # The write itself fails: the mutable tag is not moved, the new tag not created.
    fault_proxy.fail("500", method="PUT")
    with pytest.raises(RegistryError, match="HTTP 500"):
        client.promote(source, [via(fault_proxy, repo).with_tag("latest")])
    fault_proxy.clear()
    assert upstream_digest(registry, repo, "latest") == other


def test_release_tag_with_a_doubtful_answer_is_not_written(fault_proxy, seeded,  # noqa: F811
                                                          registry):
    repo, digest = seeded
    old = seed_image(RegistryClient(), repo, "v1.0.0")
    client = RegistryClient(timeout=1, retries=1, backoff=0.1)
    fault_proxy.fail("html", path="/manifests/v1.0.0", method="GET")
    with pytest.raises(RegistryError, match="cannot tell whether release tag"):
        client.promote(via(fault_proxy, repo).with_digest(digest),
                       [via(fault_proxy, repo).with_tag("v1.0.0")])
    fault_proxy.clear()
    assert upstream_digest(registry, repo, "v1.0.0") == old
    # With a clear answer the refusal is the policy's and names both digests.
    with pytest.raises(PolicyError) as err:
        client.promote(via(fault_proxy, repo).with_digest(digest),
                       [via(fault_proxy, repo).with_tag("v1.0.0")])
    assert old in str(err.value) and digest in str(err.value)
    assert upstream_digest(registry, repo, "v1.0.0") == old


def test_proxy_passes_through_when_healthy(fault_proxy, seeded):  # noqa: F811
    repo, digest = seeded
    assert requests.get(f"http://{fault_proxy.addr}/v2/", timeout=5).status_code == 200
    got = RegistryClient(timeout=5).check(via(fault_proxy, repo).with_tag("main"),
                                          platforms=["linux/amd64"])
    assert got.state is State.PRESENT and got.digest == digest


@pytest.mark.parametrize(("kind", "options", "cause", "words"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_inspect_through_faults_warns_and_exits_2(fault_proxy, seeded, engine_env, kind,  # noqa: F811
                                                   options, cause, words):
    import json
    import os
    import subprocess
    import sys

    repo, _ = seeded
    fault_proxy.fail(kind, **options)
    env = {**os.environ, **engine_env}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-m", "ghbuild", "inspect",
                           f"{via(fault_proxy, repo)}:main", "--timeout", "0.5", "--retries",
                           "1"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    doc = json.loads(done.stdout)
    assert doc["state"] == "unknown" and words in doc["reason"]
    assert f"warning: {via(fault_proxy, repo)}:main: unknown: " in done.stderr
    assert words in done.stderr
