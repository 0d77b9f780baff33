"""Secrets never reach the log, argv, or the pushed image's provenance (real build, real push).

The build gets a secret through ``secrets`` (``RUN --mount=type=secret``) and a
credential-named build arg, with ``provenance: mode=max`` asked for. BuildKit records
build-arg values in mode=max provenance, so ghbuild lowers it to mode=min and warns;
the pushed attestation is read back and searched for both values.

Credentials in ``context`` / ``build-contexts`` URLs: two private repositories on git
servers on 127.0.0.1 that refuse a request without the right Authorization header, so
a build that succeeds proves BuildKit got the credentials as build secrets; buildx's
argv and the log are searched for them.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.registry_servers import _close, _serve, free_port
from tests.e2e.run_support import (
    attestation_blobs,
    forget_images_fixture,
    image_config,
    main_push_env,
    run_ghbuild,
    tags_of,
)

pytestmark = pytest.mark.e2e

SECRET = "s3cret-value-from-secrets-9f8e"
ARG_SECRET = "npm-token-value-from-build-args-1a2b"
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
ARG NPM_TOKEN
RUN --mount=type=secret,id=npm ["/bin/busybox", "sh", "-c", \
"test -s /run/secrets/npm && test -n \\"$NPM_TOKEN\\" && /bin/busybox mkdir /ok"]
"""


_forget_images = forget_images_fixture()


def test_secret_and_credential_arg_stay_out(monkeypatch, capsys, tmp_path, engine_env,
                                            registry, unique_repo, examples_ready):
    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "Dockerfile").write_text(DOCKERFILE)
    shutil.copy("/bin/busybox", ws / "app" / "busybox")
    env = {**main_push_env(tmp_path),
           "INPUT_IMAGES": f"{registry}/{unique_repo}", "INPUT_CONTEXT": "app",
           "INPUT_CACHE": "none", "INPUT_TAGS": "type=ref,event=branch",
           "INPUT_SECRETS": f"npm={SECRET}", "INPUT_BUILD-ARGS": f"NPM_TOKEN={ARG_SECRET}",
           "INPUT_PROVENANCE": "mode=max"}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 0, got.stderr

    # The warning points to secrets, and the provenance was lowered.
    assert "build arg NPM_TOKEN looks like a credential" in got.stderr
    assert "'secrets' input" in got.stderr
    assert "using mode=min" in got.stderr
    # The RUN step saw both values (it would have failed otherwise) ...
    build = got.calls.commands("docker", "buildx", "build")[0]
    # ... which reached buildx only through its environment.
    assert not any(SECRET in a or ARG_SECRET in a for a in build.argv)
    assert "GHBUILD_SECRET_NPM" in build.env_keys and "NPM_TOKEN" in build.env_keys
    # Not in any log line (except the runner's ::add-mask:: registration) or output.
    logged = [line for line in got.stderr.splitlines() if not line.startswith("::add-mask::")]
    assert not any(SECRET in line or ARG_SECRET in line for line in logged)
    assert "input secrets: npm" in logged   # the id only
    assert SECRET not in got.stdout + got.summary + str(got.outputs)
    assert ARG_SECRET not in got.stdout + got.summary + str(got.outputs)
    # Not in the pushed provenance.
    statements = attestation_blobs(registry, unique_repo, "main")
    assert any("slsa.dev/provenance" in s for s in statements)
    for text in statements:
        assert SECRET not in text and ARG_SECRET not in text
    # The secret (mounted, never an ARG) is not in the image config either.
    config = image_config(registry, unique_repo, "main")
    assert SECRET not in str(config)


# -- credentials in context URLs: a real git server that checks them ----------------------
class _GitServer:
    """A bare repository served over git's dumb HTTP protocol on 127.0.0.1; every request
    must carry ``Authorization: basic base64(user:password)``, and each header is kept."""

    def __init__(self, root: Path, user: str, password: str) -> None:
        self.root, self.seen = root, []
        expected = "basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self):  # noqa: N802 (the http.server name)
                got = self.headers.get("Authorization", "")
                server.seen.append(got)
                if got.lower() != expected.lower():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = _serve(self.port, Handler)

    def close(self) -> None:
        _close(self.server, self.port)


def _bare_repo(root: Path, name: str, files: dict[str, str]) -> None:
    src = root / f"{name}-src"
    src.mkdir(parents=True)
    for path, text in files.items():
        (src / path).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    subprocess.run([*git, "-C", str(src), "add", "."], check=True)
    subprocess.run([*git, "-C", str(src), "commit", "-qm", "init"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(root / f"{name}.git")],
                   check=True)
    subprocess.run(["git", "-C", str(root / f"{name}.git"), "update-server-info"], check=True)


