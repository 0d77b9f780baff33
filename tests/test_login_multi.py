"""Logins to several registries: input ``registry-auth``, how it meets ``password`` and the
github-token login, the Docker Hub config key, and ghbuild's own registry client.

Processes (docker login, buildx) are faked; the real logins against two registries with
htpasswd auth run in tests/e2e/test_login_multi.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ghbuild import proc
from ghbuild.commands import run as run_cmd
from ghbuild.errors import InputError
from ghbuild.gha import Actions
from ghbuild.login import (
    Credentials,
    merge_logins,
    parse_registry_auth,
    private_docker_config,
    registry_auth_passwords,
)
from ghbuild.registry.credentials import HUB_CONFIG_KEY, config_key, login_password
from tests.commands import test_run as run_tests
from tests.commands.test_run import FakeRunner, error_lines, outputs

# run's unit-test harness (faked processes and registry client) and its workspace
harness = run_tests.harness
ws = run_tests.ws

PW_HUB = "hub-pass-9f3e1c"
PW_QUAY = "quay-pass-77ab02"
PW_GHCR = "ghcr-pat-5521dd"
TOKEN = "ghs_job_token_4e8a10"


def entries(text: str) -> list[tuple[str, str, str, int, int]]:
    return [(e.credentials.registry, e.credentials.username, e.credentials.password,
             e.index, e.line) for e in parse_registry_auth(text)]


# -- parsing -------------------------------------------------------------------------------
def test_entries_with_their_place_in_the_list_and_the_text():
    text = ("# two registries\n"
            "- registry: ghcr.io\n  username: octocat\n  password: " + PW_GHCR + "\n"
            "- username: hubber\n  password: " + PW_HUB + "\n")
    assert entries(text) == [("ghcr.io", "octocat", PW_GHCR, 1, 2),
                             ("docker.io", "hubber", PW_HUB, 2, 5)]


@pytest.mark.parametrize(("written", "read"), [
    ("0123", "0123"),            # YAML would read the number 123
    ("yes", "yes"),              # and YAML 1.1 readers a boolean
    ("1e3", "1e3"),
    ("'it''s: #1'", "it's: #1"),  # quoted: YAML's own quoting rules apply
    ('"tab\\there"', "tab\there"),
    ("null-ish", "null-ish"),
])
def test_values_are_read_as_written(written, read):
    (got,) = entries(f"- registry: quay.io\n  username: u\n  password: {written}\n")
    assert got[2] == read


def test_indented_block_flow_json_and_url_forms():
    indented = "  - registry: QUAY.io\n    username: u\n    password: p-1\n"
    assert entries(indented) == [("quay.io", "u", "p-1", 1, 1)]
    # toJSON(...) in a workflow gives a JSON string, which YAML reads as a quoted value
    flow = json.dumps([{"registry": "https://index.docker.io/v1/", "username": "u",
                        "password": 'p"q: #r'}])
    assert entries(flow) == [("index.docker.io", "u", 'p"q: #r', 1, 1)]
    assert entries("- {registry: 'https://127.0.0.1:5000/', username: u, password: p}") == [
        ("127.0.0.1:5000", "u", "p", 1, 1)]


@pytest.mark.parametrize("text", ["", "  \n", "# only a comment\n", "[]"])
def test_nothing_given_is_no_entries(text):
    assert parse_registry_auth(text) == ()


ERRORS = [
    ("syntax", "- registry: a.io\n  username: u\n  password: p\n- registry: b.io\n"
               "\tusername: x\n", "line 5 (entry 2): not valid YAML: found character"),
    ("unclosed flow", "- registry: a.io\n  username: u\n  password: [secret-in-list\n",
     "line 4 (entry 1): not valid YAML"),
    ("control character", "- registry: a.io\n  username: u\n  password: a\x1bbcd\n",
     "line 3 (entry 1): not valid YAML: character #x001b is not allowed in YAML text"),
    ("unicode line break", "- registry: a.io\n  username: u\n  password: \"a\u2028b\"\n",
     "line 3 (entry 1): character #x2028 is a line break to YAML and would change the value"),
    ("nested deep", "\n" + "[" * 1200, "line 2: nested too deeply (1200 levels"),
    ("nested deep, block", "- " * 3000 + "x", "line 1: nested too deeply"),
    ("a mapping", "registry: a.io\nusername: u\npassword: p\n",
     "line 1: expected a YAML list of {registry, username, password} entries, got a mapping"),
    ("a string", "ghcr.io\n", "line 1: expected a YAML list"),
    ("not a mapping", "- ghcr.io\n", "line 1 (entry 1): expected a mapping with registry, "
                                     "username and password, got a single value"),
    ("no username", "- registry: a.io\n  password: p-2\n",
     "line 1 (entry 1): 'username' is missing"),
    ("no password", "- registry: a.io\n  username: u\n- registry: b.io\n  username: u\n",
     "line 1 (entry 1): 'password' is missing"),
    ("empty password", "- registry: a.io\n  username: u\n  password:\n",
     "line 1 (entry 1): 'password' is empty (a secret that is not set"),
    ("null password", "- registry: a.io\n  username: u\n  password: ~\n",
     "'password' is empty"),
    ("unknown key", "- registry: a.io\n  username: u\n  passwd: p-3\n",
     "line 3 (entry 1): unknown key 'passwd' (did you mean 'password'?)"),
    ("login-action key", "- registry: a.io\n  username: u\n  password: p\n  ecr: auto\n",
     "line 4 (entry 1): key 'ecr' is docker/login-action's and ghbuild does not support it"),
    ("key twice", "- registry: a.io\n  username: u\n  username: v\n  password: p\n",
     "line 3 (entry 1): 'username' is given twice"),
    ("list value", "- registry: a.io\n  username: [u]\n  password: p\n",
     "line 2 (entry 1): 'username' must be text, got a list"),
    ("bad host", "- registry: a.io\n  username: u\n  password: p\n"
                 "- registry: 'bad host!'\n  username: u\n  password: p\n",
     "line 4 (entry 2): registry 'bad host!' is not a registry host[:port]"),
    ("image name", "- registry: ghcr.io/acme/app\n  username: u\n  password: p\n",
     "line 1 (entry 1): registry 'ghcr.io/acme/app' is not a registry host[:port]: give the "
     "host only ('ghcr.io')"),
    ("same registry", "- registry: docker.io\n  username: u\n  password: p\n"
                      "- registry: registry-1.docker.io\n  username: v\n  password: q\n",
     "line 4 (entry 2): registry docker.io is already given by entry 1 (line 1)"),
]


@pytest.mark.parametrize(("text", "message"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_bad_input_names_the_input_the_line_and_the_entry(text, message):
    with pytest.raises(InputError) as err:
        parse_registry_auth(text)
    assert str(err.value).startswith("input 'registry-auth' ")
    assert message in str(err.value)
    assert err.value.exit_code == 2
    for password in registry_auth_passwords(text):
        if len(password) >= 4:
            assert password not in str(err.value)


def test_a_yaml_error_never_quotes_the_text():
    # An unquoted password starting with '*' is an alias to YAML; its message would
    # quote the name, that is the rest of the password.
    text = "- registry: a.io\n  username: u\n  password: *Zq9-secret-rest\n"
    with pytest.raises(InputError) as err:
        parse_registry_auth(text)
    assert "Zq9-secret-rest" not in str(err.value)
    assert "line 3 (entry 1): not valid YAML: found undefined alias" in str(err.value)
    assert registry_auth_passwords(text)[0] == "*Zq9-secret-rest"


def test_passwords_are_found_also_in_broken_yaml():
    good = f"- registry: a.io\n  username: u\n  password: '{PW_HUB}'\n"
    assert PW_HUB in registry_auth_passwords(good)
    broken = f"- registry: a.io\n\tusername: u\n  password: {PW_QUAY} # note\n"
    found = registry_auth_passwords(broken)
    assert PW_QUAY in found and f"{PW_QUAY} # note" in found
    assert registry_auth_passwords('[{"password": "' + PW_GHCR + '"') == [
        f'"{PW_GHCR}"', PW_GHCR]
    assert registry_auth_passwords(None) == [] and registry_auth_passwords("") == []


def test_repr_shows_no_password():
    (entry,) = parse_registry_auth(f"- registry: a.io\n  username: u\n  password: {PW_HUB}\n")
    inputs = run_cmd.RunInputs(build=None, policy=None, cache=None,  # type: ignore[arg-type]
                               registry_auth=(entry,), password=PW_QUAY, github_token=TOKEN)
    for shown in (repr(entry), repr(entry.credentials), repr(inputs)):
        assert PW_HUB not in shown and PW_QUAY not in shown and TOKEN not in shown
    assert "a.io" in repr(entry) and entry.credentials.describe() == \
        "a.io as u (input 'registry-auth' entry 1 at line 1)"


# -- two sources, one registry ------------------------------------------------------------
def creds(registry: str, user: str, password: str, source: str, automatic: bool = False):
    return Credentials(registry=registry, username=user, password=password, source=source,
                       automatic=automatic)


def test_an_explicit_login_replaces_the_automatic_one_in_either_order():
    auto = creds("ghcr.io", "octocat", TOKEN, "input 'github-token'", automatic=True)
    entry = creds("ghcr.io", "bot", PW_GHCR, "input 'registry-auth' entry 1 at line 1")
    hub = creds("index.docker.io", "u", PW_HUB, "input 'registry-auth' entry 2 at line 4")
    assert merge_logins([auto, entry, hub]) == [entry, hub]
    assert merge_logins([entry, auto, hub]) == [entry, hub]
    # the same login again (one per image of a config file) is one login
    assert merge_logins([hub, auto, hub, auto]) == [hub, auto]


def test_two_explicit_logins_for_one_registry_are_an_input_error():
    entry = creds("docker.io", "u", PW_HUB, "input 'registry-auth' entry 1 at line 1")
    single = creds("registry-1.docker.io", "u", PW_HUB, "input 'password'")
    with pytest.raises(InputError) as err:
        merge_logins([entry, single])
    assert str(err.value).startswith("input 'password' and input 'registry-auth' entry 1 at "
                                     "line 1 both log in to docker.io; give each registry once")
    assert PW_HUB not in str(err.value)


@pytest.mark.parametrize(("server", "key"), [
    ("docker.io", HUB_CONFIG_KEY), ("index.docker.io", HUB_CONFIG_KEY),
    ("registry-1.docker.io", HUB_CONFIG_KEY), ("https://index.docker.io/v1/", HUB_CONFIG_KEY),
    ("ghcr.io", "ghcr.io"), ("https://127.0.0.1:5000/", "127.0.0.1:5000"),
])
def test_config_key_is_where_docker_files_the_login(server, key):
    assert config_key(server) == key


# -- the private docker config --------------------------------------------------------------
class LoginRunner(proc.Runner):
    """docker login stand-in: fails for the servers in ``refuse``."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.calls: list[tuple[list[str], str | None, str]] = []

    def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):  # type: ignore[override]
        self.calls.append((list(argv), stdin, (env or {}).get("DOCKER_CONFIG", "")))
        if argv[-1] in self.refuse:
            return proc.Completed(tuple(argv), 1, "", f"unauthorized: {stdin} rejected")
        return proc.Completed(tuple(argv), 0, "Login Succeeded", "")


