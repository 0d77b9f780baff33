"""Bad input to ``ghbuild run`` (and what shares its steps: plan, dry-run, merge): one
line naming the input, exit 2, nothing started, checked or pushed.

The process runner and registry client are faked as in tests/commands/test_run.py (its
``harness`` fixture); the same refusals run against the real engine and registry in
tests/e2e/test_validation_run.py.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from ghbuild import cli
from ghbuild.commands import run as run_cmd
from ghbuild.errors import InputError
from ghbuild.inputs import check_runner_files, check_writable_file
from tests.commands import test_plan as plan_tests
from tests.commands import test_run as run_tests
from tests.commands.test_plan import make_repo
from tests.commands.test_run import error_lines

# run's unit-test harness (faked processes and registry client), its workspace, and
# plan's git-only process runner
harness = run_tests.harness
ws = run_tests.ws
git_runner = plan_tests.runner


def refused(result, message: str) -> None:
    """Exit 2, the one error line carries ``message``, nothing ran or was asked."""
    code, started, client, io = result
    assert code == 2, io.err
    lines = error_lines(io.err)
    assert len(lines) == 1, io.err
    assert message in lines[0], lines[0]
    assert started.calls == [] and client.checked == [] and client.promoted == []
    assert "Traceback" not in io.err


# -- H1: an images input that names no image ------------------------------------------------
@pytest.mark.parametrize("images", [",", "# only a comment", "name=ghcr.io/acme/x,enable=false",
                                    "ghcr.io/acme/a,enable=false\nghcr.io/acme/b,enable=false"])
def test_images_input_without_a_name_is_refused(harness, images):
    refused(harness({"INPUT_IMAGES": images}),
            "input 'images' gives no image name (every entry is empty or disabled)")


@pytest.mark.parametrize("images", [",", "name=ghcr.io/acme/x,enable=false"])
def test_dry_run_refuses_an_images_input_without_a_name(harness, images):
    code, _, _, io = harness({"INPUT_IMAGES": images}, argv=("--dry-run", "--offline"))
    assert code == 2
    assert "input 'images' gives no image name" in io.err
    assert "docker.io/library" not in io.out + io.err


def test_one_enabled_image_among_disabled_ones_builds(harness):
    code, runner, _, io = harness(
        {"INPUT_IMAGES": "ghcr.io/acme/a,enable=false\nghcr.io/acme/b"})
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "ghcr.io/acme/b:main" in build
    assert not any("ghcr.io/acme/a" in arg for arg in build)


def test_meta_keeps_bare_tags_without_images(monkeypatch, capsys):
    """``ghbuild meta`` is metadata-action's face: no image name gives bare tags there."""
    import json

    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    assert cli.main(["meta", "--images", ","]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == ["main"]


# -- H2: flags that name one image, with several configured ---------------------------------
def _config(ws: Path, extra: str = "") -> None:
    for sub in ("api", "web"):
        (ws / sub).mkdir(exist_ok=True)
        (ws / sub / "Dockerfile").write_text("FROM scratch\n")
    (ws / ".github").mkdir(exist_ok=True)
    (ws / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  tags: type=ref,event=branch\nimages:\n"
        "  - name: ghcr.io/acme/widget-api\n    context: api\n"
        "  - name: ghcr.io/acme/widget-web\n    context: web\n" + extra)


@pytest.mark.parametrize(("argv", "flag"), [
    (("--images", "ghcr.io/acme/other"), "--images"),
    (("--context", "api"), "--context"),
    (("--file", "api/Dockerfile"), "--file"),
])
def test_one_image_flag_with_several_configured_images_is_refused(harness, ws, argv, flag):
    _config(ws)
    refused(harness({}, argv=argv), f"{flag} names one image's build, but "
                                    ".github/ghbuild.yml configures 2 images "
                                    "(ghcr.io/acme/widget-api, ghcr.io/acme/widget-web)")


def test_one_image_flag_with_image_picking_one_builds_that_one(harness, ws):
    _config(ws)
    code, runner, _, io = harness({}, argv=("--images", "ghcr.io/acme/other",
                                            "--image", "widget-web"))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "ghcr.io/acme/other:main" in build and build[-1] == "web"


def test_flags_for_every_image_still_apply_to_all(harness, ws):
    _config(ws)
    code, runner, _, io = harness({}, argv=("--tags", "type=raw,value=edge"))
    assert code == 0, io.err
    builds = runner.argvs("docker", "buildx", "build")
    assert [b[b.index("--tag") + 1] for b in builds] == ["ghcr.io/acme/widget-api:edge",
                                                        "ghcr.io/acme/widget-web:edge"]


def test_plan_refuses_a_one_image_flag_with_several_configured_images(git_runner, tmp_path,
                                                                      capsys):
    repo = make_repo(tmp_path)
    _config(repo)
    code = cli.main(["plan", "--dir", str(repo), "--images", "ghcr.io/acme/x", "--offline"])
    assert code == 2
    assert "--images names one image's build" in capsys.readouterr().err


def test_two_images_with_one_name_and_one_build_are_refused(tmp_path):
    """The general rule behind H2, below the flags: same image name and build settings
    means one build key tag for two images."""
    env = {"INPUT_IMAGES": "ghcr.io/acme/app", "INPUT_CONTEXT": "."}
    with pytest.raises(InputError) as got:
        run_cmd._check_distinct_builds([env, dict(env)], ["first", "second"], "cfg.yml",
                                       str(tmp_path))
    assert "images first and second resolve to the same image name 'ghcr.io/acme/app'" \
        in str(got.value)
    # another context is another build: allowed (their tags are the user's choice)
    other = {**env, "INPUT_CONTEXT": "sub"}
    run_cmd._check_distinct_builds([env, other], ["first", "second"], "cfg.yml", str(tmp_path))


# -- M1: files written at the end are checked at the start ----------------------------------
@pytest.mark.parametrize(("name", "make", "message"), [
    ("GITHUB_OUTPUT", lambda t: str(t / "missing" / "out"), "no such directory"),
    ("GITHUB_STEP_SUMMARY", lambda t: str(t), "is a directory"),
])
def test_unwritable_step_files_are_refused_before_anything(harness, tmp_path, name, make,
                                                           message):
    refused(harness({name: make(tmp_path)}), f"{name} ")
    code, _, _, io = harness({name: make(tmp_path)})
    assert message in io.err


def test_dry_run_does_not_need_the_step_files(harness, tmp_path):
    code, _, _, io = harness({"GITHUB_OUTPUT": str(tmp_path / "missing" / "out")},
                             argv=("--dry-run", "--offline"))
    assert code == 0, io.err


def test_check_writable_file_cases(tmp_path):
    check_writable_file("X", "")                      # unset: nothing to check
    check_writable_file("X", str(tmp_path / "new"))   # a new file in a directory
    existing = tmp_path / "old"
    existing.write_text("")
    check_writable_file("X", str(existing))
    if os.geteuid() != 0:  # root may write anything: the mode check cannot fail there
        existing.chmod(0o444)
        with pytest.raises(InputError, match="not writable"):
            check_writable_file("X", str(existing))
    with pytest.raises(InputError, match=r"GITHUB_OUTPUT .* is a directory"):
        check_runner_files({"GITHUB_OUTPUT": str(tmp_path)})


def test_meta_output_file_in_a_missing_directory_is_one_line(tmp_path, capsys):
    code = cli.main(["meta", "--images", "x/y", "--output-file", str(tmp_path / "no" / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"ghbuild: error: --output-file '{tmp_path / 'no' / 'x'}': no such directory "
        f"'{tmp_path / 'no'}'"]


def test_a_missing_program_is_one_line_exit_1(monkeypatch, capsys):
    from ghbuild import proc

    def boom(args):
        proc.Runner().run(["ghbuild-no-such-program-x"])
        return 0

    monkeypatch.setattr(proc, "RUNNER", proc.Runner())
    monkeypatch.setattr("ghbuild.commands.schema.run", boom)
    assert cli.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("ghbuild: error: ghbuild-no-such-program-x not found on PATH "
                           "(ghbuild runs ghbuild-no-such-program-x: install it or put its "
                           "directory on PATH)")


def test_an_os_error_is_one_line_naming_the_file_traceback_with_debug(monkeypatch, capsys,
                                                                      tmp_path):
    target = tmp_path / "gone" / "file"

    def boom(args):
        with open(target, encoding="utf-8"):
            return 0

    monkeypatch.setattr("ghbuild.commands.schema.run", boom)
    assert cli.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"ghbuild: error: {target}: No such file or directory"
    assert cli.main(["--debug", "schema"]) == 1  # the traceback added, the code kept
    err = capsys.readouterr().err
    assert err.startswith(f"ghbuild: error: {target}: No such file or directory\n")
    assert "Traceback (most recent call last)" in err and "FileNotFoundError" in err


# -- LOW: --offline / --format only with --dry-run -------------------------------------------
@pytest.mark.parametrize(("argv", "flags"), [(("--offline",), "--offline only applies"),
                                             (("--format", "json"), "--format only applies"),
                                             (("--offline", "--format", "text"),
                                              "--offline and --format only apply")])
def test_dry_run_only_flags_without_dry_run_are_refused(harness, argv, flags):
    refused(harness({}, argv=argv), f"{flags} to --dry-run")


def test_check_run_start_allows_the_flags_with_dry_run():
    args = argparse.Namespace(dry_run=True, offline=True, format="json")
    run_cmd.check_run_start(args, {"GITHUB_OUTPUT": "/no/such/dir/x"})


# -- M7: run and run --dry-run read relative paths the same way ------------------------------
def _run_from(monkeypatch, capsys, tmp_path, ws, cwd: Path, env: dict[str, str],
              argv: tuple[str, ...]):
    """``ghbuild run`` started in ``cwd`` (not the workspace), processes and registry faked."""
    import json

    from ghbuild import proc

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": run_tests.REPO}))
    base = {"GITHUB_WORKSPACE": str(ws), "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
            "GITHUB_SHA": run_tests.SHA, "GITHUB_REPOSITORY": "acme/widget",
            "RUNNER_TEMP": str(tmp_path), "INPUT_CACHE": "none",
            "INPUT_TAGS": "type=ref,event=branch"}
    for key, value in {**base, **env}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(cwd)
    client = run_tests.FakeClient()
    monkeypatch.setattr(run_cmd, "_client", lambda *a, **k: client)
    runner = run_tests.FakeRunner()
    previous = proc.set_runner(runner)
    try:
        code = cli.main(["run", *argv])
    finally:
        proc.set_runner(previous)
    return code, runner, capsys.readouterr()


@pytest.mark.parametrize("argv", [(), ("--dry-run", "--offline")], ids=["run", "dry-run"])
def test_context_is_relative_to_the_working_directory(monkeypatch, capsys, tmp_path, ws, argv):
    """As in build-push-action (its paths are the working directory's; on a runner that is
    the workspace): started in the workspace's parent, ``ws/app`` is the context."""
    code, runner, io = _run_from(monkeypatch, capsys, tmp_path, ws, ws.parent,
                                 {"INPUT_CONTEXT": "ws/app"}, argv)
    assert code == 0, io.err
    if argv:
        (line,) = [x for x in io.out.splitlines() if x.startswith("    docker buildx build")]
        assert line.endswith(" ws/app")
    else:
        assert runner.argvs("docker", "buildx", "build")[0][-1] == "ws/app"


@pytest.mark.parametrize("argv", [(), ("--dry-run", "--offline")], ids=["run", "dry-run"])
def test_a_context_only_the_workspace_has_is_refused_by_both(monkeypatch, capsys, tmp_path,
                                                             ws, argv):
    code, runner, io = _run_from(monkeypatch, capsys, tmp_path, ws, ws.parent,
                                 {"INPUT_CONTEXT": "app"}, argv)
    assert code == 2
    assert f"input 'context' 'app' resolves to {ws.parent / 'app'}, outside the workspace" \
        in io.err
    assert runner.calls == []


@pytest.mark.parametrize("command", [
    ["merge", "--platforms", "linux/amd64", "--tag", "127.0.0.1:5000/a/b:v1"],
    ["platform", "--meta", "m.json", "--handover", "h", "--platform", "linux/amd64"],
])
def test_merge_and_platform_check_the_step_files_first(monkeypatch, capsys, tmp_path, command):
    """They too write step outputs after a push: a bad GITHUB_OUTPUT stops them first."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gone" / "out"))
    assert cli.main(command) == 2
    assert capsys.readouterr().err.strip() == (
        f"ghbuild: error: GITHUB_OUTPUT '{tmp_path / 'gone' / 'out'}': no such directory "
        f"'{tmp_path / 'gone'}'")
