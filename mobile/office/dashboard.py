"""Forbruk: used against awarded hours per vedtak, with over- and under-use lists."""

from __future__ import annotations

import flet as ft
import flet_charts as fch

from mobile.hooks import use_state_from
from mobile.office.common import (
    busy,
    heading,
    message,
    office_screen,
    use_api,
    use_load,
)
from mobile.office.state import Dashboard, chart_periods, overuse_rows, underuse_rows
from mobile.views.common import dropdown, placeholder
from models.clock import today_in_oslo
from models.contract import UsagePublic
from models.text import period_text

AWARDED = ft.Colors.BLUE_GREY_300
USED = ft.Colors.TEAL_600
OVER = ft.Colors.RED_600


def usage_chart(body: UsagePublic) -> ft.Control:
    periods = chart_periods(body, today_in_oslo())
    if not periods:
        return ft.Text("Vedtaket har ikke begynt ennå.")
    groups = []
    labels = []
    top = 1.0
    for index, period in enumerate(periods):
        quota = float(period.quota_hours)
        used = float(period.used_hours)
        top = max(top, quota, used)
        groups.append(
            fch.BarChartGroup(
                x=index,
                rods=[
                    fch.BarChartRod(
                        to_y=quota,
                        width=10,
                        color=AWARDED,
                        tooltip=f"Tildelt {period.quota_hours} t",
                    ),
                    fch.BarChartRod(
                        to_y=used,
                        width=10,
                        color=OVER if period.over_minutes > 0 else USED,
                        tooltip=f"Brukt {period.used_hours} t",
                    ),
                ],
            )
        )
        labels.append(
            fch.ChartAxisLabel(value=index, label=ft.Text(period.key[-3:].lstrip("-"), size=11))
        )
    summary = "; ".join(
        f"{period_text(p.key)}: brukt {p.used_hours} av {p.quota_hours} timer" for p in periods
    )
    return ft.Semantics(
        label=f"Diagram over forbruk. {summary}",
        container=True,
        content=ft.Container(
            fch.BarChart(
                groups=groups,
                max_y=top * 1.15,
                bottom_axis=fch.ChartAxis(labels=labels, label_size=28),
                left_axis=fch.ChartAxis(label_size=36, title=ft.Text("timer")),
                interactive=True,
            ),
            height=260,
        ),
    )


@ft.component
def DashboardView() -> ft.View:  # noqa: N802 - components are named like classes
    session, api = use_api()
    board, _ = use_state_from(Dashboard)

    use_load(api, board.load)
    if session is None or api is None:
        return placeholder()
    today = today_in_oslo()
    over = overuse_rows(board.usage, board.names)
    under = underuse_rows(board.usage, board.names, today)
    options = sorted(board.usage, key=board.names.person)

    def select(e: ft.Event[ft.Dropdown]) -> None:
        board.selected = e.control.value or ""

    controls: list[ft.Control] = [
        heading("Forbruk mot vedtak"),
        busy(board.loading, board.loaded or bool(board.error)),
        message(board.error, error=True),
        dropdown(
            "Vedtak",
            board.selected or None,
            [(d, board.names.decision(d)) for d in options],
            on_select=select,
            width=520,
        ),
        ft.Row(
            [
                ft.Icon(ft.Icons.SQUARE, color=AWARDED),
                ft.Text("Tildelt"),
                ft.Icon(ft.Icons.SQUARE, color=USED),
                ft.Text("Brukt"),
                ft.Icon(ft.Icons.SQUARE, color=OVER),
                ft.Text("Over vedtaket"),
            ],
            wrap=True,
        ),
    ]
    if board.selected and board.selected in board.usage:
        controls.append(usage_chart(board.usage[board.selected]))
    controls.append(ft.Text(f"Overforbruk ({len(over)})", size=18, weight=ft.FontWeight.W_600))
    controls += [ft.Text(row.text, color=ft.Colors.RED_800) for row in over] or [
        ft.Text("Ingen perioder med overforbruk.")
    ]
    controls.append(
        ft.Text(
            f"Underforbruk i avsluttede perioder ({len(under)})",
            size=18,
            weight=ft.FontWeight.W_600,
        )
    )
    controls.append(ft.Text("Personer som har fått under 80 % av timene i vedtaket.", size=13))
    controls += [ft.Text(row.text) for row in under] or [
        ft.Text("Ingen perioder med underforbruk.")
    ]
    return office_screen("Forbruk", controls)