def test_every_login_in_one_config_hub_under_its_config_key(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"auths": {
        HUB_CONFIG_KEY: {"auth": "b2xkOm9sZA=="}, "quay.io": {"auth": "cTpx"},
        "other.example": {"auth": "bzpv"}}}))
    runner = LoginRunner()
    previous = proc.set_runner(runner)
    out = io.StringIO()
    logins = [creds("index.docker.io", "hubber", PW_HUB, "input 'registry-auth' entry 1 at "
                    "line 1"), creds("quay.io", "q", PW_QUAY, "input 'password'")]
    try:
        env = {"DOCKER_CONFIG": str(base), "RUNNER_TEMP": str(tmp_path / "rt")}
        with private_docker_config(logins, Actions({}, stream=out), environ=env) as extra:
            kept = json.loads((Path(extra["DOCKER_CONFIG"]) / "config.json").read_text())
    finally:
        proc.set_runner(previous)
    assert [c[0] for c in runner.calls] == [
        ["docker", "login", "--username", "hubber", "--password-stdin", HUB_CONFIG_KEY],
        ["docker", "login", "--username", "q", "--password-stdin", "quay.io"]]
    assert [c[1] for c in runner.calls] == [PW_HUB, PW_QUAY]
    assert {c[2] for c in runner.calls} == {extra["DOCKER_CONFIG"]}
    # the caller's logins to the registries logged in here are left out, the rest kept
    assert kept == {"auths": {"other.example": {"auth": "bzpv"}}}
    assert "logging in to docker.io as hubber (input 'registry-auth' entry 1 at line 1)" \
        in out.getvalue()


