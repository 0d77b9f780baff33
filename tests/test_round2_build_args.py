"""A build arg whose value is a token is refused (exit 2) naming the build arg, never
showing the value: build args stay in the image history and provenance."""

from __future__ import annotations

import pytest

from ghbuild.build import credential_value_shape, inputs_from_env
from ghbuild.errors import InputError
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

harness = run_tests.harness
ws = run_tests.ws

GHP = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
NPM = "npm_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.mark.parametrize(("value", "kind"), [
    (GHP, "a GitHub token"), (f"https://x-access-token:{GHP}@github.com/acme/x", "a GitHub token"),
    (f"Bearer {GHP}", "a GitHub token"), (NPM, "an npm token"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("glpat-" + "Ab3dEf6hIj9lMn2pQr5t", "a GitLab token"),
])
def test_token_shapes_in_values(value: str, kind: str) -> None:
    assert credential_value_shape(value) == kind


@pytest.mark.parametrize("value", [
    "0123456789abcdef0123456789abcdef01234567",  # a commit sha
    "sha256:" + "ab" * 32, "sha512-" + "Zm9vYmFyYmF6cXV4" * 4,  # digests, checksums
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "1.2.3", "production", "",
    "ghp_short",
])
def test_ordinary_values_are_not_credentials(value: str) -> None:
    assert credential_value_shape(value) is None


def test_a_token_value_is_refused_naming_the_arg_not_the_value() -> None:
    env = {"INPUT_BUILD-ARGS": f"MODE=prod\nX={GHP}"}
    with pytest.raises(InputError) as err:
        inputs_from_env(env)
    message = str(err.value)
    assert message.startswith("input 'build-args' line 2: the value of build arg 'X' looks "
                              "like a credential (a GitHub token)")
    assert "secret-envs" in message and "'secrets'" in message
    assert GHP not in message
    assert err.value.exit_code == 2


def test_a_credential_named_arg_with_a_token_is_refused_too() -> None:
    with pytest.raises(InputError, match="build arg 'NPM_TOKEN' looks like a credential"):
        inputs_from_env({"INPUT_BUILD-ARGS": f"NPM_TOKEN={NPM}"})


def test_run_refuses_before_building_and_never_shows_the_token(harness) -> None:
    code, runner, _, io = harness({"INPUT_BUILD-ARGS": f"X={GHP}"})
    assert code == 2
    assert error_lines(io.err)[0].startswith(
        "::error::input 'build-args' line 1: the value of build arg 'X' looks like a credential")
    assert runner.argvs("docker") == []
    shown = "\n".join(line for line in io.err.splitlines() if not line.startswith("::add-mask"))
    assert GHP not in shown + io.out
    assert f"::add-mask::{GHP}" in io.err  # masked before the inputs group prints it
