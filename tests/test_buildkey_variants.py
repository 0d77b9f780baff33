"""The build key of a build variant, the named contexts in the content key, and the meta
engine's release tags (the three "build once" holes; see tests/commands/test_run_variants.py
for the same through ``ghbuild run``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghbuild import buildkey, meta
from ghbuild.build import BuildInputs, KeyValue
from ghbuild.buildkey import BuildSettings, content_key, key_tag_name, revision_key
from ghbuild.context import Context
from ghbuild.errors import InputError
from ghbuild.registry import ImageRef

SHA = "0123456789abcdef0123456789abcdef01234567"


# -- the revision key of a variant ------------------------------------------------------------
def test_default_settings_keep_the_plain_revision_key():
    assert revision_key(SHA, BuildSettings()) == revision_key(SHA) == f"rev-{SHA}"
    for context in (".", "./", "", "sub/.."):
        settings = buildkey.build_settings(BuildInputs(context=context, file="Dockerfile"))
        assert settings.is_default, context
    assert buildkey.settings_from_env({}).is_default


def test_a_sub_directory_context_is_a_setting_in_any_spelling(tmp_path):
    spellings = ["app", "./app", "app/", "app/../app", str(tmp_path / "app")]
    got = {buildkey.build_settings(BuildInputs(context=c), tmp_path) for c in spellings}
    assert got == {BuildSettings(context="app")}
    # the context's own Dockerfile, named or not, is still the default file
    named = buildkey.build_settings(BuildInputs(context="app", file="app/Dockerfile"))
    assert named == BuildSettings(context="app")
    assert revision_key(SHA, named) != revision_key(SHA)
    assert revision_key(SHA, named) != revision_key(SHA, BuildSettings(context="web"))


def test_a_context_at_the_root_keeps_the_digest_variants_had_before():
    # The context enters the digest only when it is not the workspace, so a variant of a
    # root build (target: debug) keeps its key tag; this is the digest of that format.
    assert BuildSettings(target="debug").digest() == "d54a0419ef7a"
    assert BuildSettings(context="app", target="debug").digest() != "d54a0419ef7a"


@pytest.mark.parametrize("context", [
    "https://github.com/a/b.git#main:sub", "git@github.com:a/b.git", "-",
])
def test_a_remote_context_is_kept_as_given(context):
    settings = buildkey.build_settings(BuildInputs(context=f" {context} "))
    assert settings.context == context
    assert revision_key(SHA, settings) != revision_key(SHA)


def test_two_git_url_contexts_of_one_commit_differ():
    one = buildkey.settings_from_env({"INPUT_CONTEXT": "https://github.com/a/b.git#main:api"})
    two = buildkey.settings_from_env({"INPUT_CONTEXT": "https://github.com/a/b.git#main:web"})
    assert revision_key(SHA, one) != revision_key(SHA, two)


def test_a_context_url_token_stays_out_of_the_context_setting():
    token = "ghp_e2eContextToken0123456789"
    url = "https://github.com/a/b.git#main"
    with_token = buildkey.settings_from_env(
        {"INPUT_CONTEXT": f"https://x-access-token:{token}@github.com/a/b.git#main"})
    assert token not in repr(with_token)
    assert with_token == buildkey.settings_from_env({"INPUT_CONTEXT": url})


def test_secrets_stay_out_of_the_settings():
    # Neither a value (a hash of a short secret in a public tag is brute-forceable) nor an
    # id (it says what a build may fetch, not which image it makes).
    plain = buildkey.settings_from_env({})
    with_secrets = buildkey.settings_from_env({"INPUT_SECRETS": "npm=s3cr3t-pin-1234",
                                               "INPUT_SECRET-ENVS": "gh=GH_TOKEN"})
    assert with_secrets == plain and "s3cr3t" not in repr(with_secrets)


@pytest.mark.parametrize("settings", [
    BuildSettings(target="debug"), BuildSettings(file="Dockerfile.debug"),
    BuildSettings(context="app"),
    BuildSettings(build_args=(("MODE", "debug"),)),
    BuildSettings(build_contexts=("extra=./extra",)),
])
def test_each_setting_gives_its_own_suffixed_key(settings):
    key = revision_key(SHA, settings)
    assert key.startswith(f"rev-{SHA}-") and len(key) == len(f"rev-{SHA}") + 13
    assert key != revision_key(SHA, BuildSettings(target="other"))


def test_settings_read_from_inputs_are_normalised():
    one = buildkey.build_settings(BuildInputs(
        file="./docker/Dockerfile", build_args=(KeyValue("A", "1"), KeyValue("B", "2")),
        build_contexts=("x = ./lib",)))
    two = buildkey.build_settings(BuildInputs(
        file="docker/Dockerfile", build_args=(KeyValue("B", "2"), KeyValue("A", "1")),
        build_contexts=("x=./lib",)))
    assert revision_key(SHA, one) == revision_key(SHA, two)


def test_a_credential_build_arg_value_never_reaches_the_settings():
    settings = buildkey.build_settings(BuildInputs(build_args=(KeyValue("NPM_TOKEN", "s3cr3t"),)))
    assert "s3cr3t" not in repr(settings)
    other = buildkey.build_settings(BuildInputs(build_args=(KeyValue("NPM_TOKEN", "other"),)))
    assert revision_key(SHA, settings) == revision_key(SHA, other) != revision_key(SHA)


def test_env_and_config_inputs_give_the_same_settings_as_run():
    env = {"INPUT_TARGET": "debug", "INPUT_BUILD-ARGS": "A=1", "INPUT_CONTEXT": "app"}
    from_env = buildkey.settings_from_env(env)
    assert from_env == buildkey.settings_from_inputs({"target": "debug", "build-args": "A=1",
                                                      "context": "app"})
    assert from_env.target == "debug" and not from_env.is_default


@given(st.text("0123456789abcdef", min_size=64, max_size=64),
       st.text(min_size=1, max_size=30))
def test_a_variant_key_tag_is_valid_and_in_the_reserved_namespace(sha, target):
    tag = key_tag_name(revision_key(sha, BuildSettings(target=target)))
    assert len(tag) <= 128 and buildkey.is_key_tag(tag)
    assert ImageRef.parse(f"ghcr.io/a/b:{tag}").tag == tag


def test_a_malformed_suffix_is_not_a_key():
    with pytest.raises(InputError):
        key_tag_name(f"rev-{SHA}-XYZ")


def test_matrix_and_merge_ask_for_the_variant_key(tmp_path):
    from ghbuild.matrix import registry_check

    asked = []

    class Client:
        def check(self, ref, platforms=()):
            asked.append(ref.tag)
            from ghbuild.registry import Presence
            return Presence.absent(str(ref), "404")

    settings = BuildSettings(target="debug")
    check = registry_check(Client(), {"ghcr.io/a/b": settings})
    check("ghcr.io/a/b", SHA, ())
    check("ghcr.io/a/c", SHA, ())
    assert asked == [key_tag_name(revision_key(SHA, settings)),
                     key_tag_name(revision_key(SHA))]


def test_the_platform_job_key_tag_carries_the_settings():
    from ghbuild.commands.platform import _key_tag

    settings = buildkey.settings_from_env({"INPUT_TARGET": "debug"})
    assert _key_tag(SHA, settings) == key_tag_name(revision_key(SHA, settings))
    assert _key_tag(SHA, settings) != _key_tag(SHA)


# -- the content key and named contexts --------------------------------------------------------
@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\nCOPY --from=extra . /x\n")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "data.txt").write_text("one")
    return tmp_path


def _key(tree, contexts=("extra=extra",), **kw):
    return content_key(tree / "app", None, build_contexts=contexts, base=tree, **kw)


def test_a_named_local_context_is_in_the_content_key(tree):
    before = _key(tree)
    assert before != _key(tree, contexts=())
    (tree / "extra" / "data.txt").write_text("two")
    assert _key(tree) != before


def test_the_named_contexts_own_dockerignore_is_applied(tree):
    # BuildKit applies the .dockerignore at the root of a named local context (checked
    # with buildx 0.13.1: an ignored file is not in COPY --from=<name>).
    (tree / "extra" / ".dockerignore").write_text("scratch.log\n")
    before = _key(tree)
    (tree / "extra" / "scratch.log").write_text("noise")
    assert _key(tree) == before
    (tree / "extra" / "data.txt").write_text("changed")
    assert _key(tree) != before


def test_remote_named_contexts_are_named_for_the_warning(tree):
    lines = ["base=docker-image://alpine:3.20", "lay=oci-layout:///tmp/l", "local=extra",
             "src=https://example.invalid/a.tar", "repo=git@github.com:a/b.git"]
    assert buildkey.remote_contexts(lines) == ["base", "lay", "src", "repo"]
    # their values are in the key (a pinned digest that changes does change it)
    assert _key(tree, contexts=("b=docker-image://a@sha256:" + "1" * 64,)) != \
        _key(tree, contexts=("b=docker-image://a@sha256:" + "2" * 64,))


def test_a_missing_named_directory_is_an_error_naming_the_line(tree):
    with pytest.raises(InputError, match=r"input 'build-contexts' line 2: gone='gone'"):
        _key(tree, contexts=("extra=extra", "gone=gone"))


@pytest.mark.parametrize("line", ["extra", "=x", "extra="])
def test_a_malformed_named_context_line_is_an_error(line):
    with pytest.raises(InputError, match="input 'build-contexts' line 1: expected name=value"):
        buildkey.named_contexts([line])


def test_named_context_outside_the_workspace_is_refused(tree):
    ws = tree / "app"
    with pytest.raises(InputError, match=r"input 'build-contexts' line 1: extra='\.\./extra' "
                                         r"resolves to .*, outside the workspace"):
        buildkey.check_context_paths(["extra=../extra"], cwd=str(ws), workspace=str(ws))
    buildkey.check_context_paths(["img=docker-image://alpine"], cwd=str(ws), workspace=str(ws))


def test_platforms_are_normalised_in_the_content_key(tree):
    assert _key(tree, platforms=["linux/AMD64", "linux/arm64", "linux/amd64"]) == \
        _key(tree, platforms=["linux/arm64", "linux/amd64"])


def test_a_credential_build_arg_value_stays_out_of_the_content_key(tree):
    assert _key(tree, build_args=[("NPM_TOKEN", "a")]) == _key(tree, build_args=[("NPM_TOKEN",
                                                                                  "b")])
    assert _key(tree, build_args=[("MODE", "a")]) != _key(tree, build_args=[("MODE", "b")])


# -- the meta engine's release tags ------------------------------------------------------------
def _meta(ref: str, tags: str, flavor: str = "") -> meta.MetaResult:
    ctx = Context(event_name="push", ref=ref, sha=SHA, repository="acme/widget")
    inputs = meta.MetaInputs(images=("ghcr.io/acme/widget",), tags=(tags,),
                             flavor=(flavor,) if flavor else ())
    return meta.compute(ctx, inputs)


@pytest.mark.parametrize("ref, tags, flavor, releases", [
    ("refs/tags/v5.0.0", "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}",
     "prefix=app-", ["app-5.0.0"]),
    ("refs/tags/v5.0.0", "type=semver,pattern=v{{version}}-slim\n"
                         "type=semver,pattern={{major}}.{{minor}}", "", ["v5.0.0-slim"]),
    ("refs/tags/v5.0.0-rc.1", "type=semver,pattern={{major}}", "", ["5.0.0-rc.1"]),
    ("refs/tags/2.0.0rc1", "type=pep440,pattern={{version}}\ntype=pep440,pattern={{major}}",
     "", ["2.0.0rc1"]),
    ("refs/tags/v2.1", "type=pep440,pattern={{raw}}", "suffix=-debug", ["v2.1-debug"]),
    ("refs/heads/main", "type=ref,event=branch\ntype=raw,value=1.2.3", "", []),
])
def test_release_tags_are_the_full_version_tags(ref, tags, flavor, releases):
    result = _meta(ref, tags, flavor)
    assert result.release_tags == tuple(f"ghcr.io/acme/widget:{r}" for r in releases)
    assert set(result.release_tags) <= set(result.tags)
    assert "release_tags" not in result.to_json()  # the ghbuild meta contract is unchanged


def test_promotion_predicate_knows_semver_and_the_given_release_tags():
    from ghbuild.registry.promote import immutable_tags

    immutable = immutable_tags({"app-5.0.0", "2.0.0rc1"})
    assert immutable("app-5.0.0") and immutable("2.0.0rc1") and immutable("v1.2.3")
    assert not immutable("app-5") and not immutable("latest") and not immutable("main")


def test_a_context_url_token_never_reaches_the_settings_or_the_key():
    # build.py takes the userinfo out of a context URL (it becomes a build secret); the
    # key is that of the same URL without it.
    token = "ghp_e2eVariantToken0123456789"
    with_token = buildkey.settings_from_env(
        {"INPUT_BUILD-CONTEXTS": f"src=https://x-access-token:{token}@github.com/a/b.git"})
    without = buildkey.settings_from_env({"INPUT_BUILD-CONTEXTS":
                                          "src=https://github.com/a/b.git"})
    assert token not in repr(with_token) and with_token == without
    assert revision_key(SHA, with_token) == revision_key(SHA, without)
