"""The buildx argument list, exactly, one row per input combination; parsing and checks."""

from __future__ import annotations

import pytest

from ghbuild.build import (
    BuildInputs,
    BuildPlan,
    KeyValue,
    buildx_argv,
    check_paths,
    child_env,
    inputs_from_env,
    is_credential_name,
    safe_provenance,
    secret_values,
    shell_echo,
)
from ghbuild.errors import InputError

HEAD = ["docker", "buildx", "build", "--progress", "plain"]

ARGV_ROWS = [
    ("minimal", BuildPlan(inputs=BuildInputs()), HEAD + ["."]),
    ("tags-labels-push", BuildPlan(
        inputs=BuildInputs(context="examples/hello"), tags=("r/i:main", "r/i:sha-1"),
        labels=("org.opencontainers.image.title=hello",), push=True,
        metadata_file="/t/md.json"),
     HEAD + ["--label", "org.opencontainers.image.title=hello", "--metadata-file",
             "/t/md.json", "--push", "--tag", "r/i:main", "--tag", "r/i:sha-1",
             "examples/hello"]),
    ("file-target-platforms", BuildPlan(inputs=BuildInputs(
        file="docker/Dockerfile.prod", target="final",
        platforms=("linux/amd64", "linux/arm64"))),
     HEAD + ["--file", "docker/Dockerfile.prod", "--platform", "linux/amd64,linux/arm64",
             "--target", "final", "."]),
    ("build-args-plain-and-credential", BuildPlan(inputs=BuildInputs(
        build_args=(KeyValue("GREETING", "hi there"), KeyValue("NPM_TOKEN", "s3cr3t")))),
     HEAD + ["--build-arg", "GREETING=hi there", "--build-arg", "NPM_TOKEN", "."]),
    ("secrets-three-kinds", BuildPlan(inputs=BuildInputs(
        secrets=(KeyValue("npm", "tok1"), KeyValue("git.auth", "tok2")),
        secret_envs=(KeyValue("aws", "AWS_KEY"),),
        secret_files=(KeyValue("cert", "/run/cert.pem"),))),
     HEAD + ["--secret", "id=npm,env=GHBUILD_SECRET_NPM",
             "--secret", "id=git.auth,env=GHBUILD_SECRET_GIT_AUTH",
             "--secret", "id=aws,env=AWS_KEY", "--secret", "id=cert,src=/run/cert.pem", "."]),
    ("cache-annotations", BuildPlan(
        inputs=BuildInputs(), annotations=("index:org.opencontainers.image.revision=abc",),
        cache_from=("type=gha,scope=s",), cache_to=("type=gha,scope=s,mode=max",)),
     HEAD + ["--annotation", "index:org.opencontainers.image.revision=abc",
             "--cache-from", "type=gha,scope=s", "--cache-to", "type=gha,scope=s,mode=max",
             "."]),
    ("everything-else", BuildPlan(inputs=BuildInputs(
        builder="b1", add_hosts=("db:127.0.0.1",), build_contexts=("base=docker-image://x",),
        load=True, network="host", no_cache=True, no_cache_filters=("builder",),
        outputs=("type=oci,dest=/t/o.tar",), provenance="mode=max", pull=True,
        sbom="true", shm_size="1g", ssh=("default",), ulimit=("nofile=1024:1024",))),
     ["docker", "buildx", "build", "--builder", "b1", "--progress", "plain",
      "--add-host", "db:127.0.0.1", "--build-context", "base=docker-image://x", "--load",
      "--network", "host", "--no-cache", "--no-cache-filter", "builder",
      "--output", "type=oci,dest=/t/o.tar", "--provenance", "mode=max", "--pull",
      "--sbom", "true", "--shm-size", "1g", "--ssh", "default",
      "--ulimit", "nofile=1024:1024", "."]),
    ("credential-arg-lowers-provenance", BuildPlan(inputs=BuildInputs(
        build_args=(KeyValue("DB_PASSWORD", "pw"),), provenance="mode=max")),
     HEAD + ["--build-arg", "DB_PASSWORD", "--provenance", "mode=min", "."]),
]


@pytest.mark.parametrize(("row_id", "plan", "argv"), ARGV_ROWS, ids=[r[0] for r in ARGV_ROWS])
def test_buildx_argv(row_id, plan, argv):
    assert buildx_argv(plan) == argv


def test_no_secret_value_on_argv_and_all_in_child_env():
    plan = BuildPlan(inputs=BuildInputs(
        secrets=(KeyValue("npm", "tok-value-1"),),
        build_args=(KeyValue("NPM_TOKEN", "arg-value-2"), KeyValue("MODE", "prod"))))
    argv = buildx_argv(plan)
    assert not any("tok-value-1" in a or "arg-value-2" in a for a in argv)
    assert child_env(plan) == {"GHBUILD_SECRET_NPM": "tok-value-1", "NPM_TOKEN": "arg-value-2"}
    assert secret_values(plan.inputs) == ["tok-value-1", "arg-value-2"]


