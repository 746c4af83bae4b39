"""Vedtak som går ut: the coordinator's start-page list, and the next vedtak in one step.

The start page only places it; its desk is `mobile/office/state/expiring.py`.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.hooks import use_load, use_state_from
from mobile.office.api import OfficeApi
from mobile.office.common import busy, message
from mobile.office.state.expiring import ExpiringDesk, expiring_text, next_text
from mobile.views.common import TOUCH, Input
from models.lifecycle import ExpiringDecisionPublic


@ft.component
def ExpiringPanel(api: OfficeApi | None) -> ft.Control:  # noqa: N802 - a component
    desk, _ = use_state_from(ExpiringDesk)
    use_load(api, desk.load)

    def registrar(item: ExpiringDecisionPublic) -> Any:
        async def handler(*_: Any) -> None:
            if api is not None:
                await desk.follow_on(api, item)

        return handler

    def editor(item: ExpiringDecisionPublic) -> Any:
        def handler(*_: Any) -> None:
            desk.edit(item)

        return handler

    def put(key: str) -> Any:
        def changed(e: ft.Event[ft.TextField]) -> None:
            desk.form[key] = e.control.value or ""

        return changed

    controls: list[ft.Control] = [
        ft.Text(f"Vedtak som går ut innen {desk.days} dager", size=18, weight=ft.FontWeight.W_600),
        busy(desk.loading, desk.loaded or bool(desk.error)),
        message(desk.error, error=True),
        message(desk.notice),
    ]
    if desk.loaded and not desk.decisions:
        controls.append(ft.Text("Ingen vedtak går ut de neste dagene."))
    for item in desk.decisions:
        rows: list[ft.Control] = [
            ft.Text(expiring_text(item), weight=ft.FontWeight.W_600),
            ft.Text(next_text(item), size=13),
        ]
        if desk.editing == item.id:
            rows.append(
                ft.Row(
                    [
                        Input(
                            "Neste vedtak gjelder til (dd.mm.åååå)",
                            desk.form.get("valid_to", ""),
                            on_change=put("valid_to"),
                            width=300,
                        ),
                        Input(
                            "Timer",
                            desk.form.get("hours", ""),
                            on_change=put("hours"),
                            width=120,
                        ),
                    ],
                    wrap=True,
                )
            )
        rows.append(
            ft.Row(
                [
                    ft.FilledTonalButton(
                        ft.Text(
                            "Registrer neste vedtak",
                            semantics_label=f"Registrer neste vedtak for {item.case_no}",
                        ),
                        icon=ft.Icons.EVENT_REPEAT,
                        on_click=registrar(item),
                        height=TOUCH - 4,
                    ),
                    ft.TextButton(
                        ft.Text(
                            "Endre vilkår",
                            semantics_label=f"Endre vilkår for neste vedtak for {item.case_no}",
                        ),
                        on_click=editor(item),
                        height=TOUCH - 4,
                    )
                    if desk.editing != item.id
                    else ft.Container(),
                ],
                wrap=True,
            )
        )
        controls.append(ft.Card(content=ft.Container(ft.Column(rows, spacing=6), padding=12)))
    return ft.Column(controls, spacing=8)
