# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""'La mottaker signere': the hand-over screen, in large plain Norwegian.

The sheet is frozen when the screen opens: the signer reads exactly those
entries, and the content hash (models.canonical) is computed over them. If
the phone's data changed meanwhile, the store refuses the signature and
asks to show the sheet again.
"""

from __future__ import annotations

from typing import Any

import flet as ft
import flet.canvas as cv

from mobile import fmt
from mobile.context import use_app, use_controller
from mobile.hooks import use_state_from
from mobile.i18n import activity_label, tr
from mobile.state.common import typed
from mobile.state.month import MonthSheet, month_sheet
from mobile.state.signing import (
    FEEDBACK_KINDS,
    ROLE_LABEL_KEYS,
    SignatureDraft,
    StrokePad,
    handover_title,
)
from mobile.views.common import (
    TOUCH,
    Input,
    big_button,
    chip,
    error_text,
    go,
    ink,
    placeholder,
    screen,
    stroke_shapes,
    use_ready,
)

BIG = 20
PAD_HEIGHT = 200
INK = ink(3)


@ft.component
def SignaturePad(pad: StrokePad, label: str, clear_label: str, error: str | None) -> ft.Control:
    """A canvas that records finger (or mouse) strokes."""

    def begin(e: ft.DragStartEvent[ft.GestureDetector]) -> None:
        if e.local_position is not None:
            pad.begin_stroke(e.local_position.x, e.local_position.y)

    def extend(e: ft.DragUpdateEvent[ft.GestureDetector]) -> None:
        if e.local_position is not None:
            pad.extend_stroke(e.local_position.x, e.local_position.y)

    shapes = stroke_shapes([list(stroke) for stroke in pad.strokes], INK)
    return ft.Column(
        [
            ft.Semantics(
                label=label,
                container=True,
                content=ft.GestureDetector(
                    on_pan_start=begin,
                    on_pan_update=extend,
                    drag_interval=10,
                    content=ft.Container(
                        content=cv.Canvas(shapes=shapes, expand=True),
                        height=PAD_HEIGHT,
                        bgcolor=ft.Colors.WHITE,
                        border=ft.Border.all(2, ft.Colors.RED_400 if error else ft.Colors.OUTLINE),
                        border_radius=8,
                    ),
                ),
            ),
            ft.Row(
                [
                    error_text(error),
                    ft.TextButton(
                        clear_label,
                        icon=ft.Icons.CLEAR,
                        on_click=lambda: pad.clear(),
                        height=TOUCH - 8,
                    ),
                ],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
        ],
        spacing=4,
    )


@ft.component
def SigningView() -> ft.View:
    ready = use_ready()
    app = use_app()
    if not ready:
        return placeholder()
    params = ft.use_route_params()
    return SigningSheet(params.get("decision_id", ""), params.get("period", ""), app.lang)


@ft.component
def SigningSheet(decision_id: str, period: str, lang: str) -> ft.View:
    controller = use_controller()
    app = use_app()
    frozen, _ = use_state_from(lambda: month_sheet(app.snapshot, decision_id, period))
    shown_hash, _ = use_state_from(lambda: controller.sheet_hash(frozen))
    draft, _ = use_state_from(SignatureDraft)
    done, set_done = ft.use_state(False)
    back = f"/person/{decision_id}/maaned/{period}"

    if done:
        return screen(
            tr("status_signed", lang),
            [
                ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_700, size=72),
                ft.Text(tr("signed_thanks", lang), size=26, weight=ft.FontWeight.BOLD),
                ft.Text(tr("give_back", lang), size=BIG),
                big_button(tr("back_to_sheet", lang), go(back), icon=ft.Icons.ARROW_BACK),
            ],
            lang=lang,
        )

    async def confirm(*_: Any) -> None:
        if draft.busy or shown_hash is None:
            return
        if await controller.sign(frozen, shown_hash, draft):
            set_done(True)

    def put(name: str):  # type: ignore[no-untyped-def]
        def handler(e: ft.Event[ft.TextField]) -> None:
            typed(draft, name, e.control.value or "")

        return handler

    errors = draft.errors
    controls: list[ft.Control] = [
        ft.Text(
            handover_title(period, app.snapshot.contact_name, lang),
            size=28,
            weight=ft.FontWeight.BOLD,
        ),
        ft.Text(tr("handover_for", lang, name=frozen.name), size=BIG),
        ft.Text(tr("handover_intro", lang), size=BIG - 2),
        *sheet_lines(frozen, lang),
        ft.Divider(thickness=2),
        ft.Text(tr("signer_name", lang), size=BIG, weight=ft.FontWeight.W_600),
        Input(
            tr("signer_name", lang),
            draft.signer_name,
            on_change=put("signer_name"),
            error=errors.get("signer_name"),
            text_size=BIG,
            capitalization=ft.TextCapitalization.WORDS,
        ),
        ft.Text(tr("signer_role", lang), size=BIG, weight=ft.FontWeight.W_600),
        ft.Row(
            [
                chip(
                    tr(key, lang),
                    draft.role == role,
                    lambda _, r=role: setattr(draft, "role", r),
                    size=18,
                )
                for role, key in ROLE_LABEL_KEYS.items()
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        ),
        error_text(errors.get("role")),
        ft.Text(tr("sign_here", lang), size=BIG, weight=ft.FontWeight.W_600),
        SignaturePad(
            draft.pad, tr("signature", lang), tr("clear_signature", lang), errors.get("signature")
        ),
        ft.ExpansionTile(
            title=ft.Text(tr("feedback", lang), size=18),
            controls=[
                ft.Text(tr("feedback_intro", lang), size=16),
                ft.Row(
                    [
                        chip(
                            tr(key, lang),
                            draft.feedback_kind == kind,
                            lambda _, k=kind: setattr(
                                draft, "feedback_kind", "" if draft.feedback_kind == k else k
                            ),
                            size=17,
                        )
                        for kind, key in FEEDBACK_KINDS.items()
                    ],
                    wrap=True,
                    spacing=8,
                ),
                Input(
                    tr("feedback", lang),
                    draft.message,
                    on_change=put("message"),
                    multiline=True,
                    min_lines=3,
                    max_lines=8,
                    text_size=18,
                ),
            ],
            controls_padding=ft.Padding.symmetric(vertical=8),
        ),
        error_text(errors.get("form")),
        big_button(
            tr("confirm_sign", lang),
            confirm,
            icon=ft.Icons.DRAW,
            disabled=draft.busy or shown_hash is None,
        ),
        ft.Container(height=TOUCH),
    ]
    page = ft.context.page

    def leave_asked(*_: Any) -> None:
        # The phone is in the signer's hands: the arrow must not take them into the
        # contact's app without a word.
        async def leave(*_: Any) -> None:
            page.pop_dialog()
            await page.push_route(back)

        page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text(tr("leave_signing_title", lang)),
                content=ft.Text(tr("leave_signing_body", lang), size=16),
                actions=[
                    ft.TextButton(tr("stay_signing", lang), on_click=lambda: page.pop_dialog()),
                    ft.FilledButton(tr("leave_signing", lang), on_click=leave),
                ],
            )
        )

    return screen(tr("sign_title", lang), controls, lang=lang, on_back=leave_asked)


def sheet_lines(sheet: MonthSheet, lang: str) -> list[ft.Control]:
    """Each session in words a signer reads easily, then the totals."""
    lines: list[ft.Control] = []
    for row in sheet.rows:
        entry = row.entry.entry
        detail = [f"{entry.start}–{entry.end}", fmt.duration(row.minutes, lang)]
        if entry.activities:
            detail.append(", ".join(activity_label(a, lang) for a in entry.activities))
        if entry.trips:
            detail.append(fmt.km(row.km, lang))
        if entry.expenses:
            detail.append(fmt.money(row.expenses, lang))
        lines.append(
            ft.Container(
                ft.Column(
                    [
                        ft.Text(
                            f"{fmt.long_day(entry.date, lang).capitalize()} "
                            f"({fmt.day(entry.date, lang)})",
                            size=BIG,
                            weight=ft.FontWeight.BOLD,
                        ),
                        ft.Text(" · ".join(detail), size=BIG - 2),
                    ],
                    spacing=2,
                ),
                padding=ft.Padding.symmetric(vertical=6),
                border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            )
        )
    lines.append(
        ft.Container(
            ft.Column(
                [
                    ft.Text(tr("total", lang), size=BIG + 2, weight=ft.FontWeight.BOLD),
                    ft.Text(
                        f"{sessions_text(len(sheet.rows), lang)}, "
                        f"{fmt.duration(sheet.total_minutes, lang)}",
                        size=BIG,
                    ),
                    ft.Text(f"{tr('total_km', lang)}: {fmt.km(sheet.total_km, lang)}", size=BIG),
                    ft.Text(
                        f"{tr('total_expenses', lang)}: {fmt.money(sheet.total_expenses, lang)}",
                        size=BIG,
                    ),
                ],
                spacing=4,
            ),
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            padding=12,
            border_radius=8,
        )
    )
    return lines


def sessions_text(count: int, lang: str) -> str:
    """'1 økt', '3 økter'."""
    return tr("sessions_one", lang) if count == 1 else tr("sessions_count", lang, n=count)
