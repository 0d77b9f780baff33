"""`ghbuild meta` as the contract states it: env in, one JSON object out, errors on stderr."""

from __future__ import annotations

import json

import pytest

from ghbuild.cli import main

from .support import EPOCH, REPO_JSON, load_env


def run_cli(monkeypatch, capsys, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["meta", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_runner_environment(monkeypatch, capsys) -> None:
    env = load_env("push_tag", INPUT_IMAGES="ghcr.io/Acme/Widget",
                   INPUT_TAGS="type=semver,pattern={{version}}\ntype=semver,pattern={{major}}")
    env.pop("GITHUB_ACTIONS")
    code, out, err = run_cli(monkeypatch, capsys, env, "--repo-metadata", str(REPO_JSON))
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert list(doc) == ["version", "tags", "labels", "annotations"]
    assert doc["version"] == "1.1.1"
    assert doc["tags"] == ["ghcr.io/acme/widget:1.1.1", "ghcr.io/acme/widget:1",
                           "ghcr.io/acme/widget:latest"]
    assert doc["labels"]["org.opencontainers.image.title"] == "Hello-World"
    assert doc["annotations"][0] == \
        "manifest:org.opencontainers.image.created=2020-01-10T00:30:00.000Z"


def test_no_github_variables_at_all(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, {"SOURCE_DATE_EPOCH": str(EPOCH),
                                                   "INPUT_TAGS": "type=raw,value=v1"})
    assert code == 0
    doc = json.loads(out)
    assert doc["version"] == "v1" and doc["tags"] == ["v1"]
    assert doc["labels"]["org.opencontainers.image.created"] == "2020-01-10T00:30:00.000Z"
    assert doc["labels"]["org.opencontainers.image.revision"] == ""
    assert doc["labels"]["org.opencontainers.image.title"] == ""


def test_all_variables_present_but_empty(monkeypatch, capsys) -> None:
    env = {k: "" for k in ("GITHUB_EVENT_NAME", "GITHUB_REF", "GITHUB_SHA", "GITHUB_REPOSITORY",
                           "GITHUB_EVENT_PATH", "GITHUB_SERVER_URL", "GITHUB_API_URL",
                           "INPUT_IMAGES", "INPUT_TAGS", "INPUT_FLAVOR", "INPUT_LABELS",
                           "INPUT_SEP_TAGS", "INPUT_CONTEXT")}
    env["SOURCE_DATE_EPOCH"] = str(EPOCH)
    code, out, _ = run_cli(monkeypatch, capsys, env)
    assert code == 0
    assert json.loads(out)["version"] == "" and json.loads(out)["tags"] == []


def test_no_event_path_and_no_repository_with_repo_metadata(monkeypatch, capsys) -> None:
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
           "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
           "SOURCE_DATE_EPOCH": str(EPOCH), "INPUT_TAGS": "type=edge\ntype=sha"}
    code, out, _ = run_cli(monkeypatch, capsys, env, "--repo-metadata", str(REPO_JSON))
    doc = json.loads(out)
    assert code == 0
    # the edge rule falls back to the repository's default branch (master): no edge here
    assert doc["tags"] == ["sha-0123456"]
    assert doc["labels"]["org.opencontainers.image.licenses"] == "MIT"


def test_flags_override_environment_and_dash_spelling(monkeypatch, capsys) -> None:
    env = load_env("push_branch", INPUT_TAGS="type=raw,value=from-env")
    env.pop("GITHUB_ACTIONS")
    env["INPUT_SEP-TAGS"] = ";"
    code, out, _ = run_cli(monkeypatch, capsys, env, "--tags", "type=raw,value=from-flag",
                           "--format", "text", "--images", "a/b")
    assert code == 0
    assert "  a/b:from-flag\n" in out and "from-env" not in out


def test_sep_tags_with_underscore_and_output_file(monkeypatch, capsys, tmp_path) -> None:
    env = load_env("push_branch", INPUT_IMAGES="user/app",
                   INPUT_TAGS="type=ref,event=branch\ntype=raw,my", INPUT_SEP_TAGS=" ")
    env.pop("GITHUB_ACTIONS")
    target = tmp_path / "out.txt"
    code, _, _ = run_cli(monkeypatch, capsys, env, "--output-file", str(target))
    assert code == 0
    text = target.read_text()
    assert "\nuser/app:dev user/app:my\n" in text
    assert (tmp_path / "docker-metadata-action-bake.json").exists()


@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_TAGS": "type=semvr,pattern={{version}}"},
     "ghbuild: error: input 'tags' line 1: unknown tag type 'semvr'"),
    ({"INPUT_FLAVOR": "latest=yes"}, "ghbuild: error: input 'flavor' line 1: latest must be"),
    ({"GITHUB_EVENT_PATH": __file__}, f"ghbuild: error: GITHUB_EVENT_PATH {__file__}:1:"),
])
def test_bad_input_one_line_on_stderr_nothing_on_stdout(monkeypatch, capsys, env, message) -> None:
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert code == 2
    assert out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_bad_repo_metadata_file(monkeypatch, capsys, tmp_path) -> None:
    bad = tmp_path / "repo.json"
    bad.write_text("[1, 2]")
    code, out, err = run_cli(monkeypatch, capsys, {}, "--repo-metadata", str(bad))
    assert (code, out) == (2, "")
    assert err == f"ghbuild: error: --repo-metadata {bad}: expected a JSON object (a GitHub " \
                  "repository)\n"


def test_warnings_go_to_stderr(monkeypatch, capsys) -> None:
    env = load_env("push_tag", INPUT_TAGS="type=semver,pattern={{version}}",
                   GITHUB_REF="refs/tags/not-a-version")
    env.pop("GITHUB_ACTIONS")
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert code == 0 and json.loads(out)["tags"] == []
    assert "not-a-version is not a valid semver" in err


def test_missing_payload_file_is_an_empty_payload(monkeypatch, capsys) -> None:
    env = {"GITHUB_EVENT_PATH": "/nonexistent/event.json", "GITHUB_EVENT_NAME": "push",
           "GITHUB_REF": "refs/tags/v2.0.0", "INPUT_TAGS": "type=semver,pattern={{major}}"}
    code, out, err = run_cli(monkeypatch, capsys, env)
    assert code == 0 and json.loads(out)["tags"] == ["2", "latest"]
    assert "GITHUB_EVENT_PATH /nonexistent/event.json does not exist" in err


@pytest.mark.parametrize(("args", "message"), [
    (("--pr", "5"), "--pr only applies with --context git"),
    (("--ref", "refs/tags/v1", "--event", "release"),
     "--event, --ref only apply with --context git"),
    (("--event-path", "/tmp/x.json",), "--event-path only applies with --context git"),
])
def test_git_only_flags_refused_in_the_workflow_context(monkeypatch, capsys, args,
                                                         message) -> None:
    code, out, err = run_cli(monkeypatch, capsys, {"SOURCE_DATE_EPOCH": str(EPOCH)}, *args)
    assert (code, out) == (2, "")
    assert err == f"ghbuild: error: {message}\n"


def test_context_flag_values_are_checked(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, {}, "--context", "gitt")
    assert (code, out) == (2, "")
    assert err == ("ghbuild meta: error: argument --context: invalid choice: 'gitt' (choose "
                   "from workflow, git)\n")
