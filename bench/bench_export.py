"""Time to pay and export a batch of N approved entries to csv.

    .venv/bin/python bench/bench_export.py [--entries 1000000] [--runs 3] [--postgres URL]

Seeds a fresh database (SQLite in a temporary folder; with --postgres, a
randomly named database made on that server, named after the URL's database
and dropped afterwards: postgresql+psycopg://postgres@127.0.0.1:5432/me_bench
makes me_bench_<random>) with N approved entries spread over 1000
contacts, 2000 decisions and twelve pay periods, then times in the same run:

  - export: `service.make_batch` (find the payable entries, compute the pay
    lines, record every entry as paid, freeze the lines, mark the timesheets
    exported) followed by `service.export_batch(format=csv)`;
  - baseline: one raw SQL aggregate over the same tables written with the
    csv module — the rows alone, with none of the bookkeeping that keeps an
    entry from being paid twice.

It checks that both produce the same csv bytes and prints both times and
their ratio: wall clock and CPU seconds, since on a shared machine the wall
clock mostly measures the queue for a core. CPU is this process's (on SQLite
that includes the database engine) plus, on PostgreSQL, the CPU of the server
process serving the connection when it runs on this machine (parallel query
workers, if any, are not counted). The database is seeded once; each of the
`--runs` starts from a fresh copy of it (a file copy on SQLite, CREATE
DATABASE … TEMPLATE on PostgreSQL) and the medians are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.payroll import service
from server.tables import (
    ContactRow,
    DecisionContact,
    DecisionRow,
    EntryRow,
    RecipientRow,
    TimesheetEntry,
    TimesheetRow,
)

CONTACTS = 1000
DECISIONS_PER_CONTACT = 2
PERIODS = [f"2026-{month:02d}" for month in range(1, 13)]
CHUNK = 20_000
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


def _uid(kind: int, number: int) -> str:
    return str(uuid.UUID(int=kind << 100 | number))


def _insert(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[start : start + CHUNK])


def seed(engine: Engine, entries: int) -> None:
    contacts = [
        {
            "id": _uid(1, n),
            "name": f"Kontakt {n}",
            "employee_no": f"{10000 + n}",
            "contract_type": "contractor",
            "hourly_rate": Decimal("250.00") + n % 7,
            "created_at": NOW,
            "updated_at": NOW,
            "seq": 0,
        }
        for n in range(CONTACTS)
    ]
    _insert(engine, ContactRow.__table__, contacts)
    decisions = CONTACTS * DECISIONS_PER_CONTACT
    _insert(
        engine,
        RecipientRow.__table__,
        [
            {
                "id": _uid(2, n),
                "name": f"Mottaker {n}",
                "case_no": f"2026/{n:05d}",
                "guardians": [],
                "created_at": NOW,
                "updated_at": NOW,
                "seq": 0,
            }
            for n in range(decisions)
        ],
    )
    _insert(
        engine,
        DecisionRow.__table__,
        [
            {
                "id": _uid(3, n),
                "recipient_id": _uid(2, n),
                "kind": "individual",
                "hours": Decimal(100),
                "per": "month",
                "valid_from": date(2026, 1, 1),
                "valid_to": date(2026, 12, 31),
                "created_at": NOW,
                "updated_at": NOW,
                "seq": 0,
                "usage_seq": 0,
            }
            for n in range(decisions)
        ],
    )
    _insert(
        engine,
        DecisionContact.__table__,
        [
            {"decision_id": _uid(3, n), "contact_id": _uid(1, n // DECISIONS_PER_CONTACT)}
            for n in range(decisions)
        ],
    )
    sheets: dict[tuple[int, int], str] = {}
    sheet_rows = []
    for d in range(decisions):
        for p in range(len(PERIODS)):
            sheet_id = _uid(4, d * 100 + p)
            sheets[(d, p)] = sheet_id
            sheet_rows.append(
                {
                    "id": sheet_id,
                    "contact_id": _uid(1, d // DECISIONS_PER_CONTACT),
                    "decision_id": _uid(3, d),
                    "period": PERIODS[p],
                    "status": "approved",
                    "content_hash": "0" * 64,
                    "total_minutes": 0,
                    "total_km": Decimal(0),
                    "total_expenses": Decimal(0),
                    "approved_at": NOW,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "seq": 0,
                }
            )
    _insert(engine, TimesheetRow.__table__, sheet_rows)

    with engine.begin() as conn:
        for start in range(0, entries, CHUNK):
            batch = []
            links = []
            for n in range(start, min(entries, start + CHUNK)):
                d = n % decisions
                p = (n // decisions) % len(PERIODS)
                entry_id = _uid(5, n)
                minutes = 30 + n % 8 * 15
                batch.append(
                    {
                        "id": entry_id,
                        "contact_id": _uid(1, d // DECISIONS_PER_CONTACT),
                        "decision_ids": [_uid(3, d)],
                        "date": date(2026, p + 1, 1 + n % 28),
                        "start": "10:00",
                        "end": f"{10 + minutes // 60:02d}:{minutes % 60:02d}",
                        "minutes": minutes,
                        "total_km": Decimal(n % 5 * 3) / 2,
                        "total_expenses": Decimal(n % 3 * 4550) / 100,
                        "activities": [],
                        "trips": [],
                        "expenses": [],
                        "deleted": False,
                        "created_at": NOW,
                        "updated_at": NOW,
                        "seq": 0,
                    }
                )
                links.append({"timesheet_id": sheets[(d, p)], "entry_id": entry_id})
            conn.execute(insert(EntryRow.__table__), batch)
            conn.execute(insert(TimesheetEntry.__table__), links)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def _backend_pid(conn: Connection) -> int | None:
    if conn.dialect.name != "postgresql":
        return None
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _cpu(backend: int | None) -> float:
    """This process's CPU seconds, plus those of a PostgreSQL server process here."""
    spent = time.process_time()
    if backend is not None:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            spent += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return spent


