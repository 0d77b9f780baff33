"""Version grammars: npm semver's strict test and PEP 440 normalisation."""

from __future__ import annotations

import pytest

from ghbuild.meta import pep440, semver


@pytest.mark.parametrize(("text", "version", "pre"), [
    ("1.2.3", "1.2.3", ()),
    ("v1.2.3", "1.2.3", ()),
    (" v1.2.3 ", "1.2.3", ()),
    ("v2.0.8-beta.67", "2.0.8-beta.67", ("beta", 67)),
    ("v9.5.7-alpha.2+fork.3.1.8", "9.5.7-alpha.2", ("alpha", 2)),
    ("1.0.0-0.3.7", "1.0.0-0.3.7", (0, 3, 7)),
    ("1.0.0-x-y-z.--", "1.0.0-x-y-z.--", ("x-y-z", "--")),
    ("101.12.13", "101.12.13", ()),
])
def test_semver_valid(text: str, version: str, pre: tuple[object, ...]) -> None:
    parsed = semver.parse(text)
    assert parsed is not None
    assert (parsed.version, parsed.prerelease, parsed.raw) == (version, pre, text)


@pytest.mark.parametrize("text", ["1.2", "v1", "01.2.3", "1.02.3", "V1.2.3", "=1.2.3",
                                  "1.2.3-01", "1.2.3-", "1.2.3+", "p1-v1.0.0", "sometag",
                                  "1.2.3.4", "9007199254740993.0.0", "1." * 200 + "1"])
def test_semver_invalid(text: str) -> None:
    assert semver.parse(text) is None


def test_semver_scope_has_the_parsed_fields() -> None:
    parsed = semver.parse("v1.2.3-rc.1+b7")
    assert parsed is not None
    scope = parsed.scope()
    assert (scope["major"], scope["minor"], scope["patch"]) == (1, 2, 3)
    assert (scope["prerelease"], scope["build"], scope["raw"]) == (["rc", 1], ["b7"],
                                                                    "v1.2.3-rc.1+b7")


@pytest.mark.parametrize(("text", "clean", "parts", "release"), [
    ("v1.1.1", "1.1.1", (1, 1, 1), True),
    ("1.2", "1.2", (1, 2, 0), True),
    ("1.1beta2", "1.1b2", (1, 1, 0), False),
    ("1.0dev4", "1.0.dev4", (1, 0, 0), False),
    ("1.2.3rc2", "1.2.3rc2", (1, 2, 3), False),
    ("1.2post1", "1.2.post1", (1, 2, 0), False),
    ("1!2.0", "1!2.0", (2, 0, 0), True),
    # @renovate/pep440 joins local segments with commas; kept for identical tags
    ("1.0+local.7", "1.0+local,7", (1, 0, 0), True),
])
def test_pep440(text: str, clean: str, parts: tuple[int, int, int], release: bool) -> None:
    parsed = pep440.parse(text)
    assert parsed is not None
    assert (parsed.clean, (parsed.major, parsed.minor, parsed.patch), parsed.is_release) == \
        (clean, parts, release)


@pytest.mark.parametrize("text", ["sometag", "release1", "1.2.3-beta.x", "p1/v1.0.0", " 1.0 "])
def test_pep440_invalid(text: str) -> None:
    assert pep440.parse(text) is None
