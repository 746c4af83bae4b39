"""Applying entry changes: store, index, timesheets, flags — in one transaction.

The caller commits. Every change locks the decisions it touches first (see
server.services.locks), so usage and overuse are computed on settled data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models.clock import today_in_oslo
from models.rules import Problem, entry_problems
from models.schemas import EntryData, FlagKind, FlagStatus
from server.config import Settings
from server.errors import ForbiddenError, InvalidError
from server.schemas import entry_data_fields
from server.services import timesheets, usage
from server.services.changes import Changes
from server.services.common import Actor, audit
from server.services.convert import AssignmentCache, decision_models, stored_entry
from server.services.flags import entry_findings, raise_flag, reconcile
from server.services.locks import lock_decisions, reread_after_lock
from server.tables import ContactRow, EntryDecision, EntryRow, FlagRow

NOT_OWNER = "Økten tilhører en annen støttekontakt."


@dataclass
class Applied:
    """The outcome of one entry change: the open flags it raised or touched."""

    entry_id: str
    flags: list[FlagRow] = field(default_factory=list)


def _owner_check(row: EntryRow | None, contact_id: str) -> None:
    if row is not None and row.contact_id != contact_id:
        raise ForbiddenError(NOT_OWNER, problems=[Problem("id", NOT_OWNER, "not_owner")])


def _refuse(problems: list[Problem]) -> None:
    if not problems:
        return
    if any(problem.code == "not_assigned" for problem in problems):
        raise ForbiddenError(problems[0].message, problems=problems)
    raise InvalidError("Økten kan ikke lagres.", problems=problems)


def _same(row: EntryRow, fields: dict[str, object]) -> bool:
    return all(getattr(row, name) == value for name, value in fields.items())


def _collect_flags(changes: Changes, found: list[FlagRow]) -> list[FlagRow]:
    result = list(found)
    seen = {row.id for row in result}
    for row in changes.rows:
        if isinstance(row, FlagRow) and row.status == FlagStatus.open.value and row.id not in seen:
            result.append(row)
            seen.add(row.id)
    return result


def politiattest_flag(db: Session, changes: Changes, contact_id: str) -> FlagRow | None:
    contact = db.get(ContactRow, contact_id)
    if contact is None or contact.politiattest_date is not None:
        return None
    return raise_flag(
        db,
        changes,
        kind=FlagKind.missing_politiattest,
        scope=f"missing_politiattest:{contact_id}",
        detail="Støttekontakten har ingen politiattest registrert.",
        contact_id=contact_id,
    )


def upsert_entry(
    db: Session,
    *,
    settings: Settings,
    actor: Actor,
    data: EntryData,
    device_id: str | None,
    today: date | None = None,
    assignments: AssignmentCache | None = None,
) -> Applied:
    """Create or change the contact's entry `data.id`.

    `assignments`: decisions' contacts already read in this push (see AssignmentCache).
    """
    contact_id = actor.contact_id
    if contact_id is None:
        raise ForbiddenError("Bare støttekontakter kan føre timer.")
    existing = db.get(EntryRow, data.id)
    _owner_check(existing, contact_id)
    old_ids = list(existing.decision_ids) if existing is not None and not existing.deleted else []
    locked = lock_decisions(db, [*data.decision_ids, *old_ids])
    if reread_after_lock(db):
        existing = db.get(EntryRow, data.id, populate_existing=True)
        _owner_check(existing, contact_id)
    decisions = decision_models(db, locked.values(), assignments)
    _refuse(
        entry_problems(
            data,
            contact_id=contact_id,
            decisions=decisions,
            today=today or today_in_oslo(),
        )
    )

    fields = entry_data_fields(data)
    live = existing is not None and not existing.deleted
    if existing is not None and live and _same(existing, fields):
        open_flags = [
            row
            for row in db.scalars(
                select(FlagRow).where(
                    FlagRow.status == FlagStatus.open.value,
                    FlagRow.decision_id.in_(data.decision_ids) | (FlagRow.contact_id == contact_id),
                )
            )
            if data.id in row.entry_ids or row.kind == FlagKind.missing_politiattest.value
        ]
        return Applied(data.id, open_flags)

    old = stored_entry(existing) if existing is not None and live else None
    before = timesheets.timesheets_of_entry(db, data.id) if existing is not None else []
    period = timesheets.pay_period(settings, data.date)
    keys = [(decision_id, period) for decision_id in data.decision_ids]
    targets = [
        row
        for decision_id, key_period in keys
        if (
            row := timesheets.find(
                db, contact_id=contact_id, decision_id=decision_id, period=key_period
            )
        )
        is not None
    ]
    timesheets.refuse_locked([*before, *targets])

    changes = Changes()
    changes.reserve(db)
    brand_new = existing is None
    if existing is None:
        existing = EntryRow(id=data.id, contact_id=contact_id, **fields)
        db.add(existing)
    else:
        for name, value in fields.items():
            setattr(existing, name, value)
    existing.deleted = False
    existing.device_id = device_id
    changes.touch(existing)
    deltas: usage.Deltas = {}
    if old is not None:
        usage.count(deltas, old.decision_ids, old.date, -old.minutes)
    usage.count(deltas, data.decision_ids, data.date, data.minutes)
    usage.apply(db, deltas)
    if live:
        # Only a live entry has index rows (deleting one removes them).
        db.execute(delete(EntryDecision).where(EntryDecision.entry_id == data.id))
    db.flush()
    db.execute(
        insert(EntryDecision),
        [
            {
                "entry_id": data.id,
                "decision_id": decision_id,
                "contact_id": contact_id,
                "date": data.date,
                "minutes": data.minutes,
            }
            for decision_id in data.decision_ids
        ],
    )
    timesheets.relink(db, changes, entry=existing, keys=keys, before=before, known=targets)

    checked, findings = entry_findings(
        db,
        entry_id=data.id,
        old=old,
        new=stored_entry(existing),
        decisions=decisions,
        brand_new=brand_new,
    )
    found = reconcile(db, changes, checked=checked, findings=findings)
    politiattest = politiattest_flag(db, changes, contact_id)
    if politiattest is not None:
        found.append(politiattest)
    for decision in locked.values():
        changes.touch_usage(decision)
    changes.stamp(db)
    audit(db, actor, "upsert" if old else "create", "entry", data.id, device_id=device_id)
    return Applied(data.id, _collect_flags(changes, found))


def delete_entry(
    db: Session, *, settings: Settings, actor: Actor, entry_id: str, device_id: str | None
) -> Applied:
    """Delete (tombstone) the contact's entry; deleting twice is harmless."""
    contact_id = actor.contact_id
    if contact_id is None:
        raise ForbiddenError("Bare støttekontakter kan slette økter.")
    existing = db.get(EntryRow, entry_id)
    _owner_check(existing, contact_id)
    if existing is None or existing.deleted:
        return Applied(entry_id)
    locked = lock_decisions(db, existing.decision_ids)
    if reread_after_lock(db):
        existing = db.get(EntryRow, entry_id, populate_existing=True)
        assert existing is not None
    if existing.deleted:
        return Applied(entry_id)
    before = timesheets.timesheets_of_entry(db, entry_id)
    timesheets.refuse_locked(before)
    old = stored_entry(existing)
    changes = Changes()
    changes.reserve(db)
    existing.deleted = True
    existing.device_id = device_id
    changes.touch(existing)
    db.execute(delete(EntryDecision).where(EntryDecision.entry_id == entry_id))
    deltas: usage.Deltas = {}
    usage.count(deltas, old.decision_ids, old.date, -old.minutes)
    usage.apply(db, deltas)
    db.flush()
    timesheets.relink(db, changes, entry=existing, keys=[], before=before)
    decisions = decision_models(db, locked.values())
    checked, findings = entry_findings(
        db, entry_id=entry_id, old=old, new=None, decisions=decisions
    )
    found = reconcile(db, changes, checked=checked, findings=findings)
    for decision in locked.values():
        changes.touch_usage(decision)
    changes.stamp(db)
    audit(db, actor, "delete", "entry", entry_id, device_id=device_id)
    return Applied(entry_id, _collect_flags(changes, found))
