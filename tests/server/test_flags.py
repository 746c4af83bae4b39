"""Each flag kind raised, returned to the device, kept current and resolved."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import entry_payload, recent_day
from tests.server.conftest import World


def _flags(world: World, **params: Any) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = world.get("/api/v1/flags", **params)["data"]
    return data


def _kinds(result: dict[str, Any]) -> list[str]:
    return sorted(flag["kind"] for flag in result.get("flags") or [])


def test_overuse_names_the_crossing_entry_and_resolves_itself(world: World) -> None:
    world.upsert(date=recent_day(0).isoformat(), start="08:00", end="12:00")
    world.upsert(date=recent_day(1).isoformat(), start="08:00", end="12:00")
    assert _flags(world, kind="overuse") == []
    crossing = world.upsert(date=recent_day(2).isoformat(), start="08:00", end="11:00")
    assert _kinds(crossing) == ["overuse"]
    [flag] = crossing["flags"]
    assert flag["entry_ids"] == [crossing["entry"]["id"]]
    assert flag["decision_id"] == world.decision_id
    assert flag["period"] == f"{recent_day():%Y-%m}"
    assert "11 t" in flag["detail"]
    assert "1 t over" in flag["detail"]
    later = world.upsert(date=recent_day(3).isoformat(), start="08:00", end="09:00")
    [same] = _flags(world, kind="overuse", status="open")
    assert same["id"] == flag["id"]
    assert same["entry_ids"] == [crossing["entry"]["id"], later["entry"]["id"]]
    assert _kinds(later) == ["overuse"]

    world.push(("entry.delete", {"id": crossing["entry"]["id"]}))
    world.push(("entry.delete", {"id": later["entry"]["id"]}))
    [resolved] = _flags(world, kind="overuse")
    assert resolved["status"] == "resolved"
    assert resolved["resolution_note"].startswith("Løst automatisk")
    pulled = world.pull()
    assert [f["status"] for f in pulled["flags"] if f["kind"] == "overuse"] == ["resolved"]


def _crossing_on(entries: list[dict[str, Any]], quota_minutes: int) -> list[str]:
    """The rule as docs/rules.md states it: in order of date, start and id, the
    entries from the one that takes the running total over the quota."""
    ordered = sorted(entries, key=lambda e: (e["date"], e["start"], e["id"]))
    running = 0
    for index, entry in enumerate(ordered):
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (entry["start"], entry["end"]))
        running += end - start
        if running > quota_minutes:
            return [e["id"] for e in ordered[index:]]
    return []


def test_an_overuse_flag_naming_many_entries_names_each_in_order(world: World) -> None:
    """Over the quota, the flagged entries are read from the period's end, a
    page at a time: a flag naming more than several pages lists every entry,
    sessions starting at the same minute in order of id."""
    first = recent_day(0).replace(day=1)
    shuffle = random.Random(7)
    entries = []
    for n in range(150):
        # Pairs share a day and a start, so the order within a pair is the ids'.
        day = first + timedelta(days=(n // 2) % 25)
        start = f"{6 + (n // 50) * 2:02d}:{15 * ((n // 2) % 2):02d}"
        entry = entry_payload(
            decision_ids=[world.decision_id],
            id=str(uuid.UUID(int=shuffle.getrandbits(128), version=4)),
            date=day.isoformat(),
            start=start,
            end=f"{start[:2]}:{int(start[3:]) + 30:02d}",
        )
        entries.append(entry)
    results = world.push(*(("entry.upsert", entry) for entry in entries))
    assert {r["status"] for r in results} == {"applied"}
    expected = _crossing_on(entries, 10 * 60)
    assert len(expected) == 130
    [flag] = _flags(world, kind="overuse", status="open")
    assert flag["entry_ids"] == expected
    assert "75 t" in flag["detail"]

    # Deleting the earliest entries moves the crossing later.
    earliest = sorted(entries, key=lambda e: (e["date"], e["start"], e["id"]))[:9]
    world.push(*(("entry.delete", {"id": e["id"]}) for e in earliest))
    left = [e for e in entries if e not in earliest]
    [flag] = _flags(world, kind="overuse", status="open")
    assert flag["entry_ids"] == _crossing_on(left, 10 * 60)


def test_entries_before_a_vedtak_starts_use_none_of_its_first_weeks_quota(world: World) -> None:
    """A vedtak starting on a Wednesday: its first week's quota is pro-rated, and
    a session on the Monday before it is outside the vedtak and uses no quota."""
    day = recent_day(0)
    wednesday = day - timedelta(days=day.weekday()) + timedelta(days=2)
    decision = world.add_decision(per="week", hours="2", valid_from=wednesday.isoformat())
    before = world.upsert(
        decision_ids=[decision],
        date=(wednesday - timedelta(days=2)).isoformat(),
        start="08:00",
        end="11:00",
    )
    assert _kinds(before) == ["outside_decision"]
    # 2 h × 5/7 of a week is 1 h 30 min (in quarter hours): reached, not passed.
    within = world.upsert(
        decision_ids=[decision], date=wednesday.isoformat(), start="08:00", end="09:30"
    )
    assert _kinds(within) == []
    assert _flags(world, kind="overuse") == []
    past = world.upsert(
        decision_ids=[decision],
        date=(wednesday + timedelta(days=1)).isoformat(),
        start="08:00",
        end="08:15",
    )
    [flag] = past["flags"]
    assert flag["entry_ids"] == [past["entry"]["id"]]
    assert "brukt 1 t 45 min" in flag["detail"]


def test_shortening_an_entry_resolves_overuse(world: World) -> None:
    big = world.upsert(start="08:00", end="19:00")
    assert _kinds(big) == ["overuse"]
    shorter = {**big["entry"], "end": "17:00"}
    [result] = world.push(("entry.upsert", shorter))
    assert result["status"] == "applied"
    assert _flags(world, kind="overuse", status="open") == []


def test_reaching_the_quota_exactly_is_not_overuse(world: World) -> None:
    result = world.upsert(start="08:00", end="18:00")
    assert _kinds(result) == []


def test_raising_the_quota_resolves_overuse(world: World, client: TestClient) -> None:
    world.upsert(start="08:00", end="19:00")
    assert len(_flags(world, kind="overuse", status="open")) == 1
    response = client.patch(
        f"/api/v1/decisions/{world.decision_id}", json={"hours": "12"}, headers=world.coordinator
    )
    assert response.status_code == 200
    assert _flags(world, kind="overuse", status="open") == []


def test_outside_decision(world: World) -> None:
    late = world.add_decision(
        valid_from=recent_day(5).isoformat(), valid_to=recent_day(60).isoformat()
    )
    result = world.upsert(decision_ids=[late], date=recent_day(0).isoformat())
    assert result["status"] == "applied"
    assert _kinds(result) == ["outside_decision"]
    usage = world.get(f"/api/v1/decisions/{late}/usage")
    assert all(p["used_hours"] == "0.00" for p in usage["periods"])
    moved = {**result["entry"], "date": recent_day(6).isoformat()}
    world.push(("entry.upsert", moved))
    assert _flags(world, kind="outside_decision", status="open") == []


def test_overlap_of_the_same_contacts_entries(world: World) -> None:
    first = world.upsert(start="10:00", end="12:00")
    second = world.upsert(start="11:30", end="13:00")
    assert _kinds(second) == ["overlap"]
    [flag] = _flags(world, kind="overlap", status="open")
    assert flag["entry_ids"] == [first["entry"]["id"], second["entry"]["id"]]
    world.push(("entry.upsert", {**second["entry"], "start": "12:00"}))
    assert _flags(world, kind="overlap", status="open") == []


def test_overlap_across_midnight(world: World) -> None:
    world.upsert(date=recent_day(0).isoformat(), start="22:00", end="02:00")
    next_morning = world.upsert(date=recent_day(1).isoformat(), start="01:00", end="03:00")
    assert "overlap" in _kinds(next_morning)


def test_double_coverage_by_two_contacts(world: World, client: TestClient) -> None:
    other_id, other = world.add_contact()
    client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, other_id]},
        headers=world.coordinator,
    )
    world.upsert(start="10:00", end="12:00")
    theirs = world.upsert(headers=other, start="11:00", end="12:00")
    assert _kinds(theirs) == ["double_coverage"]
    [flag] = _flags(world, kind="double_coverage", status="open")
    assert flag["decision_id"] == world.decision_id


def test_km_over_allowance(world: World) -> None:
    capped = world.add_decision(km_per_month="50")
    trip = {"km": "30", "from": "Hjem", "to": "Svømmehallen", "purpose": "bading"}
    first = world.upsert(decision_ids=[capped], trips=[trip])
    assert _kinds(first) == []
    second = world.upsert(decision_ids=[capped], start="13:00", end="14:00", trips=[trip])
    assert _kinds(second) == ["km_over_allowance"]
    [flag] = _flags(world, kind="km_over_allowance")
    assert "60,0 km av 50,0 km" in flag["detail"]


def test_missing_politiattest_until_registered(world: World, client: TestClient) -> None:
    contact_id, headers = world.add_contact(politiattest_date=None)
    client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, contact_id]},
        headers=world.coordinator,
    )
    result = world.upsert(headers=headers)
    assert _kinds(result) == ["missing_politiattest"]
    again = world.upsert(headers=headers, start="14:00", end="15:00")
    assert _kinds(again) == ["missing_politiattest"]
    assert len(_flags(world, kind="missing_politiattest")) == 1
    client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"politiattest_date": "2025-01-01"},
        headers=world.coordinator,
    )
    [flag] = _flags(world, kind="missing_politiattest")
    assert flag["status"] == "resolved"


def test_group_entry_counts_on_every_decision(world: World, client: TestClient) -> None:
    second_recipient = world.post(
        "/api/v1/recipients",
        {"name": "Ali Hansen", "case_no": "2026/G2"},
        world.coordinator,
    )["id"]
    g1 = world.add_decision(kind="group", group_id="gruppe-1", hours="3")
    g2 = world.add_decision(
        kind="group", group_id="gruppe-1", hours="3", recipient_id=second_recipient
    )
    result = world.upsert(decision_ids=[g1, g2], start="10:00", end="14:00")
    assert _kinds(result) == ["overuse", "overuse"]
    for decision in (g1, g2):
        usage = world.get(f"/api/v1/decisions/{decision}/usage")
        assert {p["used_hours"] for p in usage["periods"]} == {"0.00", "4.00"}
    sheets = world.get("/api/v1/timesheets")["data"]
    assert sorted(s["decision_id"] for s in sheets) == sorted([g1, g2])


def test_resolve_by_hand_and_filters(world: World, client: TestClient) -> None:
    world.upsert(start="08:00", end="19:00")
    [flag] = _flags(world, status="open")
    response = client.post(
        f"/api/v1/flags/{flag['id']}/resolve",
        json={"note": "Avklart med saksbehandler."},
        headers=world.coordinator,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["resolution_note"] == "Avklart med saksbehandler."
    again = client.post(
        f"/api/v1/flags/{flag['id']}/resolve", json={"note": "x"}, headers=world.coordinator
    )
    assert again.status_code == 409
    assert _flags(world, status="open") == []
    assert len(_flags(world, status="resolved", kind="overuse")) == 1
    missing = client.post(
        "/api/v1/flags/nope/resolve", json={"note": "x"}, headers=world.coordinator
    )
    assert missing.status_code == 404
    empty_note = client.post(
        f"/api/v1/flags/{flag['id']}/resolve", json={"note": ""}, headers=world.coordinator
    )
    assert empty_note.status_code == 422


def test_shortening_the_vedtak_resolves_overuse_of_periods_it_no_longer_covers(
    world: World, client: TestClient
) -> None:
    small = world.add_decision(hours="1")
    result = world.upsert(decision_ids=[small], start="10:00", end="12:00")
    assert _kinds(result) == ["overuse"]
    ends_before = recent_day().replace(day=1) - timedelta(days=1)
    response = client.patch(
        f"/api/v1/decisions/{small}",
        json={"valid_to": ends_before.isoformat()},
        headers=world.coordinator,
    )
    assert response.status_code == 200, response.text
    open_kinds = [f["kind"] for f in _flags(world, status="open", decision_id=small)]
    assert open_kinds == ["outside_decision"]
    [resolved] = _flags(world, status="resolved", kind="overuse")
    assert resolved["resolution_note"] == "Løst automatisk: vedtaket er endret."


def test_a_contact_sees_no_other_contacts_entries_or_times_in_flags(
    world: World, client: TestClient
) -> None:
    other_id, other = world.add_contact()
    client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, other_id]},
        headers=world.coordinator,
    )
    mine = world.upsert(start="10:00", end="12:00")
    theirs = world.upsert(headers=other, start="11:07", end="12:00")
    [pushed] = theirs["flags"]
    assert pushed["entry_ids"] == [theirs["entry"]["id"]]
    for headers, own, foreign in (
        (world.contact, mine, theirs),
        (other, theirs, mine),
    ):
        [flag] = [f for f in world.pull(headers=headers)["flags"] if f["status"] == "open"]
        assert flag["kind"] == "double_coverage"
        assert flag["entry_ids"] == [own["entry"]["id"]]
        assert foreign["entry"]["id"] not in str(flag)
        assert "11:07" not in flag["detail"]
    [office_view] = _flags(world, kind="double_coverage", status="open")
    assert "11:07" in office_view["detail"]
    assert len(office_view["entry_ids"]) == 2
