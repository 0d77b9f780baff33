"""The answer to "is this image in the registry?": present, absent or unknown.

``unknown`` is the answer to every doubt (an access refusal, a fault, a body we cannot
read); callers build on anything but ``present``, so a doubtful answer can cost a
build but never skip one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class State(str, enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


EXIT_CODES = {State.PRESENT: 0, State.ABSENT: 1, State.UNKNOWN: 2}


@dataclass(frozen=True)
class Presence:
    state: State
    ref: str = ""
    digest: str | None = None
    media_type: str | None = None
    platforms: tuple[str, ...] = ()
    reason: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    # Why an unknown answer arose, in one word: access, fault, rate-limit, timeout, body.
    cause: str = ""

    @property
    def present(self) -> bool:
        return self.state is State.PRESENT

    @property
    def should_build(self) -> bool:
        return self.state is not State.PRESENT

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.state]

    def decision(self) -> str:
        """One line for the log: what the caller should do and why."""
        if self.state is State.PRESENT:
            return f"no build: {self.ref} is in the registry as {self.digest}"
        if self.state is State.ABSENT:
            return f"build: {self.reason}"
        return (f"build: the registry's answer for {self.ref} is unknown ({self.reason}); "
                "building rather than trusting it")

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "digest": self.digest, "mediaType": self.media_type,
                "platforms": list(self.platforms), "reason": self.reason}

    @classmethod
    def absent(cls, ref: str, reason: str, **kw: Any) -> Presence:
        return cls(State.ABSENT, ref=ref, reason=reason, **kw)

    @classmethod
    def unknown(cls, ref: str, reason: str, cause: str, **kw: Any) -> Presence:
        return cls(State.UNKNOWN, ref=ref, reason=reason, cause=cause, **kw)
