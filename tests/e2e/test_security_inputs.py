"""Secret inputs and URLs against the real buildx: a ``secret-files`` path holding a comma
reaches the build as that one file (the attribute is CSV-quoted, so ``,env=HOME`` in a
path cannot add an attribute), and a context URL with ``?token=`` is refused before buildx
starts, the token nowhere in the output."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.run_support import forget_images_fixture, main_push_env, run_ghbuild

pytestmark = pytest.mark.e2e

CONTENT = "secret-file-content-7c1e"
DOCKERFILE = f"""\
FROM scratch
COPY busybox /bin/busybox
RUN --mount=type=secret,id=npm ["/bin/busybox", "sh", "-c", \
"test \\"$(/bin/busybox cat /run/secrets/npm)\\" = {CONTENT} && /bin/busybox mkdir /ok"]
"""

_forget_images = forget_images_fixture()


def _workspace(tmp_path):
    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "Dockerfile").write_text(DOCKERFILE)
    shutil.copy("/bin/busybox", ws / "app" / "busybox")
    return ws


def test_a_secret_file_path_with_a_comma_arrives_whole(monkeypatch, capsys, tmp_path,
                                                       engine_env, registry, unique_repo):
    ws = _workspace(tmp_path)
    secret = tmp_path / "dir,env=HOME" / "npm,src=x.txt"
    secret.parent.mkdir()
    secret.write_text(CONTENT)
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{registry}/{unique_repo}",
           "INPUT_CONTEXT": "app", "INPUT_CACHE": "none", "INPUT_PUSH": "false",
           "INPUT_SECRET-FILES": f"npm={secret}"}
    result = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert result.code == 0, result.stderr
    (build,) = result.calls.commands("docker", "buildx", "build")
    spec = build.argv[build.argv.index("--secret") + 1]
    assert spec == f'id=npm,"src={secret}"'


def test_a_token_in_a_context_url_query_never_reaches_buildx(monkeypatch, capsys, tmp_path,
                                                             engine_env, registry, unique_repo):
    token = "ghs_TokenCanaryE2E0123456789abcdefghij"
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{registry}/{unique_repo}",
           "INPUT_CONTEXT": f"https://127.0.0.1:9/ctx.tar.gz?token={token}",
           "INPUT_CACHE": "none"}
    result = run_ghbuild(monkeypatch, capsys, tmp_path, _workspace(tmp_path), engine_env, env)
    assert result.code == 2, result.stderr
    assert result.calls.calls == []
    shown = [ln for ln in (result.stdout + result.stderr).splitlines()
             if not ln.startswith("::add-mask::")]
    assert not any(token in ln for ln in shown)
    assert any("token=***" in ln and ln.startswith("::error") for ln in shown)
