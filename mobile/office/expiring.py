"""Vedtak som går ut: the coordinator's start-page list, and the next vedtak in one step.

Self-contained (state and component) so the start page only places it. The
rule for what is expiring lives in `models.lifecycle`; the server applies it
and pre-fills the next vedtak's dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import flet as ft

from mobile import fmt
from mobile.hooks import use_state_from
from mobile.office.api import ApiError, OfficeApi
from mobile.office.common import busy, message, use_load
from mobile.office.state import PER_TEXT, check, parse_date_field, parse_number_field
from mobile.views.common import TOUCH
from models.lifecycle import ExpiringDecisionPublic, FollowOnCreate


def _day(value: date) -> str:
    return fmt.day(value)


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def expiring_text(item: ExpiringDecisionPublic) -> str:
    """One line per vedtak: who, when it ends and how soon."""
    left = item.days_left
    when = "i dag" if left == 0 else "i morgen" if left == 1 else f"om {left} dager"
    return f"{item.recipient_name} ({item.case_no}): vedtaket går ut {_day(item.valid_to)}, {when}"


def next_text(item: ExpiringDecisionPublic, form: dict[str, str] | None = None) -> str:
    """The next vedtak as it will be registered."""
    form = form or {}
    until = form.get("valid_to") or _day(item.next_valid_to)
    hours = form.get("hours") or _hours(item.hours)
    return (
        f"Neste vedtak: {_day(item.next_valid_from)}–{until}, "
        f"{hours} timer {PER_TEXT.get(item.per, '')}"
    )


@ft.observable
@dataclass
class ExpiringDesk:
    """Expiring vedtak and the follow-on being registered (at most one form open)."""

    decisions: list[ExpiringDecisionPublic] = field(default_factory=list)
    days: int = 30
    loading: bool = False
    loaded: bool = False
    error: str | None = None
    notice: str | None = None
    editing: str | None = None  # the vedtak whose next terms are being changed
    form: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            body = await api.expiring_decisions()
            self.decisions = body.data
            self.days = body.days
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = str(error)
        finally:
            self.loading = False

    def edit(self, item: ExpiringDecisionPublic) -> None:
        self.editing = item.id
        self.form = {"valid_to": _day(item.next_valid_to), "hours": _hours(item.hours)}

    async def follow_on(self, api: OfficeApi, item: ExpiringDecisionPublic) -> bool:
        """Register the next vedtak: the pre-filled terms, or the edited ones."""
        fields: dict[str, str] = {}
        if self.editing == item.id:
            typed = {
                "valid_to": parse_date_field(self.form.get("valid_to", "")),
                "hours": parse_number_field(self.form.get("hours", "")),
            }
            fields = {key: value for key, value in typed.items() if value is not None}
        terms, problems = check(FollowOnCreate, fields)
        if terms is None:
            self.error = " ".join(["Vedtaket er ikke registrert.", *problems.values()])
            return False
        try:
            made = await api.follow_on_decision(item.id, terms)
        except ApiError as error:
            messages = [e.message for e in error.errors if e.message]
            self.error = " ".join([str(error), *messages])
            return False
        self.error = None
        self.editing = None
        self.notice = (
            f"Nytt vedtak for {item.case_no} er registrert: "
            f"{_day(made.valid_from)}–{_day(made.valid_to)}."
        )
        await self.load(api)
        return True


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
                        ft.TextField(
                            label="Neste vedtak gjelder til (dd.mm.åååå)",
                            value=desk.form.get("valid_to", ""),
                            on_change=put("valid_to"),
                            width=300,
                        ),
                        ft.TextField(
                            label="Timer",
                            value=desk.form.get("hours", ""),
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
