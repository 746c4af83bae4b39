"""Pay codes by contract type, km split for tax and the passenger add-on, over
HTTP on SQLite and PostgreSQL (docs/rules.md §8), and the migration of saved settings."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from models.payroll import PaySettings
from server.db import make_engine
from server.migrate import upgrade
from server.payroll.tables import PaySettingsRow
from tests.server.payroll.conftest import Municipality

BATCHES = "/api/v1/payroll/batches"
SETTINGS = "/api/v1/payroll/settings"


def _rows(client: TestClient, headers: dict[str, str]) -> list[tuple[str, ...]]:
    made = client.post(BATCHES, headers=headers)
    assert made.status_code == 201, made.text
    content = client.get(
        f"{BATCHES}/{made.json()['id']}/export", params={"format": "csv"}, headers=headers
    ).content
    return [
        (r["employee_no"], r["pay_code"], r["quantity"], r["rate"], r["amount"])
        for r in csv.DictReader(io.StringIO(content.decode("utf-8")))
    ]


def test_employee_hours_and_contractor_fees_go_under_their_own_codes(
    client: TestClient, office: dict[str, dict[str, str]], town: Municipality
) -> None:
    settings = client.get(SETTINGS, headers=office["admin"]).json()
    settings["pay_codes"]["employee_hours"]["code"] = "1010"
    settings["pay_codes"]["contractor_fee"]["code"] = "2020"
    saved = client.put(SETTINGS, json=settings, headers=office["admin"])
    assert saved.status_code == 200, saved.text

    ansatt = town.contact("1001", contract_type="employee")
    oppdrag = town.contact("1002", contract_type="contractor")
    vedtak = town.decision(town.recipient("2025/123"), [ansatt, oppdrag])
    town.approve_entry(town.entry(ansatt, [vedtak], date(2026, 3, 2), minutes=90))
    town.approve_entry(town.entry(oppdrag, [vedtak], date(2026, 3, 3), minutes=60))
    assert _rows(client, office["payroll"]) == [
        ("1001", "1010", "1.50", "250.00", "375.00"),
        ("1002", "2020", "1.00", "250.00", "250.00"),
    ]


def test_km_is_split_and_the_passenger_add_on_paid_when_set(
    client: TestClient, office: dict[str, dict[str, str]], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    town.approve_entry(
        town.entry(kari, [vedtak], date(2026, 3, 2), minutes=60, km="12.3", passengers=2)
    )
    # Off by default: no passenger line.
    assert _rows(client, office["payroll"]) == [
        ("1001", "1100", "1.00", "250.00", "250.00"),
        ("1001", "7100", "12.30", "3.50", "43.05"),
        ("1001", "7110", "12.30", "1.80", "22.14"),  # 12,3 × 5,30 = 65,19 in all
    ]

    settings = client.get(SETTINGS, headers=office["admin"]).json()
    assert settings["passenger_rates"] == []
    settings["passenger_rates"] = [{"valid_from": "2026-01-01", "rate": "1.00"}]
    assert client.put(SETTINGS, json=settings, headers=office["admin"]).status_code == 200
    town.approve_entry(
        town.entry(kari, [vedtak], date(2026, 4, 9), minutes=60, km="10.0", passengers=3)
    )
    rows = _rows(client, office["payroll"])
    assert ("1001", "7120", "30.00", "1.00", "30.00") in rows


def test_settings_refuse_a_shared_code_and_the_old_single_codes_in_norwegian(
    client: TestClient, office: dict[str, dict[str, str]]
) -> None:
    settings = client.get(SETTINGS, headers=office["admin"]).json()
    assert set(settings["pay_codes"]) == {
        "employee_hours",
        "contractor_fee",
        "km_tax_free",
        "km_taxable",
        "passenger",
        "expenses",
    }
    assert settings["km_tax_free_rates"][-1] == {"valid_from": "2026-01-01", "rate": "3.50"}
    shared = {**settings, "pay_codes": {**settings["pay_codes"]}}
    shared["pay_codes"]["km_taxable"] = settings["pay_codes"]["km_tax_free"]
    refused = client.put(SETTINGS, json=shared, headers=office["admin"])
    assert refused.status_code == 422
    assert "bare brukes til én" in refused.text
    old = {**settings, "pay_codes": {"hours": {"code": "1"}, "km": {"code": "2"}}}
    assert client.put(SETTINGS, json=old, headers=office["admin"]).status_code == 422
    # Nothing was lost: the saved settings are as before.
    assert client.get(SETTINGS, headers=office["admin"]).json() == settings


def test_the_migration_splits_saved_codes_without_reusing_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0002")
    engine = make_engine(url)
    old = {
        "pay_codes": {
            "hours": {"code": "1000", "account": "5010", "contra_account": ""},
            "km": {"code": "7110", "account": "", "contra_account": ""},
            "expenses": {"code": "7200", "account": "", "contra_account": ""},
        },
        "default_hourly_rate": "250.00",
        "km_rates": [{"valid_from": "2026-01-01", "rate": "5.30"}],
        "expense_cover": {"mode": "as_logged", "per_hour": None, "monthly_cap": None},
        "dimensions": [],
    }
    with engine.begin() as conn:
        conn.execute(insert(PaySettingsRow.__table__), {"id": 1, "data": old})
    upgrade(url)
    with engine.connect() as conn:
        data = conn.execute(select(PaySettingsRow.data)).scalar_one()
    engine.dispose()
    codes = {key: value["code"] for key, value in data["pay_codes"].items()}
    # The old codes keep their lines (contractors' hours, km), the new ones are free codes.
    assert codes == {
        "contractor_fee": "1000",
        "employee_hours": "1001",
        "km_tax_free": "7110",
        "km_taxable": "7111",
        "passenger": "7120",
        "expenses": "7200",
    }
    assert data["pay_codes"]["contractor_fee"]["account"] == "5010"
    settings = PaySettings.model_validate(data)
    assert settings.km_tax_free_rates[0].rate == Decimal("3.50")
