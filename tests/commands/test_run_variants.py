"""``ghbuild run``: "build once" never reuses or overwrites the wrong image.

Three holes a hostile tester found: a build variant of one commit (another target, file,
build args or named contexts) found the first variant's key tag; release tags that are
not plain semver (``app-5.0.0``, ``2.0.0rc1``) were not locked; and ``build-key: content``
did not see the named build contexts. The harness (real meta engine, faked processes and
registry) is the one of test_run.py; the real engine and registry run the same cases in
tests/e2e/test_run_variants.py.
"""

from __future__ import annotations

import pytest

from ghbuild.registry import Presence, State
from tests.commands.test_run import (  # noqa: F401 - fixtures
    DIGEST,
    OTHER,
    SHA,
    FakeClient,
    error_lines,
    harness,
    key_for,
    outputs,
    ws,
)


@pytest.fixture()
def go(harness):  # noqa: F811 (the imported fixture)
    """test_run.py's harness: run ``ghbuild run`` with env additions."""
    return harness


@pytest.fixture()
def root(ws):  # noqa: F811 (the imported fixture)
    """test_run.py's workspace (``app/Dockerfile``)."""
    return ws


PLAIN = f"ghcr.io/acme-org/widget:ghbuild-key-rev-{SHA}"
# The harness builds context ``app``: a sub-directory is part of the key.
KEY = f"ghcr.io/acme-org/widget:ghbuild-key-{key_for('app')}"


def _checked_key(client: FakeClient) -> str:
    (checked,) = client.checked
    return checked


# -- 1. a build variant has its own key ------------------------------------------------------
@pytest.mark.parametrize("context", [".", "./", ""])
def test_the_default_build_keeps_the_plain_revision_key(go, root, context):
    (root / "Dockerfile").write_text("FROM scratch\n")
    code, _, client, io = go({"INPUT_CONTEXT": context})
    assert code == 0, io.err
    assert _checked_key(client) == PLAIN


@pytest.mark.parametrize("context", ["app", "./app", "app/", "app/../app"])
def test_a_sub_directory_context_has_its_own_key_in_any_spelling(go, context):
    code, _, client, io = go({"INPUT_CONTEXT": context})
    assert code == 0, io.err
    assert _checked_key(client) == KEY != PLAIN
    assert KEY.startswith(PLAIN + "-") and len(KEY) == len(PLAIN) + 13


def test_two_contexts_of_one_commit_into_one_image_do_not_share_a_key(go, root):
    # The reported hole: the plain (or the other context's) key tag was present, so the
    # second context's build was wrongly skipped as a retag.
    (root / "web").mkdir()
    (root / "web" / "Dockerfile").write_text("FROM scratch\n")
    present = Presence(State.PRESENT, ref=KEY, digest=OTHER)

    class OnlyAppKey(FakeClient):
        def check(self, ref, *, describe=False, **kw):
            if describe:
                return super().check(ref, describe=True)
            self.checked.append(str(ref))
            return present if str(ref) == KEY else Presence.absent(str(ref), "404")

    code, runner, client, io = go({"INPUT_CONTEXT": "web"}, client=OnlyAppKey())
    assert code == 0, io.err
    assert _checked_key(client) not in (KEY, PLAIN)
    assert len(runner.argvs("docker", "buildx", "build")) == 1
    assert outputs(root.parent)["action"] == "build"


@pytest.mark.parametrize("inputs", [
    {"INPUT_TARGET": "debug"},
    {"INPUT_FILE": "app/Dockerfile.debug"},
    {"INPUT_BUILD-ARGS": "MODE=debug"},
    {"INPUT_BUILD-CONTEXTS": "extra=app"},
], ids=["target", "file", "build-args", "build-contexts"])
def test_a_variant_checks_its_own_key_tag_and_builds(go, root, inputs):
    (root / "app" / "Dockerfile.debug").write_text("FROM scratch\n")
    # input target must name a stage of the Dockerfile (build.check_input_files)
    (root / "app" / "Dockerfile").write_text("FROM scratch AS debug\n")
    # The plain key tag is present (the default variant was built): the variant must not
    # reuse it, so the registry is asked for another tag and answers absent.
    present = Presence(State.PRESENT, ref=KEY, digest=OTHER)

    class OnlyPlainKey(FakeClient):
        def check(self, ref, *, describe=False, **kw):
            if describe:  # the platforms read after the push
                return super().check(ref, describe=True)
            self.checked.append(str(ref))
            return present if str(ref) == KEY else Presence.absent(str(ref), "404")

    code, runner, client, io = go({"INPUT_FLAVOR": "suffix=-debug", **inputs},
                                       client=OnlyPlainKey())
    assert code == 0, io.err
    checked = _checked_key(client)
    assert checked.startswith(PLAIN + "-") and len(checked) == len(PLAIN) + 13
    assert checked != KEY
    (build,) = runner.argvs("docker", "buildx", "build")
    assert checked in build                      # the variant records its own key tag
    assert outputs(root.parent)["action"] == "build"


