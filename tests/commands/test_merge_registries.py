"""``ghbuild merge`` with tags on two registries (reg-a.test, reg-b.test).

The platform images are on the first registry; the merged index is promoted there and
copied by digest into the second (registry/copy.py), in ``ghbuild run``'s order: every
tag read first, every copy, then the tags. A real RegistryClient over two fake
registries; the same against two real registries is tests/e2e/test_merge_registries.py.
"""

from __future__ import annotations

import argparse
import json
import os

import pytest
import requests

from ghbuild import buildkey
from ghbuild.cli import main
from ghbuild.commands import merge as mergecmd
from ghbuild.gha import Actions
from ghbuild.registry import CredentialStore, RegistryClient
from tests.registry.fakeregistry import FakeRegistry, digest_of

A, B = "reg-a.test", "reg-b.test"
SHA = "0123456789abcdef0123456789abcdef01234567"
ORDER: list[tuple[str, str, str]] = []   # (host, method, path) across both registries


class Logged(FakeRegistry):
    def send(self, request, **kwargs):  # type: ignore[override]
        ORDER.append((self.host, request.method, request.path_url))
        return super().send(request, **kwargs)


@pytest.fixture()
def two(monkeypatch):
    """Two registries, the platform images pushed by digest to the first; merge's client
    is a real one over both."""
    ORDER.clear()
    first, second = Logged(A), Logged(B)
    amd = first.add_image("acme/app", None, platform=("linux", "amd64"), layer=b"amd64")
    arm = first.add_image("acme/app", None, platform=("linux", "arm64"), layer=b"arm64")
    session = requests.Session()
    session.mount(f"https://{A}/", first)
    session.mount(f"https://{B}/", second)
    client = RegistryClient(CredentialStore(), session=session)
    monkeypatch.setattr(mergecmd, "_client", lambda *_: client)
    return first, second, [f"linux/amd64={amd}", f"linux/arm64={arm}"]


def merge_argv(digests, tags, *extra):
    argv = ["merge", "--platforms", "linux/amd64,linux/arm64", "--image", f"{A}/acme/app"]
    for item in digests:
        argv += ["--digest", item]
    for tag in tags:
        argv += ["--tag", tag]
    return [*argv, *extra]


def tags_of(fake: FakeRegistry, repo: str = "acme/app") -> dict[str, str]:
    return {tag: digest_of(body) for tag, (body, _) in fake.manifests.get(repo, {}).items()
            if not tag.startswith("sha256:")}


def key_tag() -> str:
    return buildkey.key_tag_name(buildkey.revision_key(
        SHA, buildkey.settings_from_env(os.environ)))


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ghbuild: error: ")]


TAGS = [f"{A}/acme/app:1.2.3", f"{A}/acme/app:latest", f"{B}/acme/app:1.2.3",
        f"{B}/acme/app:latest"]


def test_index_and_tags_end_up_on_both_registries_with_one_digest(two, capsys):
    first, second, digests = two
    code = main(merge_argv(digests, TAGS, "--revision", SHA))
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    digest = doc["digest"]
    key = key_tag()
    # The key tag on the second registry too, so a later run promotes there.
    assert doc["tags"] == [*TAGS, f"{A}/acme/app:{key}", f"{B}/acme/app:{key}"]
    for fake in (first, second):
        assert tags_of(fake) == {"1.2.3": digest, "latest": digest, key: digest}
    # The second registry holds the index and both images with the first's exact bytes.
    index = json.loads(first.manifests["acme/app"][digest][0])
    for d in [digest, *(m["digest"] for m in index["manifests"])]:
        assert second.manifests["acme/app"][d] == first.manifests["acme/app"][d]
    assert f"copied {digest} into {B}/acme/app: 4 blob(s) copied" in err
    # run's order: every tag read before the first tag write anywhere, the copy (manifests
    # by digest, index last) before the first tag, the first tag's registry first.
    tag_puts = [i for i, (_, m, p) in enumerate(ORDER)
                if m == "PUT" and "/manifests/" in p and "sha256:" not in p]
    first_reads: dict[tuple[str, str], int] = {}
    for i, (h, m, p) in enumerate(ORDER):
        if m in ("GET", "HEAD") and p.endswith(("/manifests/1.2.3", "/manifests/latest")):
            first_reads.setdefault((h, p), i)   # later reads are the read-backs
    tag_reads = list(first_reads.values())
    assert len(tag_reads) == 4
    copies = [i for i, (h, m, p) in enumerate(ORDER) if h == B and m == "PUT"
              and "/manifests/sha256:" in p]
    assert len(copies) == 3 and ORDER[copies[-1]][2].endswith(digest)
    assert max(tag_reads) < min(copies) and max(copies) < min(tag_puts)
    assert [ORDER[i][0] for i in tag_puts] == [A, A, A, B, B, B]
    assert error_lines(err) == []


