"""``ghbuild run`` orchestration with a faked process runner and registry client.

The meta engine, policy, cache and argv code are the real ones; only buildx/docker
(processes) and the registry (HTTP) are replaced. The same flows run against the real
engine and registry in tests/e2e/test_run_*.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ghbuild import buildkey, cli, proc
from ghbuild.commands import run as run_cmd
from ghbuild.registry import OCI_MANIFEST, Action, Manifest, Presence, PromoteResult, State

DIGEST = "sha256:" + "d" * 64
OTHER = "sha256:" + "e" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"


def key_for(context: str, sha: str = SHA) -> str:
    """The revision key of a default build of ``context`` (a sub-directory is part of the
    key, so the harness's ``app`` is not the plain ``rev-<sha>``)."""
    return buildkey.revision_key(sha, buildkey.BuildSettings(context=context))


APP_KEY = key_for("app")
REPO = {"full_name": "Acme-Org/Widget", "default_branch": "main",
        "html_url": "https://github.com/Acme-Org/Widget"}


class FakeRunner(proc.Runner):
    """docker login / buildx build stand-ins; the build writes a metadata file."""

    def __init__(self, build_code: int = 0, lines: tuple[str, ...] = ("#1 DONE",)) -> None:
        self.calls: list[tuple[list[str], dict[str, str], str | None]] = []
        self.build_code, self.lines = build_code, lines

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        self.calls.append((list(argv), dict(env or {}), stdin))
        if list(argv[:3]) == ["docker", "buildx", "inspect"]:
            return proc.Completed(tuple(argv), 0, "Name: default\nDriver: docker\n", "")
        return proc.Completed(tuple(argv), 0, "Login Succeeded", "")

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        self.calls.append((list(argv), dict(env or {}), None))
        path = argv[argv.index("--metadata-file") + 1]
        Path(path).write_text(json.dumps({"containerimage.digest": DIGEST}))
        for line in self.lines:
            on_line(line)
        return proc.Completed(tuple(argv), self.build_code, "\n".join(self.lines), "")

    def argvs(self, *prefix: str) -> list[list[str]]:
        return [a for a, _, _ in self.calls if a[:len(prefix)] == list(prefix)]


CONFIG_DIGEST = "sha256:" + "c" * 64
FIRST_BUILD_LABELS = {"org.opencontainers.image.version": "main",
                      "org.opencontainers.image.created": "2025-01-01T00:00:00Z"}


class FakeClient:
    """The RegistryClient surface run uses: check, resolve, promote, and the reads of an
    existing image (get_manifest, get_blob). ``existing`` answers the first resolve of a
    tag (before the build: the release-tag guard); later ones see the pushed digest."""

    def __init__(self, presence: Presence | None = None, resolved: str = DIGEST, *,
                 existing: dict[str, Presence] | None = None,
                 promote_actions: tuple[Action, ...] = (Action.CREATED,),
                 platforms: tuple[str, ...] = ("linux/amd64",)) -> None:
        self.presence = presence
        self.resolved = resolved
        self.existing = dict(existing or {})
        self.promote_actions = promote_actions
        self.platforms = platforms
        self.checked: list[str] = []
        self.described: list[str] = []
        self.resolved_refs: list[str] = []
        self.promoted: list[tuple[str, list[str]]] = []
        self.put: list[str] = []  # manifests written by tag (run's release-tag promotion)

    def warm_up(self, refs):
        self.warmed = [str(r) for r in refs]

    def check(self, ref, *, platforms=(), key=None, describe=False, **_):
        if describe:
            self.described.append(str(ref))
            return Presence(State.PRESENT, ref=str(ref), digest=ref.digest,
                            platforms=self.platforms)
        self.checked.append(str(ref))
        return self.presence or Presence.absent(str(ref), f"{ref.tag} not found (404)")

    def resolve(self, ref):
        self.resolved_refs.append(str(ref))
        if str(ref) in self.existing:
            return self.existing.pop(str(ref))
        return Presence(State.PRESENT, ref=str(ref), digest=self.resolved)

    def promote(self, source, targets, *, allow_move=False, **_):
        self.promoted.append((str(source), [str(t) for t in targets]))
        digest = source.digest
        return [PromoteResult(t, digest, self.promote_actions[i % len(self.promote_actions)])
                for i, t in enumerate(targets)]

    def put_manifest(self, ref, body, media_type):
        self.put.append(str(ref))
        return self.resolved

    def get_manifest(self, ref, **_):
        body = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"digest": CONFIG_DIGEST},
                "annotations": {"org.opencontainers.image.version": "main"}}
        return Manifest(json.dumps(body).encode(), OCI_MANIFEST, ref.digest or DIGEST)

    def get_blob(self, repo, digest, **_):
        assert digest == CONFIG_DIGEST
        return json.dumps({"os": "linux", "architecture": "arm64",
                           "config": {"Labels": FIRST_BUILD_LABELS}}).encode()


@pytest.fixture()
def ws(tmp_path):
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "Dockerfile").write_text("FROM scratch\n")
    return root


@pytest.fixture()
def harness(monkeypatch, tmp_path, ws, capsys):
    """Run ``ghbuild run`` with env additions; returns (code, runner, client, io)."""

    def go(env: dict[str, str], *, payload: dict | None = None, client: FakeClient | None =
           None, runner: FakeRunner | None = None, argv: tuple[str, ...] = ()):
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"repository": REPO} if payload is None else payload))
        base = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws),
                "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "push",
                "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": SHA,
                "GITHUB_REPOSITORY": "Acme-Org/Widget", "GITHUB_ACTOR": "octocat",
                "GITHUB_OUTPUT": str(tmp_path / "out"),
                "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
                "RUNNER_TEMP": str(tmp_path / "rt"), "SOURCE_DATE_EPOCH": "1764000000",
                "INPUT_CONTEXT": "app", "INPUT_CACHE": "none",
                "INPUT_TAGS": "type=ref,event=branch\ntype=ref,event=pr\ntype=semver,"
                              "pattern={{version}}"}
        for key, value in {**base, **env}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(ws)
        fake_client = client or FakeClient()
        monkeypatch.setattr(run_cmd, "_client", lambda *a, **k: fake_client)
        fake_runner = runner or FakeRunner()
        previous = proc.set_runner(fake_runner)
        try:
            code = cli.main(["run", *argv])
        finally:
            proc.set_runner(previous)
        captured = capsys.readouterr()
        return code, fake_runner, fake_client, captured

    return go


def outputs(tmp_path: Path) -> dict[str, str]:
    from tests.e2e.run_support import parse_outputs

    path = tmp_path / "out"
    return parse_outputs(path.read_text()) if path.exists() else {}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("::error")]


# -- small cases from the field ---------------------------------------------------------
def test_uppercase_owner_default_image_lowercased_tag_case_kept(harness, tmp_path):
    code, runner, _, io = harness({"INPUT_TAGS": "type=raw,value=Release-Candidate"})
    assert code == 0, io.err
    assert "::notice::image name ghcr.io/Acme-Org/Widget lowercased to ghcr.io/acme-org/widget" \
        in io.err
    out = outputs(tmp_path)
    assert out["tags"] == "ghcr.io/acme-org/widget:Release-Candidate"
    build = runner.argvs("docker", "buildx", "build")[0]
    assert "ghcr.io/acme-org/widget:Release-Candidate" in build


