"""Flag detection (docs/rules.md §7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from models.flags import (
    Finding,
    chronological,
    double_coverage,
    individual_ids,
    km_over_allowance,
    outside_decision,
    overlaps,
    overuse,
    overuse_from_latest,
    spans_overlap,
)
from models.quota import QuotaPeriod, period_containing
from models.schemas import DecisionKind, EntryData, FlagKind, QuotaPer
from models.text import hours_text
from tests.factories import entry_id, make_entry, make_terms, make_time_entry

MARCH = date(2026, 3, 1)


def _march(hours: int = 4) -> QuotaPeriod:
    period = period_containing(make_terms(hours=hours), MARCH)
    assert period is not None
    return period


def test_quota_reached_exactly_is_not_overuse() -> None:
    entries = [
        make_entry(day=date(2026, 3, 2), start="10:00", end="12:00"),
        make_entry(day=date(2026, 3, 3), start="10:00", end="12:00"),
    ]
    assert overuse("d1", _march(4), entries) is None


def test_one_minute_over_is_overuse_from_the_crossing_entry_on() -> None:
    first = make_entry(id=entry_id(1), day=date(2026, 3, 2), start="10:00", end="12:00")
    crossing = make_entry(id=entry_id(2), day=date(2026, 3, 3), start="10:00", end="12:01")
    later = make_entry(id=entry_id(3), day=date(2026, 3, 20), start="09:00", end="09:30")
    same_day_earlier = make_entry(id=entry_id(4), day=date(2026, 3, 20), start="08:00", end="08:15")
    other_decision = make_entry(id=entry_id(5), decision_ids=["d2"], day=date(2026, 3, 4))
    april = make_entry(id=entry_id(6), day=date(2026, 4, 1))
    arrived = [later, april, crossing, other_decision, same_day_earlier, first]

    finding = overuse("d1", _march(4), arrived)

    assert finding is not None
    assert finding.kind is FlagKind.overuse
    assert finding.decision_id == "d1"
    assert finding.period == "2026-03"
    assert finding.scope == "overuse:d1:2026-03"
    assert finding.entry_ids == (crossing.id, same_day_earlier.id, later.id)
    # used 4 h 46 min of 4 h
    assert finding.detail == "Overforbruk mars 2026: brukt 4 t 46 min av 4 t, 46 min over vedtaket."


def test_one_minute_over_names_only_that_entry_when_it_is_last() -> None:
    a = make_entry(day=date(2026, 3, 2), start="10:00", end="12:00")
    b = make_entry(day=date(2026, 3, 3), start="10:00", end="12:01")
    finding = overuse("d1", _march(4), [b, a])
    assert finding is not None
    assert finding.entry_ids == (b.id,)
    assert finding.detail.endswith("1 min over vedtaket.")


def test_overuse_on_each_group_decision() -> None:
    terms = make_terms(kind=DecisionKind.group, hours=2, per=QuotaPer.week)
    period = period_containing(terms, date(2026, 3, 10))
    assert period is not None
    entry = make_entry(
        decision_ids=["a", "b", "c"], day=date(2026, 3, 10), start="10:00", end="13:00"
    )
    for decision_id in ("a", "b", "c"):
        finding = overuse(decision_id, period, [entry])
        assert finding is not None
        assert finding.period == "2026-W11"
        assert finding.detail.startswith("Overforbruk uke 11 2026: brukt 3 t av 2 t, 1 t over")


def test_chronological_orders_by_date_start_then_id() -> None:
    a = make_entry(id=entry_id(2), day=date(2026, 3, 2), start="09:00")
    b = make_entry(id=entry_id(1), day=date(2026, 3, 2), start="09:00")
    c = make_entry(id=entry_id(3), day=date(2026, 3, 1), start="23:00", end="23:30")
    assert chronological([a, b, c]) == [c, b, a]


def test_outside_decision() -> None:
    terms = make_terms(valid_from=date(2026, 2, 1), valid_to=date(2026, 6, 30))
    inside = make_entry(day=date(2026, 2, 1))
    last_day = make_entry(day=date(2026, 6, 30))
    after = make_entry(day=date(2026, 7, 1))
    assert outside_decision("d1", terms, inside) is None
    assert outside_decision("d1", terms, last_day) is None
    finding = outside_decision("d1", terms, after)
    assert finding == Finding(
        kind=FlagKind.outside_decision,
        scope=f"outside_decision:d1:{after.id}",
        detail="Økten 01.07.2026 ligger utenfor vedtakets gyldighet (01.02.2026–30.06.2026).",
        entry_ids=(after.id,),
        decision_id="d1",
    )


def test_overlap_same_day() -> None:
    a = make_time_entry(id=entry_id(1), start="10:00", end="12:00")
    b = make_time_entry(id=entry_id(2), start="11:59", end="13:00")
    [finding] = overlaps(b, [a, b])
    assert finding.kind is FlagKind.overlap
    assert finding.entry_ids == (a.id, b.id)
    assert finding.contact_id == "c1"
    assert finding.scope == f"overlap:{a.id}:{b.id}"
    assert (
        finding.detail == "To økter overlapper: 10.03.2026 10:00–12:00 og 10.03.2026 11:59–13:00."
    )
    # The pair has one scope whichever side is the edited entry.
    assert overlaps(a, [b])[0].scope == finding.scope


def test_touching_sessions_do_not_overlap() -> None:
    a = make_time_entry(start="10:00", end="12:00")
    b = make_time_entry(start="12:00", end="13:00")
    assert overlaps(b, [a]) == []
    assert not spans_overlap(a, b)


def test_overlap_across_midnight() -> None:
    evening = make_time_entry(day=date(2026, 3, 10), start="22:00", end="01:00")
    night = make_time_entry(day=date(2026, 3, 11), start="00:30", end="02:00")
    morning = make_time_entry(day=date(2026, 3, 11), start="01:00", end="02:00")
    assert [f.entry_ids for f in overlaps(night, [evening, morning])] == [
        (evening.id, night.id),
        (night.id, morning.id),
    ]
    assert overlaps(morning, [evening]) == []


def test_overlap_ignores_other_contacts() -> None:
    a = make_time_entry(contact_id="c1")
    b = make_time_entry(contact_id="c2")
    assert overlaps(a, [b]) == []


def test_double_coverage_two_contacts_on_one_individual_decision() -> None:
    mine = make_time_entry(id=entry_id(1), contact_id="c1", start="10:00", end="12:00")
    theirs = make_time_entry(id=entry_id(2), contact_id="c2", start="11:00", end="13:00")
    [finding] = double_coverage(mine, ["d1"], [theirs])
    assert finding.kind is FlagKind.double_coverage
    assert finding.decision_id == "d1"
    assert finding.entry_ids == (mine.id, theirs.id)
    assert finding.scope == f"double_coverage:{mine.id}:{theirs.id}"
    assert "10.03.2026: 10:00–12:00 og 11:00–13:00" in finding.detail


def test_double_coverage_not_for_group_decisions() -> None:
    mine = make_time_entry(contact_id="c1", decision_ids=["a", "b"])
    theirs = make_time_entry(contact_id="c2", decision_ids=["a", "b"])
    assert double_coverage(mine, [], [theirs]) == []


def test_double_coverage_not_for_same_contact_or_other_decision_or_other_time() -> None:
    mine = make_time_entry(contact_id="c1", start="10:00", end="12:00")
    own = make_time_entry(contact_id="c1", start="10:00", end="12:00")
    elsewhere = make_time_entry(contact_id="c2", decision_ids=["d2"])
    later = make_time_entry(contact_id="c2", start="12:00", end="13:00")
    assert double_coverage(mine, ["d1", "d2"], [own, elsewhere, later]) == []


def test_individual_ids_picks_individual_decisions() -> None:
    decisions = [
        ("d1", make_terms()),
        ("g1", make_terms(kind=DecisionKind.group, group_id="grp")),
        ("d2", make_terms()),
    ]
    assert individual_ids(decisions) == ["d1", "d2"]


def _trip(km: str) -> dict[str, str]:
    return {"km": km, "from": "Hjem", "to": "Svømmehallen", "purpose": "Henting"}


def test_km_at_the_allowance_is_fine_over_is_flagged() -> None:
    terms = make_terms(km_per_month=100)
    a = make_entry(id=entry_id(1), day=date(2026, 3, 2), trips=[_trip("60.0")])
    b = make_entry(id=entry_id(2), day=date(2026, 3, 9), trips=[_trip("40.0")])
    c = make_entry(id=entry_id(3), day=date(2026, 3, 31), trips=[_trip("0.1")])
    no_trip = make_entry(id=entry_id(4), day=date(2026, 3, 12))
    april = make_entry(id=entry_id(5), day=date(2026, 4, 1), trips=[_trip("500")])
    assert km_over_allowance("d1", terms, MARCH, [a, b, no_trip, april]) is None
    finding = km_over_allowance("d1", terms, date(2026, 3, 17), [c, april, b, a, no_trip])
    assert finding is not None
    assert finding.kind is FlagKind.km_over_allowance
    assert finding.period == "2026-03"
    assert finding.scope == "km_over_allowance:d1:2026-03"
    assert finding.entry_ids == (a.id, b.id, c.id)
    assert finding.detail == "Kjøring mars 2026: 100,1 km av 100,0 km tillatt."


def test_km_without_allowance_is_never_flagged() -> None:
    entry = make_entry(trips=[_trip("2000")])
    assert km_over_allowance("d1", make_terms(), MARCH, [entry]) is None


# Sessions in March: (id number, day, start hour, start minute, length in minutes).
_SESSIONS = st.lists(
    st.tuples(
        st.integers(0, 30),
        # Up to the 28th: on 29 March 2026 Oslo's clocks skip 02:00–03:00, where
        # a session's length is not its clock difference.
        st.integers(1, 28),
        st.integers(0, 21),
        st.sampled_from([0, 15, 30]),
        # Whole hours often, so that a running total lands exactly on the quota.
        st.one_of(st.sampled_from([30, 60, 120]), st.integers(1, 120)),
    ),
    max_size=25,
    unique_by=lambda session: session[0],
)


def _session_entries(sessions: list[tuple[int, int, int, int, int]]) -> list[EntryData]:
    entries = []
    for number, day, hour, minute, length in sessions:
        end = hour * 60 + minute + length
        entries.append(
            make_entry(
                id=entry_id(number),
                day=date(2026, 3, day),
                start=f"{hour:02d}:{minute:02d}",
                end=f"{end // 60:02d}:{end % 60:02d}",
            )
        )
    return entries


@given(_SESSIONS, st.integers(1, 12))
def test_overuse_names_the_entries_from_the_crossing_one_on(
    sessions: list[tuple[int, int, int, int, int]], hours: int
) -> None:
    """Checked against the rule as written: a running total in chronological
    order, and the first entry that takes it over the quota."""
    entries = _session_entries(sessions)
    period = _march(hours)
    running, crossing = 0, None
    ordered = chronological(entries)
    for index, entry in enumerate(ordered):
        running += entry.minutes
        if crossing is None and running > period.quota_minutes:
            crossing = index
    found = overuse("d1", period, entries)
    if crossing is None:
        assert found is None
    else:
        assert found is not None
        assert found.entry_ids == tuple(e.id for e in ordered[crossing:])
        assert f"brukt {hours_text(running)}" in found.detail


@given(_SESSIONS, st.integers(1, 12))
def test_overuse_from_the_period_end_reads_only_the_entries_it_names(
    sessions: list[tuple[int, int, int, int, int]], hours: int
) -> None:
    entries = _session_entries(sessions)
    period = _march(hours)
    ordered = chronological(entries)
    used = sum(e.minutes for e in ordered)
    taken: list[str] = []

    def latest_first() -> Iterator[tuple[str, int]]:
        for entry in reversed(ordered):
            taken.append(entry.id)
            yield entry.id, entry.minutes

    found = overuse_from_latest("d1", period, used, latest_first())
    assert found == overuse("d1", period, entries)
    assert taken == ([] if found is None else list(reversed(found.entry_ids)))
