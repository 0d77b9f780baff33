"""Input ``builder`` naming a builder buildx does not have: refused (exit 2) before any
login, build or promotion; every other failure of inspect stays a warning. The real
buildx: tests/e2e/test_round2_builder.py."""

from __future__ import annotations

import pytest

from ghbuild import proc
from ghbuild.buildx import check_platforms
from ghbuild.errors import InputError
from tests import test_builder_platforms as platform_tests
from tests.commands import test_run as run_tests
from tests.commands.test_run import FakeRunner, error_lines
from tests.test_builder_platforms import (
    BOOTSTRAP_FAILED,
    COPY_ONLY,
    NO_BUILDER,
    RUN_ON_TARGET,
    Said,
    image,
)

harness = run_tests.harness
runner = platform_tests.runner
ws = run_tests.ws


def test_a_named_builder_that_does_not_exist_is_refused(tmp_path, runner) -> None:
    fake = runner("", 1, NO_BUILDER)
    with pytest.raises(InputError) as err:
        # no platforms asked: the builder is checked all the same
        check_platforms([image(tmp_path, COPY_ONLY, builder="nosuch"),
                         image(tmp_path, COPY_ONLY, name="web", builder="nosuch")], Said())
    assert str(err.value).startswith("input 'builder': no builder 'nosuch' (")
    assert err.value.exit_code == 2
    assert fake.calls[0][:4] == ["docker", "buildx", "inspect", "--bootstrap"]
    assert fake.calls[0][-1] == "nosuch"


def test_buildx_builder_variable_naming_nothing_is_refused(tmp_path, runner,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("BUILDX_BUILDER", "nosuch")
    runner("", 1, NO_BUILDER)
    with pytest.raises(InputError, match="BUILDX_BUILDER names no builder 'nosuch'"):
        check_platforms([image(tmp_path, COPY_ONLY)], Said())


def test_a_doubtful_inspect_of_a_named_builder_warns_once(tmp_path, runner) -> None:
    fake = runner("", 1, BOOTSTRAP_FAILED)
    actions = Said()
    check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/s390x", builder="remote")],
                    actions)
    (warning,) = actions.warnings
    assert "cannot read the platforms of builder remote" in warning
    assert "the build decides" in warning
    assert len(fake.calls) == 1  # a bootstrap that timed out is not waited for twice


def test_a_doubtful_inspect_warns_without_platforms_too(tmp_path, runner) -> None:
    fake = runner("", 1, BOOTSTRAP_FAILED)
    actions = Said()
    check_platforms([image(tmp_path, COPY_ONLY, builder="remote"),
                     image(tmp_path, COPY_ONLY, name="web", builder="remote")], actions)
    assert len(actions.warnings) == 1 and len(fake.calls) == 1


def test_an_existing_named_builder_is_inspected_once(tmp_path, runner) -> None:
    fake = runner()
    check_platforms([image(tmp_path, RUN_ON_TARGET, "linux/amd64", builder="default")], Said())
    assert len(fake.calls) == 1


def test_no_builder_named_asks_nothing_without_platforms(tmp_path, runner) -> None:
    fake = runner("", 1, NO_BUILDER)
    check_platforms([image(tmp_path, COPY_ONLY)], Said())
    assert fake.calls == []


class NoBuilder(FakeRunner):
    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        if list(argv[:3]) == ["docker", "buildx", "inspect"]:
            self.calls.append((list(argv), dict(env or {}), stdin))
            return proc.Completed(tuple(argv), 1, "", 'ERROR: no builder "nosuchbuilder" '
                                                      "found\n")
        return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)


def test_run_refuses_before_any_login(harness) -> None:
    fake = NoBuilder()
    code, runner_, _, io = harness({"INPUT_BUILDER": "nosuchbuilder", "INPUT_PASSWORD": "pw-9",
                                    "INPUT_USERNAME": "u", "INPUT_REGISTRY": "127.0.0.1:5000"},
                                   runner=fake)
    assert code == 2, io.err
    assert error_lines(io.err) == ["::error::input 'builder': no builder 'nosuchbuilder' "
                                   "(docker buildx ls lists the builders; "
                                   "docker/setup-buildx-action creates one)"]
    assert fake.argvs("docker", "login") == [] and fake.argvs("docker", "buildx", "build") == []
