"""Godkjenning: timesheets to approve, and one sheet side by side with its signature."""

from __future__ import annotations

from typing import Any

import flet as ft
import flet.canvas as cv

from mobile import fmt
from mobile.context import OfficeSession
from mobile.hooks import keyed, memo, use_desk, use_state_from
from mobile.office.api import OfficeApi
from mobile.office.common import (
    busy,
    empty,
    heading,
    link,
    message,
    office_screen,
    paged,
)
from mobile.office.state.approval import (
    STATUS_TEXT,
    ApprovalDesk,
    entry_line,
    override_reasons,
    sheet_totals,
    signer_text,
)
from mobile.office.state.common import hours_text, km_text, money_text
from mobile.office.state.flags import FLAG_KIND_TEXT
from mobile.views.common import TOUCH, Input, dropdown, ink, placeholder, stroke_shapes
from models.clock import OSLO
from models.schemas import Point, TimesheetStatus

PAD_WIDTH = 320
PAD_HEIGHT = 150
INK = ink(2.5)
STATUS_FILTERS = (
    ("signed", "Signert, venter"),
    ("open", "Ikke signert"),
    ("rejected", "Avvist"),
    ("approved", "Godkjent"),
    ("exported", "Utbetalt"),
)


def signature_shapes(strokes: list[list[Point]]) -> list[cv.Shape]:
    """The drawn strokes scaled into the pad, keeping their proportions."""
    points = [(p.x, p.y) for stroke in strokes for p in stroke]
    if not points:
        return []
    low_x = min(x for x, _ in points)
    low_y = min(y for _, y in points)
    span_x = max(max(x for x, _ in points) - low_x, 1.0)
    span_y = max(max(y for _, y in points) - low_y, 1.0)
    scale = min((PAD_WIDTH - 20) / span_x, (PAD_HEIGHT - 20) / span_y)
    scaled = [
        [(10 + (p.x - low_x) * scale, 10 + (p.y - low_y) * scale) for p in stroke]
        for stroke in strokes
    ]
    return stroke_shapes(scaled, INK)


@ft.component
def ApprovalListView() -> ft.View:  # noqa: N802 - components are named like classes
    desk, api, _ = use_desk(ApprovalDesk)
    if api is None:
        return placeholder()

    async def filter_status(e: ft.Event[ft.Dropdown]) -> None:
        await desk.filter(api, status=e.control.value or "signed", period=desk.period)

    async def filter_period(e: ft.Event[ft.TextField]) -> None:
        period = (e.control.value or "").strip()
        if period != desk.period:
            await desk.filter(api, status=desk.status, period=period)

    rows: list[ft.Control] = []
    for sheet in desk.sheets:
        who = desk.names.contact(sheet.contact_id)
        person = desk.names.person(sheet.decision_id)
        rows.append(
            ft.ListTile(
                title=ft.Text(f"{person}: {fmt.period(sheet.period)}"),
                subtitle=ft.Text(
                    f"{who} · {hours_text(sheet.total_hours)} · {km_text(sheet.total_km)} · "
                    f"{money_text(sheet.total_expenses)} · "
                    f"{STATUS_TEXT.get(sheet.status, '')}"
                ),
                trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT),
                on_click=_opener(sheet.id),
            )
        )
    if not rows:
        text = (
            "Ingen timelister passer til søket." if desk.paging.query else "Ingen timelister her."
        )
        rows.append(empty(desk, text))
    search, pages_below = paged(desk, api, "Søk i timelister", len(desk.sheets))
    return office_screen(
        "Godkjenning",
        [
            heading("Timelister"),
            ft.Row(
                [
                    dropdown(
                        "Status",
                        desk.status,
                        STATUS_FILTERS,
                        on_select=filter_status,
                        width=220,
                    ),
                    Input(
                        "Periode (åååå-mm)",
                        desk.period,
                        on_submit=filter_period,
                        on_blur=filter_period,
                        width=200,
                    ),
                ],
                wrap=True,
            ),
            search,
            busy(desk.loading, desk.loaded or bool(desk.error)),
            message(desk.error, error=True),
            *rows,
            pages_below,
        ],
    )


def _opener(timesheet_id: str) -> Any:
    async def handler(*_: Any) -> None:
        await ft.context.page.push_route(f"/kontor/godkjenning/{timesheet_id}")

    return handler


