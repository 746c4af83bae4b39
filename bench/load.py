"""Many phones at once: push a month each and pull, against `timeliste serve --workers 4`.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://…/EMPTY_DB
        [--devices 200] [--per-day 1] [--batch 50] [--workers 4] [--spread 0] [--signed-in]

Starts the real server on 127.0.0.1 (several worker processes on one
PostgreSQL database), makes `--devices` contacts (two per individual vedtak,
one in the morning and one in the afternoon, so the vedtak's quota is shared
and some months go over it), then lets every device, all at the same time,
sign in, push last month's sessions in the phone's batch size (sync.client
pushes 50 at a time) and pull everything (`--spread S`: the devices start
one after another over S seconds instead). Like the phone, a device sends a
request again after a busy answer (429/503, after Retry-After) or a dropped
connection; the run counts both. `--signed-in`: every device signs in
first, all at once, and the measured phase is only the pushes and pulls (a
phone keeps its token for 12 hours, so most syncs of a day do not sign in);
the sign-ins' time and server CPU are printed on their own. It prints
throughput and the p50/p95/p99 latency of sign-ins, pushes and pulls (a
resent request counts from its first sending), and then checks the database:

- every pushed entry is stored exactly once, live, with its index rows;
- the kept day usage equals the entries' minutes, and each vedtak's usage
  per quota period is what models.quota computes from its entries;
- the open overuse flags are exactly what models.flags finds.

It uses only 127.0.0.1 and stops the server when done (also on error).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_push import cpu_seconds, serving
from sqlalchemy import func, select

from models.clock import today_in_oslo
from models.flags import overuse
from models.quota import quota_periods, usage_by_period
from models.schemas import (
    ContactCreate,
    DecisionCreate,
    DecisionKind,
    FlagKind,
    FlagStatus,
    RecipientCreate,
    Role,
)
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.services import office
from server.services.auth import create_user
from server.services.common import Actor
from server.services.convert import contact_ids_of, decision_model, stored_entries
from server.tables import DecisionDayUsage, DecisionRow, EntryDecision, EntryRow, FlagRow

PASSWORD = "Fjellvann-Sykkel-7391"


def _uid(device: int, n: int) -> str:
    return str(uuid.UUID(int=(7 << 100) | (device << 32) | n))


def _month() -> tuple[date, date]:
    last = today_in_oslo().replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def setup(url: str, folder: Path, devices: int) -> list[dict[str, Any]]:
    """Contacts, recipients and vedtak, made in-process (cheap password hashes).

    The hashes carry their own cost, so the server verifies them quickly too.
    """
    settings = Settings(
        environment="development",
        database_url=url,
        data_dir=folder,
        argon2_time_cost=1,
        argon2_memory_cost=8,
        argon2_parallelism=1,
    )
    engine = make_engine(url)
    first, last = _month()
    result: list[dict[str, Any]] = []
    try:
        with make_sessionmaker(engine)() as db:
            user = create_user(
                db,
                settings=settings,
                username="koordinator",
                password=PASSWORD,
                role=Role.coordinator,
            )
            db.commit()
            actor = Actor(user_id=user.id, role=Role.coordinator)
            for pair in range(0, devices, 2):
                recipient = office.create_recipient(
                    db,
                    actor=actor,
                    data=RecipientCreate(name=f"Mottaker {pair}", case_no=f"L{pair}"),
                )
                contacts = []
                for n in range(pair, min(pair + 2, devices)):
                    contacts.append(
                        office.create_contact(
                            db,
                            settings=settings,
                            actor=actor,
                            data=ContactCreate(
                                username=f"last{n}",
                                password=PASSWORD,
                                name=f"Kontakt {n}",
                                employee_no=f"L{n}",
                                contract_type="contractor",
                                politiattest_date=date(2024, 1, 1),
                            ),
                        ).id
                    )
                # Every third pair shares less quota than two contacts use: overuse.
                hours = "30" if pair % 6 == 0 else "200"
                decision = office.create_decision(
                    db,
                    actor=actor,
                    data=DecisionCreate(
                        recipient_id=recipient.id,
                        kind=DecisionKind.individual,
                        hours=hours,
                        per="month",
                        valid_from=first - timedelta(days=365),
                        valid_to=last + timedelta(days=365),
                        contact_ids=contacts,
                    ),
                )
                for slot, _ in enumerate(contacts):
                    result.append(
                        {"device": pair + slot, "decision": decision.id, "afternoon": slot == 1}
                    )
    finally:
        engine.dispose()
    return result


def _entries(device: dict[str, Any], per_day: int) -> list[dict[str, Any]]:
    first, last = _month()
    base = 13 if device["afternoon"] else 7
    entries = []
    day = first
    n = 0
    while day <= last:
        for slot in range(per_day):
            hour = base + slot * 2
            entries.append(
                {
                    "id": _uid(device["device"], n),
                    "decision_ids": [device["decision"]],
                    "date": day.isoformat(),
                    "start": f"{hour:02d}:00",
                    "end": f"{hour + 1:02d}:30",
                    "activities": ["tur"],
                    "trips": [{"km": "7.5", "from": "A", "to": "B", "purpose": "aktivitet"}],
                    "expenses": [],
                }
            )
            n += 1
        day += timedelta(days=1)
    return entries


RETRIES = 20


async def _send(
    client: httpx.AsyncClient, method: str, path: str, trouble: Counter[str], **kwargs: Any
) -> httpx.Response:
    """One request as the phone sends it (sync.client): a busy answer or a dropped
    connection is tried again after a pause; pushes are idempotent, so a resend
    of an applied push is answered `duplicate`. What happened is counted."""
    for attempt in range(RETRIES):
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            trouble[type(error).__name__] += 1
            if attempt == RETRIES - 1:
                raise
            await asyncio.sleep(1)
            continue
        if response.status_code not in (429, 503) or attempt == RETRIES - 1:
            return response
        trouble[str(response.status_code)] += 1
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError("unreachable")


async def sign_in(
    client: httpx.AsyncClient,
    device: dict[str, Any],
    signins: list[float],
    trouble: Counter[str],
) -> dict[str, str]:
    # Sign-ins at once are more than the server hashes at once: it answers 503
    # (or 429) with Retry-After, and a phone waits and tries again.
    began = time.perf_counter()
    response = await _send(
        client,
        "POST",
        "/api/v1/auth/login",
        trouble,
        json={"username": f"last{device['device']}", "password": PASSWORD},
    )
    signins.append(time.perf_counter() - began)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def sync_run(
    client: httpx.AsyncClient,
    device: dict[str, Any],
    headers: dict[str, str],
    per_day: int,
    batch: int,
    pushes: list[float],
    pulls: list[float],
    trouble: Counter[str],
) -> int:
    entries = _entries(device, per_day)
    mutation_id = 0
    for start in range(0, len(entries), batch):
        mutations = []
        for data in entries[start : start + batch]:
            mutation_id += 1
            mutations.append({"mutation_id": mutation_id, "type": "entry.upsert", "data": data})
        began = time.perf_counter()
        response = await _send(
            client,
            "POST",
            "/api/v1/sync/push",
            trouble,
            json={"device_id": f"telefon-{device['device']}", "mutations": mutations},
            headers=headers,
        )
        pushes.append(time.perf_counter() - began)
        response.raise_for_status()
        statuses = {r["status"] for r in response.json()["results"]}
        # `duplicate`: a resend after a dropped connection of a push that was applied.
        if not statuses <= {"applied", "duplicate"}:
            raise SystemExit(f"device {device['device']}: {response.json()['results'][:2]}")
    cursor = 0
    while True:
        began = time.perf_counter()
        response = await _send(
            client, "GET", "/api/v1/sync/pull", trouble, params={"cursor": cursor}, headers=headers
        )
        pulls.append(time.perf_counter() - began)
        response.raise_for_status()
        page = response.json()
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return len(entries)


def server_cpu_seconds(pid: int) -> float:
    """CPU time of the server process and its live workers (Linux /proc)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += cpu_seconds(current)
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending += [int(child) for child in children]
    return total


