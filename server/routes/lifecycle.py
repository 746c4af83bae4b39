"""Vedtak that are about to end, and registering the next one (docs/rules.md §9)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.clock import today_in_oslo
from models.lifecycle import MAX_EXPIRING_DAYS, ExpiringDecisionsPublic, FollowOnCreate
from server.deps import Coordinator, DbDep, SettingsDep
from server.schemas import DecisionPublic
from server.services import lifecycle

router = APIRouter(prefix="/api/v1", tags=["office"])


@router.get("/decisions/expiring")
def expiring_decisions(
    actor: Coordinator,
    db: DbDep,
    settings: SettingsDep,
    days: Annotated[int | None, Query(ge=0, le=MAX_EXPIRING_DAYS)] = None,
) -> ExpiringDecisionsPublic:
    """Vedtak ending within `days` (default: the setting) that no later vedtak takes over."""
    window = settings.expiring_decision_days if days is None else days
    data = lifecycle.expiring_decisions(db, actor=actor, today=today_in_oslo(), days=window)
    return ExpiringDecisionsPublic(data=data, count=len(data), days=window)


@router.post(
    "/decisions/{decision_id}/follow-on",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "a later vedtak already takes over"}},
)
def follow_on_decision(
    decision_id: str, actor: Coordinator, db: DbDep, body: FollowOnCreate | None = None
) -> DecisionPublic:
    """Register the next vedtak for the same recipient, from the day after this one ends."""
    return lifecycle.follow_on_decision(
        db, actor=actor, decision_id=decision_id, data=body or FollowOnCreate()
    )
