"""Input that passes the first look must never become a 500, and reads the
same on both engines (issue 11, findings 5-8): every refusal is a 4xx
problem+json naming the field in Norwegian."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.clock import today_in_oslo
from tests.factories import contact_payload, recent_day, recipient_payload, sign_payload
from tests.server.conftest import World

PROBLEM = "application/problem+json"


def _refused(response: Any, field: str, status: int = 422) -> str:
    """The Norwegian message for `field` in a problem+json refusal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    messages = [e["message"] for e in problem.get("errors", []) if e["field"] == field]
    assert messages, problem
    return str(messages[0])


# --- finding 5: nulls in PATCH, over-precise decimals, control characters ----------------


@pytest.mark.parametrize("field", ["name", "contract_type"])
def test_a_null_in_a_contact_patch_is_refused(world: World, field: str) -> None:
    response = world.client.patch(
        f"/api/v1/contacts/{world.contact_id}", json={field: None}, headers=world.coordinator
    )
    assert "kan ikke tømmes" in _refused(response, field)


def test_a_contact_patch_may_clear_what_may_be_empty(world: World) -> None:
    response = world.client.patch(
        f"/api/v1/contacts/{world.contact_id}",
        json={"hourly_rate": None},
        headers=world.coordinator,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["hours", "valid_to", "contact_ids"])
def test_a_null_in_a_decision_patch_is_refused(world: World, field: str) -> None:
    response = world.client.patch(
        f"/api/v1/decisions/{world.decision_id}", json={field: None}, headers=world.coordinator
    )
    assert "kan ikke tømmes" in _refused(response, field)


@pytest.mark.parametrize("hours", ["5.123456789", "1e-30", "0.001"])
def test_over_precise_hours_are_refused(world: World, hours: str) -> None:
    created = world.client.post(
        "/api/v1/decisions",
        json={
            "recipient_id": world.recipient_id,
            "kind": "individual",
            "hours": hours,
            "per": "month",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "contact_ids": [world.contact_id],
        },
        headers=world.coordinator,
    )
    assert "to desimaler" in _refused(created, "hours")
    patched = world.client.patch(
        f"/api/v1/decisions/{world.decision_id}", json={"hours": hours}, headers=world.coordinator
    )
    assert "to desimaler" in _refused(patched, "hours")


@pytest.mark.parametrize("bad", ["Kari\x00Nordmann", "Kari\x07", "Kari\x1bN"])
def test_control_characters_in_names_are_refused(world: World, bad: str) -> None:
    contact = world.client.post(
        "/api/v1/contacts", json=contact_payload(name=bad), headers=world.coordinator
    )
    assert "kontrolltegn" in _refused(contact, "name")
    recipient = world.client.post(
        "/api/v1/recipients", json=recipient_payload(name=bad), headers=world.coordinator
    )
    assert "kontrolltegn" in _refused(recipient, "name")
    guardian = world.client.post(
        "/api/v1/recipients",
        json=recipient_payload(guardians=[{"name": bad, "relation": "mor"}]),
        headers=world.coordinator,
    )
    assert "kontrolltegn" in _refused(guardian, "guardians.0.name")


def test_a_nul_in_the_login_username_is_a_plain_refusal(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "ka\x00ri", "password": "x"})
    assert "kontrolltegn" in _refused(response, "username")


def test_a_nul_in_the_device_id_is_refused(world: World) -> None:
    response = world.client.post(
        "/api/v1/sync/push",
        json={"device_id": "tlf\x00", "mutations": []},
        headers=world.contact,
    )
    assert "kontrolltegn" in _refused(response, "device_id")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"activities": ["tur\x00"]}, "activities.0"),
        ({"note": "hei\x00"}, "note"),
        (
            {"trips": [{"km": "3", "from": "Hjem\x00", "to": "Skolen", "purpose": "tur"}]},
            "trips.0.from",
        ),
        ({"expenses": [{"amount": "10", "category": "Kino\x00"}]}, "expenses.0.category"),
    ],
)
def test_control_characters_in_entry_text_are_rejected_alike(
    world: World, fields: dict[str, Any], where: str
) -> None:
    result = world.upsert(**fields)
    assert result["status"] == "rejected", result
    messages = [e["message"] for e in result["errors"] if e["field"] == where]
    assert messages, result
    assert "kontrolltegn" in messages[0]