def timed_export(engine: Engine) -> tuple[Timing, Timing, bytes, int]:
    factory = make_sessionmaker(engine)
    with factory() as db:
        backend = _backend_pid(db.connection())
        db.commit()
        began, cpu = time.perf_counter(), _cpu(backend)
        batch = service.make_batch(db, actor=None, now=NOW)
        made, made_cpu = time.perf_counter(), _cpu(backend)
        content = service.export_batch(
            db, actor=None, batch_id=batch.id, fmt=service.ExportFormat.csv
        ).content
        ended, ended_cpu = time.perf_counter(), _cpu(backend)
    return (
        Timing(ended - began, ended_cpu - cpu),
        Timing(made - began, made_cpu - cpu),
        content,
        batch.entry_count,
    )


BASELINE_SQL = """
SELECT c.employee_no, r.case_no, t.period, c.hourly_rate,
       SUM(e.minutes), SUM(e.total_km), SUM(e.total_expenses)
FROM entries e
JOIN timesheet_entries te ON te.entry_id = e.id
JOIN timesheets t ON t.id = te.timesheet_id
JOIN contacts c ON c.id = e.contact_id
JOIN decisions d ON d.id = t.decision_id
JOIN recipients r ON r.id = d.recipient_id
WHERE t.status = 'approved' AND e.deleted = false
GROUP BY c.employee_no, r.case_no, t.period, c.hourly_rate
ORDER BY c.employee_no, r.case_no, t.period
"""


