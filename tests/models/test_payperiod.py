"""Pay periods (docs/rules.md §5 "Pay periods")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.payperiod import is_pay_period, pay_period_bounds, pay_period_of


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 1, 1), "2026-01"),
        (date(2026, 1, 31), "2026-01"),
        (date(2026, 2, 28), "2026-02"),
        (date(2026, 12, 31), "2026-12"),
    ],
)
def test_calendar_month_by_default(day: date, period: str) -> None:
    assert pay_period_of(day) == period


def test_calendar_month_bounds() -> None:
    assert pay_period_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert pay_period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert pay_period_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 1, 20), "2026-01"),
        (date(2026, 1, 21), "2026-02"),
        (date(2026, 1, 31), "2026-02"),
        (date(2026, 2, 20), "2026-02"),
        (date(2026, 2, 21), "2026-03"),
        (date(2026, 12, 20), "2026-12"),
        (date(2026, 12, 21), "2027-01"),
        (date(2026, 12, 31), "2027-01"),
        (date(2027, 1, 20), "2027-01"),
    ],
)
def test_cutoff_day_20_names_the_period_after_the_month_it_ends_in(day: date, period: str) -> None:
    assert pay_period_of(day, cutoff_day=20) == period


def test_cutoff_day_20_bounds() -> None:
    assert pay_period_bounds("2026-02", cutoff_day=20) == (date(2026, 1, 21), date(2026, 2, 20))
    assert pay_period_bounds("2027-01", cutoff_day=20) == (date(2026, 12, 21), date(2027, 1, 20))
    assert pay_period_bounds("2026-03", cutoff_day=20) == (date(2026, 2, 21), date(2026, 3, 20))


@pytest.mark.parametrize("cutoff", [0, 29, 31, -1])
def test_cutoff_outside_1_to_28_is_refused(cutoff: int) -> None:
    with pytest.raises(ValueError, match="Skjæringsdagen"):
        pay_period_of(date(2026, 1, 1), cutoff_day=cutoff)
    with pytest.raises(ValueError, match="Skjæringsdagen"):
        pay_period_bounds("2026-01", cutoff_day=cutoff)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    cutoff=st.one_of(st.none(), st.integers(min_value=1, max_value=28)),
)
def test_every_day_lies_in_its_period_and_periods_tile(day: date, cutoff: int | None) -> None:
    period = pay_period_of(day, cutoff)
    first, last = pay_period_bounds(period, cutoff)
    assert first <= day <= last
    # The next period begins the day after this one ends: no gaps, no overlaps.
    assert pay_period_of(last + timedelta(days=1), cutoff) != period
    assert pay_period_of(first - timedelta(days=1), cutoff) != period
    assert pay_period_bounds(pay_period_of(last + timedelta(days=1), cutoff), cutoff)[0] == (
        last + timedelta(days=1)
    )
    assert last.strftime("%Y-%m") == period


@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=0, max_value=99))
def test_a_pay_period_names_one_of_twelve_months(year: int, month: int) -> None:
    """One check for the API, the payroll CLI and the office (month 13 was once let through)."""
    assert is_pay_period(f"{year}-{month:02d}") is (1 <= month <= 12)


@pytest.mark.parametrize(
    "text", ["2026-3", "26-03", "2026-03-01", "2026/03", " 2026-03", "2026-13"]
)
def test_malformed_pay_periods_are_refused(text: str) -> None:
    assert not is_pay_period(text)