def test_line_breaks_in_a_note_are_kept(world: World) -> None:
    result = world.upsert(note="Første linje\nAndre linje")
    assert result["status"] == "applied", result


def test_a_nul_in_a_path_or_query_is_refused(world: World) -> None:
    for response in (
        world.client.get("/api/v1/contacts/abc%00def", headers=world.coordinator),
        world.client.get("/api/v1/recipients", params={"q": "ka\x00ri"}, headers=world.coordinator),
    ):
        assert response.status_code == 400, response.text
        assert "kontrolltegn" in response.json()["detail"]


# --- finding 6: per-entry limits --------------------------------------------------------


def _trip(km: str) -> dict[str, str]:
    return {"km": km, "from": "Hjem", "to": "Hallen", "purpose": "trening"}


@pytest.mark.parametrize(
    ("fields", "where", "words"),
    [
        ({"trips": [_trip("1")] * 11}, "trips", "høyst 10 turer"),
        ({"expenses": [{"amount": "1", "category": "Mat"}] * 11}, "expenses", "høyst 10 utlegg"),
        ({"trips": [_trip("1000"), _trip("1000.1")]}, "trips", "2000 km"),
        (
            {
                "expenses": [
                    {"amount": "5000", "category": "Mat"},
                    {"amount": "5000.01", "category": "Mat"},
                ]
            },
            "expenses",
            "10 000 kr",
        ),
    ],
)
def test_absurd_entries_are_rejected_with_a_reason(
    world: World, fields: dict[str, Any], where: str, words: str
) -> None:
    result = world.upsert(**fields)
    assert result["status"] == "rejected", result
    messages = [e["message"] for e in result["errors"] if e["field"] == where]
    assert messages, result
    assert words in messages[0]


def test_an_entry_at_the_limits_is_applied(world: World) -> None:
    result = world.upsert(
        trips=[_trip("200")] * 10,
        expenses=[{"amount": "1000", "category": "Mat"}] * 10,
    )
    assert result["status"] == "applied", result


