"""Expiring vedtak and the follow-on, over HTTP on SQLite and PostgreSQL
(docs/rules.md §9)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from models.clock import today_in_oslo
from tests.factories import recipient_payload
from tests.server.conftest import World

EXPIRING = "/api/v1/decisions/expiring"


def _ending(world: World, valid_to: date, **overrides: Any) -> tuple[str, str]:
    """A new recipient with one vedtak that ends on `valid_to`."""
    recipient = world.post("/api/v1/recipients", recipient_payload(), world.coordinator)
    decision = world.add_decision(
        recipient_id=recipient["id"],
        valid_from=(valid_to - timedelta(days=364)).isoformat(),
        valid_to=valid_to.isoformat(),
        **overrides,
    )
    return recipient["id"], decision


def test_lists_vedtak_ending_within_the_setting_soonest_first(world: World) -> None:
    today = today_in_oslo()
    _r, later = _ending(world, today + timedelta(days=30))
    _r, soon = _ending(world, today)
    _ending(world, today + timedelta(days=31))  # outside the 30 days
    _ending(world, today - timedelta(days=1))  # already ended: not "expiring"
    body = world.get(EXPIRING)
    assert body["days"] == 30
    assert [d["id"] for d in body["data"]] == [soon, later]
    first = body["data"][0]
    assert first["days_left"] == 0
    assert first["valid_to"] == today.isoformat()
    assert first["recipient_name"] == "Kari Nordmann"
    assert first["contact_ids"] == [world.contact_id]
    assert first["next_valid_from"] == (today + timedelta(days=1)).isoformat()
    assert body["count"] == 2
    # The days can be asked for; the default vedtak (to next year's end) is never in 30 days.
    assert [d["id"] for d in world.get(EXPIRING, days=0)["data"]] == [soon]


def test_only_the_coordinator_sees_the_list_and_the_read_is_audited(
    world: World, client: TestClient
) -> None:
    _ending(world, today_in_oslo() + timedelta(days=3))
    assert client.get(EXPIRING, headers=world.contact).status_code == 403
    assert client.get(EXPIRING, headers=world.office["payroll"]).status_code == 403
    assert client.get(EXPIRING, headers=world.coordinator).status_code == 200
    events = world.get("/api/v1/audit", headers=world.office["admin"])["data"]
    assert any(e["object_type"] == "decisions_expiring" for e in events)
    assert client.get(EXPIRING, params={"days": 400}, headers=world.coordinator).status_code == 422


def test_the_follow_on_is_one_step_from_the_day_after_and_leaves_the_list(
    world: World, client: TestClient
) -> None:
    today = today_in_oslo()
    ends = today + timedelta(days=10)
    recipient_id, decision = _ending(world, ends, hours="12", km_per_month="150")
    listed = world.get(EXPIRING)["data"][0]
    response = client.post(
        f"/api/v1/decisions/{decision}/follow-on", json={}, headers=world.coordinator
    )
    assert response.status_code == 201, response.text
    following = response.json()
    assert following["recipient_id"] == recipient_id
    assert following["valid_from"] == (ends + timedelta(days=1)).isoformat()
    assert following["valid_to"] == listed["next_valid_to"]
    assert Decimal(following["hours"]) == 12
    assert Decimal(following["km_per_month"]) == 150
    assert following["contact_ids"] == [world.contact_id]
    # Taken over without a gap: no longer expiring, and a second follow-on is refused.
    assert world.get(EXPIRING)["data"] == []
    again = client.post(f"/api/v1/decisions/{decision}/follow-on", headers=world.coordinator)
    assert again.status_code == 409
    # The contact's phone gets the new vedtak on its next pull.
    assert following["id"] in {d["id"] for d in world.pull()["decisions"]}


def test_a_follow_on_may_change_the_terms_and_bad_terms_are_refused_in_norwegian(
    world: World, client: TestClient
) -> None:
    ends = today_in_oslo() + timedelta(days=5)
    _r, decision = _ending(world, ends)
    path = f"/api/v1/decisions/{decision}/follow-on"
    bad = client.post(path, json={"valid_to": ends.isoformat()}, headers=world.coordinator)
    assert bad.status_code == 422
    assert "slutte samme dag som eller etter" in bad.text
    assert client.post(path, json={}, headers=world.contact).status_code == 403
    assert (
        client.post("/api/v1/decisions/nope/follow-on", headers=world.coordinator).status_code
        == 404
    )
    made = client.post(
        path,
        json={"valid_to": (ends + timedelta(days=90)).isoformat(), "hours": "4"},
        headers=world.coordinator,
    )
    assert made.status_code == 201, made.text
    assert Decimal(made.json()["hours"]) == 4
    assert made.json()["valid_to"] == (ends + timedelta(days=90)).isoformat()
