"""Vedtak som går ut (`mobile/office/expiring.py`): the coordinator's start-page list,
and the next vedtak in one step.

The rule for what is expiring lives in `models.lifecycle`; the server applies it
and pre-fills the next vedtak's dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import flet as ft

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import (
    PER_TEXT,
    Desk,
    check,
    parse_date_field,
    parse_number_field,
)
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
class ExpiringDesk(Desk):
    """Expiring vedtak and the follow-on being registered (at most one form open)."""

    decisions: list[ExpiringDecisionPublic] = field(default_factory=list)
    days: int = 30
    notice: str | None = None
    editing: str | None = None  # the vedtak whose next terms are being changed
    form: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            body = await api.expiring_decisions()
            self.decisions = body.data
            self.days = body.days

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
