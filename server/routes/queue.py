"""Flags (coordinator) and the audit log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.flag_cards import FlagCardsPublic
from models.schemas import FlagKind, FlagPublic, FlagStatus
from server.deps import Admin, Coordinator, DbDep
from server.paging import MAX_OFFSET, MAX_QUERY, PageDep, listed
from server.schemas import AuditEventsPublic, FlagsPublic, ResolveRequest
from server.services import queue

router = APIRouter(prefix="/api/v1", tags=["flags", "audit"])


@router.get("/flags")
def list_flags(
    actor: Coordinator,
    db: DbDep,
    page: PageDep,
    status: FlagStatus | None = None,
    kind: FlagKind | None = None,
    decision_id: str | None = None,
    contact_id: str | None = None,
) -> FlagsPublic:
    """The flags, oldest first, a page at a time. `q` looks in the flag's text and period,
    its vedtak (recipient's name, case number, group id) and its contacts (named, or
    assigned to the vedtak); `count` is the number of all matches."""
    return listed(
        FlagsPublic,
        queue.list_flags(
            db,
            actor=actor,
            status=status,
            kind=kind,
            decision_id=decision_id,
            contact_id=contact_id,
            page=page,
        ),
    )


@router.get("/flags/cards")
def list_flag_cards(
    actor: Coordinator,
    db: DbDep,
    page: PageDep,
    status: FlagStatus | None = None,
    kind: FlagKind | None = None,
) -> FlagCardsPublic:
    """The flag queue as the coordinator reads it: one card per matter, newest first, a page
    of cards at a time. The overuse flags that one group's sessions raise on each
    participant's vedtak share a card per group and quota period; every other flag is a
    card of its own. Each card lists the timesheets its entries are on and names the
    vedtak and contacts it mentions. `q` as for `GET /flags` (a card is shown when any of
    its flags matches); `count` is the number of all matching cards."""
    return listed(
        FlagCardsPublic, queue.list_flag_cards(db, actor=actor, status=status, kind=kind, page=page)
    )


@router.post("/flags/{flag_id}/resolve")
def resolve_flag(flag_id: str, body: ResolveRequest, actor: Coordinator, db: DbDep) -> FlagPublic:
    """Close a flag with a note on what was done."""
    return queue.resolve_flag(db, actor=actor, flag_id=flag_id, note=body.note)


@router.get("/audit")
def list_audit(
    actor: Admin,
    db: DbDep,
    after_id: Annotated[int, Query(ge=0, description="Only events after this id.")] = 0,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Matches to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000, description="Most events in the answer.")] = 1000,
    newest_first: Annotated[bool, Query(description="Newest event first.")] = False,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY,
            description="Words to look for in the action, the object's kind and id, and the "
            "username of who did it.",
        ),
    ] = None,
    object_type: str | None = None,
    user_id: str | None = None,
) -> AuditEventsPublic:
    """Audit events in order of id; page with `after_id` (the last id you got) or with
    `offset`; `count` is the number of all events that match."""
    return listed(
        AuditEventsPublic,
        queue.list_audit(
            db,
            actor=actor,
            after_id=after_id,
            offset=offset,
            limit=limit,
            newest_first=newest_first,
            q=(q or "").strip() or None,
            object_type=object_type,
            user_id=user_id,
        ),
    )
