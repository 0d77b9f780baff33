"""The runner context: everything ghbuild reads from ``GITHUB_*`` and the event payload.

This module is the only one that looks at those variables. It builds a frozen
:class:`Context`; everything after is a pure function of it. :mod:`ghbuild.gitcontext`
builds the same object from a local checkout for dry runs.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import InputError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Context:
    event_name: str = ""
    ref: str = ""
    sha: str = ""
    repository: str = ""          # owner/name as the runner spells it (case kept)
    repository_owner: str = ""
    actor: str = ""
    workflow: str = ""
    job: str = ""
    run_id: str = ""
    run_number: str = ""
    run_attempt: str = ""
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    head_ref: str = ""
    base_ref: str = ""
    workspace: str = ""
    runner_temp: str = ""
    event_path: str = ""
    is_runner: bool = False       # GITHUB_ACTIONS=true
    payload: Mapping[str, Any] = field(default_factory=dict)
    now: float = 0.0              # epoch seconds: SOURCE_DATE_EPOCH or the clock
    source: str = "workflow"      # "workflow" (runner) or "git" (local checkout)

    @property
    def default_branch(self) -> str:
        repo = self.payload.get("repository") or {}
        return str(repo.get("default_branch") or "") if isinstance(repo, Mapping) else ""

    @property
    def head_repository(self) -> str:
        """The repository the change comes from: a fork for a fork's pull request."""
        pr = self.payload.get("pull_request")
        if isinstance(pr, Mapping):
            head = pr.get("head") or {}
            repo = head.get("repo") if isinstance(head, Mapping) else None
            if isinstance(repo, Mapping) and repo.get("full_name"):
                return str(repo["full_name"])
        return self.repository


# The instants a 64-bit time_t and Python's datetime can both show (years 1 to 9999).
_EPOCH_MAX = 253402300799


def now_from_env(environ: Mapping[str, str]) -> float:
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return time.time()
    # ASCII digits only: int() would also take '１２３' or '1_000'.
    if not re.fullmatch(r"-?[0-9]+", raw):
        raise InputError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {raw!r}")
    value = int(raw)
    if not 0 <= value <= _EPOCH_MAX:
        raise InputError(f"SOURCE_DATE_EPOCH {raw} is out of range (0 to {_EPOCH_MAX}, "
                         "the last second of year 9999)")
    return float(value)


def read_json_object(path: str, what: str, expected: str = "a JSON object") -> dict[str, Any]:
    """The JSON object in file ``path``; ``what`` names the input it came from."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file")
    except IsADirectoryError:
        raise InputError(f"{what} {path}: is a directory, expected a JSON file")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path}: not UTF-8 text (byte {exc.start})")
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}")
    except RecursionError:
        raise InputError(f"{what} {path}: nested too deeply to read (no event payload or "
                         "repository object is)")
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be read: {exc.strerror or exc}")
    if not isinstance(data, dict):
        raise InputError(f"{what} {path}: expected {expected}")
    return data


def parse_json(text: str, source: str, kind: type[T], expected: str) -> T:
    """``text`` (the JSON an option or a file gave) read as one ``kind`` (``dict`` or
    ``list``); an error names ``source`` with the line and column, or says ``expected``.
    The one reader of JSON text for ``merge --promote-only``, handovers and shared meta."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}")
    except RecursionError:
        # json.loads recurses per level; a hostile input must be an error, not a crash
        raise InputError(f"{source}: nested too deeply to read")
    if not isinstance(doc, kind):
        raise InputError(f"{source}: expected {expected}")
    return doc


def load_payload(path: str, what: str = "GITHUB_EVENT_PATH") -> dict[str, Any]:
    return read_json_object(path, what) if path else {}


def from_env(environ: Mapping[str, str] | None = None) -> Context:
    env = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return env.get(name, "") or default

    event_path = get("GITHUB_EVENT_PATH")
    repository = get("GITHUB_REPOSITORY")
    return Context(
        event_name=get("GITHUB_EVENT_NAME"),
        ref=get("GITHUB_REF"),
        sha=get("GITHUB_SHA"),
        repository=repository,
        repository_owner=get("GITHUB_REPOSITORY_OWNER", repository.partition("/")[0]),
        actor=get("GITHUB_ACTOR"),
        workflow=get("GITHUB_WORKFLOW"),
        job=get("GITHUB_JOB"),
        run_id=get("GITHUB_RUN_ID"),
        run_number=get("GITHUB_RUN_NUMBER"),
        run_attempt=get("GITHUB_RUN_ATTEMPT"),
        server_url=get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
        api_url=get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        head_ref=get("GITHUB_HEAD_REF"),
        base_ref=get("GITHUB_BASE_REF"),
        workspace=get("GITHUB_WORKSPACE"),
        runner_temp=get("RUNNER_TEMP"),
        event_path=event_path,
        is_runner=get("GITHUB_ACTIONS") == "true",
        payload=load_payload(event_path),
        now=now_from_env(env),
        source="workflow",
    )
