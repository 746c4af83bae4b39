"""Telefoner som bør sjekkes (`mobile/office/devices.py`): contacts whose phones hold
changes too long, or have gone quiet while they have open timesheets.

The rule lives in `models.devices`; the server applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile import fmt
from mobile.office.api import OfficeApi
from mobile.office.state.common import Desk
from models.clock import OSLO
from models.devices import AttentionReason, DeviceAttentionPublic


def _day(moment: datetime) -> str:
    return fmt.day(moment.astimezone(OSLO).date())


def attention_text(item: DeviceAttentionPublic) -> str:
    """What the coordinator reads: who, and what waits or since when it has been quiet."""
    parts = []
    if AttentionReason.waiting in item.reasons and item.oldest_unsent_at is not None:
        changes = "1 endring" if item.unsent == 1 else f"{item.unsent} endringer"
        parts.append(f"{changes} venter på telefonen, den eldste fra {_day(item.oldest_unsent_at)}")
    if AttentionReason.silent in item.reasons:
        since = (
            f"ikke synkronisert siden {_day(item.last_sync_at)}"
            if item.last_sync_at is not None
            else "aldri synkronisert"
        )
        sheets = (
            "1 åpen timeliste"
            if item.open_timesheets == 1
            else (f"{item.open_timesheets} åpne timelister")
        )
        parts.append(f"{since}, med {sheets}")
    return f"{item.name} ({item.employee_no}): " + "; ".join(parts)


@ft.observable
@dataclass
class DevicesDesk(Desk):
    """Contacts whose phones need a look, and the limits the server used."""

    contacts: list[DeviceAttentionPublic] = field(default_factory=list)
    waiting_days: int = 5
    silent_days: int = 30

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            body = await api.devices_attention()
            self.contacts = body.data
            self.waiting_days = body.waiting_days
            self.silent_days = body.silent_days