# --- finding 7: password policy ---------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("12345678", "minst 10 tegn"),
        ("aaaaaaaa", "minst 10 tegn"),
        ("aaaaaaaaaaaa", "for vanlig"),
        ("1234567890", "for vanlig"),
        ("Passord2026!", "for vanlig"),
        ("qwertyuiop", "for vanlig"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_reason(
    world: World, password: str, words: str
) -> None:
    response = world.client.post(
        "/api/v1/contacts", json=contact_payload(password=password), headers=world.coordinator
    )
    assert words in _refused(response, "password")


def test_the_username_is_not_a_password(world: World) -> None:
    body = contact_payload(username="kari.nordmann", password="kari.nordmann")
    response = world.client.post("/api/v1/contacts", json=body, headers=world.coordinator)
    assert "brukernavnet" in _refused(response, "password")


# --- finding 8: plausible dates, duplicate ids, non-finite numbers ----------------------


@pytest.mark.parametrize(
    "day", ["9999-12-31", 0, (today_in_oslo() + timedelta(days=1)).isoformat()]
)
def test_a_politiattest_date_must_have_happened(world: World, day: Any) -> None:
    created = world.client.post(
        "/api/v1/contacts", json=contact_payload(politiattest_date=day), headers=world.coordinator
    )
    _refused(created, "politiattest_date")
    patched = world.client.patch(
        f"/api/v1/contacts/{world.contact_id}",
        json={"politiattest_date": day},
        headers=world.coordinator,
    )
    _refused(patched, "politiattest_date")


def test_a_birth_date_must_have_happened(world: World) -> None:
    response = world.client.post(
        "/api/v1/recipients",
        json=recipient_payload(birth_date="2090-05-01"),
        headers=world.coordinator,
    )
    assert "fram i tid" in _refused(response, "birth_date")


@pytest.mark.parametrize(
    ("field", "day"), [("valid_from", "1999-12-31"), ("valid_to", "2101-01-01")]
)
def test_vedtak_dates_stay_within_2000_and_2100(world: World, field: str, day: str) -> None:
    body = {
        "recipient_id": world.recipient_id,
        "kind": "individual",
        "hours": "10",
        "per": "month",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "contact_ids": [world.contact_id],
        field: day,
    }
    response = world.client.post("/api/v1/decisions", json=body, headers=world.coordinator)
    _refused(response, field)


def test_duplicate_contact_ids_on_a_vedtak_are_refused(world: World) -> None:
    body = {
        "recipient_id": world.recipient_id,
        "kind": "individual",
        "hours": "10",
        "per": "month",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "contact_ids": [world.contact_id, world.contact_id],
    }
    created = world.client.post("/api/v1/decisions", json=body, headers=world.coordinator)
    assert "flere ganger" in _refused(created, "contact_ids")
    patched = world.client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, world.contact_id]},
        headers=world.coordinator,
    )
    assert "flere ganger" in _refused(patched, "contact_ids")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_signature_with_non_finite_points_does_not_sign(world: World, number: str) -> None:
    world.upsert(date=recent_day().isoformat())
    [sheet] = world.get("/api/v1/timesheets", headers=world.contact)["data"]
    data = sign_payload(
        decision_id=sheet["decision_id"], period=sheet["period"], content_hash=sheet["content_hash"]
    )
    body = json.dumps(
        {
            "device_id": "device-1",
            "mutations": [{"mutation_id": 99, "type": "timesheet.sign", "data": data}],
        }
    ).replace('"x": 10', f'"x": {number}')
    assert number in body
    response = world.client.post(
        "/api/v1/sync/push",
        content=body.encode(),
        headers={**world.contact, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["status"] == "rejected", result
    assert any(e["field"].startswith("strokes") for e in result["errors"]), result
    [after] = world.get("/api/v1/timesheets", headers=world.contact)["data"]
    assert after["status"] == sheet["status"]


# --- found by schemathesis (tests/server/test_schemathesis.py) ---------------------------


def test_the_openapi_says_which_patch_fields_may_be_null(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    contact = schemas["ContactUpdate"]["properties"]
    assert contact["name"]["type"] == "string"  # leave it out; null is refused
    assert {"type": "null"} in contact["politiattest_date"]["anyOf"]  # null clears it
    decision = schemas["DecisionUpdate"]["properties"]
    assert {"type": "null"} not in decision["hours"].get("anyOf", [])
    assert {"type": "null"} in decision["km_per_month"]["anyOf"]


def test_the_openapi_says_a_query_has_no_control_characters(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    parameters = document["paths"]["/api/v1/contacts"]["get"]["parameters"]
    [q] = [parameter for parameter in parameters if parameter["name"] == "q"]
    pattern = (
        q["schema"]["anyOf"][0]["pattern"] if "anyOf" in q["schema"] else q["schema"]["pattern"]
    )
    assert pattern == r"^[^\x00-\x1f\x7f]*$"


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_the_security_setting_is_a_real_boolean(world: World, value: object) -> None:
    response = world.client.put(
        "/api/v1/admin/security",
        json={"require_totp_for_office": value},
        headers=world.office["admin"],
    )
    assert _refused(response, "require_totp_for_office") == "Her ventes true eller false."


@pytest.mark.parametrize("moment", ["0", "0.5", "1767225600", "2026-03-10T09:30:00"])
def test_a_device_reports_a_moment_with_its_zone_not_a_number(world: World, moment: str) -> None:
    pulled = world.client.get(
        "/api/v1/sync/pull",
        params={"device_id": "d", "unsent": 1, "oldest_unsent_at": moment},
        headers=world.contact,
    )
    assert pulled.status_code == 422, pulled.text
    number = float(moment) if moment.replace(".", "").isdigit() else moment
    pushed = world.client.post(
        "/api/v1/sync/push",
        json={
            "device_id": "d",
            "mutations": [],
            "device": {"unsent": 1, "oldest_unsent_at": number},
        },
        headers=world.contact,
    )
    assert pushed.status_code == 422, pushed.text
    ok = world.client.get(
        "/api/v1/sync/pull",
        params={"device_id": "d", "unsent": 1, "oldest_unsent_at": "2026-03-10T09:30:00+01:00"},
        headers=world.contact,
    )
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("unsent", [False, True, "3", 2.5])
def test_a_device_counts_its_unsent_changes_in_whole_numbers(world: World, unsent: object) -> None:
    pushed = world.client.post(
        "/api/v1/sync/push",
        json={"device_id": "d", "mutations": [], "device": {"unsent": unsent}},
        headers=world.contact,
    )
    assert pushed.status_code == 422, pushed.text
