"""Timesheets: one per contact × decision × pay period, kept in step with entries.

Status runs open → signed → approved → exported, or → rejected and back to
open when corrected. The content hash is always the hash of what the sheet
lists now (models.canonical); a signature is valid only while it matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.approval import override_reasons
from models.canonical import content_hash
from models.payperiod import pay_period_of
from models.quota import minutes_to_hours
from models.rules import Problem
from models.schemas import (
    EntryData,
    FlagKind,
    FlagPublic,
    FlagStatus,
    Role,
    SignatureCreate,
    SignerRole,
    TimesheetStatus,
)
from models.text import period_text
from models.timesheets import CLOSED_TO_CONTACT, SIGNED_OFF
from server.config import Settings
from server.db import utcnow
from server.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from server.paging import Page, fetch_scalars, matching
from server.schemas import (
    EntryPublic,
    SignatureOut,
    TimesheetDetail,
    TimesheetSummary,
)
from server.services.changes import Changes
from server.services.common import Actor, audit, audit_read, new_id
from server.services.convert import StoredEntry, entry_model, flag_public, stored_entries
from server.services.flags import raise_flag
from server.services.locks import lock_decisions
from server.tables import (
    ContactRow,
    DecisionRow,
    EntryRow,
    FlagRow,
    RecipientRow,
    SignatureRow,
    TimesheetEntry,
    TimesheetRow,
)


def pay_period(settings: Settings, day: date) -> str:
    """The pay period (YYYY-MM) a day's entries are listed in."""
    return pay_period_of(day, settings.pay_cutoff_day)


_FIND = select(TimesheetRow).where(
    TimesheetRow.contact_id == bindparam("contact_id"),
    TimesheetRow.decision_id == bindparam("decision_id"),
    TimesheetRow.period == bindparam("period"),
)


def find(db: Session, *, contact_id: str, decision_id: str, period: str) -> TimesheetRow | None:
    params = {"contact_id": contact_id, "decision_id": decision_id, "period": period}
    return db.scalar(_FIND, params)


def get_or_create(
    db: Session, changes: Changes, *, contact_id: str, decision_id: str, period: str
) -> TimesheetRow:
    row = find(db, contact_id=contact_id, decision_id=decision_id, period=period)
    if row is None:
        row = TimesheetRow(
            id=new_id(),
            contact_id=contact_id,
            decision_id=decision_id,
            period=period,
            status=TimesheetStatus.open.value,
            content_hash="",
            total_minutes=0,
            total_km=Decimal("0.0"),
            total_expenses=Decimal("0.00"),
        )
        db.add(row)
        db.flush()
        changes.touch(row)
    return row


def linked_entries(db: Session, timesheet_id: str) -> list[EntryRow]:
    return list(
        db.scalars(
            select(EntryRow)
            .join(TimesheetEntry, TimesheetEntry.entry_id == EntryRow.id)
            .where(TimesheetEntry.timesheet_id == timesheet_id)
            .order_by(EntryRow.date, EntryRow.start, EntryRow.id)
        )
    )


def timesheets_of_entry(db: Session, entry_id: str) -> list[TimesheetRow]:
    return list(
        db.scalars(
            select(TimesheetRow)
            .join(TimesheetEntry, TimesheetEntry.timesheet_id == TimesheetRow.id)
            .where(TimesheetEntry.entry_id == entry_id)
        )
    )


def _sheet_entries(db: Session, timesheet_id: str) -> list[StoredEntry]:
    return stored_entries(
        db,
        TimesheetEntry.timesheet_id == timesheet_id,
        join=(TimesheetEntry, TimesheetEntry.entry_id == EntryRow.id),
    )


def current_hash(row: TimesheetRow, entries: Sequence[EntryData]) -> str:
    return content_hash(
        contact_id=row.contact_id,
        decision_id=row.decision_id,
        period=row.period,
        entries=entries,
    )


STALE = ""
"""`content_hash` of a sheet whose entries changed since it was last hashed."""


