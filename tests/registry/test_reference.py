from __future__ import annotations

import pytest

from ghbuild.errors import InputError
from ghbuild.registry import ImageRef

D = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), [
    ("alpine", "docker.io", "library/alpine", None, None),
    ("alpine:3.20", "docker.io", "library/alpine", "3.20", None),
    ("acme/widget", "docker.io", "acme/widget", None, None),
    ("docker.io/alpine", "docker.io", "library/alpine", None, None),
    ("index.docker.io/acme/widget:v1", "docker.io", "acme/widget", "v1", None),
    ("ghcr.io/acme/widget:1.2.3", "ghcr.io", "acme/widget", "1.2.3", None),
    ("localhost:5000/app", "localhost:5000", "app", None, None),
    ("localhost/app", "localhost", "app", None, None),
    ("127.0.0.1:5000/e2e/t-1:latest", "127.0.0.1:5000", "e2e/t-1", "latest", None),
    ("[::1]:5000/app:x", "[::1]:5000", "app", "x", None),
    (f"ghcr.io/acme/widget@{D}", "ghcr.io", "acme/widget", None, D),
    (f"ghcr.io/acme/widget:v1@{D}", "ghcr.io", "acme/widget", "v1", D),
    ("reg.example.com:443/a/b/c__d/e-f.g:_T", "reg.example.com:443", "a/b/c__d/e-f.g", "_T",
     None),
    ("  ghcr.io/acme/widget  ", "ghcr.io", "acme/widget", None, None),
])
def test_parse(text, registry, repository, tag, digest):
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag,
                                                                    digest)


@pytest.mark.parametrize(("text", "expected_words"), [
    ("", "got nothing"),
    ("ghcr.io/Acme/widget", "lower case"),
    ("ghcr.io/acme/widget:", "the tag ''"),
    ("ghcr.io/acme/widget:-bad", "the tag '-bad'"),
    ("ghcr.io/acme/widget:" + "x" * 129, "up to 128"),
    ("ghcr.io/acme/widget@sha256:abc", "sha256:<64 hex digits>"),
    ("https://ghcr.io/acme/widget", "scheme"),
    ("ghcr.io/acme//widget", "path component ''"),
    ("ghcr.io/acme/wid get", "path component 'wid get'"),
    ("bad_host.io:x/app", "registry 'bad_host.io:x'"),
    ("ghcr.io/", "the repository name is empty"),
])
def test_parse_rejects_with_a_message_naming_the_text(text, expected_words):
    with pytest.raises(InputError) as err:
        ImageRef.parse(text, input_name="images")
    message = str(err.value)
    assert "input 'images'" in message
    assert repr(text.strip()) in message or text == ""
    assert expected_words in message


def test_forms_and_api_host():
    ref = ImageRef.parse("alpine:3")
    assert str(ref) == "docker.io/library/alpine:3"
    assert ref.api_host == "registry-1.docker.io"
    assert ref.reference == "3"
    assert ImageRef.parse("ghcr.io/a/b").reference == "latest"
    pinned = ref.with_digest(D)
    assert pinned.reference == D
    assert str(pinned) == f"docker.io/library/alpine:3@{D}"
    moved = pinned.with_tag("v2")
    assert (moved.tag, moved.digest) == ("v2", None)
    assert str(moved.repo_only()) == "docker.io/library/alpine"


def test_with_tag_and_digest_validate():
    ref = ImageRef.parse("ghcr.io/a/b")
    with pytest.raises(InputError, match="not a valid tag"):
        ref.with_tag("no spaces")
    with pytest.raises(InputError, match="not a valid digest"):
        ref.with_digest("sha256:XYZ")


def test_parse_round_trips_through_str():
    for text in ("ghcr.io/acme/widget:v1", f"127.0.0.1:5000/x/y@{D}", "docker.io/library/a:b"):
        assert str(ImageRef.parse(str(ImageRef.parse(text)))) == text


# -- properties ---------------------------------------------------------------------------------
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_component = st.builds(lambda a, sep, b: a + sep + b if sep is not None else a, _alnum,
                       st.one_of(st.none(), st.sampled_from([".", "_", "__", "-", "--"])),
                       _alnum)
_path = st.lists(_component, min_size=2, max_size=4).map("/".join)
_host = st.sampled_from(["ghcr.io", "127.0.0.1:5000", "localhost:5000", "reg.example.com:443",
                         "[::1]:5000", "quay.io"])
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}")


@given(_host, _path, st.one_of(st.none(), _tag), st.one_of(st.none(), _digest))
def test_valid_references_round_trip(host, path, tag, digest):
    text = f"{host}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (host, path, tag, digest)
    assert str(ref) == text
    assert ImageRef.parse(str(ref)) == ref


@given(_path, st.sampled_from("ABCXYZ !$%&*+,;=?"))
def test_a_bad_character_in_the_path_is_refused(path, bad):
    text = f"ghcr.io/{path[:1]}{bad}{path[1:]}"
    with pytest.raises(InputError) as err:
        ImageRef.parse(text)
    assert repr(text) in str(err.value)
