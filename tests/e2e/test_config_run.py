"""``.github/ghbuild.yml`` through a real ``ghbuild run``: two images, real builds, real push.

What the config file says must arrive in buildx and in the pushed images: secrets by
name (list and mapping form) reach ``RUN --mount=type=secret`` and nowhere else,
mapping-form build args and labels land in the image config, a target stage and a
flavor suffix apply per image, and ``defaults`` reach both.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap

import pytest

from tests.e2e.run_support import (
    blob,
    forget_images_fixture,
    image_config,
    main_push_env,
    manifest,
    prepare_examples,
    run_ghbuild,
    tags_of,
)

pytestmark = pytest.mark.e2e

TOKEN = "npm-token-from-env-5c6d7e"
NPMRC = "//registry.example/:_authToken=npmrc-secret-8a9b"
# The build proves it got the token by its hash: the command line is in the image
# history, so the value itself must not be written there.
API = f"""\
FROM scratch
COPY busybox /bin/busybox
RUN --mount=type=secret,id=NPM_TOKEN --mount=type=secret,id=npmrc \
["/bin/busybox", "sh", "-c", "/bin/busybox sha256sum /run/secrets/NPM_TOKEN | \
/bin/busybox grep -q {hashlib.sha256(TOKEN.encode()).hexdigest()} && \
/bin/busybox grep -q _authToken /run/secrets/npmrc && /bin/busybox mkdir /ok"]
ARG GREETING
ENV GREETING=${{GREETING}}
"""
WEB = """\
FROM scratch AS base
COPY busybox /bin/busybox

FROM base AS final
COPY page.html /www/index.html
"""


_forget_images = forget_images_fixture("/api", "/web")


def test_config_file_drives_two_real_builds(monkeypatch, capsys, tmp_path, engine_env,
                                            registry, unique_repo):
    prepare_examples()
    ws = tmp_path / "ws"
    for name, dockerfile in (("api", API), ("web", WEB)):
        (ws / name).mkdir(parents=True)
        (ws / name / "Dockerfile").write_text(dockerfile)
        shutil.copy("/bin/busybox", ws / name / "busybox")
    (ws / "web" / "page.html").write_text("<p>web</p>\n")
    (ws / ".github").mkdir()
    (ws / ".github" / "ghbuild.yml").write_text(textwrap.dedent(f"""\
        defaults:
          cache: none
          tags: ["type=ref,event=branch"]
          labels:
            org.opencontainers.image.vendor: Acme Test
        images:
          - name: {registry}/{unique_repo}/api
            context: api
            secrets: [NPM_TOKEN]
            build-args:
              GREETING: hello from the config
          - name: {registry}/{unique_repo}/web
            context: web
            target: final
            flavor: {{suffix: -web}}
            labels:
              com.example.team: web
        """))
    env = {**main_push_env(tmp_path),
           "INPUT_GITHUB_TOKEN": "", "NPM_TOKEN": TOKEN}
    # The api image gets its second secret from the mapping form, id -> variable name.
    config = ws / ".github" / "ghbuild.yml"
    config.write_text(config.read_text().replace(
        "    secrets: [NPM_TOKEN]\n", "    secrets: {NPM_TOKEN: NPM_TOKEN, npmrc: NPMRC}\n"))
    env["NPMRC"] = NPMRC

    result = run_ghbuild(monkeypatch, capsys, tmp_path, ws, engine_env, env)
    assert result.code == 0, result.stderr[-4000:]

    # Both images are in the registry under the tags their entries give.
    assert "main" in tags_of(registry, f"{unique_repo}/api")
    assert "main-web" in tags_of(registry, f"{unique_repo}/web")

    # buildx got each secret by reference only.
    builds = result.calls.commands("docker", "buildx", "build")
    assert len(builds) == 2
    argv = builds[0].argv
    secrets = [argv[i + 1] for i, a in enumerate(argv) if a == "--secret"]
    assert secrets == ["id=NPM_TOKEN,env=NPM_TOKEN", "id=npmrc,env=NPMRC"]
    assert "--target" in builds[1].argv and "final" in builds[1].argv

    # What the config set is in the image configs; defaults reached both images.
    api = image_config(registry, f"{unique_repo}/api", "main")["config"]
    web = image_config(registry, f"{unique_repo}/web", "main-web")["config"]
    assert "GREETING=hello from the config" in api["Env"]
    assert api["Labels"]["org.opencontainers.image.vendor"] == "Acme Test"
    assert web["Labels"]["com.example.team"] == "web"
    assert "org.opencontainers.image.vendor" not in web["Labels"]  # replaced, not merged

    # The secret values are nowhere: not in the log, the outputs, argv or any blob.
    seen = result.stdout + result.stderr + json.dumps(result.outputs)
    seen += json.dumps([c.argv for c in result.calls.calls])
    for repo, ref in ((f"{unique_repo}/api", "main"), (f"{unique_repo}/web", "main-web")):
        _, top = manifest(registry, repo, ref)
        # every manifest under the tag, attestation manifests included
        entries = [manifest(registry, repo, m["digest"])[1] for m in top.get("manifests", [])]
        for entry in entries or [top]:
            seen += json.dumps(entry)
            for digest in [entry["config"]["digest"], *(x["digest"] for x in entry["layers"])]:
                seen += blob(registry, repo, digest).decode("latin-1")
    assert TOKEN not in seen
    assert NPMRC not in seen and "npmrc-secret-8a9b" not in seen
