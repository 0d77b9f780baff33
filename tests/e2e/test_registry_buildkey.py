"""The content key's view of the context is the engine's: compared with what buildx sends.

A context with a tricky ``.dockerignore`` is built with ``COPY . /`` and exported to a
local directory; the files that arrive there must be exactly the files
:func:`ghbuild.buildkey.context_files` says the build reads.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ghbuild.buildkey import content_key, context_files
from tests.e2e.registry_servers import engine_run

pytestmark = pytest.mark.e2e

IGNORE = """\
# comments only at column 0
*.md
!README.md
**/node_modules
/build/
./tmp
docs/**
!docs/keep/**
secret?.txt
[a-c]x.log
**/*.pyc
logs
!logs/important.log
 spaced.txt
vendor/*/cache
"""

FILES = [
    "README.md", "CHANGES.md", "sub/notes.md", "app.py", "app.pyc", "deep/er/mod.pyc",
    "node_modules/x/index.js", "web/node_modules/y/index.js", "build/out.o", "src/build/keep.o",
    "tmp/t.txt", "docs/a/b.txt", "docs/keep/c.txt", "secret1.txt", "secret12.txt", "bx.log",
    "dx.log", "logs/debug.log", "logs/important.log", "spaced.txt", "vendor/a/cache/blob",
    "vendor/a/src/file.go", "# odd name.txt", "[a-c]x.log.literal",
]


def _make_context(root: Path, ignore: str, ignore_name: str = ".dockerignore") -> Path:
    root.mkdir(parents=True)
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {rel}\n")
    (root / "empty-dir").mkdir()
    os.symlink("app.py", root / "link-to-app")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (root / ignore_name).write_text(ignore)
    return root


def _exported(engine_env: dict[str, str], ctx: Path, out: Path) -> set[str]:
    engine_run(["docker", "buildx", "build", "--provenance=false", "--output",
                f"type=local,dest={out}", str(ctx)], engine_env)
    found = set()
    for dirpath, dirs, files in os.walk(out):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            found.add(Path(dirpath, name).relative_to(out).as_posix())
    return found


def _ours(ctx: Path) -> set[str]:
    return {rel for rel, path in context_files(ctx, ctx / "Dockerfile")
            if path.is_file() or path.is_symlink()}


def test_dockerignore_matches_what_buildx_sends(engine_env, tmp_path):
    ctx = _make_context(tmp_path / "ctx", IGNORE)
    sent = _exported(engine_env, ctx, tmp_path / "out")
    assert _ours(ctx) == sent
    # The test is only worth something if the rules did exclude and re-include.
    assert "README.md" in sent and "CHANGES.md" not in sent
    assert "docs/keep/c.txt" in sent and "docs/a/b.txt" not in sent
    assert "logs/important.log" in sent and "logs/debug.log" not in sent


@pytest.mark.parametrize("ignore", [
    "*\n!app.py\n!sub\nsub/notes.md\n",                 # allow-list style, last match wins
    "**\n! README.md\n",                              # everything but one, '!' then a space
    "deep/**/*.pyc\n../outside\nsub/../app.py\n",     # '..' cleaned as Go's filepath.Clean
    "\\#*\n[!a]x.log\n",                             # escaped '#'; '!' inside a class
    "Dockerfile\n.dockerignore\nlink-to-app\n",     # the build's own files, a symlink
], ids=["allow-list", "double-star", "dot-dot", "escapes", "own-files"])
def test_more_rules_match_buildx(engine_env, tmp_path, ignore):
    ctx = _make_context(tmp_path / "ctx", ignore)
    assert _ours(ctx) == _exported(engine_env, ctx, tmp_path / "out")


def test_dockerfile_specific_ignore_file_matches_buildx(engine_env, tmp_path):
    ctx = _make_context(tmp_path / "ctx", "*.md\n", ignore_name="Dockerfile.dockerignore")
    (ctx / ".dockerignore").write_text("app.py\n")  # loses to Dockerfile.dockerignore
    sent = _exported(engine_env, ctx, tmp_path / "out")
    assert _ours(ctx) == sent
    assert "app.py" in sent and "README.md" not in sent


def test_a_change_to_an_ignored_file_keeps_the_key(tmp_path):
    ctx = _make_context(tmp_path / "ctx", IGNORE)
    before = content_key(ctx, ctx / "Dockerfile", {}, "", ["linux/amd64"])
    (ctx / "CHANGES.md").write_text("a new release note\n")
    (ctx / "logs" / "debug.log").write_text("noise\n")
    assert content_key(ctx, ctx / "Dockerfile", {}, "", ["linux/amd64"]) == before
    (ctx / "logs" / "important.log").write_text("changed\n")
    assert content_key(ctx, ctx / "Dockerfile", {}, "", ["linux/amd64"]) != before


def _random_ignore(rng) -> str:
    """A .dockerignore drawn from the kinds of lines people write, wildcards included."""
    pieces = ["docs", "sub", "logs", "vendor", "deep", "er", "node_modules", "build", "tmp",
              "*", "**", "?x.log", "*.md", "*.pyc", "[a-c]x.log", "secret?.txt", "cache",
              "keep", "a", "*.txt", "README.md", "app.py"]
    lines = []
    for _ in range(rng.randint(2, 7)):
        path = "/".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
        prefix = rng.choice(["", "", "", "!", "/", "./"])
        lines.append(prefix + path)
    return "\n".join(lines) + "\n"


def test_random_ignore_files_match_buildx(engine_env, tmp_path):
    import random

    rng = random.Random(20240601)  # fixed: a failure names a reproducible case
    for case in range(12):
        ignore = _random_ignore(rng)
        ctx = _make_context(tmp_path / f"ctx{case}", ignore)
        sent = _exported(engine_env, ctx, tmp_path / f"out{case}")
        assert _ours(ctx) == sent, f"case {case}, .dockerignore:\n{ignore}"
