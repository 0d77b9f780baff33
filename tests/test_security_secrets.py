"""A credential pasted where a name belongs (a secret id, a variable name, a build arg
name) is refused with its input and line, never printed; a secret read from a variable
that is not set is refused before anything runs (``ghbuild plan`` warns instead)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ghbuild.build import credential_shape, inputs_from_env, is_secret_id
from ghbuild.config import load_config
from ghbuild.errors import ConfigError, InputError
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

harness = run_tests.harness
ws = run_tests.ws

TOKENS = {
    "a GitHub token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "an AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "an npm token": "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "a long random string": "Xk9fQ2pL7mN4vR8tY1wZ3bC6dE0gH5jA",
}
SHAPES = {
    **TOKENS,
    "a GitLab token": "glpat-abcdefghij0123456789",
    "a Slack token": "xoxb-123456789012-abcdefABCDEF",
}
NAMES = ["NPM_TOKEN", "npm", "github_token", "GIT_AUTH_TOKEN.github.com",
         "MyServiceApiKeyForProduction2024", "GHBUILD_SECRET_VERY_LONG_NAME_FOR_SOMETHING",
         "AWS_SECRET_ACCESS_KEY_PRODUCTION_2024_EU", "ghp_short"]


@pytest.mark.parametrize(("kind", "text"), SHAPES.items())
def test_credential_shapes(kind, text):
    assert credential_shape(text) == kind
    assert not is_secret_id(text)


@pytest.mark.parametrize("text", NAMES)
def test_names_are_not_credentials(text):
    assert credential_shape(text) is None


@pytest.mark.parametrize(("name", "line", "role"), [
    ("secrets", "{t}=value", "secret id"),
    ("secret-envs", "npm={t}", "variable name"),
    ("secret-envs", "{t}=NPM_TOKEN", "secret id"),
    ("secret-files", "{t}=/etc/hostname", "secret id"),
    ("build-args", "{t}=1", "build arg name"),
])
@pytest.mark.parametrize("token", TOKENS.values())
def test_inputs_refuse_a_credential_for_a_name(name, line, role, token):
    with pytest.raises(InputError) as caught:
        inputs_from_env({f"INPUT_{name.upper()}": "# first\nok=1\n" + line.format(t=token)})
    message = str(caught.value)
    assert message.startswith(f"input '{name}' line 3: the {role} looks like a credential "
                              "value (")
    assert "store it as a secret and name the variable" in message
    assert token not in message


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    return tmp_path


@pytest.mark.parametrize(("secrets", "line"), [
    ("    secrets: [NPM_TOKEN, {t}]\n", 4),
    ("    secrets:\n      - NPM_TOKEN\n      - {t}\n", 6),
    ("    secrets:\n      npm: {t}\n", 5),
    ("    secrets:\n      {t}: NPM_TOKEN\n", 5),
])
def test_config_file_refuses_a_credential_with_file_and_line(repo, secrets, line):
    token = TOKENS["a GitHub token"]
    text = "version: 1\nimages:\n  - name: ghcr.io/acme/app\n" + secrets.format(t=token)
    path = repo / ".github" / "ghbuild.yml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    err = caught.value
    assert (err.file, err.line) == (str(path), line), str(err)
    assert "images[0].secrets: an entry looks like a credential value (a GitHub token)" in \
        str(err)
    assert token not in str(err)


def test_a_pasted_token_in_a_run_is_refused_and_never_printed(harness):
    token = TOKENS["a GitHub token"]
    code, runner, client, io = harness({"INPUT_SECRET-ENVS": f"{token}={token}"})
    assert code == 2, io.err
    (line,) = error_lines(io.err)
    assert "input 'secret-envs' line 1: the secret id looks like a credential value" in line
    shown = [ln for ln in io.err.splitlines() + io.out.splitlines()
             if not ln.startswith("::add-mask::")]
    assert not any(token in ln for ln in shown)
    assert runner.calls == [] and client.checked == []


@pytest.mark.parametrize(("env", "where"), [
    ({"INPUT_SECRET-ENVS": "npm=SURELY_UNSET_VAR_X"}, "input 'secret-envs' line 1"),
    ({"INPUT_SECRET-ENVS": "a=HOME\n# npm next\nnpm=SURELY_UNSET_VAR_X"},
     "input 'secret-envs' line 3"),
])
def test_an_unset_secret_variable_is_refused_before_anything_runs(harness, env, where):
    code, runner, client, io = harness(env)
    assert code == 2, io.err
    (line,) = error_lines(io.err)
    assert f"{where}: secret 'npm' reads variable 'SURELY_UNSET_VAR_X', which is not set" \
        in line
    assert runner.calls == [] and client.checked == [] and client.promoted == []


def test_a_set_secret_variable_builds(harness, monkeypatch):
    monkeypatch.setenv("NPM_TOKEN", "npm-value-1234")
    code, runner, _, io = harness({"INPUT_SECRET-ENVS": "npm=NPM_TOKEN"})
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "id=npm,env=NPM_TOKEN" in build


def test_config_secret_unset_is_refused(harness, ws):
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(
        "version: 1\nimages:\n  - name: ghcr.io/acme/app\n    context: app\n"
        "    secrets: [SURELY_UNSET_CONFIG_SECRET]\n")
    code, runner, _, io = harness({})
    assert code == 2, io.err
    assert "'secrets' of image ghcr.io/acme/app in the config file: secret "\
        "'SURELY_UNSET_CONFIG_SECRET' reads variable 'SURELY_UNSET_CONFIG_SECRET', which is "\
        "not set" in error_lines(io.err)[0]
    assert runner.argvs("docker", "buildx", "build") == []


@pytest.mark.parametrize(("raw", "spec"), [
    ("npm=/etc/hostname,env=HOME", 'id=npm,"src=/etc/hostname,env=HOME"'),
    ('npm=/tmp/a"b', 'id=npm,"src=/tmp/a""b"'),
    ("npm=/tmp/plain", "id=npm,src=/tmp/plain"),
])
def test_secret_file_paths_cannot_add_attributes(raw, spec):
    from ghbuild.build import BuildPlan, buildx_argv

    argv = buildx_argv(BuildPlan(inputs=inputs_from_env({"INPUT_SECRET-FILES": raw})))
    assert argv[argv.index("--secret") + 1] == spec
    assert argv.count("--secret") == 1


@pytest.mark.parametrize(("name", "raw"), [("secret-files", "npm=/etc/hostname,env=HOME"),
                                           ("secret-envs", 'npm=A"B')])
def test_bake_refuses_what_it_would_not_quote(name, raw):
    env = {f"INPUT_{name.upper()}": raw}
    inputs_from_env(env)   # quoted on buildx build's argv: taken
    with pytest.raises(InputError, match=rf"input '{name}' line 1: with bake: true"):
        inputs_from_env({**env, "INPUT_BAKE": "true"})


def test_plan_warns_of_an_unset_secret_variable_instead_of_refusing():
    import io

    from ghbuild.commands import run as run_cmd
    from ghbuild.gha import Actions

    env = {"INPUT_SECRET-ENVS": "npm=SURELY_UNSET_VAR_X"}
    out = io.StringIO()
    run_cmd._check_secret_variables(inputs_from_env(env), env, Actions({}, stream=out),
                                    refuse=False)
    assert "warning: " in out.getvalue() and "'SURELY_UNSET_VAR_X', which is not set" in \
        out.getvalue() and "ghbuild run refuses that" in out.getvalue()
    with pytest.raises(InputError, match="SURELY_UNSET_VAR_X"):
        run_cmd._check_secret_variables(inputs_from_env(env), env, Actions({}, stream=out),
                                        refuse=True)
