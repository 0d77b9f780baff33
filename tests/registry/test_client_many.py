"""``warm_up``/``check_many`` with the fake registry: fewer requests, never other answers."""

from __future__ import annotations

from ghbuild.registry import CredentialStore, ImageRef, RegistryClient, State
from ghbuild.registry.client import SCOPES_PER_TOKEN

from .fakeregistry import FakeRegistry


def _refs(n: int, host: str = "reg.test") -> list[ImageRef]:
    return [ImageRef.parse(f"{host}/acme/app{i}:v1") for i in range(n)]


def _fake(n: int, **kw) -> FakeRegistry:
    fake = FakeRegistry(**kw)
    for i in range(n):
        fake.add_image(f"acme/app{i}", "v1")
    return fake


def _client(fake: FakeRegistry) -> RegistryClient:
    return RegistryClient(CredentialStore.static({}), session=fake.session(), retries=0)


def test_bearer_registry_one_token_per_twenty_repositories() -> None:
    fake = _fake(2 * SCOPES_PER_TOKEN + 1, auth="bearer")
    client = _client(fake)
    got = client.check_many(_refs(2 * SCOPES_PER_TOKEN + 1))
    assert all(g.state is State.PRESENT for g in got)
    assert len(fake.requests_to("GET", "auth.test")) == 3  # 20 + 20 + 1 scopes
    assert fake.requests_to("GET", "reg.test/v2/")[:1] == ["https://reg.test/v2/"]
    assert client.requests_made == 1 + 3 + 2 * SCOPES_PER_TOKEN + 1


def test_open_registry_needs_only_the_checks_and_one_look() -> None:
    fake = _fake(5)
    client = _client(fake)
    assert all(g.present for g in client.check_many(_refs(5)))
    assert client.requests_made == 1 + 5
    assert fake.requests_to("GET", "auth.test") == []


def test_a_refused_shared_token_leaves_the_checks_to_their_own() -> None:
    fake = _fake(3, auth="bearer", private={"acme/app1"})
    client = _client(fake)
    got = client.check_many(_refs(3))
    # The anonymous shared token lacks app1: app1 renews its scope alone and is refused.
    assert [g.state for g in got] == [State.PRESENT, State.UNKNOWN, State.PRESENT]
    assert got[1].cause == "access"


def test_a_failing_first_look_raises_nothing_and_the_checks_go_on_alone() -> None:
    fake = _fake(2, auth="bearer")
    fake.fail_next(500, b"<html>oops</html>", {"Content-Type": "text/html"})
    client = _client(fake)
    client.warm_up(_refs(2))  # the look got HTML with a 500: nothing raised, nothing learnt
    assert fake.requests_to("GET", "auth.test") == []
    got = client.check_many(_refs(2))
    assert [g.state for g in got] == [State.PRESENT, State.PRESENT]
    assert len(fake.requests_to("GET", "auth.test")) == 2  # each check fetched its own


def test_one_image_is_just_a_check() -> None:
    fake = _fake(1, auth="bearer")
    client = _client(fake)
    (got,) = client.check_many(_refs(1))
    assert got.present
    assert client.requests_made == 3  # 401, token, manifest: as check() alone
