"""Small pieces every service uses: who is acting, ids, the change sequence, audit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from models.schemas import Role
from server.db import utcnow
from server.tables import AuditEvent, ChangeSequence


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user a request acts for."""

    user_id: str
    role: Role
    contact_id: str | None = None
    token_id: str | None = None


def new_id() -> str:
    return str(uuid.uuid4())


def next_seq(db: Session) -> int:
    """The next change sequence number; the row stays locked until commit.

    Call it once per transaction, as late as convenient: it serializes commits,
    which is what keeps pull cursors gap-free.
    """
    return int(db.execute(_NEXT_SEQ).scalar_one())


# Built once: every change runs these.
_NEXT_SEQ = (
    update(ChangeSequence)
    .where(ChangeSequence.id == 1)
    .values(value=ChangeSequence.value + 1)
    .returning(ChangeSequence.value)
)
_AUDIT = insert(AuditEvent)


def audit(
    db: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str | None = None,
    **detail: Any,
) -> None:
    """Append an audit event. `detail` holds ids and field names, never names of people."""
    # A plain INSERT: the event is never read back in the same transaction.
    db.execute(
        _AUDIT,
        {
            "at": utcnow(),
            "user_id": actor.user_id if actor else None,
            "role": actor.role.value if actor else None,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "detail": detail,
        },
    )


def audit_read(
    db: Session, actor: Actor, object_type: str, object_id: str | None = None, **detail: Any
) -> None:
    """Reads of recipients' data by the office are audited; a contact's own reads are not."""
    if actor.role in (Role.coordinator, Role.payroll):
        audit(db, actor, "read", object_type, object_id, **detail)
