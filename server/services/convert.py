"""Rows to domain models, so the rules in `models/` can run on stored data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
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


def decision_models(db: Session, rows: Iterable[DecisionRow]) -> dict[str, Decision]:
    rows = list(rows)
    contacts = contact_ids_of(db, (row.id for row in rows))
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


def entry_light(row: EntryRow) -> TimeEntry:
    """An entry for the flag and quota rules, built without re-validation.

    Stored rows were validated on the way in; rebuilding thousands of them per
    push through the validators would make pushes slow on a long vedtak.
    """
    return TimeEntry.model_construct(
        id=row.id,
        contact_id=row.contact_id,
        decision_ids=list(row.decision_ids),
        date=row.date,
        start=row.start,
        end=row.end,
        activities=[],
        note=None,
        trips=[
            Trip.model_construct(km=Decimal(str(trip["km"])), from_="", to="") for trip in row.trips
        ],
        expenses=[
            Expense.model_construct(amount=Decimal(str(x["amount"])), category="")
            for x in row.expenses
        ],
    )


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
