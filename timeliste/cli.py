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


def _server(name: str) -> Handler:
    """A handler that imports server.cli only when its subcommand runs."""

    def handler(args: argparse.Namespace) -> int:
        from server import cli

        result: int = getattr(cli, name)(args)
        return result

    return handler


def _add_server_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the API server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL advised)")
    serve.set_defaults(handler=_server("serve"))

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or upgrade the schema")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=_server("db_upgrade"))

    user = commands.add_parser("user", help="manage logins")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a coordinator, payroll or admin login")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="coordinator, payroll or admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=_server("user_add"))


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
    _add_server_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
