"""Wall-clock arithmetic in Europe/Oslo (docs/rules.md §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models.clock import (
    duration_minutes,
    duration_problem,
    entry_span,
    future_date_problem,
    local_instant,
    today_in_oslo,
)

AUTUMN_BACK = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET
SPRING_FORWARD = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST


def test_ordinary_session_is_wall_clock_length() -> None:
    assert duration_minutes(date(2026, 3, 10), "10:00", "12:15") == 135


def test_night_the_clocks_go_back_is_an_hour_longer() -> None:
    assert duration_minutes(AUTUMN_BACK, "01:30", "03:30") == 180


def test_night_the_clocks_go_forward_is_an_hour_shorter() -> None:
    assert duration_minutes(SPRING_FORWARD, "01:00", "04:00") == 120


def test_evening_before_autumn_change_across_midnight() -> None:
    # 22:00 CEST on the 24th to 03:00 CET on the 25th: six real hours.
    assert duration_minutes(date(2026, 10, 24), "22:00", "03:00") == 360


def test_session_across_midnight_ends_next_day() -> None:
    day = date(2026, 3, 10)
    begins, ends = entry_span(day, "22:00", "01:00")
    assert begins == datetime(2026, 3, 10, 21, 0, tzinfo=UTC)
    assert ends == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert duration_minutes(day, "22:00", "01:00") == 180
    assert duration_problem(day, "22:00", "01:00") is None


def test_summer_time_is_utc_plus_two() -> None:
    assert local_instant(date(2026, 7, 1), "12:00") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert local_instant(date(2026, 1, 1), "12:00") == datetime(2026, 1, 1, 11, 0, tzinfo=UTC)


def test_repeated_hour_is_read_as_its_first_occurrence() -> None:
    assert local_instant(AUTUMN_BACK, "02:30") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_skipped_hour_is_read_with_the_offset_before_the_change() -> None:
    assert local_instant(SPRING_FORWARD, "02:30") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_start_equal_to_end_is_refused() -> None:
    problem = duration_problem(date(2026, 3, 10), "10:00", "10:00")
    assert problem == "Start og slutt kan ikke være samme klokkeslett."


def test_almost_a_whole_day_is_allowed() -> None:
    assert duration_minutes(date(2026, 3, 10), "10:00", "09:59") == 1439
    assert duration_problem(date(2026, 3, 10), "10:00", "09:59") is None


def test_over_24_real_hours_across_autumn_change_is_refused() -> None:
    # 02:30 (first, summer) on the 25th to 02:00 on the 26th is 24 h 30 min.
    assert duration_minutes(AUTUMN_BACK, "02:30", "02:00") == 1470
    assert duration_problem(AUTUMN_BACK, "02:30", "02:00") == (
        "En økt kan ikke vare mer enn 24 timer."
    )


def test_negative_real_time_in_the_skipped_hour_is_refused() -> None:
    # 02:30 does not exist that night: read as 03:30 summer time, after 03:00.
    assert duration_minutes(SPRING_FORWARD, "02:30", "03:00") == -30
    assert duration_problem(SPRING_FORWARD, "02:30", "03:00") == (
        "Økten må vare mer enn null minutter."
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), date(2026, 6, 30)),
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_today_follows_oslo_not_utc(now: datetime, expected: date) -> None:
    assert today_in_oslo(now) == expected


def test_today_defaults_to_now() -> None:
    assert abs((today_in_oslo() - datetime.now(UTC).date()).days) <= 1


def test_future_date_one_day_ahead_is_allowed_two_is_not() -> None:
    today = date(2026, 12, 31)
    assert future_date_problem(today, today) is None
    assert future_date_problem(date(2027, 1, 1), today) is None
    problem = future_date_problem(date(2027, 1, 2), today)
    assert problem is not None
    assert "fram i tid" in problem
