"""Forbruk: used against awarded hours per vedtak, with over- and under-use lists."""

from __future__ import annotations

from decimal import Decimal

import flet as ft
import flet_charts as fch

from mobile import fmt
from mobile.hooks import use_desk
from mobile.office.common import (
    busy,
    heading,
    message,
    office_screen,
)
from mobile.office.state.common import hours_text
from mobile.office.state.dashboard import (
    Dashboard,
    UsageRow,
    chart_periods,
    overuse_rows,
    underuse_rows,
)
from mobile.views.common import dropdown, placeholder
from models.clock import today_in_oslo
from models.contract import UsagePublic
from models.text import MONTHS, period_text

AWARDED = ft.Colors.BLUE_GREY_300
USED = ft.Colors.TEAL_600
OVER = ft.Colors.RED_600


RECENT_PERIODS = 2


def hour_labels(top: float) -> list[fch.ChartAxisLabel]:
    """The hours axis with a decimal comma ('0,5', '1,5'), at most about six steps."""
    step = next((s for s in (0.5, 1, 2, 5, 10, 20, 50, 100, 200) if top / s <= 6), 500.0)
    labels = []
    value = 0.0
    while value <= top:
        text = fmt.number(Decimal(str(value)))
        labels.append(fch.ChartAxisLabel(value=value, label=ft.Text(text, size=11)))
        value += step
    return labels


def axis_label(key: str) -> str:
    """A period under its bar, in Norwegian: 'uke 38', 'mar', '2026'."""
    if "-W" in key:
        return f"uke {int(key.split('-W')[1])}"
    if len(key) == 7 and key[4] == "-":
        return MONTHS[int(key[5:]) - 1][:3]
    return period_text(key)


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
                        tooltip=f"Tildelt {hours_text(period.quota_hours)}",
                    ),
                    fch.BarChartRod(
                        to_y=used,
                        width=10,
                        color=OVER if period.over_minutes > 0 else USED,
                        tooltip=f"Brukt {hours_text(period.used_hours)}",
                    ),
                ],
            )
        )
        labels.append(
            fch.ChartAxisLabel(value=index, label=ft.Text(axis_label(period.key), size=11))
        )
    summary = "; ".join(
        f"{period_text(p.key)}: brukt {hours_text(p.used_hours)} av {hours_text(p.quota_hours)}"
        for p in periods
    )
    return ft.Semantics(
        label=f"Diagram over forbruk. {summary}",
        container=True,
        content=ft.Container(
            fch.BarChart(
                groups=groups,
                max_y=top * 1.15,
                bottom_axis=fch.ChartAxis(labels=labels, label_size=28),
                left_axis=fch.ChartAxis(
                    labels=hour_labels(top * 1.15), label_size=36, title=ft.Text("timer")
                ),
                interactive=True,
            ),
            height=260,
        ),
    )


@ft.component
def DashboardView() -> ft.View:  # noqa: N802 - components are named like classes
    board, api, _ = use_desk(Dashboard)
    if api is None:
        return placeholder()
    today = today_in_oslo()
    over = overuse_rows(board.usage, board.names)
    under = underuse_rows(
        board.usage, board.names, today, recent=None if board.all_under else RECENT_PERIODS
    )
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
    controls.append(
        ft.Text(
            "Personer som har fått under 80 % av timene i vedtaket"
            + ("." if board.all_under else ", i de to siste avsluttede periodene."),
            size=13,
        )
    )

    def show_all(e: ft.Event[ft.Checkbox]) -> None:
        board.all_under = bool(e.control.value)

    controls.append(
        ft.Checkbox(label="Vis alle avsluttede perioder", value=board.all_under, on_change=show_all)
    )
    # One group per vedtak: the person once, then their periods.
    by_vedtak: dict[str, list[UsageRow]] = {}
    for row in under:
        by_vedtak.setdefault(row.decision_id, []).append(row)
    for rows in sorted(by_vedtak.values(), key=lambda rs: rs[0].label):
        lines: list[ft.Control] = [ft.Text(rows[0].label, weight=ft.FontWeight.W_600)]
        lines += [ft.Text(row.period_line, size=14) for row in rows]
        controls.append(ft.Card(content=ft.Container(ft.Column(lines, spacing=4), padding=12)))
    if not under and board.loaded:
        controls.append(ft.Text("Ingen perioder med underforbruk."))
    return office_screen("Forbruk", controls)
