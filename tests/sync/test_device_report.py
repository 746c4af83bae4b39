"""The phone tells the server how many changes wait and since when (docs/rules.md §11
"Devices"), so the office sees a phone that holds changes too long."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.client import queued_at
from tests.sync.conftest import World
from tests.sync.test_client import entry_for, signed_in


def _attention(world: World) -> dict[str, dict[str, Any]]:
    body = world.office("GET", "/api/v1/devices/attention")
    return {item["contact_id"]: item for item in body["data"]}


def test_a_change_held_on_the_phone_for_six_days_shows_in_the_office_until_it_is_sent(
    world: World, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        six_days_ago = datetime.now(UTC) - timedelta(days=6)
        # The store takes a change's id from the clock: saved "six days ago".
        real = time.time_ns
        monkeypatch.setattr(time, "time_ns", lambda: int(six_days_ago.timestamp() * 1e9))
        store.save_entry(entry_for(world, days_ago=7))
        monkeypatch.setattr(time, "time_ns", real)
        store.save_entry(entry_for(world, days_ago=1, start="14:00", end="15:00"))
        assert store.pending_count() == 2

        await client.pull()  # a pull alone: the changes still wait, and the server hears so
        item = _attention(world)[world.contact_id]
        assert item["reasons"] == ["waiting"]
        assert item["unsent"] == 2
        reported = datetime.fromisoformat(item["oldest_unsent_at"])
        assert abs(reported - six_days_ago) < timedelta(seconds=1)

        await client.sync()  # pushed, then a pull that reports an empty outbox
        assert store.pending_count() == 0
        assert world.contact_id not in _attention(world)
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_queued_at_reads_the_clock_in_a_mutation_id() -> None:
    moment = datetime(2026, 12, 5, 10, 30, 15, 250_000, tzinfo=UTC)
    assert queued_at(int(moment.timestamp() * 1000)) == moment
    assert queued_at(42) is None  # an old store's plain counter
