"""Docker image references: ``[registry/]repository[:tag][@digest]``.

The grammar is the one the Docker CLI and the distribution project use: the first
path component is a registry host only when it contains a ``.`` or a ``:`` or is
``localhost``; otherwise the image is on Docker Hub, whose one-component names live
under ``library/``. Repository paths are lower case; tags are at most 128 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..errors import InputError

DOCKER_HUB = "docker.io"
# The hub's API is not served on its name; the CLI talks to this host instead.
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^(?P<alg>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?P<hex>[a-zA-Z0-9=_-]{32,})$")
_DIGEST_HEX_LEN = {"sha256": 64, "sha512": 128}
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
MAX_NAME = 255


MAX_SHOWN = 200  # characters of a value a message quotes


def _shown(text: str) -> str:
    """``text`` quoted, cut to MAX_SHOWN characters: an error never echoes megabytes."""
    if len(text) <= MAX_SHOWN:
        return repr(text)
    return f"{text[:MAX_SHOWN]!r}… ({len(text)} characters)"


def _bad(text: str, input_name: str, expected: str) -> InputError:
    return InputError(f"input '{input_name}': {_shown(text)} is not a valid image reference: "
                      f"{expected}")


def check_tag(tag: str, *, input_name: str = "tag") -> str:
    if not _TAG.match(tag):
        raise InputError(f"input '{input_name}': {tag!r} is not a valid tag (expected up to 128 "
                         "of letters, digits, '_', '.', '-', not starting with '.' or '-')")
    return tag


def check_digest(digest: str, *, input_name: str = "digest") -> str:
    match = _DIGEST.match(digest)
    want = _DIGEST_HEX_LEN.get(match.group("alg")) if match else None
    if not match or (want is not None and (len(match.group("hex")) != want
                                           or not re.fullmatch(r"[a-f0-9]+", match.group("hex")))):
        raise InputError(f"input '{input_name}': {digest!r} is not a valid digest (expected "
                         "sha256: followed by 64 lower-case hex digits)")
    return digest


@dataclass(frozen=True)
class ImageRef:
    registry: str          # as written, normalised: "docker.io", "ghcr.io", "127.0.0.1:5000"
    repository: str        # "library/alpine", "acme/widget"
    tag: str | None = None
    digest: str | None = None

    # -- parsing ----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, *, input_name: str = "image") -> ImageRef:
        raw = text.strip()
        if not raw:
            raise _bad(text, input_name, "expected [registry/]name[:tag][@digest], got nothing")
        if "://" in raw:
            raise _bad(text, input_name, "expected a name without a scheme such as https://")
        rest, digest = raw, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            try:
                check_digest(digest, input_name=input_name)
            except InputError:
                raise _bad(text, input_name, f"the digest {digest!r} should be "
                           "sha256:<64 hex digits>") from None
        registry, path = _split_registry(rest)
        if registry is not None and not _HOST.match(registry):
            raise _bad(text, input_name, f"the registry {registry!r} should be host[:port]")
        if registry is not None and _bad_port(registry):
            raise _bad(text, input_name, f"the port of {registry!r} is out of range "
                                         "(1 to 65535)")
        tag = None
        last_slash = path.rfind("/")
        colon = path.rfind(":")
        if colon > last_slash:
            path, tag = path[:colon], path[colon + 1:]
            if not _TAG.match(tag):
                raise _bad(text, input_name, f"the tag {tag!r} should be up to 128 letters, "
                           "digits, '_', '.', '-' and not start with '.' or '-'")
        _check_path(text, path, input_name)
        if registry is None or registry.lower() in _HUB_ALIASES:
            registry = DOCKER_HUB
            # The hub files official images under library/, and so does every client.
            if "/" not in path:
                path = f"library/{path}"
        if len(registry) + 1 + len(path) > MAX_NAME:
            raise _bad(text, input_name, f"the name is {len(registry) + 1 + len(path)} "
                       f"characters long, more than the {MAX_NAME} a registry takes")
        return cls(registry=registry, repository=path, tag=tag, digest=digest)

    # -- derived forms ----------------------------------------------------------------
    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest if pinned, else the tag, else latest."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        """``registry/repository`` with no tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        """The host:port the HTTP API is served on (Docker Hub's differs from its name)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    def with_tag(self, tag: str) -> ImageRef:
        return replace(self, tag=check_tag(tag), digest=None)

    def with_digest(self, digest: str) -> ImageRef:
        return replace(self, digest=check_digest(digest))

    def repo_only(self) -> ImageRef:
        return replace(self, tag=None, digest=None)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _split_registry(rest: str) -> tuple[str | None, str]:
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, remainder
    return None, rest


def _check_path(text: str, path: str, input_name: str) -> None:
    if not path:
        raise _bad(text, input_name, "the repository name is empty")
    for component in path.split("/"):
        if not _COMPONENT.match(component):
            hint = " (repository names must be lower case)" if component.lower() != component \
                else ""
            raise _bad(text, input_name, f"path component {_shown(component)} should be "
                       f"lower-case letters and digits separated by '.', '_', '__' or '-'{hint}")


def _bad_port(host: str) -> bool:
    """A ``host:port`` whose port no TCP connection can use (0, or above 65535)."""
    head, sep, port = host.rpartition(":")
    if not sep or port.endswith("]") or not port.isdigit():
        return False
    return not 1 <= int(port) <= 65535


def check_host(host: str, *, input_name: str = "registry") -> str:
    if not _HOST.match(host):
        raise InputError(f"input '{input_name}': {host!r} is not a registry host[:port]")
    if _bad_port(host):
        raise InputError(f"input '{input_name}': the port of {host!r} is out of range "
                         "(1 to 65535)")
    return host


def repository_key(text: str) -> str:
    """The repository a name stands for, whatever its spelling: ``docker.io/acme/x``,
    ``index.docker.io/acme/x`` and ``acme/x`` are one (``docker.io/acme/x``), as are
    ``docker.io/library/x`` and ``x``. Tag and digest are dropped. ``text`` must parse."""
    return ImageRef.parse(text).name
