"""Vedtak lifecycle (docs/rules.md §9): which vedtak are about to end,
and the terms of the one that follows on.

A vedtak is "expiring" from `days` days before its last day (`valid_to`,
inclusive) through that day, unless a later vedtak for the same recipient
already takes over without a gap. The rule is here once, for the office's
list on the server and for the contact's card on the phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from models.schemas import DecisionKind, QuotaPer, Schema
from models.text import date_text
from models.types import Day, EntityId, Hours, Km

EXPIRING_DAYS = 30  # the default of the setting
MAX_EXPIRING_DAYS = 366


def expires_soon(valid_to: date, today: date, days: int = EXPIRING_DAYS) -> bool:
    """True from `days` days before the vedtak's last day through that day."""
    return today <= valid_to <= today + timedelta(days=days)


def expiry_notice(valid_to: date) -> str:
    """What the contact's card says: "Vedtaket går ut dd.mm.åååå"."""
    return f"Vedtaket går ut {date_text(valid_to)}"


def follow_on_start(valid_to: date) -> date:
    """A follow-on vedtak starts the day after, so no day is left uncovered."""
    return valid_to + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    """The same day `months` months on, or the month's last day when it has fewer."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")  # pragma: no cover


def follow_on_end(valid_from: date, valid_to: date) -> date:
    """The proposed end of the follow-on: as long as the vedtak it follows.

    A vedtak of whole months (a year, half a year) is followed by one of as
    many whole months, so 01.01–31.12 is followed by the next calendar year;
    any other by as many days.
    """
    start = follow_on_start(valid_to)
    months = (start.year - valid_from.year) * 12 + start.month - valid_from.month
    if months > 0 and _add_months(valid_from, months) == start:
        return _add_months(start, months) - timedelta(days=1)
    return start + (valid_to - valid_from)


def is_followed(valid_to: date, later: Iterable[tuple[date, date]]) -> bool:
    """Whether one of the recipient's other vedtak (valid_from, valid_to) takes over
    by the day after `valid_to` and runs past it."""
    start = follow_on_start(valid_to)
    return any(begin <= start and end > valid_to for begin, end in later)


class ExpiringDecisionPublic(Schema):
    """A vedtak that ends within the setting's days, with what a follow-on needs."""

    id: EntityId
    recipient_id: EntityId
    recipient_name: str
    case_no: str
    kind: DecisionKind
    hours: Decimal
    per: QuotaPer
    valid_from: date
    valid_to: date
    days_left: int
    km_per_month: Decimal | None = None
    group_id: str | None = None
    contact_ids: list[str] = Field(default_factory=list)
    # The pre-filled dates of the next vedtak: the day after, and as long again.
    next_valid_from: date
    next_valid_to: date


class ExpiringDecisionsPublic(Schema):
    """Expiring vedtak, the soonest first; `days` is the setting used."""

    data: list[ExpiringDecisionPublic]
    count: int
    days: int


class FollowOnCreate(Schema):
    """The next vedtak for the same recipient, starting the day after the one it
    follows; omitted terms are copied from it."""

    valid_to: Day | None = None
    hours: Hours | None = None
    km_per_month: Km | None = None
    contact_ids: list[EntityId] | None = Field(default=None, max_length=10)
