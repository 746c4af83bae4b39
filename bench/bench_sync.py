"""Time to sync a month's backlog: 100 entries saved offline, then one sync.

    .venv/bin/python bench/bench_sync.py [--entries 100] [--rounds 5]

Starts the real server on loopback (its own SQLite database), makes a fresh
contact per round, saves the backlog in the device store while offline, and
times `SyncClient.sync()` (push in batches of 50, then pull). Beside it, the
raw baseline: the same 100 mutations pushed by plain httpx in one request
and one pull, with no store at all. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from models.schemas import EntryData
from sync.client import SyncClient, SyncState, login
from sync.store import DeviceStore
from tests.support.live_server import LiveServer
from tests.sync.conftest import World, make_world


def backlog(world: World, count: int) -> list[EntryData]:
    """`count` sessions over the last month, two a day at most, none overlapping."""
    entries = []
    for number in range(count):
        day = world.today - timedelta(days=1 + number // 4)
        hour = 8 + (number % 4) * 3
        entries.append(
            EntryData.model_validate(
                {
                    "id": str(uuid.uuid4()),
                    "decision_ids": [world.decision_id],
                    "date": day.isoformat(),
                    "start": f"{hour:02d}:00",
                    "end": f"{hour + 2:02d}:30",
                    "activities": ["Tur", "Kafé"],
                    "note": "Gikk tur rundt vannet.",
                    "trips": [{"km": "12.5", "from": "Hjemme", "to": "Sognsvann"}],
                    "expenses": [{"amount": "89.00", "category": "Kafé"}],
                }
            )
        )
    return entries


async def device_sync(world: World, folder: Path, count: int) -> float:
    session = await login(world.server.base_url, world.username, world.password)
    store = DeviceStore(folder / f"{world.username}.json")
    store.set_account(
        server_url=world.server.base_url,
        username=world.username,
        token=session.token,
        contact_id=session.contact_id,
    )
    async with SyncClient(store, world.server.base_url, session.token) as client:
        await client.sync()  # the decisions, as a phone has them before it goes offline
        for entry in backlog(world, count):
            store.save_entry(entry)
        started = time.perf_counter()
        status = await client.sync()
        elapsed = time.perf_counter() - started
    assert status.state is SyncState.synced, status
    assert store.pending_count() == 0
    store.close()
    return elapsed


async def raw_sync(world: World, count: int) -> float:
    session = await login(world.server.base_url, world.username, world.password)
    mutations: list[dict[str, Any]] = [
        {
            "mutation_id": n + 1,
            "type": "entry.upsert",
            "data": e.model_dump(mode="json", by_alias=True),
        }
        for n, e in enumerate(backlog(world, count))
    ]
    headers = {"Authorization": f"Bearer {session.token}"}
    async with httpx.AsyncClient(
        base_url=world.server.base_url, headers=headers, timeout=60
    ) as http:
        await http.get("/api/v1/sync/pull", params={"cursor": 0})
        started = time.perf_counter()
        pushed = await http.post(
            "/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": mutations}
        )
        await http.get("/api/v1/sync/pull", params={"cursor": 0})
        elapsed = time.perf_counter() - started
    assert all(r["status"] == "applied" for r in pushed.json()["results"])
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ours, raw = [], []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with LiveServer(folder / "server") as server:
            server.add_user("koord", "coordinator")
            coordinator = server.login("koord")
            for _ in range(args.rounds):
                ours.append(
                    asyncio.run(device_sync(make_world(server, coordinator), folder, args.entries))
                )
                raw.append(asyncio.run(raw_sync(make_world(server, coordinator), args.entries)))
    mine, base = statistics.median(ours), statistics.median(raw)
    print(f"sync a backlog of {args.entries} entries (median of {args.rounds}, SQLite server):")
    print(f"  SyncClient.sync() from the device store: {mine * 1000:8.1f} ms")
    print(f"  raw httpx push + pull, no store:         {base * 1000:8.1f} ms")
    print(f"  ratio: {mine / base:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
