"""Phones that go quiet (docs/rules.md §11 "Devices"): the office's list."""

from __future__ import annotations

from fastapi import APIRouter

from models.devices import DevicesAttentionPublic
from server.db import utcnow
from server.deps import Coordinator, DbDep, SettingsDep
from server.services import devices

router = APIRouter(prefix="/api/v1", tags=["office"])


@router.get("/devices/attention")
def devices_attention(
    actor: Coordinator, db: DbDep, settings: SettingsDep
) -> DevicesAttentionPublic:
    """Contacts whose phones hold a change unsent for more than `waiting_days`, or
    have not synced for `silent_days` while they have open timesheets."""
    data = devices.attention(
        db,
        actor=actor,
        now=utcnow(),
        waiting_days=settings.device_waiting_days,
        silent_days=settings.device_silent_days,
    )
    return DevicesAttentionPublic(
        data=data,
        count=len(data),
        waiting_days=settings.device_waiting_days,
        silent_days=settings.device_silent_days,
    )