def test_no_cache_builds_even_when_the_key_tag_is_present(go, root):
    # A retag would hand back the image the user asked to rebuild from scratch.
    present = Presence(State.PRESENT, ref=KEY, digest=OTHER)
    code, runner, client, io = go({"INPUT_NO-CACHE": "true"}, client=FakeClient(present))
    assert code == 0, io.err
    assert client.checked == [] and client.promoted == []
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--no-cache" in build and "--push" in build
    assert KEY in build           # the fresh image takes over the key tag
    why = "no-cache is true: a fresh build was asked for, so no image is reused"
    assert f"registry check: off ({why}): building" in io.err
    assert f"build decision: build — the registry check is off ({why})" in io.err
    assert outputs(root.parent)["action"] == "build"


def test_the_same_settings_give_the_same_key_in_any_order_or_spelling(go):
    _, _, first, _ = go({"INPUT_BUILD-ARGS": "A=1\nB=2", "INPUT_FILE": "./app/Dockerfile"})
    _, _, second, _ = go({"INPUT_BUILD-ARGS": "B=2\nA=1", "INPUT_FILE": "app/Dockerfile"})
    _, _, third, _ = go({"INPUT_BUILD-ARGS": "B=3\nA=1"})
    assert _checked_key(first) == _checked_key(second) != _checked_key(third)


def test_a_credential_build_arg_enters_the_key_by_name_only(go):
    one = go({"INPUT_BUILD-ARGS": "NPM_TOKEN=tok-aaaa-1111"})
    two = go({"INPUT_BUILD-ARGS": "NPM_TOKEN=tok-bbbb-2222"})
    assert _checked_key(one[2]) == _checked_key(two[2]) != KEY


# -- 2. release tags that are not plain semver are locked too ---------------------------------
PREFIXED = "ghcr.io/acme-org/widget:app-5.0.0"
PEP440 = "ghcr.io/acme-org/widget:2.0.0rc1"


@pytest.mark.parametrize("env, release", [
    ({"GITHUB_REF": "refs/tags/v5.0.0", "INPUT_FLAVOR": "prefix=app-"}, PREFIXED),
    ({"GITHUB_REF": "refs/tags/2.0.0rc1", "INPUT_TAGS": "type=pep440,pattern={{version}}"},
     PEP440),
], ids=["prefix", "pep440"])
def test_a_build_that_would_move_such_a_release_tag_is_refused(go, tmp_path, env,
                                                                release):
    client = FakeClient(existing={release: Presence(State.PRESENT, ref=release, digest=OTHER)})
    code, runner, client, io = go({**env, "INPUT_PASSWORD": "pw-variant-1"}, client=client)
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"{release} is {OTHER}" in line and "nothing was built or pushed" in line
    assert runner.calls == [] and client.promoted == []


def test_a_floating_prefixed_tag_still_moves(go):
    # {{major}} names no one release: the guard does not look app-5 up (only the check
    # after the push reads it), and the build runs.
    floating = "ghcr.io/acme-org/widget:app-5"
    code, runner, client, io = go({"GITHUB_REF": "refs/tags/v5.0.0",
                                        "INPUT_FLAVOR": "prefix=app-",
                                        "INPUT_TAGS": "type=semver,pattern={{major}}"})
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "build")) == 1
    assert client.resolved_refs.count(floating) == 1


def test_a_retag_passes_promotion_a_predicate_that_knows_the_release_tags(go):
    seen = {}

    class Recording(FakeClient):
        def promote(self, source, targets, *, allow_move=False, immutable=None, **_):
            seen["immutable"] = immutable
            return super().promote(source, targets, allow_move=allow_move)

    present = Presence(State.PRESENT, ref=KEY, digest=DIGEST, platforms=("linux/amd64",))
    code, _, _, io = go({"GITHUB_REF": "refs/tags/v5.0.0", "INPUT_FLAVOR": "prefix=app-",
                              "INPUT_TAGS": "type=semver,pattern={{version}}\n"
                                            "type=semver,pattern={{major}}"},
                             client=Recording(present, resolved=DIGEST))
    assert code == 0, io.err
    immutable = seen["immutable"]
    assert immutable("app-5.0.0") and immutable("1.2.3")
    assert not immutable("app-5") and not immutable("latest")


# -- 3. the content key sees the named contexts; paths stay in the workspace ------------------
def test_content_key_changes_with_a_named_local_context(go, root):
    (root / "extra").mkdir()
    (root / "extra" / "data.txt").write_text("one")
    env = {"INPUT_BUILD-KEY": "content", "INPUT_BUILD-CONTEXTS": "extra=extra"}
    _, _, before, _ = go(env)
    (root / "extra" / "data.txt").write_text("two")
    _, _, after, _ = go(env)
    assert _checked_key(before) != _checked_key(after)


def test_content_key_warns_once_about_a_remote_named_context(go):
    code, _, _, io = go({"INPUT_BUILD-KEY": "content",
                              "INPUT_BUILD-CONTEXTS": "base=docker-image://alpine:3.20\n"
                                                      "src=https://example.invalid/a.tar"})
    assert code == 0, io.err
    (warning,) = [line for line in io.err.splitlines() if "cannot see into" in line]
    assert "base, src" in warning and "build-key: revision or no-cache" in warning


def test_a_named_context_outside_the_workspace_is_refused(go, tmp_path):
    code, runner, client, io = go({"INPUT_BUILD-CONTEXTS": f"extra={tmp_path}"})
    assert code == 2, io.err
    (line,) = error_lines(io.err)
    assert "input 'build-contexts' line 1" in line and "outside the workspace" in line
    assert runner.calls == [] and client.checked == []
