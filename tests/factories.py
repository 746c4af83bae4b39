"""Data builders shared by the test folders.

Each builder gives a valid object with plain defaults; a test names only what
it is about. Keep additions small and keyword-only.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from models.schemas import (
    Decision,
    DecisionKind,
    DecisionTerms,
    EntryData,
    QuotaPer,
    TimeEntry,
)

_serial = itertools.count(1)


def entry_id(n: int | None = None) -> str:
    """A UUID string; `n` makes it predictable (…-000000000007), else a fresh one."""
    return str(uuid.UUID(int=n if n is not None else next(_serial) + 10**9))


def make_terms(
    *,
    kind: DecisionKind = DecisionKind.individual,
    hours: Decimal | int | str = 10,
    per: QuotaPer = QuotaPer.month,
    valid_from: date = date(2026, 1, 1),
    valid_to: date = date(2026, 12, 31),
    km_per_month: Decimal | int | str | None = None,
    group_id: str | None = None,
) -> DecisionTerms:
    """The terms of a vedtak: by default 10 h a month for 2026, individual."""
    if kind is DecisionKind.group and group_id is None:
        group_id = "g1"
    return DecisionTerms(
        kind=kind,
        hours=Decimal(hours),
        per=per,
        valid_from=valid_from,
        valid_to=valid_to,
        km_per_month=None if km_per_month is None else Decimal(km_per_month),
        group_id=group_id,
    )


def make_decision(
    *,
    id: str = "d1",
    recipient_id: str = "r1",
    contact_ids: list[str] | None = None,
    **terms: Any,
) -> Decision:
    """A vedtak assigned to contact `c1` unless told otherwise."""
    base = make_terms(**terms)
    return Decision(
        **base.model_dump(),
        id=id,
        recipient_id=recipient_id,
        contact_ids=["c1"] if contact_ids is None else contact_ids,
    )


def make_entry(
    *,
    id: str | None = None,
    decision_ids: list[str] | None = None,
    day: date = date(2026, 3, 10),
    start: str = "10:00",
    end: str = "12:00",
    activities: list[str] | None = None,
    note: str | None = None,
    trips: list[dict[str, Any]] | None = None,
    expenses: list[dict[str, Any]] | None = None,
) -> EntryData:
    """An entry on decision `d1`, 10:00–12:00 on 10 March 2026."""
    return EntryData.model_validate(
        {
            "id": id or entry_id(),
            "decision_ids": decision_ids or ["d1"],
            "date": day,
            "start": start,
            "end": end,
            "activities": activities or [],
            "note": note,
            "trips": trips or [],
            "expenses": expenses or [],
        }
    )


def make_time_entry(*, contact_id: str = "c1", **fields: Any) -> TimeEntry:
    """An entry with its owner, as the flag rules see it."""
    data = make_entry(**fields).model_dump(by_alias=True)
    return TimeEntry.model_validate({**data, "contact_id": contact_id})
