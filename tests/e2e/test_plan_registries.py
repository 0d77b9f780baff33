"""``ghbuild plan`` previewing a retag over two real registries on 127.0.0.1.

The commit's build is on the first registry under its key tag. The plan says, per
registry, what ``run`` would do there: copy the image into the second (which lacks it),
then, once the second holds it under its key tag, promote within each, and once every
tag is there, "already there". The plan runs in-process with a runner that lets only
git through (no docker call), writes nothing to either registry (their tag lists are
compared), and its text is byte-identical between two runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests

from ghbuild import buildkey, proc
from ghbuild.cli import main
from ghbuild.registry import CredentialStore, ImageRef, RegistryClient
from ghbuild.registry.copy import copy_image
from tests.commands.test_plan import GitOnlyRunner, make_repo, pin_git
from tests.e2e.registry_servers import LocalRegistry, _need_registry_binary, seed_image

pytestmark = pytest.mark.e2e
REPO = "acme/app"


@pytest.fixture()
def two(tmp_path, engine_env):
    """Two open registries (the login side is tests/e2e/test_merge_registries.py's)."""
    _need_registry_binary()
    env = {**os.environ, **engine_env}
    started: list[LocalRegistry] = []
    try:
        for name in ("a", "b"):
            started.append(LocalRegistry(tmp_path / f"reg-{name}", env=env).start())
        yield started
    finally:
        for reg in started:
            reg.stop()


@pytest.fixture()
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pin_git(monkeypatch, tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.setattr(proc, "RUNNER", GitOnlyRunner())
    return make_repo(tmp_path)


def tags(addr: str) -> list[str]:
    resp = requests.get(f"http://{addr}/v2/{REPO}/tags/list", timeout=10)
    return [] if resp.status_code == 404 else sorted(resp.json().get("tags") or [])


def plan_text(capsys: pytest.CaptureFixture[str], repo: Path, images: str,
              *extra: str) -> str:
    code = main(["plan", "--dir", str(repo), "--no-workflow", "--images", images, *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def registry_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("    on ")]


def test_plan_shows_copy_then_promote_then_already_there(two, checkout, capsys) -> None:
    a, b = two
    images = f"{a.addr}/{REPO}\n{b.addr}/{REPO}"
    offline = plan_text(capsys, checkout, images, "--offline", "--format", "json")
    planned = json.loads(offline)["images"][0]
    key = buildkey.key_tag_name(planned["build-key"])
    names = planned["tags"]
    client = RegistryClient(CredentialStore.static({}))
    digest = seed_image(client, ImageRef.parse(f"{a.addr}/{REPO}"), key)

    # The second registry lacks the image: run would copy it there.
    before = (tags(a.addr), tags(b.addr))
    text = plan_text(capsys, checkout, images)
    assert "  run would: retag" in text
    per_a = sum(1 for n in names if n.startswith(a.addr))
    assert registry_lines(text) == [
        f"on {a.addr}: promote ({per_a} of {per_a} tag(s) written within the registry)",
        f"on {b.addr}: copy ({b.addr}/{REPO}:{key} is not there: copying {digest} there from "
        f"{a.addr}, by digest; then {len(names) - per_a + 1} tag(s) written)"]
    assert plan_text(capsys, checkout, images) == text  # byte for byte
    assert (tags(a.addr), tags(b.addr)) == before   # read-only on both

    # A real copy under the key tag (as an earlier run would leave it): promote within.
    copy_image(client, ImageRef.parse(f"{a.addr}/{REPO}").with_digest(digest),
               [ImageRef.parse(f"{b.addr}/{REPO}:{key}")])
    text = plan_text(capsys, checkout, images)
    assert [line.split(" (")[0] for line in registry_lines(text)] == \
        [f"on {a.addr}: promote", f"on {b.addr}: promote"]

    # Every tag there on both: nothing to write anywhere.
    for name in names:
        ref = ImageRef.parse(name)
        client.promote(ref.repo_only().with_digest(digest), [ref])
    before = (tags(a.addr), tags(b.addr))
    text = plan_text(capsys, checkout, images)
    assert registry_lines(text) == [
        f"on {a.addr}: already there (all {per_a} tag(s) name {digest})",
        f"on {b.addr}: already there (all {len(names) - per_a} tag(s) name {digest})"]
    assert (tags(a.addr), tags(b.addr)) == before
