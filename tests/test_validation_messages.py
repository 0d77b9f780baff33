"""Smaller input problems and what their message says: the right input, the right host,
no echo of megabytes, no suggestion of the value just refused.

Those that reach a registry are also run against a real one in
tests/e2e/test_validation_run.py (the unreachable token realm, the case duplicates).
"""

from __future__ import annotations

import json

import pytest
import requests

from ghbuild import cli
from ghbuild.cache import check_cache_ref
from ghbuild.config import load_config_text
from ghbuild.errors import InputError
from ghbuild.meta.labels import parse_levels
from ghbuild.registry import CredentialStore, ImageRef, RegistryClient, State
from ghbuild.registry.reference import check_host
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines, outputs
from tests.registry.fakeregistry import FakeRegistry

harness = run_tests.harness
ws = run_tests.ws


# -- DOCKER_METADATA_ANNOTATIONS_LEVELS ------------------------------------------------------
def test_annotation_level_platforms_are_checked():
    assert parse_levels("manifest[linux/amd64],index[linux/arm/v7]") == (
        "manifest[linux/amd64]", "index[linux/arm/v7]")
    with pytest.raises(InputError) as got:
        parse_levels("manifest[linux/amd6]")
    assert str(got.value) == ("DOCKER_METADATA_ANNOTATIONS_LEVELS: level "
                              "'manifest[linux/amd6]' in 'manifest[linux/amd6]': 'linux/amd6' is "
                              "not a platform: unknown architecture 'amd6' (did you mean "
                              "linux/amd64?)")