def test_fork_pull_request_builds_without_login_push_or_cache_export(harness, tmp_path):
    payload = {"repository": {**REPO, "full_name": "acme/widget"}, "number": 42,
               "pull_request": {"number": 42, "head": {"repo": {"full_name":
                                                                "contributor/widget"}}}}
    code, runner, client, io = harness(
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/42/merge",
         "GITHUB_REPOSITORY": "acme/widget", "INPUT_CACHE": "gha", "INPUT_PASSWORD": "pw-1234",
         "ACTIONS_CACHE_URL": "http://127.0.0.1:9/", "ACTIONS_RUNTIME_TOKEN": "a.b.c"},
        payload=payload)
    assert code == 0, io.err
    assert runner.argvs("docker", "login") == []
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--push" not in build and "--cache-to" not in build
    assert build[build.index("--cache-from") + 1] == "type=gha,scope=ghcr.io-acme-widget"
    assert "ghcr.io/acme/widget:pr-42" in build
    assert "from fork 'contributor/widget'" in io.err
    assert client.promoted == []
    assert outputs(tmp_path)["pushed"] == "false"


def test_dependabot_push_builds_only_and_says_why(harness, tmp_path):
    code, runner, _, io = harness(
        {"GITHUB_ACTOR": "dependabot[bot]",
         "GITHUB_REF": "refs/heads/dependabot/npm_and_yarn/lodash-4.17.21",
         "INPUT_PUSH-BRANCHES": "*"})
    assert code == 0, io.err
    assert "push decision: no push — run triggered by dependabot[bot]: its token is read-only" \
        in io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--push" not in build
    assert "ghcr.io/acme-org/widget:dependabot-npm_and_yarn-lodash-4.17.21" in build
    assert runner.argvs("docker", "login") == []


def test_two_images_from_config_get_two_gha_scopes(harness, ws, tmp_path):
    for name in ("api", "web"):
        (ws / name).mkdir()
        (ws / name / "Dockerfile").write_text("FROM scratch\n")
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  cache: gha\n  tags: type=ref,event=branch\nimages:\n"
        "  - name: ghcr.io/acme/widget-api\n    context: api\n"
        "  - name: ghcr.io/acme/widget-web\n    context: web\n")
    code, runner, _, io = harness(
        {"GITHUB_WORKFLOW": "Build and Push Images", "ACTIONS_CACHE_URL": "http://127.0.0.1:9/",
         "ACTIONS_RUNTIME_TOKEN": "a.b.c"})
    assert code == 0, io.err
    builds = runner.argvs("docker", "buildx", "build")
    assert len(builds) == 2
    scopes = []
    for argv in builds:
        src = argv[argv.index("--cache-from") + 1]
        dst = argv[argv.index("--cache-to") + 1]
        scope = src.split("scope=")[1]
        assert dst == f"type=gha,scope={scope},mode=max,ignore-error=true"
        assert " " not in scope and "," not in scope
        scopes.append(scope)
    assert scopes == ["ghcr.io-acme-widget-api", "ghcr.io-acme-widget-web"]
    assert len(json.loads(outputs(tmp_path)["metadata"])["images"]) == 2


def test_registry_cache_ref_equal_to_a_tag_is_refused_before_building(harness):
    code, runner, client, io = harness(
        {"INPUT_CACHE": "registry", "INPUT_CACHE-REF": "ghcr.io/acme-org/widget:main"})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "input 'cache-ref' 'ghcr.io/acme-org/widget:main' is also one of the image's tags" \
        in line
    assert runner.calls == [] and client.checked == []


def test_credential_build_arg_warns_and_value_stays_out(harness):
    code, runner, _, io = harness({"INPUT_BUILD-ARGS": "NPM_TOKEN=npm_abcdef123456\nMODE=prod"})
    assert code == 0, io.err
    assert "::warning::build arg NPM_TOKEN looks like a credential" in io.err
    assert "'secrets' input" in io.err
    argv, env, _ = runner.calls[-1]
    assert "NPM_TOKEN" in argv and "MODE=prod" in argv
    assert not any("npm_abcdef123456" in a for a in argv)
    assert env["NPM_TOKEN"] == "npm_abcdef123456"
    logged = [line for line in io.err.splitlines() if not line.startswith("::add-mask::")]
    assert not any("npm_abcdef123456" in line for line in logged)


# -- bad input: one line naming the input, exit 2, nothing started -----------------------
@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_FILE": "app/Missing.Dockerfile"},
     "input 'file': Dockerfile 'app/Missing.Dockerfile' not found"),
    ({"INPUT_CONTEXT": "../outside"}, "input 'context' '../outside' resolves to"),
    ({"INPUT_TAGS": "type=semver,pattern={{version}}"},
     "input 'tags': no tag for event 'push' on refs/heads/main; rules that would give one:"),
    ({"INPUT_TAGS": "type=bogus,value=x"}, "input 'tags'"),
    ({"INPUT_IMAGES": "ghcr.io/acme/Bad Name"}, "input 'images'"),
    ({"INPUT_PUSH": "maybe"}, "input 'push' must be 'auto', 'true' or 'false'"),
    ({"INPUT_BUILD-KEY": "commit"}, "input 'build-key' must be 'revision' or 'content'"),
])
def test_bad_input(harness, env, message):
    code, runner, client, io = harness(env)
    assert code == 2, io.err
    lines = error_lines(io.err)
    assert len(lines) == 1 and message in lines[0], io.err
    assert runner.calls == [] and client.checked == [] and client.promoted == []


def test_fork_pull_request_target_is_refused(harness):
    payload = {"repository": REPO, "pull_request": {"number": 3, "head": {"repo": {
        "full_name": "evil/widget"}}}}
    code, runner, _, io = harness({"GITHUB_EVENT_NAME": "pull_request_target"},
                                  payload=payload)
    assert code == 3
    assert "allow-fork-pr-target" in error_lines(io.err)[0]
    assert runner.calls == []


# -- build once ------------------------------------------------------------------------------
def test_present_key_promotes_tags_without_build(harness, tmp_path):
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.2.3",
                                        "INPUT_PASSWORD": "pw-5678", "INPUT_REGISTRY": "ghcr.io"},
                                       client=FakeClient(present, resolved=OTHER))
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "build") == []
    source, targets = client.promoted[0]
    assert source == f"ghcr.io/acme-org/widget:ghbuild-key-{APP_KEY}@{OTHER}"
    assert targets == ["ghcr.io/acme-org/widget:1.2.3", "ghcr.io/acme-org/widget:latest"]
    out = outputs(tmp_path)
    assert (out["digest"], out["action"], out["skipped"]) == (OTHER, "retag", "true")
    assert out["image"] == f"ghcr.io/acme-org/widget@{OTHER}"
    # Login went to a private config with the password on stdin only.
    ((argv, env, stdin),) = [c for c in runner.calls if c[0][:2] == ["docker", "login"]]
    assert argv == ["docker", "login", "--username", "octocat", "--password-stdin", "ghcr.io"]
    assert stdin == "pw-5678" and str(tmp_path / "rt") in env["DOCKER_CONFIG"]
    assert not (tmp_path / "rt").exists() or list((tmp_path / "rt").iterdir()) == []


