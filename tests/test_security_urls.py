"""Credentials in a URL's query (``?token=``, presigned S3/GCS URLs, Azure SAS ``sig=``) are
refused like userinfo credentials, with the URL shown as ``…=***``, and never printed."""

from __future__ import annotations

import pytest

from ghbuild.build import (
    hide_url_credentials,
    inputs_from_env,
    is_credential_param,
    query_credentials,
)
from ghbuild.commands.run import _without_userinfo
from ghbuild.errors import InputError
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

harness = run_tests.harness
ws = run_tests.ws

CANARY = "ghs_TokenCanary0123456789abcdefghijklmn"


@pytest.mark.parametrize("name", ["token", "access_token", "TOKEN", "private_token", "auth",
                                  "key", "api_key", "password", "passwd", "secret", "sig",
                                  "signature", "X-Amz-Signature", "x-amz-credential",
                                  "X-Amz-Security-Token", "X-Goog-Signature",
                                  "X-Goog-Credential", "upload_token", "client_secret"])
def test_credential_parameters(name):
    assert is_credential_param(name)


@pytest.mark.parametrize("name", ["ref", "sv", "se", "subdir", "X-Amz-Date", "keep",
                                  "tokens_per_page"])
def test_other_parameters(name):
    assert not is_credential_param(name)


@pytest.mark.parametrize(("url", "shown", "names"), [
    (f"https://127.0.0.1:9/ctx.tar.gz?token={CANARY}", "https://127.0.0.1:9/ctx.tar.gz?token=***",
     ["token"]),
    ("https://b.s3.amazonaws.com/c.tgz?X-Amz-Credential=AKIA%2F1&X-Amz-Date=1&"
     "X-Amz-Signature=abcd1234", "https://b.s3.amazonaws.com/c.tgz?X-Amz-Credential=***&"
     "X-Amz-Date=1&X-Amz-Signature=***", ["X-Amz-Credential", "X-Amz-Signature"]),
    ("https://a.blob.core.windows.net/c/x.tgz?sv=2022-11-02&sig=abc%2Bdef",
     "https://a.blob.core.windows.net/c/x.tgz?sv=2022-11-02&sig=***", ["sig"]),
    ("https://u:pw12@h.test/r.git?token=zz99#main", "https://***@h.test/r.git?token=***#main",
     ["token"]),
    ("https://h.test/r.git#main", "https://h.test/r.git#main", []),
    ("https://h.test/r.git#main?token=x", "https://h.test/r.git#main?token=x", []),  # a ref
    ("https://h.test/x.tgz?token=", "https://h.test/x.tgz?token=", []),
])
def test_query_credentials_and_how_they_are_shown(url, shown, names):
    assert hide_url_credentials(url) == shown
    assert [n for n, _ in query_credentials(url)] == names


@pytest.mark.parametrize(("env", "where"), [
    ({"INPUT_CONTEXT": f"https://127.0.0.1:9/ctx.tar.gz?token={CANARY}"}, "input 'context'"),
    ({"INPUT_BUILD-CONTEXTS": f"base=https://h.test/b.tgz?access_token={CANARY}"},
     "input 'build-contexts' line 1"),
    ({"INPUT_CONTEXT": f"https://h.test/r.git?token={CANARY}#main"}, "input 'context'"),
    ({"INPUT_CACHE-FROM": "type=registry,ref=r.test/c\n"
                          f"type=azblob,account_url=https://a.blob.core.windows.net/?sv=1&"
                          f"sig={CANARY},name=c"}, "input 'cache-from' line 2"),
    ({"INPUT_CACHE-TO": f"type=s3,endpoint_url=https://u:{CANARY}@s3.test,bucket=b"},
     "input 'cache-to' line 1"),
])
def test_inputs_refuse_credentials_in_urls(env, where):
    with pytest.raises(InputError) as caught:
        inputs_from_env(env)
    message = str(caught.value)
    assert message.startswith(f"{where}: '") and "carries credentials in the URL" in message
    assert CANARY not in message and "***" in message


def test_the_testers_url_through_run_is_refused_and_never_shown(harness):
    code, runner, client, io = harness({
        "INPUT_CONTEXT": f"https://127.0.0.1:9/ctx.tar.gz?token={CANARY}"})
    assert code == 2, io.err
    (line,) = error_lines(io.err)
    assert "input 'context'" in line and "token=***" in line
    shown = [ln for ln in io.err.splitlines() + io.out.splitlines()
             if not ln.startswith("::add-mask::")]
    assert not any(CANARY in ln for ln in shown), io.err
    assert "input context: https://127.0.0.1:9/ctx.tar.gz?token=***" in shown
    assert runner.calls == [] and client.checked == []


def test_inputs_group_line_for_a_named_build_context():
    assert _without_userinfo(f"base=https://h.test/b.tgz?sig={CANARY}&sv=1") == \
        "base=https://h.test/b.tgz?sig=***&sv=1"
