from __future__ import annotations

import pytest

from ghbuild.errors import RegistryError
from ghbuild.registry import auth


@pytest.mark.parametrize(("header", "expected"), [
    ('Bearer realm="https://ghcr.io/token",service="ghcr.io",'
     'scope="repository:acme/widget:pull"',
     [("bearer", {"realm": "https://ghcr.io/token", "service": "ghcr.io",
                  "scope": "repository:acme/widget:pull"})]),
    # A scope with a comma inside quotes stays whole.
    ('Bearer realm="r", scope="repository:a/b:pull,push"',
     [("bearer", {"realm": "r", "scope": "repository:a/b:pull,push"})]),
    ('Basic realm="Registry Realm"', [("basic", {"realm": "Registry Realm"})]),
    # Two challenges in one header; escaped quote in a quoted value.
    ('Basic realm="a, b", Bearer realm="x\\"y",error="invalid_token"',
     [("basic", {"realm": "a, b"}), ("bearer", {"realm": 'x"y', "error": "invalid_token"})]),
    ('Negotiate abc123==, BASIC REALM=plain',
     [("negotiate", {}), ("basic", {"realm": "plain"})]),
    ("", []),
])
def test_parse_challenges(header, expected):
    got = [(c.scheme, c.params) for c in auth.parse_challenges(header)]
    assert got == expected


def test_find_challenge_picks_the_scheme():
    header = 'Basic realm="x", Bearer realm="https://t/token",service="s"'
    found = auth.find_challenge(header, "bearer")
    assert found is not None and found.realm == "https://t/token"
    assert auth.find_challenge('Basic realm="x"', "bearer") is None


def test_scopes():
    assert auth.repository_scope("a/b") == "repository:a/b:pull"
    assert auth.repository_scope("a/b", push=True) == "repository:a/b:pull,push"
    merged = auth.merge_scopes(["repository:a:pull repository:b:pull"], ["repository:a:pull", ""])
    assert merged == "repository:a:pull repository:b:pull"


def test_token_cache_expires_and_drops():
    now = [100.0]
    cache = auth.TokenCache(clock=lambda: now[0])
    cache.put("h", "s", "tok", 300)
    assert cache.get("h", "s") == "tok"
    assert cache.get("h", "other") is None
    now[0] += 289
    assert cache.get("h", "s") == "tok"
    now[0] += 2  # within the renewal margin before expiry
    assert cache.get("h", "s") is None
    cache.put("h", "s", "tok2", None)  # no lifetime stated: the spec's 60 s
    now[0] += 49
    assert cache.get("h", "s") == "tok2"
    cache.drop("h", "s")
    assert cache.get("h", "s") is None


def test_token_from_answer():
    assert auth.token_from_answer({"token": "t", "expires_in": 60}, "r") == ("t", 60.0)
    assert auth.token_from_answer({"access_token": "a"}, "r") == ("a", None)
    with pytest.raises(RegistryError, match="without a token"):
        auth.token_from_answer({"token": ""}, "https://t/token")
    with pytest.raises(RegistryError, match="not an object"):
        auth.token_from_answer(["t"], "https://t/token")


def test_basic_header():
    assert auth.basic_header("user", "p:w") == "Basic dXNlcjpwOnc="
