"""Rows to domain models, so the rules in `models/` can run on stored data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import PrivateAttr
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from models.schemas import (
    Decision,
    DecisionKind,
    Expense,
    FlagKind,
    FlagPublic,
    FlagStatus,
    QuotaPer,
    TimeEntry,
    Trip,
)
from server.tables import DecisionContact, DecisionRow, EntryRow, FlagRow


def contact_ids_of(db: Session, decision_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(decision_ids)
    result: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return result
    rows = db.execute(
        select(DecisionContact.decision_id, DecisionContact.contact_id)
        .where(DecisionContact.decision_id.in_(ids))
        .order_by(DecisionContact.contact_id)
    )
    for decision_id, contact_id in rows:
        result[decision_id].append(contact_id)
    return result


def decision_model(row: DecisionRow, contact_ids: list[str]) -> Decision:
    return Decision(
        id=row.id,
        recipient_id=row.recipient_id,
        contact_ids=contact_ids,
        kind=DecisionKind(row.kind),
        hours=row.hours,
        per=QuotaPer(row.per),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        km_per_month=row.km_per_month,
        group_id=row.group_id,
    )


class AssignmentCache:
    """The contacts of decisions, remembered for one push by the decision's `seq`.

    Every change of a decision's contacts touches the decision (a new `seq`),
    and the rows handed in were just read under lock, so a remembered list
    is used only while it is still the current one.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, list[str]]] = {}

    def lookup(self, row: DecisionRow) -> list[str] | None:
        known = self._known.get(row.id)
        return list(known[1]) if known is not None and known[0] == row.seq else None

    def remember(self, row: DecisionRow, contact_ids: list[str]) -> None:
        self._known[row.id] = (row.seq, list(contact_ids))


def decision_models(
    db: Session, rows: Iterable[DecisionRow], cache: AssignmentCache | None = None
) -> dict[str, Decision]:
    rows = list(rows)
    contacts: dict[str, list[str]] = {}
    missing = []
    for row in rows:
        known = cache.lookup(row) if cache is not None else None
        if known is None:
            missing.append(row.id)
        else:
            contacts[row.id] = known
    if missing:
        read = contact_ids_of(db, missing)
        for row in rows:
            if row.id in missing:
                contacts[row.id] = read.get(row.id, [])
                if cache is not None:
                    cache.remember(row, contacts[row.id])
    return {row.id: decision_model(row, contacts.get(row.id, [])) for row in rows}


def entry_model(row: EntryRow) -> TimeEntry:
    """A fully validated entry (for hashing and display)."""
    return TimeEntry.model_validate(
        {
            "id": row.id,
            "contact_id": row.contact_id,
            "decision_ids": row.decision_ids,
            "date": row.date,
            "start": row.start,
            "end": row.end,
            "activities": row.activities,
            "note": row.note,
            "trips": row.trips,
            "expenses": row.expenses,
        }
    )


class StoredEntry(TimeEntry):
    """An entry rebuilt from its row, with the minutes stored when it was validated."""

    _minutes: int = PrivateAttr(default=0)

    @property
    def minutes(self) -> int:
        return self._minutes


ENTRY_COLUMNS = (
    EntryRow.id,
    EntryRow.contact_id,
    EntryRow.decision_ids,
    EntryRow.date,
    EntryRow.start,
    EntryRow.end,
    EntryRow.minutes,
    EntryRow.activities,
    EntryRow.trips,
    EntryRow.expenses,
)
"""What the rules and the hash read of an entry (select these, not whole rows)."""


def stored_entry(row: Any) -> StoredEntry:
    """An entry for the rules and the hash, built without re-validation.

    `row` is an EntryRow or a result row of ENTRY_COLUMNS. Stored rows were
    validated on the way in (minutes included); running thousands of them
    through the validators again on every push would make pushes slow.
    """
    # A result row of TIME_COLUMNS has no trips: asked for a missing name, a
    # result row raises (and chains) an exception, which cost more than the rest.
    full = "trips" in row._fields if isinstance(row, Row) else hasattr(row, "trips")
    entry = StoredEntry.model_construct(
        id=row.id,
        contact_id=row.contact_id,
        decision_ids=list(row.decision_ids),
        date=row.date,
        start=row.start,
        end=row.end,
        activities=list(row.activities) if full else [],
        note=None,
        trips=[
            Trip.model_construct(
                km=Decimal(str(trip["km"])),
                from_=trip.get("from", ""),
                to=trip.get("to", ""),
                purpose=trip.get("purpose", ""),
                passengers=trip.get("passengers", 0),
            )
            for trip in (row.trips if full else ())
        ],
        expenses=[
            Expense.model_construct(
                amount=Decimal(str(x["amount"])),
                category=x.get("category", ""),
                description=x.get("description", ""),
            )
            for x in (row.expenses if full else ())
        ],
    )
    entry._minutes = row.minutes
    return entry


TIME_COLUMNS = ENTRY_COLUMNS[:7]
"""Enough for the quota and overlap rules (no activities, trips or expenses)."""


def stored_entries(
    db: Session, *conditions: Any, join: Any = None, full: bool = True
) -> list[StoredEntry]:
    """Entries matching `conditions`, read column-wise (`full=False`: times only)."""
    stmt = select(*(ENTRY_COLUMNS if full else TIME_COLUMNS))
    if join is not None:
        stmt = stmt.join(*join)
    return [stored_entry(row) for row in db.execute(stmt.where(*conditions))]


def flag_public(row: FlagRow) -> FlagPublic:
    return FlagPublic(
        id=row.id,
        kind=FlagKind(row.kind),
        decision_id=row.decision_id,
        contact_id=row.contact_id,
        period=row.period,
        entry_ids=list(row.entry_ids),
        detail=row.detail,
        status=FlagStatus(row.status),
        resolution_note=row.resolution_note,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )
