"""A push gives everything it wrote one change sequence number, the one it took.

On PostgreSQL the push takes the number with its last statement, which also
stamps the rows written before it (server.services.batch._stamp_last); on
SQLite it takes the number first. Either way a pull from just before that
number must see every change of the push, and nothing of it may keep an older
number (a phone would never pull it) or get a later one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.tables import (
    ChangeSequence,
    DecisionDayUsage,
    DecisionRow,
    EntryRow,
    FlagRow,
    TimesheetRow,
    Tombstone,
)
from tests.factories import entry_payload, recent_day
from tests.server.conftest import World


def test_a_push_stamps_all_it_wrote_with_the_number_it_took(
    world: World, settings: Settings
) -> None:
    day = recent_day()
    earlier = day.replace(day=1) - timedelta(days=3)  # another month: a sheet of its own
    decisions = [world.decision_id]
    first = entry_payload(decision_ids=decisions, date=day.isoformat())
    second = entry_payload(decision_ids=decisions, date=day.isoformat(), start="11:00", end="13:00")
    alone = entry_payload(decision_ids=decisions, date=earlier.isoformat())
    results = world.push(("entry.upsert", first), ("entry.upsert", second), ("entry.upsert", alone))
    assert [r["status"] for r in results] == ["applied"] * 3
    cursor = world.pull()["cursor"]

    # 08:00–18:00 and 11:00–13:00 are 12 h on a vedtak of 10 h a month: overuse.
    # Deleting the other month's only entry drops its sheet: a tombstone.
    longer = {**first, "start": "08:00", "end": "18:00"}
    results = world.push(("entry.upsert", longer), ("entry.delete", {"id": alone["id"]}))
    assert [r["status"] for r in results] == ["applied"] * 2
    assert any(f["kind"] == "overuse" for f in results[0]["flags"])

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            number = db.scalar(select(ChangeSequence.value))
            assert number is not None
            assert number > cursor
            entries = {row.id: row.seq for row in db.scalars(select(EntryRow))}
            assert entries[first["id"]] == number
            assert entries[alone["id"]] == number
            assert entries[second["id"]] <= cursor  # untouched by the second push
            overuse = db.scalars(select(FlagRow).where(FlagRow.kind == "overuse")).one()
            assert overuse.seq == number
            sheet = db.scalars(
                select(TimesheetRow).where(TimesheetRow.period == f"{day:%Y-%m}")
            ).one()
            assert sheet.seq == number
            assert (
                db.scalars(
                    select(TimesheetRow).where(TimesheetRow.period == f"{earlier:%Y-%m}")
                ).all()
                == []
            )
            tombstones = db.scalars(select(Tombstone).where(Tombstone.kind == "timesheet")).all()
            assert [t.seq for t in tombstones] == [number]
            decision = db.get(DecisionRow, world.decision_id)
            assert decision is not None
            assert decision.usage_seq == number
            days = {row.date: row.seq for row in db.scalars(select(DecisionDayUsage))}
            assert days[day] == number
            assert days[earlier] == number
    finally:
        engine.dispose()

    page = world.pull(cursor)
    assert page["cursor"] == number
    assert [e["id"] for e in page["entries"]] == [first["id"]]
    assert page["deleted"]["entries"] == [alone["id"]]
    assert len(page["deleted"]["timesheets"]) == 1
    assert [t["period"] for t in page["timesheets"]] == [f"{day:%Y-%m}"]
    assert any(f["id"] == overuse.id for f in page["flags"])
    # Nothing of the push is left for a later number to bring.
    assert world.pull(number)["entries"] == []