# -- through ghbuild run ------------------------------------------------------------------
HUB_AND_QUAY = (f"- registry: docker.io\n  username: hubber\n  password: {PW_HUB}\n"
                f"- registry: quay.io\n  username: q\n  password: '{PW_QUAY}'\n")
IMAGES = "ghcr.io/acme-org/widget\ndocker.io/acme/widget\nquay.io/acme/widget"


def logins_of(runner: FakeRunner) -> list[tuple[str, str, str | None]]:
    return [(argv[3], argv[-1], stdin) for argv, _, stdin in runner.calls
            if argv[:2] == ["docker", "login"]]


def no_secret_in(text: str, *secrets: str) -> bool:
    shown = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
    return not any(secret in shown for secret in secrets)


def test_one_image_on_three_registries_logs_in_to_each(harness, tmp_path):
    code, runner, _, io = harness({"INPUT_IMAGES": IMAGES, "INPUT_REGISTRY-AUTH": HUB_AND_QUAY,
                                   "INPUT_GITHUB_TOKEN": TOKEN})
    assert code == 0, io.err
    assert logins_of(runner) == [("hubber", HUB_CONFIG_KEY, PW_HUB), ("q", "quay.io", PW_QUAY),
                                 ("octocat", "ghcr.io", TOKEN)]
    configs = {env["DOCKER_CONFIG"] for argv, env, _ in runner.calls
               if argv[:2] == ["docker", "login"] or argv[:3] == ["docker", "buildx", "build"]}
    assert len(configs) == 1  # one private config, the build pushed with it
    (build,) = runner.argvs("docker", "buildx", "build")
    assert {"docker.io/acme/widget:main", "quay.io/acme/widget:main",
            "ghcr.io/acme-org/widget:main"} <= set(build)
    assert all(PW_HUB not in " ".join(argv) for argv, _, _ in runner.calls)
    assert no_secret_in(io.err + io.out + outputs(tmp_path).get("metadata", ""),
                        PW_HUB, PW_QUAY, TOKEN)
    # each password was masked on the runner before anything else was printed
    masks = [line for line in io.err.splitlines() if line.startswith("::add-mask::")]
    assert {f"::add-mask::{PW_HUB}", f"::add-mask::{PW_QUAY}", f"::add-mask::{TOKEN}"} <= \
        set(masks)
    first_mask = io.err.index(f"::add-mask::{PW_QUAY}")
    assert first_mask < io.err.index("::group::ghbuild run: context and inputs")
    assert "input registry-auth: ***" in io.err


