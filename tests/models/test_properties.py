"""Property tests for the arithmetic: quotas, usage, durations and hashing."""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from models.canonical import content_hash
from models.clock import duration_minutes, duration_problem
from models.flags import overuse
from models.quota import quota_periods, usage_by_period
from models.schemas import EntryData, QuotaPer
from tests.factories import make_terms

# --- strategies -------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() + 1) % 7)


DST_DAYS = [
    _last_sunday(year, month) + timedelta(days=shift)
    for year in range(2024, 2031)
    for month in (3, 10)
    for shift in (-1, 0)
]

# Hours 1–3 are where the clocks change: drawn often so every run meets them.
clocks = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}",
    st.one_of(st.integers(0, 23), st.integers(1, 3)),
    st.integers(0, 59),
)
days = st.one_of(
    st.sampled_from(DST_DAYS), st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31))
)
quarter_hours = st.integers(min_value=1, max_value=4000).map(lambda q: Decimal(q) / 4)
two_place_hours = st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c) / 100)


@st.composite
def entries(
    draw: st.DrawFn,
    *,
    decisions: list[str] | None = None,
    first: date = date(2026, 1, 1),
    last: date = date(2026, 12, 31),
) -> EntryData:
    day = draw(st.one_of(st.dates(first, last), st.sampled_from([first, last])))
    start, end = draw(clocks), draw(clocks)
    assume(duration_problem(day, start, end) is None)
    pool = decisions or ["d1", "d2", "d3"]
    return EntryData.model_validate(
        {
            "id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
            "decision_ids": draw(st.lists(st.sampled_from(pool), min_size=1, unique=True)),
            "date": day,
            "start": start,
            "end": end,
            "activities": draw(
                st.lists(
                    st.sampled_from(["Kino", "Tur", "Kafé", "Bading", "Ørretfiske"]), max_size=3
                )
            ),
            "trips": draw(
                st.lists(
                    st.builds(
                        lambda km, a, b: {"km": Decimal(km) / 10, "from": a, "to": b},
                        st.integers(1, 6_000),  # 3 trips stay under 2000 km in all
                        st.sampled_from(["Hjem", "Skolen", "Ås"]),
                        st.sampled_from(["Hallen", "Bø", "Ål"]),
                    ),
                    max_size=3,
                )
            ),
            "expenses": draw(
                st.lists(
                    st.builds(
                        lambda ore, c: {"amount": Decimal(ore) / 100, "category": c},
                        st.integers(1, 300_000),  # 3 expenses stay under kr 10,000
                        st.sampled_from(["Mat", "Billett", "Utstyr"]),
                    ),
                    max_size=3,
                )
            ),
        }
    )


def _unique(items: list[EntryData]) -> list[EntryData]:
    seen: dict[str, EntryData] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


# --- pro-rating -----------------------------------------------------------------


@given(hours=quarter_hours, year=st.integers(2000, 2037))
def test_a_monthly_vedtak_over_a_calendar_year_awards_twelve_times_the_hours(
    hours: Decimal, year: int
) -> None:
    terms = make_terms(
        hours=hours, per=QuotaPer.month, valid_from=date(year, 1, 1), valid_to=date(year, 12, 31)
    )
    periods = quota_periods(terms)
    assert len(periods) == 12
    assert sum(p.quota_minutes for p in periods) == 12 * hours * 60


def _reference_bounds(per: QuotaPer, day: date) -> tuple[date, date]:
    if per is QuotaPer.week:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if per is QuotaPer.month:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return date(day.year, 1, 1), date(day.year, 12, 31)


