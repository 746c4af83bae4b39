"""Telefoner som bør sjekkes: the start page's list of contacts whose phones hold
changes too long, or have gone quiet while they have open timesheets.

The start page only places it; its desk is `mobile/office/state/devices.py`.
"""

from __future__ import annotations

import flet as ft

from mobile.hooks import use_load, use_state_from
from mobile.office.api import OfficeApi
from mobile.office.common import busy, message
from mobile.office.state.devices import DevicesDesk, attention_text


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
