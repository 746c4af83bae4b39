"""Timesheets: creation from entries, signing with the content hash, locking, approval."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models.canonical import content_hash
from models.schemas import EntryData
from server.app import create_app
from tests.factories import recent_day, sign_payload
from tests.server.conftest import World, make_settings


def _sheet(world: World, headers: dict[str, str] | None = None) -> dict[str, Any]:
    [sheet] = world.get("/api/v1/timesheets", headers=headers or world.contact)["data"]
    return sheet


def _sign(world: World, sheet: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = sign_payload(
        decision_id=sheet["decision_id"],
        period=sheet["period"],
        content_hash=sheet["content_hash"],
        **overrides,
    )
    [result] = world.push(("timesheet.sign", data))
    return result


def test_sheet_per_contact_decision_and_period(world: World) -> None:
    world.upsert(date=recent_day(0).isoformat())
    world.upsert(date=recent_day(1).isoformat())
    world.upsert(date=recent_day(-40).isoformat())
    sheets = world.get("/api/v1/timesheets", headers=world.contact)["data"]
    assert sorted((s["period"], len(s["entry_ids"])) for s in sheets) == sorted(
        [(f"{recent_day(0):%Y-%m}", 2), (f"{recent_day(-40):%Y-%m}", 1)]
    )
    assert all(s["status"] == "open" for s in sheets)
    only = world.get("/api/v1/timesheets", period=f"{recent_day(0):%Y-%m}")
    assert only["count"] == 1
    assert only["data"][0]["total_hours"] == "4.00"


def test_server_hash_is_the_models_hash_of_the_pulled_entries(world: World) -> None:
    world.upsert(trips=[{"km": "12.5", "from": "A", "to": "B"}])
    world.upsert(start="13:00", end="14:00", expenses=[{"amount": "49.90", "category": "kafé"}])
    pulled = world.pull()
    [sheet] = pulled["timesheets"]
    entries = [
        EntryData.model_validate({k: e[k] for k in EntryData.model_fields if k in e})
        for e in pulled["entries"]
    ]
    assert sheet["content_hash"] == content_hash(
        contact_id=world.contact_id,
        decision_id=world.decision_id,
        period=sheet["period"],
        entries=entries,
    )
    assert sheet["total_km"] == "12.5"
    assert sheet["total_expenses"] == "49.90"


def test_signing_with_the_right_hash(world: World) -> None:
    world.upsert()
    sheet = _sheet(world)
    result = _sign(world, sheet)
    assert result["status"] == "applied"
    signed = world.get(f"/api/v1/timesheets/{sheet['id']}")
    assert signed["status"] == "signed"
    assert signed["signature"]["signer_name"] == "Kari Nordmann"
    assert signed["signature"]["strokes"][0][1] == {"x": 10.0, "y": 5.0}
    assert signed["signature"]["content_hash"] == sheet["content_hash"]
    again = _sign(world, sheet)
    assert again["status"] == "rejected"
    assert again["errors"][0]["code"] == "already_signed"


def test_signature_with_a_wrong_hash_is_refused(world: World) -> None:
    world.upsert()
    sheet = _sheet(world)
    result = _sign(world, {**sheet, "content_hash": "0" * 64})
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "content_hash"
    assert result["errors"][0]["code"] == "hash_mismatch"
    assert _sheet(world)["status"] == "open"


def test_signing_an_unknown_sheet_or_empty_strokes_is_refused(world: World) -> None:
    world.upsert()
    sheet = _sheet(world)
    assert _sign(world, {**sheet, "period": "1999-01"})["status"] == "rejected"
    blank = _sign(world, sheet, strokes=[[{"x": 1, "y": 1}]])
    assert blank["status"] == "rejected"
    assert blank["errors"][0]["field"] == "strokes"


def test_edit_after_signing_voids_the_signature(world: World) -> None:
    created = world.upsert()
    sheet = _sheet(world)
    _sign(world, sheet)
    [result] = world.push(("entry.upsert", {**created["entry"], "end": "13:00"}))
    assert result["status"] == "applied"
    assert [f["kind"] for f in result["flags"]] == ["changed_after_signing"]
    after = world.get(f"/api/v1/timesheets/{sheet['id']}")
    assert after["status"] == "open"
    assert after["signature"] is None
    assert after["content_hash"] != sheet["content_hash"]
    assert [f["kind"] for f in after["flags"]] == ["changed_after_signing"]
    # Re-signing the new content works and settles the flag.
    assert _sign(world, _sheet(world))["status"] == "applied"
    [flag] = world.get("/api/v1/flags", kind="changed_after_signing")["data"]
    assert flag["status"] == "resolved"


def test_deleting_from_a_signed_sheet_also_voids_it(world: World) -> None:
    world.upsert()
    second = world.upsert(start="14:00", end="15:00")
    _sign(world, _sheet(world))
    [result] = world.push(("entry.delete", {"id": second["entry"]["id"]}))
    assert [f["kind"] for f in result["flags"]] == ["changed_after_signing"]
    assert _sheet(world)["status"] == "open"


def test_an_unchanged_resend_of_a_signed_entry_changes_nothing(world: World) -> None:
    created = world.upsert()
    _sign(world, _sheet(world))
    [result] = world.push(("entry.upsert", created["entry"]))
    assert result["status"] == "applied"
    assert _sheet(world)["status"] == "signed"


def test_approve_signed_sheet_without_override(world: World, client: TestClient) -> None:
    world.upsert()
    sheet = _sheet(world)
    _sign(world, sheet)
    response = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve",
        json={"note": "Ser bra ut."},
        headers=world.coordinator,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["override_reason"] is None
    again = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve", json={}, headers=world.coordinator
    )
    assert again.status_code == 409


def test_unsigned_sheet_needs_a_written_override(world: World, client: TestClient) -> None:
    world.upsert()
    sheet = _sheet(world)
    refused = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve", json={}, headers=world.coordinator
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "override_reason"
    assert "ikke signert" in refused.json()["detail"]
    approved = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve",
        json={"override_reason": "Mottaker på sykehus; bekreftet på telefon."},
        headers=world.coordinator,
    )
    assert approved.status_code == 200
    assert approved.json()["override_reason"] == "Mottaker på sykehus; bekreftet på telefon."


def test_flagged_sheet_needs_an_override_even_when_signed(world: World, client: TestClient) -> None:
    world.upsert(start="08:00", end="19:00")  # over the 10 h quota
    sheet = _sheet(world)
    _sign(world, sheet)
    refused = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve", json={}, headers=world.coordinator
    )
    assert refused.status_code == 409
    # "1 åpent avvik" or "2 åpne avvik": the count decides the form of the words.
    assert re.search(r"1 åpent avvik|\d+ åpne avvik", refused.json()["detail"])
    ok = client.post(
        f"/api/v1/timesheets/{sheet['id']}/approve",
        json={"override_reason": "Ekstra timer avtalt."},
        headers=world.coordinator,
    )
    assert ok.status_code == 200


def test_approved_sheet_is_read_only(world: World, client: TestClient) -> None:
    created = world.upsert()
    sheet = _sheet(world)
    _sign(world, sheet)
    client.post(f"/api/v1/timesheets/{sheet['id']}/approve", json={}, headers=world.coordinator)
    [edit] = world.push(("entry.upsert", {**created["entry"], "end": "15:00"}))
    assert edit["status"] == "rejected"
    assert edit["errors"][0]["code"] == "locked"
    [delete] = world.push(("entry.delete", {"id": created["entry"]["id"]}))
    assert delete["status"] == "rejected"
    [late] = world.push(
        ("entry.upsert", {**created["entry"], "id": "6f1d2a8e-0000-4000-8000-000000000001"})
    )
    assert late["status"] == "rejected"
    rejected = client.post(
        f"/api/v1/timesheets/{sheet['id']}/reject", json={"reason": "x"}, headers=world.coordinator
    )
    assert rejected.status_code == 409


def test_reject_reopens_with_a_reason(world: World, client: TestClient) -> None:
    created = world.upsert()
    sheet = _sheet(world)
    _sign(world, sheet)
    response = client.post(
        f"/api/v1/timesheets/{sheet['id']}/reject",
        json={"reason": "Feil dato på økten."},
        headers=world.coordinator,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    pulled = _sheet(world)
    assert pulled["reject_reason"] == "Feil dato på økten."
    assert world.get(f"/api/v1/timesheets/{sheet['id']}")["signature"] is None
    world.push(("entry.upsert", {**created["entry"], "start": "09:00"}))
    assert _sheet(world)["status"] == "open"
    missing_reason = client.post(
        f"/api/v1/timesheets/{sheet['id']}/reject", json={}, headers=world.coordinator
    )
    assert missing_reason.status_code == 422


def test_feedback_goes_to_the_coordinator_not_the_device(world: World) -> None:
    world.upsert()
    result = _sign(world, _sheet(world), message="Veldig fornøyd med turene!")
    assert result["status"] == "applied"
    assert result["flags"] == []
    [flag] = world.get("/api/v1/flags", kind="feedback")["data"]
    assert flag["detail"] == "Veldig fornøyd med turene!"
    assert all(f["kind"] != "feedback" for f in world.pull()["flags"])
    [sheet] = world.get("/api/v1/timesheets")["data"]
    as_contact = world.get(f"/api/v1/timesheets/{sheet['id']}", headers=world.contact)
    assert as_contact["signature"]["message"] is None
    as_coordinator = world.get(f"/api/v1/timesheets/{sheet['id']}")
    assert as_coordinator["signature"]["message"] == "Veldig fornøyd med turene!"


def test_payroll_sees_no_notes_or_activities(world: World) -> None:
    world.upsert(note="Privat notat", activities=["kino"])
    sheet = _sheet(world)
    as_payroll = world.get(f"/api/v1/timesheets/{sheet['id']}", headers=world.office["payroll"])
    [entry] = as_payroll["entries"]
    assert entry["note"] is None
    assert entry["activities"] == []
    assert as_payroll["flags"] == []
    assert "Privat notat" not in str(as_payroll)
    as_coordinator = world.get(f"/api/v1/timesheets/{sheet['id']}")
    assert as_coordinator["entries"][0]["note"] == "Privat notat"
    listed = world.get("/api/v1/timesheets", headers=world.office["payroll"])
    assert listed["count"] == 1


def test_contact_sees_only_own_sheets(world: World, client: TestClient) -> None:
    world.upsert()
    sheet = _sheet(world)
    _, stranger = world.add_contact()
    assert world.get("/api/v1/timesheets", headers=stranger)["count"] == 0
    response = client.get(f"/api/v1/timesheets/{sheet['id']}", headers=stranger)
    assert response.status_code == 403
    assert client.get("/api/v1/timesheets/nope", headers=world.coordinator).status_code == 404


def test_status_filter(world: World) -> None:
    world.upsert()
    _sign(world, _sheet(world))
    assert world.get("/api/v1/timesheets", status="signed")["count"] == 1
    assert world.get("/api/v1/timesheets", status="open")["count"] == 0


def test_pay_cutoff_day_moves_late_days_to_next_period(database_url: str, tmp_path: Path) -> None:
    from tests.server.conftest import add_user, login

    settings = make_settings(database_url, tmp_path, pay_cutoff_day=20)
    with TestClient(create_app(settings)) as client:
        add_user(settings, "coordinator", "coordinator")  # type: ignore[arg-type]
        world = World(client, {"coordinator": login(client, "coordinator")})
        day = recent_day(15)  # the 25th (or so) of last month
        world.upsert(date=day.isoformat())
        sheet = _sheet(world)
        next_month = (day.replace(day=1) + __import__("datetime").timedelta(days=32)).replace(day=1)
        assert sheet["period"] == f"{next_month:%Y-%m}"


def test_payroll_reads_no_names_places_or_reasons(world: World) -> None:
    """Payroll keeps km, amounts, status and that an override exists; never people's words."""
    trip = {"km": "12", "from": "Karis hjem", "to": "BUP Kari", "purpose": "Kari til lege"}
    expense = {"amount": "50.00", "category": "mat", "description": "Kafé med Kari"}
    world.upsert(trips=[trip], expenses=[expense])
    world.upsert(date=recent_day(-40).isoformat(), trips=[trip], expenses=[expense])
    listed_own = world.get("/api/v1/timesheets", headers=world.contact)["data"]
    sheets = {s["period"]: s for s in listed_own}
    late, early = sheets[f"{recent_day():%Y-%m}"], sheets[f"{recent_day(-40):%Y-%m}"]
    assert _sign(world, early, signer_name="Kari Nordmann")["status"] == "applied"
    rejected = world.client.post(
        f"/api/v1/timesheets/{late['id']}/reject",
        json={"reason": "Kari var syk den dagen"},
        headers=world.coordinator,
    )
    assert rejected.status_code == 200, rejected.text
    approved = world.client.post(
        f"/api/v1/timesheets/{late['id']}/approve",
        json={"note": "Snakket med Kari", "override_reason": "Kari bekreftet på telefon"},
        headers=world.coordinator,
    )
    assert approved.status_code == 200, approved.text

    payroll = world.office["payroll"]
    listed = world.get("/api/v1/timesheets", headers=payroll)["data"]
    details = [world.get(f"/api/v1/timesheets/{s['id']}", headers=payroll) for s in listed]
    assert "Kari" not in str(listed) + str(details)
    by_id = {d["id"]: d for d in details}
    assert by_id[late["id"]]["overridden"] is True
    assert by_id[late["id"]]["override_reason"] is None
    assert by_id[early["id"]]["signature"]["signer_name"] == ""
    [entry] = by_id[early["id"]]["entries"]
    assert entry["trips"][0]["km"] == "12.0"
    assert entry["expenses"][0]["amount"] == "50.00"
    assert entry["total_km"] == "12.0"
    assert entry["total_expenses"] == "50.00"

    as_coordinator = world.get(f"/api/v1/timesheets/{early['id']}")
    assert as_coordinator["signature"]["signer_name"] == "Kari Nordmann"
    assert as_coordinator["entries"][0]["trips"][0]["to"] == "BUP Kari"
    approved_sheet = world.get(f"/api/v1/timesheets/{late['id']}")
    assert approved_sheet["override_reason"] == "Kari bekreftet på telefon"


def test_a_rejected_sheet_is_signed_again_only_after_a_correction(
    world: World, client: TestClient
) -> None:
    created = world.upsert()
    sheet = _sheet(world)
    assert _sign(world, sheet)["status"] == "applied"
    response = client.post(
        f"/api/v1/timesheets/{sheet['id']}/reject",
        json={"reason": "Feil tid."},
        headers=world.coordinator,
    )
    assert response.status_code == 200
    unchanged = _sheet(world)
    assert unchanged["content_hash"] == sheet["content_hash"]
    refused = _sign(world, unchanged)
    assert refused["status"] == "rejected"
    [error] = refused["errors"]
    assert error["code"] == "rejected"
    assert "sendt tilbake" in error["message"]
    assert _sheet(world)["status"] == "rejected"

    world.push(("entry.upsert", {**created["entry"], "end": "11:30"}))
    corrected = _sheet(world)
    assert corrected["status"] == "open"
    assert _sign(world, corrected)["status"] == "applied"
    assert _sheet(world)["status"] == "signed"