@ft.component
def SheetReviewView() -> ft.View:  # noqa: N802 - components are named like classes
    params = ft.use_route_params()
    timesheet_id = params.get("timesheet_id", "")
    form, _ = use_state_from(lambda: {"note": "", "override_reason": "", "reason": ""})

    async def load(desk: ApprovalDesk, client: OfficeApi, _: OfficeSession) -> None:
        await desk.open(client, timesheet_id)

    desk, api, _ = use_desk(ApprovalDesk, load, timesheet_id)
    if api is None:
        return placeholder()
    detail = desk.detail
    if detail is None:
        return office_screen(
            "Timeliste",
            [busy(desk.loading, bool(desk.error)), message(desk.error, error=True)],
            back="/kontor/godkjenning",
        )

    person = desk.names.person(detail.decision_id)
    status = detail.status
    left: list[ft.Control] = [
        ft.Text(f"{person} · {fmt.period(detail.period)}", size=18, weight=ft.FontWeight.BOLD),
        ft.Text(f"Støttekontakt: {desk.names.contact(detail.contact_id)}"),
        ft.Text(f"Vedtak: {desk.names.decision(detail.decision_id)}", size=13),
        ft.Text(f"Status: {STATUS_TEXT.get(status, status)}", weight=ft.FontWeight.W_600),
    ]
    if detail.reject_reason and status in (TimesheetStatus.rejected, TimesheetStatus.open):
        left.append(ft.Text(f"Avvist fordi: {detail.reject_reason}", color=ft.Colors.RED_700))
    if detail.override_reason:
        left.append(ft.Text(f"Godkjent med overstyring: {detail.override_reason}"))
    left.append(ft.Text("Økter", size=16, weight=ft.FontWeight.W_600))
    flagged = {entry_id for f in detail.flags for entry_id in f.entry_ids}
    for entry in sorted(detail.entries, key=lambda e: (e.date, e.start)):
        if entry.id in flagged:
            left.append(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.AMBER_900, size=18),
                        ft.Text(f"Avvik: {entry_line(entry)}", size=14, expand=True),
                    ],
                    spacing=4,
                )
            )
        else:
            left.append(ft.Text(entry_line(entry), size=14))
        if entry.note:
            left.append(ft.Text(f"Notat: {entry.note}", size=13, italic=True))
    left.append(ft.Text("Summer", size=16, weight=ft.FontWeight.W_600))
    left += [ft.Text(f"{label}: {value}", size=15) for label, value in sheet_totals(detail)]
    flags = detail.flags
    if flags:
        left.append(
            ft.Text("Åpne avvik", size=16, weight=ft.FontWeight.W_600, color=ft.Colors.RED_700)
        )
        left += [
            ft.Text(f"{FLAG_KIND_TEXT.get(f.kind, f.kind)}: {f.detail}", size=14) for f in flags
        ]

    signature = detail.signature
    right: list[ft.Control] = [ft.Text("Signatur", size=16, weight=ft.FontWeight.W_600)]
    if signature:
        signed_at = signature.signed_at
        right += [
            ft.Semantics(
                label=f"Signatur tegnet av {signature.signer_name}",
                container=True,
                content=ft.Container(
                    cv.Canvas(
                        shapes=signature_shapes(signature.strokes),
                        width=PAD_WIDTH,
                        height=PAD_HEIGHT,
                    ),
                    width=PAD_WIDTH,
                    height=PAD_HEIGHT,
                    bgcolor=ft.Colors.WHITE,
                    border=ft.Border.all(1, ft.Colors.OUTLINE),
                    border_radius=8,
                ),
            ),
            ft.Text(f"Signert av {signer_text(signature.signer_name, signature.signer_role)}"),
            ft.Text(f"{fmt.day(signed_at.astimezone(OSLO).date())} kl. {fmt.clock_of(signed_at)}"),
        ]
        if signature.message:
            right.append(ft.Text(f"Melding: {signature.message}", italic=True))
    else:
        right.append(ft.Text("Ikke signert.", color=ft.Colors.RED_700))

    return office_screen(
        "Timeliste",
        [
            busy(desk.loading),
            message(desk.error, error=True),
            message(desk.notice),
            ft.ResponsiveRow(
                [
                    ft.Column(left, col={"xs": 12, "md": 7}, spacing=6),
                    ft.Column(right, col={"xs": 12, "md": 5}, spacing=6),
                ]
            ),
            keyed(f"actions-{detail.id}", SheetActions, desk, api, form),
            link("Tilbake til listen", "/kontor/godkjenning"),
        ],
        back="/kontor/godkjenning",
    )


@ft.component
def SheetActions(desk: ApprovalDesk, api: Any, form: dict[str, str]) -> ft.Control:  # noqa: N802 - components are named like classes
    """Approve (with an override reason when needed) or reject with a reason."""
    detail = desk.detail
    status = detail.status if detail else None

    def put(key: str) -> Any:
        def changed(e: ft.Event[ft.TextField]) -> None:
            form[key] = e.control.value or ""

        return changed

    async def approve(*_: Any) -> None:
        if await desk.approve(api, note=form["note"], override_reason=form["override_reason"]):
            form["override_reason"] = ""

    async def reject(*_: Any) -> None:
        if await desk.reject(api, reason=form["reason"]):
            form["reason"] = ""

    actions: list[ft.Control] = []
    if detail is not None and status in (
        TimesheetStatus.open,
        TimesheetStatus.signed,
        TimesheetStatus.rejected,
    ):
        reasons = override_reasons(detail)
        actions.append(
            Input("Kommentar (valgfri)", form["note"], on_change=put("note"), key="note")
        )
        if reasons:
            actions += [ft.Text(reason, color=ft.Colors.AMBER_900) for reason in reasons]
            actions.append(
                Input(
                    "Begrunnelse for overstyring",
                    form["override_reason"],
                    key="override_reason",
                    multiline=True,
                    min_lines=2,
                    error=desk.field_errors.get("override_reason") or None,
                    on_change=put("override_reason"),
                )
            )
        actions.append(
            ft.FilledButton(
                "Godkjenn med overstyring" if reasons else "Godkjenn",
                icon=ft.Icons.CHECK,
                on_click=approve,
                height=TOUCH,
            )
        )
        if status is not TimesheetStatus.rejected:
            actions += [
                ft.Divider(),
                Input(
                    "Begrunnelse for avvisning",
                    form["reason"],
                    key="reason",
                    multiline=True,
                    min_lines=2,
                    error=desk.field_errors.get("reason") or None,
                    on_change=put("reason"),
                ),
                ft.OutlinedButton("Avvis", icon=ft.Icons.UNDO, on_click=reject, height=TOUCH),
            ]
    return ft.Column(actions, spacing=10)


# Re-rendered only when the desk changes, so a reason being typed is not reset.
SheetActions = memo(SheetActions)
