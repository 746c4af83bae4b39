"""Sync: push applies a device's mutations in order, pull returns what changed.

Push: each mutation is one transaction. A mutation already seen from this
device (same user, device and mutation_id) is answered `duplicate` (or its
stored rejection again) and never applied twice. Hard errors answer
`rejected` with field-level reasons; nothing of that mutation is stored.

Pull: rows carry the change sequence number of the transaction that last
changed them. The answer holds everything the contact may see with
cursor < seq ≤ new cursor; `deleted` lists ids to drop.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from models.messages import validation_problems
from models.rules import Problem
from models.schemas import EntryData, FlagKind, SignatureCreate
from server.config import Settings
from server.db import utcnow
from server.errors import DomainError, InvalidError
from server.schemas import (
    Deleted,
    EntryDelete,
    FieldError,
    Mutation,
    MutationResult,
    PullResponse,
    PushRequest,
    PushResponse,
)
from server.services import batch, timesheets
from server.services.batch import flags_for_contact
from server.services.changes import Changes
from server.services.common import Actor
from server.services.convert import AssignmentCache, contact_ids_of
from server.services.entries import delete_entry, upsert_entry
from server.services.office import decision_public, recipient_for_contact, usage_of
from server.tables import (
    ChangeSequence,
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


def _parse(model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidError(
            "Endringen har ugyldige data.", problems=validation_problems(error)
        ) from None


def _dispatch(
    db: Session,
    *,
    settings: Settings,
    actor: Actor,
    device_id: str,
    mutation: Mutation,
    assignments: AssignmentCache | None,
) -> list[FlagRow]:
    if mutation.type == "entry.upsert":
        entry = _parse(EntryData, mutation.data)
        return upsert_entry(
            db,
            settings=settings,
            actor=actor,
            data=entry,
            device_id=device_id,
            assignments=assignments,
        ).flags
    if mutation.type == "entry.delete":
        target = _parse(EntryDelete, mutation.data)
        return delete_entry(
            db, settings=settings, actor=actor, entry_id=target.id, device_id=device_id
        ).flags
    if mutation.type == "timesheet.sign":
        signature = _parse(SignatureCreate, mutation.data)
        changes = Changes()
        signed = timesheets.sign(db, changes, actor=actor, data=signature, device_id=device_id)
        changes.stamp(db)
        return signed.flags
    raise InvalidError(
        "Ukjent type endring.",
        problems=[
            Problem("type", "Ukjent type; bruk entry.upsert, entry.delete eller timesheet.sign.")
        ],
    )


def _errors(problems: list[Problem]) -> list[FieldError]:
    return [FieldError(field=p.field, message=p.message, code=p.code) for p in problems]


def _seen(db: Session, actor: Actor, device_id: str, mutation: Mutation) -> MutationResult | None:
    prior = db.get(DeviceMutation, (actor.user_id, device_id, mutation.mutation_id))
    if prior is None:
        return None
    if prior.status == "rejected":
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status="rejected",
            errors=[FieldError(**error) for error in prior.errors or []],
        )
    return MutationResult(mutation_id=mutation.mutation_id, status="duplicate")


_RECEIPT = insert(DeviceMutation)

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


def apply_mutation(
    db: Session,
    *,
    settings: Settings,
    actor: Actor,
    device_id: str,
    mutation: Mutation,
    assignments: AssignmentCache | None = None,
) -> MutationResult:
    """Apply one mutation in its own transaction (retried on a lost race).

    `assignments` carries decisions' contacts from one mutation of a push to
    the next (checked against each decision's `seq`).
    """
    for attempt in range(RETRIES):
        try:
            seen = _seen(db, actor, device_id, mutation)
            if seen is not None:
                db.rollback()
                return seen
            try:
                flags = _dispatch(
                    db,
                    settings=settings,
                    actor=actor,
                    device_id=device_id,
                    mutation=mutation,
                    assignments=assignments,
                )
            except DomainError as error:
                db.rollback()
                return _reject(
                    db,
                    actor=actor,
                    device_id=device_id,
                    mutation=mutation,
                    problems=error.problems or [Problem("data", error.detail)],
                )
            db.execute(
                _RECEIPT,
                {
                    "user_id": actor.user_id,
                    "device_id": device_id,
                    "mutation_id": mutation.mutation_id,
                    "type": mutation.type,
                    "status": "applied",
                    "created_at": utcnow(),
                },
            )
            visible = flags_for_contact(
                db,
                actor.contact_id or "",
                [flag for flag in flags if flag.kind != FlagKind.feedback.value],
            )
            db.commit()
            return MutationResult(mutation_id=mutation.mutation_id, status="applied", flags=visible)
        except DataError as error:
            # The database refuses a value that passed validation (a NUL in a
            # text on PostgreSQL, say): no retry can change that, so this
            # mutation alone is rejected and the rest of the push goes on.
            db.rollback()
            log.warning("mutation refused by the database (%s)", type(error).__name__)
            return _reject(
                db, actor=actor, device_id=device_id, mutation=mutation, problems=[UNSTORABLE]
            )
        except (IntegrityError, DBAPIError) as error:
            # Another push of the same device or entry won the race (or a deadlock
            # was broken): start the mutation again from the top.
            db.rollback()
            if attempt == RETRIES - 1:
                raise
            log.info("retrying mutation after %s", type(error).__name__)
    raise AssertionError("unreachable")


def push(db: Session, *, settings: Settings, actor: Actor, request: PushRequest) -> PushResponse:
    """The whole push in one transaction (services.batch), committed before the answer.

    A lost race or a broken deadlock starts the push again from the top (the
    mutations another request committed meanwhile are then `duplicate`). A
    value the database refuses that passed validation cannot be pinned to one
    mutation by a multi-row statement: the push is then applied one mutation
    at a time, so only that mutation is rejected.
    """
    for attempt in range(RETRIES):
        try:
            return batch.push(db, settings=settings, actor=actor, request=request)
        except batch.OneByOneError:
            db.rollback()
            break
        except DataError as error:
            db.rollback()
            log.warning("push refused by the database (%s); one at a time", type(error).__name__)
            break
        except (IntegrityError, DBAPIError) as error:
            db.rollback()
            if attempt == RETRIES - 1:
                raise
            log.info("retrying push after %s", type(error).__name__)
    return push_one_by_one(db, settings=settings, actor=actor, request=request)


def push_one_by_one(
    db: Session, *, settings: Settings, actor: Actor, request: PushRequest
) -> PushResponse:
    """Each mutation in its own transaction (the careful path, see push)."""
    assignments = AssignmentCache()
    return PushResponse(
        results=[
            apply_mutation(
                db,
                settings=settings,
                actor=actor,
                device_id=request.device_id,
                mutation=mutation,
                assignments=assignments,
            )
            for mutation in request.mutations
        ]
    )


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
        pay_cutoff_day=settings.pay_cutoff_day,
        decisions=[decision_public(db, row, contacts.get(row.id, [])) for row in decision_rows],
        recipients=[recipient_for_contact(row) for row in recipient_rows],
        entries=[
            timesheets.entry_public(row, with_notes=True) for row in entry_rows if not row.deleted
        ],
        timesheets=timesheets.summaries(db, sheet_rows),
        flags=flags_for_contact(db, contact_id, flag_rows),
        usage=[usage_of(db, row, contacts.get(row.id, [])) for row in usage_rows],
        deleted=Deleted(
            entries=[row.id for row in entry_rows if row.deleted],
            decisions=unassigned,
            timesheets=sorted({t.object_id for t in tombstones if t.kind == "timesheet"}),
            recipients=gone_recipients,
        ),
    )
