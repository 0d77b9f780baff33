"""Many checks at once against the real token-auth registry: ``check_many``/``warm_up``.

One ``/v2/`` request learns the challenge, one token covers up to twenty repositories,
then every check is one request. A token service that grants less than asked (a
private repository among public ones, anonymously) must still give that one check its
right answer, unknown (access), and the others theirs.
"""

from __future__ import annotations

import pytest

from ghbuild.registry import Credentials, CredentialStore, ImageRef, RegistryClient, State
from ghbuild.registry.client import SCOPES_PER_TOKEN
from tests.e2e.registry_servers import (  # noqa: F401  (fixtures)
    USERS,
    seed_image,
    token_registry,
)

pytestmark = pytest.mark.e2e


def _client(creds: dict[str, Credentials] | None = None) -> RegistryClient:
    return RegistryClient(CredentialStore.static(creds or {}), timeout=5, retries=1)


def _seed(addr: str, names: list[str]) -> dict[str, str]:
    writer = _client({addr: Credentials("alice", USERS["alice"])})
    return {name: seed_image(writer, ImageRef.parse(f"{addr}/{name}"), "v1") for name in names}


def test_many_public_images_cost_one_challenge_and_one_token_per_twenty(token_registry):  # noqa: F811
    addr = token_registry.addr
    names = [f"public/many-{n}" for n in range(SCOPES_PER_TOKEN + 5)]
    digests = _seed(addr, names)
    refs = [ImageRef.parse(f"{addr}/{name}:v1") for name in names]
    before = len(token_registry.tokens.issued)

    reader = _client()
    got = reader.check_many(refs)
    assert [(g.state, g.digest) for g in got] == [(State.PRESENT, digests[n]) for n in names]
    issued = token_registry.tokens.issued[before:]
    assert len(issued) == 2  # 25 repositories: one token for twenty, one for five
    assert sorted(len(t["access"]) for t in issued) == [5, SCOPES_PER_TOKEN]
    assert reader.requests_made == 1 + 2 + len(refs)  # /v2/, two tokens, one GET each

    # Held tokens: a second round is one request per image, and no new token.
    again = reader.requests_made
    reader.check_many(refs)
    assert reader.requests_made == again + len(refs)
    assert len(token_registry.tokens.issued) == before + 2
    # A platform to confirm on a single-platform image costs its config blob too: two.
    again = reader.requests_made
    assert all(g.present for g in reader.check_many(refs, platforms=["linux/amd64"]))
    assert reader.requests_made == again + 2 * len(refs)


def test_a_private_image_among_public_ones_is_unknown_not_absent(token_registry):  # noqa: F811
    addr = token_registry.addr
    digests = _seed(addr, ["public/a", "private/b", "public/c"])
    refs = [ImageRef.parse(f"{addr}/{name}:v1") for name in ("public/a", "private/b",
                                                              "public/c")]
    missing = ImageRef.parse(f"{addr}/public/a:not-there")

    got = _client().check_many([*refs, missing])
    assert [g.state for g in got] == [State.PRESENT, State.UNKNOWN, State.PRESENT,
                                      State.ABSENT]
    assert got[0].digest == digests["public/a"] and got[2].digest == digests["public/c"]
    assert got[1].cause == "access" and "private/b" in got[1].reason
    # The shared anonymous token granted pull on the public two only.
    shared = [t for t in token_registry.tokens.issued if t["user"] is None][0]
    assert {(a["name"], tuple(a["actions"])) for a in shared["access"]} == {
        ("public/a", ("pull",)), ("private/b", ()), ("public/c", ("pull",))}

    # With credentials the same private image is present, at the digest it was pushed as.
    bot = _client({addr: Credentials("ci-bot", USERS["ci-bot"])})
    assert [g.digest for g in bot.check_many(refs)] == [digests[n] for n in
                                                        ("public/a", "private/b", "public/c")]


def test_a_failing_token_service_leaves_each_check_to_its_own_token(token_registry):  # noqa: F811
    addr = token_registry.addr
    digests = _seed(addr, ["public/x", "public/y"])
    refs = [ImageRef.parse(f"{addr}/public/{n}:v1") for n in ("x", "y")]
    reader = _client()
    # The shared token is expired on arrival: the registry refuses it, and each check
    # renews its own scope, getting a good token.
    token_registry.tokens.expired_next = 1
    got = reader.check_many(refs)
    assert [(g.state, g.digest) for g in got] == [(State.PRESENT, digests["public/x"]),
                                                  (State.PRESENT, digests["public/y"])]
