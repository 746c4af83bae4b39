"""Search and paging of the lists that grow, and the flag queue's cards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.paging import MAX_LIMIT
from tests.factories import recent_day
from tests.server.conftest import World

LISTS = ["contacts", "recipients", "decisions", "timesheets", "flags", "flags/cards"]


def _pages(world: World, path: str, size: int, **params: Any) -> tuple[list[str], set[int]]:
    """Every id of the list read a page at a time, and the counts the pages said."""
    ids: list[str] = []
    counts: set[int] = set()
    offset = 0
    while True:
        body = world.get(f"/api/v1/{path}", offset=offset, limit=size, **params)
        counts.add(body["count"])
        ids += [item.get("id") or item["key"] for item in body["data"]]
        if len(body["data"]) < size:
            return ids, counts
        offset += size


def test_pages_cover_the_list_once_in_a_stable_order(world: World) -> None:
    for name in ("Åse Ødegård", "åse lie", "Bo Berg", "Cato Dahl", "Dina Eik"):
        world.add_contact(name=name)
    everything = world.get("/api/v1/contacts", limit=MAX_LIMIT)
    assert everything["count"] == 6 == len(everything["data"])
    paged, counts = _pages(world, "contacts", 4)
    assert paged == [c["id"] for c in everything["data"]]
    assert counts == {6}, "count is the number of all matches, on every page"
    names = [c["name"] for c in everything["data"]]
    assert names == sorted(names)


def test_search_folds_norwegian_letters_and_takes_wildcards_literally(world: World) -> None:
    world.add_contact(name="Åse Ødegård")
    world.add_contact(name="Per Lie 50%")
    assert [c["name"] for c in world.get("/api/v1/contacts", q="ødegÅ")["data"]] == ["Åse Ødegård"]
    # Every word must match, each in any column.
    found = world.get("/api/v1/contacts", q="lie 50%")
    assert (found["count"], found["data"][0]["name"]) == (1, "Per Lie 50%")
    assert world.get("/api/v1/contacts", q="%")["count"] == 1
    assert world.get("/api/v1/contacts", q="_")["count"] == 0
    assert world.get("/api/v1/contacts", q="ingen slik")["data"] == []


@pytest.mark.parametrize("path", [*LISTS, "audit"])
def test_page_size_and_search_are_bounded(world: World, client: TestClient, path: str) -> None:
    headers = world.office["admin"] if path == "audit" else world.coordinator
    too_many = 5001 if path == "audit" else MAX_LIMIT + 1
    for params in (
        {"limit": too_many},
        {"limit": 0},
        {"offset": -1},
        {"q": "x" * 101},
    ):
        response = client.get(f"/api/v1/{path}", params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
    # A NUL in a search never reaches the database (PostgreSQL would fail on it).
    refused = client.get(f"/api/v1/{path}", params={"q": "Kari\x00"}, headers=headers)
    assert refused.status_code == 400
    assert "kontrolltegn" in refused.json()["detail"]


def test_openapi_documents_the_parameters(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in LISTS:
        parameters = {p["name"]: p for p in paths[f"/api/v1/{path}"]["get"]["parameters"]}
        assert {"q", "offset", "limit"} <= set(parameters), path
        assert parameters["limit"]["schema"]["maximum"] == MAX_LIMIT
        assert parameters["q"]["description"]
    audit = {p["name"] for p in paths["/api/v1/audit"]["get"]["parameters"]}
    assert {"q", "offset", "limit", "newest_first", "after_id"} <= audit


def test_recipients_decisions_and_sheets_are_searched_by_name_and_case(world: World) -> None:
    other = world.post(
        "/api/v1/recipients", {"name": "Øyvind Ås", "case_no": "2026/OA-7"}, world.coordinator
    )["id"]
    theirs = world.add_decision(recipient_id=other)
    assert [r["id"] for r in world.get("/api/v1/recipients", q="øyvind")["data"]] == [other]
    assert [r["id"] for r in world.get("/api/v1/recipients", q="oa-7")["data"]] == [other]
    assert [d["id"] for d in world.get("/api/v1/decisions", q="ØYVIND")["data"]] == [theirs]
    # A contact knows recipients by first name and initial: their search skips full names.
    assert world.get("/api/v1/decisions", headers=world.contact, q="Ås")["count"] == 0
    assert world.get("/api/v1/decisions", headers=world.contact, q="oa-7")["count"] == 1
    world.upsert(decision_ids=[theirs])
    world.upsert(decision_ids=[world.decision_id])
    sheets = world.get("/api/v1/timesheets", q="øyvind")
    assert [s["decision_id"] for s in sheets["data"]] == [theirs]
    period = sheets["data"][0]["period"]
    assert world.get("/api/v1/timesheets", q=period)["count"] == 2
    payroll = world.office["payroll"]
    assert world.get("/api/v1/timesheets", headers=payroll, q="øyvind")["count"] == 0
    assert world.get("/api/v1/timesheets", headers=payroll, q="2026/oa")["count"] == 1


def test_audit_newest_first_searched_and_counted(world: World) -> None:
    admin = world.office["admin"]
    oldest = world.get("/api/v1/audit", headers=admin, limit=5)
    newest = world.get("/api/v1/audit", headers=admin, limit=5, newest_first="true")
    assert oldest["count"] == newest["count"] > 5
    ids = [event["id"] for event in newest["data"]]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] > oldest["data"][-1]["id"]
    created = world.get("/api/v1/audit", headers=admin, q="create recipient", limit=100)
    assert created["count"] == 1
    assert (created["data"][0]["action"], created["data"][0]["object_type"]) == (
        "create",
        "recipient",
    )
    by_user = world.get("/api/v1/audit", headers=admin, q="coordinator", limit=5000)
    assert by_user["count"] == len(by_user["data"]) > 0


def _group(world: World, participants: int, group_id: str = "turgruppa") -> list[str]:
    """A group vedtak per participant (2 h a month each), led by the world's contact."""
    decisions = []
    for n in range(participants):
        recipient = world.post(
            "/api/v1/recipients",
            {"name": f"Deltaker {group_id} {n}", "case_no": f"2026/{group_id}-{n}"},
            world.coordinator,
        )["id"]
        decisions.append(
            world.add_decision(kind="group", group_id=group_id, hours="2", recipient_id=recipient)
        )
    return decisions


