"""``ghbuild inspect REF``: ask the registry whether an image exists.

Prints ``{"state", "digest", "mediaType", "platforms", "reason"}`` on stdout and exits
0 (present), 1 (absent) or 2 (unknown). Credentials come from ``--username`` with the
password on stdin, or else from the docker config (``auths``, ``credsStore``,
``credHelpers``), as for ``docker pull``.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..buildkey import key_tag_name
from ..errors import InputError
from ..gha import Actions, safe_json
from ..registry import Credentials, CredentialStore, ImageRef, Presence, RegistryClient
from ..registry.checks import normalise_platform
from ..registry.credentials import login_password


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF", help="image reference, e.g. ghcr.io/acme/app:v1")
    parser.add_argument("--username", "-u", default="", help="registry user name")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password or token from stdin (needs --username)")
    parser.add_argument("--platform", action="append", default=[], metavar="OS/ARCH",
                        help="a platform the image must have (repeatable)")
    parser.add_argument("--key", default=None, help="the build key the image must record")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries on connection errors, 429 and 5xx")


def _credentials(args: argparse.Namespace, ref: ImageRef, actions: Actions) -> CredentialStore:
    if args.password_stdin and not args.username:
        raise InputError("--password-stdin needs --username")
    if args.username and not args.password_stdin:
        raise InputError("--username needs --password-stdin (a password is never taken as a "
                         "flag, so it stays out of the process list)")
    store = CredentialStore.from_docker_config()
    if not args.username:
        return store
    password = login_password(sys.stdin.read())
    if not password:
        raise InputError("--password-stdin: stdin was empty")
    actions.add_secret(password)
    return store.with_static(ref.registry, Credentials(args.username, password))


def run(args: argparse.Namespace) -> int:
    actions = Actions()
    ref = ImageRef.parse(args.ref, input_name="REF")
    platforms = [normalise_platform(p, input_name="--platform") for p in args.platform]
    if args.key is not None:
        key_tag_name(args.key)  # the same validation the key tag gets
    if args.timeout <= 0 or args.retries < 0:
        raise InputError("--timeout must be positive and --retries at least 0")
    client = RegistryClient(_credentials(args, ref, actions), timeout=args.timeout,
                            retries=args.retries, secret_sink=actions.add_secret)
    presence: Presence = client.check(ref, platforms=platforms, key=args.key, describe=True)
    if presence.state.value == "unknown":
        actions.warning(f"{ref}: unknown: {presence.reason}")
    print(safe_json(actions.redact(json.dumps(presence.to_json(), indent=2))))
    return presence.exit_code
