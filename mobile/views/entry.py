# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Log a session: who, when, what, driving and expenses — in a few taps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import flet as ft

from mobile import fmt
from mobile.context import use_app, use_controller
from mobile.hooks import use_state_from
from mobile.i18n import ACTIVITY_CATALOGUE, EXPENSE_CATEGORIES, tr
from mobile.state.common import typed
from mobile.state.entry import (
    EntryDraft,
    ExpenseDraft,
    Target,
    TripDraft,
    WhenHint,
    targets,
    yesterday,
)
from mobile.views.common import (
    TOUCH,
    Input,
    big_button,
    chip,
    error_text,
    icon_button,
    placeholder,
    screen,
    use_ready,
    wide_choice,
)


def _setter(obj: Any, name: str) -> Callable[[ft.Event[ft.TextField]], None]:
    def handler(e: ft.Event[ft.TextField]) -> None:
        typed(obj, name, e.control.value or "")

    return handler


def _time_setter(
    draft: EntryDraft, name: str, lang: str
) -> Callable[[ft.Event[ft.TextField]], None]:
    """Records the time as typed, and updates the 'neste dag' line (only that line re-renders)."""

    def handler(e: ft.Event[ft.TextField]) -> None:
        typed(draft, name, e.control.value or "")
        draft.when.follow(draft.date_text, draft.start_text, draft.end_text, lang)

    return handler


@ft.component
def WhenLine(when: WhenHint) -> ft.Control:
    if not when.text:
        return ft.Container(height=0)
    return ft.Row(
        [ft.Icon(ft.Icons.NIGHTLIGHT_ROUND, size=18), ft.Text(when.text, size=15, expand=True)],
        spacing=8,
    )


def _field(
    label: str,
    value: str,
    on_change: Callable[..., Any],
    *,
    error: str | None = None,
    hint: str | None = None,
    keyboard: ft.KeyboardType = ft.KeyboardType.TEXT,
    width: float | None = None,
    expand: bool | int | None = None,
    disabled: bool = False,
    multiline: bool = False,
    helper: str | None = None,
) -> ft.Control:
    """A form field: an `Input`, so a screen drawn while typing keeps what is typed,
    and a value the app fills in itself (a date button, the timer) is shown."""
    return Input(
        label,
        value,
        on_change=on_change,
        error=error,
        hint_text=hint,
        keyboard_type=keyboard,
        width=width,
        expand=expand,
        disabled=disabled,
        multiline=multiline,
        min_lines=2 if multiline else None,
        max_lines=5 if multiline else None,
        helper=helper,
        helper_max_lines=3 if helper else None,
    )


def _target_from_slug(slug: str | None) -> str | None:
    if not slug or "-" not in slug:
        return None
    kind, _, rest = slug.partition("-")
    return f"{kind}:{rest}"


@ft.component
def EntryView() -> ft.View:
    ready = use_ready()
    app = use_app()
    if not ready:
        return placeholder()
    params = ft.use_route_params()
    return EntrySheet(params.get("entry_id"), _target_from_slug(params.get("target")), app.lang)


