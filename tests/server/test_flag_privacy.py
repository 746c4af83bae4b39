"""A flag on a vedtak shared by two contacts tells each only about their own
entries (docs/rules.md §10; issue 11, finding 10): no other contact's dates,
times, totals or ids, in pull or in push answers."""

from __future__ import annotations

from typing import Any

from tests.factories import recent_day
from tests.server.conftest import World


def _shared(world: World) -> tuple[str, dict[str, str]]:
    other_id, other = world.add_contact()
    response = world.client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, other_id], "km_per_month": "50"},
        headers=world.coordinator,
    )
    assert response.status_code == 200, response.text
    return other_id, other


def _open(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in flags if f["status"] == "open"]


def _assert_nothing_of(flag: dict[str, Any], *, other_id: str, entry: dict[str, Any]) -> None:
    text = str(flag)
    assert entry["id"] not in text
    assert other_id not in text
    assert flag.get("contact_id") in (None, "")
    day = f"{recent_day(5):%d.%m.%Y}"
    assert day not in flag["detail"]


def test_flags_caused_by_anothers_entries_carry_none_of_their_data(world: World) -> None:
    other_id, other = _shared(world)
    # The other contact: 12 h on a 10 h vedtak, 80 km of 50 allowed.
    theirs = [
        world.upsert(
            headers=other,
            date=recent_day(offset).isoformat(),
            start="08:00",
            end="14:00",
            trips=[{"km": "40", "from": "Hjem", "to": "Hallen", "purpose": "trening"}],
        )
        for offset in (5, 6)
    ]
    assert all(t["status"] == "applied" for t in theirs), theirs
    # Mine: one hour, a short drive, on another day.
    mine = world.upsert(
        date=recent_day(1).isoformat(),
        start="10:00",
        end="11:00",
        trips=[{"km": "2", "from": "Hjem", "to": "Skolen", "purpose": "tur"}],
    )
    office = {f["kind"]: f for f in world.get("/api/v1/flags", status="open")["data"]}
    assert {"overuse", "km_over_allowance"} <= set(office), office
    assert "82" in office["km_over_allowance"]["detail"]  # the office reads the totals

    for flag in _open(world.pull()["flags"]) + _open(mine.get("flags") or []):
        assert set(flag["entry_ids"]) <= {mine["entry"]["id"]}, flag
        for entry in theirs:
            _assert_nothing_of(flag, other_id=other_id, entry=entry["entry"])
        assert "82" not in flag["detail"], flag
        assert "13 t" not in flag["detail"], flag


def test_an_entry_outside_the_vedtak_is_not_shown_to_the_co_assigned_contact(
    world: World,
) -> None:
    other_id, other = _shared(world)
    outside = world.client.get(f"/api/v1/decisions/{world.decision_id}", headers=world.coordinator)
    valid_to = outside.json()["valid_to"]
    world.client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"valid_to": (recent_day(3)).isoformat()},
        headers=world.coordinator,
    )
    theirs = world.upsert(headers=other, date=recent_day(5).isoformat())
    assert theirs["status"] == "applied", theirs
    assert valid_to
    for flag in _open(world.pull()["flags"]):
        _assert_nothing_of(flag, other_id=other_id, entry=theirs["entry"])