def test_a_ghcr_entry_replaces_the_github_token_login(harness):
    auth = f"- registry: ghcr.io\n  username: robot\n  password: {PW_GHCR}\n"
    code, runner, _, io = harness({"INPUT_REGISTRY-AUTH": auth, "INPUT_GITHUB_TOKEN": TOKEN})
    assert code == 0, io.err
    assert logins_of(runner) == [("robot", "ghcr.io", PW_GHCR)]


def test_password_input_and_an_entry_for_one_registry_stop_before_anything(harness):
    auth = f"- registry: docker.io\n  username: hubber\n  password: {PW_HUB}\n"
    code, runner, client, io = harness({
        "INPUT_IMAGES": "docker.io/acme/widget", "INPUT_REGISTRY-AUTH": auth,
        "INPUT_USERNAME": "hubber", "INPUT_PASSWORD": PW_QUAY})
    assert code == 2
    (line,) = error_lines(io.err)
    assert "input 'password' and input 'registry-auth' entry 1 at line 1 both log in to " \
           "docker.io" in line
    # nothing ran and nothing was written; the real client refuses even before the
    # (read-only) check, see test_the_client_refuses_two_logins_for_one_registry
    assert runner.calls == [] and client.promoted == []
    assert no_secret_in(io.err + io.out, PW_HUB, PW_QUAY)


