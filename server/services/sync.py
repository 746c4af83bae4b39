"""Sync: push applies a device's mutations in order, pull returns what changed.

Push: the whole push is one transaction (server.services.batch, the only
code that applies mutations). A mutation already seen from this device (same
user, device and mutation_id) is answered `duplicate` (or its stored
rejection again) and never applied twice. Hard errors answer `rejected` with
field-level reasons; nothing of that mutation is stored.

Pull: rows carry the change sequence number of the transaction that last
changed them. The answer holds everything the contact may see with
cursor < seq ≤ new cursor; `deleted` lists ids to drop.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from models.rules import Problem
from models.schemas import FlagKind
from server.config import Settings
from server.schemas import (
    Deleted,
    FieldError,
    Mutation,
    MutationResult,
    PeriodUsagePublic,
    PullResponse,
    PushRequest,
    PushResponse,
    UsagePublic,
)
from server.services import batch, devices, timesheets, usage
from server.services.batch import flags_for_contact
from server.services.common import Actor
from server.services.convert import contact_ids_of, decision_model
from server.services.office import decision_public, recipient_for_contact, usage_of
from server.tables import (
    ChangeSequence,
    ContactRow,
    DecisionContact,
    DecisionRow,
    DeviceMutation,
    EntryRow,
    FlagRow,
    RecipientRow,
    TimesheetRow,
    Tombstone,
)

log = logging.getLogger("timeliste.sync")

RETRIES = 5


def _errors(problems: list[Problem]) -> list[FieldError]:
    return [FieldError(field=p.field, message=p.message, code=p.code) for p in problems]


UNSTORABLE = Problem(
    "data",
    "Endringen inneholder tegn eller verdier som ikke kan lagres. Rett opp og lagre på nytt.",
    "unstorable",
)


def _reject(
    db: Session, *, actor: Actor, device_id: str, mutation: Mutation, problems: list[Problem]
) -> MutationResult:
    """Remember the refusal (a resend gets it again) and answer it."""
    errors = _errors(problems)
    db.add(
        DeviceMutation(
            user_id=actor.user_id,
            device_id=device_id,
            mutation_id=mutation.mutation_id,
            type=mutation.type[:40],
            status="rejected",
            errors=[e.model_dump() for e in errors],
        )
    )
    db.commit()
    return MutationResult(mutation_id=mutation.mutation_id, status="rejected", errors=errors)


def _attempts(
    db: Session, *, settings: Settings, actor: Actor, request: PushRequest, record: bool
) -> PushResponse:
    """services.batch.push, started again from the top after a lost race.

    A lost race or a broken deadlock (another push of the same device or
    entry committed first) rolls everything back; the mutations that push
    committed are then answered `duplicate`.
    """
    for attempt in range(RETRIES):
        try:
            return batch.push(db, settings=settings, actor=actor, request=request, record=record)
        except DataError:
            raise
        except (IntegrityError, DBAPIError) as error:
            db.rollback()
            if attempt == RETRIES - 1:
                raise
            log.info("retrying push after %s", type(error).__name__)
    raise AssertionError("unreachable")


def push(db: Session, *, settings: Settings, actor: Actor, request: PushRequest) -> PushResponse:
    """The whole push in one transaction (services.batch), committed before the answer.

    A value the database refuses although it passed validation (a NUL in a
    text on PostgreSQL, say) cannot be pinned to one mutation by a multi-row
    statement: the push is then applied one mutation at a time, each in its
    own transaction by the same code, so only that mutation is rejected.
    """
    try:
        return _attempts(db, settings=settings, actor=actor, request=request, record=True)
    except DataError as error:
        db.rollback()
        log.warning("push refused by the database (%s); one at a time", type(error).__name__)
    devices.record(db, actor=actor, device_id=request.device_id, report=request.device)
    return push_one_by_one(db, settings=settings, actor=actor, request=request)


def push_one_by_one(
    db: Session, *, settings: Settings, actor: Actor, request: PushRequest
) -> PushResponse:
    """Each mutation in its own transaction (the careful path, see push)."""
    results: list[MutationResult] = []
    for mutation in request.mutations:
        alone = PushRequest(device_id=request.device_id, mutations=[mutation])
        try:
            answer = _attempts(db, settings=settings, actor=actor, request=alone, record=False)
        except DataError as error:
            # No retry can change that: this mutation alone is rejected.
            db.rollback()
            log.warning("mutation refused by the database (%s)", type(error).__name__)
            results.append(
                _reject(
                    db,
                    actor=actor,
                    device_id=request.device_id,
                    mutation=mutation,
                    problems=[UNSTORABLE],
                )
            )
            continue
        results += answer.results
    return PushResponse(results=results)


DEFAULT_PULL_LIMIT = 5000


def _page_top(db: Session, contact_id: str, cursor: int, top: int, limit: int) -> int:
    """The highest sequence number of this page: at most about `limit` entries.

    Every table is read for the same window (cursor, page top], so a page is
    a consistent slice; rows sharing one sequence number never straddle pages.
    """
    beyond = db.scalar(
        select(EntryRow.seq)
        .where(EntryRow.contact_id == contact_id, EntryRow.seq > cursor, EntryRow.seq <= top)
        .order_by(EntryRow.seq)
        .offset(limit)
        .limit(1)
    )
    if beyond is None:
        return top
    first = db.scalar(
        select(EntryRow.seq)
        .where(EntryRow.contact_id == contact_id, EntryRow.seq > cursor)
        .order_by(EntryRow.seq)
        .limit(1)
    )
    return beyond - 1 if first is not None and beyond - 1 >= first else int(beyond)


def _usage(
    db: Session,
    rows: list[DecisionRow],
    contacts: dict[str, list[str]],
    *,
    full: set[str],
    cursor: int,
    top: int,
) -> list[UsagePublic]:
    """Usage of the vedtak whose usage moved in the page's window.

    A vedtak in the page (new to the phone, or its terms changed: the periods
    may be others) comes with every period; any other with only the periods
    that moved after `cursor`, which the phone merges into those it has.
    """
    result = []
    for row in rows:
        if row.id in full:
            result.append(usage_of(db, row, contacts.get(row.id, [])))
            continue
        terms = decision_model(row, contacts.get(row.id, []))
        periods = usage.usage_of_changed(db, row.id, terms, cursor, top)
        if periods:
            result.append(
                UsagePublic(
                    decision_id=row.id,
                    periods=[PeriodUsagePublic.of(period) for period in periods],
                )
            )
    return result


def pull(
    db: Session,
    *,
    settings: Settings,
    actor: Actor,
    cursor: int,
    limit: int = DEFAULT_PULL_LIMIT,
) -> PullResponse:
    """Everything the contact may see that changed after `cursor`, a page at a time."""
    contact_id = actor.contact_id
    assert contact_id is not None
    latest = db.scalar(select(ChangeSequence.value).where(ChangeSequence.id == 1)) or 0
    top = _page_top(db, contact_id, cursor, latest, limit)

    def window(column: Any) -> Any:
        return (column > cursor) & (column <= top)

    assigned = select(DecisionContact.decision_id).where(DecisionContact.contact_id == contact_id)
    decision_rows = list(
        db.scalars(
            select(DecisionRow)
            .where(DecisionRow.id.in_(assigned), window(DecisionRow.seq))
            .order_by(DecisionRow.id)
        )
    )
    usage_rows = list(
        db.scalars(
            select(DecisionRow)
            .where(
                DecisionRow.id.in_(assigned),
                window(DecisionRow.usage_seq) | window(DecisionRow.seq),
            )
            .order_by(DecisionRow.id)
        )
    )
    contacts = contact_ids_of(db, [row.id for row in usage_rows])
    assigned_recipients = select(DecisionRow.recipient_id).where(DecisionRow.id.in_(assigned))
    recipient_rows = list(
        db.scalars(
            select(RecipientRow)
            .where(
                RecipientRow.id.in_([row.recipient_id for row in decision_rows])
                | (RecipientRow.id.in_(assigned_recipients) & window(RecipientRow.seq))
            )
            .order_by(RecipientRow.id)
        )
    )
    entry_rows = list(
        db.scalars(
            select(EntryRow)
            .where(EntryRow.contact_id == contact_id, window(EntryRow.seq))
            .order_by(EntryRow.date, EntryRow.start, EntryRow.id)
        )
    )
    sheet_rows = list(
        db.scalars(
            select(TimesheetRow)
            .where(TimesheetRow.contact_id == contact_id, window(TimesheetRow.seq))
            .order_by(TimesheetRow.period, TimesheetRow.id)
        )
    )
    flag_rows = list(
        db.scalars(
            select(FlagRow)
            .where(
                window(FlagRow.seq),
                FlagRow.kind != FlagKind.feedback.value,
                FlagRow.decision_id.in_(assigned) | (FlagRow.contact_id == contact_id),
            )
            .order_by(FlagRow.created_at, FlagRow.id)
        )
    )
    tombstones = list(
        db.scalars(
            select(Tombstone).where(Tombstone.contact_id == contact_id, window(Tombstone.seq))
        )
    )
    visible_decisions = set(db.scalars(assigned))
    unassigned = sorted(
        {
            t.object_id
            for t in tombstones
            if t.kind == "decision" and t.object_id not in visible_decisions
        }
    )
    gone_recipients: list[str] = []
    if unassigned:
        still_served = set(db.scalars(assigned_recipients))
        gone_recipients = sorted(
            set(db.scalars(select(DecisionRow.recipient_id).where(DecisionRow.id.in_(unassigned))))
            - still_served
        )
    timesheets.fresh_hashes(db, sheet_rows)
    db.commit()
    return PullResponse(
        cursor=top,
        has_more=top < latest,
        contact_id=contact_id,
        contact_name=db.scalar(select(ContactRow.name).where(ContactRow.id == contact_id)),
        pay_cutoff_day=settings.pay_cutoff_day,
        decisions=[decision_public(db, row, contacts.get(row.id, [])) for row in decision_rows],
        recipients=[recipient_for_contact(row) for row in recipient_rows],
        entries=[
            timesheets.entry_public(row, with_notes=True) for row in entry_rows if not row.deleted
        ],
        timesheets=timesheets.summaries(db, sheet_rows),
        flags=flags_for_contact(db, contact_id, flag_rows),
        usage=_usage(
            db, usage_rows, contacts, full={row.id for row in decision_rows}, cursor=cursor, top=top
        ),
        deleted=Deleted(
            entries=[row.id for row in entry_rows if row.deleted],
            decisions=unassigned,
            timesheets=sorted({t.object_id for t in tombstones if t.kind == "timesheet"}),
            recipients=gone_recipients,
        ),
    )
