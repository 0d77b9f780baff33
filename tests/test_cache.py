"""Cache attributes: scopes, read/write by policy, modes, the registry ref guard."""

from __future__ import annotations

import pytest

from ghbuild.cache import CacheMode, CacheSettings, cache_args, gha_scope, parse_mode
from ghbuild.errors import InputError

GHA_ENV = {"ACTIONS_CACHE_URL": "http://127.0.0.1:1/", "ACTIONS_RUNTIME_TOKEN": "x.y.z"}
IMG = "ghcr.io/acme/widget"


def test_two_images_get_two_scopes_identical_on_from_and_to():
    # The field case: two images in a workflow named "Build and Push Images".
    scopes = []
    for image in ("ghcr.io/acme-org/widget-api", "ghcr.io/acme-org/widget-web"):
        got = cache_args(CacheSettings(), image=image, tags=[f"{image}:main"], write=True,
                         environ=GHA_ENV)
        (src,), (dst,) = got.cache_from, got.cache_to
        scope_from = dict(p.split("=", 1) for p in src.split(","))["scope"]
        scope_to = dict(p.split("=", 1) for p in dst.split(","))["scope"]
        assert scope_from == scope_to
        assert " " not in scope_from and "," not in scope_from
        scopes.append(scope_from)
    assert scopes[0] != scopes[1]
    assert scopes == ["ghcr.io-acme-org-widget-api", "ghcr.io-acme-org-widget-web"]


@pytest.mark.parametrize(("image", "platform", "scope"), [
    ("ghcr.io/acme/widget", None, "ghcr.io-acme-widget"),
    ("ghcr.io/acme/widget:1.0", None, "ghcr.io-acme-widget"),
    ("127.0.0.1:5000/e2e/x", None, "127.0.0.1-5000-e2e-x"),
    ("ghcr.io/acme/widget", "linux/arm64", "ghcr.io-acme-widget-linux-arm64"),
    ("ghcr.io/acme/widget", "linux/arm/v7", "ghcr.io-acme-widget-linux-arm-v7"),
    ("ghcr.io/Acme/Wid get,x@sha256:abc", None, "ghcr.io-acme-wid-get-x"),
])
def test_gha_scope(image, platform, scope):
    assert gha_scope(image, platform) == scope


def test_gha_write_has_max_and_ignore_error_only_on_cache_to():
    got = cache_args(CacheSettings(), image=IMG, tags=[f"{IMG}:main"], write=True,
                     environ=GHA_ENV)
    assert got.cache_from == ("type=gha,scope=ghcr.io-acme-widget",)
    assert got.cache_to == ("type=gha,scope=ghcr.io-acme-widget,mode=max,ignore-error=true",)
    assert got.description == "gha scope=ghcr.io-acme-widget"


def test_gha_read_only_when_not_pushing():
    got = cache_args(CacheSettings(), image=IMG, tags=[f"{IMG}:pr-7"], write=False,
                     environ=GHA_ENV)
    assert got.cache_from == ("type=gha,scope=ghcr.io-acme-widget",)
    assert got.cache_to == ()
    assert "read only" in got.description


def test_gha_without_service_variables_warns_and_uses_no_cache():
    got = cache_args(CacheSettings(), image=IMG, tags=[f"{IMG}:main"], write=True,
                     environ={"ACTIONS_CACHE_URL": "http://x/"})
    assert (got.cache_from, got.cache_to) == ((), ())
    assert "ACTIONS_RUNTIME_TOKEN" in got.warnings[0]
    assert "ACTIONS_CACHE_URL" not in got.warnings[0]


def test_gha_fixed_scope_is_sanitised():
    got = cache_args(CacheSettings(scope="my scope,1"), image=IMG, tags=[], write=True,
                     environ=GHA_ENV)
    assert got.cache_from == ("type=gha,scope=my-scope-1",)


def test_gha_fixed_scope_keeps_the_platform_apart():
    got = cache_args(CacheSettings(scope="web"), image=IMG, tags=[], write=True,
                     platform="linux/arm64", environ=GHA_ENV)
    assert got.cache_from == ("type=gha,scope=web-linux-arm64",)


def test_registry_default_ref_and_write():
    got = cache_args(CacheSettings(mode=CacheMode.REGISTRY), image=IMG,
                     tags=[f"{IMG}:main"], write=True)
    assert got.cache_from == (f"type=registry,ref={IMG}:buildcache",)
    assert got.cache_to == (f"type=registry,ref={IMG}:buildcache,mode=max,ignore-error=true",)


def test_registry_ref_equal_to_an_image_tag_is_refused():
    settings = CacheSettings(mode=CacheMode.REGISTRY, ref=f"{IMG}:latest")
    with pytest.raises(InputError) as err:
        cache_args(settings, image=IMG, tags=[f"{IMG}:main", f"{IMG}:latest"], write=False)
    assert "input 'cache-ref'" in str(err.value)
    assert f"{IMG}:buildcache" in str(err.value)