def test_present_on_a_run_that_does_not_push_skips(harness, tmp_path):
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    code, runner, client, io = harness({"INPUT_PUSH": "false"}, client=FakeClient(present))
    assert code == 0, io.err
    assert runner.calls == [] and client.promoted == []
    assert outputs(tmp_path)["action"] == "skip"


def test_unknown_answer_builds_with_a_warning(harness, tmp_path):
    unknown = Presence.unknown("k", "access: registry ghcr.io refused pull (HTTP 403)", "access")
    code, runner, client, io = harness({}, client=FakeClient(unknown))
    assert code == 0, io.err
    assert "::warning::registry answer for" in io.err and "building rather than skipping" \
        in io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--push" in build
    assert f"ghcr.io/acme-org/widget:ghbuild-key-{APP_KEY}" in build
    assert f"index:io.ghbuild.build-key={APP_KEY}" in build
    assert client.promoted == []
    out = outputs(tmp_path)
    assert (out["digest"], out["pushed"], out["action"]) == (DIGEST, "true", "build")


def test_tag_resolving_elsewhere_after_push_fails(harness):
    code, _, _, io = harness({}, client=FakeClient(resolved=OTHER))
    assert code == 1
    assert f"resolves to {OTHER}, not to the pushed digest {DIGEST}" in error_lines(io.err)[0]


def test_failed_build_annotates_dockerfile_line(harness, tmp_path):
    lines = ("Dockerfile:1", "--------------------", ">>> FROM scratch", "-----------------",
             "ERROR: failed to solve: boom")
    code, _, _, io = harness({}, runner=FakeRunner(build_code=1, lines=lines))
    assert code == 1
    (line,) = error_lines(io.err)
    assert line.startswith("::error file=app/Dockerfile,line=1::")
    assert outputs(tmp_path) == {}


def test_outputs_and_summary(harness, tmp_path):
    code, _, _, io = harness({"INPUT_TAGS": "type=ref,event=branch\ntype=sha"})
    assert code == 0, io.err
    out = outputs(tmp_path)
    assert out["tags"].splitlines() == ["ghcr.io/acme-org/widget:main",
                                        f"ghcr.io/acme-org/widget:sha-{SHA[:7]}"]
    assert out["version"] == "main"
    assert "org.opencontainers.image.revision=" + SHA in out["labels"].splitlines()
    meta = json.loads(out["metadata"])
    assert meta["digest"] == DIGEST and meta["push-reason"].startswith("push: branch 'main'")
    assert json.loads(io.out) == meta
    summary = (tmp_path / "summary").read_text()
    for text in ("### ghbuild: ghcr.io/acme-org/widget", f"`{DIGEST}`", "| Build | **build**",
                 "| Push | **yes**: push: branch 'main' is the default branch", "| Cache | none",
                 "| Platforms | linux/amd64"):
        assert text in summary
    # After a push the platforms are the registry's answer for the pushed digest.
    assert meta["platforms"] == ["linux/amd64"]


def test_flags_override_inputs(harness, ws):
    shutil.copytree(ws / "app", ws / "other")
    code, runner, _, io = harness({"INPUT_CONTEXT": "app"}, argv=("--context", "other",
                                                                  "--push", "false"))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert build[-1] == "other" and "--push" not in build


def test_dry_run_prints_the_plan_and_starts_nothing(harness):
    code, runner, client, io = harness({"INPUT_PASSWORD": "pw-dry-run-9"},
                                       argv=("--dry-run", "--offline", "--format", "json"))
    assert code == 0, io.err
    assert runner.calls == [] and client.checked == []
    (image,) = json.loads(io.out)["images"]
    assert image["buildx"][:3] == ["docker", "buildx", "build"]
    assert "--push" in image["buildx"] and "ghcr.io/acme-org/widget:main" in image["buildx"]
    logged = [line for line in io.err.splitlines() if not line.startswith("::add-mask::")]
    assert "pw-dry-run-9" not in io.out + "\n".join(logged)


def test_content_build_key_names_the_key_tag(harness, ws):
    code, runner, client, io = harness({"INPUT_BUILD-KEY": "content"})
    assert code == 0, io.err
    assert client.checked[0].startswith("ghcr.io/acme-org/widget:ghbuild-key-ctx-")
    (build,) = runner.argvs("docker", "buildx", "build")
    key_tag = client.checked[0]
    assert key_tag in build
    # Same inputs, same key; a changed Dockerfile, another key.
    _, _, again, _ = harness({"INPUT_BUILD-KEY": "content"})
    assert again.checked == [key_tag]
    (ws / "app" / "Dockerfile").write_text("FROM scratch\nLABEL x=y\n")
    _, _, changed, _ = harness({"INPUT_BUILD-KEY": "content"})
    assert changed.checked != [key_tag]


def test_runtime_token_is_redacted(harness):
    token = "eyJhbGciOiJIUzI1NiJ9.runtime-token-value"
    code, runner, _, io = harness({"ACTIONS_RUNTIME_TOKEN": token, "INPUT_CACHE": "gha",
                                   "ACTIONS_CACHE_URL": "http://127.0.0.1:9/"},
                                  runner=FakeRunner(lines=(f"error using {token}",)))
    assert code == 0, io.err
    assert f"::add-mask::{token}" in io.err
    assert "error using ***" in io.err


def test_builder_driver_is_named(harness):
    code, _, _, io = harness({})
    assert code == 0, io.err
    assert "builder: current (docker driver)" in io.err


def _two_image_config(ws: Path, name: str = ".github/ghbuild.yml") -> None:
    for sub in ("api", "web"):
        (ws / sub).mkdir(exist_ok=True)
        (ws / sub / "Dockerfile").write_text("FROM scratch\n")
    path = ws / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("defaults:\n  tags: type=ref,event=branch\nimages:\n"
                    "  - name: ghcr.io/acme/widget-api\n    context: api\n"
                    "  - name: ghcr.io/acme/widget-web\n    context: web\n")


def test_image_input_selects_one_configured_image(harness, ws):
    _two_image_config(ws)
    code, runner, _, io = harness({"INPUT_IMAGE": "widget-web"})
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert build[-1] == "web" and "ghcr.io/acme/widget-web:main" in build


def test_config_input_names_another_file(harness, ws):
    _two_image_config(ws, "ci/images.yml")
    code, runner, _, io = harness({"INPUT_CONFIG": "ci/images.yml"})
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "build")) == 2
    code, _, _, io = harness({"INPUT_CONFIG": "ci/nope.yml"})
    assert code == 2 and "input 'config': 'ci/nope.yml' not found" in error_lines(io.err)[0]


