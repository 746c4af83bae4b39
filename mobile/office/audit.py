"""Revisjonslogg: the append-only audit log, newest first (admin)."""

from __future__ import annotations

import flet as ft

from mobile import fmt
from mobile.hooks import use_desk
from mobile.office.common import (
    busy,
    heading,
    message,
    office_screen,
    paged,
)
from mobile.office.state.audit import OBJECT_TEXT, AuditLog, audit_text
from mobile.views.common import dropdown, placeholder

FILTERS = (
    ("", "Alt"),
    ("timesheet", "Timelister"),
    ("payroll_batch", "Lønnsbunter"),
    ("pay_settings", "Lønnsinnstillinger"),
    ("contact", "Støttekontakter"),
)


@ft.component
def AuditView() -> ft.View:  # noqa: N802 - components are named like classes
    log, api, _ = use_desk(AuditLog)
    if api is None:
        return placeholder()

    async def choose(e: ft.Event[ft.Dropdown]) -> None:
        log.object_type = e.control.value or ""
        log.paging.search(log.paging.query)
        await log.load(api)

    rows: list[ft.Control] = []
    for event in log.events:
        at = event.at
        rows.append(
            ft.ListTile(
                title=ft.Text(audit_text(event)),
                subtitle=ft.Text(
                    f"{fmt.day(at.date())} kl. {fmt.clock_of(at)} · "
                    f"{OBJECT_TEXT.get(event.object_type, event.object_type)} "
                    f"{event.object_id or ''}"
                ),
            )
        )
    search, pages_below = paged(log, api, "Søk i loggen", len(log.events))
    return office_screen(
        "Revisjonslogg",
        [
            heading("Revisjonslogg"),
            ft.Text("Hvem gjorde hva, og når. Loggen kan ikke endres."),
            dropdown(
                "Vis",
                log.object_type,
                FILTERS,
                on_select=choose,
                width=260,
            ),
            search,
            busy(log.loading, log.loaded or bool(log.error)),
            message(log.error, error=True),
            *rows,
            pages_below,
        ],
    )
