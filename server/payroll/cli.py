"""`timeliste export`: make a payroll batch, or download one, from the command line.

Meant for scheduled jobs: the exit code says what happened (0 written,
3 nothing to pay, 1 any other refusal) and the message on stderr says it in
words; the file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from models.payperiod import is_pay_period

NOTHING_TO_PAY = 3


def _say(message: str) -> None:
    print(f"timeliste export: {message}", file=sys.stderr)


def _write_atomically(path: Path, content: bytes) -> None:
    # A half-written pay file picked up by a payroll import is worse than none.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(args: argparse.Namespace) -> int:
    from server.config import get_settings
    from server.db import make_engine, make_sessionmaker
    from server.errors import DomainError
    from server.migrate import upgrade
    from server.payroll import service

    if args.batch and args.period:
        _say("give either --batch or --period, not both")
        return 2
    if args.period and not is_pay_period(args.period):
        _say("--period must be written YYYY-MM, for example 2026-03")
        return 2
    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            try:
                if args.batch:
                    batch = service.get_batch(db, batch_id=args.batch)
                else:
                    batch = service.make_batch(db, actor=None, period=args.period)
                file = service.export_batch(
                    db, actor=None, batch_id=batch.id, fmt=service.ExportFormat(args.format)
                )
            except service.NothingToPayError as error:
                _say(error.detail)
                return NOTHING_TO_PAY
            except DomainError as error:
                _say(error.detail)
                return 1
    finally:
        engine.dispose()
    _write_atomically(Path(args.out), file.content)
    print(
        f"Lønnsbunt {batch.number} ({batch.id}): {batch.entry_count} timeføringer, "
        f"{batch.totals['amount']} kr, skrevet til {args.out}"
    )
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `export` subcommand's arguments (the handler is set by the caller)."""
    parser = commands.add_parser(
        "export",
        help="make a payroll batch of approved hours and write it to a file",
        description=(
            "Without --batch: pay every approved, unpaid entry (of --period) in a new batch. "
            "With --batch: write an existing batch again (same bytes)."
        ),
    )
    parser.add_argument("--period", help="pay period YYYY-MM (default: every period)")
    parser.add_argument("--batch", help="id of an existing batch to download again")
    parser.add_argument(
        "--format", choices=["csv", "visma", "xlsx", "pdf"], default="csv", help="file format"
    )
    parser.add_argument("--out", required=True, help="file to write")
