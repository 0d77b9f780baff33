"""``ghbuild matrix --base REV``: the strategy matrix of the configured images that changed.

Stdout carries ``{"include": [...]}`` for ``fromJSON()`` in a workflow's
``strategy.matrix``; on a runner the step outputs are ``matrix`` (the same JSON),
``promote-only`` (a JSON list of ``{"image", "base"}`` for images that did not change)
and ``count`` (how many build entries; GitHub refuses an empty matrix, so guard the
build job with ``if: needs.<job>.outputs.count != '0'``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..gha import Actions, safe_json
from ..matrix import plan_matrix


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, metavar="REV",
                        help="commit to compare with: the pull request's base, or the push "
                             "event's 'before'; all zeros or unknown builds every image")
    parser.add_argument("--dir", default=".", metavar="PATH",
                        help="root of the git checkout (default: .)")
    parser.add_argument("--config", metavar="PATH",
                        help="config file relative to --dir (default: .github/ghbuild.yml)")
    parser.add_argument("--split-platforms", action="store_true",
                        help="one entry per image and platform (for per-platform runners)")
    parser.add_argument("--image", action="append", default=[], metavar="NAME",
                        help="consider only this image (repeatable)")
    parser.add_argument("--no-registry-check", action="store_true",
                        help="do not confirm that unchanged images have a build for the base "
                             "commit (then a later --promote-only step fails if one is missing)")


def run(args: argparse.Namespace) -> int:
    actions = Actions()
    repo = Path(args.dir)
    if not repo.is_dir():
        raise InputError(f"--dir {args.dir}: no such directory")
    if args.config:
        from ..config import config_inside

        config_inside(repo, args.config, "--config")  # before anything reads it
    check = None
    if not args.no_registry_check:
        from ..matrix import registry_check
        from ..registry import CredentialStore, RegistryClient

        client = RegistryClient(CredentialStore.from_docker_config(),
                                secret_sink=actions.add_secret)
        from ..config import load_config
        from ..matrix import find_config_rel, image_settings

        # The key of each image's base build carries its build settings, as run gives it.
        config = load_config(repo / find_config_rel(repo, args.config))
        check = registry_check(client, image_settings(config, repo))
    out = plan_matrix(repo, args.base, config_rel=args.config,
                      split_platforms=args.split_platforms, only=args.image, check=check)
    with actions.group(f"Images changed since {args.base}"):
        for dec in out.decisions:
            verdict = "build" if dec.changed else "promote only"
            actions.info(f"{dec.image.name}: {verdict} ({dec.reason})")
    print(safe_json(out.matrix_json()))
    actions.set_output("matrix", out.matrix_json())
    actions.set_output("promote-only", out.promote_json())
    actions.set_output("count", str(len(out.include)))
    return 0
