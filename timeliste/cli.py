"""The `timeliste` command: one entry point that hands each subcommand to its part.

This module is the composition root: it may import from every package, and
only does so inside the subcommand that needs it, so that `timeliste app`
never loads the server and `timeliste serve` never loads Flet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

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


def _build_app(args: argparse.Namespace) -> int:
    from webapp.build import build_command

    return build_command(args.out, force=args.force, release=args.release)


def _add_server_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the API server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL advised)")
    serve.set_defaults(handler=_server("serve"))

    build = commands.add_parser(
        "build-app", help="build the app for browsers and phones (served by `serve` at /)"
    )
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.add_argument("--out", type=Path, default=None, help="the build folder")
    build.add_argument("--release", default="", help="a label packed into the app (a version)")
    build.set_defaults(handler=_build_app)

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

    retention = commands.add_parser(
        "retention",
        help="list (and with --apply delete) settled pay periods past the retention time",
    )
    retention.add_argument(
        "--apply", action="store_true", help="delete; without it, only list what would go"
    )
    retention.set_defaults(handler=_server("retention"))


def _device(name: str) -> Handler:
    """A handler that imports sync.cli only when `timeliste device …` runs."""

    def handler(args: argparse.Namespace) -> int:
        from sync import cli

        result: int = getattr(cli, name)(args)
        return result

    return handler


def _add_device_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    device = commands.add_parser("device", help="inspect or sync a phone's store file (support)")
    actions = device.add_subparsers(dest="device_command", required=True)
    status = actions.add_parser("status", help="what the store holds and what waits")
    status.add_argument("store", type=Path, help="the store file (timeliste-….json)")
    status.set_defaults(handler=_device("status_command"))
    sync = actions.add_parser("sync", help="push and pull once with the store's login")
    sync.add_argument("store", type=Path, help="the store file (timeliste-….json)")
    sync.add_argument("--server", help="server address, if not the one in the store")
    sync.add_argument("--token", help="a fresh token, if the store's has expired")
    sync.set_defaults(handler=_device("sync_command"))


def _app(args: argparse.Namespace) -> int:
    """`timeliste app`: the phone app in a window, or with --web served to browsers."""
    import importlib
    import os

    # Imported by name: mobile/ is UI code outside `mypy --strict`, which would
    # otherwise follow a plain import from here into every view.
    if args.server:
        os.environ["TIMELISTE_SERVER_URL"] = args.server
    if args.web:
        web = importlib.import_module("mobile.web")
        result: int = web.serve(args.host, args.port, args.server)
        return result
    importlib.import_module("mobile.app").run_native()
    return 0


def _add_app_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    app = commands.add_parser(
        "app", help="developer tool: the app in a window (--web: Flet's server mode)"
    )
    app.add_argument(
        "--web", action="store_true", help="Flet's server mode (phones use `timeliste serve`)"
    )
    app.add_argument("--host", default="0.0.0.0")  # noqa: S104  # phones on the LAN must reach it
    app.add_argument("--port", type=int, default=8550)
    app.add_argument("--server", help="the API server's address, filled in at sign-in")
    app.set_defaults(handler=_app)


def _add_export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from server.payroll.cli import add_parser  # argparse only; the server loads when it runs

    add_parser(commands)
    commands.choices["export"].set_defaults(handler=_payroll_export)


def _payroll_export(args: argparse.Namespace) -> int:
    from server.payroll.cli import export

    return export(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timeliste", description="Timeliste for støttekontakttjenesten."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="build the app, start the server with demo data, print the address (make run)"
    )
    run.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104  # phones on the LAN must reach it
        help="address to listen on (default: every interface; the LAN address is printed)",
    )
    run.add_argument(
        "--port", "--api-port", dest="port", type=int, default=8000, help="port (default 8000)"
    )
    run.set_defaults(handler=_run)
    _add_server_commands(commands)
    _add_device_commands(commands)
    _add_export_command(commands)
    _add_app_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
