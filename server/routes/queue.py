"""Flags (coordinator) and the audit log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.schemas import FlagKind, FlagPublic, FlagStatus
from server.deps import Admin, Coordinator, DbDep
from server.schemas import AuditEventsPublic, FlagsPublic, ResolveRequest
from server.services import queue

router = APIRouter(prefix="/api/v1", tags=["flags", "audit"])


@router.get("/flags")
def list_flags(
    actor: Coordinator,
    db: DbDep,
    status: FlagStatus | None = None,
    kind: FlagKind | None = None,
    decision_id: str | None = None,
    contact_id: str | None = None,
) -> FlagsPublic:
    """The flag queue, oldest first."""
    data = queue.list_flags(
        db, actor=actor, status=status, kind=kind, decision_id=decision_id, contact_id=contact_id
    )
    return FlagsPublic(data=data, count=len(data))


@router.post("/flags/{flag_id}/resolve")
def resolve_flag(flag_id: str, body: ResolveRequest, actor: Coordinator, db: DbDep) -> FlagPublic:
    """Close a flag with a note on what was done."""
    return queue.resolve_flag(db, actor=actor, flag_id=flag_id, note=body.note)


@router.get("/audit")
def list_audit(
    actor: Admin,
    db: DbDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    object_type: str | None = None,
    user_id: str | None = None,
) -> AuditEventsPublic:
    """Audit events in order; page with `after_id` (the last id you got)."""
    data = queue.list_audit(
        db, actor=actor, after_id=after_id, limit=limit, object_type=object_type, user_id=user_id
    )
    return AuditEventsPublic(data=data, count=len(data))
