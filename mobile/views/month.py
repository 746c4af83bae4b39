# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Month: one person's timesheet for a pay period, its totals and status, and signing."""

from __future__ import annotations

import flet as ft

from mobile import fmt
from mobile.context import use_app
from mobile.i18n import activity_label, tr
from mobile.state.month import MonthSheet, current_period, month_sheet, shift_period
from mobile.views.common import (
    TOUCH,
    big_button,
    go,
    icon_button,
    placeholder,
    screen,
    use_ready,
)
from models.schemas import TimesheetStatus

STATUS_KEYS = {
    TimesheetStatus.open: ("status_open", ft.Colors.BLUE_700, ft.Icons.EDIT_CALENDAR),
    TimesheetStatus.signed: ("status_signed", ft.Colors.GREEN_700, ft.Icons.LOCK),
    TimesheetStatus.approved: ("status_approved", ft.Colors.GREEN_900, ft.Icons.VERIFIED),
    TimesheetStatus.exported: ("status_exported", ft.Colors.GREEN_900, ft.Icons.VERIFIED),
    TimesheetStatus.rejected: ("status_rejected", ft.Colors.RED_700, ft.Icons.ERROR_OUTLINE),
}


def status_badge(sheet: MonthSheet, lang: str) -> ft.Control:
    key, color, icon = STATUS_KEYS[sheet.status]
    return ft.Container(
        ft.Row(
            [
                ft.Icon(icon, color=color),
                ft.Text(tr(key, lang), color=color, size=16, weight=ft.FontWeight.BOLD),
            ],
            tight=True,
        ),
        border=ft.Border.all(1, color),
        border_radius=16,
        padding=ft.Padding.symmetric(horizontal=12, vertical=6),
    )


def totals(sheet: MonthSheet, lang: str, size: int = 16) -> ft.Control:
    return ft.Column(
        [
            ft.Text(tr("total", lang), size=size + 2, weight=ft.FontWeight.BOLD),
            ft.Text(
                f"{tr('total_hours', lang)}: {hours_both(sheet.total_minutes, lang)}", size=size
            ),
            ft.Text(f"{tr('total_km', lang)}: {fmt.km(sheet.total_km, lang)}", size=size),
            ft.Text(
                f"{tr('total_expenses', lang)}: {fmt.money(sheet.total_expenses, lang)}", size=size
            ),
        ],
        spacing=4,
    )


def hours_both(minutes: int, lang: str) -> str:
    """'2 t 30 min (2,5 t)': the paper form's way and the decimal the office uses."""
    if minutes % 60 == 0:
        return fmt.duration(minutes, lang)
    return f"{fmt.duration(minutes, lang)} ({fmt.hours(minutes, lang)})"


@ft.component
def MonthView() -> ft.View:
    ready = use_ready()
    app = use_app()
    if not ready:
        return placeholder()
    params = ft.use_route_params()
    lang = app.lang
    decision_id = params.get("decision_id", "")
    period = params.get("period") or current_period(app.snapshot)
    sheet = month_sheet(app.snapshot, decision_id, period)
    controls: list[ft.Control] = [
        ft.Row(
            [
                icon_button(
                    ft.Icons.CHEVRON_LEFT,
                    tr("prev_month", lang),
                    go(f"/person/{decision_id}/maaned/{shift_period(period, -1)}"),
                    icon_size=30,
                ),
                ft.Text(
                    fmt.period(period, lang).capitalize(),
                    size=20,
                    weight=ft.FontWeight.BOLD,
                    expand=True,
                    text_align=ft.TextAlign.CENTER,
                ),
                icon_button(
                    ft.Icons.CHEVRON_RIGHT,
                    tr("next_month", lang),
                    go(f"/person/{decision_id}/maaned/{shift_period(period, 1)}"),
                    icon_size=30,
                ),
            ]
        ),
        status_badge(sheet, lang),
    ]
    if sheet.status is TimesheetStatus.rejected:
        controls.append(
            ft.Container(
                ft.Column(
                    [
                        ft.Text(
                            tr("rejected_reason", lang, reason=sheet.reject_reason or "—"), size=16
                        ),
                        ft.Text(tr("fix_and_sign", lang), size=15),
                    ]
                ),
                bgcolor=ft.Colors.RED_50,
                padding=12,
                border_radius=8,
            )
        )
    if not sheet.rows:
        controls.append(ft.Text(tr("nothing_to_sign", lang), size=16))
    for row in sheet.rows:
        entry = row.entry.entry
        lines: list[ft.Control] = [
            ft.Text(
                f"{fmt.long_day(entry.date, lang).capitalize()}  {entry.start}–{entry.end}",
                size=16,
                weight=ft.FontWeight.W_600,
            ),
            ft.Text(fmt.duration(row.minutes, lang), size=15),
        ]
        if entry.activities:
            lines.append(
                ft.Text(", ".join(activity_label(a, lang) for a in entry.activities), size=15)
            )
        if entry.trips:
            lines.append(ft.Text(fmt.km(row.km, lang), size=15))
        if entry.expenses:
            lines.append(ft.Text(fmt.money(row.expenses, lang), size=15))
        controls.append(
            ft.ListTile(
                title=ft.Column(lines, spacing=2),
                trailing=ft.Icon(ft.Icons.LOCK_OUTLINE)
                if row.entry.locked
                else ft.Icon(ft.Icons.CHEVRON_RIGHT),
                on_click=go(f"/okt/endre/{row.entry.id}"),
                content_padding=ft.Padding.symmetric(horizontal=4),
            )
        )
    controls.append(ft.Divider())
    controls.append(totals(sheet, lang))
    if sheet.can_sign:
        if app.snapshot.contact_id is None:
            controls.append(ft.Text(tr("sign_needs_sync", lang), size=15))
        controls.append(
            big_button(
                tr("let_sign", lang),
                go(f"/signer/{decision_id}/{period}"),
                icon=ft.Icons.DRAW,
                disabled=app.snapshot.contact_id is None,
            )
        )
    controls.append(ft.Container(height=TOUCH))
    return screen(f"{tr('timesheet', lang)}: {sheet.name}", controls, back="/", lang=lang)
