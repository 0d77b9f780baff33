"""Helpers for the tag-engine tests: stored event fixtures, a pinned clock."""

from __future__ import annotations

from pathlib import Path

from ghbuild import context, meta

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
REPO_JSON = FIXTURES / "repo.json"

# 2020-01-10T00:30:00Z, the instant metadata-action's own tests freeze
EPOCH = 1578616200


def load_env(name: str, **overrides: str) -> dict[str, str]:
    """The runner environment of fixture ``name`` with GITHUB_EVENT_PATH made absolute."""
    env: dict[str, str] = {}
    for line in (FIXTURES / f"{name}.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["GITHUB_EVENT_PATH"] = str(FIXTURES / env["GITHUB_EVENT_PATH"])
    env["SOURCE_DATE_EPOCH"] = str(EPOCH)
    env.update(overrides)
    return env


def run_meta(fixture: str, inputs: dict[str, str] | None = None, *,
             env: dict[str, str] | None = None, repo: bool = True) -> meta.MetaResult:
    """compute() for a fixture; ``inputs`` maps input names (``tags``) to their text."""
    environ = load_env(fixture, **(env or {}))
    for name, value in (inputs or {}).items():
        environ[f"INPUT_{name.upper()}"] = value
    ctx = context.from_env(environ)
    repo_meta = meta.RepoMeta.from_file(str(REPO_JSON)) if repo else None
    return meta.compute(ctx, meta.read_inputs(environ), repo_meta)


def lines(*items: str) -> str:
    return "\n".join(items)
