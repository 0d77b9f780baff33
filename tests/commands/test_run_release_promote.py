"""``ghbuild run``: release tags are written by promotion after the push, never by buildx.

buildx gets the key tag and the moving tags only; the release tags (full semver, and
the meta engine's exact-release tags) are then put onto the digest buildx reported,
each read just before its write, so one another job wrote during the build is refused
(exit 3) rather than overwritten. The harness is test_run.py's (real meta engine,
argv and promotion code; processes and HTTP faked), with a registry model under it
that buildx's pushes and the client's writes both change. The real engine and registry
run the same cases in tests/e2e/test_run_release_race.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.errors import PolicyError, RegistryError
from ghbuild.registry import ImageRef, Presence, State
from ghbuild.registry.promote import semver_like, tag_pushed
from tests.commands.test_run import (  # noqa: F401 - fixtures
    DIGEST,
    OTHER,
    BakeRunner,
    FakeClient,
    FakeRunner,
    error_lines,
    harness,
    key_for,
    outputs,
    ws,
)

WIDGET, MIRROR = "ghcr.io/acme-org/widget", "ghcr.io/acme-org/mirror"
KEY = f"ghbuild-key-{key_for('app')}"
RELEASE = f"{WIDGET}:1.2.3"
TAG_PUSH = {"GITHUB_REF": "refs/tags/v1.2.3", "INPUT_IMAGES": f"{WIDGET}\n{MIRROR}",
            "INPUT_TAGS": "type=semver,pattern={{version}}\n"
                          "type=semver,pattern={{major}}.{{minor}}"}
MOVING = [f"{WIDGET}:1.2", f"{WIDGET}:latest", f"{MIRROR}:1.2", f"{MIRROR}:latest"]
KEYS = [f"{MIRROR}:{KEY}", f"{WIDGET}:{KEY}"]
RELEASES = [RELEASE, f"{MIRROR}:1.2.3"]


class Registry:
    """Tags (``name:tag`` -> digest) and what happened to them, in order."""

    def __init__(self, tags: dict[str, str] | None = None) -> None:
        self.tags = dict(tags or {})
        self.events: list[tuple[str, str]] = []

    def push(self, tags: list[str], digest: str) -> None:
        for tag in tags:
            self.tags[tag] = digest
            self.events.append(("buildx", tag))


class Client(FakeClient):
    """The client over :class:`Registry`: resolve reads it, put_manifest writes it."""

    def __init__(self, registry: Registry, *, unknown: tuple[str, ...] = (),
                 fail_put: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.registry, self.unknown, self.fail_put = registry, unknown, fail_put
        self.digest_of: dict[bytes, str] = {}
        self.fetched: list[str] = []

    def resolve(self, ref):
        self.registry.events.append(("resolve", str(ref)))
        if str(ref) in self.unknown:
            return Presence.unknown(str(ref), "registry ghcr.io answered HTTP 503", "fault")
        digest = self.registry.tags.get(str(ref))
        if digest is None:
            return Presence.absent(str(ref), f"{ref.tag} not found (404)")
        return Presence(State.PRESENT, ref=str(ref), digest=digest)

    def get_manifest(self, ref, **kw):
        self.fetched.append(str(ref))
        got = super().get_manifest(ref, **kw)
        self.digest_of[got.body] = got.digest
        return got

    def put_manifest(self, ref, body, media_type):
        if str(ref) in self.fail_put:
            raise RegistryError(f"PUT manifest {ref}: HTTP 500")
        self.registry.events.append(("put", str(ref)))
        self.registry.tags[str(ref)] = self.digest_of[body]
        return self.digest_of[body]

    def puts(self) -> list[str]:
        return [ref for what, ref in self.registry.events if what == "put"]


class PushingRunner(FakeRunner):
    """buildx stand-in whose ``--push`` puts every ``--tag`` at DIGEST in the registry;
    ``after_push`` runs when it is done (another job, in the race)."""

    def __init__(self, registry: Registry, after_push=None) -> None:
        super().__init__()
        self.registry, self.after_push = registry, after_push

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        done = super().stream(argv, env=env, cwd=cwd, on_line=on_line)
        if "--push" in argv:
            self.registry.push(tags_of(argv), DIGEST)
        if self.after_push is not None:
            self.after_push()
        return done


def tags_of(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "--tag"]


def build_argv(runner: FakeRunner) -> list[str]:
    (argv,) = runner.argvs("docker", "buildx", "build")
    return argv


@pytest.fixture()
def bare(harness):  # noqa: F811 (the imported fixture)
    """test_run.py's harness as it is: ``ghbuild run`` with env additions, a client and a
    runner of the test's own."""
    return harness