@pytest.mark.parametrize(("auth", "where"), [
    (f"- registry: docker.io\n  username: u\n  pasword: {PW_HUB}\n", "line 3 (entry 1)"),
    (f"- registry: quay.io\n  username: u\n  password: {PW_QUAY}\n- docker.io\n",
     "line 4 (entry 2)"),
    (f"- registry: quay.io\n  username: u\n  password: *{PW_HUB}\n", "line 3 (entry 1)"),
], ids=["unknown key", "not a mapping", "yaml error"])
def test_bad_registry_auth_is_one_error_exit_2_nothing_run(harness, tmp_path, auth, where):
    code, runner, client, io = harness({"INPUT_REGISTRY-AUTH": auth})
    assert code == 2
    (line,) = error_lines(io.err)
    assert f"input 'registry-auth' {where}" in line
    assert runner.calls == [] and client.checked == [] and client.promoted == []
    assert no_secret_in(io.err + io.out, PW_HUB, PW_QUAY)
    assert not (tmp_path / "rt").exists() or list((tmp_path / "rt").iterdir()) == []


def test_no_login_when_the_policy_says_no(harness):
    payload = {"repository": {"full_name": "Acme-Org/Widget", "default_branch": "main"},
               "pull_request": {"number": 3, "head": {"repo": {"full_name": "Acme-Org/Widget"}}}}
    code, runner, _, io = harness({"GITHUB_EVENT_NAME": "pull_request",
                                   "GITHUB_REF": "refs/pull/3/merge", "INPUT_IMAGES": IMAGES,
                                   "INPUT_REGISTRY-AUTH": HUB_AND_QUAY}, payload=payload)
    assert code == 0, io.err
    assert logins_of(runner) == []
    assert "login: none (this run does not push)" in io.err


def test_a_registry_without_a_login_is_named_once(harness):
    auth = f"- registry: quay.io\n  username: q\n  password: {PW_QUAY}\n"
    code, runner, _, io = harness({"INPUT_IMAGES": "quay.io/a/w\nregistry.example.test/a/w",
                                   "INPUT_REGISTRY-AUTH": auth})
    assert code == 0, io.err
    assert logins_of(runner) == [("q", "quay.io", PW_QUAY)]
    assert io.err.count("login: no password for registry.example.test; using the engine's "
                        "existing credentials") == 1


def test_a_second_login_refused_stops_before_the_build(harness):
    class Refusing(FakeRunner):
        def run(self, argv, *, env=None, stdin=None, cwd=None, check=False):
            if list(argv[:2]) == ["docker", "login"] and argv[-1] == "quay.io":
                self.calls.append((list(argv), dict(env or {}), stdin))
                return proc.Completed(tuple(argv), 1, "", f"unauthorized: bad {stdin}")
            return super().run(argv, env=env, stdin=stdin, cwd=cwd, check=check)

    runner = Refusing()
    code, _, client, io = harness({"INPUT_IMAGES": IMAGES, "INPUT_REGISTRY-AUTH": HUB_AND_QUAY},
                                  runner=runner)
    assert code == 1
    (line,) = error_lines(io.err)
    assert "docker login to quay.io failed (input 'registry-auth' entry 2 at line 4): " \
           "unauthorized: bad ***" in line
    assert runner.argvs("docker", "buildx", "build") == [] and client.promoted == []
    assert no_secret_in(io.err + io.out, PW_HUB, PW_QUAY)