def test_keyvalue_repr_hides_value():
    assert "hidden-value" not in repr(KeyValue("npm", "hidden-value"))


@pytest.mark.parametrize(("name", "credential"), [
    ("NPM_TOKEN", True), ("DB_PASSWORD", True), ("AWS_SECRET_ACCESS_KEY", True),
    ("API_KEY", True), ("GITHUB_PAT", True), ("GITHUBTOKEN", True), ("npm_token", True),
    ("GREETING", False), ("KEYBOARD", False), ("MONKEY", False), ("VERSION", False),
])
def test_is_credential_name(name, credential):
    assert is_credential_name(name) is credential


def test_safe_provenance_warns_only_when_lowered():
    plain = BuildInputs(provenance="mode=max", build_args=(KeyValue("A", "1"),))
    assert safe_provenance(plain) == ("mode=max", None)
    cred = BuildInputs(provenance="mode=max", build_args=(KeyValue("NPM_TOKEN", "1"),))
    value, warning = safe_provenance(cred)
    assert value == "mode=min" and "credential" in warning


def test_shell_echo_quotes_and_redacts():
    line = shell_echo(["docker", "build", "--label", "a=b c", "x'y"],
                      lambda text: text.replace("b c", "***"))
    assert line == "docker build --label 'a=***' 'x'\"'\"'y'"


def test_inputs_from_env_reads_build_push_action_names():
    env = {"INPUT_CONTEXT": "examples/hello", "INPUT_FILE": "examples/hello/Dockerfile",
           "INPUT_PLATFORMS": "linux/amd64,\nlinux/arm64", "INPUT_BUILD-ARGS":
           "GREETING=hi=there\n# comment\n\nB=2", "INPUT_SECRETS": "npm=abc=def\n",
           "INPUT_NO-CACHE": "true", "INPUT_NETWORK": "host", "INPUT_SHM_SIZE": "2g"}
    got = inputs_from_env(env)
    assert got.context == "examples/hello"
    assert got.platforms == ("linux/amd64", "linux/arm64")
    assert got.build_args == (KeyValue("GREETING", "hi=there"), KeyValue("B", "2"))
    assert [(kv.key, kv.value) for kv in got.secrets] == [("npm", "abc=def")]
    assert got.no_cache and got.network == "host" and got.shm_size == "2g"


@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_BUILD-ARGS": "A=1\nnot an arg"},
     "input 'build-args' line 2: expected NAME=value, got 'not an arg'"),
    ({"INPUT_BUILD-ARGS": "A=1\nA=2"}, "input 'build-args' line 2: 'A' is given twice"),
    ({"INPUT_BUILD-ARGS": "1A=x"}, "input 'build-args' line 1: expected NAME=value, got '1A'=…"),
    ({"INPUT_NO-CACHE": "yes"}, "input 'no-cache' must be 'true' or 'false'"),
])
def test_inputs_bad(env, message):
    with pytest.raises(InputError) as err:
        inputs_from_env(env)
    assert message in str(err.value)


def test_bad_secret_line_does_not_echo_its_text():
    with pytest.raises(InputError) as err:
        inputs_from_env({"INPUT_SECRETS": "ghp_thisisthetokenitself"})
    assert "ghp_thisisthetokenitself" not in str(err.value)
    assert "input 'secrets' line 1" in str(err.value)


def test_check_paths(tmp_path):
    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "Dockerfile").write_text("FROM scratch\n")
    check_paths(BuildInputs(context="app"), cwd=str(ws), workspace=str(ws))
    check_paths(BuildInputs(context="https://example.invalid/x.git"), cwd=str(ws),
                workspace=str(ws))
    with pytest.raises(InputError, match=r"input 'context' '\.\./\.\.' resolves to .* outside "
                                         r"the workspace"):
        check_paths(BuildInputs(context="../.."), cwd=str(ws / "app"), workspace=str(ws))
    with pytest.raises(InputError, match="input 'file': Dockerfile 'app/Nope' not found"):
        check_paths(BuildInputs(context="app", file="app/Nope"), cwd=str(ws),
                    workspace=str(ws))
    with pytest.raises(InputError, match="input 'context': Dockerfile '.*Dockerfile' not found"):
        check_paths(BuildInputs(context="."), cwd=str(ws), workspace=str(ws))
    with pytest.raises(InputError, match=r"input 'file' '\.\./Dockerfile' resolves to .* "
                                         r"outside the workspace"):
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        check_paths(BuildInputs(context="app", file="../Dockerfile"), cwd=str(ws),
                    workspace=str(ws))
    with pytest.raises(InputError, match="input 'context' 'missing': no such directory"):
        check_paths(BuildInputs(context="missing"), cwd=str(ws), workspace=str(ws))