@pytest.fixture()
def root(ws):  # noqa: F811 (the imported fixture)
    """test_run.py's workspace (``app/Dockerfile``)."""
    return ws


@pytest.fixture()
def go(harness):  # noqa: F811 (the imported fixture)
    """A tag push of two images over a fresh registry model; returns (code, runner,
    client, io)."""

    def run(env=None, *, registry=None, after_push=None, **client_kw):
        registry = registry or Registry()
        runner = PushingRunner(registry, after_push)
        client = Client(registry, **client_kw)
        return harness({**TAG_PUSH, **(env or {})}, client=client, runner=runner)

    return run


# -- the normal case ---------------------------------------------------------------------
def test_buildx_gets_no_release_tag_and_promotion_writes_exactly_those(go, tmp_path):
    code, runner, client, io = go()
    assert code == 0, io.err
    argv = build_argv(runner)
    assert "--push" in argv
    assert sorted(tags_of(argv)) == sorted(MOVING + KEYS)
    assert not any(tag.endswith(":1.2.3") for tag in tags_of(argv))
    # Exactly the release tags, each onto the digest buildx reported, from its own
    # repository (nothing copied between them).
    assert client.puts() == RELEASES
    assert client.fetched[:2] == [f"{WIDGET}@{DIGEST}", f"{MIRROR}@{DIGEST}"]
    assert {tag: client.registry.tags[tag] for tag in RELEASES} == dict.fromkeys(RELEASES,
                                                                                 DIGEST)
    assert f"{RELEASE}: created at {DIGEST}" in io.err


def test_each_release_tag_is_read_after_the_build_and_just_before_the_writes(go):
    code, _, client, io = go()
    assert code == 0, io.err
    events = client.registry.events
    last_push = max(i for i, (what, _) in enumerate(events) if what == "buildx")
    first_put = events.index(("put", RELEASE))
    # the early guard read it before the build; the promotion reads it again after
    reads = [i for i, event in enumerate(events) if event == ("resolve", RELEASE)]
    assert reads[0] < last_push < reads[1] < first_put
    # between that read and the PUT only the other release tag is read: no build
    assert [e for e in events[reads[1] + 1:first_put] if e[0] != "resolve"] == []


@pytest.mark.parametrize("driver", ["docker", "docker-container"])
def test_the_same_argv_and_promotion_on_either_driver(bare, driver):
    registry = Registry()

    class Driver(PushingRunner):
        def run(self, argv, **kw):
            if list(argv[:3]) == ["docker", "buildx", "inspect"]:
                self.calls.append((list(argv), {}, None))
                return proc.Completed(tuple(argv), 0, f"Name: b\nDriver: {driver}\n", "")
            return super().run(argv, **kw)

    client = Client(registry)
    code, runner, _, io = bare(TAG_PUSH, client=client, runner=Driver(registry))
    assert code == 0, io.err
    assert f"({driver} driver)" in io.err
    assert sorted(tags_of(build_argv(runner))) == sorted(MOVING + KEYS)
    assert client.puts() == RELEASES


def test_the_outputs_are_those_of_a_push_of_every_tag(go, tmp_path):
    code, _, client, io = go()
    assert code == 0, io.err
    out = outputs(tmp_path)
    every = [*RELEASES[:1], *MOVING[:2], *RELEASES[1:], *MOVING[2:]]
    assert sorted(out["tags"].splitlines()) == sorted(every)
    assert (out["digest"], out["pushed"], out["action"]) == (DIGEST, "true", "build")
    meta = json.loads(out["metadata"])
    assert sorted(meta["tags"]) == sorted(every) and meta["digest"] == DIGEST
    summary = Path(tmp_path / "summary").read_text()
    assert f"`{RELEASE}`" in summary and "| Push | **yes**" in summary
    # the check after the push read every tag, the release tags after their writes
    assert f"verified: {len(every) + 2} tags resolve to {DIGEST}" in io.err
    events = client.registry.events
    assert events.index(("put", RELEASE)) < len(events) - 1 - events[::-1].index(
        ("resolve", RELEASE))


def test_a_run_that_does_not_push_gives_buildx_every_tag_and_writes_none(go):
    code, runner, client, io = go({"INPUT_PUSH": "false"})
    assert code == 0, io.err
    argv = build_argv(runner)
    assert "--push" not in argv and RELEASE in tags_of(argv)
    assert client.puts() == [] and client.fetched == []


def test_a_pull_request_is_untouched(go):
    payload_env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge",
                   "INPUT_TAGS": "type=ref,event=pr\ntype=raw,value=1.2.3"}
    code, runner, client, io = go(payload_env)
    assert code == 0, io.err
    argv = build_argv(runner)
    assert "--push" not in argv and RELEASE in tags_of(argv)
    assert client.puts() == []