def test_password_for_another_registry_needs_a_username(harness):
    code, runner, _, io = harness({"INPUT_IMAGES": "registry.example.test/acme/widget",
                                   "INPUT_PASSWORD": "pw-other-1"})
    assert code == 2
    assert "input 'username' is required to log in to registry.example.test" in \
        error_lines(io.err)[0]
    assert runner.argvs("docker", "buildx", "build") == []


def test_login_true_logs_in_on_a_same_repo_pull_request(harness):
    payload = {"repository": REPO, "pull_request": {"number": 5, "head": {"repo": {
        "full_name": "Acme-Org/Widget"}}}}
    code, runner, _, io = harness({"GITHUB_EVENT_NAME": "pull_request",
                                   "GITHUB_REF": "refs/pull/5/merge", "INPUT_LOGIN": "true",
                                   "INPUT_PASSWORD": "pw-login-2"}, payload=payload)
    assert code == 0, io.err
    assert len(runner.argvs("docker", "login")) == 1
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--push" not in build


def test_context_group_lists_inputs_with_secrets_hidden(harness):
    code, _, _, io = harness({"INPUT_PASSWORD": "pw-in-group-7", "INPUT_USERNAME": "bot"})
    assert code == 0, io.err
    lines = io.err.splitlines()
    start = lines.index("::group::ghbuild run: context and inputs")
    group = lines[start:lines.index("::endgroup::", start)]
    assert "event: push" in group and "ref: refs/heads/main" in group
    assert "head repository: Acme-Org/Widget" in group
    assert "input password: ***" in group and "input username: bot" in group
    assert not any("pw-in-group-7" in line for line in lines
                   if not line.startswith("::add-mask::"))


def test_the_actions_environment_every_input_set_empty_or_default(harness, tmp_path):
    # The composite action passes every input, unset ones as "" (or their default).
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((Path(cli.__file__).parents[1] / "action.yml").read_text())
    env = {}
    for name, spec in action["inputs"].items():
        value = str(spec.get("default") or "")
        env[f"INPUT_{name.upper().replace('-', '_')}"] = value.replace(
            "${{ github.token }}", "ghs_job_token_value")
    env.update({"INPUT_CONTEXT": "app", "INPUT_CACHE": "none", "INPUT_TAGS": ""})
    code, runner, _, io = harness(env)
    assert code == 0, io.err
    (login,) = [c for c in runner.calls if c[0][:2] == ["docker", "login"]]
    assert login[0] == ["docker", "login", "--username", "octocat", "--password-stdin",
                        "ghcr.io"]
    assert login[2] == "ghs_job_token_value"
    (build,) = runner.argvs("docker", "buildx", "build")
    # metadata-action's default tag rules give the branch tag on a push to main.
    assert "ghcr.io/acme-org/widget:main" in build and "--push" in build
    assert not any("ghs_job_token_value" in line for line in io.err.splitlines()
                   if not line.startswith("::add-mask::"))


# -- bake: one BuildKit session for every image that needs a build ---------------------------
API_DIGEST = "sha256:" + "a" * 64
WEB_DIGEST = "sha256:" + "b" * 64


class BakeRunner(FakeRunner):
    """``docker buildx bake`` stand-in: keeps the definition it was given and writes a
    metadata entry per target, each with its own digest."""

    def __init__(self, digests: dict[str, str], fail: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.digests, self.fail = digests, fail
        self.definitions: list[dict] = []

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        if list(argv[:3]) != ["docker", "buildx", "bake"]:
            return super().stream(argv, env=env, cwd=cwd, on_line=on_line)
        self.calls.append((list(argv), dict(env or {}), None))
        definition = json.loads(Path(argv[argv.index("--file") + 1]).read_text())
        self.definitions.append(definition)
        if self.fail:
            for line in self.fail:
                on_line(line)
            return proc.Completed(tuple(argv), 1, "\n".join(self.fail), "")
        metadata = {name: {"containerimage.digest": self.digests[name]}
                    for name in definition["target"]}
        Path(argv[argv.index("--metadata-file") + 1]).write_text(json.dumps(metadata))
        return proc.Completed(tuple(argv), 0, "#1 DONE", "")


class PerImageClient(FakeClient):
    """Present for the images named in ``present``; tags resolve per repository."""

    def __init__(self, present: dict[str, str], resolved: dict[str, str]) -> None:
        super().__init__()
        self.present, self.by_repo = present, resolved

    def check(self, ref, *, platforms=(), key=None, describe=False, **_):
        if describe:
            return super().check(ref, describe=True)
        self.checked.append(str(ref))
        if ref.name in self.present:
            return Presence(State.PRESENT, ref=str(ref), digest=self.present[ref.name],
                            reason="found")
        return Presence.absent(str(ref), f"{ref.tag} not found (404)")

    def resolve(self, ref):
        return Presence(State.PRESENT, ref=str(ref), digest=self.by_repo[ref.name])


API, WEB = "ghcr.io/acme/widget-api", "ghcr.io/acme/widget-web"
API_KEY, WEB_KEY = key_for("api"), key_for("web")
BOTH = {API: API_DIGEST, WEB: WEB_DIGEST}
TARGETS = {"acme-widget-api": API_DIGEST, "acme-widget-web": WEB_DIGEST}


def _bake_harness(harness, env=None, present=None, resolved=None, runner=None):
    runner = runner or BakeRunner(TARGETS)
    client = PerImageClient(present or {}, resolved or BOTH)
    code, _, _, io = harness({"INPUT_BAKE": "true", **(env or {})}, client=client,
                             runner=runner)
    return code, runner, client, io


def test_bake_builds_two_images_in_one_bake_run(harness, ws, tmp_path):
    _two_image_config(ws)
    code, runner, client, io = _bake_harness(harness, {"INPUT_PASSWORD": "pw-bake-3"})
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "bake")) == 1
    assert runner.argvs("docker", "buildx", "build") == []
    # Both images were checked (each under its own key tag) before the one bake run.
    assert client.checked == [f"{API}:ghbuild-key-{API_KEY}", f"{WEB}:ghbuild-key-{WEB_KEY}"]
    assert API_KEY != WEB_KEY
    (definition,) = runner.definitions
    api, web = definition["target"]["acme-widget-api"], definition["target"]["acme-widget-web"]
    assert api["context"] == "api" and web["context"] == "web"
    # The same plan a single build gets: this run's tags plus the key tag, pushed.
    assert api["tags"] == [f"{API}:main", f"{API}:ghbuild-key-{API_KEY}"]
    assert web["output"] == ["type=registry"]
    assert f"index:io.ghbuild.build-key={WEB_KEY}" in web["annotations"]
    # One login into one private config, which the bake run used.
    (login,) = [c for c in runner.calls if c[0][:2] == ["docker", "login"]]
    (bake_call,) = [c for c in runner.calls if c[0][:3] == ["docker", "buildx", "bake"]]
    assert bake_call[1]["DOCKER_CONFIG"] == login[1]["DOCKER_CONFIG"]
    images = json.loads(outputs(tmp_path)["metadata"])["images"]
    assert [(i["image"], i["digest"], i["action"], i["pushed"]) for i in images] == [
        (API, API_DIGEST, "build", True), (WEB, WEB_DIGEST, "build", True)]
    assert images[0]["buildx"] == {"containerimage.digest": API_DIGEST}
    assert "verified: 2 tags resolve to " + API_DIGEST in io.err
    assert "verified: 2 tags resolve to " + WEB_DIGEST in io.err
    summary = (tmp_path / "summary").read_text()
    assert summary.count("built in one docker buildx bake run of 2") == 2