# -- ghbuild's own registry client -----------------------------------------------------------
def inputs_with(env: dict[str, str]):
    return run_cmd.read_inputs({"INPUT_CACHE": "none", **env})


def test_the_client_gets_each_registrys_own_credentials(tmp_path, monkeypatch):
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps(
        {"auths": {"other.example": {"auth": "ZW5naW5lOmVuZ2luZS1wdw=="}}}))  # engine:engine-pw
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    inputs = inputs_with({"INPUT_REGISTRY-AUTH": HUB_AND_QUAY, "INPUT_GITHUB_TOKEN": TOKEN})
    out = io.StringIO()
    actions = Actions({}, stream=out)
    client = run_cmd._client(inputs, run_cmd.ImageRef.parse("docker.io/acme/widget"), actions)
    got = {host: client.creds.get(host) for host in
           ("index.docker.io", "quay.io", "ghcr.io", "other.example", "nothing.example")}
    assert (got["index.docker.io"].username, got["index.docker.io"].password) == \
        ("hubber", PW_HUB)
    assert (got["quay.io"].username, got["quay.io"].password) == ("q", PW_QUAY)
    assert got["ghcr.io"].password == TOKEN  # for ghcr.io only, whichever tag is there
    assert (got["other.example"].username, got["other.example"].password) == \
        ("engine", "engine-pw")
    assert got["nothing.example"] is None
    assert actions.redact(f"{PW_HUB} {PW_QUAY} {TOKEN}") == "*** *** ***"


def test_a_broken_docker_config_with_logins_only_loses_the_fallback(tmp_path, monkeypatch):
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text("{not json")
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    out = io.StringIO()
    inputs = inputs_with({"INPUT_REGISTRY-AUTH": HUB_AND_QUAY})
    client = run_cmd._client(inputs, run_cmd.ImageRef.parse("quay.io/a/w"),
                             Actions({}, stream=out))
    assert client.creds.get("quay.io").password == PW_QUAY
    assert "registry reads use only this run's logins" in out.getvalue()
    with pytest.raises(InputError, match="cannot be read as JSON"):
        run_cmd._client(inputs_with({}), run_cmd.ImageRef.parse("quay.io/a/w"),
                        Actions({}, stream=io.StringIO()))


def test_the_client_refuses_two_logins_for_one_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    inputs = inputs_with({"INPUT_REGISTRY-AUTH": HUB_AND_QUAY, "INPUT_USERNAME": "u",
                          "INPUT_PASSWORD": PW_GHCR, "INPUT_REGISTRY": "index.docker.io"})
    with pytest.raises(InputError, match="both log in to docker.io"):
        run_cmd._client(inputs, run_cmd.ImageRef.parse("quay.io/a/w"), Actions({}))


# -- ghbuild plan (run --dry-run) -----------------------------------------------------------
def test_the_plan_names_each_login_without_a_secret(harness):
    code, runner, _, io = harness(
        {"INPUT_IMAGES": IMAGES, "INPUT_REGISTRY-AUTH": HUB_AND_QUAY,
         "INPUT_GITHUB_TOKEN": TOKEN}, argv=("--dry-run", "--offline", "--format", "json"))
    assert code == 0, io.err
    (image,) = json.loads(io.out)["images"]
    assert image["logins"] == [
        {"registry": "docker.io", "username": "hubber",
         "source": "input 'registry-auth' entry 1 at line 1"},
        {"registry": "quay.io", "username": "q",
         "source": "input 'registry-auth' entry 2 at line 4"},
        {"registry": "ghcr.io", "username": "octocat", "source": "input 'github-token'"}]
    assert runner.calls == []  # a plan logs in nowhere
    assert no_secret_in(io.out + io.err, PW_HUB, PW_QUAY, TOKEN)
    code, _, _, io = harness({"INPUT_GITHUB_TOKEN": ""}, argv=("--dry-run", "--offline"))
    assert code == 0, io.err
    assert "  login:    yes: docker.io as hubber (input 'registry-auth' entry 1 at line 1); " \
           "quay.io as q (input 'registry-auth' entry 2 at line 4)\n" in io.out


