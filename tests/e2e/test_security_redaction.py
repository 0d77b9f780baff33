"""A registry that echoes the Authorization header in its 401 body, on 127.0.0.1, against
the real ``docker login`` (through dockerd) in a real ``ghbuild run``: the error names the
failed login, and neither the password nor base64(user:password) is printed."""

from __future__ import annotations

import base64
import http.server
import json

import pytest

from tests.e2e.registry_servers import _close, _serve, free_port
from tests.e2e.run_support import main_push_env, run_ghbuild, workspace

pytestmark = pytest.mark.e2e

USER, PASSWORD = "bob", "Pw_LeakCanary_e2e_4471"
PAIR = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _echoing_handler(port: int) -> type[http.server.BaseHTTPRequestHandler]:
    class Echo(http.server.BaseHTTPRequestHandler):
        """/v2/ asks for a bearer token; the token service refuses every login and quotes
        the Authorization header it got, as a chatty registry might."""

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            sent = self.headers.get("Authorization", "(none)")
            body = json.dumps({"errors": [{"code": "DENIED",
                                           "message": f"bad creds: {sent}"}]}).encode()
            self.send_response(401)
            if not self.path.startswith("/token"):
                self.send_header("WWW-Authenticate", f'Bearer realm="http://127.0.0.1:{port}'
                                 '/token",service="echo"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = _answer  # noqa: N815 (http.server naming)
    return Echo


@pytest.fixture()
def echo_registry():
    port = free_port()
    server = _serve(port, _echoing_handler(port))
    yield f"127.0.0.1:{port}"
    _close(server, port)


def test_docker_login_error_echoing_the_header_shows_neither_form(
        monkeypatch, capsys, tmp_path, engine_env, echo_registry, examples_ready):
    ws = workspace(tmp_path)
    env = {**main_push_env(tmp_path), "INPUT_IMAGES": f"{echo_registry}/acme/echo",
           "INPUT_CONTEXT": "examples/hello", "INPUT_CACHE": "none",
           "INPUT_USERNAME": USER, "INPUT_PASSWORD": PASSWORD}
    result = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert result.code == 1, result.stderr
    shown = "\n".join(ln for ln in (result.stdout + result.stderr).splitlines()
                      if not ln.startswith("::add-mask::"))
    errors = [ln for ln in shown.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1 and f"docker login to {echo_registry} failed" in errors[0]
    assert "bad creds: ***" in errors[0]    # the registry did echo what docker sent
    assert PAIR not in shown and PASSWORD not in shown
    assert result.calls.commands("docker", "buildx", "build") == []