def test_bake_runs_nothing_when_both_images_are_present(harness, ws, tmp_path):
    _two_image_config(ws)
    code, runner, client, io = _bake_harness(harness, present=BOTH)
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "bake") == []
    assert runner.argvs("docker", "buildx", "build") == []
    assert [source for source, _ in client.promoted] == [
        f"{API}:ghbuild-key-{API_KEY}@{API_DIGEST}", f"{WEB}:ghbuild-key-{WEB_KEY}@{WEB_DIGEST}"]
    images = json.loads(outputs(tmp_path)["metadata"])["images"]
    assert [(i["action"], i["digest"]) for i in images] == [("retag", API_DIGEST),
                                                            ("retag", WEB_DIGEST)]


def test_bake_takes_only_the_images_that_need_a_build(harness, ws, tmp_path):
    _two_image_config(ws)
    code, runner, client, io = _bake_harness(harness, present={API: API_DIGEST})
    assert code == 0, io.err
    (definition,) = runner.definitions
    assert list(definition["target"]) == ["acme-widget-web"]
    assert [source for source, _ in client.promoted] == [
        f"{API}:ghbuild-key-{API_KEY}@{API_DIGEST}"]
    images = json.loads(outputs(tmp_path)["metadata"])["images"]
    assert [(i["action"], i["digest"]) for i in images] == [("retag", API_DIGEST),
                                                            ("build", WEB_DIGEST)]


def test_bake_with_one_image_still_bakes(harness, ws, tmp_path):
    _two_image_config(ws)
    code, runner, _, io = _bake_harness(harness, {"INPUT_IMAGE": "widget-api"})
    assert code == 0, io.err
    (definition,) = runner.definitions
    assert list(definition["target"]) == ["acme-widget-api"]
    assert runner.argvs("docker", "buildx", "build") == []
    assert outputs(tmp_path)["digest"] == API_DIGEST


def test_bake_from_the_config_defaults(harness, ws):
    _two_image_config(ws)
    config = ws / ".github" / "ghbuild.yml"
    config.write_text(config.read_text().replace("defaults:\n", "defaults:\n  bake: true\n"))
    runner = BakeRunner(TARGETS)
    code, _, _, io = harness({}, client=PerImageClient({}, BOTH), runner=runner)
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "bake")) == 1
    # The file is written over the input, as for every other key.
    config.write_text(config.read_text().replace("bake: true", "bake: false"))
    runner = BakeRunner(TARGETS)
    code, _, _, io = _bake_harness(harness, runner=runner, resolved={API: DIGEST, WEB: DIGEST})
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "bake") == []
    assert len(runner.argvs("docker", "buildx", "build")) == 2


def test_bake_off_builds_each_image_on_its_own(harness, ws):
    _two_image_config(ws)
    code, runner, _, io = _bake_harness(harness, {"INPUT_BAKE": "false"},
                                        resolved={API: DIGEST, WEB: DIGEST})
    assert code == 0, io.err
    assert runner.argvs("docker", "buildx", "bake") == []
    assert len(runner.argvs("docker", "buildx", "build")) == 2


def test_bake_input_is_a_strict_boolean(harness, ws):
    _two_image_config(ws)
    code, runner, client, io = _bake_harness(harness, {"INPUT_BAKE": "yes"})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "input 'bake'" in line and "'yes'" in line
    assert runner.calls == [] and client.checked == []


def test_bake_refuses_network_before_any_registry_write(harness, ws):
    _two_image_config(ws)
    code, runner, client, io = _bake_harness(harness, {"INPUT_NETWORK": "host"},
                                             present={API: API_DIGEST})
    assert code == 2
    (line,) = error_lines(io.err)
    assert f"image {API}: input(s) network cannot be passed through a bake definition" in line
    assert runner.calls == [] and client.checked == [] and client.promoted == []


def test_bake_digest_not_in_the_registry_fails_the_run(harness, ws):
    _two_image_config(ws)
    code, _, _, io = _bake_harness(harness, resolved={API: API_DIGEST, WEB: OTHER})
    assert code == 1
    (line,) = error_lines(io.err)
    assert f"resolves to {OTHER}, not to the pushed digest {WEB_DIGEST}" in line


# What real bake printed for these two failures (buildx 0.13.1, two targets).
EXCERPT = ("Dockerfile:2", "--------------------", "   1 |     FROM scratch",
           "   2 | >>> COPY nothere /x", "   3 |     ", "--------------------")


@pytest.mark.parametrize("lines", [
    pytest.param(("#7 [acme-widget-web 1/1] COPY nothere /x", "#7 ERROR: not found",
                  " > [acme-widget-api] importing cache manifest from x:", "------",
                  " > [acme-widget-web 1/1] COPY nothere /x:", "------", *EXCERPT,
                  'ERROR: failed to solve: "/nothere": not found'), id="target-named"),
    # As real bake printed it: a cache-import warning names the other image last.
    pytest.param(("#5 ERROR: failed to configure registry cache importer: not found",
                  "------", " > [acme-widget-api] importing cache manifest from r/api:c:",
                  "------", *EXCERPT, "ERROR: failed to solve: dockerfile parse error on "
                  "line 2: unknown instruction: COPY2"), id="warning-names-another"),
    # A parse error names no target: the Dockerfile whose line 2 is the quoted text is it.
    pytest.param(("#2 [acme-widget-web internal] load build definition from Dockerfile",
                  *EXCERPT, "ERROR: failed to solve: dockerfile parse error on line 2: "
                  "unknown instruction: BOGUS"), id="text-matched"),
])
def test_a_failed_bake_annotates_the_failing_images_dockerfile(harness, ws, tmp_path, lines):
    _two_image_config(ws)
    (ws / "web" / "Dockerfile").write_text("FROM scratch\nCOPY nothere /x\n")
    code, _, client, io = _bake_harness(harness, runner=BakeRunner(TARGETS, fail=lines))
    assert code == 1
    (line,) = error_lines(io.err)
    assert line.startswith("::error file=web/Dockerfile,line=2::web/Dockerfile:2: buildx bake "
                           "failed: ERROR: failed to solve: ")
    assert outputs(tmp_path) == {} and client.promoted == []