def test_the_plan_shows_no_login_where_run_does_none(harness):
    payload = {"repository": {"full_name": "Acme-Org/Widget", "default_branch": "main"},
               "pull_request": {"number": 3, "head": {"repo": {"full_name": "Acme-Org/Widget"}}}}
    code, _, _, io = harness({"GITHUB_EVENT_NAME": "pull_request",
                              "GITHUB_REF": "refs/pull/3/merge",
                              "INPUT_REGISTRY-AUTH": HUB_AND_QUAY}, payload=payload,
                             argv=("--dry-run", "--offline", "--format", "json"))
    assert code == 0, io.err
    assert json.loads(io.out)["images"][0]["logins"] == []


# -- properties ------------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# What a secret can hold once GitHub has pasted it in: any text but NUL (YAML refuses
# most control characters, JSON escapes them).
SECRET_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                      min_size=1, max_size=40).filter(lambda s: s.strip() != "")


def yaml_printable(text: str) -> bool:
    """What YAML text can hold as it is: YAML's printable set (without DEL and the C1
    controls) less the characters ruamel.yaml reads as line breaks (NEL, U+2028, U+2029);
    JSON escapes the C0 controls itself."""
    def fits(c: str) -> bool:
        if c in "\u2028\u2029":
            return False
        return c < "\x7f" or "\xa0" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" \
            or c >= "\U00010000"
    return all(fits(c) for c in text)


@settings(max_examples=300, deadline=None)
@given(SECRET_TEXT)
def test_any_password_written_with_tojson_is_read_back_exactly(password):
    # GitHub's toJSON leaves non-ASCII as it is; other encoders escape it (as \\uXXXX,
    # surrogate pairs outside the BMP): both must read back as the same text.
    for ascii_only in (False, True)[0 if yaml_printable(password) else 1:]:
        quoted = json.dumps(password, ensure_ascii=ascii_only)
        text = f"- registry: quay.io\n  username: u\n  password: {quoted}\n"
        ((_, _, read, _, _),) = entries(text)
        # as docker login --password-stdin reads it (tests/test_round2_login.py)
        assert read == login_password(password)
        assert password in registry_auth_passwords(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_entries_or_one_input_error(text):
    try:
        got = parse_registry_auth(text)
    except InputError as exc:
        assert str(exc).startswith("input 'registry-auth'")
        return
    for entry in got:
        assert entry.credentials.username.strip() and entry.credentials.password.strip()
        assert entry.index >= 1 and entry.line >= 1


def test_configured_images_on_two_registries_share_one_login_each(harness, ws):
    for sub in ("api", "web"):
        (ws / sub).mkdir()
        (ws / sub / "Dockerfile").write_text("FROM scratch\n")
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(
        "defaults:\n  tags: type=ref,event=branch\nimages:\n"
        "  - name: quay.io/acme/api\n    context: api\n"
        "  - name: docker.io/acme/web\n    context: web\n")
    code, runner, _, io = harness({"INPUT_REGISTRY-AUTH": HUB_AND_QUAY,
                                   "INPUT_GITHUB_TOKEN": TOKEN})
    assert code == 0, io.err
    # no tag is on ghcr.io, so github-token logs in nowhere
    assert logins_of(runner) == [("hubber", HUB_CONFIG_KEY, PW_HUB), ("q", "quay.io", PW_QUAY)]
    builds = [env["DOCKER_CONFIG"] for argv, env, _ in runner.calls
              if argv[:3] == ["docker", "buildx", "build"]]
    logins = {env["DOCKER_CONFIG"] for argv, env, _ in runner.calls
              if argv[:2] == ["docker", "login"]}
    assert len(builds) == 2 and set(builds) == logins