@given(
    hours=st.one_of(quarter_hours, two_place_hours),
    per=st.sampled_from([QuotaPer.week, QuotaPer.month, QuotaPer.year]),
    valid_from=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    length=st.integers(0, 800),
)
def test_pro_rated_quotas_add_up_within_the_rounding_bound(
    hours: Decimal, per: QuotaPer, valid_from: date, length: int
) -> None:
    valid_to = valid_from + timedelta(days=length)
    terms = make_terms(hours=hours, per=per, valid_from=valid_from, valid_to=valid_to)
    periods = quota_periods(terms)

    # The periods tile the vedtak, each with its calendar bounds.
    covered_days = 0
    expected_next = valid_from
    exact_total = Decimal(0)
    bound = Decimal(0)
    for period in periods:
        assert (period.start, period.end) == _reference_bounds(per, expected_next)
        covered_to = min(period.end, valid_to)
        covered = (covered_to - expected_next).days + 1
        in_period = (period.end - period.start).days + 1
        covered_days += covered
        exact = hours * 60 * covered / in_period
        exact_total += exact
        if covered == in_period:
            assert abs(period.quota_minutes - exact) <= Decimal("0.5")
            bound += Decimal("0.5")
        else:
            assert period.quota_minutes % 15 == 0
            assert abs(period.quota_minutes - exact) <= Decimal("7.5")
            bound += Decimal("7.5")
        expected_next = covered_to + timedelta(days=1)
    assert covered_days == length + 1
    assert expected_next == valid_to + timedelta(days=1)
    assert abs(sum(p.quota_minutes for p in periods) - exact_total) <= bound


