"""Throughput and latency of `POST /api/v1/sync/push`.

    .venv/bin/python bench/bench_push.py [--entries 10000] [--batch 500]
        [--earlier 100000] [--samples 30] [--database-url URL]

Runs the real app in-process (FastAPI TestClient, so JSON, auth, validation,
locks, timesheets, flags and audit are all included) against a fresh SQLite
database in a temporary folder, or an EMPTY PostgreSQL database given with
--database-url. In one run it measures:

1. throughput: N entries pushed in batches of B mutations (entries/s);
2. baseline: the same N rows inserted with raw sqlite3 `executemany` into a
   table of the same columns, and the ratio push time / raw time — what all
   the bookkeeping costs over storing rows;
3. latency of a one-entry push on a decision with no earlier entries, and on
   a decision with `--earlier` earlier entries (seeded with bulk SQL, spread
   over 20 years and 20 contacts as a long-running vedtak would be). Work per
   push depends on the quota period and the timesheet, not on the decision's
   whole history, so the two should be close.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import insert

from models.clock import today_in_oslo
from models.schemas import Role
from server.app import create_app
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

PASSWORD = "bench-passord-123"
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


class Bench:
    def __init__(self, database_url: str, data_dir: Path) -> None:
        upgrade(database_url)
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
        self.client = TestClient(create_app(self.settings))
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

    def push(self, entries: list[dict[str, Any]]) -> float:
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
        statuses = {r["status"] for r in response.json()["results"]}
        if statuses != {"applied"}:
            raise SystemExit(f"push not applied: {response.json()['results'][:3]}")
        return elapsed

    def latency(self, decision_id: str, samples: int, first_day: date, kind: int) -> list[float]:
        times = []
        for n in range(samples):
            day = first_day + timedelta(days=n % 28)
            hour = 19 + n // 28
            data = _entry(_uid(kind, n), decision_id, day, f"{hour:02d}:00", f"{hour:02d}:45")
            times.append(self.push([data]))
        return times

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


def raw_baseline(rows: list[dict[str, Any]], contact_id: str, folder: Path) -> float:
    """Insert the same rows with raw sqlite3 executemany, in one transaction."""
    connection = sqlite3.connect(folder / "raw.sqlite3")
    connection.execute(
        "CREATE TABLE entries (id TEXT PRIMARY KEY, contact_id TEXT, decision_ids TEXT, "
        "date TEXT, start TEXT, end TEXT, minutes INTEGER, total_km INTEGER, "
        "total_expenses INTEGER, activities TEXT, note TEXT, trips TEXT, expenses TEXT)"
    )
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
    began = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values
        )
    elapsed = time.perf_counter() - began
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
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: SQLite)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        bench = Bench(url, folder)
        engine_name = url.split(":", 1)[0]

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
        began = time.perf_counter()
        cpu_began = time.process_time()
        for start in range(0, len(rows), args.batch):
            bench.push(rows[start : start + args.batch])
        push_seconds = time.perf_counter() - began
        push_cpu = time.process_time() - cpu_began

        # 2. the raw baseline, same rows, same run.
        raw_seconds = raw_baseline(rows, bench.contact, folder)

        # 3. latency with no history, then with a long history on the decision.
        month = (today_in_oslo().replace(day=1) - timedelta(days=1)).replace(day=1)
        fresh = bench.decision([bench.contact])
        cold = bench.latency(fresh, args.samples, month, kind=2)
        loaded = bench.decision([bench.contact])
        seed_began = time.perf_counter()
        bench.seed(loaded, args.earlier)
        seed_seconds = time.perf_counter() - seed_began
        warm = bench.latency(loaded, args.samples, month, kind=3)

    rate = args.entries / push_seconds
    print(f"engine: {engine_name}")
    print(
        f"push: {args.entries} entries in batches of {args.batch}: {push_seconds:.2f} s, "
        f"{rate:.0f} entries/s"
    )
    # Client and app share this process, so its CPU time covers both; on a busy
    # machine it shows what the wall clock cannot.
    print(f"push CPU time: {push_cpu:.2f} s ({args.entries / push_cpu:.0f} entries per CPU second)")
    print(
        f"raw sqlite3 executemany of the same rows: {raw_seconds * 1000:.1f} ms; "
        f"ratio push/raw = {push_seconds / raw_seconds:.0f}x"
    )
    print(f"one-entry push, decision with 0 earlier entries: {_ms(cold)}")
    print(
        f"one-entry push, decision with {args.earlier} earlier entries "
        f"(seeded in {seed_seconds:.1f} s): {_ms(warm)}"
    )
    print(
        f"slowdown with history: {statistics.median(warm) / statistics.median(cold):.2f}x "
        "(median over median)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
