"""A fresh user's path: ``ghbuild init publish`` in a real checkout, then ``ghbuild plan``
(both as the installed command, in child processes) shows the tags the written
workflow's ``with:`` gives, sha-… included, and checks them against the real registry on
127.0.0.1: absent before, present after a real buildx push of the build key tag, and
the registry's tags unchanged by the plan."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_plan import DATE, EPOCH
from tests.e2e.registry_servers import USERS, htpasswd_registry  # noqa: F401 (a fixture)
from tests.e2e.test_plan import _tags

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def env(engine_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The engine's environment, with a git that reads no user config and dates commits
    at EPOCH, no runner variables, and an empty docker config."""
    home = tmp_path / "home"
    (home / "docker").mkdir(parents=True)
    out = {k: v for k, v in engine_env.items()
           if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    out.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "T",
                "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
                "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": DATE,
                "GIT_COMMITTER_DATE": DATE, "SOURCE_DATE_EPOCH": EPOCH})
    return out


def _run(argv: list[str], env: dict[str, str], cwd: Path | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _ghbuild(env: dict[str, str], *args: str, cwd: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "ghbuild", *args], env, cwd)


@pytest.fixture()
def repo(tmp_path: Path, env: dict[str, str], examples_ready: None) -> Path:
    path = tmp_path / "my_widget"
    shutil.copytree(ROOT / "examples" / "hello", path)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"],
                 ["remote", "add", "origin", "https://github.com/acme/my_widget.git"]):
        done = _run(["git", "-C", str(path), *args], env)
        assert done.returncode == 0, done.stderr
    return path


def _plan(env: dict[str, str], repo: Path, *extra: str) -> dict[str, Any]:
    # from a subdirectory: plan finds the checkout's top, as a runner's workspace
    done = _ghbuild(env, "plan", "--format", "json", *extra, cwd=repo / "src")
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def test_init_publish_then_plan_against_the_registry(repo: Path, env: dict[str, str],
                                                     registry: str, unique_repo: str,
                                                     engine_env: dict[str, str]) -> None:
    image = f"{registry}/{unique_repo}"
    done = _ghbuild(env, "init", "publish", "--dir", str(repo), "--image", image)
    assert done.returncode == 0, done.stderr
    written = (repo / ".github/workflows/publish.yml").read_text()
    assert f"images: {image}" in written and "type=sha,enable={{is_default_branch}}" in written
    sha = _run(["git", "-C", str(repo), "rev-parse", "HEAD"], env).stdout.strip()

    first = _plan(env, repo)
    assert first["workflow"]["file"] == ".github/workflows/publish.yml"
    assert first["workflow"]["job"] == "publish"
    img = first["images"][0]
    assert img["tags"] == [f"{image}:main", f"{image}:sha-{sha[:7]}"]
    assert (img["registry"]["checked"], img["registry"]["state"]) == (True, "absent")
    assert img["action"] == "build"
    assert [img["buildx"][i + 1] for i, a in enumerate(img["buildx"]) if a == "--tag"] == [
        f"{image}:main", f"{image}:sha-{sha[:7]}", img["registry"]["ref"]]
    assert _tags(registry, unique_repo) == {}

    # What CI's first run on main would push first: the build key tag, by a real build.
    build = _run(["docker", "buildx", "build", "--progress", "quiet", "--provenance=false",
                  "--network", "host", "--push", "--tag", img["registry"]["ref"], str(repo)],
                 engine_env)
    assert build.returncode == 0, build.stderr
    before = _tags(registry, unique_repo)
    assert len(before) == 1

    second = _plan(env, repo)["images"][0]
    assert second["tags"] == img["tags"]
    assert second["registry"]["state"] == "present"
    assert second["registry"]["digest"] == next(iter(before.values()))
    assert second["action"] == "retag"
    assert _tags(registry, unique_repo) == before    # plan wrote nothing

    # byte for byte the same text twice (SOURCE_DATE_EPOCH is set)
    texts = [_ghbuild(env, "plan", "--dir", str(repo)).stdout for _ in range(2)]
    assert texts[0] == texts[1] and f"    {image}:sha-{sha[:7]}" in texts[0]
    assert not os.path.exists(repo / ".github" / "ghbuild.yml")


def test_init_with_a_renamed_action_then_plan_checks_its_image(repo: Path, env: dict[str, str],
                                                               registry: str, unique_repo: str
                                                               ) -> None:
    """``init --action`` with a name that does not say ghbuild: the marker it writes is
    what plan knows the step by, so the registry check is of the workflow's image (not
    the ghcr.io default), and says so when nothing runs ghbuild."""
    image = f"{registry}/{unique_repo}"
    done = _ghbuild(env, "init", "publish", "--dir", str(repo), "--image", image,
                    "--action", "acme/container-build@v2")
    assert done.returncode == 0, done.stderr
    written = (repo / ".github/workflows/publish.yml").read_text()
    assert "uses: acme/container-build@v2 # ghbuild\n" in written

    doc = _plan(env, repo)
    assert (doc["workflow"]["uses"], doc["workflow"]["job"]) == ("acme/container-build@v2",
                                                                "publish")
    img = doc["images"][0]
    assert img["image"] == image
    assert (img["registry"]["checked"], img["registry"]["state"]) == (True, "absent")
    assert img["registry"]["ref"].startswith(f"{image}:ghbuild-key-rev-")
    assert _tags(registry, unique_repo) == {}

    # without the marker (and with a with: key that is not an input) the step is not
    # ghbuild's: plan says it found none and checks the default image instead
    (repo / ".github/workflows/publish.yml").write_text(
        written.replace(" # ghbuild\n", "\n").replace("images:", "imagez:"))
    doc = _plan(env, repo, "--offline")
    assert doc["workflow"] is None
    assert doc["images"][0]["image"] == "ghcr.io/acme/my_widget"
    assert any(n.startswith("no workflow under .github/workflows/ has a ghbuild step")
               for n in doc["notes"])


def test_registry_auth_stand_ins_are_shown_never_sent(repo: Path, env: dict[str, str],
                                                      tmp_path: Path,
                                                      htpasswd_registry: Any  # noqa: F811
                                                      ) -> None:
    """registry-auth from vars/secrets: plan shows the entry's registry and a stand-in
    user, and asks the real htpasswd registry with the docker config's login only (a
    stand-in sent as a password would make the answer 401, "unknown", not "absent")."""
    addr = htpasswd_registry.addr
    image = f"{addr}/acme/widget"
    folder = repo / ".github/workflows"
    folder.mkdir(parents=True)
    (folder / "b.yml").write_text(f"""\
on: push
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/ghbuild@v1
        with:
          images: {image}
          registry-auth: |
            - registry: {addr}
              username: ${{{{ vars.REG_USER }}}}
              password: ${{{{ secrets.REG_PW }}}}
""")
    config = tmp_path / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {addr: {"auth": auth}}}))
    doc = _plan({**env, "DOCKER_CONFIG": str(config)}, repo)
    img = doc["images"][0]
    assert img["logins"] == [{"registry": addr, "username": "<vars.REG_USER>",
                              "source": "input 'registry-auth' entry 1 at line 1"}]
    assert (img["registry"]["checked"], img["registry"]["state"]) == (True, "absent")
    assert "<secrets.REG_PW>" not in json.dumps(doc)
    assert doc["workflow"]["unknown"] == {
        "registry-auth": "vars.REG_USER, secrets.REG_PW", "github-token": "github.token"}
