"""A municipality with a pay cut-off: the phone lists and hashes sheets as the server does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.payperiod import pay_period_of
from models.schemas import SignatureCreate
from sync.client import SyncState
from tests.support.live_server import LiveServer
from tests.sync.conftest import World, make_world
from tests.sync.test_client import entry_for, signed_in

CUTOFF = 20


@pytest.fixture(scope="module")
def cutoff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("cutoff-server")
    with LiveServer(folder, env={"TIMELISTE_PAY_CUTOFF_DAY": str(CUTOFF)}) as server:
        server.add_user("koordinator", "coordinator")
        yield server


def test_signing_on_the_phone_after_the_cutoff_day_is_accepted(
    cutoff_server: LiveServer, tmp_path: Path
) -> None:
    world: World = make_world(cutoff_server, cutoff_server.login("koordinator"))
    # The 25th of last month: after the cut-off, so in this month's pay period.
    day = (world.today.replace(day=1) - timedelta(days=1)).replace(day=25)
    period = pay_period_of(day, CUTOFF)
    assert period != f"{day:%Y-%m}"

    async def scenario() -> None:
        client = await signed_in(world, tmp_path / "store.json")
        store = client.store
        entry = entry_for(world, days_ago=(world.today - day).days, start="10:00", end="11:30")
        store.save_entry(entry)
        assert (await client.sync()).state is SyncState.synced
        assert store.pay_cutoff_day() == CUTOFF
        assert [e.id for e in store.timesheet_entries(world.decision_id, period)] == [entry.id]
        signature = SignatureCreate(
            decision_id=world.decision_id,
            period=period,
            content_hash=store.content_hash(world.decision_id, period),
            signer_name="Kari Nordmann",
            signer_role="recipient",
            strokes=[[{"x": 0, "y": 0}, {"x": 5, "y": 5}]],
            signed_at=datetime.now(UTC),
        )
        store.sign_timesheet(signature)
        assert store.is_locked(entry)
        status = await client.sync()
        assert status.state is SyncState.synced, status
        [sheet] = [t for t in store.timesheets() if t.period == period]
        assert sheet.status == "signed"
        await client.aclose()
        store.close()

    asyncio.run(scenario())
