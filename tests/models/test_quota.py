"""Quota periods, pro-rating and usage (docs/rules.md §4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.flags import overuse
from models.quota import (
    QuotaPeriod,
    calendar_period,
    minutes_to_hours,
    period_containing,
    prorated_minutes,
    quota_periods,
    usage_by_period,
    used_minutes,
)
from models.schemas import DecisionKind, QuotaPer
from tests.factories import make_entry, make_terms


def test_full_month_gets_the_awarded_hours() -> None:
    terms = make_terms(hours=10, per=QuotaPer.month)
    period = period_containing(terms, date(2026, 3, 10))
    assert period == QuotaPeriod(
        "2026-03",
        date(2026, 3, 1),
        date(2026, 3, 31),
        600,
        covered_from=date(2026, 3, 1),
        covered_to=date(2026, 3, 31),
    )


def test_month_starting_on_the_16th_of_a_31_day_month_is_pro_rated() -> None:
    # 10 h × 16/31 = 5 h 9.68 min, nearest quarter hour: 5 h 15 min.
    terms = make_terms(hours=10, per=QuotaPer.month, valid_from=date(2026, 1, 16))
    period = period_containing(terms, date(2026, 1, 20))
    assert period is not None
    assert (period.key, period.start, period.end) == (
        "2026-01",
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert period.quota_minutes == 315
    february = period_containing(terms, date(2026, 2, 3))
    assert february is not None
    assert february.quota_minutes == 600


def test_month_ending_mid_month_is_pro_rated() -> None:
    # 8 h × 14/28 in February 2026 = exactly 4 h.
    terms = make_terms(hours=8, valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 14))
    assert [p.quota_minutes for p in quota_periods(terms)] == [480, 240]


@pytest.mark.parametrize(
    ("hours", "covered", "days", "minutes"),
    [
        (Decimal(10), 16, 31, 315),
        (Decimal(10), 1, 7, 90),  # 85.7 min → 90
        (Decimal(1), 1, 8, 15),  # 7.5 min is exactly half a quarter: rounds up
        (Decimal(1), 1, 9, 0),  # 6.7 min rounds down to nothing
        (Decimal(2), 1, 31, 0),  # 3.9 min rounds down to nothing
        (Decimal("7.5"), 7, 7, 450),
        (Decimal(10), 0, 7, 0),
    ],
)
def test_prorated_minutes(hours: Decimal, covered: int, days: int, minutes: int) -> None:
    assert prorated_minutes(hours, covered, days) == minutes


def test_iso_week_across_the_year_boundary_is_2026_w53() -> None:
    terms = make_terms(per=QuotaPer.week, hours=5)
    for day in (date(2026, 12, 28), date(2027, 1, 1), date(2027, 1, 3)):
        key, start, end = calendar_period(QuotaPer.week, day, terms)
        assert (key, start, end) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert calendar_period(QuotaPer.week, date(2027, 1, 4), terms)[0] == "2027-W01"


def test_weekly_periods_cover_the_vedtak_with_partial_ends() -> None:
    # Wednesday 30 Dec 2026 to Saturday 9 Jan 2027, 7 h a week.
    terms = make_terms(
        per=QuotaPer.week, hours=7, valid_from=date(2026, 12, 30), valid_to=date(2027, 1, 9)
    )
    periods = quota_periods(terms)
    assert [p.key for p in periods] == ["2026-W53", "2027-W01"]
    # 5 of 7 days = 300 min exactly; 6 of 7 days = 360 min exactly.
    assert [p.quota_minutes for p in periods] == [300, 360]
    assert periods[0].start == date(2026, 12, 28)  # calendar bounds, not validity


def test_yearly_quota_full_and_partial() -> None:
    terms = make_terms(
        per=QuotaPer.year, hours=100, valid_from=date(2026, 7, 1), valid_to=date(2027, 12, 31)
    )
    periods = quota_periods(terms)
    assert [p.key for p in periods] == ["2026", "2027"]
    # 100 h × 184/365 = 50.41 h → 50 h 30 min.
    assert periods[0].quota_minutes == 3030
    assert periods[1].quota_minutes == 6000


def test_period_quota_is_the_whole_vedtak() -> None:
    terms = make_terms(
        per=QuotaPer.period, hours=40, valid_from=date(2026, 2, 10), valid_to=date(2026, 5, 3)
    )
    [period] = quota_periods(terms)
    assert (period.key, period.start, period.end) == ("period", date(2026, 2, 10), date(2026, 5, 3))
    assert period.quota_minutes == 2400
    assert period_containing(terms, date(2026, 2, 9)) is None
    assert period_containing(terms, date(2026, 5, 4)) is None


def test_hand_built_period_counts_its_whole_calendar_span() -> None:
    # Built without coverage (as a caller might in a test), it covers all days.
    period = QuotaPeriod("2026-03", date(2026, 3, 1), date(2026, 3, 31), 600)
    assert period.contains(date(2026, 3, 1))
    assert period.contains(date(2026, 3, 31))
    assert not period.contains(date(2026, 4, 1))


def test_partial_period_contains_only_the_covered_days() -> None:
    terms = make_terms(valid_from=date(2026, 1, 16), valid_to=date(2026, 2, 10))
    january, february = quota_periods(terms)
    assert not january.contains(date(2026, 1, 15))
    assert january.contains(date(2026, 1, 16))
    assert february.contains(date(2026, 2, 10))
    assert not february.contains(date(2026, 2, 11))


def test_usage_counts_only_the_named_decision_in_its_period() -> None:
    terms = make_terms(hours=10)
    entries = [
        make_entry(day=date(2026, 3, 2), start="10:00", end="12:00"),
        make_entry(day=date(2026, 3, 31), start="22:00", end="01:00"),  # counts in March
        make_entry(day=date(2026, 4, 1), start="10:00", end="11:00"),
        make_entry(decision_ids=["d2"], day=date(2026, 3, 5)),
    ]
    usage = {u.period.key: u for u in usage_by_period("d1", terms, entries)}
    assert usage["2026-03"].used_minutes == 300
    assert usage["2026-03"].remaining_minutes == 300
    assert usage["2026-03"].over_minutes == 0
    assert usage["2026-04"].used_minutes == 60
    assert usage["2026-05"].used_minutes == 0
    assert len(usage) == 12
    march = period_containing(terms, date(2026, 3, 1))
    assert march is not None
    assert used_minutes("d1", march, entries) == 300


def test_over_and_remaining_minutes() -> None:
    terms = make_terms(hours=1)
    entries = [make_entry(day=date(2026, 3, 2), start="10:00", end="11:30")]
    march = usage_by_period("d1", terms, entries)[2]
    assert (march.used_minutes, march.remaining_minutes, march.over_minutes) == (90, 0, 30)


def test_group_entry_counts_in_full_on_each_of_three_decisions() -> None:
    terms = make_terms(kind=DecisionKind.group, hours=10, group_id="g1")
    entry = make_entry(decision_ids=["a", "b", "c"], start="10:00", end="13:00")
    for decision_id in ("a", "b", "c"):
        usage = usage_by_period(decision_id, terms, [entry])
        assert usage[2].used_minutes == 180
    assert usage_by_period("d", terms, [entry])[2].used_minutes == 0


def test_entry_outside_validity_uses_no_quota_anywhere() -> None:
    # Weekly vedtak from Wednesday 4 March; an entry on Monday 2 March, the
    # same ISO week, is outside the vedtak: it raises outside_decision, so it
    # must not also count as usage or overuse of that week.
    terms = make_terms(per=QuotaPer.week, hours=1, valid_from=date(2026, 3, 4))
    before = make_entry(day=date(2026, 3, 2), start="10:00", end="13:00")
    inside = make_entry(day=date(2026, 3, 4), start="10:00", end="10:30")
    week = period_containing(terms, date(2026, 3, 4))
    assert week is not None
    assert usage_by_period("d1", terms, [before, inside])[0].used_minutes == 30
    assert used_minutes("d1", week, [before, inside]) == 30
    assert overuse("d1", week, [before, inside]) is None


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(0, "0.00"), (60, "1.00"), (90, "1.50"), (20, "0.33"), (50, "0.83"), (1, "0.02")],
)
def test_minutes_to_hours(minutes: int, hours: str) -> None:
    assert minutes_to_hours(minutes) == Decimal(hours)


def test_weekly_vedtak_to_the_last_plausible_day() -> None:
    terms = make_terms(per=QuotaPer.week, valid_from=date(2026, 1, 1), valid_to=date(2100, 12, 31))
    periods = quota_periods(terms)
    # 31 Dec 2100 is a Friday: its week ends in 2101 and is covered 5 of 7 days.
    assert periods[-1].key == "2100-W52"
    assert periods[-1].end == date(2101, 1, 2)
    assert periods[-1].quota_minutes == prorated_minutes(Decimal(10), 5, 7)
