"""Retention (docs/rules.md §12): which pay periods' data the law no longer asks us to keep.

Bokføringsloven § 13 asks for pay documentation (primary documentation) to be
kept for 5 years; nothing asks for longer, and health-related personal data may
then no longer be kept (GDPR art. 5 (1) e: storage limitation). A pay period is
due when it ended more than `years` years before today (a setting, never less
than the law's 5); of a due period only timesheets that are settled —
exported (paid) or rejected — are deleted.
"""

from __future__ import annotations

from datetime import date

from models.payperiod import pay_period_bounds

RETENTION_YEARS = 5
# Settled: paid and sent to payroll, or turned down. Anything else still needs someone.
SETTLED_STATUSES = frozenset({"exported", "rejected"})


def years_before(day: date, years: int) -> date:
    """The same date `years` years earlier (29.02 becomes 28.02)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def keep_from(today: date, years: int = RETENTION_YEARS) -> date:
    """Periods that ended on or after this day are kept."""
    return years_before(today, years)


def is_due(
    period: str, *, today: date, years: int = RETENTION_YEARS, cutoff_day: int | None = None
) -> bool:
    """Whether the pay period ended more than `years` years before `today`."""
    _start, end = pay_period_bounds(period, cutoff_day)
    return end < keep_from(today, years)