def fresh_hashes(db: Session, rows: Iterable[TimesheetRow]) -> None:
    """Hash the sheets among `rows` whose entries changed since they were hashed.

    The stored value is written only if the sheet did not change meanwhile
    (and, on PostgreSQL, is not being written right now); the caller commits.
    """
    for row in rows:
        if row.content_hash != STALE:
            continue
        value = current_hash(row, _sheet_entries(db, row.id))
        unchanged = select(TimesheetRow.id).where(
            TimesheetRow.id == row.id,
            TimesheetRow.seq == row.seq,
            TimesheetRow.content_hash == STALE,
        )
        if db.get_bind().dialect.name == "postgresql":
            # A reader never waits for a writer's row lock (nor deadlocks with
            # one): a sheet being written now is simply hashed again next time.
            unchanged = unchanged.with_for_update(skip_locked=True)
        db.execute(
            update(TimesheetRow)
            .where(TimesheetRow.id.in_(unchanged.scalar_subquery()))
            .values(content_hash=value)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(row, "content_hash", value)


# Built once (it runs for every entry change); see flags._MINUTES_ON.
_TOTALS = (
    select(
        func.count(EntryRow.id),
        func.sum(EntryRow.minutes),
        func.sum(EntryRow.total_km),
        func.sum(EntryRow.total_expenses),
    )
    .join(TimesheetEntry, TimesheetEntry.entry_id == EntryRow.id)
    .where(TimesheetEntry.timesheet_id == bindparam("timesheet_id"))
)


def refresh(db: Session, changes: Changes, row: TimesheetRow, *, entry_id: str) -> None:
    """Recompute totals (and mark the hash stale) after `entry_id` changed on the sheet.

    A signed sheet loses its signature and reopens with `changed_after_signing`;
    a rejected one reopens, since a correction is what rejection asked for.
    """
    count, minutes, km, expenses = db.execute(_TOTALS, {"timesheet_id": row.id}).one()
    if not count and row.status == TimesheetStatus.open.value:
        has_signatures = db.scalar(
            select(func.count())
            .select_from(SignatureRow)
            .where(SignatureRow.timesheet_id == row.id)
        )
        if not has_signatures:
            changes.tombstone(contact_id=row.contact_id, kind="timesheet", object_id=row.id)
            db.delete(row)
            return
    # The hash waits until someone reads it (fresh_hashes): a push of many
    # entries into one sheet would otherwise hash the whole sheet every time.
    row.content_hash = STALE
    row.total_minutes = int(minutes or 0)
    row.total_km = Decimal(km).quantize(Decimal("0.1")) if km is not None else Decimal("0.0")
    row.total_expenses = (
        Decimal(expenses).quantize(Decimal("0.01")) if expenses is not None else Decimal("0.00")
    )
    if row.status == TimesheetStatus.signed.value:
        signature_id = row.signature_id
        _void_signature(db, row)
        row.status = TimesheetStatus.open.value
        raise_flag(
            db,
            changes,
            kind=FlagKind.changed_after_signing,
            scope=f"changed_after_signing:{row.id}:{signature_id}",
            detail=(
                f"Timelisten for {period_text(row.period)} var signert, men en økt ble endret "
                "etterpå. Signaturen gjelder ikke lenger; timelisten må signeres på nytt."
            ),
            entry_ids=[entry_id],
            decision_id=row.decision_id,
            contact_id=row.contact_id,
            timesheet_id=row.id,
            period=row.period,
        )
    elif row.status == TimesheetStatus.rejected.value:
        row.status = TimesheetStatus.open.value
    changes.touch(row)


def _void_signature(db: Session, row: TimesheetRow) -> None:
    if row.signature_id:
        signature = db.get(SignatureRow, row.signature_id)
        if signature is not None:
            signature.void = True
    row.signature_id = None


def relink(
    db: Session,
    changes: Changes,
    *,
    entry: EntryRow,
    keys: Iterable[tuple[str, str]],
    before: Sequence[TimesheetRow],
    known: Sequence[TimesheetRow] = (),
) -> None:
    """Put the entry on the sheets for `keys` (decision, period), off all others.

    `before`: the sheets that list the entry now; `known`: sheets already read
    (so they are not looked up again).
    """
    cached = {(row.decision_id, row.period): row for row in [*before, *known]}
    targets = [
        cached.get((decision_id, period))
        or get_or_create(
            db, changes, contact_id=entry.contact_id, decision_id=decision_id, period=period
        )
        for decision_id, period in sorted(set(keys))
    ]
    target_ids = {row.id for row in targets}
    linked = {row.id for row in before}
    if linked - target_ids:
        db.execute(
            delete(TimesheetEntry).where(
                TimesheetEntry.entry_id == entry.id,
                TimesheetEntry.timesheet_id.in_(sorted(linked - target_ids)),
            )
        )
    db.flush()
    new_links = [
        {"timesheet_id": row.id, "entry_id": entry.id} for row in targets if row.id not in linked
    ]
    if new_links:
        db.execute(insert(TimesheetEntry), new_links)
    affected = {row.id: row for row in [*before, *targets]}
    for row in affected.values():
        refresh(db, changes, row, entry_id=entry.id)


def refuse_locked(rows: Iterable[TimesheetRow]) -> None:
    """Approved and exported sheets are read-only."""
    for row in rows:
        if row.status in SIGNED_OFF:
            raise ConflictError(
                f"Timelisten for {period_text(row.period)} er allerede godkjent og kan ikke "
                "endres. Ta kontakt med koordinator.",
                problems=[Problem("date", "Timelisten for denne perioden er godkjent.", "locked")],
            )


# --- signing, approval, rejection ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    timesheet: TimesheetRow
    flags: list[FlagRow]


def sign(
    db: Session,
    changes: Changes,
    *,
    actor: Actor,
    data: SignatureCreate,
    device_id: str,
) -> Signed:
    """Store a signature when its hash matches what the sheet lists now."""
    assert actor.contact_id is not None
    lock_decisions(db, [data.decision_id])
    row = find(db, contact_id=actor.contact_id, decision_id=data.decision_id, period=data.period)
    if row is None:
        raise InvalidError(
            "Det finnes ingen timeliste for dette vedtaket i denne perioden.",
            problems=[Problem("period", "Ingen timeliste for perioden.", "not_found")],
        )
    if row.status in CLOSED_TO_CONTACT:
        raise ConflictError(
            "Timelisten er allerede signert.",
            problems=[Problem("period", "Timelisten er allerede signert.", "already_signed")],
        )
    if row.status == TimesheetStatus.rejected.value:
        # Rejection asks for a correction: the same sheet signed again would pass
        # the same unchanged content back. An entry change reopens it (refresh).
        raise ConflictError(
            "Timelisten ble sendt tilbake av koordinator. Rett opp øktene den gjelder "
            "før den signeres på nytt.",
            problems=[
                Problem(
                    "period",
                    "Timelisten er sendt tilbake og må rettes før ny signering.",
                    "rejected",
                )
            ],
        )
    entries = _sheet_entries(db, row.id)
    if not entries:
        raise InvalidError(
            "Timelisten har ingen økter å signere.",
            problems=[Problem("period", "Timelisten er tom.")],
        )
    expected = current_hash(row, entries)
    if data.content_hash != expected:
        raise InvalidError(
            "Timelisten er endret siden den ble vist. Vis den på nytt og signer igjen.",
            problems=[
                Problem(
                    "content_hash",
                    "Signaturen gjelder en annen versjon av timelisten.",
                    "hash_mismatch",
                )
            ],
        )
    signature = SignatureRow(
        id=new_id(),
        timesheet_id=row.id,
        content_hash=expected,
        signer_name=data.signer_name,
        signer_role=data.signer_role.value,
        strokes=[[point.model_dump() for point in stroke] for stroke in data.strokes],
        signed_at=data.signed_at if data.signed_at.tzinfo else data.signed_at.replace(tzinfo=UTC),
        device_id=device_id,
        message=data.message,
    )
    db.add(signature)
    row.content_hash = expected
    row.status = TimesheetStatus.signed.value
    row.signature_id = signature.id
    row.reject_reason = None
    changes.touch(row)
    for stale in db.scalars(
        select(FlagRow).where(
            FlagRow.status == FlagStatus.open.value,
            FlagRow.kind == FlagKind.changed_after_signing.value,
            FlagRow.timesheet_id == row.id,
        )
    ):
        stale.status = FlagStatus.resolved.value
        stale.resolution_note = "Løst automatisk: timelisten er signert på nytt."
        stale.resolved_at = utcnow()
        changes.touch(stale)
    flags: list[FlagRow] = []
    if data.message:
        flags.append(
            raise_flag(
                db,
                changes,
                kind=FlagKind.feedback,
                scope=f"feedback:{signature.id}",
                detail=data.message,
                decision_id=row.decision_id,
                contact_id=row.contact_id,
                timesheet_id=row.id,
                period=row.period,
            )
        )
    audit(db, actor, "sign", "timesheet", row.id, signature_id=signature.id)
    return Signed(row, flags)


def blocking_flags(db: Session, row: TimesheetRow) -> list[FlagRow]:
    """Open flags that concern the sheet (feedback does not block approval)."""
    entry_ids = set(
        db.scalars(select(TimesheetEntry.entry_id).where(TimesheetEntry.timesheet_id == row.id))
    )
    candidates = db.scalars(
        select(FlagRow).where(
            FlagRow.status == FlagStatus.open.value,
            FlagRow.kind != FlagKind.feedback.value,
            (FlagRow.decision_id == row.decision_id)
            | (FlagRow.contact_id == row.contact_id)
            | (FlagRow.timesheet_id == row.id),
        )
    )
    result = []
    for flag in candidates:
        if (
            flag.timesheet_id == row.id
            or entry_ids.intersection(flag.entry_ids)
            or (
                flag.kind == FlagKind.missing_politiattest.value
                and flag.contact_id == row.contact_id
            )
        ):
            result.append(flag)
    return result


def _locked_row(db: Session, timesheet_id: str) -> TimesheetRow:
    row = db.get(TimesheetRow, timesheet_id)
    if row is None:
        raise NotFoundError("Timelisten finnes ikke.")
    lock_decisions(db, [row.decision_id])
    db.refresh(row)
    return row


def approve(
    db: Session,
    *,
    actor: Actor,
    timesheet_id: str,
    note: str | None,
    override_reason: str | None,
) -> TimesheetRow:
    """Approve a signed, unflagged sheet, or any open one with a written override."""
    row = _locked_row(db, timesheet_id)
    if row.status in SIGNED_OFF:
        raise ConflictError("Timelisten er allerede godkjent.")
    reasons = override_reasons(row.status, len(blocking_flags(db, row)))
    if reasons and not (override_reason and override_reason.strip()):
        because = " og ".join(reasons)
        raise ConflictError(
            f"Kan ikke godkjennes uten begrunnelse fordi {because}.",
            problems=[
                Problem("override_reason", "Skriv en begrunnelse for å overstyre.", "required")
            ],
        )
    changes = Changes()
    row.status = TimesheetStatus.approved.value
    row.approved_by = actor.user_id
    row.approved_at = utcnow()
    row.approval_note = note
    row.override_reason = override_reason if reasons else None
    changes.touch(row)
    changes.stamp(db)
    audit(
        db,
        actor,
        "approve",
        "timesheet",
        row.id,
        # The reason is free text (it may name people): it stays on the sheet,
        # and the audit view reads it from there (services.queue.list_audit).
        override=bool(reasons),
    )
    db.commit()
    return row


def reject(db: Session, *, actor: Actor, timesheet_id: str, reason: str) -> TimesheetRow:
    """Send a sheet back: it reopens and its signature no longer counts."""
    row = _locked_row(db, timesheet_id)
    if row.status in SIGNED_OFF:
        raise ConflictError("En godkjent timeliste kan ikke avvises.")
    changes = Changes()
    _void_signature(db, row)
    row.status = TimesheetStatus.rejected.value
    row.reject_reason = reason
    changes.touch(row)
    changes.stamp(db)
    audit(db, actor, "reject", "timesheet", row.id)
    db.commit()
    return row


# --- reading ------------------------------------------------------------------------


def entry_ids_by_sheet(db: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for timesheet_id, entry_id in db.execute(
            select(TimesheetEntry.timesheet_id, TimesheetEntry.entry_id)
            .where(TimesheetEntry.timesheet_id.in_(list(ids)))
            .order_by(TimesheetEntry.entry_id)
        ):
            result[timesheet_id].append(entry_id)
    return result


def summary(row: TimesheetRow, entry_ids: list[str], *, free_text: bool = True) -> TimesheetSummary:
    """`free_text=False` (payroll): reasons and notes are people's words, left out."""
    return TimesheetSummary(
        id=row.id,
        contact_id=row.contact_id,
        decision_id=row.decision_id,
        period=row.period,
        status=TimesheetStatus(row.status),
        content_hash=row.content_hash,
        total_hours=minutes_to_hours(row.total_minutes),
        total_km=row.total_km,
        total_expenses=row.total_expenses,
        reject_reason=row.reject_reason if free_text else None,
        override_reason=row.override_reason if free_text else None,
        overridden=bool(row.override_reason),
        entry_ids=entry_ids,
        signature_id=row.signature_id,
        approved_at=row.approved_at,
        approval_note=row.approval_note if free_text else None,
    )


def summaries(
    db: Session, rows: Sequence[TimesheetRow], *, free_text: bool = True
) -> list[TimesheetSummary]:
    fresh_hashes(db, rows)
    links = entry_ids_by_sheet(db, [row.id for row in rows])
    return [summary(row, links[row.id], free_text=free_text) for row in rows]


def _visible(actor: Actor, row: TimesheetRow) -> bool:
    if actor.role is Role.contact:
        return row.contact_id == actor.contact_id
    return actor.role in (Role.coordinator, Role.payroll)


def list_timesheets(
    db: Session,
    *,
    actor: Actor,
    period: str | None,
    status: TimesheetStatus | None,
    contact_id: str | None = None,
    decision_id: str | None = None,
    page: Page,
) -> tuple[list[TimesheetSummary], int]:
    """A page of sheets by period; the search looks in the contact's name and employee
    number, the case number, the period and (for the coordinator) the recipient's name."""
    stmt = select(TimesheetRow).order_by(
        TimesheetRow.period, TimesheetRow.contact_id, TimesheetRow.id
    )
    if actor.role is Role.contact:
        stmt = stmt.where(TimesheetRow.contact_id == actor.contact_id)
    elif contact_id:
        stmt = stmt.where(TimesheetRow.contact_id == contact_id)
    if period:
        stmt = stmt.where(TimesheetRow.period == period)
    if status:
        stmt = stmt.where(TimesheetRow.status == status.value)
    if decision_id:
        stmt = stmt.where(TimesheetRow.decision_id == decision_id)
    # Only the coordinator may read recipients' full names (payroll and contacts know
    # them by case number), so only the coordinator's search looks in them.
    names = (RecipientRow.name,) if actor.role is Role.coordinator else ()
    found = matching(
        page,
        ContactRow.name,
        ContactRow.employee_no,
        RecipientRow.case_no,
        *names,
        TimesheetRow.period,
    )
    if found is not None:
        stmt = (
            stmt.join(ContactRow, ContactRow.id == TimesheetRow.contact_id)
            .join(DecisionRow, DecisionRow.id == TimesheetRow.decision_id)
            .join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
            .where(found)
        )
    rows, count = fetch_scalars(db, stmt, page)
    fresh_hashes(db, rows)
    audit_read(db, actor, "timesheets", None, period=period, count=len(rows))
    db.commit()
    return summaries(db, rows, free_text=actor.role is not Role.payroll), count


def entry_public(row: EntryRow, *, with_notes: bool) -> EntryPublic:
    """`with_notes=False` (payroll): no note, activities, places or descriptions."""
    model = entry_model(row)
    trips = model.trips
    expenses = model.expenses
    if not with_notes:
        # Places and purposes of a drive can tell where someone lives or is treated.
        trips = [trip.model_copy(update={"from_": "", "to": "", "purpose": ""}) for trip in trips]
        expenses = [expense.model_copy(update={"description": ""}) for expense in expenses]
    return EntryPublic(
        id=row.id,
        contact_id=row.contact_id,
        decision_ids=list(row.decision_ids),
        date=row.date,
        start=row.start,
        end=row.end,
        minutes=row.minutes,
        activities=list(row.activities) if with_notes else [],
        note=row.note if with_notes else None,
        trips=trips,
        expenses=expenses,
        total_km=row.total_km,
        total_expenses=row.total_expenses,
        updated_at=row.updated_at,
    )


def detail(db: Session, *, actor: Actor, timesheet_id: str) -> TimesheetDetail:
    row = db.get(TimesheetRow, timesheet_id)
    if row is None or not _visible(actor, row):
        if row is not None and actor.role is Role.contact:
            raise ForbiddenError("Du har ikke tilgang til denne timelisten.")
        if row is None:
            raise NotFoundError("Timelisten finnes ikke.")
        raise ForbiddenError("Du har ikke tilgang til denne timelisten.")
    entries = linked_entries(db, row.id)
    with_notes = actor.role is not Role.payroll
    signature = db.get(SignatureRow, row.signature_id) if row.signature_id else None
    flags: list[FlagPublic] = []
    if actor.role is not Role.payroll:
        flags = [flag_public(flag) for flag in blocking_flags(db, row)]
    fresh_hashes(db, [row])
    audit_read(db, actor, "timesheet", row.id)
    db.commit()
    base = summary(row, [entry.id for entry in entries], free_text=with_notes)
    return TimesheetDetail(
        **base.model_dump(),
        entries=[entry_public(entry, with_notes=with_notes) for entry in entries],
        signature=(
            SignatureOut(
                id=signature.id,
                content_hash=signature.content_hash,
                signer_name=signature.signer_name if with_notes else "",
                signer_role=SignerRole(signature.signer_role),
                strokes=signature.strokes,
                signed_at=signature.signed_at,
                device_id=signature.device_id,
                # The signer's message is for the municipality (it may be a complaint).
                message=signature.message if actor.role is Role.coordinator else None,
            )
            if signature
            else None
        ),
        flags=flags,
    )