def test_a_second_merge_sends_nothing_again(two, capsys):
    first, second, digests = two
    assert main(merge_argv(digests, TAGS)) == 0
    capsys.readouterr()
    uploads = len(second.requests_to("PUT", "/blobs/uploads/"))
    assert main(merge_argv(digests, TAGS)) == 0
    err = capsys.readouterr().err
    assert len(second.requests_to("PUT", "/blobs/uploads/")) == uploads
    assert "0 blob(s) copied (0 bytes), 0 already there; 0 manifest(s) written by digest, " \
           "1 already there" in err
    assert f"{B}/acme/app:1.2.3: unchanged" in err


def test_a_release_tag_at_another_digest_on_the_second_registry_refuses_first(two, capsys):
    first, second, digests = two
    other = second.add_image("acme/app", "1.2.3", layer=b"someone else's")
    code = main(merge_argv(digests, TAGS))
    err = capsys.readouterr().err
    assert code == 3, err
    (line,) = error_lines(err)
    assert f"{B}/acme/app:1.2.3 is {other}" in line
    assert "no tag was written on any registry" in line
    # Only the untagged index by digest on the first; nothing at all on the second.
    assert tags_of(first) == {} and tags_of(second) == {"1.2.3": other}
    assert second.requests_to("PUT") == [] and second.requests_to("POST") == []
    assert all("sha256:" in url for url in first.requests_to("PUT", "/manifests/"))


def test_a_stop_on_the_second_registry_says_what_was_written(two, capsys):
    first, second, digests = two
    # Two 403s for 'latest' on the second registry: the read before any write (a moving
    # tag with no clear answer is written anyway) and the tag's PUT, which fails.
    second.fail_next(403, b'{"errors":[{"code":"DENIED","message":"denied"}]}',
                     {"Content-Type": "application/json"}, match="/manifests/latest", times=2)
    code = main(merge_argv(digests, TAGS))
    err = capsys.readouterr().err
    assert code == 1, err
    (line,) = error_lines(err)
    assert f"{B}/acme/app:latest" in line.partition(";")[0]   # the failure comes first
    assert f"written: {A}/acme/app:1.2.3: created" in line
    assert f"{B}/acme/app:1.2.3: created" in line
    assert f"not written: {B}/acme/app:latest" in line
    assert f"copied by digest (untagged unless written above) into {B}/acme/app" in line


def test_tags_only_on_another_registry_copy_the_index_there(two, capsys):
    first, second, digests = two
    code = main(merge_argv(digests, [f"{B}/acme/app:2.0.0"]))
    out, err = capsys.readouterr()
    assert code == 0, err
    digest = json.loads(out)["digest"]
    assert tags_of(second) == {"2.0.0": digest} and tags_of(first) == {}
    assert digest in first.manifests["acme/app"]  # written there by digest, untagged


def test_promote_only_carries_a_build_onto_the_second_registry(two):
    """``merge --promote-only``'s per-image step with tags on both registries (a config
    image has one name today, so the command line cannot ask for this yet)."""
    first, second, _ = two
    settings = buildkey.BuildSettings()
    base = "b" * 40
    built = first.add_image("acme/app", buildkey.key_tag_name(
        buildkey.revision_key(base, settings)))
    parser = argparse.ArgumentParser()
    mergecmd.configure(parser)
    args = parser.parse_args(["--revision", SHA])
    args.password = ""
    head = buildkey.key_tag_name(buildkey.revision_key(SHA, settings))
    done = mergecmd._carry(args, {"image": f"{A}/acme/app", "base": base},
                           [f"{A}/acme/app:main", f"{B}/acme/app:main"], Actions(environ={}),
                           settings)
    assert done["digest"] == built
    assert done["tags"] == [f"{A}/acme/app:main", f"{B}/acme/app:main",
                            f"{A}/acme/app:{head}", f"{B}/acme/app:{head}"]
    assert tags_of(second) == {"main": built, head: built}
    assert tags_of(first)["main"] == built and tags_of(first)[head] == built


def test_a_spelled_out_release_tag_is_not_moved_by_a_merge(two, capsys, monkeypatch):
    # {{major}}.{{minor}}.{{patch}} with a prefix makes app-1.2.3: on the v1.2.3 run it is
    # as much a release tag as 1.2.3, in merge as in run.
    first, second, digests = two
    other = first.add_image("acme/app", "app-1.2.3", layer=b"an earlier release")
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.2.3")
    code = main(merge_argv(digests, [f"{A}/acme/app:app-1.2.3", f"{A}/acme/app:app-1.2"]))
    err = capsys.readouterr().err
    assert code == 3, err
    (line,) = error_lines(err)
    assert f"{A}/acme/app:app-1.2.3 is {other}" in line
    assert tags_of(first) == {"app-1.2.3": other}


def test_on_a_branch_a_prefixed_version_tag_may_move(two, capsys, monkeypatch):
    first, second, digests = two
    first.add_image("acme/app", "app-1.2.3", layer=b"an earlier build")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    code = main(merge_argv(digests, [f"{A}/acme/app:app-1.2.3"]))
    assert code == 0, capsys.readouterr().err