class Run:
    """What a run measured (latencies in seconds, in the order they ended)."""

    def __init__(self) -> None:
        self.signins: list[float] = []
        self.pushes: list[float] = []
        self.pulls: list[float] = []
        self.trouble: Counter[str] = Counter()
        # `--signed-in`: what the sign-ins before the measured phase met.
        self.signin_trouble: Counter[str] = Counter()
        self.total = 0
        self.elapsed = 0.0
        self.signin_elapsed = 0.0
        self.signin_cpu: float | None = None
        self.sync_cpu: float | None = None


async def run_devices(
    base_url: str,
    server_pid: int,
    devices: list[dict[str, Any]],
    per_day: int,
    batch: int,
    spread: float,
    signed_in: bool,
) -> Run:
    """Every device signs in, pushes and pulls (`signed_in`: all sign in first, and
    only the pushes and pulls after that are the measured phase)."""
    run = Run()
    limits = httpx.Limits(max_connections=len(devices), max_keepalive_connections=len(devices))
    # Device n starts n/N of `spread` seconds in (0: all at the same moment).
    delays = [spread * n / len(devices) for n in range(len(devices))]

    async def whole(client: httpx.AsyncClient, device: dict[str, Any], delay: float) -> int:
        await asyncio.sleep(delay)
        headers = await sign_in(client, device, run.signins, run.trouble)
        return await sync_run(
            client, device, headers, per_day, batch, run.pushes, run.pulls, run.trouble
        )

    async def later(
        client: httpx.AsyncClient, device: dict[str, Any], headers: dict[str, str], delay: float
    ) -> int:
        await asyncio.sleep(delay)
        return await sync_run(
            client, device, headers, per_day, batch, run.pushes, run.pulls, run.trouble
        )

    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
        if signed_in:
            cpu_began = server_cpu_seconds(server_pid)
            began = time.perf_counter()
            tokens = await asyncio.gather(
                *(sign_in(client, d, run.signins, run.signin_trouble) for d in devices)
            )
            run.signin_elapsed = time.perf_counter() - began
            cpu_signed = server_cpu_seconds(server_pid)
            run.signin_cpu = cpu_signed - cpu_began
            began = time.perf_counter()
            counts = await asyncio.gather(
                *(
                    later(client, d, headers, delay)
                    for d, headers, delay in zip(devices, tokens, delays, strict=True)
                )
            )
            run.elapsed = time.perf_counter() - began
            run.sync_cpu = server_cpu_seconds(server_pid) - cpu_signed
        else:
            began = time.perf_counter()
            counts = await asyncio.gather(
                *(whole(client, d, delay) for d, delay in zip(devices, delays, strict=True))
            )
            run.elapsed = time.perf_counter() - began
    run.total = sum(counts)
    return run