def test_a_prefixed_exact_release_tag_is_promoted_too(go):
    code, runner, client, io = go({"INPUT_IMAGES": WIDGET, "INPUT_FLAVOR": "prefix=app-"})
    assert code == 0, io.err
    assert f"{WIDGET}:app-1.2.3" not in tags_of(build_argv(runner))
    assert f"{WIDGET}:app-1.2" in tags_of(build_argv(runner))
    assert client.puts() == [f"{WIDGET}:app-1.2.3"]


# -- the race: another job writes a release tag during the build --------------------------
def _other_writer(registry: Registry, tag: str = RELEASE):
    def write() -> None:
        registry.tags[tag] = OTHER
        registry.events.append(("other", tag))
    return write


def test_a_release_tag_written_during_the_build_is_refused_and_kept(go, tmp_path):
    registry = Registry()
    code, _, client, io = go(registry=registry, after_push=_other_writer(registry))
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"{RELEASE} is {OTHER}, would become {DIGEST}" in line
    assert "written by another job during the build" in line
    assert f"the build {DIGEST} was pushed and tagged " in line
    tagged = line.split(" was pushed and tagged ", 1)[1].split("; not tagged: ")[0]
    assert sorted(tagged.split(", ")) == sorted(MOVING + KEYS)
    assert line.split("; not tagged: ", 1)[1].startswith(", ".join(RELEASES))
    assert "allow-tag-move: true" in line
    # nothing moved, nothing written (the mirror's release tag neither: one refusal for all)
    assert client.puts() == []
    assert registry.tags[RELEASE] == OTHER and f"{MIRROR}:1.2.3" not in registry.tags
    assert all(registry.tags[tag] == DIGEST for tag in MOVING + KEYS)
    assert outputs(tmp_path) == {}


def test_with_allow_tag_move_the_promotion_moves_it(go, tmp_path):
    registry = Registry()
    code, _, client, io = go({"INPUT_ALLOW-TAG-MOVE": "true"}, registry=registry,
                             after_push=_other_writer(registry))
    assert code == 0, io.err
    assert registry.tags[RELEASE] == DIGEST
    assert f"{RELEASE}: moved from {OTHER} to {DIGEST}" in io.err
    assert client.puts() == RELEASES
    assert outputs(tmp_path)["digest"] == DIGEST


def test_the_same_digest_written_by_another_job_is_left_as_it_is(go):
    registry = Registry()

    def same() -> None:
        registry.tags[RELEASE] = DIGEST

    code, _, client, io = go(registry=registry, after_push=same)
    assert code == 0, io.err
    assert client.puts() == [f"{MIRROR}:1.2.3"]
    assert f"{RELEASE}: unchanged at {DIGEST}" in io.err


def test_a_doubtful_answer_after_the_build_writes_no_release_tag(bare, tmp_path):
    registry = Registry()
    reads = []

    class Flaky(Client):
        def resolve(self, ref):
            # the guard before the build gets an answer; the promotion's read does not
            reads.append(str(ref))
            if str(ref) == RELEASE and reads.count(RELEASE) == 2:
                return Presence.unknown(str(ref), "registry ghcr.io answered HTTP 503", "fault")
            return super().resolve(ref)

    client = Flaky(registry)
    code, _, _, io = bare(TAG_PUSH, client=client, runner=PushingRunner(registry))
    assert code == 1, io.err
    (line,) = error_lines(io.err)
    assert f"cannot tell whether release tag {RELEASE} exists" in line and "HTTP 503" in line
    assert line.split("; not tagged: ", 1)[1].startswith(", ".join(RELEASES))
    assert client.puts() == [] and RELEASE not in registry.tags


def test_a_failed_write_says_which_release_tags_were_written(bare, tmp_path):
    registry = Registry()
    client = Client(registry, fail_put=(f"{MIRROR}:1.2.3",))
    code, _, _, io = bare(TAG_PUSH, client=client, runner=PushingRunner(registry))
    assert code == 1, io.err
    (line,) = error_lines(io.err)
    assert f"PUT manifest {MIRROR}:1.2.3: HTTP 500" in line
    tagged = line.split(" was pushed and tagged ", 1)[1].split("; not tagged: ")
    assert RELEASE in tagged[0].split(", ") and tagged[1].startswith(f"{MIRROR}:1.2.3")
    assert registry.tags[RELEASE] == DIGEST


