"""The server's subcommands of `timeliste`: serve, db upgrade, user add.

Each honours DATABASE_URL and TIMELISTE_DATA_DIR through `Settings`.
"""

from __future__ import annotations

import argparse
import sys

from models.schemas import Role

WORKER_HEALTHCHECK_SECONDS = 120


def _fail(message: str) -> int:
    print(f"timeliste: {message}", file=sys.stderr)
    return 1


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.config import get_settings
    from server.errors import BUSY_RETRY_SECONDS
    from server.migrate import upgrade

    settings = get_settings()
    # Upgrade once here, before uvicorn forks its workers.
    upgrade(settings.sqlalchemy_url)
    uvicorn.run(
        "server.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        # No "server: uvicorn" banner: it only helps someone matching exploits to versions.
        server_header=False,
        log_level="info",
        # Access lines carry query strings (a search for a name, say): never log them.
        access_log=False,
        # uvicorn kills a worker that does not answer its supervisor's ping
        # within this time, dropping every connection it holds. Its default
        # (5 s) is shorter than a worker busy on a loaded machine may take to
        # answer, and a killed worker drops the pushes it is serving.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # uvicorn closes an idle kept-alive connection after 5 s by default,
        # the very pause a busy answer asks for (Retry-After: 5): a client that
        # waited and sent again on the same connection met the close
        # (ReadError, "server disconnected"). Idle connections live longer
        # than any pause the server asks for.
        timeout_keep_alive=3 * BUSY_RETRY_SECONDS,
    )
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from server.config import get_settings
    from server.migrate import upgrade

    settings = get_settings()
    upgrade(settings.sqlalchemy_url, args.revision)
    print(f"Database is at revision {args.revision}.")
    return 0


def user_add(args: argparse.Namespace) -> int:
    from server.config import get_settings
    from server.db import make_engine, make_sessionmaker
    from server.errors import DomainError
    from server.migrate import upgrade
    from server.services.auth import create_user

    if args.role not in {r.value for r in Role}:
        return _fail(
            f"unknown role {args.role!r}; choose one of {', '.join(r.value for r in Role)}"
        )
    if args.role == Role.contact.value:
        return _fail(
            "contacts are registered with POST /api/v1/contacts (they need a contact record)"
        )
    if not args.password_stdin:
        return _fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            try:
                user = create_user(
                    db, settings=settings, username=args.username, password=password, role=args.role
                )
                db.commit()
            except DomainError as error:
                return _fail(f"could not add user {args.username!r}: {error.detail}")
    finally:
        engine.dispose()
    print(f"Added user {user.username} with role {user.role}.")
    return 0


def retention(args: argparse.Namespace) -> int:
    """List, and with --apply delete, settled pay periods older than the retention time."""
    from models.clock import today_in_oslo
    from server.config import get_settings
    from server.db import make_engine, make_sessionmaker
    from server.migrate import upgrade
    from server.services.retention import report_lines, run_retention

    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            report = run_retention(
                db,
                today=today_in_oslo(),
                years=settings.retention_years,
                cutoff_day=settings.pay_cutoff_day,
                apply=args.apply,
            )
    finally:
        engine.dispose()
    for line in report_lines(report, settings.retention_years):
        print(line)
    return 0
