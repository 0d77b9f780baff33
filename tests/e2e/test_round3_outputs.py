"""Round 3 (M2), against the real buildx and registry: an outputs line whose image names
are one quoted CSV field (``type=image,"name=a,b",push=true``) is accepted by ghbuild's
check and by buildx, which runs that exporter (it pushes, though the run itself does not).
Seen on buildx 0.13.1: beside a --tag, the image exporter takes the --tag names instead
of name= (the tags replace the exporter's name attribute), so the registry gets the run's
tag, not qa/qb; without --tag both names are pushed."""

from __future__ import annotations

import pytest

from tests.e2e.run_support import (
    REPO_PAYLOAD,
    forget_images_fixture,
    hello_env,
    manifest,
    new_sha,
    run_ghbuild,
    tags_of,
    workspace,
)

pytestmark = pytest.mark.e2e

_forget_images = forget_images_fixture()


def test_a_quoted_outputs_field_with_commas(monkeypatch, capsys, tmp_path, engine_env,
                                            registry, unique_repo, examples_ready):
    image = f"{registry}/{unique_repo}"
    env = {**hello_env(tmp_path, image, new_sha(), "refs/heads/main",
                       {"repository": REPO_PAYLOAD}),
           # push: false, so only the outputs line's push=true can write to the registry
           "INPUT_CACHE": "none", "INPUT_PROVENANCE": "false", "INPUT_PUSH": "false",
           "INPUT_OUTPUTS": f'type=image,"name={image}:qa,{image}:qb",push=true'}
    got = run_ghbuild(monkeypatch, capsys, tmp_path, workspace(tmp_path), engine_env, env)
    assert got.code == 0, got.stderr
    (build,) = got.calls.commands("docker", "buildx", "build")
    assert f'type=image,"name={image}:qa,{image}:qb",push=true' in build.argv
    assert "push decision: no push" in got.stderr
    assert tags_of(registry, unique_repo) == ["main"]   # written by that exporter
    assert manifest(registry, unique_repo, "main")[0]