def test_a_failed_bake_that_cannot_tell_the_dockerfile_names_none(harness, ws):
    _two_image_config(ws)  # both Dockerfiles are "FROM scratch": line 1 is in both
    lines = ("Dockerfile:1", "--------------------", "   1 | >>> FROM scratch",
             "--------------------", "ERROR: failed to solve: boom")
    code, _, _, io = _bake_harness(harness, runner=BakeRunner(TARGETS, fail=lines))
    assert code == 1
    (line,) = error_lines(io.err)
    assert line == "::error::buildx bake failed: ERROR: failed to solve: boom"


def test_bake_prepares_every_image_before_touching_the_registry(harness, ws):
    # Without bake the first image would be built and pushed before the second one's
    # bad input is read; with bake every image is read first.
    _two_image_config(ws)
    (ws / "web" / "Dockerfile").unlink()
    code, runner, client, io = _bake_harness(harness, {"INPUT_PASSWORD": "pw-bake-4"})
    assert code == 2
    (line,) = error_lines(io.err)
    # at the config line of the image's context (tests/test_round2_config_origin.py)
    assert line.startswith("::error file=.github/ghbuild.yml,line=7,col=5::")
    assert "images[1].context: Dockerfile 'web/Dockerfile' not found" in line
    assert runner.calls == [] and client.checked == [] and client.promoted == []


def test_bake_keeps_secret_values_out_of_the_definition_and_argv(harness, ws, tmp_path):
    _two_image_config(ws)
    config = ws / ".github" / "ghbuild.yml"
    config.write_text(config.read_text() + "    secrets: [NPM_TOKEN]\n"
                      "    build-args: {API_KEY: key-value-5e6f, MODE: prod}\n")
    code, runner, _, io = _bake_harness(harness, {"NPM_TOKEN": "npm-value-7a8b"})
    assert code == 0, io.err
    (definition,) = runner.definitions
    web = definition["target"]["acme-widget-web"]
    assert web["secret"] == ["id=NPM_TOKEN,env=NPM_TOKEN"]
    assert web["args"]["MODE"] == "prod" and web["args"]["API_KEY"].startswith("${GHBUILD_BAKE_")
    (argv, env, _) = next(c for c in runner.calls if c[0][:3] == ["docker", "buildx", "bake"])
    seen = json.dumps(definition) + " ".join(argv)
    assert "key-value-5e6f" not in seen and "npm-value-7a8b" not in seen
    assert env["NPM_TOKEN"] == "npm-value-7a8b" and "key-value-5e6f" in env.values()
    logged = [line for line in io.err.splitlines() if not line.startswith("::add-mask::")]
    assert not any("key-value-5e6f" in line or "npm-value-7a8b" in line for line in logged)


# -- findings of the hostile new-user test ----------------------------------------------------
RELEASE = "ghcr.io/acme-org/widget:1.0.0"


def test_a_build_that_would_move_a_release_tag_is_refused_before_anything(harness, tmp_path):
    # v1.0.0 pushed again on a new commit: the key is absent, so run would build and push
    # 1.0.0 over the old digest. It must refuse first: nothing built, logged in or written.
    client = FakeClient(existing={RELEASE: Presence(State.PRESENT, ref=RELEASE, digest=OTHER)})
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.0.0",
                                        "INPUT_PASSWORD": "pw-guard-1"}, client=client)
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"{RELEASE} is {OTHER}" in line and "nothing was built or pushed" in line
    assert "allow-tag-move: true" in line
    assert runner.calls == [] and client.promoted == []
    assert outputs(tmp_path) == {}


def test_allow_tag_move_lets_the_build_move_a_release_tag(harness, tmp_path):
    # 1.0.0 names OTHER. buildx does not get it; the promotion after the push moves it.
    client = FakeClient(existing={RELEASE: Presence(State.PRESENT, ref=RELEASE, digest=OTHER)})
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.0.0",
                                        "INPUT_ALLOW-TAG-MOVE": "true"}, client=client)
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert RELEASE not in build and "--push" in build
    assert client.put == [RELEASE]
    assert f"{RELEASE}: moved from {OTHER} to {DIGEST}" in io.err
    # No guard before the build: read by the promotion, read back, and by the check.
    assert client.resolved_refs.count(RELEASE) == 3
    assert outputs(tmp_path)["digest"] == DIGEST


def test_an_absent_release_tag_builds(harness, tmp_path):
    client = FakeClient(existing={RELEASE: Presence.absent(RELEASE, "1.0.0 not found (404)")})
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.0.0"}, client=client)
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "build")) == 1
    assert client.resolved_refs[0] == RELEASE  # asked before the build
    assert outputs(tmp_path)["pushed"] == "true"


def test_a_doubtful_release_tag_answer_refuses_rather_than_overwrite(harness, tmp_path):
    unknown = Presence.unknown(RELEASE, "registry ghcr.io answered HTTP 503", "fault")
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.0.0"},
                                       client=FakeClient(existing={RELEASE: unknown}))
    assert code == 1, io.err
    (line,) = error_lines(io.err)
    assert "cannot tell whether release tag(s) already exist" in line
    assert "HTTP 503" in line and "nothing was built or pushed" in line
    assert runner.calls == []


def test_bake_refuses_a_release_tag_move_before_any_promotion(harness, ws, tmp_path):
    _two_image_config(ws)
    config = ws / ".github" / "ghbuild.yml"
    config.write_text(config.read_text().replace("type=ref,event=branch",
                                                 "type=semver,pattern={{version}}"))
    # api is present (it would only be retagged); web needs a build, and web:1.0.0 exists.
    client = PerImageClient({API: API_DIGEST}, BOTH)
    runner = BakeRunner(TARGETS)
    code, _, _, io = harness({"INPUT_BAKE": "true", "GITHUB_REF": "refs/tags/v1.0.0"},
                             client=client, runner=runner)
    assert code == 3, io.err
    assert f"{WEB}:1.0.0 is {WEB_DIGEST}" in error_lines(io.err)[0]
    assert f"{API}:1.0.0" not in error_lines(io.err)[0]
    # nothing is written before the refusal, not even api's promotion
    assert client.promoted == [] and runner.calls == []


def test_retag_reports_the_labels_the_image_carries(harness, tmp_path):
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    code, _, client, io = harness({"GITHUB_REF": "refs/tags/v3.0.0"},
                                  client=FakeClient(present, resolved=OTHER))
    assert code == 0, io.err
    out = outputs(tmp_path)
    assert out["version"] == "3.0.0"
    assert out["labels"].splitlines() == [f"{k}={v}" for k, v in
                                          sorted(FIRST_BUILD_LABELS.items())]
    assert out["annotations"].splitlines() == ["manifest:org.opencontainers.image.version=main"]
    meta = json.loads(out["metadata"])
    assert meta["labels-source"] == "image"
    assert "org.opencontainers.image.version=3.0.0" in meta["computed-labels"]
    # The platform of the reused image, read from its config.
    assert meta["platforms"] == ["linux/arm64"]
    assert ("::notice::retag: ghcr.io/acme-org/widget@" + OTHER + " keeps the labels and "
            "annotations of its first build (version main, not 3.0.0)") in io.err
    assert "keeps the labels and annotations of its first build" in \
        (tmp_path / "summary").read_text()


