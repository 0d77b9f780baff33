"""Concurrent checks against one host: the first request goes alone, the rest wait for
its answer only (not for its token fetch), and each scope still gets one token."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from ghbuild.registry import CredentialStore, ImageRef, RegistryClient, State

from .fakeregistry import FakeRegistry


class SlowFirstToken(FakeRegistry):
    """Holds the token for ``acme/app0`` until ``acme/app1``'s manifest has been served."""

    def __init__(self) -> None:
        super().__init__(auth="bearer")
        self.second_served = threading.Event()
        self.waited: bool | None = None

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        parts = urlsplit(request.url)
        if parts.netloc != self.host and "app0" in (request.url or ""):
            self.waited = self.second_served.wait(5)
        resp = super().send(request, **kw)
        if parts.netloc == self.host and "/acme/app1/manifests/" in parts.path and \
                resp.status_code == 200:
            self.second_served.set()
        return resp


def test_later_checks_do_not_wait_for_the_first_checks_token() -> None:
    fake = SlowFirstToken()
    for name in ("acme/app0", "acme/app1"):
        fake.add_image(name, "v1")
    client = RegistryClient(CredentialStore.static({}), session=fake.session())
    answers: dict[str, Any] = {}
    first = threading.Thread(target=lambda: answers.setdefault(
        "app0", client.check(ImageRef.parse("reg.test/acme/app0:v1"))))
    first.start()
    deadline = time.monotonic() + 5
    while not fake.log and time.monotonic() < deadline:  # app0 goes first, alone
        time.sleep(0.001)
    answers["app1"] = client.check(ImageRef.parse("reg.test/acme/app1:v1"))
    first.join(10)
    assert fake.waited is True  # app1 was served while app0's token was still held back
    assert answers["app0"].state is State.PRESENT
    assert answers["app1"].state is State.PRESENT
    # one 401 in total: app1 asked for its token up front, having learnt the challenge
    assert [u for m, u, _ in fake.log if m == "GET" and "reg.test" in u].count(
        "https://reg.test/v2/acme/app1/manifests/v1") == 1
    assert len(fake.requests_to("GET", "auth.test")) == 2


def test_a_failed_first_request_does_not_hold_the_others() -> None:
    fake = FakeRegistry()
    fake.add_image("acme/app", "v1")
    fake.fail_next(500, times=10)  # more than the retries of the first request
    client = RegistryClient(CredentialStore.static({}), session=fake.session(), retries=0)
    first = client.check(ImageRef.parse("reg.test/acme/app:v1"))
    assert first.state is State.UNKNOWN
    fake.canned.clear()
    assert client.check(ImageRef.parse("reg.test/acme/app:v1")).state is State.PRESENT
