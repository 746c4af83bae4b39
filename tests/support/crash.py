"""Kill a process that is saving entries with SIGKILL, then check the store.

The writer is a forked child (so each round costs milliseconds, not a Python
start-up) that saves entries in a loop and, after each `save_entry` returns,
reports the entry's id and version through a pipe. The parent kills it at a
random moment — often in the middle of a journal append or a compaction — and
reopens the store: it must open, and every save that had returned must be
there, with its mutation still in the outbox.

Used by tests/sync/test_crash.py (≥ 50 rounds) and bench/crash_store.py
(≥ 1 000 rounds).
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from models.schemas import EntryData
from sync.storage import FileBackend, Recovery
from sync.store import DeviceStore, EntryState

TODAY = date(2026, 3, 31)


def _entry(rng: random.Random, entry_id: str, version: int) -> EntryData:
    start_hour = rng.randrange(0, 22)
    return EntryData.model_validate(
        {
            "id": entry_id,
            "decision_ids": ["d1"],
            "date": (date(2026, 3, 1) + timedelta(days=rng.randrange(31))).isoformat(),
            "start": f"{start_hour:02d}:00",
            "end": f"{start_hour + 1:02d}:30",
            "activities": ["tur"],
            # The version is in the note so the check can tell edits apart; the
            # padding varies so that edits shrink the file as well as grow it.
            "note": f"v{version} " + "·" * rng.randrange(0, 1500),
        }
    )


# The journal is compacted every few dozen saves (not only once it outgrows
# the snapshot, as on a phone), so that many kills land during a compaction.
COMPACT_BYTES = 16 * 1024


def _writer(path: Path, report: int, seed: int) -> None:  # pragma: no cover - runs in the child
    rng = random.Random(seed)
    store = DeviceStore(FileBackend(path, compact_bytes=COMPACT_BYTES))
    known = [record.id for record in store.entries()]
    os.write(report, b"ready\n")
    # Versions grow across rounds too, so an edit is always newer than what it replaces.
    version = time.time_ns() // 1000
    while True:
        version += 1
        if known and rng.random() < 0.3:
            entry_id = rng.choice(known)  # an edit of an entry saved before
        else:
            entry_id = str(uuid.uuid4())
            known.append(entry_id)
        store.save_entry(_entry(rng, entry_id, version), today=TODAY)
        os.write(report, f"{entry_id} v{version}\n".encode())


@dataclass
class CrashRound:
    """What one kill showed."""

    confirmed: int  # saves that had returned before the kill
    leftovers: int  # temporary files of a compaction the kill cut short (removed on reopen)
    torn: bool  # the kill cut a journal line short (dropped on reopen)
    stale_journal: bool  # the kill fell between a compaction's two renames


def seed_store(path: Path) -> None:
    """A store with one decision (d1, 200 h a month in 2026) for contact c1."""
    with DeviceStore(path) as store:
        store.set_account(server_url="http://127.0.0.1:1", username="crash", token="t")
        store.apply_pull(
            {
                "cursor": 1,
                "contact_id": "c1",
                "recipients": [],
                "entries": [],
                "timesheets": [],
                "flags": [],
                "usage": [],
                "deleted": {},
                "decisions": [
                    {
                        "id": "d1",
                        "case_no": "2026/1",
                        "recipient_id": "r1",
                        "contact_ids": ["c1"],
                        "kind": "individual",
                        "hours": "200",
                        "per": "month",
                        "valid_from": "2026-01-01",
                        "valid_to": "2026-12-31",
                    }
                ],
            }
        )


def crash_once(
    path: Path, expected: dict[str, str], rng: random.Random, max_delay: float
) -> CrashRound:
    """Run the writer, SIGKILL it after a random delay, verify the store.

    `expected` maps entry id → the last version whose save returned; it is
    updated with this round's confirmations. Raises AssertionError when the
    store lost any.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            _writer(path, write_end, rng.randrange(2**31))
        finally:
            os._exit(0)
    os.close(write_end)
    buffer = b""
    try:
        # The random moment counts from when the writer has opened the store,
        # so the kills land among the saves rather than during start-up.
        ready_by = time.monotonic() + 30
        while b"ready\n" not in buffer and time.monotonic() < ready_by:
            ready, _, _ = select.select([read_end], [], [], 0.5)
            if ready:
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                buffer += chunk
        deadline = time.monotonic() + rng.uniform(0, max_delay)
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([read_end], [], [], remaining)
            if ready:
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                buffer += chunk
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        # Whatever the child wrote before it died is still in the pipe.
        while chunk := os.read(read_end, 65536):
            buffer += chunk
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(read_end)
    confirmed = 0
    for line in buffer.decode().splitlines():
        if line == "ready":
            continue
        entry_id, version = line.split()
        expected[entry_id] = version
        confirmed += 1
    recovery = verify(path, expected)
    return CrashRound(
        confirmed=confirmed,
        leftovers=recovery.temporaries,
        torn=recovery.torn_bytes > 0,
        stale_journal=recovery.stale_journal,
    )


def verify(path: Path, expected: dict[str, str]) -> Recovery:
    """The store opens; every confirmed save is there, shown and queued."""
    backend = FileBackend(path)
    with DeviceStore(backend) as store:
        shown = {local.id: local for local in store.entries()}
        queued: dict[str, str] = {}
        for mutation in store.outbox():
            queued[mutation.data["id"]] = mutation.data.get("note", "")
        lost = []
        for entry_id, version in expected.items():
            local = shown.get(entry_id)
            # A later save may have landed without its report (killed just after the
            # write), so the store may be newer than expected, never older.
            if (
                local is None
                or int((local.entry.note or "v0").split()[0][1:]) < int(version[1:])
                or local.state is not EntryState.pending
                or entry_id not in queued
            ):
                lost.append(entry_id)
        assert not lost, f"{len(lost)} confirmed saves lost or not queued"
    return backend.recovery
