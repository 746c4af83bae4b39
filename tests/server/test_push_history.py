"""What a push reads must not grow with the history around it (issue 12).

A contact's open flags and a device's receipts pile up over the years; a push
of one entry used to load every open flag of its contact (to look for its
entries in their lists) and, on PostgreSQL without statistics, compare every
receipt of the device with every mutation id of the push.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from server.config import Settings
from server.db import lists_any, make_engine, make_sessionmaker, utcnow
from server.services.batch import receipts_query
from server.tables import DeviceMutation, FlagRow
from tests.factories import entry_payload, recent_day
from tests.server.conftest import World


@contextmanager
def loaded_flags() -> Iterator[list[FlagRow]]:
    """Every FlagRow the ORM builds from a row while the block runs."""
    seen: list[FlagRow] = []

    def on_load(target: FlagRow, _context: Any) -> None:
        seen.append(target)

    event.listen(FlagRow, "load", on_load)
    try:
        yield seen
    finally:
        event.remove(FlagRow, "load", on_load)


def _overlapping_pairs(world: World, count: int) -> list[dict[str, Any]]:
    """`count` pairs of overlapping entries on days of their own: `count` open flags."""
    first = recent_day() - timedelta(days=count + 2)
    entries = []
    for n in range(count):
        day = (first + timedelta(days=n)).isoformat()
        for start, end in (("10:00", "10:10"), ("10:05", "10:15")):
            entries.append(
                entry_payload(decision_ids=[world.decision_id], date=day, start=start, end=end)
            )
    results = world.push(*(("entry.upsert", e) for e in entries))
    assert [r["status"] for r in results] == ["applied"] * len(entries)
    return entries


def test_a_push_reads_only_the_open_flags_that_list_its_entries(world: World) -> None:
    pairs = _overlapping_pairs(world, 12)
    open_flags = world.get("/api/v1/flags", status="open")
    overlap_flags = [f for f in open_flags["data"] if f["kind"] == "overlap"]
    assert len(overlap_flags) == 12

    with loaded_flags() as seen:
        result = world.upsert(date=recent_day().isoformat(), start="20:00", end="20:30")
    assert result["status"] == "applied"
    assert result["flags"] == []
    # None of the twelve lists the new entry: none needs to be read.
    assert [row.kind for row in seen if row.kind == "overlap"] == []

    # Changing an entry a flag lists reads that flag and resolves it.
    moved = {**pairs[0], "start": "14:00", "end": "14:10"}
    with loaded_flags() as seen:
        result = world.push(("entry.upsert", moved))[0]
    assert result["status"] == "applied"
    read = [row for row in seen if row.kind == "overlap"]
    assert len(read) == 1
    assert pairs[0]["id"] in read[0].entry_ids
    remaining = world.get("/api/v1/flags", status="open")["data"]
    assert len([f for f in remaining if f["kind"] == "overlap"]) == 11

    # Sent again unchanged (a new mutation id, same content): answered with the
    # flag that lists it, and only that one is read.
    again = pairs[2]
    with loaded_flags() as seen:
        result = world.push(("entry.upsert", again))[0]
    assert result["status"] == "applied"
    assert [f["kind"] for f in result["flags"]] == ["overlap"]
    assert again["id"] in result["flags"][0]["entry_ids"]
    assert len([row for row in seen if row.kind == "overlap"]) == 1


def test_lists_any_finds_exactly_the_lists_holding_a_value(settings: Settings) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    lists = {
        "a": ["e1", "e2"],
        "b": ["e3"],
        "c": [],
        "d": ["e2", "e4", "e1"],
        "e": ['quote"d', "back\\slash"],
    }
    try:
        with make_sessionmaker(engine)() as db:
            for name, entry_ids in lists.items():
                db.add(
                    FlagRow(
                        id=name,
                        kind="overlap",
                        scope=f"test:{name}",
                        detail="test",
                        entry_ids=entry_ids,
                    )
                )
            db.flush()

            def matching(values: list[str]) -> list[str]:
                query = select(FlagRow.id).where(lists_any(db, FlagRow.entry_ids, values))
                return sorted(db.scalars(query))

            assert matching(["e1"]) == ["a", "d"]
            assert matching(["e3", "e4"]) == ["b", "d"]
            assert matching(["e5"]) == []
            assert matching(['quote"d']) == ["e"]
            assert matching(["back\\slash", "e3"]) == ["b", "e"]
            assert matching(["e"]) == []  # whole values, not parts of them
            db.rollback()
    finally:
        engine.dispose()


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


# The plan is PostgreSQL's: the test runs on that engine only.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_receipts_are_looked_up_without_scanning_the_device_history(
    world: World, settings: Settings
) -> None:
    world.upsert()  # the contact's user, device and one receipt
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            user_id = conn.scalar(select(DeviceMutation.user_id))
            assert user_id is not None
            # Years of the device's pushes, bulk-loaded: no statistics yet.
            conn.execute(
                insert(DeviceMutation),
                [
                    {
                        "user_id": user_id,
                        "device_id": world.device,
                        "mutation_id": 1000 + n,
                        "type": "entry.upsert",
                        "status": "applied",
                        "errors": None,
                        "created_at": utcnow(),
                    }
                    for n in range(5000)
                ],
            )
        with make_sessionmaker(engine)() as db:
            ids = list(range(6000, 6500))
            compiled = receipts_query(db, user_id, world.device, ids).compile(
                dialect=engine.dialect
            )
            explained = (
                db.connection()
                .exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params)
                .scalar_one()
            )
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]
            removed = sum(
                node.get("Rows Removed by Filter", 0) for node in _plan_nodes(plan["Plan"])
            )
            # The push's ids come after all of the device's 5,001 receipts.
            assert removed == 0
    finally:
        engine.dispose()
