"""The whole road over HTTP: contact logs and signs, coordinator approves, payroll pays."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from tests.factories import recent_day, sign_payload
from tests.server.conftest import World

BATCHES = "/api/v1/payroll/batches"


def _sheets(world: World, decision_id: str) -> list[dict[str, Any]]:
    return world.get("/api/v1/timesheets", decision_id=decision_id)["data"]


def _sign(world: World, sheet: dict[str, Any]) -> None:
    data = sign_payload(
        decision_id=sheet["decision_id"], period=sheet["period"], content_hash=sheet["content_hash"]
    )
    [result] = world.push(("timesheet.sign", data))
    assert result["status"] == "applied", result


def _approve(world: World, sheet_id: str, **body: str) -> None:
    response = world.client.post(
        f"/api/v1/timesheets/{sheet_id}/approve", json=body, headers=world.coordinator
    )
    assert response.status_code == 200, response.text


def test_signed_and_approved_group_session_is_paid_once_under_its_group(world: World) -> None:
    payroll = world.office["payroll"]
    group = [
        world.add_decision(kind="group", group_id="G-42"),
        world.add_decision(kind="group", group_id="G-42"),
    ]
    day = recent_day()
    world.upsert(
        decision_ids=group,
        start="17:00",
        end="19:30",
        trips=[{"km": "14.0", "from": "A", "to": "B"}],
    )
    world.upsert(start="10:00", end="11:15", expenses=[{"amount": "89.50", "category": "kafé"}])

    first, second = (_sheets(world, decision_id)[0] for decision_id in group)
    _sign(world, first)
    _approve(world, first["id"])
    [individual] = _sheets(world, world.decision_id)
    _sign(world, individual)
    _approve(world, individual["id"])

    batch = world.client.post(BATCHES, headers=payroll)
    assert batch.status_code == 201, batch.text
    assert batch.json()["entry_count"] == 1  # the group session waits for its other sheet

    # The second sheet is approved unsigned, with a written reason.
    refused = world.client.post(
        f"/api/v1/timesheets/{second['id']}/approve", json={}, headers=world.coordinator
    )
    assert refused.status_code == 409
    _approve(world, second["id"], override_reason="Signert på papir, ligger i saken.")

    paid = world.client.post(BATCHES, json={"period": f"{day:%Y-%m}"}, headers=payroll)
    assert paid.status_code == 201, paid.text
    assert paid.json()["entry_count"] == 1
    content = world.client.get(
        f"{BATCHES}/{paid.json()['id']}/export", params={"format": "csv"}, headers=payroll
    ).content
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [(r["case_no"], r["pay_code"], r["quantity"], r["amount"]) for r in rows] == [
        ("G-42", "1100", "2.50", "625.00"),
        ("G-42", "7100", "14.00", "49.00"),
        ("G-42", "7110", "14.00", f"{Decimal(rate_amount(day, '14.0')) - Decimal('49.00'):f}"),
    ]
    assert world.client.post(BATCHES, headers=payroll).status_code == 409

    statuses = {s["id"]: s["status"] for s in world.pull()["timesheets"]}
    assert statuses[first["id"]] == "exported"
    assert statuses[second["id"]] == "exported"
    assert statuses[individual["id"]] == "exported"
    pdf = world.client.get(
        f"{BATCHES}/{paid.json()['id']}/export", params={"format": "pdf"}, headers=payroll
    )
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def rate_amount(day: Any, km: str) -> str:
    rate = Decimal("5.30") if day.year >= 2026 else Decimal("5.00")
    return f"{(Decimal(km) * rate).quantize(Decimal('0.01')):f}"
