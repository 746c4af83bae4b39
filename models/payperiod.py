"""Pay periods (docs/rules.md §5 "Pay periods"): timesheets follow these, quotas do not.

By default a pay period is a calendar month. A municipality may set a cut-off
day: with cut-off 20 the period runs from the 21st of one month to the 20th of
the next and is named `YYYY-MM` after the month it ends in.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

MAX_CUTOFF_DAY = 28  # every month has the cut-off day, February included

# A pay period's name: YYYY-MM for the month it ends in (months 01 to 12).
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def is_pay_period(text: str) -> bool:
    """True when `text` names a pay period (`2026-03`; not `2026-13` or `2026-3`)."""
    return re.fullmatch(PERIOD_PATTERN, text) is not None


def _check_cutoff(cutoff_day: int | None) -> None:
    if cutoff_day is not None and not 1 <= cutoff_day <= MAX_CUTOFF_DAY:
        raise ValueError(f"Skjæringsdagen må være mellom 1 og {MAX_CUTOFF_DAY}.")


def pay_period_of(day: date, cutoff_day: int | None = None) -> str:
    """The name (`YYYY-MM`) of the pay period that contains `day`."""
    _check_cutoff(cutoff_day)
    if cutoff_day is None or day.day <= cutoff_day:
        return f"{day:%Y-%m}"
    following = day.replace(day=1) + timedelta(days=32)
    return f"{following:%Y-%m}"


def pay_period_bounds(period: str, cutoff_day: int | None = None) -> tuple[date, date]:
    """First and last day (inclusive) of a named pay period."""
    _check_cutoff(cutoff_day)
    year, month = (int(part) for part in period.split("-"))
    if cutoff_day is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    end = date(year, month, cutoff_day)
    previous_month_end = end.replace(day=1) - timedelta(days=1)
    return previous_month_end.replace(day=cutoff_day) + timedelta(days=1), end
