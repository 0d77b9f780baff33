"""Secrets never reach the log, argv, or the pushed image's provenance (real build, real push).

The build gets a secret through ``secrets`` (``RUN --mount=type=secret``) and a
credential-named build arg, with ``provenance: mode=max`` asked for. BuildKit records
build-arg values in mode=max provenance, so ghbuild lowers it to mode=min and warns;
the pushed attestation is read back and searched for both values.
"""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.run_support import (
    attestation_blobs,
    forget_images_fixture,
    image_config,
    main_push_env,
    run_ghbuild,
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