def test_meta_refuses_a_bad_level_platform(monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_METADATA_ANNOTATIONS_LEVELS", "manifest[linux/amd6]")
    assert cli.main(["meta", "--images", "x/y"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "'linux/amd6' is not a platform" in captured.err


# -- images that differ only in case ---------------------------------------------------------
def test_images_differing_in_case_are_one_image(harness, tmp_path):
    code, runner, _, io = harness({"INPUT_IMAGES": "ghcr.io/acme/app,ghcr.io/ACME/App"})
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    tags = [build[i + 1] for i, arg in enumerate(build) if arg == "--tag"]
    assert tags.count("ghcr.io/acme/app:main") == 1
    assert "::notice::image name ghcr.io/ACME/App lowercased to ghcr.io/acme/app" in io.err
    assert "image ghcr.io/acme/app is given 2 times (differing only in case)" in io.err
    assert outputs(tmp_path)["tags"] == "ghcr.io/acme/app:main"


# -- the registry cache ref -----------------------------------------------------------------
def test_default_cache_ref_clash_blames_tags_and_suggests_another_tag():
    with pytest.raises(InputError) as got:
        check_cache_ref("ghcr.io/a/b:buildcache", ["ghcr.io/a/b:buildcache"], given=False)
    text = str(got.value)
    assert text.startswith("input 'tags' gives 'ghcr.io/a/b:buildcache', which is also the "
                           "default registry cache ref")
    assert "set input 'cache-ref' to another tag, e.g. ghcr.io/a/b:cache" in text
    with pytest.raises(InputError) as given:
        check_cache_ref("ghcr.io/a/b:buildcache", ["ghcr.io/a/b:buildcache"])
    assert "input 'cache-ref'" in str(given.value) and "e.g. ghcr.io/a/b:cache" in str(given.value)


def test_run_with_a_buildcache_tag_and_no_cache_ref(harness):
    code, runner, _, io = harness({"INPUT_CACHE": "registry",
                                   "INPUT_TAGS": "type=raw,value=buildcache"})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "input 'tags' gives 'ghcr.io/acme-org/widget:buildcache'" in line
    assert "e.g. ghcr.io/acme-org/widget:cache" in line
    assert runner.calls == []


# -- references -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["127.0.0.1:99999/x:y", "reg.test:0/x", "[::1]:70000/x"])
def test_a_port_out_of_range_is_an_input_error(text):
    with pytest.raises(InputError, match=r"the port of .* is out of range \(1 to 65535\)"):
        ImageRef.parse(text)


def test_ports_in_range_and_hosts():
    assert ImageRef.parse("127.0.0.1:65535/x:y").registry == "127.0.0.1:65535"
    assert ImageRef.parse("[::1]:5000/x").registry == "[::1]:5000"
    with pytest.raises(InputError, match="out of range"):
        check_host("reg.test:99999")


def test_inspect_a_port_out_of_range_exits_2(capsys):
    assert cli.main(["inspect", "127.0.0.1:99999/x:y"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_an_over_long_name_says_it_is_too_long(capsys):
    long_name = "ghcr.io/acme/" + "a" * 300
    with pytest.raises(InputError) as got:
        ImageRef.parse(long_name)
    assert "characters long, more than the 255 a registry takes" in str(got.value)
    assert cli.main(["meta", "--images", long_name]) == 2
    err = capsys.readouterr().err
    assert "the image name is 313 characters long, more than the 255" in err
    assert len(err) < 400


def test_a_huge_value_is_not_echoed_whole():
    with pytest.raises(InputError) as got:
        ImageRef.parse("ghcr.io/acme/" + "A" * 3_000_000)
    assert len(str(got.value)) < 1000 and "(3000000 characters)" in str(got.value)


# -- the token realm ----------------------------------------------------------------------
def test_an_unreachable_token_realm_is_named_not_the_registry():
    fake = FakeRegistry(auth="bearer", realm="https://auth.down.test/token")
    fake.add_image("acme/app", "v1")

    def down(request, parts):
        raise requests.ConnectionError("Connection refused")

    fake._token_service = down  # type: ignore[method-assign]
    client = RegistryClient(CredentialStore.static({}), session=fake.session(), retries=0)
    got = client.check(ImageRef.parse("reg.test/acme/app:v1"))
    assert got.state is State.UNKNOWN
    assert "cannot reach the token service auth.down.test that registry reg.test sends " \
           "clients to (https://auth.down.test/token)" in got.reason
    assert "cannot reach registry" not in got.reason


# -- merge, init --------------------------------------------------------------------------------
def test_merge_names_a_missing_digests_directory_first(capsys, tmp_path):
    assert cli.main(["merge", "--digests", str(tmp_path / "gone"),
                     "--platforms", "linux/amd64"]) == 2
    assert f"--digests {tmp_path / 'gone'}: no such directory" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert cli.main(["merge", "--digests", str(tmp_path / "file"),
                     "--platforms", "linux/amd64"]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["merge", "--digests", str(tmp_path / "empty"),
                     "--platforms", "linux/amd64"]) == 2
    assert "no *.json handover files in it" in capsys.readouterr().err


def test_init_dir_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    assert cli.main(["init", "--dir", str(target), "--image", "ghcr.io/a/b"]) == 2
    assert f"--dir {target}: is a file, not a directory" in capsys.readouterr().err


# -- config file messages -----------------------------------------------------------------
def test_version_quoted_says_to_drop_the_quotes():
    with pytest.raises(InputError) as got:
        load_config_text('version: "1"\nimages:\n  - name: ghcr.io/a/b\n', "cfg.yml")
    assert str(got.value) == ("cfg.yml:1:10: version: expected one of 1, got '1' (write 1 "
                              "without quotes: quoted, YAML reads it as text)")


def test_a_huge_config_scalar_is_cut():
    text = "version: 1\nimages:\n  - name: ghcr.io/a/" + "B" * 3_000_000 + "\n"
    with pytest.raises(InputError) as got:
        load_config_text(text, "cfg.yml")
    assert len(str(got.value)) < 1000 and "(3000010 characters)" in str(got.value)


# -- duplicate attributes in a tag rule: metadata-action's last-wins, kept --------------------
def test_a_repeated_tag_attribute_keeps_the_last_as_metadata_action_does(monkeypatch, capsys):
    # metadata-action's tag parser assigns each key=value into one object in order, so a
    # later value replaces an earlier one without a word; ghbuild meta gives the same tags
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    assert cli.main(["meta", "--images", "x/y", "--tags", "type=raw,value=ok,value=two"]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == ["x/y:two"]
