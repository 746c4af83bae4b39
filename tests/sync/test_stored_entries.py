"""The store's trusted rebuild of its own entries (EntryData.from_stored) against validation."""

from __future__ import annotations

import gc
import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.schemas import EntryData
from sync.store import DeviceStore
from tests.factories import make_entry
from tests.sync.builders import seeded_store

tenths = st.integers(-1, 6000).map(lambda number: str(Decimal(number) / 10))
ore = st.integers(-1, 300_000).map(lambda number: str(Decimal(number) / 100))
decisions = st.lists(st.sampled_from(["d1", "d2", " d3 "]), min_size=1, unique=True)
texts = st.text(st.sampled_from("aZø æ-.\u00e5"), max_size=12)


@st.composite
def dumped_entries(draw: st.DrawFn) -> dict[str, Any]:
    """The JSON of an entry the schema accepts, as the store writes it."""
    raw: dict[str, Any] = {
        "id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        "decision_ids": draw(decisions),
        "date": draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        "start": draw(st.sampled_from(["00:00", "08:30", "10:00"])),
        "end": draw(st.sampled_from(["12:30", "16:45", "23:59"])),
    }
    if draw(st.booleans()):
        raw["activities"] = draw(st.lists(texts, max_size=3))
    if draw(st.booleans()):
        raw["note"] = draw(st.none() | texts)
    if draw(st.booleans()):
        trip = st.fixed_dictionaries(
            {"km": tenths, "from": texts, "to": texts},
            optional={"purpose": texts, "passengers": st.integers(0, 20)},
        )
        raw["trips"] = draw(st.lists(trip, max_size=3))
    if draw(st.booleans()):
        expense = st.fixed_dictionaries(
            {"amount": ore, "category": texts},
            optional={"description": texts},
        )
        raw["expenses"] = draw(st.lists(expense, max_size=3))
    try:
        entry = EntryData.model_validate(raw)
    except ValidationError:
        assume(False)
        raise
    return entry.model_dump(mode="json", by_alias=True, exclude_unset=True)


def same(one: EntryData, other: EntryData) -> None:
    assert type(one) is type(other) is EntryData
    assert one == other
    assert one.model_fields_set == other.model_fields_set
    assert one.model_dump(mode="json", by_alias=True) == other.model_dump(
        mode="json", by_alias=True
    )
    assert [type(value) for value in one.__dict__.values()] == [
        type(value) for value in other.__dict__.values()
    ]
    assert (one.minutes, one.total_km, one.total_expenses) == (
        other.minutes,
        other.total_km,
        other.total_expenses,
    )
    for mine, theirs in zip(one.trips + one.expenses, other.trips + other.expenses, strict=True):
        assert mine == theirs
        assert mine.model_fields_set == theirs.model_fields_set


@given(dumped_entries())
def test_a_stored_entry_is_rebuilt_as_validation_would_build_it(raw: dict[str, Any]) -> None:
    # As dumped without unset fields (a trip without its defaults goes the validated
    # way) and in full, as the store writes it.
    same(EntryData.from_stored(raw), EntryData.model_validate(raw))
    full = EntryData.model_validate(raw).model_dump(mode="json", by_alias=True)
    same(EntryData.from_stored(full), EntryData.model_validate(full))


GOOD = {
    "id": str(uuid.UUID(int=7)),
    "decision_ids": ["d1"],
    "date": "2026-03-02",
    "start": "10:00",
    "end": "12:00",
    "trips": [{"km": "12.5", "from": "A", "to": "B", "purpose": "", "passengers": 0}],
    "expenses": [{"amount": "10.00", "category": "Mat", "description": ""}],
}


@pytest.mark.parametrize(
    "change",
    [
        {"contact_id": "c1"},  # a field the entry does not have
        {"date": 20260302},
        {"date": "2026-02-30"},
        {"decision_ids": "d1"},
        {"trips": [{"km": "abc", "from": "A", "to": "B", "purpose": "", "passengers": 0}]},
        {"trips": [{"km": "12.5", "from": "A", "to": "B"}, "x"]},
    ],
)
def test_a_record_not_in_the_shape_the_store_writes_is_validated(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EntryData.from_stored({**GOOD, **change})


def test_a_number_where_the_store_writes_text_is_validated_into_the_same_entry() -> None:
    raw = {**GOOD, "trips": [{"km": 12.5, "from": "A", "to": "B", "purpose": "", "passengers": 0}]}
    same(EntryData.from_stored(raw), EntryData.model_validate(GOOD))
    assert EntryData.from_stored(raw).trips[0].km == Decimal("12.5")


def test_the_store_trusts_its_own_entries_and_validates_a_file_of_format_1(tmp_path: Path) -> None:
    """A note with a control character is refused by the schema, not by the rebuild's
    shape checks: what the store shows of it tells which of the two read it."""
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        store.save_entry(make_entry(day=date(2026, 3, 2)), today=date(2026, 3, 20))
        state = json.loads(json.dumps(store._data))
    [record] = state["entries"].values()
    record["data"]["note"] = "bell\a"
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    path.write_text(json.dumps(state))  # format 1: the bare tables
    with DeviceStore(path) as store, pytest.raises(ValidationError):
        store.entries()
    assert gc.isenabled()  # held back while entries are rebuilt, back on after a failure
    # Opened again, the file is format 3 this store wrote: its entries are trusted.
    with DeviceStore(path) as store:
        [shown] = store.entries()
        assert shown.entry.note == "bell\a"