def test_retag_with_the_same_version_names_only_created_and_revision(harness, tmp_path):
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    # a push to main: version main, as on the first build's image (FIRST_BUILD_LABELS)
    code, _, _, io = harness({}, client=FakeClient(present, resolved=OTHER))
    assert code == 0, io.err
    assert outputs(tmp_path)["version"] == "main"
    (notice,) = [line for line in io.err.splitlines() if "keeps the" in line]
    assert notice == ("::notice::retag: ghcr.io/acme-org/widget@" + OTHER + " keeps the "
                      "labels (created time, revision) of its first build; the labels and "
                      "annotations outputs are the image's own")
    assert "not main" not in io.err
    assert "| Labels | the image keeps the labels (created time, revision) of its first " \
        "build: the digest is reused" in (tmp_path / "summary").read_text()


def test_a_build_reports_its_computed_labels(harness, tmp_path):
    code, _, _, io = harness({})
    assert code == 0, io.err
    meta = json.loads(outputs(tmp_path)["metadata"])
    assert meta["labels-source"] == "computed" and "computed-labels" not in meta
    assert "org.opencontainers.image.version=main" in meta["labels"]


def test_pushed_is_false_when_a_retag_wrote_nothing(harness, tmp_path):
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    client = FakeClient(present, promote_actions=(Action.UNCHANGED,))
    code, _, _, io = harness({}, client=client)
    assert code == 0, io.err
    out = outputs(tmp_path)
    assert (out["action"], out["pushed"]) == ("retag", "false")
    assert "| Push | **no**: nothing to write, every tag already names the digest" in \
        (tmp_path / "summary").read_text()
    client = FakeClient(present, promote_actions=(Action.UNCHANGED, Action.CREATED))
    code, _, _, io = harness({"INPUT_TAGS": "type=ref,event=branch\ntype=sha"}, client=client)
    assert code == 0, io.err
    assert outputs(tmp_path)["pushed"] == "true"


def test_platforms_without_a_push_come_from_the_plan(harness, tmp_path):
    code, _, client, io = harness({"INPUT_PUSH": "false",
                                   "INPUT_PLATFORMS": "linux/amd64,linux/arm64"})
    assert code == 0, io.err
    assert json.loads(outputs(tmp_path)["metadata"])["platforms"] == ["linux/amd64",
                                                                      "linux/arm64"]
    assert client.described == []
    code, _, _, io = harness({"INPUT_PUSH": "false", "INPUT_PLATFORMS": ""})
    assert "| Platforms | engine default" in (tmp_path / "summary").read_text()


def test_a_bad_platform_is_refused_before_anything_runs(harness):
    code, runner, client, io = harness({"INPUT_PLATFORMS": "linux/amd6"})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "input 'platforms': 'linux/amd6' is not a platform: unknown architecture" in line
    assert "did you mean linux/amd64?" in line
    assert runner.calls == [] and client.checked == []


@pytest.mark.parametrize(("presence", "wording"), [
    (Presence.unknown("k", "cannot reach registry ghcr.io: connection refused", "fault"),
     "build decision: build — the registry check was inconclusive (cannot reach registry "
     "ghcr.io: connection refused): building rather than risk a skip"),
    (Presence.absent("k", f"{OTHER} lacks platform linux/arm64 (has linux/amd64)",
                     digest=OTHER),
     "build decision: build — the image for this build key lacks a requested platform: "
     f"{OTHER} lacks platform linux/arm64 (has linux/amd64)"),
    (Presence.absent("k", "k not found (404)"),
     "build decision: build — no image for this build key yet (k not found (404))"),
], ids=["unknown", "lacks-platform", "absent"])
def test_build_decision_wording(harness, presence, wording):
    code, _, _, io = harness({}, client=FakeClient(presence))
    assert code == 0, io.err
    assert wording in io.err


def test_an_unreachable_registry_warns_up_front_that_the_push_will_likely_fail(harness):
    unknown = Presence.unknown("k", "cannot reach registry ghcr.io: connection refused",
                               "fault")
    code, _, _, io = harness({}, client=FakeClient(unknown))
    assert code == 0, io.err
    warning = ("::warning::the registry cannot be reached (cannot reach registry ghcr.io: "
               "connection refused): building anyway, but the push at the end will likely fail")
    lines = io.err.splitlines()
    assert warning in lines
    assert lines.index(warning) < lines.index("::group::docker buildx build")
    # An answer the registry gave (HTTP 503) is not "unreachable": no such warning.
    code, _, _, io = harness({}, client=FakeClient(Presence.unknown("k", "HTTP 503", "fault")))
    assert "will likely fail" not in io.err


def test_an_uppercase_explicit_image_is_lowercased_with_one_notice(harness, tmp_path):
    code, runner, _, io = harness({"INPUT_IMAGES": "ghcr.io/Acme/Widget\nghcr.io/acme/other"})
    assert code == 0, io.err
    notice = ("::notice::image name ghcr.io/Acme/Widget lowercased to ghcr.io/acme/widget "
              "(registries accept lowercase repository names only)")
    assert io.err.count("lowercased to") == 1 and notice in io.err
    assert "ghcr.io/acme/widget:main" in runner.argvs("docker", "buildx", "build")[0]


def test_flags_override_the_config_file(harness, ws):
    _two_image_config(ws)
    shutil.copytree(ws / "web", ws / "other")
    code, runner, _, io = harness({}, argv=("--image", "widget-api", "--context", "other"))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert build[-1] == "other" and "ghcr.io/acme/widget-api:main" in build


class StoreRunner(FakeRunner):
    """A docker driver whose engine answers ``docker info`` with ``status``."""

    def __init__(self, status: str, code: int = 0) -> None:
        super().__init__()
        self.status, self.code = status, code

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        if list(argv[:2]) == ["docker", "info"]:
            self.calls.append((list(argv), dict(env or {}), stdin))
            return proc.Completed(tuple(argv), self.code, self.status, "")
        return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)


CLASSIC = '[["Backing Filesystem","extfs"],["Supports d_type","true"]]\n'
CONTAINERD = '[["driver-type","io.containerd.snapshotter.v1"]]\n'


def test_docker_driver_without_containerd_store_drops_cache_export(harness, tmp_path):
    code, runner, _, io = harness({"INPUT_CACHE": "registry"}, runner=StoreRunner(CLASSIC))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--cache-to" not in build
    assert "type=registry,ref=ghcr.io/acme-org/widget:buildcache" in build  # still read
    warnings = [line for line in io.err.splitlines() if line.startswith("::warning::cache ")]
    assert len(warnings) == 1 and "docker/setup-buildx-action" in warnings[0]
    assert "containerd image store" in warnings[0]
    assert "not written" in json.loads(outputs(tmp_path)["metadata"])["cache"]


@pytest.mark.parametrize("status", [CONTAINERD, "not json"], ids=["containerd", "unknown"])
def test_cache_export_kept_with_the_containerd_store_or_when_unsure(harness, status):
    code, runner, _, io = harness({"INPUT_CACHE": "registry"}, runner=StoreRunner(status))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "--cache-to" in build
    assert runner.argvs("docker", "info")  # asked: the docker driver and a cache export


