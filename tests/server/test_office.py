"""Contacts, recipients, decisions and usage through the API, with audit of reads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import contact_payload, decision_payload, recipient_payload
from tests.server.conftest import World


def _audit(world: World, **match: Any) -> list[dict[str, Any]]:
    events = world.get("/api/v1/audit", headers=world.office["admin"])["data"]
    return [e for e in events if all(e.get(k) == v for k, v in match.items())]


def test_contact_is_created_with_a_login(world: World, client: TestClient) -> None:
    body = contact_payload(hourly_rate="325.50")
    response = client.post("/api/v1/contacts", json=body, headers=world.coordinator)
    assert response.status_code == 201
    created = response.json()
    assert created["username"] == body["username"]
    assert created["hourly_rate"] == "325.50"
    assert "password" not in created
    me = client.get(
        "/api/v1/me",
        headers={
            "Authorization": "Bearer "
            + client.post(
                "/api/v1/auth/login",
                json={"username": body["username"], "password": body["password"]},
            ).json()["token"]
        },
    ).json()
    assert me == {
        "user_id": me["user_id"],
        "username": body["username"],
        "role": "contact",
        "contact_id": created["id"],
    }


def test_admin_may_create_contacts(world: World, client: TestClient) -> None:
    response = client.post(
        "/api/v1/contacts", json=contact_payload(), headers=world.office["admin"]
    )
    assert response.status_code == 201


def test_duplicate_username_and_employee_no_are_409(world: World, client: TestClient) -> None:
    first = contact_payload()
    assert client.post("/api/v1/contacts", json=first, headers=world.coordinator).status_code == 201
    same_user = contact_payload(username=first["username"])
    response = client.post("/api/v1/contacts", json=same_user, headers=world.coordinator)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "username"
    same_no = contact_payload(employee_no=first["employee_no"])
    response = client.post("/api/v1/contacts", json=same_no, headers=world.coordinator)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "employee_no"


def test_contact_validation_names_fields_in_norwegian(world: World, client: TestClient) -> None:
    body = contact_payload(contract_type="boss", hourly_rate="-1")
    response = client.post("/api/v1/contacts", json=body, headers=world.coordinator)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"contract_type", "hourly_rate"}
    assert fields["contract_type"] == "Ugyldig valg."


def test_list_search_get_and_patch_contacts(world: World, client: TestClient) -> None:
    listed = world.get("/api/v1/contacts")
    assert listed["count"] == 1
    name = listed["data"][0]["name"]
    found = world.get("/api/v1/contacts", q=name.split()[-1].lower())
    assert [c["id"] for c in found["data"]] == [world.contact_id]
    assert world.get("/api/v1/contacts", q="finnes-ikke")["count"] == 0
    one = world.get(f"/api/v1/contacts/{world.contact_id}")
    assert one["id"] == world.contact_id
    patched = client.patch(
        f"/api/v1/contacts/{world.contact_id}",
        json={"politiattest_date": None, "hourly_rate": "400.00"},
        headers=world.coordinator,
    )
    assert patched.status_code == 200
    assert patched.json()["politiattest_date"] is None
    assert patched.json()["hourly_rate"] == "400.00"
    assert client.get("/api/v1/contacts/nope", headers=world.coordinator).status_code == 404


def test_recipient_reads_are_audited_and_searchable(world: World, client: TestClient) -> None:
    created = client.post(
        "/api/v1/recipients",
        json=recipient_payload(name="Siri Solberg", case_no="2026/777"),
        headers=world.coordinator,
    ).json()
    found = world.get("/api/v1/recipients", q="solberg")
    assert [r["id"] for r in found["data"]] == [created["id"]]
    assert world.get("/api/v1/recipients", q="2026/777")["count"] == 1
    one = world.get(f"/api/v1/recipients/{created['id']}")
    assert one["name"] == "Siri Solberg"
    assert one["guardians"] == [{"name": "Per Nordmann", "relation": "far"}]
    reads = _audit(world, action="read", object_type="recipient", object_id=created["id"])
    assert len(reads) == 1
    assert reads[0]["role"] == "coordinator"
    # The audit log holds ids, never the name that was read.
    assert "Solberg" not in str(world.get("/api/v1/audit", headers=world.office["admin"]))


def test_duplicate_case_no_is_409(world: World, client: TestClient) -> None:
    body = recipient_payload(case_no="2026/1")
    assert (
        client.post("/api/v1/recipients", json=body, headers=world.coordinator).status_code == 201
    )
    again = client.post("/api/v1/recipients", json=body, headers=world.coordinator)
    assert again.status_code == 409


def test_decision_validation(world: World, client: TestClient) -> None:
    missing_recipient = decision_payload(recipient_id="nope", contact_ids=[world.contact_id])
    response = client.post("/api/v1/decisions", json=missing_recipient, headers=world.coordinator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "recipient_id"
    group_without_id = decision_payload(
        recipient_id=world.recipient_id, contact_ids=[world.contact_id], kind="group"
    )
    response = client.post("/api/v1/decisions", json=group_without_id, headers=world.coordinator)
    assert response.status_code == 422
    unknown_contact = decision_payload(recipient_id=world.recipient_id, contact_ids=["nope"])
    response = client.post("/api/v1/decisions", json=unknown_contact, headers=world.coordinator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_ids"


def test_decisions_list_filters_and_contact_sees_only_own(world: World) -> None:
    other_id, _ = world.add_contact()
    other_decision = world.add_decision(contact_ids=[other_id])
    everything = world.get("/api/v1/decisions")
    assert {d["id"] for d in everything["data"]} == {world.decision_id, other_decision}
    mine = world.get("/api/v1/decisions", contact_id=world.contact_id)
    assert [d["id"] for d in mine["data"]] == [world.decision_id]
    by_recipient = world.get("/api/v1/decisions", recipient_id=world.recipient_id)
    assert by_recipient["count"] == 2
    as_contact = world.get("/api/v1/decisions", headers=world.contact)
    assert [d["id"] for d in as_contact["data"]] == [world.decision_id]
    assert as_contact["data"][0]["case_no"]
    forbidden = world.client.get(f"/api/v1/decisions/{other_decision}", headers=world.contact)
    assert forbidden.status_code == 403


def test_patch_decision_changes_terms_and_assignment(world: World, client: TestClient) -> None:
    other_id, _ = world.add_contact()
    response = client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"hours": "12.5", "contact_ids": [world.contact_id, other_id]},
        headers=world.coordinator,
    )
    assert response.status_code == 200
    assert response.json()["hours"] == "12.5"
    assert sorted(response.json()["contact_ids"]) == sorted([world.contact_id, other_id])
    bad = client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"valid_to": "2000-01-01"},
        headers=world.coordinator,
    )
    assert bad.status_code == 422


def test_usage_lists_every_period_with_hours(world: World) -> None:
    world.upsert(start="10:00", end="12:30")
    usage = world.get(f"/api/v1/decisions/{world.decision_id}/usage")
    assert usage["decision_id"] == world.decision_id
    assert len(usage["periods"]) == 36  # three calendar years of months
    used = [p for p in usage["periods"] if p["used_hours"] != "0.00"]
    assert len(used) == 1
    assert used[0]["quota_hours"] == "10.00"
    assert used[0]["used_hours"] == "2.50"
    assert used[0]["remaining_hours"] == "7.50"
    assert used[0]["over_hours"] == "0.00"
    as_contact = world.get(f"/api/v1/decisions/{world.decision_id}/usage", headers=world.contact)
    assert as_contact == usage


def test_unassigned_contact_gets_403_on_usage(world: World) -> None:
    _, stranger = world.add_contact()
    response = world.client.get(f"/api/v1/decisions/{world.decision_id}/usage", headers=stranger)
    assert response.status_code == 403