def check(url: str, devices: list[dict[str, Any]], per_day: int) -> list[str]:
    """What the database holds against what was pushed and what models/ computes."""
    problems: list[str] = []
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            expected = {e["id"] for d in devices for e in _entries(d, per_day)}
            stored = Counter(db.scalars(select(EntryRow.id).where(EntryRow.deleted.is_(False))))
            missing = expected - set(stored)
            extra = set(stored) - expected
            doubled = [i for i, n in stored.items() if n > 1]
            index = Counter(db.scalars(select(EntryDecision.entry_id)))
            if missing:
                problems.append(f"{len(missing)} pushed entries are missing")
            if extra:
                problems.append(f"{len(extra)} entries nobody pushed")
            if doubled or any(n != 1 for n in index.values()) or set(index) != set(stored):
                problems.append("an entry is stored or indexed more than once, or not at all")
            kept: dict[tuple[str, date], int] = {
                (r.decision_id, r.date): r.minutes
                for r in db.scalars(select(DecisionDayUsage))
                if r.minutes
            }
            summed = {
                (decision_id, day): int(minutes)
                for decision_id, day, minutes in db.execute(
                    select(
                        EntryDecision.decision_id,
                        EntryDecision.date,
                        func.sum(EntryDecision.minutes),
                    ).group_by(EntryDecision.decision_id, EntryDecision.date)
                )
            }
            if kept != summed:
                problems.append("kept day usage differs from the entries' minutes")
            rows = list(db.scalars(select(DecisionRow)))
            contacts = contact_ids_of(db, [r.id for r in rows])
            open_overuse = {
                f.scope: (tuple(f.entry_ids), f.detail)
                for f in db.scalars(
                    select(FlagRow).where(
                        FlagRow.status == FlagStatus.open.value,
                        FlagRow.kind == FlagKind.overuse.value,
                    )
                )
            }
            wanted_overuse = {}
            for row in rows:
                terms = decision_model(row, contacts.get(row.id, []))
                entries = stored_entries(
                    db,
                    EntryDecision.decision_id == row.id,
                    join=(EntryDecision, EntryDecision.entry_id == EntryRow.id),
                )
                by_models = {
                    u.period.key: u.used_minutes for u in usage_by_period(row.id, terms, entries)
                }
                answered = {
                    p["key"]: p["used_minutes"]
                    for p in office.usage_of(db, row, contacts.get(row.id, [])).model_dump(
                        mode="json"
                    )["periods"]
                }
                if by_models != answered:
                    problems.append(f"usage of a vedtak differs from models.quota ({row.id})")
                for period in quota_periods(terms):
                    found = overuse(row.id, period, entries)
                    if found:
                        wanted_overuse[found.scope] = (found.entry_ids, found.detail)
            if open_overuse != wanted_overuse:
                problems.append(
                    f"open overuse flags differ: {len(open_overuse)} open, "
                    f"{len(wanted_overuse)} by models.flags"
                )
            print(
                f"checked: {len(stored)} entries, {len(kept)} kept days, {len(rows)} vedtak, "
                f"{len(open_overuse)} open overuse flags"
            )
    finally:
        engine.dispose()
    return problems


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {at(0.95):.0f} ms, "
        f"p99 {at(0.99):.0f} ms (n={len(ordered)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL database")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--per-day", type=int, default=1, help="sessions per day and device")
    parser.add_argument("--batch", type=int, default=50, help="mutations per push (the phone: 50)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds over which the devices start (default 0: all at once)",
    )
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="every device signs in first (all at once), and the measured phase is their "
        "pushes and pulls: phones that kept their token (it lasts 12 hours)",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("load.py runs on PostgreSQL (several workers share the database)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        upgrade(args.database_url)
        began = time.perf_counter()
        devices = setup(args.database_url, folder, args.devices)
        print(f"set up {len(devices)} devices in {time.perf_counter() - began:.1f} s")
        # Every simulated phone signs in from 127.0.0.1: the per-address limit
        # on usernames (meant for one office behind one address) is lifted.
        os.environ["TIMELISTE_LOGIN_ADDRESS_MAX_USERNAMES"] = str(10 * args.devices)
        print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        before = os.times()
        with serving(args.database_url, folder, workers=args.workers) as (base_url, server):
            run = asyncio.run(
                run_devices(
                    base_url,
                    server.pid,
                    devices,
                    args.per_day,
                    args.batch,
                    args.spread,
                    args.signed_in,
                )
            )
        after = os.times()
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # The server and its workers are waited for when it stops, so their
        # CPU time is in this process's children's (PostgreSQL's is not).
        server_cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        print(
            f"server CPU (every worker, start and stop included): {server_cpu:.1f} s, "
            f"{server_cpu / args.devices * 1000:.0f} ms per device"
        )
        if run.signin_cpu is not None and run.sync_cpu is not None:
            print(
                f"sign-ins first, all at once (not the measured phase): "
                f"{run.signin_elapsed:.1f} s, server CPU {run.signin_cpu:.1f} s "
                f"({run.signin_cpu / args.devices * 1000:.0f} ms per sign-in)"
            )
            print(
                f"server CPU in the measured phase (pushes and pulls): {run.sync_cpu:.1f} s "
                f"({run.sync_cpu / args.devices * 1000:.0f} ms per device)"
            )
        phase = "after signing in" if args.signed_in else "each signing in first"
        print(
            f"{args.devices} devices ({phase}, starting over {args.spread:.0f} s), "
            f"{run.total} entries in pushes of {args.batch}, "
            f"timeliste serve --workers {args.workers}: {run.elapsed:.1f} s, "
            f"{run.total / run.elapsed:.0f} entries/s"
        )
        print(f"sign-in latency: {_percentiles(run.signins)}")
        print(f"push latency: {_percentiles(run.pushes)}")
        print(f"pull latency: {_percentiles(run.pulls)}")
        for label, trouble in (
            ("sign-ins before the measured phase", run.signin_trouble),
            ("answered busy or dropped, then sent again", run.trouble),
        ):
            if label.startswith("answered") or run.signin_cpu is not None:
                listed = ", ".join(f"{kind} x{n}" for kind, n in sorted(trouble.items()))
                print(f"{label}: {listed or 'none'}")
        problems = check(args.database_url, devices, args.per_day)
    if problems:
        for problem in problems:
            print(f"WRONG: {problem}")
        return 1
    print("database: every entry exactly once; usage and open overuse flags as models/ computes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
