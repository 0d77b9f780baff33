"""Build inputs buildx would parse, checked by ghbuild before anything runs: each bad
value is one input error naming the input, each value buildx takes passes.

Which values buildx 0.13 takes is checked against the real buildx in
tests/e2e/test_validation_run.py (the accepted ones build, the refused ones never reach it).
"""

from __future__ import annotations

import pytest

from ghbuild.build import (
    BuildInputs,
    KeyValue,
    check_add_host,
    check_attestation,
    check_input_files,
    check_output,
    check_shm_size,
    check_ulimit,
)
from ghbuild.commands import run as run_cmd
from ghbuild.dockerstages import stage_names
from ghbuild.errors import InputError
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

harness = run_tests.harness
ws = run_tests.ws


# -- provenance and sbom ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "value"), [
    ("provenance", "true"), ("provenance", "false"), ("provenance", "1"), ("provenance", "F"),
    ("provenance", "mode=min"), ("provenance", "mode=max"), ("provenance", "mode=max,version=v1"),
    ("provenance", "builder-id=https://example.com/run/1"), ("provenance", "disabled=true"),
    ("sbom", "true"), ("sbom", "false"), ("sbom", "generator=docker/buildkit-syft-scanner"),
    ("provenance", ""),
])
def test_attestation_values_buildx_takes(name, value):
    check_attestation(name, value)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("provenance", "mode=maxx", "input 'provenance': mode='maxx' is not one of min, max "
                                "(did you mean 'max'?)"),
    ("provenance", "maybe", "input 'provenance': 'maybe' in 'maybe' is not key=value"),
    ("provenance", "mode=MAX", "mode='MAX' is not one of min, max"),
    ("provenance", "mode=min,", "'' in 'mode=min,' is not key=value"),
    ("sbom", "perhaps", "input 'sbom': 'perhaps' in 'perhaps' is not key=value; expected "
                        "true, false or attributes such as generator=IMAGE"),
    ("sbom", "disabled=sometimes", "input 'sbom': disabled must be true or false"),
    ("sbom", "generator=", "input 'sbom': generator= needs an image name"),
])
def test_attestation_values_refused(name, value, message):
    with pytest.raises(InputError) as got:
        check_attestation(name, value)
    assert message in str(got.value)


# -- shm-size, ulimit, add-hosts, outputs ---------------------------------------------------
@pytest.mark.parametrize("value", ["2g", "512m", "1gb", "1GiB", "1024", "1.5g", "64 m", ""])
def test_sizes_buildx_takes(value):
    check_shm_size(value)


@pytest.mark.parametrize("value", ["lots", "2 gigs", "-1g", "g", "2x"])
def test_sizes_refused(value):
    with pytest.raises(InputError, match=r"input 'shm-size': .* is not a size"):
        check_shm_size(value)


@pytest.mark.parametrize("value", ["nofile=1024", "nofile=1024:2048", "core=-1", "nproc=0:0"])
def test_ulimits_buildx_takes(value):
    check_ulimit(1, value)


@pytest.mark.parametrize(("value", "message"), [
    ("nofile", "input 'ulimit' line 3: 'nofile' is not type=soft[:hard]"),
    ("nofiles=10", "unknown ulimit type 'nofiles'"),
    ("nofile=many", "the limits must be whole numbers"),
    ("nofile=10:x", "the limits must be whole numbers"),
    ("nofile=2048:1024", "the soft limit is above the hard limit"),
])
def test_ulimits_refused(value, message):
    with pytest.raises(InputError) as got:
        check_ulimit(3, value)
    assert message in str(got.value)


@pytest.mark.parametrize("value", ["db:10.0.0.5", "db=10.0.0.5", "v6:::1", "v6=[::1]",
                                   "gw:host-gateway", "a.b-c:192.168.1.1"])
def test_hosts_buildx_takes(value):
    check_add_host(value)


@pytest.mark.parametrize("value", ["foo", "db:", ":10.0.0.1", "db:not-an-ip", "db=10.0.0.300"])
def test_hosts_refused(value):
    with pytest.raises(InputError, match=r"input 'add-hosts': .* is not host:ip"):
        check_add_host(value)


@pytest.mark.parametrize("value", ["type=registry", "type=local,dest=out", "out/dir", "-",
                                   "type=oci,dest=img.tar", "type=cacheonly",
                                   "type=image,name=x/y,push=false", "type=docker",
                                   "dest=out", "type=tar", "TYPE=local,dest=o"])
def test_outputs_buildx_takes(value):
    check_output(1, value)


@pytest.mark.parametrize(("value", "message"), [
    ("type=bogus", "input 'outputs' line 2: unknown output type 'bogus'"),
    ("type=regsitry", "(did you mean 'registry'?)"),
    ("dest=out,compression=gzip", "names no type="),
    ("type=local", "type=local needs dest=<directory>"),
    ("type=local,out", "'out' in 'type=local,out' is not key=value"),
])
def test_outputs_refused(value, message):
    with pytest.raises(InputError) as got:
        check_output(2, value)
    assert message in str(got.value)


# -- files and stages ---------------------------------------------------------------------------
def _inputs(tmp_path, **kw) -> BuildInputs:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS Base\nFROM base AS final\n")
    return BuildInputs(**kw)


def test_secret_file_must_exist(tmp_path):
    (tmp_path / "npmrc").write_text("x")
    check_input_files(_inputs(tmp_path, secret_files=(KeyValue("npm", "npmrc"),)),
                      cwd=str(tmp_path))
    with pytest.raises(InputError) as got:
        check_input_files(_inputs(tmp_path, secret_files=(KeyValue("npm", "gone/npmrc"),)),
                          cwd=str(tmp_path))
    assert str(got.value).startswith("input 'secret-files': npm=gone/npmrc: no such file")


