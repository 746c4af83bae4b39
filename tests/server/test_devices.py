"""Devices report their unsent changes; the office sees phones that go quiet
(docs/rules.md §11 "Devices"), over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from server.config import Settings
from server.db import make_engine
from server.tables import DeviceMutation, DeviceState
from tests.server.conftest import World

ATTENTION = "/api/v1/devices/attention"
PULL = "/api/v1/sync/pull"


def _listed(world: World) -> dict[str, dict[str, Any]]:
    body = world.get(ATTENTION)
    assert body["waiting_days"] == 5
    assert body["silent_days"] == 30
    return {item["contact_id"]: item for item in body["data"]}


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_a_change_waiting_more_than_five_days_is_listed_until_a_report_says_it_went(
    world: World, client: TestClient
) -> None:
    response = client.post(
        "/api/v1/sync/push",
        json={
            "device_id": "phone-a",
            "mutations": [],
            "device": {"unsent": 3, "oldest_unsent_at": _ago(6)},
        },
        headers=world.contact,
    )
    assert response.status_code == 200, response.text
    item = _listed(world)[world.contact_id]
    assert item["reasons"] == ["waiting"]
    assert item["unsent"] == 3
    assert item["devices"] == 1
    assert item["employee_no"]
    # Four days is not yet too long.
    client.get(
        PULL,
        params={"cursor": 0, "device_id": "phone-a", "unsent": 2, "oldest_unsent_at": _ago(4)},
        headers=world.contact,
    )
    assert world.contact_id not in _listed(world)
    # The server keeps the latest report per device: a second phone adds to it.
    client.get(
        PULL,
        params={"cursor": 0, "device_id": "phone-b", "unsent": 1, "oldest_unsent_at": _ago(9)},
        headers=world.contact,
    )
    item = _listed(world)[world.contact_id]
    assert (item["unsent"], item["devices"]) == (3, 2)
    client.get(
        PULL, params={"cursor": 0, "device_id": "phone-b", "unsent": 0}, headers=world.contact
    )
    assert world.contact_id not in _listed(world)


def test_a_contact_silent_for_thirty_days_with_open_sheets_is_listed(
    world: World, client: TestClient, settings: Settings
) -> None:
    assert world.upsert()["status"] == "applied"  # an open timesheet now exists
    assert world.contact_id not in _listed(world)  # it synced just now
    engine = make_engine(settings.sqlalchemy_url)
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with engine.begin() as conn:
        conn.execute(update(DeviceState).values(reported_at=long_ago))
        conn.execute(update(DeviceMutation).values(created_at=long_ago))
    engine.dispose()
    item = _listed(world)[world.contact_id]
    assert item["reasons"] == ["silent"]
    assert item["open_timesheets"] == 1
    # A pull, even one that reports nothing, is a sync.
    client.get(PULL, params={"cursor": 0, "device_id": "device-1"}, headers=world.contact)
    assert world.contact_id not in _listed(world)


def test_a_silent_contact_with_nothing_open_is_left_alone(world: World) -> None:
    # World's contact has never synced and has no timesheet.
    assert world.contact_id not in _listed(world)


def test_only_the_coordinator_sees_the_list_and_bad_reports_are_refused(
    world: World, client: TestClient
) -> None:
    assert client.get(ATTENTION, headers=world.contact).status_code == 403
    assert client.get(ATTENTION, headers=world.office["payroll"]).status_code == 403
    assert client.get(ATTENTION, headers=world.coordinator).status_code == 200
    bad_pull = client.get(
        PULL, params={"cursor": 0, "device_id": "p", "unsent": -1}, headers=world.contact
    )
    assert bad_pull.status_code == 422
    bad_push = client.post(
        "/api/v1/sync/push",
        json={"device_id": "p", "mutations": [], "device": {"unsent": 1, "extra": "x"}},
        headers=world.contact,
    )
    assert bad_push.status_code == 422
    events = world.get("/api/v1/audit", headers=world.office["admin"])["data"]
    assert any(e["object_type"] == "devices_attention" for e in events)


def test_an_unchanged_report_is_not_written_again_within_ten_minutes(
    world: World, client: TestClient, settings: Settings
) -> None:
    from sqlalchemy import select

    def reported_at() -> datetime:
        engine = make_engine(settings.sqlalchemy_url)
        with engine.connect() as conn:
            value: datetime = conn.execute(select(DeviceState.reported_at)).scalar_one()
        engine.dispose()
        return value

    params = {"cursor": 0, "device_id": "phone", "unsent": 0}
    client.get(PULL, params=params, headers=world.contact)
    first = reported_at()
    client.get(PULL, params=params, headers=world.contact)
    assert reported_at() == first  # a phone pulling every minute does not write every minute
    client.get(PULL, params={**params, "unsent": 1}, headers=world.contact)
    assert reported_at() > first  # a change is written at once
