"""The OCI distribution client: references, credentials, checks and promotion."""

from .client import (
    ACCEPT,
    DOCKER_LIST,
    DOCKER_V2,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    AccessDenied,
    Manifest,
    ManifestUnknown,
    Ping,
    RegistryClient,
    is_loopback,
    sha256_digest,
)
from .credentials import Credentials, CredentialStore
from .presence import Presence, State
from .promote import Action, PromoteResult, semver_like
from .reference import ImageRef

__all__ = [
    "ACCEPT", "DOCKER_LIST", "DOCKER_V2", "MANIFEST_TYPES", "OCI_INDEX", "OCI_MANIFEST",
    "AccessDenied", "Action", "CredentialStore", "Credentials", "ImageRef", "Manifest",
    "ManifestUnknown", "Ping", "Presence", "PromoteResult", "RegistryClient", "State",
    "is_loopback", "semver_like", "sha256_digest",
]
