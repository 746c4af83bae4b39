"""Time to save one entry in a device store that already holds N entries.

    .venv/bin/python bench/bench_store.py [--sizes 100 1000 10000] [--repeat 15]

For each N it times, in the same run and on the same disk:
  - DeviceStore.save_entry (validation, lock check, entry + outbox mutation in
    one atomic write with fsync: what the app does),
  - plain TinyDB with AtomicJSONStorage (one upsert: the storage alone),
  - plain TinyDB with its default JSONStorage (one upsert, rewrite in place),
and prints the medians and the ratio to the default storage.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from models.schemas import EntryData
from sync.storage import AtomicJSONStorage
from sync.store import DeviceStore

TODAY = date(2026, 12, 31)
DECISION = {
    "id": "d1",
    "recipient_id": "r1",
    "contact_ids": ["c1"],
    "kind": "individual",
    "hours": "10000",
    "per": "year",
    "valid_from": "2026-01-01",
    "valid_to": "2026-12-31",
}


def entry_json(number: int) -> dict[str, Any]:
    day = date(2026, 1, 1) + timedelta(days=number % 365)
    return {
        "id": str(uuid.UUID(int=number + 1)),
        "decision_ids": ["d1"],
        "date": day.isoformat(),
        "start": "10:00",
        "end": "12:30",
        "activities": ["Tur i skogen", "Kafé"],
        "note": "Fin dag, gikk rundt vannet og tok en kaffe etterpå.",
        "trips": [{"km": "12.5", "from": "Hjemme", "to": "Sognsvann", "purpose": "Tur"}],
        "expenses": [{"amount": "89.00", "category": "Kafé", "description": "Kaffe og bolle"}],
    }


def median_ms(action: Callable[[int], None], repeat: int, first: int) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        action(first + i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def device_store(folder: Path, size: int, repeat: int) -> float:
    path = folder / f"device-{size}.json"
    store = DeviceStore(path)
    store.set_account(server_url="http://127.0.0.1:1", username="bench", token="t")
    store.apply_pull(
        {
            "cursor": 1,
            "contact_id": "c1",
            "decisions": [DECISION],
            "entries": [entry_json(n) for n in range(size)],
        }
    )

    def save(number: int) -> None:
        store.save_entry(EntryData.model_validate(entry_json(number)), today=TODAY)

    try:
        return median_ms(save, repeat, size)
    finally:
        store.close()


def plain_tinydb(folder: Path, size: int, repeat: int, storage: type[Any], name: str) -> float:
    path = folder / f"{name}-{size}.json"
    with TinyDB(path, storage=storage) as db:
        db.table("entries").insert_multiple(entry_json(n) for n in range(size))
    db = TinyDB(path, storage=storage)
    entries = db.table("entries")
    item = Query()

    def save(number: int) -> None:
        document = entry_json(number)
        entries.upsert(document, item.id == document["id"])

    try:
        return median_ms(save, repeat, size)
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print("save one entry, median ms (ratio to TinyDB's default JSONStorage)")
    print(f"{'entries':>8}  {'DeviceStore':>18}  {'TinyDB+Atomic':>18}  {'TinyDB+JSONStorage':>18}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for size in args.sizes:
            ours = device_store(folder, size, args.repeat)
            atomic = plain_tinydb(folder, size, args.repeat, AtomicJSONStorage, "atomic")
            default = plain_tinydb(folder, size, args.repeat, JSONStorage, "default")
            print(
                f"{size:>8}  {ours:>9.2f} ({ours / default:4.2f}×)  "
                f"{atomic:>9.2f} ({atomic / default:4.2f}×)  {default:>9.2f} (1.00×)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
