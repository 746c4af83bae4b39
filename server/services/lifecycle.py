"""Vedtak that are about to end, and the one that follows on (docs/rules.md §9).

The rule (what "expiring" means, the follow-on dates) lives in
`models.lifecycle`; this module reads the rows it needs and registers the
follow-on through the office's ordinary `create_decision`, so a follow-on is
checked, audited and sent to devices like any new vedtak.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.lifecycle import (
    ExpiringDecisionPublic,
    FollowOnCreate,
    follow_on_end,
    follow_on_start,
    is_followed,
)
from models.schemas import DecisionCreate, DecisionKind, QuotaPer
from server.errors import ConflictError, InvalidError, NotFoundError, problems_from_errors
from server.schemas import DecisionPublic
from server.services.common import Actor, audit_read
from server.services.convert import contact_ids_of
from server.services.office import create_decision
from server.tables import DecisionRow, RecipientRow


def _spans(db: Session, recipient_ids: list[str]) -> dict[str, list[tuple[date, date]]]:
    spans: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for recipient_id, valid_from, valid_to in db.execute(
        select(DecisionRow.recipient_id, DecisionRow.valid_from, DecisionRow.valid_to).where(
            DecisionRow.recipient_id.in_(recipient_ids)
        )
    ):
        spans[recipient_id].append((valid_from, valid_to))
    return spans


def expiring_decisions(
    db: Session, *, actor: Actor, today: date, days: int
) -> list[ExpiringDecisionPublic]:
    """Vedtak whose last day is within `days` days of `today` and that no later
    vedtak for the same recipient takes over, the soonest first."""
    rows = list(
        db.execute(
            select(DecisionRow, RecipientRow.name, RecipientRow.case_no)
            .join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
            .where(
                DecisionRow.valid_to >= today,
                DecisionRow.valid_to <= today + timedelta(days=days),
            )
            .order_by(DecisionRow.valid_to, RecipientRow.name, DecisionRow.id)
        ).all()
    )
    spans = _spans(db, sorted({row.recipient_id for row, _name, _case in rows}))
    waiting = [
        (row, name, case_no)
        for row, name, case_no in rows
        if not is_followed(row.valid_to, spans[row.recipient_id])
    ]
    contacts = contact_ids_of(db, [row.id for row, _name, _case in waiting])
    audit_read(db, actor, "decisions_expiring", None, ids=[row.id for row, _n, _c in waiting])
    db.commit()
    return [
        ExpiringDecisionPublic(
            id=row.id,
            recipient_id=row.recipient_id,
            recipient_name=name,
            case_no=case_no,
            kind=DecisionKind(row.kind),
            hours=row.hours,
            per=QuotaPer(row.per),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            days_left=(row.valid_to - today).days,
            km_per_month=row.km_per_month,
            group_id=row.group_id,
            contact_ids=contacts.get(row.id, []),
            next_valid_from=follow_on_start(row.valid_to),
            next_valid_to=follow_on_end(row.valid_from, row.valid_to),
        )
        for row, name, case_no in waiting
    ]


def follow_on_decision(
    db: Session, *, actor: Actor, decision_id: str, data: FollowOnCreate
) -> DecisionPublic:
    """Register the next vedtak for the same recipient, from the day after this one ends.

    What the body leaves out is copied: kind, hours and period, km cap, group
    and the assigned contacts.
    """
    row = db.get(DecisionRow, decision_id)
    if row is None:
        raise NotFoundError("Vedtaket finnes ikke.")
    if is_followed(row.valid_to, _spans(db, [row.recipient_id])[row.recipient_id]):
        raise ConflictError(
            "Tjenestemottakeren har allerede et vedtak som tar over når dette slutter."
        )
    fields = data.model_dump(exclude_unset=True)
    try:
        create = DecisionCreate(
            recipient_id=row.recipient_id,
            kind=DecisionKind(row.kind),
            hours=fields.get("hours") or row.hours,
            per=QuotaPer(row.per),
            valid_from=follow_on_start(row.valid_to),
            valid_to=fields.get("valid_to") or follow_on_end(row.valid_from, row.valid_to),
            km_per_month=fields.get("km_per_month", row.km_per_month),
            group_id=row.group_id,
            contact_ids=fields.get("contact_ids") or contact_ids_of(db, [row.id]).get(row.id, []),
        )
    except ValidationError as error:
        problems = problems_from_errors(error.errors())
        raise InvalidError(
            problems[0].message if problems else "Vedtaket kan ikke registreres slik.",
            problems=problems,
        ) from None
    return create_decision(db, actor=actor, data=create)
