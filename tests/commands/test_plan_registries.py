"""``ghbuild plan`` previewing a retag over two registries (reg-a.test, reg-b.test).

Per registry, in run's order: promote (tags written within it), copy (the image copied in
by digest first, as run would) or already there (every tag names the digest). Read-only:
neither fake registry sees a write. A real RegistryClient over two fake registries; the
same against real registries is tests/e2e/test_plan_registries.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from ghbuild import buildkey
from ghbuild.commands import plan
from ghbuild.gitcontext import from_git
from ghbuild.registry import CredentialStore, RegistryClient
from tests.commands.test_plan import GitOnlyRunner, make_repo, runner  # noqa: F401
from tests.registry.fakeregistry import FakeRegistry

A, B = "reg-a.test", "reg-b.test"
ENV = {"INPUT_IMAGES": f"{A}/acme/app\n{B}/acme/app"}
PLATFORMS = [("linux", "amd64")]


def two_registries() -> tuple[FakeRegistry, FakeRegistry, RegistryClient]:
    first, second = FakeRegistry(A), FakeRegistry(B)
    session = requests.Session()
    session.mount(f"https://{A}/", first)
    session.mount(f"https://{B}/", second)
    return first, second, RegistryClient(CredentialStore(), session=session)


def plan_for(repo: Path, client: RegistryClient) -> tuple[plan.ImagePlan, str]:
    ctx = from_git(str(repo), event="push")
    report = plan.make_report(dict(ENV), ctx, str(repo), offline=False, notes=[],
                              client=client)
    return report.images[0], plan.render_text(report)


def key_tag(repo: Path) -> str:
    """The key tag run checks, as the plan computes it (offline: no registry asked)."""
    ctx = from_git(str(repo), event="push")
    report = plan.make_report(dict(ENV), ctx, str(repo), offline=True, notes=[])
    return buildkey.key_tag_name(report.images[0].build_key)


def writes(*fakes: FakeRegistry) -> list[str]:
    return [url for fake in fakes for method in ("PUT", "POST", "PATCH", "DELETE")
            for url in fake.requests_to(method)]


@pytest.fixture()
def repo(runner: GitOnlyRunner, tmp_path: Path) -> Path:  # noqa: F811
    return make_repo(tmp_path)


def test_a_registry_without_the_image_is_shown_as_copied_into(repo: Path) -> None:
    first, second, client = two_registries()
    digest = first.add_index("acme/app", key_tag(repo), PLATFORMS)
    got, text = plan_for(repo, client)
    assert got.action == "retag"
    tags_a = sum(1 for t in got.tags if t.startswith(A))
    assert got.registries == (
        (A, "promote", f"{tags_a} of {tags_a} tag(s) written within the registry"),
        # its tags and, last, its key tag, so the next run finds the image there
        (B, "copy", f"{B}/acme/app:{key_tag(repo)} is not there: copying {digest} there "
                    f"from {A}, by digest; then {tags_a + 1} tag(s) written"))
    assert f"    on {B}: copy ({B}/acme/app:{key_tag(repo)} is not there: copying" in text
    # The lines come right after run's decision, and the rest of the text is as before.
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  run would: retag"))
    assert lines[at + 1].startswith(f"    on {A}: promote") and \
        lines[at + 2].startswith(f"    on {B}: copy")
    assert writes(first, second) == []
    doc = json.loads(plan.render_json(plan.make_report(
        dict(ENV), from_git(str(repo), event="push"), str(repo), offline=False, notes=[],
        client=client)))
    assert [r["action"] for r in doc["images"][0]["registries"]] == ["promote", "copy"]


def test_a_registry_with_the_digest_under_its_key_tag_is_promoted_within(repo: Path) -> None:
    first, second, client = two_registries()
    key = key_tag(repo)
    digest = first.add_index("acme/app", key, PLATFORMS)
    assert second.add_index("acme/app", key, PLATFORMS) == digest
    got, _ = plan_for(repo, client)
    assert [(host, what) for host, what, _ in got.registries] == \
        [(A, "promote"), (B, "promote")]
    assert writes(first, second) == []


def test_every_tag_already_there_is_said_per_registry(repo: Path) -> None:
    first, second, client = two_registries()
    key = key_tag(repo)
    digest = first.add_index("acme/app", key, PLATFORMS)
    second.add_index("acme/app", key, PLATFORMS)
    tags, _ = plan_for(repo, client)
    for tag in tags.tags:
        fake = first if tag.startswith(A) else second
        fake.add_index("acme/app", tag.rpartition(":")[2], PLATFORMS)
    got, _ = plan_for(repo, client)
    per = len(got.tags) // 2
    assert got.registries == ((A, "already there", f"all {per} tag(s) name {digest}"),
                              (B, "already there", f"all {per} tag(s) name {digest}"))


def test_one_registry_adds_nothing(repo: Path) -> None:
    first, _, client = two_registries()
    first.add_index("acme/app", key_tag(repo), PLATFORMS)
    ctx = from_git(str(repo), event="push")
    report = plan.make_report({"INPUT_IMAGES": f"{A}/acme/app"}, ctx, str(repo),
                              offline=False, notes=[], client=client)
    assert report.images[0].action == "retag" and report.images[0].registries == ()
    assert "    on " not in plan.render_text(report)


def test_a_second_registry_without_a_clear_answer_is_copied_into_as_run_would(
        repo: Path) -> None:
    first, second, client = two_registries()
    first.add_index("acme/app", key_tag(repo), PLATFORMS)
    second.fail_next(500, times=50)
    got, _ = plan_for(repo, client)
    assert got.action == "retag"
    assert [what for _, what, _ in got.registries] == ["promote", "copy"]
    assert f"{B}/acme/app:{key_tag(repo)} is unknown" in got.registries[1][2]
    assert writes(first, second) == []
