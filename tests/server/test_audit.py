"""The audit log: changes by anyone, reads by the office, append-only in the database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.config import Settings
from server.db import make_engine
from tests.server.conftest import World


def _events(world: World) -> list[dict[str, object]]:
    events: list[dict[str, object]] = world.get("/api/v1/audit", headers=world.office["admin"])[
        "data"
    ]
    return events


def test_changes_by_every_role_are_logged(world: World, client: TestClient) -> None:
    created = world.upsert()
    [sheet] = world.get("/api/v1/timesheets")["data"]
    client.post(
        f"/api/v1/timesheets/{sheet['id']}/reject", json={"reason": "x"}, headers=world.coordinator
    )
    seen = {(e["role"], e["action"], e["object_type"]) for e in _events(world)}
    assert ("coordinator", "create", "recipient") in seen
    assert ("coordinator", "create", "contact") in seen
    assert ("coordinator", "create", "decision") in seen
    assert ("contact", "create", "entry") in seen
    assert ("coordinator", "reject", "timesheet") in seen
    entry_events = [e for e in _events(world) if e["object_id"] == created["entry"]["id"]]
    assert entry_events[0]["user_id"]


def test_reads_by_payroll_are_logged_but_a_contacts_own_reads_are_not(world: World) -> None:
    world.upsert()
    [sheet] = world.get("/api/v1/timesheets", headers=world.office["payroll"])["data"]
    world.get(f"/api/v1/timesheets/{sheet['id']}", headers=world.office["payroll"])
    world.get(f"/api/v1/timesheets/{sheet['id']}", headers=world.contact)
    reads = [e for e in _events(world) if e["action"] == "read" and e["object_id"] == sheet["id"]]
    assert [e["role"] for e in reads] == ["payroll"]


def test_audit_page_after_id(world: World) -> None:
    everything = _events(world)
    later = world.get("/api/v1/audit", headers=world.office["admin"], after_id=everything[0]["id"])[
        "data"
    ]
    assert [e["id"] for e in later] == [e["id"] for e in everything[1:]]


def test_audit_rows_cannot_be_changed_or_deleted(world: World, settings: Settings) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() > 0
    finally:
        engine.dispose()


def test_an_override_reason_is_kept_on_the_sheet_not_in_the_audit_log(
    world: World, client: TestClient, settings: Settings
) -> None:
    world.upsert()
    [sheet] = world.get("/api/v1/timesheets")["data"]
    reason = "Kari Nordmann var på sykehus; bekreftet på telefon."
    response = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve",
        json={"override_reason": reason},
        headers=world.coordinator,
    )
    assert response.status_code == 200, response.text
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            stored = [str(d) for d in conn.execute(text("SELECT detail FROM audit_events"))]
    finally:
        engine.dispose()
    assert not any("Kari" in detail for detail in stored)
    [approval] = [e for e in _events(world) if e["action"] == "approve"]
    assert approval["object_id"] == sheet["id"]
    assert approval["detail"] == {"override": True, "override_reason": reason}
