"""Throughput and latency of `POST /api/v1/sync/push`.

    .venv/bin/python bench/bench_push.py [--entries 10000] [--batch 500]
        [--earlier 100000] [--samples 30] [--overlapping 1000] [--in-month 500] [--database-url URL]

Starts the real server (`timeliste serve`, one worker, on 127.0.0.1) and talks
to it over HTTP, so JSON, auth, validation, locks, timesheets, flags, audit and
the durable commit are all included; the database is a fresh SQLite file in a
temporary folder, or an EMPTY PostgreSQL database given with --database-url.
In one run it measures:

1. throughput: N entries pushed in batches of B mutations (entries/s);
2. baseline: the same N rows inserted with the driver's raw `executemany` into
   a table of the same columns in the same database, and the ratio push time /
   raw time — what HTTP and all the bookkeeping cost over storing rows;
3. a push of `--overlapping` mutations in which every entry overlaps another
   (pairs at the same time on the same day), the worst case for the flag rules;
4. latency of a one-entry push on a decision with no earlier entries, and on
   a decision with `--earlier` earlier entries (seeded with bulk SQL, spread
   over 20 years and 20 contacts as a long-running vedtak would be) and
   `--in-month` of the contact's own entries in the same month. Work per
   push depends on the quota period and the timesheet, not on the decision's
   whole history, so the two should be close. The two are pushed to in turn,
   once the history is in place (and, on PostgreSQL, vacuumed and analysed as
   autovacuum would have done): measured one after the other, minutes apart,
   the ratio followed what else the machine was doing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert

from models.clock import today_in_oslo
from models.schemas import Role
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.services.auth import create_user
from server.tables import (
    DecisionContact,
    EntryDecision,
    EntryRow,
    TimesheetEntry,
    TimesheetRow,
)

PASSWORD = "Fjellvann-Sykkel-7391"
SEED_CONTACTS = 20


def _uid(kind: int, number: int) -> str:
    return str(uuid.UUID(int=kind << 100 | number))


def _entry(entry_id: str, decision_id: str, day: date, start: str, end: str) -> dict[str, Any]:
    return {
        "id": entry_id,
        "decision_ids": [decision_id],
        "date": day.isoformat(),
        "start": start,
        "end": end,
        "activities": ["tur", "kafé"],
        "note": "Benchmark",
        "trips": [{"km": "12.5", "from": "Hjem", "to": "Sentrum", "purpose": "aktivitet"}],
        "expenses": [{"amount": "45.00", "category": "kafé", "description": ""}],
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), children not included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(engine: Any) -> float | None:
    """CPU time of the PostgreSQL backends serving the bench's database (not this one).

    The server keeps its pooled connections, so the difference over a phase is
    what PostgreSQL spent on the server's statements. None on SQLite (it runs
    inside the server process) or when the backends are not on this machine.
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(int(pid))
            except OSError:
                return None
    return total


