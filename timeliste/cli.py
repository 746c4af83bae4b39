"""The `timeliste` command: one entry point that hands each subcommand to its part.

This module is the composition root: it may import from every package, and
only does so inside the subcommand that needs it, so that `timeliste app`
never loads the server and `timeliste serve` never loads Flet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _run(args: argparse.Namespace) -> int:
    from timeliste.launcher import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timeliste", description="Timeliste for støttekontakttjenesten."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start server and app with demo data (make run)")
    run.add_argument("--host", default="0.0.0.0")  # noqa: S104  # phones on the LAN must reach it
    run.add_argument("--api-port", type=int, default=8000)
    run.add_argument("--app-port", type=int, default=8550)
    run.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