CTX_TOKEN = "ctx-token-from-url-5c6d"
BC_PASSWORD = "bc-password-from-url-7e8f"


@pytest.fixture()
def git_servers(tmp_path):
    """Two private repositories on two ports (so two hosts for BuildKit): the main context
    (GitHub's x-access-token form) and a build context with a user of its own."""
    _bare_repo(tmp_path / "git-a", "app", {
        "Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\nCOPY --from=extra x.txt /x.txt\n",
        "hello.txt": "hello\n"})
    _bare_repo(tmp_path / "git-b", "extra", {"x.txt": "extra\n"})
    main = _GitServer(tmp_path / "git-a", "x-access-token", CTX_TOKEN)
    extra = _GitServer(tmp_path / "git-b", "alice", BC_PASSWORD)
    yield main, extra
    main.close()
    extra.close()


def test_context_url_credentials_reach_buildkit_only_as_secrets(
        monkeypatch, capsys, tmp_path, engine_env, registry, unique_repo, git_servers):
    main, extra = git_servers
    ws = tmp_path / "ws"
    ws.mkdir()
    context = f"http://x-access-token:{CTX_TOKEN}@127.0.0.1:{main.port}/app.git#main"
    build_context = f"extra=http://alice:{BC_PASSWORD}@127.0.0.1:{extra.port}/extra.git#main"
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{registry}/{unique_repo}",
           "INPUT_CONTEXT": context, "INPUT_BUILD-CONTEXTS": build_context,
           "INPUT_CACHE": "none", "INPUT_TAGS": "type=ref,event=branch"}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 0, got.stderr

    # BuildKit fetched both repositories with the credentials (each server refuses
    # anything else): the token as BuildKit's x-access-token header, alice's as hers.
    assert main.seen and extra.seen
    assert main.seen[-1] == "basic " + base64.b64encode(
        f"x-access-token:{CTX_TOKEN}".encode()).decode()
    assert extra.seen[-1] == "basic " + base64.b64encode(
        f"alice:{BC_PASSWORD}".encode()).decode()
    # Not on buildx's argv, which names the URLs without userinfo and the secret ids.
    (build,) = got.calls.commands("docker", "buildx", "build")
    assert not any(CTX_TOKEN in a or BC_PASSWORD in a for a in build.argv)
    assert build.argv[-1] == f"http://127.0.0.1:{main.port}/app.git#main"
    assert f"extra=http://127.0.0.1:{extra.port}/extra.git#main" in build.argv
    assert f"id=GIT_AUTH_TOKEN.127.0.0.1:{main.port}," \
           f"env=GHBUILD_GIT_AUTH_TOKEN_127_0_0_1_{main.port}" in build.argv
    assert f"GHBUILD_GIT_AUTH_HEADER_127_0_0_1_{extra.port}" in build.env_keys
    # Not in the log (but the runner's mask registrations) nor outputs; the inputs show
    # where the credentials were.
    logged = [line for line in got.stderr.splitlines() if not line.startswith("::add-mask::")]
    assert not any(CTX_TOKEN in line or BC_PASSWORD in line for line in logged)
    assert f"input context: http://***@127.0.0.1:{main.port}/app.git#main" in logged
    assert CTX_TOKEN not in got.stdout + got.summary + str(got.outputs)
    assert tags_of(registry, unique_repo).count("main") == 1


def test_a_tarball_url_with_credentials_is_refused(monkeypatch, capsys, tmp_path, engine_env,
                                                    registry, unique_repo):
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{registry}/{unique_repo}",
           "INPUT_CONTEXT": f"http://u:{CTX_TOKEN}@127.0.0.1:9/ctx.tar.gz",
           "INPUT_CACHE": "none"}
    ws = tmp_path / "ws"
    ws.mkdir()
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 2
    assert "carries credentials in the URL" in got.stderr
    assert not got.calls.commands("docker", "buildx", "build")
    assert tags_of(registry, unique_repo) == []


def test_a_secrets_line_that_is_only_a_value_is_never_printed(monkeypatch, capsys, tmp_path,
                                                             engine_env, registry,
                                                             unique_repo):
    leak = "LEAKVAL_ONLY_222"
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{registry}/{unique_repo}",
           "INPUT_CACHE": "none", "INPUT_SECRETS": f"good=fine-value\n{leak}"}
    ws = tmp_path / "ws"
    ws.mkdir()
    got = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert got.code == 2
    logged = [line for line in got.stderr.splitlines() if not line.startswith("::add-mask::")]
    assert "input secrets: good | ***" in logged
    assert "input 'secrets' line 2" in got.stderr
    assert not any(leak in line for line in logged)
    assert f"::add-mask::{leak}" in got.stderr.splitlines()
    assert not got.calls.commands("docker", "buildx", "build")
