"""Round 3 (L1): two images of .github/ghbuild.yml naming one repository in two
spellings are refused like an exact duplicate: the second would overwrite the first's
tags."""

from __future__ import annotations

import pytest

from ghbuild import config
from ghbuild.errors import ConfigError
from ghbuild.registry.reference import repository_key

SHOWN = ".github/ghbuild.yml"


@pytest.mark.parametrize(("a", "b"), [
    ("docker.io/acme/x", "acme/x"),
    ("index.docker.io/acme/x", "acme/x"),
    ("registry-1.docker.io/acme/x", "docker.io/acme/x"),
    ("docker.io/library/x", "x"),
    ("library/x", "x"),
])
def test_one_repository_in_two_spellings(a, b):
    assert repository_key(a) == repository_key(b)
    text = f"images:\n  - name: {a}\n  - name: {b}\n    context: b\n"
    with pytest.raises(ConfigError) as got:
        config.load_config_text(text, SHOWN)
    message = str(got.value)
    assert message.startswith(f"{SHOWN}:3:")        # the second name's line
    assert f"images[1].name: {b!r} is already used by images[0] ({a!r}: both are " \
           f"{repository_key(a)})" in message


@pytest.mark.parametrize(("a", "b"), [
    ("ghcr.io/acme/x", "acme/x"),           # another registry
    ("docker.io/acme/x", "docker.io/acme/y"),
    ("127.0.0.1:5000/x", "127.0.0.1:5001/x"),
    ("acme/x", "library/acme/x"),
])
def test_different_repositories_stay_apart(a, b):
    assert repository_key(a) != repository_key(b)
    cfg = config.load_config_text(f"images:\n  - name: {a}\n  - name: {b}\n", SHOWN)
    assert [image.name for image in cfg.images] == [a, b]


def test_an_exact_duplicate_says_what_it_said_before():
    with pytest.raises(ConfigError) as got:
        config.load_config_text("images:\n  - name: ghcr.io/acme/a\n  - name: ghcr.io/acme/a\n",
                                SHOWN)
    assert str(got.value).endswith("images[1].name: 'ghcr.io/acme/a' is already used by "
                                   "images[0]")
