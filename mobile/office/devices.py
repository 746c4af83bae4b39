"""Telefoner som bør sjekkes: the start page's list of contacts whose phones hold
changes too long, or have gone quiet while they have open timesheets.

Self-contained (state and component), like the expiring list beside it. The
rule lives in `models.devices`; the server applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile import fmt
from mobile.hooks import use_state_from
from mobile.office.api import ApiError, OfficeApi
from mobile.office.common import busy, message, use_load
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
class DevicesDesk:
    """Contacts whose phones need a look, and the limits the server used."""

    contacts: list[DeviceAttentionPublic] = field(default_factory=list)
    waiting_days: int = 5
    silent_days: int = 30
    loading: bool = False
    loaded: bool = False
    error: str | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            body = await api.devices_attention()
            self.contacts = body.data
            self.waiting_days = body.waiting_days
            self.silent_days = body.silent_days
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = str(error)
        finally:
            self.loading = False


@ft.component
def DevicesPanel(api: OfficeApi | None) -> ft.Control:  # noqa: N802 - a component
    desk, _ = use_state_from(DevicesDesk)
    use_load(api, desk.load)
    controls: list[ft.Control] = [
        ft.Text("Telefoner som bør sjekkes", size=18, weight=ft.FontWeight.W_600),
        ft.Text(
            f"Endringer som har ventet over {desk.waiting_days} dager, eller ingen "
            f"synkronisering på {desk.silent_days} dager med åpne timelister.",
            size=13,
        ),
        busy(desk.loading, desk.loaded or bool(desk.error)),
        message(desk.error, error=True),
    ]
    if desk.loaded and not desk.contacts:
        controls.append(ft.Text("Ingen telefoner venter med noe."))
    controls += [
        ft.Card(content=ft.Container(ft.Text(attention_text(item)), padding=12))
        for item in desk.contacts
    ]
    return ft.Column(controls, spacing=8)