def test_a_group_overuse_is_one_card_per_group_period(world: World) -> None:
    second_id, second = world.add_contact(name="Vera Vikar")
    group = _group(world, 3)
    world.client.patch(
        f"/api/v1/decisions/{group[0]}",
        json={"contact_ids": [world.contact_id, second_id]},
        headers=world.coordinator,
    )
    # Both leaders log a session with participant 0; everyone is over in this month
    # after the second session, and again in the month before.
    world.upsert(decision_ids=group, start="10:00", end="12:00")
    world.upsert(decision_ids=group, start="14:00", end="15:00")
    world.upsert(decision_ids=[group[0]], headers=second, start="18:00", end="19:00")
    earlier = (recent_day() - timedelta(days=31)).isoformat()
    world.upsert(decision_ids=group, date=earlier, start="10:00", end="13:00")
    next_day = (recent_day() + timedelta(days=1)).isoformat()
    individual = world.upsert(date=next_day, start="08:00", end="19:30")  # over 10 h: a card
    assert [f["kind"] for f in individual["flags"]] == ["overuse"]

    flags = world.get("/api/v1/flags", kind="overuse", status="open")
    assert flags["count"] == 3 + 3 + 1, "one flag per participant and period, as before"
    cards = world.get("/api/v1/flags/cards", kind="overuse", status="open")
    assert cards["count"] == 3 == len(cards["data"])
    group_cards = [card for card in cards["data"] if card["group_id"] == "turgruppa"]
    assert len(group_cards) == 2
    assert {card["period"] for card in group_cards} == {
        f"{recent_day():%Y-%m}",
        f"{recent_day() - timedelta(days=31):%Y-%m}",
    }
    current = next(card for card in group_cards if card["period"] == f"{recent_day():%Y-%m}")
    assert sorted(flag["decision_id"] for flag in current["flags"]) == sorted(group)
    assert current["status"] == "open"
    assert len(current["entry_ids"]) == len(set(current["entry_ids"]))
    # Each sheet the entries are on is listed once: one per participant for the first
    # leader, and the second leader's sheet on participant 0's vedtak.
    sheets = [(s["decision_id"], s["contact_id"]) for s in current["sheets"]]
    assert len(sheets) == len(set(sheets)) == 4
    assert (group[0], second_id) in sheets
    assert current["labels"][second_id].startswith("Vera Vikar (")
    assert current["labels"][group[1]] == "Deltaker turgruppa 1 (2026/turgruppa-1)"

    # Paging counts cards, and a search for one participant shows the whole card.
    first, counts = _pages(world, "flags/cards", 1, kind="overuse", status="open")
    assert first == [card["key"] for card in cards["data"]]
    assert counts == {3}
    found = world.get("/api/v1/flags/cards", q="turgruppa-2", status="open")
    assert found["count"] == 2
    assert all(len(card["flags"]) == 3 for card in found["data"])
    assert world.get("/api/v1/flags", q="turgruppa-2", status="open")["count"] == 2


def test_flag_search_finds_a_vedtak_by_its_assigned_contact(world: World) -> None:
    world.upsert(start="08:00", end="19:00")
    contact = world.get("/api/v1/contacts")["data"][0]
    assert world.get("/api/v1/flags", q=contact["name"].split()[-1])["count"] == 1
    assert world.get("/api/v1/flags/cards", q=contact["employee_no"])["count"] == 1
    assert world.get("/api/v1/flags", q="ikke-noen")["count"] == 0
