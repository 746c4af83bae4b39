"""Sync push and pull: ordering, idempotency, hard errors, visibility, deletions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.clock import today_in_oslo
from models.payperiod import pay_period_of
from models.schemas import Role
from server.app import create_app
from tests.factories import entry_id, entry_payload, recent_day
from tests.server.conftest import World, add_user, login, make_settings


def test_upsert_is_applied_and_pulled(world: World) -> None:
    result = world.upsert(start="09:00", end="11:15")
    assert result["status"] == "applied"
    pulled = world.pull()
    assert pulled["cursor"] > 0
    [entry] = pulled["entries"]
    assert entry["id"] == result["entry"]["id"]
    assert entry["minutes"] == 135
    assert entry["note"] == "Gikk tur i parken."
    assert [d["id"] for d in pulled["decisions"]] == [world.decision_id]
    assert pulled["usage"][0]["decision_id"] == world.decision_id
    [sheet] = pulled["timesheets"]
    assert sheet["entry_ids"] == [entry["id"]]
    assert sheet["total_hours"] == "2.25"


def test_pull_from_cursor_returns_only_changes(world: World) -> None:
    world.upsert()
    cursor = world.pull()["cursor"]
    again = world.pull(cursor)
    assert again["cursor"] == cursor
    assert again["entries"] == []
    assert again["decisions"] == []
    assert again["usage"] == []
    second = world.upsert(start="14:00", end="15:00")
    changed = world.pull(cursor)
    assert [e["id"] for e in changed["entries"]] == [second["entry"]["id"]]
    assert changed["cursor"] > cursor
    assert [u["decision_id"] for u in changed["usage"]] == [world.decision_id]


def test_pull_from_cursor_sends_only_the_periods_that_changed(world: World) -> None:
    from tests.factories import recent_day

    earlier, later = recent_day(-31), recent_day()
    world.upsert(date=earlier.isoformat())
    world.upsert(date=later.isoformat(), start="14:00", end="15:00")
    first = world.pull()
    [usage] = first["usage"]
    periods = {p["key"]: p["used_minutes"] for p in usage["periods"]}
    assert len(periods) > 2  # a vedtak new to the phone comes with every period
    assert periods[f"{earlier:%Y-%m}"] == 120
    assert periods[f"{later:%Y-%m}"] == 60
    world.upsert(date=later.isoformat(), start="16:00", end="16:30")
    [changed] = world.pull(first["cursor"])["usage"]
    assert [(p["key"], p["used_minutes"]) for p in changed["periods"]] == [(f"{later:%Y-%m}", 90)]
    # New terms can move the periods: the vedtak comes again, with all of them.
    response = world.client.patch(
        f"/api/v1/decisions/{world.decision_id}", json={"hours": "12"}, headers=world.coordinator
    )
    assert response.status_code == 200, response.text
    again = world.pull(first["cursor"])
    assert [d["id"] for d in again["decisions"]] == [world.decision_id]
    [renewed] = again["usage"]
    assert len(renewed["periods"]) == len(usage["periods"])


def test_same_mutation_twice_is_duplicate_and_applied_once(world: World) -> None:
    data = entry_payload(decision_ids=[world.decision_id])
    body = {
        "device_id": "phone-a",
        "mutations": [{"mutation_id": 1, "type": "entry.upsert", "data": data}],
    }
    first = world.client.post("/api/v1/sync/push", json=body, headers=world.contact).json()
    changed = {**data, "end": "13:00"}
    body["mutations"][0]["data"] = changed
    second = world.client.post("/api/v1/sync/push", json=body, headers=world.contact).json()
    assert first["results"][0]["status"] == "applied"
    assert second["results"][0]["status"] == "duplicate"
    [entry] = world.pull()["entries"]
    assert entry["end"] == "12:00"
    # Another device may use the same mutation number.
    body["device_id"] = "phone-b"
    third = world.client.post("/api/v1/sync/push", json=body, headers=world.contact).json()
    assert third["results"][0]["status"] == "applied"
    assert world.pull()["entries"][0]["end"] == "13:00"


def test_mutations_apply_in_order(world: World) -> None:
    data = entry_payload(decision_ids=[world.decision_id])
    results = world.push(
        ("entry.upsert", data),
        ("entry.upsert", {**data, "end": "12:30"}),
        ("entry.delete", {"id": data["id"]}),
        ("entry.upsert", {**data, "id": entry_id(), "start": "15:00", "end": "16:00"}),
    )
    assert [r["status"] for r in results] == ["applied"] * 4
    pulled = world.pull()
    assert [e["start"] for e in pulled["entries"]] == ["15:00"]
    assert pulled["deleted"]["entries"] == [data["id"]]


def test_delete_reaches_devices_that_pulled_before(world: World) -> None:
    created = world.upsert()
    cursor = world.pull()["cursor"]
    assert world.push(("entry.delete", {"id": created["entry"]["id"]}))[0]["status"] == "applied"
    after = world.pull(cursor)
    assert after["deleted"]["entries"] == [created["entry"]["id"]]
    assert after["entries"] == []
    usage = after["usage"][0]["periods"]
    assert all(p["used_hours"] == "0.00" for p in usage)
    # Deleting again (or an unknown id) is harmless.
    assert world.push(("entry.delete", {"id": created["entry"]["id"]}))[0]["status"] == "applied"


def _rejected(world: World, **fields: object) -> list[dict[str, str]]:
    result = world.upsert(**fields)
    assert result["status"] == "rejected", result
    errors: list[dict[str, str]] = result["errors"]
    assert world.pull()["entries"] == []
    return errors


def test_rejects_zero_duration(world: World) -> None:
    errors = _rejected(world, start="10:00", end="10:00")
    assert errors[0]["message"]


def test_rejects_future_date(world: World) -> None:
    errors = _rejected(world, date=(today_in_oslo() + timedelta(days=2)).isoformat())
    assert [e["field"] for e in errors] == ["date"]


def test_allows_tomorrow(world: World) -> None:
    tomorrow = (today_in_oslo() + timedelta(days=1)).isoformat()
    assert world.upsert(date=tomorrow)["status"] == "applied"


def test_rejects_absurd_km_and_negative_amounts(world: World) -> None:
    errors = _rejected(
        world,
        trips=[{"km": "2500", "from": "A", "to": "B"}],
        expenses=[{"amount": "-5", "category": "mat"}],
    )
    fields = {e["field"] for e in errors}
    assert fields == {"trips.0.km", "expenses.0.amount"}


def test_rejects_unknown_decision(world: World) -> None:
    errors = _rejected(world, decision_ids=["finnes-ikke"])
    assert errors[0]["field"] == "decision_ids"
    assert errors[0]["code"] == "not_found"


def test_rejects_decision_not_assigned(world: World) -> None:
    other_id, _ = world.add_contact()
    theirs = world.add_decision(contact_ids=[other_id])
    errors = _rejected(world, decision_ids=[theirs])
    assert errors[0]["code"] == "not_assigned"


def test_rejects_two_individual_decisions(world: World) -> None:
    second = world.add_decision()
    errors = _rejected(world, decision_ids=[world.decision_id, second])
    assert errors[0]["field"] == "decision_ids"


def test_rejects_mixing_individual_and_group(world: World) -> None:
    group = world.add_decision(kind="group", group_id="g-1")
    errors = _rejected(world, decision_ids=[world.decision_id, group])
    assert errors[0]["field"] == "decision_ids"


def test_rejects_entry_of_another_contact(world: World) -> None:
    other_id, other = world.add_contact()
    world.client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [world.contact_id, other_id]},
        headers=world.coordinator,
    )
    mine = world.upsert()
    stolen = world.upsert(headers=other, id=mine["entry"]["id"], end="18:00")
    assert stolen["status"] == "rejected"
    assert stolen["errors"][0]["code"] == "not_owner"
    assert world.pull()["entries"][0]["end"] == "12:00"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"id": "not-a-uuid"},
        {"id": 5, "decision_ids": "x", "date": [], "start": None},
        {"unexpected": True},
    ],
)
def test_garbage_is_rejected_never_a_500(world: World, data: dict[str, object]) -> None:
    [result] = world.push(("entry.upsert", data))
    assert result["status"] == "rejected"
    assert all(e["field"] and e["message"] for e in result["errors"])


def test_unknown_mutation_type_is_rejected(world: World) -> None:
    [result] = world.push(("entry.teleport", {"id": entry_id()}))
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "type"


def test_rejected_mutation_resent_stays_rejected(world: World) -> None:
    body = {
        "device_id": "phone-a",
        "mutations": [{"mutation_id": 7, "type": "entry.upsert", "data": {}}],
    }
    first = world.client.post("/api/v1/sync/push", json=body, headers=world.contact).json()
    body["mutations"][0]["data"] = entry_payload(decision_ids=[world.decision_id])
    second = world.client.post("/api/v1/sync/push", json=body, headers=world.contact).json()
    assert first["results"][0]["status"] == "rejected"
    assert second["results"][0] == first["results"][0]


def test_a_bad_mutation_does_not_stop_the_rest(world: World) -> None:
    good = entry_payload(decision_ids=[world.decision_id])
    results = world.push(("entry.upsert", {}), ("entry.upsert", good))
    assert [r["status"] for r in results] == ["rejected", "applied"]


def test_malformed_push_body_is_422_problem(world: World) -> None:
    response = world.client.post(
        "/api/v1/sync/push", json={"mutations": "x"}, headers=world.contact
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_pull_shows_contact_only_display_name_and_case_no(world: World) -> None:
    world.upsert()
    pulled = world.pull()
    [recipient] = pulled["recipients"]
    assert recipient == {
        "id": world.recipient_id,
        "display_name": "Kari N.",
        "case_no": recipient["case_no"],
    }
    assert "Nordmann" not in world.client.get("/api/v1/sync/pull", headers=world.contact).text


def test_pull_leaves_out_what_the_contact_may_not_see(world: World) -> None:
    other_id, other = world.add_contact()
    theirs = world.add_decision(contact_ids=[other_id])
    world.upsert(headers=other, decision_ids=[theirs])
    pulled = world.pull()
    assert [d["id"] for d in pulled["decisions"]] == [world.decision_id]
    assert pulled["entries"] == []
    assert pulled["timesheets"] == []


def test_unassignment_is_pulled_as_deleted_decision(world: World) -> None:
    cursor = world.pull()["cursor"]
    other_id, _ = world.add_contact()
    world.client.patch(
        f"/api/v1/decisions/{world.decision_id}",
        json={"contact_ids": [other_id]},
        headers=world.coordinator,
    )
    after = world.pull(cursor)
    assert after["deleted"]["decisions"] == [world.decision_id]
    assert after["decisions"] == []


def test_edit_moving_entry_to_another_month_moves_it_between_timesheets(world: World) -> None:
    created = world.upsert()
    moved_day = recent_day(-40)
    data = {**created["entry"], "date": moved_day.isoformat()}
    assert world.push(("entry.upsert", data))[0]["status"] == "applied"
    sheets = world.pull()["timesheets"]
    assert [s["period"] for s in sheets] == [f"{moved_day:%Y-%m}"]
    assert world.pull()["deleted"]["timesheets"]


def test_pull_pages_by_limit_and_loses_nothing(world: World) -> None:
    ids = [world.upsert(date=recent_day(-n).isoformat())["entry"]["id"] for n in range(7)]
    seen: list[str] = []
    cursor, pages = 0, 0
    while True:
        body = world.client.get(
            "/api/v1/sync/pull", params={"cursor": cursor, "limit": 3}, headers=world.contact
        ).json()
        pages += 1
        assert len(body["entries"]) <= 3
        seen += [e["id"] for e in body["entries"]]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids)
    assert world.pull(cursor)["entries"] == []


def test_pull_carries_the_pay_cutoff_and_the_contact_so_the_phone_hashes_alike(
    database_url: str, tmp_path: Path
) -> None:
    from sync.store import DeviceStore

    settings = make_settings(database_url, tmp_path, pay_cutoff_day=20)
    with TestClient(create_app(settings)) as client:
        office = {}
        for role in (Role.coordinator, Role.payroll, Role.admin):
            add_user(settings, role.value, role)
            office[role.value] = login(client, role.value)
        world = World(client, office)
        # The 25th lies after the cut-off: it belongs to the next month's pay period.
        day = recent_day(15)
        world.upsert(date=day.isoformat())
        body = world.pull()
        assert body["pay_cutoff_day"] == 20
        assert body["contact_id"] == world.contact_id
        [sheet] = body["timesheets"]
        assert sheet["period"] == pay_period_of(day, 20) != f"{day:%Y-%m}"
        store = DeviceStore(tmp_path / "device.json")
        store.set_account(server_url="http://127.0.0.1", username="k", token="t")
        store.apply_pull(body)
        assert store.contact_id() == world.contact_id
        assert store.content_hash(world.decision_id, sheet["period"]) == sheet["content_hash"]
        store.close()


def test_pull_without_a_cutoff_says_so(world: World) -> None:
    body = world.pull()
    assert body["pay_cutoff_day"] is None
    assert body["contact_id"] == world.contact_id


def test_a_garbage_mutation_between_two_good_ones_is_rejected_alone(
    world: World, database_url: str
) -> None:
    first = entry_payload(decision_ids=[world.decision_id], start="08:00", end="09:00")
    # A NUL: refused by validation on both engines (PostgreSQL could not store it).
    garbage = entry_payload(decision_ids=[world.decision_id], note="Kari\x00 sa nei")
    last = entry_payload(decision_ids=[world.decision_id], start="14:00", end="15:00")
    envelope = {
        "device_id": "rotete",
        "mutations": [
            {"mutation_id": 1, "type": "entry.upsert", "data": first},
            {"mutation_id": 2, "type": "entry.upsert", "data": garbage},
            {"mutation_id": 3, "type": "entry.upsert", "data": last},
        ],
    }
    for _ in range(2):  # the second push gets the remembered answers
        response = world.client.post("/api/v1/sync/push", json=envelope, headers=world.contact)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["mutation_id"] for r in results] == [1, 2, 3]
        assert results[0]["status"] in ("applied", "duplicate")
        assert results[2]["status"] in ("applied", "duplicate")
        assert results[1]["status"] == "rejected"
        [error] = results[1]["errors"]
        assert error["field"] == "note"
        assert "kontrolltegn" in error["message"]
        assert "Kari" not in response.text
    stored = {e["id"] for e in world.pull()["entries"]}
    assert {first["id"], last["id"]} <= stored


@pytest.mark.parametrize("mutation_id", [0, 2**63, 10**30])
def test_a_mutation_id_out_of_range_is_a_422_not_a_500(world: World, mutation_id: int) -> None:
    envelope = {
        "device_id": "d",
        "mutations": [
            {
                "mutation_id": mutation_id,
                "type": "entry.upsert",
                "data": entry_payload(decision_ids=[world.decision_id]),
            }
        ],
    }
    response = world.client.post("/api/v1/sync/push", json=envelope, headers=world.contact)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_unassignment_drops_the_recipient_unless_another_vedtak_names_them(
    world: World,
) -> None:
    from tests.factories import recipient_payload

    second = world.post("/api/v1/recipients", recipient_payload(), world.coordinator)["id"]
    kept = world.add_decision(recipient_id=second)
    also = world.add_decision(recipient_id=second)
    cursor = world.pull()["cursor"]
    other_id, _ = world.add_contact()
    for decision_id in (world.decision_id, kept):
        response = world.client.patch(
            f"/api/v1/decisions/{decision_id}",
            json={"contact_ids": [other_id]},
            headers=world.coordinator,
        )
        assert response.status_code == 200, response.text
    after = world.pull(cursor)
    assert sorted(after["deleted"]["decisions"]) == sorted([world.decision_id, kept])
    # The first recipient is no longer served; the second still is (through `also`).
    assert after["deleted"]["recipients"] == [world.recipient_id]
    assert [d["id"] for d in world.pull()["decisions"]] == [also]