@given(hours=two_place_hours, valid_from=st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_period_quota_is_the_awarded_hours(hours: Decimal, valid_from: date) -> None:
    terms = make_terms(
        hours=hours,
        per=QuotaPer.period,
        valid_from=valid_from,
        valid_to=valid_from + timedelta(days=200),
    )
    [period] = quota_periods(terms)
    assert abs(period.quota_minutes - hours * 60) <= Decimal("0.5")


# --- usage ---------------------------------------------------------------------------


@given(
    items=st.lists(entries(), max_size=25).map(_unique),
    per=st.sampled_from(list(QuotaPer)),
    hours=st.integers(1, 40),
    data=st.data(),
)
def test_usage_and_overuse_do_not_depend_on_arrival_order(
    items: list[EntryData], per: QuotaPer, hours: int, data: st.DataObject
) -> None:
    terms = make_terms(
        hours=hours, per=per, valid_from=date(2026, 2, 11), valid_to=date(2026, 11, 17)
    )
    shuffled = data.draw(st.permutations(items))
    assert usage_by_period("d1", terms, items) == usage_by_period("d1", terms, shuffled)
    total = sum(u.used_minutes for u in usage_by_period("d1", terms, items))
    inside = [
        e for e in items if "d1" in e.decision_ids and terms.valid_from <= e.date <= terms.valid_to
    ]
    assert total == sum(e.minutes for e in inside)
    for period in quota_periods(terms):
        assert overuse("d1", period, items) == overuse("d1", period, shuffled)


@given(
    items=st.lists(entries(), min_size=1, max_size=25).map(_unique),
    per=st.sampled_from(list(QuotaPer)),
    hours=st.integers(1, 20),
)
def test_overuse_agrees_with_usage_and_names_entries_from_the_crossing(
    items: list[EntryData], per: QuotaPer, hours: int
) -> None:
    # A vedtak valid mid-week to mid-month, so entries fall outside partial periods too.
    terms = make_terms(
        hours=hours, per=per, valid_from=date(2026, 2, 11), valid_to=date(2026, 11, 17)
    )
    for usage in usage_by_period("d1", terms, items):
        finding = overuse("d1", usage.period, items)
        assert (finding is not None) == (usage.over_minutes > 0)
        if finding is None:
            continue
        ordered = sorted(
            (e for e in items if "d1" in e.decision_ids and usage.period.contains(e.date)),
            key=lambda e: (e.date, e.start, e.id),
        )
        named = [e for e in ordered if e.id in finding.entry_ids]
        assert [e.id for e in named] == list(finding.entry_ids)
        # The named entries are a suffix, and the usage before it was within quota.
        before = ordered[: len(ordered) - len(named)]
        assert ordered[len(before) :] == named
        assert sum(e.minutes for e in before) <= usage.period.quota_minutes
        assert sum(e.minutes for e in before) + named[0].minutes > usage.period.quota_minutes


# --- duration ----------------------------------------------------------------------


def _is_summer(instant: datetime) -> bool:
    # EU rule since 1996, written out without a tz database: summer time from
    # 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
    begins = datetime.combine(_last_sunday(instant.year, 3), datetime.min.time(), UTC)
    ends = datetime.combine(_last_sunday(instant.year, 10), datetime.min.time(), UTC)
    return begins + timedelta(hours=1) <= instant < ends + timedelta(hours=1)


def _reference_utc(day: date, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    wall = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=UTC)
    as_summer = wall - timedelta(hours=2)
    if _is_summer(as_summer):
        return as_summer  # includes the first pass of the repeated hour in October
    return wall - timedelta(hours=1)  # winter, and the skipped hour in March


@given(day=days, start=clocks, end=clocks)
def test_duration_is_real_elapsed_time(day: date, start: str, end: str) -> None:
    end_day = day if end > start else day + timedelta(days=1)
    real = (_reference_utc(end_day, end) - _reference_utc(day, start)) // timedelta(minutes=1)
    assert duration_minutes(day, start, end) == real
    problem = duration_problem(day, start, end)
    if problem is None:
        assert 1 <= real <= 1440
    else:
        assert start == end or real <= 0 or real > 1440


@given(day=days, start=clocks, end=clocks)
def test_schema_accepts_exactly_the_possible_sessions(day: date, start: str, end: str) -> None:
    data = {"id": str(uuid.uuid4()), "decision_ids": ["d1"], "date": day}
    try:
        entry = EntryData.model_validate({**data, "start": start, "end": end})
    except ValueError:
        assert duration_problem(day, start, end) is not None
    else:
        assert 1 <= entry.minutes <= 1440


# --- content hash ------------------------------------------------------------------


def _hash(items: list[EntryData]) -> str:
    return content_hash(contact_id="c1", decision_id="d1", period="2026-03", entries=items)


def _reordered(entry: EntryData, rnd: Any) -> EntryData:
    data = entry.model_dump(by_alias=True)
    for key in ("activities", "trips", "expenses", "decision_ids"):
        rnd.shuffle(data[key])
    return EntryData.model_validate(data)


@given(items=st.lists(entries(), max_size=8).map(_unique), rnd=st.randoms(use_true_random=False))
def test_hash_is_stable_under_reordering(items: list[EntryData], rnd: Any) -> None:
    shuffled = [_reordered(e, rnd) for e in items]
    rnd.shuffle(shuffled)
    assert _hash(shuffled) == _hash(items)


@st.composite
def paid_changes(draw: st.DrawFn, entry: EntryData) -> dict[str, Any]:
    data = entry.model_dump(by_alias=True)
    field = draw(st.sampled_from(["date", "start", "end", "km", "amount", "decision_ids"]))
    if field == "date":
        data["date"] = entry.date + timedelta(days=draw(st.sampled_from([-1, 1, 7, 31])))
    elif field in ("start", "end"):
        data[field] = draw(clocks.filter(lambda c: c != data[field]))
    elif field == "km":
        assume(entry.trips)
        trip = draw(st.integers(0, len(entry.trips) - 1))
        delta = draw(st.sampled_from([Decimal("0.1"), Decimal("-0.1"), Decimal(1)]))
        assume(Decimal("0.1") <= data["trips"][trip]["km"] + delta <= 2000)
        data["trips"][trip]["km"] += delta
    elif field == "amount":
        assume(entry.expenses)
        expense = draw(st.integers(0, len(entry.expenses) - 1))
        delta = draw(st.sampled_from([Decimal("0.01"), Decimal("-0.01"), Decimal(100)]))
        assume(Decimal("0.01") <= data["expenses"][expense]["amount"] + delta <= 100_000)
        data["expenses"][expense]["amount"] += delta
    else:
        ids = set(data["decision_ids"])
        other = draw(st.sampled_from(sorted({"d1", "d2", "d3", "d4"} - ids)))
        data["decision_ids"] = (
            [*data["decision_ids"], other]
            if len(ids) == 1 or draw(st.booleans())
            else data["decision_ids"][1:]
        )
    assume(duration_problem(data["date"], data["start"], data["end"]) is None)
    return data


@given(items=st.lists(entries(), min_size=1, max_size=6).map(_unique), data=st.data())
def test_hash_changes_when_a_paid_field_changes(
    items: list[EntryData], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(items) - 1))
    changed = EntryData.model_validate(data.draw(paid_changes(items[index])))
    assert _hash([*items[:index], changed, *items[index + 1 :]]) != _hash(items)
