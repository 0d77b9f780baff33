"""Where the config file's names and path come from: input ``images`` beside a config file
is refused (it would be replaced without a word, as --images is refused with several
images), and a config path outside the checkout is refused before it is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghbuild.cli import main
from tests.commands import test_run as run_tests
from tests.commands.test_run import error_lines

harness = run_tests.harness
ws = run_tests.ws


def _config(ws: Path, images: int = 2) -> None:
    text = "defaults:\n  tags: type=ref,event=branch\nimages:\n"
    for sub in ("api", "web")[:images]:
        (ws / sub).mkdir(exist_ok=True)
        (ws / sub / "Dockerfile").write_text("FROM scratch\n")
        text += f"  - name: ghcr.io/acme/widget-{sub}\n    context: {sub}\n"
    (ws / ".github").mkdir(exist_ok=True)
    (ws / ".github" / "ghbuild.yml").write_text(text)


@pytest.mark.parametrize("images", [1, 2])
def test_images_input_beside_a_config_file_is_refused(harness, ws, images):
    _config(ws, images)
    code, runner, client, io = harness({"INPUT_IMAGES": "ghcr.io/acme/other"})
    assert code == 2
    (line,) = error_lines(io.err)
    assert line.startswith("::error::input 'images' is set, but .github/ghbuild.yml names the "
                           "images (ghcr.io/acme/widget-api")
    assert "input 'image' picks one configured image" in line
    assert runner.calls == [] and client.checked == []


def test_images_input_with_image_picking_one_is_refused_too(harness, ws):
    _config(ws)
    code, _, _, io = harness({"INPUT_IMAGES": "ghcr.io/acme/other", "INPUT_IMAGE": "widget-web"})
    assert code == 2
    assert "names the images (ghcr.io/acme/widget-web)" in error_lines(io.err)[0]


def test_images_flag_with_one_image_still_wins(harness, ws):
    _config(ws, 1)
    code, runner, _, io = harness({}, argv=("--images", "ghcr.io/acme/other"))
    assert code == 0, io.err
    (build,) = runner.argvs("docker", "buildx", "build")
    assert "ghcr.io/acme/other:main" in build


def test_no_images_input_builds_the_configured_ones(harness, ws):
    _config(ws)
    code, runner, _, io = harness({"INPUT_IMAGES": "  "})
    assert code == 0, io.err
    assert len(runner.argvs("docker", "buildx", "build")) == 2


SECRET_LINE = "top-secret-line-4f1e: do not print"


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside.yml"
    path.write_text(SECRET_LINE + "\n")
    return path


def test_run_config_input_outside_the_workspace_is_refused(harness, ws, outside):
    rel = "../" + outside.name  # ws is tmp_path/ws
    code, runner, _, io = harness({"INPUT_CONFIG": rel})
    assert code == 2
    (line,) = error_lines(io.err)
    assert line.startswith(f"::error::input 'config' {rel!r} is outside the checkout")
    assert SECRET_LINE not in io.err and runner.calls == []


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink"])
def test_matrix_config_outside_the_checkout_is_refused(tmp_path, outside, how, capsys):
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    given = {"relative": "../outside.yml", "absolute": str(outside),
             "symlink": ".github/link.yml"}[how]
    if how == "symlink":
        (repo / ".github" / "link.yml").symlink_to(outside)
    code = main(["matrix", "--base", "HEAD", "--dir", str(repo), "--config", given,
                 "--no-registry-check"])
    assert code == 2
    captured = capsys.readouterr()
    assert f"--config {given!r} is outside the checkout" in captured.err
    assert SECRET_LINE not in captured.err + captured.out