def test_gha_cache_through_the_results_service(harness):
    code, runner, _, io = harness({"INPUT_CACHE": "gha", "ACTIONS_RUNTIME_TOKEN": "a.b.c",
                                   "ACTIONS_RESULTS_URL": "http://127.0.0.1:9/",
                                   "ACTIONS_CACHE_SERVICE_V2": "True"},
                                  runner=StoreRunner(CONTAINERD))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "type=gha,scope=ghcr.io-acme-org-widget" in build
    assert "cache 'gha' needs" not in io.err


def test_the_lowercasing_notice_names_whole_image_names_only(harness):
    code, _, _, io = harness({"INPUT_IMAGES": "ghcr.io/Acme/widget-api\nghcr.io/acme/widget"})
    assert code == 0, io.err
    notices = [line for line in io.err.splitlines() if "lowercased to" in line]
    assert notices == ["::notice::image name ghcr.io/Acme/widget-api lowercased to "
                       "ghcr.io/acme/widget-api (registries accept lowercase repository "
                       "names only)"]


def test_a_retag_whose_labels_cannot_be_read_says_so(harness, tmp_path):
    from ghbuild.errors import RegistryError

    class NoBlob(FakeClient):
        def get_blob(self, repo, digest, **_):
            raise RegistryError(f"GET blob {digest}: HTTP 500")

    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    code, _, _, io = harness({"GITHUB_REF": "refs/tags/v3.0.0"},
                             client=NoBlob(present, resolved=OTHER))
    assert code == 0, io.err
    assert "::warning::could not read the labels of" in io.err and "HTTP 500" in io.err
    meta = json.loads(outputs(tmp_path)["metadata"])
    assert meta["labels-source"] == "computed" and meta["action"] == "retag"
    assert "org.opencontainers.image.version=3.0.0" in meta["labels"]


def test_a_bad_platform_in_the_config_file_names_the_file_and_image(harness, ws):
    _two_image_config(ws)
    config = ws / ".github" / "ghbuild.yml"
    config.write_text(config.read_text() + "    platforms: [linux/amd64, linux/arm65]\n")
    code, runner, client, io = harness({})
    assert code == 2
    (line,) = error_lines(io.err)
    assert ".github/ghbuild.yml:6: images[1].platforms: 'linux/arm65' is not a platform: " \
           "unknown architecture 'arm65' (image ghcr.io/acme/widget-web)" in line
    assert "did you mean linux/arm64?" in line
    assert runner.calls == [] and client.checked == []


def test_a_retag_that_would_move_a_release_tag_is_refused_before_any_write(harness):
    # The key is present at OTHER, but 1.0.0 already names DIGEST (another build).
    present = Presence(State.PRESENT, ref="k", digest=OTHER, reason="found")
    code, runner, client, io = harness({"GITHUB_REF": "refs/tags/v1.0.0"},
                                       client=FakeClient(present, resolved=DIGEST))
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"refusing to promote {OTHER}: release tag(s) already exist" in line
    assert f"{RELEASE} is {DIGEST}" in line
    assert client.promoted == [] and runner.calls == []


# -- secrets in the opening log group and in context URLs ----------------------------------
def _logged(err: str) -> list[str]:
    """Every log line but the runner's mask registrations (they must name the value)."""
    return [line for line in err.splitlines() if not line.startswith("::add-mask::")]


@pytest.mark.parametrize(("raw", "shown"), [
    ("LEAKVAL_ONLY_111", "input secrets: ***"),
    ("good=fine\nLEAKVAL_ONLY_222", "input secrets: good | ***"),
    ("npm=q7z\n# LEAKVAL_COMMENT\nbad id=LEAKVAL_X", "input secrets: npm | ***"),
], ids=["only-a-value", "second-line-a-value", "short-value-comment-bad-id"])
def test_a_secrets_line_is_shown_by_its_id_only(harness, raw, shown):
    code, runner, _, io = harness({"INPUT_SECRETS": raw})
    assert code == 2, io.err
    assert shown in _logged(io.err)
    assert not any("LEAKVAL" in line or "q7z" in line for line in _logged(io.err))
    # a line without "=" was registered for masking as a whole, before anything printed
    if "\n" not in raw:
        assert io.err.splitlines()[0] == f"::add-mask::{raw}"
    assert runner.calls == []


def test_credentials_in_context_urls_reach_neither_the_log_nor_argv(harness):
    env = {"INPUT_CONTEXT": "https://x-access-token:ctx-secret-1@github.com/acme/widget.git#main",
           "INPUT_BUILD-CONTEXTS": "other=https://user:bc-secret-2@example.com/x.git"}
    code, runner, _, io = harness(env)
    assert code == 0, io.err
    log = _logged(io.err)
    assert "input context: https://***@github.com/acme/widget.git#main" in log
    assert "input build-contexts: other=https://***@example.com/x.git" in log
    assert not any("-secret-" in line for line in log)
    ((argv, child, _),) = [c for c in runner.calls if c[0][:3] == ["docker", "buildx", "build"]]
    assert not any("-secret-" in arg for arg in argv)
    assert argv[-1] == "https://github.com/acme/widget.git#main"
    assert "other=https://example.com/x.git" in argv
    assert child["GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM"] == "ctx-secret-1"
    assert child["GHBUILD_GIT_AUTH_HEADER_EXAMPLE_COM"] == "basic dXNlcjpiYy1zZWNyZXQtMg=="


def test_a_tarball_url_with_credentials_is_refused_before_anything_runs(harness):
    code, runner, _, io = harness({"INPUT_CONTEXT": "https://u:TOKEN_TAR_3@example.com/c.tgz"})
    assert code == 2
    assert "carries credentials in the URL" in io.err
    assert not any("TOKEN_TAR_3" in line for line in _logged(io.err))
    assert runner.calls == []


def test_images_with_the_same_logins_share_one_registry_client(monkeypatch):
    from ghbuild.registry import ImageRef

    made = []
    monkeypatch.setattr(run_cmd, "_client", lambda *a: made.append(object()) or made[-1])
    client_for = run_cmd.shared_clients()
    same = run_cmd.read_inputs({"INPUT_PASSWORD": "pw-shared-1", "INPUT_USERNAME": "bot"})
    other = run_cmd.read_inputs({"INPUT_PASSWORD": "pw-other-2", "INPUT_USERNAME": "bot"})
    api, web = ImageRef.parse("reg.example/acme/api"), ImageRef.parse("reg.example/acme/web")
    actions = run_cmd.Actions({})
    first = client_for(same, api, actions)
    assert client_for(same, web, actions) is first  # one pool, one token cache
    assert client_for(other, web, actions) is not first  # other credentials, other client
    elsewhere = ImageRef.parse("other.example/acme/web")
    assert client_for(same, elsewhere, actions) is not first  # the password is for its host
    assert len(made) == 3