def test_inline_reads_first_tag():
    got = cache_args(CacheSettings(mode=CacheMode.INLINE), image=IMG,
                     tags=[f"{IMG}:main", f"{IMG}:sha-1"], write=True)
    assert got.cache_from == (f"type=registry,ref={IMG}:main",)
    assert got.cache_to == ("type=inline",)


def test_local_needs_a_directory():
    with pytest.raises(InputError, match="input 'cache-dir' is required"):
        cache_args(CacheSettings(mode=CacheMode.LOCAL), image=IMG, tags=[], write=True)
    got = cache_args(CacheSettings(mode=CacheMode.LOCAL, directory="/tmp/c"), image=IMG,
                     tags=[], write=True)
    assert got.cache_to == ("type=local,dest=/tmp/c,mode=max,ignore-error=true",)


def test_none_mode():
    got = cache_args(CacheSettings(mode=CacheMode.NONE), image=IMG, tags=[], write=True)
    assert (got.cache_from, got.cache_to, got.description) == ((), (), "none")


def test_explicit_lines_replace_mode_but_write_still_follows_policy():
    settings = CacheSettings(cache_from=("type=registry,ref=r/c:1",),
                             cache_to=("type=registry,ref=r/c:1,mode=max",))
    wrote = cache_args(settings, image=IMG, tags=[], write=True)
    read = cache_args(settings, image=IMG, tags=[], write=False)
    assert wrote.cache_to == ("type=registry,ref=r/c:1,mode=max",)
    assert read.cache_from == ("type=registry,ref=r/c:1",) and read.cache_to == ()


@pytest.mark.parametrize(("raw", "mode"), [(None, CacheMode.GHA), ("", CacheMode.GHA),
                                           ("Registry", CacheMode.REGISTRY),
                                           ("none", CacheMode.NONE)])
def test_parse_mode(raw, mode):
    assert parse_mode(raw) is mode


def test_parse_mode_bad():
    with pytest.raises(InputError, match="input 'cache' must be one of gha, registry"):
        parse_mode("s3")


@pytest.mark.parametrize(("env", "missing"), [
    (GHA_ENV, ""),
    ({"ACTIONS_RUNTIME_TOKEN": "x.y.z", "ACTIONS_RESULTS_URL": "http://127.0.0.1:1/",
      "ACTIONS_CACHE_SERVICE_V2": "True"}, ""),
    # the results URL alone is the v2 service only when the switch says so
    ({"ACTIONS_RUNTIME_TOKEN": "x.y.z", "ACTIONS_RESULTS_URL": "http://127.0.0.1:1/"},
     "ACTIONS_CACHE_URL (or ACTIONS_RESULTS_URL with ACTIONS_CACHE_SERVICE_V2=true)"),
    ({"ACTIONS_CACHE_URL": "http://127.0.0.1:1/"}, "ACTIONS_RUNTIME_TOKEN"),
    ({}, "ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_URL (or ACTIONS_RESULTS_URL with "
         "ACTIONS_CACHE_SERVICE_V2=true)"),
], ids=["v1", "v2", "v2-no-switch", "no-token", "nothing"])
def test_gha_service_v1_or_v2(env, missing):
    from ghbuild.cache import gha_missing

    assert gha_missing(env) == missing
    got = cache_args(CacheSettings(), image=IMG, tags=[f"{IMG}:main"], write=True, environ=env)
    assert bool(got.cache_from) == (missing == "")
    if missing:
        (warning,) = got.warnings
        assert f"cache 'gha' needs {missing} in the environment" in warning


def test_for_engine_drops_export_only_where_the_docker_driver_refuses_it():
    from ghbuild.cache import for_engine

    settings = CacheSettings(mode=CacheMode.REGISTRY)
    args = cache_args(settings, image=IMG, tags=[f"{IMG}:main"], write=True)
    assert for_engine(args, driver="docker-container", containerd_store=False) is args
    assert for_engine(args, driver="docker", containerd_store=True) is args
    assert for_engine(args, driver="docker", containerd_store=None) is args
    dropped = for_engine(args, driver="docker", containerd_store=False)
    assert dropped.cache_to == () and dropped.cache_from == args.cache_from
    (warning,) = dropped.warnings
    assert "docker/setup-buildx-action" in warning
    inline = cache_args(CacheSettings(mode=CacheMode.INLINE), image=IMG, tags=[f"{IMG}:main"],
                        write=True)
    assert for_engine(inline, driver="docker", containerd_store=False) is inline
    custom = cache_args(CacheSettings(cache_to=("type=inline", "type=local,dest=/c")),
                        image=IMG, tags=[], write=True)
    assert for_engine(custom, driver="docker", containerd_store=False).cache_to == \
        ("type=inline",)