# -- bake: the definition carries no release tag either -----------------------------------
API, WEB = "ghcr.io/acme/widget-api", "ghcr.io/acme/widget-web"
API_DIGEST, WEB_DIGEST = "sha256:" + "a" * 64, "sha256:" + "b" * 64
TARGETS = {"acme-widget-api": API_DIGEST, "acme-widget-web": WEB_DIGEST}


class PushingBake(BakeRunner):
    def __init__(self, registry: Registry, after_push=None) -> None:
        super().__init__(TARGETS)
        self.registry, self.after_push = registry, after_push

    def stream(self, argv, *, env=None, cwd=None, on_line=None):
        done = super().stream(argv, env=env, cwd=cwd, on_line=on_line)
        for name, target in self.definitions[-1]["target"].items():
            if target.get("output") == ["type=registry"]:
                self.registry.push(target["tags"], TARGETS[name])
        if self.after_push is not None:
            self.after_push()
        return done


def _bake_config(ws_root: Path) -> None:
    for sub in ("api", "web"):
        (ws_root / sub).mkdir(exist_ok=True)
        (ws_root / sub / "Dockerfile").write_text("FROM scratch\n")
    (ws_root / ".github").mkdir(exist_ok=True)
    (ws_root / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  bake: true\n  tags: type=semver,pattern={{version}}\nimages:\n"
        f"  - name: {API}\n    context: api\n  - name: {WEB}\n    context: web\n")


def test_bake_pushes_no_release_tag_and_promotes_each_image(bare, root, tmp_path):
    _bake_config(root)
    registry = Registry()
    runner, client = PushingBake(registry), Client(registry)
    code, _, _, io = bare({"GITHUB_REF": "refs/tags/v1.2.3"}, client=client, runner=runner)
    assert code == 0, io.err
    (definition,) = runner.definitions
    for target in definition["target"].values():
        assert not any(tag.endswith(":1.2.3") for tag in target["tags"])
        assert any(tag.endswith(":latest") for tag in target["tags"])
    assert client.puts() == [f"{API}:1.2.3", f"{WEB}:1.2.3"]
    assert (registry.tags[f"{API}:1.2.3"], registry.tags[f"{WEB}:1.2.3"]) == (API_DIGEST,
                                                                              WEB_DIGEST)


def test_bake_refuses_a_release_tag_written_during_the_bake(bare, root, tmp_path):
    _bake_config(root)
    registry = Registry()
    runner = PushingBake(registry, after_push=_other_writer(registry, f"{API}:1.2.3"))
    client = Client(registry)
    code, _, _, io = bare({"GITHUB_REF": "refs/tags/v1.2.3"}, client=client, runner=runner)
    assert code == 3, io.err
    (line,) = error_lines(io.err)
    assert f"{API}:1.2.3 is {OTHER}, would become {API_DIGEST}" in line
    assert f"not tagged: {API}:1.2.3" in line
    assert f"{WEB} pushed too, their release tags not written" in line
    assert client.puts() == [] and registry.tags[f"{API}:1.2.3"] == OTHER


# -- tag_pushed itself ---------------------------------------------------------------------
def _refs(*names: str) -> list[ImageRef]:
    return [ImageRef.parse(name) for name in names]


def test_tag_pushed_refuses_before_any_write_and_names_both_digests():
    registry = Registry({f"{MIRROR}:1.2.3": OTHER})
    client = Client(registry)
    with pytest.raises(PolicyError) as err:
        tag_pushed(client, DIGEST, _refs(RELEASE, f"{MIRROR}:1.2.3"))
    assert f"{MIRROR}:1.2.3 is {OTHER}, would become {DIGEST}" in err.value.message
    assert client.puts() == []


def test_tag_pushed_reports_each_written_tag_before_a_later_failure():
    registry = Registry()
    client = Client(registry, fail_put=(f"{MIRROR}:1.2.3",))
    heard = []
    with pytest.raises(RegistryError):
        tag_pushed(client, DIGEST, _refs(RELEASE, f"{MIRROR}:1.2.3"), on_result=heard.append)
    assert [str(r.target) for r in heard] == [RELEASE]


def test_tag_pushed_does_not_hold_a_moving_tag():
    registry = Registry({f"{WIDGET}:latest": OTHER})
    client = Client(registry)
    (result,) = tag_pushed(client, DIGEST, _refs(f"{WIDGET}:latest"), immutable=semver_like)
    assert result.previous == OTHER and registry.tags[f"{WIDGET}:latest"] == DIGEST


@pytest.mark.parametrize("bad", ["sha256:abc", "latest"])
def test_tag_pushed_wants_a_digest(bad):
    with pytest.raises(Exception, match="not a valid digest"):
        tag_pushed(Client(Registry()), bad, _refs(RELEASE))
