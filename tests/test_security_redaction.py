"""base64(user:password), the basic Authorization value, is a secret like the password:
a registry that echoes the header in an error body must not print it
(docker login in login.py, the registry client's requests in registry/client.py).
tests/e2e/test_security_redaction.py does the same against a real docker login."""

from __future__ import annotations

import base64
import io
import json

import pytest

from ghbuild import proc
from ghbuild.errors import RegistryError
from ghbuild.gha import Actions
from ghbuild.login import Credentials, private_docker_config
from ghbuild.registry import RegistryClient
from ghbuild.registry.credentials import Credentials as RegistryCredentials
from ghbuild.registry.credentials import CredentialStore
from ghbuild.registry.reference import ImageRef
from tests.registry.fakeregistry import FakeRegistry

USER, PASSWORD = "bob", "Pw_LeakCanary_31337"
PAIR = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class EchoingRegistry(FakeRegistry):
    """A chatty registry: its 401 body quotes the Authorization header it got."""

    def _error(self, request, status, code, headers=None):
        sent = request.headers.get("Authorization", "(none)")
        body = json.dumps({"errors": [{"code": code, "message": f"echo {sent}"}]}).encode()
        return self._response(request, status, body,
                              {"Content-Type": "application/json", **(headers or {})})


@pytest.mark.parametrize("warm", [False, True])
def test_registry_client_error_echoing_the_basic_header_is_redacted(warm):
    # the registry knows another password, so the one sent is refused and echoed back
    fake = EchoingRegistry(auth="basic", users={USER: "the-right-one"})
    actions = Actions({}, stream=io.StringIO())
    actions.add_secret(PASSWORD)
    store = CredentialStore.static({"reg.test": RegistryCredentials(USER, PASSWORD)})
    client = RegistryClient(store, session=fake.session(), secret_sink=actions.add_secret)
    ref = ImageRef.parse("reg.test/acme/app:v1")
    if warm:   # the challenge learnt by warm_up: the header goes out from _auth_header
        client.warm_up([ref])
    got = client.check(ref)
    raw = got.reason
    assert PAIR in raw   # the registry did echo it: the test can fail
    shown = actions.redact(raw)
    assert PAIR not in shown and PASSWORD not in shown and "echo ***" in shown


class LoginEchoRunner(proc.Runner):
    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
        assert stdin == PASSWORD
        text = (f'Error response from daemon: Get "http://127.0.0.1:5096/v2/": denied: '
                f'bad creds: /token?account=bob Basic {PAIR}')
        return proc.Completed(tuple(argv), 1, "", text)


def test_docker_login_error_echoing_the_basic_header_is_redacted(tmp_path):
    out = io.StringIO()
    actions = Actions({}, stream=out)
    previous = proc.set_runner(LoginEchoRunner())
    try:
        login = Credentials(registry="127.0.0.1:5096", username=USER, password=PASSWORD)
        with pytest.raises(RegistryError) as caught, \
                private_docker_config([login], actions, environ={"RUNNER_TEMP": str(tmp_path)}):
            pass
    finally:
        proc.set_runner(previous)
    message = str(caught.value)
    assert "docker login to 127.0.0.1:5096 failed" in message and "account=bob ***" in message
    assert PAIR not in message and PASSWORD not in message
    assert PAIR not in out.getvalue()


def test_on_a_runner_the_pair_is_masked_too():
    out = io.StringIO()
    actions = Actions({"GITHUB_ACTIONS": "true"}, stream=out)
    from ghbuild.login import register_login_secrets

    register_login_secrets(Credentials(registry="r.test", username=USER, password=PASSWORD),
                           actions)
    masks = [line for line in out.getvalue().splitlines() if line.startswith("::add-mask::")]
    assert f"::add-mask::{PAIR}" in masks and f"::add-mask::Basic {PAIR}" in masks
