"""Quota periods, pro-rating and usage (docs/rules.md §4).

Everything is counted in whole minutes. A quota period stands alone: unused
hours never carry over. A period that the vedtak only partly covers gets
`hours × covered_days / days_in_period`, rounded to the nearest quarter hour.

The functions work on one decision-period at a time, so that the server can
recompute just the period an edited entry falls in.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from models.schemas import DecisionTerms, EntryData, QuotaPer

QUARTER_HOUR = 15


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    """One quota period of a decision: its calendar bounds and its quota.

    `covered_from`/`covered_to` are the days of it the vedtak is valid on
    (None: all of it). Entries dated in the calendar period but outside the
    vedtak raise `outside_decision` and use no quota, so `contains` looks at
    both.
    """

    key: str  # "2026-W05", "2026-03", "2026" or "period"
    start: date  # first day of the calendar period (for `period`: valid_from)
    end: date  # last day, inclusive
    quota_minutes: int
    covered_from: date | None = None
    covered_to: date | None = None

    @property
    def counted(self) -> tuple[date, date]:
        """The first and last day whose entries use this period's quota."""
        first = self.start if self.covered_from is None else max(self.start, self.covered_from)
        last = self.end if self.covered_to is None else min(self.end, self.covered_to)
        return first, last

    def contains(self, day: date) -> bool:
        """True when an entry dated `day` uses quota in this period."""
        first, last = self.counted
        return first <= day <= last


def remaining_minutes(quota_minutes: int, used: int) -> int:
    """What is left of a quota (never below 0)."""
    return max(0, quota_minutes - used)


def over_minutes(quota_minutes: int, used: int) -> int:
    """How far use went over a quota (0 within it)."""
    return max(0, used - quota_minutes)


@dataclass(frozen=True, slots=True)
class PeriodUsage:
    """Used against awarded minutes in one quota period."""

    period: QuotaPeriod
    used_minutes: int

    @property
    def remaining_minutes(self) -> int:
        return remaining_minutes(self.period.quota_minutes, self.used_minutes)

    @property
    def over_minutes(self) -> int:
        return over_minutes(self.period.quota_minutes, self.used_minutes)


def calendar_period(per: QuotaPer, day: date, terms: DecisionTerms) -> tuple[str, date, date]:
    """The key and inclusive bounds of the quota period that contains `day`."""
    if per is QuotaPer.week:
        monday = day - timedelta(days=day.weekday())
        iso_year, iso_week, _ = day.isocalendar()
        return f"{iso_year}-W{iso_week:02d}", monday, monday + timedelta(days=6)
    if per is QuotaPer.month:
        last = calendar.monthrange(day.year, day.month)[1]
        return f"{day:%Y-%m}", day.replace(day=1), day.replace(day=last)
    if per is QuotaPer.year:
        return f"{day.year}", date(day.year, 1, 1), date(day.year, 12, 31)
    return "period", terms.valid_from, terms.valid_to


def prorated_minutes(hours: Decimal, covered_days: int, days_in_period: int) -> int:
    """The quota in minutes for a period the vedtak covers `covered_days` of.

    A fully covered period gets the awarded hours exactly (to the minute); a
    partly covered one is rounded to the nearest quarter hour, halves up.
    """
    if covered_days <= 0:
        return 0
    full = hours * 60
    if covered_days >= days_in_period:
        return int(full.to_integral_value(rounding=ROUND_HALF_UP))
    share = full * covered_days / days_in_period
    quarters = (share / QUARTER_HOUR).to_integral_value(rounding=ROUND_HALF_UP)
    return int(quarters) * QUARTER_HOUR


def period_containing(terms: DecisionTerms, day: date) -> QuotaPeriod | None:
    """The quota period of `day`, or None when the vedtak does not cover `day`."""
    if not terms.valid_from <= day <= terms.valid_to:
        return None
    key, start, end = calendar_period(terms.per, day, terms)
    covered_from, covered_to = max(start, terms.valid_from), min(end, terms.valid_to)
    covered = (covered_to - covered_from).days + 1
    length = (end - start).days + 1
    return QuotaPeriod(
        key,
        start,
        end,
        prorated_minutes(terms.hours, covered, length),
        covered_from=covered_from,
        covered_to=covered_to,
    )


def quota_periods(terms: DecisionTerms) -> list[QuotaPeriod]:
    """Every quota period the vedtak touches, in order."""
    periods: list[QuotaPeriod] = []
    day = terms.valid_from
    while day <= terms.valid_to:
        period = period_containing(terms, day)
        assert period is not None  # day lies within the validity by construction
        periods.append(period)
        day = period.end + timedelta(days=1)
    return periods


def used_minutes(decision_id: str, period: QuotaPeriod, entries: Iterable[EntryData]) -> int:
    """Minutes that entries naming the decision use in the period.

    A group entry uses its full duration on every decision it names.
    """
    return sum(
        entry.minutes
        for entry in entries
        if decision_id in entry.decision_ids and period.contains(entry.date)
    )


def usage_by_period(
    decision_id: str, terms: DecisionTerms, entries: Iterable[EntryData]
) -> list[PeriodUsage]:
    """Usage in every period of the decision.

    Entries dated outside the vedtak's validity use no quota: they raise
    `outside_decision` instead, so one mistake is not reported twice.
    """
    periods = quota_periods(terms)
    used = dict.fromkeys((period.key for period in periods), 0)
    for entry in entries:
        if decision_id not in entry.decision_ids:
            continue
        period = period_containing(terms, entry.date)
        if period is not None:
            used[period.key] += entry.minutes
    return [PeriodUsage(period, used[period.key]) for period in periods]


def minutes_to_hours(minutes: int) -> Decimal:
    """Minutes as hours with two decimals, for display and the JSON contract."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
