"""Bad input to ``ghbuild run`` against the real engine and registry: exit 2, one line
naming the input, no ``docker buildx build`` started and nothing in the registry. And
the other side: the values the checks let through are ones the real buildx builds with.

The unit tables are in tests/test_validation_build.py and tests/test_validation_run.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ghbuild import cli
from tests.e2e.registry_servers import token_registry  # noqa: F401  (fixture)
from tests.e2e.run_support import (
    forget_images_fixture,
    hello_env,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()
PAYLOAD = {"repository": {"full_name": "Acme/Widget", "default_branch": "main"}}


def _env(tmp_path: Path, image: str, **inputs: str) -> dict[str, str]:
    env = hello_env(tmp_path, image, new_sha(), "refs/heads/main", PAYLOAD)
    env.update({"INPUT_CACHE": "none", "INPUT_TAGS": "type=ref,event=branch"})
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def _nothing_done(got, registry: str, repo: str, message: str) -> None:
    assert got.code == 2, got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and message in errors[0], got.stderr
    assert "Traceback" not in got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []
    assert got.calls.commands("docker", "login") == []
    assert tags_of(registry, repo) == []


@pytest.mark.parametrize(("inputs", "message"), [
    ({"provenance": "mode=maxx"}, "input 'provenance': mode='maxx' is not one of min, max"),
    ({"sbom": "perhaps"}, "input 'sbom'"),
    ({"shm-size": "lots"}, "input 'shm-size'"),
    ({"ulimit": "nofile"}, "input 'ulimit' line 1"),
    ({"add-hosts": "foo"}, "input 'add-hosts'"),
    ({"outputs": "type=bogus"}, "input 'outputs' line 1: unknown output type 'bogus'"),
    ({"secret-files": "npm=no/such/npmrc"}, "input 'secret-files': npm=no/such/npmrc"),
    ({"ssh": "id=no/such/key"}, "input 'ssh'"),
    ({"target": "nostage"}, "input 'target': stage 'nostage' is not in "
                            "examples/hello/Dockerfile (its stages: builder)"),
    ({"labels": "noequals"}, "input 'labels' line 1"),
    ({"push-branches": "[main"}, "input 'push-branches' line 1"),
    ({"github-runtime": "maybe"}, "input 'github-runtime'"),
    ({"images": ","}, "input 'images' gives no image name"),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else None)
def test_bad_build_input_stops_before_buildx(monkeypatch, capsys, tmp_path, engine_env,
                                             registry, unique_repo, examples_ready, inputs,
                                             message):
    ws = workspace(tmp_path)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                      _env(tmp_path, f"{registry}/{unique_repo}", **inputs))
    _nothing_done(got, registry, unique_repo, message)


def test_values_the_checks_let_through_build_and_push(monkeypatch, capsys, tmp_path,
                                                      engine_env, registry, unique_repo,
                                                      examples_ready):
    """Spellings the checks take that are easy to get wrong: buildx builds with them."""
    ws = workspace(tmp_path)
    (ws / "npmrc").write_text("registry=http://127.0.0.1:9/\n")
    env = _env(tmp_path, f"{registry}/{unique_repo}", **{
        "provenance": "mode=max,builder-id=https://example.com/run/1",
        "shm-size": "64 m", "ulimit": "nofile=1024:2048\ncore=-1",
        "add-hosts": "db=10.0.0.5,v6:::1", "secret-files": "npm=npmrc",
        "target": "BUILDER"})  # BuildKit matches stage names in any case
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 0, got.stderr
    (build,) = got.calls.commands("docker", "buildx", "build")
    assert "--shm-size" in build.argv and "--target" in build.argv
    assert "main" in tags_of(registry, unique_repo)


def test_one_image_flag_with_a_config_of_two_is_refused(monkeypatch, capsys, tmp_path,
                                                        engine_env, registry, unique_repo,
                                                        examples_ready):
    ws = workspace(tmp_path)
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  context: examples/hello\n  cache: none\nimages:\n"
        f"  - name: {registry}/{unique_repo}-a\n"
        f"  - name: {registry}/{unique_repo}-b\n    build-args: GREETING=hi\n")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                      _env(tmp_path, ""), argv=("--images", f"{registry}/{unique_repo}"))
    _nothing_done(got, registry, unique_repo, "--images names one image's build, but "
                                              ".github/ghbuild.yml configures 2 images")
    for suffix in ("-a", "-b"):
        assert tags_of(registry, unique_repo + suffix) == []


def test_an_unwritable_step_output_is_refused_before_the_push(monkeypatch, capsys, tmp_path,
                                                              engine_env, registry,
                                                              unique_repo, examples_ready):
    ws = workspace(tmp_path)
    env = _env(tmp_path, f"{registry}/{unique_repo}")
    env["GITHUB_OUTPUT"] = str(tmp_path / "no-such-dir" / "out")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    _nothing_done(got, registry, unique_repo, "GITHUB_OUTPUT")


def test_no_docker_on_path_is_one_line(monkeypatch, capsys, tmp_path, engine_env, registry,
                                       unique_repo, examples_ready):
    """The registry is asked (HTTP), then the first docker call finds no program: one
    line, exit 1, nothing pushed."""
    ws = workspace(tmp_path)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, {**engine_env, "PATH": str(empty)},
                      _env(tmp_path, f"{registry}/{unique_repo}"))
    assert got.code == 1, got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert errors == ["::error::docker not found on PATH (ghbuild runs docker: install it or "
                      "put its directory on PATH)"], got.stderr
    assert "Traceback" not in got.stderr
    assert tags_of(registry, unique_repo) == []


def test_run_from_another_directory_reads_paths_from_there(monkeypatch, capsys, tmp_path,
                                                          engine_env, registry, unique_repo,
                                                          examples_ready):
    """Paths are the working directory's (as in build-push-action; on a runner that is the
    workspace), for run and run --dry-run alike."""
    ws = workspace(tmp_path)
    env = _env(tmp_path, f"{registry}/{unique_repo}", context="ws/examples/hello")
    # started in the workspace, ws/examples/hello is not there: both refuse it
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env,
                      argv=("--dry-run", "--offline"))
    assert got.code == 2 and "input 'context' 'ws/examples/hello': no such directory" \
        in got.stderr
    # started in the workspace's parent (the environment run_ghbuild set is kept), both
    # take it: the dry run plans it, the run builds and pushes it
    monkeypatch.chdir(ws.parent)
    assert cli.main(["run", "--dry-run", "--offline"]) == 0
    planned = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith("    docker buildx build")]
    assert len(planned) == 1 and planned[0].endswith(" ws/examples/hello")
    assert cli.main(["run"]) == 0, capsys.readouterr().err
    assert "main" in tags_of(registry, unique_repo)


def test_images_differing_only_in_case_push_one_image(monkeypatch, capsys, tmp_path,
                                                      engine_env, registry, unique_repo,
                                                      examples_ready):
    ws = workspace(tmp_path)
    image = f"{registry}/{unique_repo}"
    env = _env(tmp_path, f"{image},{registry}/{unique_repo.upper()}")
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 0, got.stderr
    (build,) = got.calls.commands("docker", "buildx", "build")
    assert build.argv.count(f"{image}:main") == 1
    assert f"lowercased to {image}" in got.stderr and "is given 2 times" in got.stderr
    assert got.outputs["tags"] == f"{image}:main"
    assert "main" in tags_of(registry, unique_repo)


def test_an_unreachable_token_realm_is_named(token_registry, capsys):  # noqa: F811
    """The registry answers 401 with a realm whose token service is down: the message
    names the token service's host, not the registry, which did answer."""
    token_registry.tokens.stop()
    realm_host = token_registry.tokens.realm.split("/")[2]
    code = cli.main(["inspect", f"{token_registry.addr}/team/app:v1"])
    out = capsys.readouterr().out
    assert code != 0
    reason = __import__("json").loads(out)["reason"]
    assert f"cannot reach the token service {realm_host} that registry " \
           f"{token_registry.addr} sends clients to" in reason