@contextmanager
def serving(
    database_url: str, data_dir: Path, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`timeliste serve` on a free loopback port; stopped (and waited for) on exit."""
    port = _free_port()
    env = {
        **os.environ,
        "TIMELISTE_ENVIRONMENT": "development",
        "TIMELISTE_DATABASE_URL": database_url,
        "TIMELISTE_DATA_DIR": str(data_dir),
    }
    command = [
        sys.executable,
        "-m",
        "timeliste",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = (data_dir / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"timeliste serve stopped: see {log.name}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("timeliste serve did not start within 180 s")
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        # A worker the supervisor killed dropped the connections it held.
        died = (data_dir / f"serve-{port}.log").read_text(errors="replace").count(" died")
        if died:
            print(f"WARNING: uvicorn restarted {died} worker(s) during the run")


class Bench:
    def __init__(self, database_url: str, data_dir: Path, base_url: str) -> None:
        self.settings = Settings(
            environment="development", database_url=database_url, data_dir=data_dir
        )
        self.engine = make_engine(database_url)
        with make_sessionmaker(self.engine)() as db:
            create_user(
                db,
                settings=self.settings,
                username="koordinator",
                password=PASSWORD,
                role=Role.coordinator,
            )
            db.commit()
        self.client = httpx.Client(base_url=base_url, timeout=600)
        self.server_pid: int | None = None
        self.cpu = 0.0
        self.coordinator = self._login("koordinator", PASSWORD)
        self.recipient = self._post(
            "/api/v1/recipients", {"name": "Kari Nordmann", "case_no": "BENCH-1"}
        )["id"]
        self.contact = self._post(
            "/api/v1/contacts",
            {
                "username": "kontakt",
                "password": PASSWORD,
                "name": "Ola Kontakt",
                "employee_no": "B1",
                "contract_type": "contractor",
                "politiattest_date": "2020-01-01",
            },
        )["id"]
        self.headers = self._login("kontakt", PASSWORD)
        self.mutation = 0

    def _login(self, username: str, password: str) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.coordinator)
        if response.status_code >= 300:
            raise SystemExit(f"{path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def decision(self, contact_ids: list[str]) -> str:
        today = today_in_oslo()
        return str(
            self._post(
                "/api/v1/decisions",
                {
                    "recipient_id": self.recipient,
                    "kind": "individual",
                    "hours": "400",
                    "per": "month",
                    "valid_from": f"{today.year - 21}-01-01",
                    "valid_to": f"{today.year + 1}-12-31",
                    "contact_ids": contact_ids,
                },
            )["id"]
        )

    def push(self, entries: list[dict[str, Any]], *, flagged: bool = False) -> float:
        mutations = []
        for data in entries:
            self.mutation += 1
            mutations.append({"mutation_id": self.mutation, "type": "entry.upsert", "data": data})
        began = time.perf_counter()
        response = self.client.post(
            "/api/v1/sync/push",
            json={"device_id": "bench-phone", "mutations": mutations},
            headers=self.headers,
        )
        elapsed = time.perf_counter() - began
        response.raise_for_status()
        results = response.json()["results"]
        statuses = {r["status"] for r in results}
        if statuses != {"applied"}:
            raise SystemExit(f"push not applied: {results[:3]}")
        # Entries come in overlapping pairs: the second of each pair must carry a flag.
        if flagged and not all(r["flags"] for r in results[1::2]):
            raise SystemExit("an overlapping entry was answered without its flag")
        return elapsed

    def latencies(
        self, decisions: dict[str, str], samples: int, first_day: date
    ) -> dict[str, dict[str, Any]]:
        """One-entry pushes to each decision in turn, interleaved: wall time of each, and
        the server's and PostgreSQL's CPU per push.

        Each round pushes once to every decision, in an order that alternates
        from round to round, so whatever else the machine does in those seconds
        falls on both sides alike. (Measured one side after the other, the
        ratio followed the load: 0.9x to 2.0x for the same code.)
        """
        assert self.server_pid is not None
        names = list(decisions)
        figures: dict[str, dict[str, Any]] = {
            name: {"times": [], "cpu": 0.0, "database_cpu": 0.0} for name in names
        }
        database_known = database_cpu_seconds(self.engine) is not None
        for n in range(samples):
            day = first_day + timedelta(days=n % 28)
            hour = 19 + n // 28
            for name in names if n % 2 == 0 else reversed(names):
                kind = 2 + names.index(name)
                data = _entry(
                    _uid(kind, n), decisions[name], day, f"{hour:02d}:00", f"{hour:02d}:45"
                )
                database_began = database_cpu_seconds(self.engine) if database_known else None
                cpu_began = cpu_seconds(self.server_pid)
                figures[name]["times"].append(self.push([data]))
                figures[name]["cpu"] += cpu_seconds(self.server_pid) - cpu_began
                if database_began is not None:
                    database_ended = database_cpu_seconds(self.engine)
                    assert database_ended is not None
                    figures[name]["database_cpu"] += database_ended - database_began
        for name in names:
            figures[name]["cpu"] /= samples
            figures[name]["database_cpu"] /= samples
        return figures

    def settle(self) -> None:
        """On PostgreSQL, what autovacuum does in its own time: vacuum and statistics.

        SQLite has no such background work and the server never runs ANALYZE
        there, so it is measured as it is.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")

    def seed(self, decision_id: str, count: int) -> None:
        """`count` entries on the decision by SEED_CONTACTS other contacts, via bulk SQL."""
        contacts = []
        for n in range(SEED_CONTACTS):
            contacts.append(
                self._post(
                    "/api/v1/contacts",
                    {
                        "username": f"seed{n}",
                        "password": PASSWORD,
                        "name": f"Seed Kontakt{n}",
                        "employee_no": f"S{n}",
                        "contract_type": "contractor",
                        "politiattest_date": "2020-01-01",
                    },
                )["id"]
            )
        with self.engine.begin() as conn:
            conn.execute(
                insert(DecisionContact),
                [{"decision_id": decision_id, "contact_id": c} for c in contacts],
            )
        today = today_in_oslo()
        first = date(today.year - 20, 1, 1)
        span = (today - timedelta(days=60) - first).days
        per_day = max(1, -(-count // (span * SEED_CONTACTS)))
        entries, index_rows, links = [], [], []
        sheets: dict[tuple[str, str], str] = {}
        n = 0
        for offset in range(span):
            day = first + timedelta(days=offset)
            for contact in contacts:
                for slot in range(per_day):
                    if n >= count:
                        break
                    entry_id = _uid(9, n)
                    start = f"{8 + slot:02d}:00"
                    end = f"{8 + slot:02d}:45"
                    entries.append(
                        {
                            "id": entry_id,
                            "contact_id": contact,
                            "decision_ids": [decision_id],
                            "date": day,
                            "start": start,
                            "end": end,
                            "minutes": 45,
                            "total_km": Decimal("12.5"),
                            "total_expenses": Decimal("45.00"),
                            "activities": ["tur"],
                            "note": None,
                            "trips": [{"km": "12.5", "from": "A", "to": "B", "purpose": ""}],
                            "expenses": [
                                {"amount": "45.00", "category": "kafé", "description": ""}
                            ],
                            "deleted": False,
                            "seq": 1,
                        }
                    )
                    index_rows.append(
                        {
                            "entry_id": entry_id,
                            "decision_id": decision_id,
                            "contact_id": contact,
                            "date": day,
                            "minutes": 45,
                        }
                    )
                    key = (contact, f"{day:%Y-%m}")
                    if key not in sheets:
                        sheets[key] = _uid(10, len(sheets))
                    links.append({"timesheet_id": sheets[key], "entry_id": entry_id})
                    n += 1
        sheet_rows = [
            {
                "id": sheet_id,
                "contact_id": contact,
                "decision_id": decision_id,
                "period": period,
                "status": "open",
                "content_hash": "seeded",
                "total_minutes": 0,
                "total_km": Decimal("0.0"),
                "total_expenses": Decimal("0.00"),
                "seq": 1,
            }
            for (contact, period), sheet_id in sheets.items()
        ]
        with self.engine.begin() as conn:
            for table, rows in (
                (EntryRow, entries),
                (EntryDecision, index_rows),
                (TimesheetRow, sheet_rows),
                (TimesheetEntry, links),
            ):
                for chunk in range(0, len(rows), 10_000):
                    conn.execute(insert(table), rows[chunk : chunk + 10_000])


def raw_baseline(engine: Any, rows: list[dict[str, Any]], contact_id: str) -> float:
    """Insert the same rows with the driver's own executemany, in one transaction.

    Same database, same engine settings (SQLite: WAL and synchronous=FULL), a
    table of the same columns without any of the bookkeeping.
    """
    values = [
        (
            r["id"],
            contact_id,
            json.dumps(r["decision_ids"]),
            r["date"],
            r["start"],
            r["end"],
            120,
            125,
            4500,
            json.dumps(r["activities"]),
            r["note"],
            json.dumps(r["trips"]),
            json.dumps(r["expenses"]),
        )
        for r in rows
    ]
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if sqlite:
            cursor.execute("BEGIN")
        cursor.execute(
            "CREATE TABLE bench_raw_entries (id TEXT PRIMARY KEY, contact_id TEXT, "
            "decision_ids TEXT, date TEXT, start TEXT, stop TEXT, minutes INTEGER, "
            "total_km INTEGER, total_expenses INTEGER, activities TEXT, note TEXT, "
            "trips TEXT, expenses TEXT)"
        )
        connection.commit()
        began = time.perf_counter()
        if sqlite:
            cursor.execute("BEGIN")
        cursor.executemany(
            f"INSERT INTO bench_raw_entries VALUES ({', '.join([mark] * 13)})", values
        )
        connection.commit()
        elapsed = time.perf_counter() - began
        cursor.close()
    finally:
        connection.close()
    return elapsed


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--earlier", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--overlapping", type=int, default=1000)
    parser.add_argument("--in-month", type=int, default=500, help="at most 504")
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: SQLite)")
    args = parser.parse_args()
    load_began = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade(url)
        with serving(url, folder) as (base_url, process):
            bench = Bench(url, folder, base_url)
            bench.server_pid = process.pid
            figures = run(bench, args)
            bench.client.close()
        figures["raw"] = raw_baseline(bench.engine, figures.pop("rows"), bench.contact)
        bench.engine.dispose()
    figures["load_began"] = load_began
    report(url.split(":", 1)[0].split("+", 1)[0], args, figures)
    return 0


def run(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    # 1. throughput: two sessions a day going back from last month, no overlaps.
    throughput_decision = bench.decision([bench.contact])
    last = today_in_oslo().replace(day=1) - timedelta(days=1)
    rows = [
        _entry(
            _uid(1, n),
            throughput_decision,
            last - timedelta(days=n // 2),
            "09:00" if n % 2 == 0 else "13:00",
            "11:00" if n % 2 == 0 else "15:00",
        )
        for n in range(args.entries)
    ]
    assert bench.server_pid is not None
    cpu_began = cpu_seconds(bench.server_pid)
    database_began = database_cpu_seconds(bench.engine)
    began = time.perf_counter()
    for start in range(0, len(rows), args.batch):
        bench.push(rows[start : start + args.batch])
    figures["push"] = time.perf_counter() - began
    figures["push_cpu"] = cpu_seconds(bench.server_pid) - cpu_began
    database_ended = database_cpu_seconds(bench.engine)
    if database_began is not None and database_ended is not None:
        figures["push_database_cpu"] = database_ended - database_began
    figures["rows"] = rows

    # 2. one push where every entry overlaps another (pairs at the same hour).
    if args.overlapping:
        overlap_decision = bench.decision([bench.contact])
        first = last.replace(day=1) - timedelta(days=400)
        pairs = [
            _entry(
                _uid(4, n),
                overlap_decision,
                first + timedelta(days=n // 16),
                f"{6 + (n % 16) // 2:02d}:00",
                f"{6 + (n % 16) // 2:02d}:45" if n % 2 == 0 else f"{6 + (n % 16) // 2:02d}:30",
            )
            for n in range(args.overlapping)
        ]
        cpu_began = cpu_seconds(bench.server_pid)
        figures["overlap"] = bench.push(pairs, flagged=True)
        figures["overlap_cpu"] = cpu_seconds(bench.server_pid) - cpu_began

    # 3. latency with no history and with a long history on the decision,
    # measured side by side once the history is in place.
    month = last.replace(day=1)
    fresh = bench.decision([bench.contact])
    loaded = bench.decision([bench.contact])
    seed_began = time.perf_counter()
    bench.seed(loaded, args.earlier)
    figures["seed"] = time.perf_counter() - seed_began
    # The contact's own month already holds `--in-month` entries on the loaded
    # decision (40-minute sessions before 18:00; the samples come after 19:00).
    filler = [
        _entry(
            _uid(5, n),
            loaded,
            month + timedelta(days=n % 28),
            f"{n // 28:02d}:00",
            f"{n // 28:02d}:40",
        )
        for n in range(args.in_month)
    ]
    for start in range(0, len(filler), args.batch):
        bench.push(filler[start : start + args.batch])
    # A server that has carried a history for years has had it vacuumed and
    # its statistics made; the bulk seed above is minutes old. Without this the
    # first pushes on PostgreSQL run while autovacuum reads the new rows.
    bench.settle()
    latency = bench.latencies({"cold": fresh, "warm": loaded}, args.samples, month)
    for name in ("cold", "warm"):
        figures[name] = latency[name]["times"]
        figures[f"{name}_cpu"] = latency[name]["cpu"]
        figures[f"{name}_database_cpu"] = latency[name]["database_cpu"]
    return figures


def report(engine_name: str, args: argparse.Namespace, figures: dict[str, Any]) -> None:
    push_seconds, raw_seconds = figures["push"], figures["raw"]
    print(f"engine: {engine_name} (over HTTP, timeliste serve --workers 1)")
    print(
        f"load average at the start: {' '.join(f'{x:.2f}' for x in figures['load_began'])}, "
        f"at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"push: {args.entries} entries in batches of {args.batch}: {push_seconds:.2f} s, "
        f"{args.entries / push_seconds:.0f} entries/s"
    )
    # The machine may be shared: the server's own CPU time shows what the wall
    # clock cannot (entries per CPU second of the one server process).
    print(
        f"server CPU time for it: {figures['push_cpu']:.2f} s "
        f"({args.entries / figures['push_cpu']:.0f} entries per CPU second)"
    )
    if "push_database_cpu" in figures:
        both = figures["push_cpu"] + figures["push_database_cpu"]
        print(
            f"PostgreSQL's CPU time for it (the server's connections): "
            f"{figures['push_database_cpu']:.2f} s; server and database together "
            f"{args.entries / both:.0f} entries per CPU second"
        )
    print(
        f"raw executemany of the same rows (same database): {raw_seconds * 1000:.1f} ms; "
        f"ratio push/raw = {push_seconds / raw_seconds:.0f}x"
    )
    if "overlap" in figures:
        print(
            f"one push of {args.overlapping} mutations, every entry overlapping another: "
            f"{figures['overlap']:.2f} s (server CPU {figures['overlap_cpu']:.2f} s)"
        )
    cold, warm = figures["cold"], figures["warm"]
    database = engine_name == "postgresql" and figures["cold_database_cpu"] > 0

    def cpu(name: str) -> str:
        text = f"server CPU {figures[f'{name}_cpu'] * 1000:.1f} ms per push"
        if database:
            text += f", PostgreSQL CPU {figures[f'{name}_database_cpu'] * 1000:.1f} ms"
        return text

    settled = " (after VACUUM ANALYZE)" if engine_name == "postgresql" else ""
    print(f"one-entry pushes, {args.samples} to each decision, interleaved{settled}:")
    print(f"  decision with 0 earlier entries: {_ms(cold)}, {cpu('cold')}")
    print(
        f"  decision with {args.earlier} earlier entries and "
        f"{args.in_month} of the contact's in the month "
        f"(seeded in {figures['seed']:.1f} s): {_ms(warm)}, {cpu('warm')}"
    )
    both_cold = figures["cold_cpu"] + figures["cold_database_cpu"]
    both_warm = figures["warm_cpu"] + figures["warm_database_cpu"]
    print(
        f"slowdown with history: {statistics.median(warm) / statistics.median(cold):.2f}x "
        f"(median over median); CPU per push {figures['warm_cpu'] / figures['cold_cpu']:.2f}x"
        + (f" (server and database together {both_warm / both_cold:.2f}x)" if database else "")
    )


if __name__ == "__main__":
    sys.exit(main())
