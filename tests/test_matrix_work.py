"""How much work ``plan_matrix`` does: the config at the base is read only when the file
changed, and the registry checks of many unchanged images go out in one wave."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.config import ImageConfig
from ghbuild.matrix import CHECK_WORKERS, Decision, confirm_promotable, plan_matrix

from .test_matrix import CONFIG, commit, git, write


class RecordingRunner(proc.Runner):
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            stdin: str | None = None) -> proc.Completed:
        self.calls.append(list(argv))
        return super().run(argv, env=env, stdin=stdin)


@pytest.fixture()
def recorded(tmp_path: Path) -> tuple[Path, RecordingRunner]:
    runner = RecordingRunner()
    previous = proc.set_runner(runner)
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, ".github/ghbuild.yml", CONFIG)
    write(tmp_path, "services/api/Dockerfile", "FROM scratch\n")
    commit(tmp_path, "base")
    yield tmp_path, runner
    proc.set_runner(previous)


def shows(runner: RecordingRunner) -> list[list[str]]:
    return [c for c in runner.calls if "show" in c]


def test_an_unchanged_config_file_is_not_read_again_at_the_base(recorded) -> None:
    repo, runner = recorded
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "README.md", "docs\n")
    commit(repo, "docs only")
    out = plan_matrix(repo, base)
    assert out.include == []
    assert shows(runner) == []


def test_a_changed_config_file_is_compared_with_the_base(recorded) -> None:
    repo, runner = recorded
    base = git(repo, "rev-parse", "HEAD")
    write(repo, ".github/ghbuild.yml", CONFIG.replace("services/web\n",
                                                      "services/web\n    target: prod\n"))
    commit(repo, "web target")
    out = plan_matrix(repo, base)
    assert [e["image"] for e in out.include] == ["ghcr.io/acme/web"]
    assert len(shows(runner)) == 1


def test_fifty_unchanged_images_are_checked_in_one_wave() -> None:
    count = 50
    assert count <= CHECK_WORKERS
    started = threading.Barrier(count, timeout=10)

    def check(image: str, base: str, platforms: Sequence[str]) -> tuple[bool, str]:
        started.wait()  # breaks (and so the check fails) unless all 50 run at once
        return True, "present"

    decisions = [Decision(ImageConfig(name=f"ghcr.io/acme/app{i}", index=i, line=i + 1),
                          False, "no input changed") for i in range(count)]
    out = confirm_promotable(decisions, "a" * 40, check)
    assert [d.changed for d in out] == [False] * count


def test_the_registry_check_warms_the_client_up_with_every_pending_key_tag() -> None:
    from ghbuild.matrix import registry_check

    class Client:
        def __init__(self) -> None:
            self.warmed: list[str] = []
            self.checked: list[str] = []

        def warm_up(self, refs: Sequence[object]) -> None:
            assert not self.checked  # before any check
            self.warmed = [str(r) for r in refs]

        def check(self, ref: object, platforms: Sequence[str] = ()) -> object:
            self.checked.append(str(ref))
            return type("P", (), {"present": True, "state": type("S", (), {"value": "present"}),
                                  "reason": "ok"})()

    client = Client()
    decisions = [Decision(ImageConfig(name=f"ghcr.io/acme/app{i}", index=i, line=i + 1),
                          i == 1, "x") for i in range(3)]
    confirm_promotable(decisions, "b" * 40, registry_check(client))
    assert client.warmed == [f"ghcr.io/acme/app{i}:ghbuild-key-rev-{'b' * 40}" for i in (0, 2)]
    assert sorted(client.checked) == client.warmed


def test_a_warm_up_that_fails_changes_no_decision() -> None:
    class Check:
        def warm_up(self, images: Sequence[str], base: str) -> None:
            raise RuntimeError("token service down")

        def __call__(self, image: str, base: str, platforms: Sequence[str]) -> tuple[bool, str]:
            return image.endswith("0"), "present" if image.endswith("0") else "absent"

    decisions = [Decision(ImageConfig(name=f"ghcr.io/acme/app{i}", index=i, line=i + 1),
                          False, "x") for i in range(2)]
    out = confirm_promotable(decisions, "c" * 40, Check())
    assert [d.changed for d in out] == [False, True]
