"""Platform check gaps: a build arg replacing a global ARG used in ``FROM --platform``
(declared ARGs only, as BuildKit expands FROM), and an instruction keyword split by a line
continuation (BuildKit joins continued lines with nothing between). The real builder:
tests/e2e/test_round2_dockerstages.py."""

from __future__ import annotations

import pytest

from ghbuild.build import KeyValue
from ghbuild.buildx import check_platforms
from ghbuild.dockerstages import TARGET, scan_text
from ghbuild.errors import InputError
from tests import test_builder_platforms as platform_tests
from tests.test_builder_platforms import Said, image

runner = platform_tests.runner

GLOBAL = 'ARG BP=linux/amd64\nFROM --platform=$BP scratch\nCOPY b /b\nRUN ["/b", "true"]\n'


def platforms(text: str, **build_args: str) -> list[str]:
    return [r.platform for r in scan_text(text, build_args=build_args).runs]


def test_a_build_arg_replaces_the_global_default_in_from_platform() -> None:
    assert platforms(GLOBAL) == ["linux/amd64"]
    assert platforms(GLOBAL, BP="linux/s390x") == ["linux/s390x"]
    assert platforms(GLOBAL.replace("=linux/amd64", ""), BP="linux/s390x") == ["linux/s390x"]


def test_an_undeclared_build_arg_is_not_seen_by_from() -> None:
    # BuildKit expands FROM with the ARGs declared before it only; $BP stays unresolved
    text = GLOBAL.replace("ARG BP=linux/amd64\n", "")
    assert platforms(text, BP="linux/s390x") == ["unknown"]


@pytest.mark.parametrize(("text", "line"), [
    ("FROM scratch\nR\\\nUN x\n", 2),
    ("FROM scratch\nR\\  \nUN x\n", 2),                 # spaces after the escape
    ("FROM scratch\nRU\\\n# a comment\nN x\n", 2),      # a comment line inside
    ("# escape=`\nFROM scratch\nR`\nUN x\n", 3),
    ("FROM scratch\nRUN\tx\n", 2),
])
def test_a_keyword_split_by_a_continuation_is_read_whole(text: str, line: int) -> None:
    (run,) = scan_text(text).runs
    assert (run.platform, run.line) == (TARGET, line)


def test_a_continued_line_keeps_its_indent_as_the_separator() -> None:
    # "COPY a \" + "  b" is COPY with two words, not a RUN
    assert scan_text("FROM scratch\nCOPY a \\\n  b\n").runs == ()
    # "RUN\" + "x" is BuildKit's "RUNx": not a RUN
    assert scan_text("FROM scratch\nRUN\\\nx\n").runs == ()


def test_a_fixed_platform_the_builder_cannot_run_is_refused_without_platforms(
        tmp_path, runner) -> None:
    runner()  # the default builder: linux/amd64 (and its levels) only
    with pytest.raises(InputError) as err:
        check_platforms([image(tmp_path, GLOBAL, build_args=(KeyValue("BP", "linux/s390x"),))],
                        Said())
    message = str(err.value)
    assert message.startswith("app/Dockerfile:4: stage '0' runs commands on linux/s390x (its "
                              "FROM --platform), which builder default (docker driver) "
                              "does not run")
    assert "setup-qemu-action" in message


def test_a_fixed_platform_the_builder_runs_builds(tmp_path, runner) -> None:
    fake = runner()
    check_platforms([image(tmp_path, GLOBAL)], Said())
    assert len(fake.calls) == 1  # asked, and the answer is yes


def test_split_keyword_on_a_foreign_target_is_refused(tmp_path, runner) -> None:
    runner()
    text = 'FROM scratch\nCOPY b /b\nR\\\nUN ["/b", "true"]\n'
    with pytest.raises(InputError, match="runs commands on the target platform"):
        check_platforms([image(tmp_path, text, "linux/s390x")], Said())
