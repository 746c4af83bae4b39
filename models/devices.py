"""Phones that go quiet (docs/rules.md §11 "Devices"): what a device reports, and when the
office should look at its contact.

Every push and pull carries the device's count of unsent changes and the time
of the oldest one (`DeviceReport`); the server keeps the latest per device.
A contact needs attention when one of their devices has held a change unsent
for more than `waiting_days`, or when none of their devices has synced for
`silent_days` while they have open timesheets: nothing should wait unseen on a
phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.types import Instant

WAITING_DAYS = 5
SILENT_DAYS = 30
MAX_UNSENT = 1_000_000


class DeviceReport(BaseModel):
    """What a device tells the server about its outbox with each push and pull."""

    model_config = ConfigDict(extra="forbid")
    # Strict: `false` is not a count, whatever pydantic's lax mode would make of it.
    unsent: int = Field(ge=0, le=MAX_UNSENT, strict=True)
    oldest_unsent_at: Instant | None = None


class AttentionReason(StrEnum):
    waiting = "waiting"  # a change has waited on a phone for more than waiting_days
    silent = "silent"  # no sync for silent_days while timesheets are open


def attention_reasons(
    *,
    oldest_unsent_at: datetime | None,
    last_sync_at: datetime | None,
    open_timesheets: int,
    now: datetime,
    waiting_days: int = WAITING_DAYS,
    silent_days: int = SILENT_DAYS,
) -> list[AttentionReason]:
    """Why the office should look at a contact's phones; empty when all is well.

    `oldest_unsent_at` is the oldest unsent change any of their devices last
    reported, `last_sync_at` the last time any of them reached the server (None:
    never).
    """
    reasons = []
    if oldest_unsent_at is not None and oldest_unsent_at < now - timedelta(days=waiting_days):
        reasons.append(AttentionReason.waiting)
    if open_timesheets and (
        last_sync_at is None or last_sync_at < now - timedelta(days=silent_days)
    ):
        reasons.append(AttentionReason.silent)
    return reasons


class DeviceAttentionPublic(BaseModel):
    """A contact whose phones need a look, with what the devices last reported."""

    contact_id: str
    name: str
    employee_no: str
    reasons: list[AttentionReason]
    unsent: int  # summed over the contact's devices, as last reported
    oldest_unsent_at: datetime | None
    last_sync_at: datetime | None
    open_timesheets: int
    devices: int


class DevicesAttentionPublic(BaseModel):
    """Contacts needing a look, the longest-waiting first, and the settings used."""

    data: list[DeviceAttentionPublic]
    count: int
    waiting_days: int
    silent_days: int