# -- platforms: one parser (ghbuild.registry.checks.normalise_platform) for every input ----
@pytest.mark.parametrize(("raw", "problem", "hint"), [
    ("linux/amd6", "unknown architecture 'amd6'", "did you mean linux/amd64?"),
    ("linux/amd64,lnux/arm64", "unknown operating system 'lnux'", "did you mean linux/arm64?"),
    ("linux/arm/v9", "unknown variant 'v9' for arm", "did you mean linux/arm/v8?"),
    ("linux/amd64/v5", "unknown variant 'v5' for amd64", "did you mean linux/amd64/v4?"),
    ("linux/s390x/v1", "s390x takes no variant", "did you mean linux/s390x?"),
    ("linux", "is not a platform (expected os/arch", None),
])
def test_platforms_input_is_checked_against_known_values(raw, problem, hint):
    with pytest.raises(InputError) as err:
        inputs_from_env({"INPUT_PLATFORMS": raw})
    assert err.value.message.startswith("input 'platforms': ")
    assert problem in err.value.message
    assert err.value.hint == hint


def test_known_platforms_keep_their_spelling():
    raw = "linux/amd64, linux/arm64/v8\nlinux/arm/v6,linux/amd64/v3,windows/amd64,linux/x86_64"
    got = inputs_from_env({"INPUT_PLATFORMS": raw}).platforms
    assert got == ("linux/amd64", "linux/arm64/v8", "linux/arm/v6", "linux/amd64/v3",
                   "windows/amd64", "linux/x86_64")


# -- credentials in context URLs (the token goes to BuildKit as a build secret) ----------
def test_git_context_credentials_leave_argv_for_the_environment():
    env = {"INPUT_CONTEXT": "https://x-access-token:ctx-token-111@github.com/acme/widget.git#main",
           "INPUT_BUILD-CONTEXTS": "other=https://user:bc-token-222@example.com:8443/x.git\n"
                                   "base=docker-image://alpine"}
    inputs = inputs_from_env(env)
    plan = BuildPlan(inputs=inputs)
    assert buildx_argv(plan) == HEAD + [
        "--build-context", "other=https://example.com:8443/x.git",
        "--build-context", "base=docker-image://alpine",
        "--secret", "id=GIT_AUTH_TOKEN.github.com,env=GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM",
        "--secret",
        "id=GIT_AUTH_HEADER.example.com:8443,env=GHBUILD_GIT_AUTH_HEADER_EXAMPLE_COM_8443",
        "https://github.com/acme/widget.git#main"]
    # user "user" is kept: a whole basic header, base64 of "user:bc-token-222"
    header = "basic dXNlcjpiYy10b2tlbi0yMjI="
    assert child_env(plan) == {"GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM": "ctx-token-111",
                               "GHBUILD_GIT_AUTH_HEADER_EXAMPLE_COM_8443": header}
    assert secret_values(inputs) == ["ctx-token-111", header]
    assert "ctx-token-111" not in repr(inputs)


def test_token_as_user_name_is_the_token():
    inputs = inputs_from_env({"INPUT_CONTEXT": "https://ghp_tokenonly333@github.com/a/b.git"})
    assert inputs.context == "https://github.com/a/b.git"
    assert child_env(BuildPlan(inputs=inputs)) == {"GHBUILD_GIT_AUTH_TOKEN_GITHUB_COM":
                                                   "ghp_tokenonly333"}


def test_a_url_without_credentials_is_left_alone():
    for url in ("https://github.com/a/b.git#main", "ssh://git@github.com/a/b.git",
                "git@github.com:a/b.git", "https://@github.com/a/b.git"):
        inputs = inputs_from_env({"INPUT_CONTEXT": url})
        assert (inputs.context, inputs.git_auth) == (url, ())
    pinned = "base=docker-image://alpine:3.19@sha256:" + "a" * 64
    assert inputs_from_env({"INPUT_BUILD-CONTEXTS": pinned}).build_contexts == (pinned,)


@pytest.mark.parametrize(("env", "message"), [
    ({"INPUT_CONTEXT": "https://u:tar-token-444@example.com/ctx.tar.gz"},
     "input 'context': 'https://example.com/ctx.tar.gz' carries credentials in the URL"),
    ({"INPUT_BUILD-CONTEXTS": "a=docker-image://x\nb=git://u:tok-555@h.example/r.git"},
     "input 'build-contexts' line 2: 'git://h.example/r.git' carries credentials"),
    ({"INPUT_CONTEXT": "https://u:tok-666@github.com/a/b.git",
      "INPUT_BUILD-CONTEXTS": "x=https://u:tok-777@github.com/a/c.git"},
     "input 'build-contexts' line 1: other credentials for github.com than an earlier URL's"),
    ({"INPUT_CONTEXT": "https://u:tok-888@github.com/a/b.git",
      "INPUT_SECRETS": "GIT_AUTH_HEADER.github.com=other-999"},
     "input 'secrets': 'GIT_AUTH_HEADER.github.com' competes with the credentials of a "
     "context URL for github.com"),
], ids=["tarball-url", "git-protocol", "two-tokens-one-host", "also-in-secrets"])
def test_url_credentials_that_cannot_be_a_secret_are_refused(env, message):
    with pytest.raises(InputError) as err:
        inputs_from_env(env)
    assert message in str(err.value)
    assert err.value.exit_code == 2
    assert not any(tok in str(err.value) for tok in ("444", "555", "666", "777", "888"))
