"""The coordinator's flag queue and the admin's audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.schemas import FlagKind, FlagPublic, FlagStatus
from server.db import utcnow
from server.errors import ConflictError, NotFoundError
from server.schemas import AuditEventPublic
from server.services.changes import Changes
from server.services.common import Actor, audit, audit_read
from server.services.convert import flag_public
from server.tables import AuditEvent, FlagRow, TimesheetRow


def list_flags(
    db: Session,
    *,
    actor: Actor,
    status: FlagStatus | None,
    kind: FlagKind | None,
    decision_id: str | None,
    contact_id: str | None,
) -> list[FlagPublic]:
    stmt = select(FlagRow).order_by(FlagRow.created_at, FlagRow.id)
    if status:
        stmt = stmt.where(FlagRow.status == status.value)
    if kind:
        stmt = stmt.where(FlagRow.kind == kind.value)
    if decision_id:
        stmt = stmt.where(FlagRow.decision_id == decision_id)
    if contact_id:
        stmt = stmt.where(FlagRow.contact_id == contact_id)
    rows = list(db.scalars(stmt))
    audit_read(db, actor, "flags", None, count=len(rows))
    db.commit()
    return [flag_public(row) for row in rows]


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
    limit: int,
    object_type: str | None,
    user_id: str | None,
) -> list[AuditEventPublic]:
    stmt = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id).limit(limit)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if user_id:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    rows = list(db.scalars(stmt))
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
    ]
