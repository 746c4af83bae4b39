"""The coordinator's flag queue and the admin's audit log."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from models.flag_cards import FlagCardPublic, FlagCardSheet, card_key
from models.schemas import FlagKind, FlagPublic, FlagStatus, TimesheetStatus
from server.db import utcnow
from server.errors import ConflictError, NotFoundError
from server.paging import Columns, Page, fetch_scalars, matching
from server.schemas import AuditEventPublic
from server.services.changes import Changes
from server.services.common import Actor, audit, audit_read
from server.services.convert import flag_public
from server.tables import (
    AuditEvent,
    ContactRow,
    DecisionContact,
    DecisionRow,
    FlagRow,
    RecipientRow,
    TimesheetEntry,
    TimesheetRow,
    User,
)


def _flag_filters(
    stmt: Select[*Columns],
    *,
    status: FlagStatus | None,
    kind: FlagKind | None,
    decision_id: str | None = None,
    contact_id: str | None = None,
) -> Select[*Columns]:
    if status:
        stmt = stmt.where(FlagRow.status == status.value)
    if kind:
        stmt = stmt.where(FlagRow.kind == kind.value)
    if decision_id:
        stmt = stmt.where(FlagRow.decision_id == decision_id)
    if contact_id:
        stmt = stmt.where(FlagRow.contact_id == contact_id)
    return stmt


def _searched(stmt: Select[*Columns], page: Page) -> Select[*Columns]:
    """Flags whose text, vedtak (recipient, case number, group) or contact match the search.

    A flag on a vedtak (overuse, say) names no contact itself: the contacts
    assigned to the vedtak are searched too, so a contact's name finds it.
    """
    named = aliased(ContactRow)
    assigned = aliased(ContactRow)
    found = matching(
        page,
        FlagRow.detail,
        FlagRow.period,
        RecipientRow.name,
        RecipientRow.case_no,
        DecisionRow.group_id,
        named.name,
        named.employee_no,
        assigned.name,
        assigned.employee_no,
    )
    if found is None:
        return stmt
    hits = (
        select(FlagRow.id)
        .outerjoin(DecisionRow, DecisionRow.id == FlagRow.decision_id)
        .outerjoin(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
        .outerjoin(named, named.id == FlagRow.contact_id)
        .outerjoin(DecisionContact, DecisionContact.decision_id == FlagRow.decision_id)
        .outerjoin(assigned, assigned.id == DecisionContact.contact_id)
        .where(found)
    )
    return stmt.where(FlagRow.id.in_(hits))


def list_flags(
    db: Session,
    *,
    actor: Actor,
    status: FlagStatus | None,
    kind: FlagKind | None,
    decision_id: str | None,
    contact_id: str | None,
    page: Page,
) -> tuple[list[FlagPublic], int]:
    """A page of flags, oldest first (see `_searched` for what the search looks in)."""
    stmt = _flag_filters(
        select(FlagRow).order_by(FlagRow.created_at, FlagRow.id),
        status=status,
        kind=kind,
        decision_id=decision_id,
        contact_id=contact_id,
    )
    rows, count = fetch_scalars(db, _searched(stmt, page), page)
    audit_read(db, actor, "flags", None, count=len(rows))
    db.commit()
    return [flag_public(row) for row in rows], count


def list_flag_cards(
    db: Session,
    *,
    actor: Actor,
    status: FlagStatus | None,
    kind: FlagKind | None,
    page: Page,
) -> tuple[list[FlagCardPublic], int]:
    """A page of the queue's cards (models.flag_cards), the newest matter first.

    The cards are formed from the few columns of every flag the filters let
    through, so a group's card is whole on its page; a card is shown when any
    of its flags matches the search. Only the page's flags are read in full.
    """
    filtered = _flag_filters(
        select(FlagRow.id, FlagRow.kind, FlagRow.period, FlagRow.created_at, DecisionRow.group_id)
        .outerjoin(DecisionRow, DecisionRow.id == FlagRow.decision_id)
        .order_by(FlagRow.created_at, FlagRow.id),
        status=status,
        kind=kind,
    )
    members: dict[str, list[str]] = {}
    groups: dict[str, str | None] = {}
    for flag_id, flag_kind, period, _created, group_id in db.execute(filtered):
        key = card_key(flag_id=flag_id, kind=FlagKind(flag_kind), group_id=group_id, period=period)
        members.setdefault(key, []).append(flag_id)
        groups[key] = group_id
    # Newest first, by when each matter arose (its first flag): what came in since
    # the coordinator last looked is on the first page.
    keys = list(reversed(members))
    if page.q:
        candidates = _flag_filters(select(FlagRow.id), status=status, kind=kind)
        hits = set(db.scalars(_searched(candidates, page)))
        keys = [key for key in keys if hits.intersection(members[key])]
    shown = keys[page.offset : page.offset + page.limit]
    ids = [flag_id for key in shown for flag_id in members[key]]
    rows = {row.id: row for row in db.scalars(select(FlagRow).where(FlagRow.id.in_(ids)))}
    cards = [
        FlagCardPublic(
            key=key,
            kind=FlagKind(rows[members[key][0]].kind),
            period=rows[members[key][0]].period,
            group_id=groups[key],
            created_at=rows[members[key][0]].created_at,
            flags=[flag_public(rows[flag_id]) for flag_id in members[key]],
        )
        for key in shown
    ]
    _add_sheets_and_labels(db, cards)
    audit_read(db, actor, "flags", None, count=len(ids))
    db.commit()
    return cards, len(keys)


def _add_sheets_and_labels(db: Session, cards: list[FlagCardPublic]) -> None:
    """Each card's timesheets (where its entries are; for a flag without entries, its
    vedtak's sheet of the period, or the contact's sheets not yet approved) and names."""
    entry_ids = sorted({entry for card in cards for entry in card.entry_ids})
    by_entry: dict[str, set[str]] = {}
    if entry_ids:
        for sheet_id, entry_id in db.execute(
            select(TimesheetEntry.timesheet_id, TimesheetEntry.entry_id).where(
                TimesheetEntry.entry_id.in_(entry_ids)
            )
        ):
            by_entry.setdefault(entry_id, set()).add(sheet_id)
    wanted: dict[str, set[str]] = {}
    for card in cards:
        sheet_ids = {sheet for entry in card.entry_ids for sheet in by_entry.get(entry, ())}
        if not sheet_ids:
            for flag in card.flags:
                if flag.decision_id and flag.period:
                    sheet_ids |= set(
                        db.scalars(
                            select(TimesheetRow.id).where(
                                TimesheetRow.decision_id == flag.decision_id,
                                TimesheetRow.period == flag.period,
                            )
                        )
                    )
                elif flag.contact_id and not flag.entry_ids:
                    # A flag about the contact (politiattest): the sheets still to approve.
                    sheet_ids |= set(
                        db.scalars(
                            select(TimesheetRow.id).where(
                                TimesheetRow.contact_id == flag.contact_id,
                                TimesheetRow.status.not_in(
                                    [TimesheetStatus.approved.value, TimesheetStatus.exported.value]
                                ),
                            )
                        )
                    )
        wanted[card.key] = sheet_ids
    all_sheets = sorted({sheet for ids in wanted.values() for sheet in ids})
    sheets = {
        row.id: row
        for row in (
            db.scalars(select(TimesheetRow).where(TimesheetRow.id.in_(all_sheets)))
            if all_sheets
            else ()
        )
    }
    decision_ids: set[str] = set()
    contact_ids: set[str] = set()
    for card in cards:
        card.sheets = [
            FlagCardSheet(
                id=row.id,
                period=row.period,
                status=TimesheetStatus(row.status),
                contact_id=row.contact_id,
                decision_id=row.decision_id,
            )
            for row in sorted(
                (sheets[sheet_id] for sheet_id in wanted[card.key]),
                key=lambda row: (row.period, row.decision_id, row.contact_id, row.id),
            )
        ]
        decision_ids |= {f.decision_id for f in card.flags if f.decision_id}
        decision_ids |= {sheet.decision_id for sheet in card.sheets}
        contact_ids |= set(card.contact_ids)
    labels = _decision_labels(db, sorted(decision_ids)) | _contact_labels(db, sorted(contact_ids))
    for card in cards:
        mentioned = {f.decision_id for f in card.flags if f.decision_id}
        mentioned |= {sheet.decision_id for sheet in card.sheets} | set(card.contact_ids)
        card.labels = {key: labels[key] for key in sorted(mentioned) if key in labels}


def _decision_labels(db: Session, ids: list[str]) -> dict[str, str]:
    """'Kari Nordmann (SAK-1)' for each vedtak: whom it is for."""
    if not ids:
        return {}
    found = db.execute(
        select(DecisionRow.id, RecipientRow.name, RecipientRow.case_no)
        .join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
        .where(DecisionRow.id.in_(ids))
    )
    return {decision_id: f"{name} ({case_no})" for decision_id, name, case_no in found}


def _contact_labels(db: Session, ids: list[str]) -> dict[str, str]:
    """'Bjørn Berg (1002)' for each contact: name and employee number."""
    if not ids:
        return {}
    found = db.execute(
        select(ContactRow.id, ContactRow.name, ContactRow.employee_no).where(ContactRow.id.in_(ids))
    )
    return {contact_id: f"{name} ({number})" for contact_id, name, number in found}


def resolve_flag(db: Session, *, actor: Actor, flag_id: str, note: str) -> FlagPublic:
    row = db.get(FlagRow, flag_id)
    if row is None:
        raise NotFoundError("Avviket finnes ikke.")
    if row.status != FlagStatus.open.value:
        raise ConflictError("Avviket er allerede løst.")
    changes = Changes()
    row.status = FlagStatus.resolved.value
    row.resolution_note = note
    row.resolved_at = utcnow()
    row.resolved_by = actor.user_id
    changes.touch(row)
    changes.stamp(db)
    audit(db, actor, "resolve", "flag", row.id)
    db.commit()
    return flag_public(row)


def list_audit(
    db: Session,
    *,
    actor: Actor,
    after_id: int,
    offset: int = 0,
    limit: int,
    newest_first: bool = False,
    q: str | None = None,
    object_type: str | None,
    user_id: str | None,
) -> tuple[list[AuditEventPublic], int]:
    """Events in order of id (newest first if asked) and the number of all that match.

    The search looks in the action, the kind and id of the object and the
    username of who did it (the log holds no names of the people served).
    """
    stmt = select(AuditEvent).where(AuditEvent.id > after_id)
    stmt = stmt.order_by(AuditEvent.id.desc() if newest_first else AuditEvent.id)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if user_id:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    searched = matching(
        Page(q=q),
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.role,
        User.username,
    )
    if searched is not None:
        stmt = stmt.outerjoin(User, User.id == AuditEvent.user_id).where(searched)
    rows, count = fetch_scalars(db, stmt, Page(q=q, offset=offset, limit=limit))
    # The audit log holds no free text; an override's written reason is shown
    # from the timesheet it was given on.
    overridden = sorted(
        {
            row.object_id
            for row in rows
            if row.object_type == "timesheet"
            and row.action == "approve"
            and row.object_id
            and (row.detail or {}).get("override")
        }
    )
    reasons: dict[str, str | None] = {}
    if overridden:
        found = db.execute(
            select(TimesheetRow.id, TimesheetRow.override_reason).where(
                TimesheetRow.id.in_(overridden)
            )
        )
        reasons = {sheet_id: reason for sheet_id, reason in found}
    return [
        AuditEventPublic(
            id=row.id,
            at=row.at,
            user_id=row.user_id,
            role=row.role,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            detail=(
                {**row.detail, "override_reason": reasons.get(row.object_id)}
                if row.object_id in reasons
                else row.detail
            ),
        )
        for row in rows
    ], count
