"""``ghbuild run`` failures against the real engine and registry: nothing is pushed.

A Dockerfile whose RUN fails: exit 1, an ``::error file=…,line=…`` annotation at the
failing instruction. Bad input (missing Dockerfile, context outside the workspace, a
cache ref equal to a tag): exit 2 with one line naming the input, and no buildx run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.run_support import (
    forget_images_fixture,
    main_push_env,
    run_ghbuild,
    tags_of,
)

pytestmark = pytest.mark.e2e

BAD_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox

RUN ["/bin/busybox", "false"]
"""


_forget_images = forget_images_fixture()


def _ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    app = ws / "app"
    app.mkdir(parents=True)
    (app / "Dockerfile").write_text(BAD_DOCKERFILE)
    shutil.copy("/bin/busybox", app / "busybox")
    return ws


def _env(tmp_path: Path, image: str, **inputs: str) -> dict[str, str]:
    env = {**main_push_env(tmp_path),
           "INPUT_IMAGES": image, "INPUT_CONTEXT": "app", "INPUT_CACHE": "none",
           "INPUT_TAGS": "type=ref,event=branch"}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def test_failing_dockerfile(monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo,
                            examples_ready):
    ws = _ws(tmp_path)
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env,
                      _env(tmp_path, f"{registry}/{unique_repo}"))
    assert got.code == 1
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1, got.stderr
    assert errors[0].startswith("::error file=app/Dockerfile,line=4::")
    assert "did not complete successfully" in errors[0]
    assert len(got.calls.commands("docker", "buildx", "build")) == 1
    assert tags_of(registry, unique_repo) == []
    assert got.outputs == {}


@pytest.mark.parametrize(("inputs", "message"), [
    ({"INPUT_FILE": "app/Dockerfile.nope"},
     "input 'file': Dockerfile 'app/Dockerfile.nope' not found"),
    ({"INPUT_CONTEXT": ".."}, "input 'context' '..' resolves to"),
    ({"INPUT_CACHE": "registry", "INPUT_CACHE-REF": "{image}:main"},
     "input 'cache-ref' '{image}:main' is also one of the image's tags"),
    ({"INPUT_TAGS": "type=semver,pattern={{version}}"},
     "input 'tags': no tag for event 'push'"),
    ({"INPUT_IMAGES": "127.0.0.1:5000/Bad Name"}, "input 'images'"),
    ({"INPUT_TAGS": "type=ref,event=branch\ntype=bogus,value=x"},
     "input 'tags' line 2: unknown tag type 'bogus'"),
])
def test_bad_input_exits_2_before_any_build(monkeypatch, capsys, tmp_path, engine_env,
                                            registry, unique_repo, inputs, message):
    image = f"{registry}/{unique_repo}"
    ws = _ws(tmp_path)
    env = _env(tmp_path, image)
    env.update({k: v.replace("{image}", image) for k, v in inputs.items()})
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 2, got.stderr
    errors = [line for line in got.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and message.replace("{image}", image) in errors[0], got.stderr
    assert got.calls.commands("docker", "buildx", "build") == []
    assert got.calls.commands("docker", "login") == []
    assert tags_of(registry, unique_repo) == []
