from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghbuild import buildkey
from ghbuild.buildkey import content_key, is_ignored, key_tag_name, read_dockerignore, revision_key
from ghbuild.errors import InputError
from ghbuild.registry import ImageRef

SHA = "0123456789abcdef0123456789abcdef01234567"


# -- keys and key tags ------------------------------------------------------------------------
def test_revision_key():
    assert revision_key(SHA) == f"rev-{SHA}"
    assert revision_key(SHA.upper()) == f"rev-{SHA}"
    assert revision_key("ab" * 32) == "rev-" + "ab" * 32
    for bad in ("", "abc123", SHA + "0", "g" * 40):
        with pytest.raises(InputError, match="not a full commit id"):
            revision_key(bad)


def test_key_tag_name_is_a_valid_tag_in_the_reserved_namespace():
    tag = key_tag_name(revision_key(SHA))
    assert tag == f"ghbuild-key-rev-{SHA}"
    assert ImageRef.parse("ghcr.io/a/b").with_tag(tag).tag == tag
    assert buildkey.is_key_tag(tag)
    with pytest.raises(InputError):
        key_tag_name("v1.2.3")


@given(st.one_of(st.text("0123456789abcdef", min_size=40, max_size=40).map(revision_key),
                 st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: "ctx-" + h)))
def test_every_key_tag_is_a_valid_tag_and_never_a_normal_user_tag(key):
    tag = key_tag_name(key)
    assert len(tag) <= 128
    ImageRef.parse(f"ghcr.io/a/b:{tag}")
    # The forms metadata-action style rules produce never start with the prefix.
    for user in ("latest", "v1.2.3", "1.2", "sha-0123abc", "pr-12", "main", "20240101"):
        assert tag != user and not buildkey.is_key_tag(user)


# -- .dockerignore ---------------------------------------------------------------------------
# Line 2 starts with a space: Docker only treats "#" at column 0 as a comment, so it is
# the pattern "# not a comment" after trimming.
IGNORE = """\
# comment at column 0
 # not a comment
*.md
!README.md
**/node_modules
/build/
./tmp
docs/**
!docs/keep/**
secret?.txt
[a-c]x.log
**/*.pyc
dir\\*star
logs
!logs/important.log
"""

CASES = [
    ("a.md", True), ("README.md", False), ("sub/a.md", False),
    ("node_modules", True), ("x/y/node_modules/pkg/index.js", True),
    ("build/out.o", True), ("src/build/out.o", False), ("tmp", True), ("tmp/x", True),
    ("docs/a/b.txt", True), ("docs/keep/b.txt", False), ("docs", False),
    ("secret1.txt", True), ("secret12.txt", False), ("secret/.txt", False),
    ("bx.log", True), ("dx.log", False),
    ("a.pyc", True), ("deep/er/a.pyc", True),
    ("dir*star", True), ("dirXstar", False),
    ("logs/debug.log", True), ("logs/important.log", False),
    ("# not a comment", True),
    ("src/main.py", False),
]


@pytest.mark.parametrize(("path", "ignored"), CASES)
def test_dockerignore_semantics(path, ignored):
    assert is_ignored(path, read_dockerignore(IGNORE)) is ignored


def test_last_match_wins():
    patterns = read_dockerignore("*.txt\n!keep.txt\nkeep.txt\n")
    assert is_ignored("keep.txt", patterns)
    patterns = read_dockerignore("*\n!src\nsrc/gen\n")
    assert not is_ignored("src/a.py", patterns)
    assert is_ignored("src/gen/x.py", patterns)
    assert is_ignored("other", patterns)


def test_parent_directory_match_excludes_children():
    patterns = read_dockerignore("vendor\n")
    assert is_ignored("vendor/a/b/c", patterns)
    assert not is_ignored("vendors/a", patterns)


def test_bad_patterns_name_file_and_line():
    with pytest.raises(InputError, match=r"ctx/.dockerignore:2: .*unclosed '\['"):
        read_dockerignore("ok\nbad[\n", source="ctx/.dockerignore")
    with pytest.raises(InputError, match=":1: .*exclusion with no pattern"):
        read_dockerignore("!\n")


# -- the content key -------------------------------------------------------------------------------
@pytest.fixture()
def context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "notes.md").write_text("notes\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.txt").write_text("data\n")
    (tmp_path / ".dockerignore").write_text("*.md\n")
    return tmp_path


def key_of(ctx, **kw):
    params = {"build_args": {"A": "1"}, "target": "", "platforms": ["linux/amd64"]}
    params.update(kw)
    return content_key(ctx, ctx / "Dockerfile", **params)


def test_content_key_is_stable_and_formatted(context):
    first = key_of(context)
    assert first == key_of(context)
    assert first.startswith("ctx-") and len(first) == 68
    key_tag_name(first)


def test_ignored_files_do_not_change_the_key(context):
    before = key_of(context)
    (context / "notes.md").write_text("changed\n")
    (context / "more.md").write_text("new\n")
    assert key_of(context) == before


@pytest.mark.parametrize("change", [
    lambda c: (c / "app.py").write_text("print('bye')\n"),
    lambda c: (c / "sub" / "new.txt").write_text("x"),
    lambda c: (c / "sub" / "data.txt").unlink(),
    lambda c: (c / "Dockerfile").write_text("FROM scratch\nCOPY . /srv\n"),
    lambda c: os.chmod(c / "app.py", 0o755),
    lambda c: (c / ".dockerignore").write_text("*.md\nsub\n"),
    lambda c: os.symlink("app.py", c / "link"),
    lambda c: (c / "empty").mkdir(),
])
def test_included_changes_change_the_key(context, change):
    before = key_of(context)
    change(context)
    assert key_of(context) != before


def test_args_target_platforms_are_part_of_the_key(context):
    base = key_of(context)
    assert key_of(context, build_args={"A": "2"}) != base
    assert key_of(context, build_args={"A": "1", "B": ""}) != base
    assert key_of(context, target="final") != base
    assert key_of(context, platforms=["linux/arm64"]) != base
    two = key_of(context, platforms=["linux/amd64", "linux/arm64"])
    assert key_of(context, platforms=["linux/arm64", "linux/amd64"]) == two
    # No ambiguity between a value and the next field.
    assert key_of(context, build_args={"A": "1target"}) != key_of(context, target="target")


def test_dockerfile_specific_ignore_file_wins(context):
    before = key_of(context)
    (context / "Dockerfile.dockerignore").write_text("*.md\napp.py\n")
    with_specific = key_of(context)
    assert with_specific != before
    (context / "app.py").write_text("changed but ignored by Dockerfile.dockerignore\n")
    assert key_of(context) == with_specific


def test_dockerfile_outside_the_context(tmp_path, context):
    other = tmp_path.parent / (tmp_path.name + "-df")
    other.mkdir()
    (other / "Build.Dockerfile").write_text("FROM scratch\n")
    key = content_key(context, other / "Build.Dockerfile")
    assert key != key_of(context)


def test_missing_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="input 'file'"):
        content_key(tmp_path, tmp_path / "Dockerfile")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(InputError, match="input 'context'"):
        content_key(tmp_path / "nope", tmp_path / "Dockerfile")