def test_ssh_entries(tmp_path):
    (tmp_path / "key").write_text("k")
    env = {"SSH_AUTH_SOCK": "/run/agent.sock"}
    for entry in ("default", "default=key", "github=key", "github=key,key"):
        check_input_files(_inputs(tmp_path, ssh=(entry,)), cwd=str(tmp_path), environ=env)
    with pytest.raises(InputError, match=r"input 'ssh': 'id=/no/such/key': no such key file"):
        check_input_files(_inputs(tmp_path, ssh=("id=/no/such/key",)), cwd=str(tmp_path),
                          environ=env)
    with pytest.raises(InputError, match="SSH_AUTH_SOCK, which is not set"):
        check_input_files(_inputs(tmp_path, ssh=("default",)), cwd=str(tmp_path), environ={})
    with pytest.raises(InputError, match="expected default or id=path"):
        check_input_files(_inputs(tmp_path, ssh=("bad id=key",)), cwd=str(tmp_path),
                          environ=env)


def test_target_must_be_a_stage(tmp_path):
    for target in ("final", "base", "BASE"):  # BuildKit matches stage names in any case
        check_input_files(_inputs(tmp_path, target=target), cwd=str(tmp_path))
    with pytest.raises(InputError) as got:
        check_input_files(_inputs(tmp_path, target="finl"), cwd=str(tmp_path))
    assert str(got.value) == ("input 'target': stage 'finl' is not in ./Dockerfile (its "
                              "stages: base, final) (did you mean 'final'?)")


def test_target_not_checked_where_the_file_cannot_be_read(tmp_path):
    # a remote context, a Dockerfile on stdin, another frontend: buildx says it itself
    check_input_files(BuildInputs(context="https://example.com/r.git", target="x"),
                      cwd=str(tmp_path))
    check_input_files(_inputs(tmp_path, file="-", target="x"), cwd=str(tmp_path))
    (tmp_path / "Other").write_text("# syntax=example/frontend:1\nFROM scratch\n")
    check_input_files(BuildInputs(file="Other", target="x"), cwd=str(tmp_path))


def test_stage_names():
    text = ("# escape=`\nARG BASE=scratch\nFROM --platform=$BUILDPLATFORM ${BASE} AS Build\n"
            "FROM scratch\nFROM build as Out\n")
    assert stage_names(text) == ("build", "out")
    assert stage_names("# syntax=docker/dockerfile:1\nFROM scratch AS a\n") == ("a",)
    assert stage_names("# syntax=tonistiigi/other\nFROM scratch AS a\n") is None


# -- globs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("pattern", "problem"), [
    ("[main", "the '[' at 1 opens a character class that is never closed"),
    ("release/[0-9", "the '[' at 9"), ("v[!]", "the '[' at 2"),
    ("main", ""), ("release/[0-9]*", ""), ("v[!a]x", ""), ("[]]", ""), ("x]", ""),
])
def test_glob_problems(pattern, problem):
    assert run_cmd._glob_problem(pattern).startswith(problem)
    assert bool(run_cmd._glob_problem(pattern)) == bool(problem)


# -- through run: exit 2, nothing started -------------------------------------------------------
def _refused(result, message):
    code, started, client, io = result
    assert code == 2, io.err
    lines = error_lines(io.err)
    assert len(lines) == 1 and message in lines[0], io.err
    assert started.calls == [] and client.checked == []


@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_PROVENANCE": "mode=maxx"}, "input 'provenance': mode='maxx'"),
    ({"INPUT_SBOM": "perhaps"}, "input 'sbom'"),
    ({"INPUT_SHM-SIZE": "lots"}, "input 'shm-size'"),
    ({"INPUT_ULIMIT": "nofile"}, "input 'ulimit' line 1"),
    ({"INPUT_ADD-HOSTS": "foo"}, "input 'add-hosts'"),
    ({"INPUT_OUTPUTS": "type=bogus"}, "input 'outputs' line 1: unknown output type"),
    ({"INPUT_SECRET-FILES": "id=/no/such/key"}, "input 'secret-files': id=/no/such/key"),
    ({"INPUT_SSH": "id=/no/such/key"}, "input 'ssh'"),
    ({"INPUT_TARGET": "nostage"}, "input 'target': stage 'nostage' is not in app/Dockerfile"),
    ({"INPUT_LABELS": "org.example.team=core\nnoequals"},
     "input 'labels' line 2: 'noequals' is not key=value"),
    ({"INPUT_ANNOTATIONS": "justtext"}, "input 'annotations' line 1"),
    ({"INPUT_PUSH-BRANCHES": "[main"}, "input 'push-branches' line 1: '[main' is not a glob"),
    ({"INPUT_PUSH-TAGS": "v*\nv[0-9"}, "input 'push-tags' line 2"),
    ({"INPUT_GITHUB-RUNTIME": "maybe"}, "input 'github-runtime' must be 'true' or 'false'"),
    ({"INPUT_IMAGE": "nope"}, "input 'image' 'nope' picks an image of the config file, but "
                              "there is none"),
])
def test_run_refuses_before_anything(harness, env, message):
    _refused(harness(env), message)


def test_dry_run_refuses_the_same(harness):
    code, _, _, io = harness({"INPUT_PROVENANCE": "mode=maxx"}, argv=("--dry-run", "--offline"))
    assert code == 2 and "input 'provenance': mode='maxx'" in io.err


def test_a_long_label_is_quoted_short(harness):
    code, _, _, io = harness({"INPUT_LABELS": "x" * 5000})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "… (5000 chars)" in line and len(line) < 400
