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


# --- API payloads (server and sync tests) ---------------------------------------------


def recent_day(offset_days: int = 0) -> date:
    """The 10th of last month (Oslo), shifted: old enough never to be 'in the future'."""
    from datetime import timedelta

    from models.clock import today_in_oslo

    today = today_in_oslo()
    first_of_this_month = today.replace(day=1)
    tenth_of_last_month = (first_of_this_month - timedelta(days=1)).replace(day=10)
    return tenth_of_last_month + timedelta(days=offset_days)


def contact_payload(**overrides: Any) -> dict[str, Any]:
    """`POST /api/v1/contacts` body; username and employee number are unique per call."""
    n = next(_serial)
    body: dict[str, Any] = {
        "username": f"kontakt{n}",
        "password": "kontakt-passord-1",
        "name": f"Ola Kontakt{n}",
        "employee_no": f"E{n:05d}",
        "contract_type": "contractor",
        "politiattest_date": "2024-01-15",
    }
    body.update(overrides)
    return body


def recipient_payload(**overrides: Any) -> dict[str, Any]:
    """`POST /api/v1/recipients` body with a unique case number."""
    n = next(_serial)
    body: dict[str, Any] = {
        "name": "Kari Nordmann",
        "case_no": f"2026/{n:05d}",
        "guardians": [{"name": "Per Nordmann", "relation": "far"}],
    }
    body.update(overrides)
    return body


def decision_payload(
    *, recipient_id: str, contact_ids: list[str], **overrides: Any
) -> dict[str, Any]:
    """`POST /api/v1/decisions` body: 10 h a month, valid from a year ago to a year ahead."""
    day = recent_day()
    body: dict[str, Any] = {
        "recipient_id": recipient_id,
        "kind": "individual",
        "hours": "10",
        "per": "month",
        "valid_from": date(day.year - 1, 1, 1).isoformat(),
        "valid_to": date(day.year + 1, 12, 31).isoformat(),
        "contact_ids": contact_ids,
    }
    body.update(overrides)
    return body


def entry_payload(*, decision_ids: list[str], **overrides: Any) -> dict[str, Any]:
    """`entry.upsert` data: 10:00–12:00 on `recent_day()`, one activity, no trips."""
    body: dict[str, Any] = {
        "id": entry_id(),
        "decision_ids": decision_ids,
        "date": recent_day().isoformat(),
        "start": "10:00",
        "end": "12:00",
        "activities": ["tur"],
        "note": "Gikk tur i parken.",
        "trips": [],
        "expenses": [],
    }
    body.update(overrides)
    return body


def sign_payload(
    *, decision_id: str, period: str, content_hash: str, **overrides: Any
) -> dict[str, Any]:
    """`timesheet.sign` data with a short drawn stroke."""
    body: dict[str, Any] = {
        "decision_id": decision_id,
        "period": period,
        "content_hash": content_hash,
        "signer_name": "Kari Nordmann",
        "signer_role": "recipient",
        "strokes": [[{"x": 0, "y": 0}, {"x": 10, "y": 5}, {"x": 20, "y": 0}]],
        "signed_at": "2026-01-31T12:00:00+01:00",
    }
    body.update(overrides)
    return body
