"""Vedtak lifecycle rules: expiring window, follow-on dates, taking over without a gap."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from models.lifecycle import (
    EXPIRING_DAYS,
    expires_soon,
    expiry_notice,
    follow_on_end,
    follow_on_start,
    is_followed,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@given(today=days, offset=st.integers(min_value=-400, max_value=400), window=st.integers(0, 366))
def test_expiring_means_ending_from_today_to_the_window(
    today: date, offset: int, window: int
) -> None:
    valid_to = today + timedelta(days=offset)
    assert expires_soon(valid_to, today, window) == (0 <= offset <= window)


def test_the_default_window_is_thirty_days_and_the_notice_is_norwegian() -> None:
    today = date(2026, 12, 5)
    assert EXPIRING_DAYS == 30
    assert expires_soon(date(2027, 1, 4), today)
    assert not expires_soon(date(2027, 1, 5), today)
    assert expiry_notice(date(2027, 1, 4)) == "Vedtaket går ut 04.01.2027"


@given(start=days, length=st.integers(min_value=0, max_value=800))
def test_the_follow_on_starts_the_day_after_and_is_as_long(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    nxt = follow_on_start(end)
    assert nxt == end + timedelta(days=1)
    proposed = follow_on_end(start, end)
    assert proposed >= nxt
    # As many days, or as many whole months for a vedtak of whole months.
    assert abs((proposed - nxt).days - length) <= 3 * (1 + length // 28)
    assert is_followed(end, [(nxt, proposed)]) or proposed == end


def test_a_calendar_year_is_followed_by_the_next_calendar_year() -> None:
    assert follow_on_end(date(2026, 1, 1), date(2026, 12, 31)) == date(2027, 12, 31)
    assert follow_on_end(date(2027, 3, 1), date(2028, 2, 29)) == date(2029, 2, 28)
    assert follow_on_end(date(2026, 3, 1), date(2026, 8, 31)) == date(2027, 2, 28)
    assert follow_on_end(date(2026, 3, 15), date(2027, 3, 14)) == date(2028, 3, 14)
    assert follow_on_end(date(2026, 3, 10), date(2026, 3, 19)) == date(2026, 3, 29)


def test_taking_over_needs_no_gap_and_a_later_end() -> None:
    end = date(2026, 12, 31)
    assert is_followed(end, [(date(2027, 1, 1), date(2027, 12, 31))])
    assert is_followed(end, [(date(2026, 6, 1), date(2027, 6, 1))])  # overlapping also covers
    assert not is_followed(end, [(date(2027, 1, 2), date(2027, 12, 31))])  # one day's gap
    assert not is_followed(end, [(date(2026, 1, 1), end)])  # itself
    assert not is_followed(end, [])
