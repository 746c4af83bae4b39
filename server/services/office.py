"""Contacts, recipients and decisions: what the office registers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.flags import outside_decision
from models.rules import Problem
from models.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    ContractType,
    DecisionCreate,
    DecisionUpdate,
    FlagKind,
    FlagStatus,
    Guardian,
    RecipientCreate,
    RecipientForContact,
    RecipientPublic,
    Role,
    display_name,
)
from server.config import Settings
from server.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from server.paging import Page, fetch, fetch_scalars, matching
from server.schemas import DecisionPublic, PeriodUsagePublic, UsagePublic
from server.services import usage
from server.services.auth import create_user
from server.services.changes import Changes
from server.services.common import Actor, audit, audit_read, new_id
from server.services.convert import contact_ids_of, decision_model
from server.services.flags import entries_on_decision, period_findings, reconcile, resolve_scope
from server.services.locks import lock_decisions
from server.tables import (
    ContactRow,
    DecisionContact,
    DecisionRow,
    EntryDecision,
    FlagRow,
    RecipientRow,
    User,
)

# --- contacts -----------------------------------------------------------------------


def contact_public(row: ContactRow, username: str) -> ContactPublic:
    return ContactPublic(
        id=row.id,
        username=username,
        name=row.name,
        employee_no=row.employee_no,
        contract_type=ContractType(row.contract_type),
        politiattest_date=row.politiattest_date,
        hourly_rate=row.hourly_rate,
    )


def _username(db: Session, contact_id: str) -> str:
    return db.scalar(select(User.username).where(User.contact_id == contact_id)) or ""


def create_contact(
    db: Session, *, settings: Settings, actor: Actor, data: ContactCreate
) -> ContactPublic:
    if db.scalar(select(ContactRow.id).where(ContactRow.employee_no == data.employee_no)):
        raise ConflictError(TAKEN_EMPLOYEE_NO.message, problems=[TAKEN_EMPLOYEE_NO])
    changes = Changes()
    row = ContactRow(
        id=new_id(),
        name=data.name,
        employee_no=data.employee_no,
        contract_type=data.contract_type.value,
        politiattest_date=data.politiattest_date,
        hourly_rate=data.hourly_rate,
    )
    db.add(row)
    _flush(db, TAKEN_EMPLOYEE_NO)
    try:
        create_user(
            db,
            settings=settings,
            username=data.username,
            password=data.password,
            role=Role.contact,
            contact_id=row.id,
            actor=actor,
        )
    except ConflictError:
        db.rollback()
        raise ConflictError(
            "Brukernavnet er allerede i bruk.",
            problems=[Problem("username", "Brukernavnet er allerede i bruk.", "taken")],
        ) from None
    changes.touch(row)
    changes.stamp(db)
    audit(db, actor, "create", "contact", row.id)
    _commit(db)
    return contact_public(row, data.username)


TAKEN_EMPLOYEE_NO = Problem("employee_no", "Ansattnummeret er allerede i bruk.", "taken")
TAKEN_CASE_NO = Problem("case_no", "Saksnummeret er allerede registrert.", "taken")


def _flush(db: Session, taken: Problem) -> None:
    """Write pending rows now, so a unique clash lost to a concurrent request is a 409.

    Left to autoflush (inside `Changes.stamp`, say) the IntegrityError would
    escape as a 500, and its text carries the row's values.
    """
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ConflictError(taken.message, problems=[taken]) from None


def _commit(db: Session) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ConflictError("Dataene kolliderer med noe som allerede er registrert.") from None


def list_contacts(db: Session, *, actor: Actor, page: Page) -> tuple[list[ContactPublic], int]:
    """A page of contacts by name; the search looks in name, employee number and username."""
    stmt = select(ContactRow, User.username).join(User, User.contact_id == ContactRow.id)
    found = matching(page, ContactRow.name, ContactRow.employee_no, User.username)
    if found is not None:
        stmt = stmt.where(found)
    rows, count = fetch(db, stmt.order_by(ContactRow.name, ContactRow.id), page)
    audit(db, actor, "read", "contacts", None, count=len(rows))
    db.commit()
    return [contact_public(row, username) for row, username in rows], count


def get_contact(db: Session, *, actor: Actor, contact_id: str) -> ContactPublic:
    if actor.role is Role.contact and actor.contact_id != contact_id:
        raise ForbiddenError("Du har ikke tilgang til denne støttekontakten.")
    row = db.get(ContactRow, contact_id)
    if row is None:
        raise NotFoundError("Støttekontakten finnes ikke.")
    if actor.role is not Role.contact:
        audit(db, actor, "read", "contact", contact_id)
        db.commit()
    return contact_public(row, _username(db, contact_id))


def update_contact(
    db: Session, *, actor: Actor, contact_id: str, data: ContactUpdate
) -> ContactPublic:
    row = db.get(ContactRow, contact_id)
    if row is None:
        raise NotFoundError("Støttekontakten finnes ikke.")
    changes = Changes()
    fields = data.model_dump(exclude_unset=True)
    for name, value in fields.items():
        setattr(row, name, value.value if isinstance(value, ContractType) else value)
    if row.politiattest_date is not None:
        resolve_scope(
            db,
            changes,
            scope=f"missing_politiattest:{contact_id}",
            note="Løst automatisk: politiattest er registrert.",
            by=actor.user_id,
        )
    changes.touch(row)
    changes.stamp(db)
    audit(db, actor, "update", "contact", contact_id, fields=sorted(fields))
    _commit(db)
    return contact_public(row, _username(db, contact_id))


# --- recipients ---------------------------------------------------------------------


def recipient_public(row: RecipientRow) -> RecipientPublic:
    return RecipientPublic(
        id=row.id,
        name=row.name,
        case_no=row.case_no,
        birth_date=row.birth_date,
        guardians=[Guardian.model_validate(g) for g in row.guardians],
    )


def recipient_for_contact(row: RecipientRow) -> RecipientForContact:
    return RecipientForContact(id=row.id, display_name=display_name(row.name), case_no=row.case_no)


def create_recipient(db: Session, *, actor: Actor, data: RecipientCreate) -> RecipientPublic:
    if db.scalar(select(RecipientRow.id).where(RecipientRow.case_no == data.case_no)):
        raise ConflictError(TAKEN_CASE_NO.message, problems=[TAKEN_CASE_NO])
    changes = Changes()
    row = RecipientRow(
        id=new_id(),
        name=data.name,
        case_no=data.case_no,
        birth_date=data.birth_date,
        guardians=[g.model_dump() for g in data.guardians],
    )
    db.add(row)
    _flush(db, TAKEN_CASE_NO)
    changes.touch(row)
    changes.stamp(db)
    audit(db, actor, "create", "recipient", row.id)
    _commit(db)
    return recipient_public(row)


def list_recipients(db: Session, *, actor: Actor, page: Page) -> tuple[list[RecipientPublic], int]:
    """A page of recipients by name; the search looks in name and case number."""
    stmt = select(RecipientRow)
    found = matching(page, RecipientRow.name, RecipientRow.case_no)
    if found is not None:
        stmt = stmt.where(found)
    rows, count = fetch_scalars(db, stmt.order_by(RecipientRow.name, RecipientRow.id), page)
    audit_read(db, actor, "recipients", None, ids=[row.id for row in rows], searched=bool(page.q))
    db.commit()
    return [recipient_public(row) for row in rows], count


def get_recipient(db: Session, *, actor: Actor, recipient_id: str) -> RecipientPublic:
    row = db.get(RecipientRow, recipient_id)
    if row is None:
        raise NotFoundError("Tjenestemottakeren finnes ikke.")
    audit_read(db, actor, "recipient", recipient_id)
    db.commit()
    return recipient_public(row)


# --- decisions -----------------------------------------------------------------------


def _check_contacts(db: Session, contact_ids: Sequence[str]) -> None:
    found = set(db.scalars(select(ContactRow.id).where(ContactRow.id.in_(list(contact_ids)))))
    missing = [cid for cid in contact_ids if cid not in found]
    if missing:
        raise InvalidError(
            "En eller flere støttekontakter finnes ikke.",
            problems=[Problem("contact_ids", "Støttekontakten finnes ikke.", "not_found")],
        )


def decision_public(db: Session, row: DecisionRow, contact_ids: list[str]) -> DecisionPublic:
    case_no = db.scalar(select(RecipientRow.case_no).where(RecipientRow.id == row.recipient_id))
    return DecisionPublic(**decision_model(row, contact_ids).model_dump(), case_no=case_no or "")


def create_decision(db: Session, *, actor: Actor, data: DecisionCreate) -> DecisionPublic:
    if db.get(RecipientRow, data.recipient_id) is None:
        raise InvalidError(
            "Tjenestemottakeren finnes ikke.",
            problems=[Problem("recipient_id", "Tjenestemottakeren finnes ikke.", "not_found")],
        )
    _check_contacts(db, data.contact_ids)
    changes = Changes()
    row = DecisionRow(
        id=new_id(),
        recipient_id=data.recipient_id,
        kind=data.kind.value,
        hours=data.hours,
        per=data.per.value,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        km_per_month=data.km_per_month,
        group_id=data.group_id,
    )
    db.add(row)
    db.flush()
    contact_ids = sorted(set(data.contact_ids))
    for contact_id in contact_ids:
        db.add(DecisionContact(decision_id=row.id, contact_id=contact_id))
    changes.touch(row)
    changes.touch_usage(row)
    changes.stamp(db)
    audit(db, actor, "create", "decision", row.id, contact_ids=contact_ids)
    _commit(db)
    return decision_public(db, row, contact_ids)


def update_decision(
    db: Session, *, actor: Actor, decision_id: str, data: DecisionUpdate
) -> DecisionPublic:
    """Change terms or assignments; quota and km flags are re-checked for every period."""
    locked = lock_decisions(db, [decision_id])
    row = locked.get(decision_id)
    if row is None:
        raise NotFoundError("Vedtaket finnes ikke.")
    fields = data.model_dump(exclude_unset=True)
    changes = Changes()
    for name in ("hours", "valid_to", "km_per_month"):
        if name in fields:
            setattr(row, name, fields[name])
    if row.valid_to < row.valid_from:
        raise InvalidError(
            "Vedtaket må slutte samme dag som eller etter at det begynner.",
            problems=[Problem("valid_to", "Sluttdatoen er før startdatoen.")],
        )
    current = contact_ids_of(db, [decision_id]).get(decision_id, [])
    contact_ids = current
    if data.contact_ids is not None:
        contact_ids = sorted(set(data.contact_ids))
        _check_contacts(db, contact_ids)
        for removed in set(current) - set(contact_ids):
            db.execute(
                delete(DecisionContact).where(
                    DecisionContact.decision_id == decision_id,
                    DecisionContact.contact_id == removed,
                )
            )
            changes.tombstone(contact_id=removed, kind="decision", object_id=decision_id)
        for added in set(contact_ids) - set(current):
            db.add(DecisionContact(decision_id=decision_id, contact_id=added))
    db.flush()
    decision = decision_model(row, contact_ids)
    days = set(
        db.scalars(select(EntryDecision.date).where(EntryDecision.decision_id == decision_id))
    )
    checked, findings = period_findings(db, decision, days)
    # Every open flag the change can settle is re-checked: entries dated outside
    # a changed vedtak one by one, and quota and km periods the vedtak no longer
    # covers (period_findings sees only periods it covers now, so a stale
    # overuse there would otherwise stay open for ever).
    rechecked = (FlagKind.outside_decision, FlagKind.overuse, FlagKind.km_over_allowance)
    checked |= set(
        db.scalars(
            select(FlagRow.scope).where(
                FlagRow.status == FlagStatus.open.value,
                FlagRow.kind.in_([kind.value for kind in rechecked]),
                FlagRow.decision_id == decision_id,
            )
        )
    )
    for entry in entries_on_decision(db, decision_id, date.min, date.max):
        found = outside_decision(decision_id, decision, entry)
        if found:
            findings.append(found)
            checked.add(found.scope)
    reconcile(
        db, changes, checked=checked, findings=findings, note="Løst automatisk: vedtaket er endret."
    )
    changes.touch(row)
    changes.touch_usage(row)
    changes.stamp(db)
    audit(db, actor, "update", "decision", decision_id, fields=sorted(fields))
    _commit(db)
    return decision_public(db, row, contact_ids)


def _assigned(db: Session, actor: Actor, decision_id: str) -> bool:
    return (
        db.scalar(
            select(DecisionContact.contact_id).where(
                DecisionContact.decision_id == decision_id,
                DecisionContact.contact_id == actor.contact_id,
            )
        )
        is not None
    )


def list_decisions(
    db: Session,
    *,
    actor: Actor,
    recipient_id: str | None,
    contact_id: str | None,
    page: Page,
) -> tuple[list[DecisionPublic], int]:
    """A page of decisions, oldest start first; the search looks in the recipient's name and
    case number and the group id."""
    stmt = select(DecisionRow).order_by(DecisionRow.valid_from, DecisionRow.id)
    if actor.role is Role.contact:
        contact_id = actor.contact_id
    if recipient_id:
        stmt = stmt.where(DecisionRow.recipient_id == recipient_id)
    if contact_id:
        stmt = stmt.where(
            DecisionRow.id.in_(
                select(DecisionContact.decision_id).where(DecisionContact.contact_id == contact_id)
            )
        )
    # A contact knows recipients by first name and initial only: searching full
    # names would let them find out more than that.
    names = () if actor.role is Role.contact else (RecipientRow.name,)
    found = matching(page, *names, RecipientRow.case_no, DecisionRow.group_id)
    if found is not None:
        stmt = stmt.join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id).where(found)
    rows, count = fetch_scalars(db, stmt, page)
    audit_read(db, actor, "decisions", None, count=len(rows))
    db.commit()
    contacts = contact_ids_of(db, [row.id for row in rows])
    return [decision_public(db, row, contacts.get(row.id, [])) for row in rows], count


def get_decision(db: Session, *, actor: Actor, decision_id: str) -> DecisionPublic:
    row = db.get(DecisionRow, decision_id)
    if row is None:
        raise NotFoundError("Vedtaket finnes ikke.")
    if actor.role is Role.contact and not _assigned(db, actor, decision_id):
        raise ForbiddenError("Du er ikke tildelt dette vedtaket.")
    audit_read(db, actor, "decision", decision_id)
    db.commit()
    return decision_public(db, row, contact_ids_of(db, [decision_id]).get(decision_id, []))


def usage_of(db: Session, row: DecisionRow, contact_ids: list[str]) -> UsagePublic:
    """Usage in every period, from the kept day minutes (services.usage), not the entries."""
    decision = decision_model(row, contact_ids)
    periods = usage.usage_by_period(db, row.id, decision)
    return UsagePublic(
        decision_id=row.id,
        periods=[PeriodUsagePublic.of(period) for period in periods],
    )


def decision_usage(db: Session, *, actor: Actor, decision_id: str) -> UsagePublic:
    row = db.get(DecisionRow, decision_id)
    if row is None:
        raise NotFoundError("Vedtaket finnes ikke.")
    if actor.role is Role.contact and not _assigned(db, actor, decision_id):
        raise ForbiddenError("Du er ikke tildelt dette vedtaket.")
    audit_read(db, actor, "decision_usage", decision_id)
    db.commit()
    return usage_of(db, row, contact_ids_of(db, [decision_id]).get(decision_id, []))
