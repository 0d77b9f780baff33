"""A private ``DOCKER_CONFIG`` for one run: log in with the password on stdin, remove after.

The directory lives under ``RUNNER_TEMP`` on a runner (a temporary directory
elsewhere), so the credential never lands in the user's ``~/.docker`` and is gone
when the run ends, failed or not. buildx is a CLI plugin found through
``$DOCKER_CONFIG/cli-plugins``, so that folder is linked in from the config the
caller had (``DOCKER_CONFIG`` or ``~/.docker``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import proc
from .errors import RegistryError
from .gha import Actions
from .registry.credentials import normalise_host


@dataclass(frozen=True, kw_only=True)
class Credentials:
    registry: str
    username: str
    password: str = field(repr=False)


def base_config_dir(environ: Mapping[str, str]) -> Path:
    given = environ.get("DOCKER_CONFIG", "")
    return Path(given) if given else Path(environ.get("HOME", str(Path.home()))) / ".docker"


def _link_plugins(base: Path, target: Path) -> None:
    plugins = base / "cli-plugins"
    if not plugins.is_dir():
        return
    try:
        (target / "cli-plugins").symlink_to(plugins.resolve(), target_is_directory=True)
    except OSError:
        # A file system without symlinks: a copy works as well, it is only a few binaries.
        shutil.copytree(plugins, target / "cli-plugins")


def _inherited_config(base: Path, logins: list[Credentials]) -> dict[str, Any]:
    """What the private config keeps from the caller's: logins to other registries
    (``auths``, ``credHelpers``, e.g. a Docker Hub login from an earlier step) and
    ``proxies``. ``credsStore`` is left out, or ``docker login`` would write this run's
    password into that store, where it would outlive the run.

    Known limit: credentials the caller keeps only in a ``credsStore`` are therefore
    not seen by buildx during the run.
    """
    try:
        data = json.loads((base / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    ours = {normalise_host(c.registry) for c in logins}
    out: dict[str, Any] = {}
    for key in ("auths", "credHelpers"):
        entries = data.get(key)
        if isinstance(entries, dict):
            kept = {k: v for k, v in entries.items() if normalise_host(k) not in ours}
            if kept:
                out[key] = kept
    if isinstance(data.get("proxies"), dict):
        out["proxies"] = data["proxies"]
    if isinstance(data.get("currentContext"), str):
        out["currentContext"] = data["currentContext"]
    return out


def _keep_builders_and_contexts(base: Path, target: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Keep the caller's buildx builders and docker contexts visible.

    buildx keeps its builders (the one docker/setup-buildx-action creates, say) under
    ``$BUILDX_CONFIG``, by default ``$DOCKER_CONFIG/buildx``, and the docker CLI keeps
    contexts under ``$DOCKER_CONFIG/contexts``; a bare private config would hide both
    and silently fall back to the default ``docker`` driver.
    """
    contexts = base / "contexts"
    if contexts.is_dir():
        with contextlib.suppress(OSError):
            (target / "contexts").symlink_to(contexts.resolve(), target_is_directory=True)
    if env.get("BUILDX_CONFIG"):
        return {}
    return {"BUILDX_CONFIG": str(base / "buildx")}


def _login(creds: Credentials, env: Mapping[str, str], actions: Actions) -> None:
    argv = ["docker", "login", "--username", creds.username, "--password-stdin",
            creds.registry]
    actions.info(f"logging in to {creds.registry} as {creds.username}")
    done = proc.get_runner().run(argv, env=env, stdin=creds.password)
    if done.returncode != 0:
        detail = actions.redact((done.stderr or done.stdout).strip())[-300:]
        raise RegistryError(f"docker login to {creds.registry} failed: {detail}")


@contextlib.contextmanager
def private_docker_config(logins: list[Credentials], actions: Actions, *,
                          environ: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Yield the environment additions (``DOCKER_CONFIG``) for a logged-in docker.

    Every password is registered with ``actions`` before use. The directory is removed
    on exit, also when the body or a login raises.
    """
    env = dict(os.environ if environ is None else environ)
    parent = env.get("RUNNER_TEMP") or None
    if parent:
        os.makedirs(parent, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="ghbuild-docker-", dir=parent))
    try:
        os.chmod(path, 0o700)
        base = base_config_dir(env)
        config = path / "config.json"
        config.write_text(json.dumps(_inherited_config(base, logins), indent=1) + "\n",
                          encoding="utf-8")
        os.chmod(config, 0o600)
        _link_plugins(base, path)
        extra = {"DOCKER_CONFIG": str(path), **_keep_builders_and_contexts(base, path, env)}
        for creds in logins:
            actions.add_secret(creds.password)
            _login(creds, {**env, **extra}, actions)
        yield extra
    finally:
        shutil.rmtree(path, ignore_errors=True)