@ft.component
def EntrySheet(entry_id: str | None, target_key: str | None, lang: str) -> ft.View:
    controller = use_controller()
    app = use_app()
    snapshot = app.snapshot
    options = targets(snapshot, lang)
    existing = snapshot.entry(entry_id) if entry_id else None

    def initial() -> EntryDraft:
        if existing is not None:
            return EntryDraft.from_entry(existing.entry, options, lang)
        chosen = next((t for t in options if t.key == target_key), None)
        if chosen is None and len(options) == 1:
            chosen = options[0]
        draft = EntryDraft.new(target=chosen, lang=lang)
        if app.timer_started is not None:
            draft.start_timer(app.timer_started)
        return draft

    draft, _ = use_state_from(initial)
    locked = existing is not None and existing.locked

    def leave_notice_behind() -> None:
        # "Økten er lagret." belongs to the save; it must not follow onto this screen.
        notices = getattr(ft.context.page, "data", None)
        if notices is not None and hasattr(notices, "dismiss"):
            notices.dismiss()

    ft.on_mounted(leave_notice_behind)
    errors = draft.errors
    page = ft.context.page

    async def save(*_: Any, anyway: bool = False) -> None:
        if draft.busy:
            return
        result = await controller.save_entry(draft, anyway=anyway)
        if result.saved:
            await page.push_route("/")
        elif result.over_quota:
            page.show_dialog(_over_dialog(result.over_quota, result.title))

    def _over_dialog(text: str, title: str | None) -> ft.AlertDialog:
        async def confirm(*_: Any) -> None:
            page.pop_dialog()
            await save(anyway=True)

        return ft.AlertDialog(
            modal=True,
            title=ft.Text(title or tr("over_title", lang)),
            content=ft.Text(text, size=16),
            actions=[
                ft.TextButton(tr("cancel", lang), on_click=lambda: page.pop_dialog()),
                ft.FilledButton(tr("save_anyway", lang), on_click=confirm),
            ],
        )

    async def delete(*_: Any) -> None:
        async def confirm(*_: Any) -> None:
            page.pop_dialog()
            if await controller.delete_entry(draft.entry_id):
                await page.push_route("/")

        page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text(tr("delete_confirm", lang)),
                content=ft.Text(tr("delete_body", lang)),
                actions=[
                    ft.TextButton(tr("cancel", lang), on_click=lambda: page.pop_dialog()),
                    ft.FilledButton(
                        tr("delete", lang), on_click=confirm, bgcolor=ft.Colors.RED_700
                    ),
                ],
            )
        )

    async def timer(*_: Any) -> None:
        if app.timer_started is None:
            await controller.start_timer(draft)
        else:
            await controller.stop_timer(draft)

    controls: list[ft.Control] = []
    if locked:
        controls.append(
            ft.Container(
                ft.Text(tr("locked", lang), size=16),
                bgcolor=ft.Colors.AMBER_100,
                padding=12,
                border_radius=8,
            )
        )
    if existing is not None and existing.errors:
        controls.append(
            ft.Container(
                ft.Text(" ".join(p.message for p in existing.errors), size=15),
                bgcolor=ft.Colors.RED_50,
                padding=12,
                border_radius=8,
            )
        )

    # who -------------------------------------------------------------------------------
    controls.append(ft.Text(tr("who", lang), size=17, weight=ft.FontWeight.W_600))
    controls.append(_people(options, draft, locked))
    chosen = next((t for t in options if t.key == draft.target), None)
    if chosen is not None and chosen.is_group:
        controls.append(ft.Text(tr("present", lang), size=15))
        for decision_id in chosen.decision_ids:
            controls.append(
                ft.Checkbox(
                    label=snapshot.name_of(decision_id),
                    value=decision_id in draft.present,
                    on_change=lambda _, d=decision_id: draft.toggle_present(d),
                    disabled=locked,
                )
            )
    controls.append(error_text(errors.get("decision_ids")))

    # when --------------------------------------------------------------------------------
    today_button = ft.TextButton(
        tr("today", lang),
        on_click=lambda: draft.set_day(fmt.parse_day(fmt.day(_today())) or _today(), lang),
        disabled=locked,
    )
    controls.append(
        ft.Row(
            [
                _field(
                    tr("date", lang),
                    draft.date_text,
                    _setter(draft, "date_text"),
                    error=errors.get("date"),
                    hint=tr("date_hint", lang),
                    keyboard=ft.KeyboardType.DATETIME,
                    expand=True,
                    disabled=locked,
                ),
                today_button,
                ft.TextButton(
                    tr("yesterday", lang),
                    on_click=lambda: draft.set_day(yesterday(), lang),
                    disabled=locked,
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
    )
    controls.append(
        ft.Row(
            [
                _field(
                    tr("start", lang),
                    draft.start_text,
                    _time_setter(draft, "start_text", lang),
                    error=errors.get("start"),
                    hint=tr("clock_hint", lang),
                    keyboard=ft.KeyboardType.DATETIME,
                    expand=True,
                    disabled=locked,
                ),
                _field(
                    tr("end", lang),
                    draft.end_text,
                    _time_setter(draft, "end_text", lang),
                    error=errors.get("end"),
                    hint=tr("clock_hint", lang),
                    keyboard=ft.KeyboardType.DATETIME,
                    expand=True,
                    disabled=locked,
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
    )
    # Follows changes the app made itself (an entry opened for editing, the timer).
    draft.when.follow(draft.date_text, draft.start_text, draft.end_text, lang)
    controls.append(WhenLine(draft.when))
    controls.append(error_text(errors.get("time")))
    if existing is None:
        running = app.timer_started is not None
        controls.append(
            ft.Row(
                [
                    big_button(
                        tr("stop_timer", lang) if running else tr("start_timer", lang),
                        timer,
                        icon=ft.Icons.STOP_CIRCLE if running else ft.Icons.PLAY_CIRCLE,
                        primary=False,
                    ),
                    ft.Text(
                        tr("timer_running", lang, start=fmt.clock_of(app.timer_started))
                        if app.timer_started
                        else "",
                        size=14,
                    ),
                ],
                wrap=True,
            )
        )

    # what ----------------------------------------------------------------------------------
    controls.append(ft.Text(tr("activities", lang), size=17, weight=ft.FontWeight.W_600))
    chips: list[ft.Control] = [
        chip(
            en if lang == "en" else nb,
            nb in draft.activities,
            lambda _, a=nb: draft.toggle_activity(a),
            disabled=locked,
        )
        for nb, en in ACTIVITY_CATALOGUE
    ]
    custom = [a for a in draft.activities if a not in {nb for nb, _ in ACTIVITY_CATALOGUE}]
    chips += [
        chip(a, True, lambda _, a=a: draft.toggle_activity(a), disabled=locked) for a in custom
    ]
    controls.append(ft.Row(chips, wrap=True, spacing=8, run_spacing=8))
    controls.append(
        _field(
            tr("other_activity", lang),
            draft.other_activity,
            _setter(draft, "other_activity"),
            error=errors.get("activities"),
            disabled=locked,
        )
    )
    controls.append(
        _field(
            tr("note", lang),
            draft.note,
            _setter(draft, "note"),
            error=errors.get("note"),
            multiline=True,
            helper=tr("note_hint", lang),
            disabled=locked,
        )
    )

    # driving and expenses -----------------------------------------------------------------
    trips = [TripRow(trip, index, draft, lang, locked) for index, trip in enumerate(draft.trips)]
    controls += _rows_with_add(
        tr("trips", lang),
        trips,
        tr("add_trip", lang),
        draft.add_trip,
        ft.Icons.DIRECTIONS_CAR,
        locked,
    )
    expenses = [
        ExpenseRow(expense, index, draft, lang, locked)
        for index, expense in enumerate(draft.expenses)
    ]
    controls += _rows_with_add(
        tr("expenses", lang),
        expenses,
        tr("add_expense", lang),
        draft.add_expense,
        ft.Icons.RECEIPT_LONG,
        locked,
    )

    # save --------------------------------------------------------------------------------------
    if errors:
        controls.append(error_text(errors.get("form") or tr("fix_fields", lang)))
    if not locked:
        controls.append(
            big_button(
                tr("saving", lang) if draft.busy else tr("save", lang),
                save,
                icon=ft.Icons.SAVE,
                disabled=draft.busy,
            )
        )
        if existing is not None:
            controls.append(
                big_button(tr("delete", lang), delete, icon=ft.Icons.DELETE_OUTLINE, primary=False)
            )
    controls.append(ft.Container(height=24))
    title = tr("edit_session", lang) if existing is not None else tr("new_session", lang)
    return screen(title, controls, back="/", lang=lang)


def _today() -> date:
    from models.clock import today_in_oslo

    return today_in_oslo()


def _rows_with_add(
    title: str,
    rows: list[ft.Control],
    add_label: str,
    add: Callable[[], None],
    icon: ft.IconData,
    locked: bool,
) -> list[ft.Control]:
    """A titled list of rows (trips, expenses) with the button that adds one more."""
    return [
        ft.Text(title, size=17, weight=ft.FontWeight.W_600),
        *rows,
        big_button(add_label, add, icon=icon, primary=False, disabled=locked),
    ]


def _people(options: list[Target], draft: EntryDraft, locked: bool) -> ft.Control:
    """One chip per person; each group on a line of its own, where all its names fit."""
    singles: list[ft.Control] = []
    groups: list[ft.Control] = []
    for option in options:

        def choose(_: Any, picked: Target = option) -> None:
            draft.choose(picked)

        selected = draft.target == option.key
        if option.is_group:
            groups.append(
                wide_choice(option.label, selected, choose, disabled=locked, icon=ft.Icons.GROUPS)
            )
        else:
            singles.append(
                chip(option.label, selected, choose, disabled=locked, icon=ft.Icons.PERSON)
            )
    rows: list[ft.Control] = (
        [ft.Row(singles, wrap=True, spacing=8, run_spacing=8)] if singles else []
    )
    return ft.Column([*rows, *groups], spacing=8)


@ft.component
def TripRow(trip: TripDraft, index: int, draft: EntryDraft, lang: str, locked: bool) -> ft.Control:
    errors = draft.errors
    prefix = f"trips.{index}."
    number = index + 1
    return ft.Container(
        ft.Column(
            [
                ft.Row(
                    [
                        _field(
                            f"{tr('km', lang)} ({number})",
                            trip.km,
                            _setter(trip, "km"),
                            error=errors.get(prefix + "km"),
                            keyboard=ft.KeyboardType.NUMBER,
                            width=110,
                            disabled=locked,
                        ),
                        _field(
                            tr("purpose", lang),
                            trip.purpose,
                            _setter(trip, "purpose"),
                            error=errors.get(prefix + "purpose"),
                            expand=True,
                            disabled=locked,
                        ),
                        icon_button(
                            ft.Icons.CLOSE,
                            tr("remove_trip", lang, n=number),
                            lambda: draft.remove_trip(index),
                            disabled=locked,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                ft.Row(
                    [
                        _field(
                            tr("from_place", lang),
                            trip.from_,
                            _setter(trip, "from_"),
                            error=errors.get(prefix + "from"),
                            expand=True,
                            disabled=locked,
                        ),
                        _field(
                            tr("to_place", lang),
                            trip.to,
                            _setter(trip, "to"),
                            error=errors.get(prefix + "to"),
                            expand=True,
                            disabled=locked,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
            ],
            spacing=8,
        ),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
        padding=10,
    )


@ft.component
def ExpenseRow(
    expense: ExpenseDraft, index: int, draft: EntryDraft, lang: str, locked: bool
) -> ft.Control:
    errors = draft.errors
    number = index + 1
    return ft.Container(
        ft.Column(
            [
                ft.Row(
                    [
                        _field(
                            f"{tr('amount', lang)} ({number})",
                            expense.amount,
                            _setter(expense, "amount"),
                            error=errors.get(f"expenses.{index}.amount"),
                            keyboard=ft.KeyboardType.NUMBER,
                            expand=True,
                            disabled=locked,
                        ),
                        icon_button(
                            ft.Icons.CLOSE,
                            tr("remove_expense", lang, n=number),
                            lambda: draft.remove_expense(index),
                            disabled=locked,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                ft.Row(
                    [
                        chip(
                            en if lang == "en" else nb,
                            expense.category == nb,
                            lambda _, c=nb: setattr(expense, "category", c),
                            disabled=locked,
                            size=15,
                        )
                        for nb, en in EXPENSE_CATEGORIES
                    ],
                    wrap=True,
                    spacing=6,
                    run_spacing=6,
                ),
                error_text(errors.get(f"expenses.{index}.category")),
            ],
            spacing=8,
        ),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
        padding=10,
    )


__all__ = ["EntryView"]
_ = (TOUCH,)