def _two(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def timed_baseline(engine: Engine) -> tuple[Timing, bytes]:
    """The same rows from one aggregate query, written with the csv module.

    Stored integers are øre, tenths of km and øre; the km rate is 2026's,
    paid as its tax-free part (7100) and the taxable rest (7110).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(service.exports.CSV_COLUMNS)
    tax_free_rate, taxable_rate = Decimal("3.50"), Decimal("1.80")
    with engine.connect() as conn:
        backend = _backend_pid(conn)
        conn.commit()
        began, cpu = time.perf_counter(), _cpu(backend)
        for employee_no, case_no, period, rate_ore, minutes, km_tenths, expense_ore in conn.execute(
            text(BASELINE_SQL)
        ):
            rate = Decimal(rate_ore) / 100
            writer.writerow(
                (
                    employee_no,
                    case_no,
                    period,
                    "1100",
                    _two(Decimal(minutes) / 60),
                    _two(rate),
                    _two(Decimal(minutes) * rate / 60),
                )
            )
            if km_tenths:
                km = Decimal(km_tenths) / 10
                for code, km_rate in (("7100", tax_free_rate), ("7110", taxable_rate)):
                    writer.writerow(
                        (
                            employee_no,
                            case_no,
                            period,
                            code,
                            _two(km),
                            _two(km_rate),
                            _two(km * km_rate),
                        )
                    )
            if expense_ore:
                amount = Decimal(expense_ore) / 100
                writer.writerow(
                    (employee_no, case_no, period, "7200", "1.00", _two(amount), _two(amount))
                )
        content = out.getvalue().encode("utf-8")
        return Timing(time.perf_counter() - began, _cpu(backend) - cpu), content


@contextlib.contextmanager
def scratch_server(
    server_url: str | None, keep: set[str] | None = None
) -> Iterator[Callable[[str], str] | None]:
    """Make randomly named PostgreSQL databases on `server_url`; all dropped at
    the end but those named in `keep` when it ends.

    Yields `make(template)`: a new database (a copy of `template` when not
    empty) and its URL.
    """
    if not server_url:
        yield None
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(template: str) -> str:
        # Named after the database of the URL given, so that the scratch copies
        # of a shared server are recognisably whoever ran the bench's.
        name = f"{make_url(server_url).database}_bench_{secrets.token_hex(4)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        made.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in made:
                if keep and name in keep:
                    print(f"kept the seeded database {name}", flush=True)
                    continue
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def one_run(url: str, entries: int) -> tuple[Timing, Timing, Timing] | None:
    """Baseline, then export, on a fresh copy of the seeded database."""
    engine = make_engine(url)
    try:
        load = _load()
        baseline, expected = timed_baseline(engine)
        total, making, content, count = timed_export(engine)
    finally:
        engine.dispose()
    if count != entries:
        print(f"batch paid {count} entries, expected {entries}", file=sys.stderr)
        return None
    if content != expected:
        print("the export and the baseline wrote different csv files", file=sys.stderr)
        return None
    rows = content.count(b"\n") - 1
    print(
        f"  {rows:,} csv rows, identical in both; load {load} -> {_load()}\n"
        f"  export (make batch + csv): {total.wall:6.2f} s wall {total.cpu:6.2f} s CPU"
        f"  (making the batch {making.wall:.2f} s wall {making.cpu:.2f} s CPU)\n"
        f"  baseline (raw SQL + csv):  {baseline.wall:6.2f} s wall {baseline.cpu:6.2f} s CPU\n"
        f"  ratio export / baseline:   {total.wall / baseline.wall:6.1f}x wall"
        f" {total.cpu / baseline.cpu:6.1f}x CPU",
        flush=True,
    )
    return total, making, baseline


def _seed_once(seeded: str, entries: int) -> None:
    upgrade(seeded)
    engine = make_engine(seeded)
    try:
        began = time.perf_counter()
        seed(engine, entries)
        if engine.dialect.name == "postgresql":
            # A database in use has statistics (autovacuum analyzes a table
            # soon after a bulk load); without them each run would plan with
            # whatever autovacuum had got round to, and the copies inherit them.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        print(
            f"engine: {engine.dialect.name}; seeded {entries:,} approved entries"
            f" in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to make scratch databases on")
    parser.add_argument(
        "--seeded",
        help="with --postgres: the name of a database this bench seeded and kept (--keep) "
        "with as many entries, copied for each run instead of seeding again",
    )
    parser.add_argument(
        "--keep", action="store_true", help="with --postgres: keep the seeded database"
    )
    args = parser.parse_args()

    results = []
    keep: set[str] = set()
    with tempfile.TemporaryDirectory() as folder, scratch_server(args.postgres, keep) as make:
        if make is not None and args.seeded:
            seeded = (
                make_url(args.postgres)
                .set(database=args.seeded)
                .render_as_string(hide_password=False)
            )
            upgrade(seeded)
            print(f"engine: postgresql; copying the seeded database {args.seeded}", flush=True)
        else:
            seeded = f"sqlite:///{Path(folder) / 'seeded.sqlite3'}" if make is None else make("")
            if args.keep:
                keep.add(make_url(seeded).database or "")
            _seed_once(seeded, args.entries)
        for run in range(1, args.runs + 1):
            if make is None:
                copy = Path(folder) / "run.sqlite3"
                shutil.copyfile(Path(folder) / "seeded.sqlite3", copy)
                url = f"sqlite:///{copy}"
            else:
                url = make(make_url(seeded).database or "")
            print(f"run {run}:", flush=True)
            result = one_run(url, args.entries)
            if result is None:
                return 1
            results.append(result)
    if len(results) > 1:
        total, making, baseline = (
            Timing(median(r[i].wall for r in results), median(r[i].cpu for r in results))
            for i in range(3)
        )
        print(
            f"median of {len(results)} runs: export {total.wall:.2f} s wall {total.cpu:.2f} s CPU"
            f" (making {making.wall:.2f} s wall {making.cpu:.2f} s CPU),"
            f" baseline {baseline.wall:.2f} s wall {baseline.cpu:.2f} s CPU;"
            f" median ratio {median(r[0].wall / r[2].wall for r in results):.1f}x wall,"
            f" {median(r[0].cpu / r[2].cpu for r in results):.1f}x CPU"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
