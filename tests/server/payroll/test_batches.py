"""Payroll batches over HTTP, on SQLite and PostgreSQL (docs/rules.md §8, §13)."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.errors import ConflictError
from server.payroll import service
from server.tables import AuditEvent, TimesheetEntry
from tests.server.payroll.conftest import Municipality

BATCHES = "/api/v1/payroll/batches"
SETTINGS = "/api/v1/payroll/settings"


def make_batch(client: TestClient, headers: dict[str, str], **body: str) -> dict:
    response = client.post(BATCHES, json=body or None, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def download(client: TestClient, headers: dict[str, str], batch_id: str, fmt: str) -> bytes:
    response = client.get(f"{BATCHES}/{batch_id}/export", params={"format": fmt}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_empty_batch_is_refused_with_409(client: TestClient, payroll: dict[str, str]) -> None:
    response = client.post(BATCHES, headers=payroll)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "ingen godkjente timer" in response.json()["detail"]
    assert client.get(BATCHES, headers=payroll).json() == {"data": [], "count": 0}


def test_only_approved_sheets_are_paid_and_amounts_are_exact_to_the_ore(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001", rate="262.50")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    first = town.entry(kari, [vedtak], date(2026, 3, 2), minutes=20, expenses="129.90")
    town.entry(kari, [vedtak], date(2026, 3, 9), minutes=7)  # same sheet
    april = town.entry(kari, [vedtak], date(2026, 4, 1), minutes=60)  # not approved
    town.approve_entry(first)

    batch = make_batch(client, payroll)
    assert batch["entry_count"] == 2
    # 27 minutes × 262.50 kr / 60 = 118.125 kr, rounded once, half up.
    assert batch["totals"] == {
        "hours": "0.45",
        "km": "0.0",
        "expenses": "129.90",
        "amount": "248.03",
    }
    rows = csv_rows(download(client, payroll, batch["id"], "csv"))
    assert [(r["pay_code"], r["quantity"], r["rate"], r["amount"]) for r in rows] == [
        ("1100", "0.45", "262.50", "118.13"),
        ("7200", "1.00", "129.90", "129.90"),
    ]
    assert {(r["employee_no"], r["case_no"], r["period"]) for r in rows} == {
        ("1001", "2025/123", "2026-03")
    }
    assert town.status(town.sheets_of(first)[0]) == "exported"
    assert town.status(town.sheets_of(april)[0]) == "open"


def test_no_entry_is_paid_twice_across_batches(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    march = town.entry(kari, [vedtak], date(2026, 3, 2), minutes=60)
    town.approve_entry(march)
    first = make_batch(client, payroll)
    assert first["entry_count"] == 1

    again = client.post(BATCHES, headers=payroll)
    assert again.status_code == 409

    april = town.entry(kari, [vedtak], date(2026, 4, 2), minutes=90)
    town.approve_entry(april)
    second = make_batch(client, payroll)
    assert second["entry_count"] == 1
    assert second["number"] == first["number"] + 1
    rows = csv_rows(download(client, payroll, second["id"], "csv"))
    assert [(r["period"], r["quantity"], r["amount"]) for r in rows] == [
        ("2026-04", "1.50", "375.00")
    ]
    listed = client.get(BATCHES, headers=payroll).json()
    assert listed["count"] == 2
    assert [b["id"] for b in listed["data"]] == [second["id"], first["id"]]


def test_group_entry_is_paid_once_and_only_when_every_sheet_is_approved(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    a = town.decision(town.recipient("2025/1"), [kari], group_id="G-7")
    b = town.decision(town.recipient("2025/2"), [kari], group_id="G-7")
    c = town.decision(town.recipient("2025/3"), [kari], group_id="G-7")
    session = town.entry(kari, [a, b, c], date(2026, 3, 10), minutes=180, km="12.0")
    sheets = town.sheets_of(session)
    assert len(sheets) == 3

    for sheet in sheets[:2]:
        town.sign(sheet)
        town.approve(sheet)
    assert client.post(BATCHES, headers=payroll).status_code == 409

    town.sign(sheets[2])
    town.approve(sheets[2])
    batch = make_batch(client, payroll)
    assert batch["entry_count"] == 1
    rows = csv_rows(download(client, payroll, batch["id"], "csv"))
    # One row per pay code under the group id: three participants, paid once.
    assert [(r["case_no"], r["pay_code"], r["quantity"], r["amount"]) for r in rows] == [
        ("G-7", "1100", "3.00", "750.00"),
        ("G-7", "7100", "12.00", "42.00"),
        ("G-7", "7110", "12.00", "21.60"),
    ]
    assert {town.status(sheet) for sheet in sheets} == {"exported"}
    assert client.post(BATCHES, headers=payroll).status_code == 409


def test_an_entry_on_two_sheets_of_one_vedtak_waits_for_both_and_is_paid_once(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    """Not a group session, yet listed twice (a sheet of another period kept it):
    found by counting its links, not by its decisions."""
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    entry = town.entry(kari, [vedtak], date(2026, 3, 2), minutes=60)
    (own,) = town.sheets_of(entry)
    other = town.sheet(kari, vedtak, "2026-09")
    town.db.add(TimesheetEntry(timesheet_id=other, entry_id=entry))
    town.db.commit()
    town.sign(own)
    town.approve(own)
    assert client.post(BATCHES, headers=payroll).status_code == 409

    town.sign(other)
    town.approve(other)
    batch = make_batch(client, payroll)
    assert batch["entry_count"] == 1
    rows = csv_rows(download(client, payroll, batch["id"], "csv"))
    assert [(r["case_no"], r["pay_code"], r["quantity"]) for r in rows] == [
        ("2025/123", "1100", "1.00")
    ]
    assert {town.status(own), town.status(other)} == {"exported"}


def test_group_entry_waits_while_the_other_sheets_are_paid(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    a = town.decision(town.recipient("2025/1"), [kari], group_id="G-1")
    b = town.decision(town.recipient("2025/2"), [kari], group_id="G-1")
    group = town.entry(kari, [a, b], date(2026, 3, 10), minutes=60)
    alone = town.entry(kari, [a], date(2026, 3, 11), minutes=30)  # a group decision alone
    sheet_a, sheet_b = town.sheets_of(group)
    town.sign(sheet_a)
    town.approve(sheet_a)

    first = make_batch(client, payroll)
    assert first["entry_count"] == 1  # only `alone`
    assert town.status(sheet_a) == "approved"  # its group entry is still unpaid
    town.sign(sheet_b)
    town.approve(sheet_b)
    second = make_batch(client, payroll)
    assert second["entry_count"] == 1
    assert {town.status(sheet_a), town.status(sheet_b)} == {"exported"}
    assert alone != group


def test_km_rates_follow_the_date_across_new_year_2026_split_for_tax(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    december = town.entry(kari, [vedtak], date(2025, 12, 31), minutes=60, km="33.3")
    january = town.entry(kari, [vedtak], date(2026, 1, 1), minutes=60, km="33.3")
    town.approve_entry(december)
    town.approve_entry(january)
    batch = make_batch(client, payroll)
    rows = csv_rows(download(client, payroll, batch["id"], "csv"))
    km = [
        (r["period"], r["pay_code"], r["quantity"], r["rate"], r["amount"])
        for r in rows
        if r["pay_code"] in ("7100", "7110")
    ]
    # Tax-free 3,50 and the rest taxable; each pair adds up to km × rate.
    assert km == [
        ("2025-12", "7100", "33.30", "3.50", "116.55"),
        ("2025-12", "7110", "33.30", "1.50", "49.95"),
        ("2026-01", "7100", "33.30", "3.50", "116.55"),
        ("2026-01", "7110", "33.30", "1.80", "59.94"),
    ]
    assert Decimal("116.55") + Decimal("59.94") == Decimal("176.49")  # 33,3 × 5,30
    assert batch["totals"]["km"] == "66.6"


def test_period_limits_the_batch(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    for day in (date(2026, 3, 2), date(2026, 4, 2)):
        town.approve_entry(town.entry(kari, [vedtak], day))
    march = make_batch(client, payroll, period="2026-03")
    assert march["period"] == "2026-03"
    assert march["entry_count"] == 1
    assert client.post(BATCHES, json={"period": "2026-03"}, headers=payroll).status_code == 409
    assert make_batch(client, payroll)["entry_count"] == 1
    bad = client.post(BATCHES, json={"period": "2026-13"}, headers=payroll)
    assert bad.status_code == 422


def test_every_format_downloads_as_the_same_bytes_even_after_settings_change(
    client: TestClient, office: dict[str, dict[str, str]], town: Municipality
) -> None:
    payroll = office["payroll"]
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    town.approve_entry(town.entry(kari, [vedtak], date(2026, 3, 2), km="10.0", expenses="50.00"))
    batch = make_batch(client, payroll)
    first = {
        fmt: download(client, payroll, batch["id"], fmt) for fmt in ("csv", "visma", "xlsx", "pdf")
    }

    changed = client.get(SETTINGS, headers=payroll).json()
    changed["default_hourly_rate"] = "999.00"
    changed["pay_codes"]["contractor_fee"]["code"] = "9999"
    response = client.put(SETTINGS, json=changed, headers=office["admin"])
    assert response.status_code == 200, response.text

    for fmt, content in first.items():
        assert download(client, payroll, batch["id"], fmt) == content, fmt


def test_exports_carry_no_names_notes_or_activities(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001", name="Kari Støttekontakt")
    vedtak = town.decision(town.recipient("2025/123", name="Ola Mottaker"), [kari])
    entry = town.entry(kari, [vedtak], date(2026, 3, 2), note="Hemmelig notat")
    town.approve_entry(entry)
    batch = make_batch(client, payroll)
    for fmt in ("csv", "visma", "pdf"):
        content = download(client, payroll, batch["id"], fmt)
        readable = (
            "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
            if fmt == "pdf"
            else content.decode("cp1252" if fmt == "visma" else "utf-8")
        )
        for secret in ("Ola", "Mottaker", "Kari", "Hemmelig", "Kino", "Svømming"):
            assert secret not in readable, (fmt, secret)
        assert "1001" in readable
    book = load_workbook(io.BytesIO(download(client, payroll, batch["id"], "xlsx")))
    cells = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    assert "Ola" not in cells
    assert "Hemmelig" not in cells
    assert "2025/123" in cells


def test_xlsx_and_pdf_show_the_totals(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001", rate="300.00")
    per = town.contact("1002", rate=None)  # the default rate, 250.00
    vedtak = town.decision(town.recipient("2025/123"), [kari, per])
    town.approve_entry(town.entry(kari, [vedtak], date(2026, 3, 2), minutes=90, km="20.0"))
    town.approve_entry(town.entry(per, [vedtak], date(2026, 3, 3), minutes=45))
    batch = make_batch(client, payroll)
    # 1.5 h × 300 + 20 km × 5.30 + 0.75 h × 250 = 450 + 106 + 187.50
    assert batch["totals"]["amount"] == "743.50"

    book = load_workbook(io.BytesIO(download(client, payroll, batch["id"], "xlsx")))
    totals = {
        row[0]: row for row in book["Summer per kontakt"].iter_rows(min_row=2, values_only=True)
    }
    assert round(totals["1001"][4], 2) == 556.00
    assert round(totals["1002"][4], 2) == 187.50
    assert round(totals["Sum"][4], 2) == 743.50

    reader = PdfReader(io.BytesIO(download(client, payroll, batch["id"], "pdf")))
    assert len(reader.pages) == 3  # two timesheets and the summary
    text_all = "\n".join(page.extract_text() for page in reader.pages)
    assert "totalt 743,50 kr" in text_all
    assert "1 t 30 min" in text_all
    assert "Signert av tjenestemottaker" in text_all


def test_batches_are_for_payroll_only_and_settings_for_admin(
    client: TestClient, office: dict[str, dict[str, str]]
) -> None:
    assert client.post(BATCHES).status_code == 401
    for role in ("coordinator", "admin"):
        assert client.post(BATCHES, headers=office[role]).status_code == 403
        assert client.get(BATCHES, headers=office[role]).status_code == 403
    assert client.get(SETTINGS, headers=office["coordinator"]).status_code == 403
    current = client.get(SETTINGS, headers=office["payroll"]).json()
    assert current["km_rates"] == [
        {"valid_from": "2025-01-01", "rate": "5.00"},
        {"valid_from": "2026-01-01", "rate": "5.30"},
    ]
    assert client.put(SETTINGS, json=current, headers=office["payroll"]).status_code == 403
    assert client.put(SETTINGS, json=current, headers=office["admin"]).status_code == 200


def test_settings_are_validated(client: TestClient, office: dict[str, dict[str, str]]) -> None:
    current = client.get(SETTINGS, headers=office["admin"]).json()
    current["expense_cover"] = {"mode": "monthly_cap"}
    response = client.put(SETTINGS, json=current, headers=office["admin"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    current["expense_cover"] = {"mode": "monthly_cap", "monthly_cap": "500.00"}
    current["km_rates"].append({"valid_from": "2027-01-01", "rate": "5.55"})
    assert client.put(SETTINGS, json=current, headers=office["admin"]).status_code == 200
    saved = client.get(SETTINGS, headers=office["admin"]).json()
    assert saved["expense_cover"]["monthly_cap"] == "500.00"
    assert saved["km_rates"][-1] == {"valid_from": "2027-01-01", "rate": "5.55"}


def test_monthly_expense_cap_counts_earlier_batches(
    client: TestClient, office: dict[str, dict[str, str]], town: Municipality
) -> None:
    current = client.get(SETTINGS, headers=office["admin"]).json()
    current["expense_cover"] = {"mode": "monthly_cap", "monthly_cap": "300.00"}
    assert client.put(SETTINGS, json=current, headers=office["admin"]).status_code == 200
    kari = town.contact("1001")
    one = town.decision(town.recipient("2025/1"), [kari])
    two = town.decision(town.recipient("2025/2"), [kari])
    town.approve_entry(town.entry(kari, [one], date(2026, 3, 2), expenses="200.00"))
    assert make_batch(client, office["payroll"])["totals"]["expenses"] == "200.00"
    town.approve_entry(town.entry(kari, [two], date(2026, 3, 3), expenses="250.00"))
    assert make_batch(client, office["payroll"])["totals"]["expenses"] == "100.00"


def test_batches_and_downloads_are_audited_and_immutable(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    town.approve_entry(town.entry(kari, [vedtak], date(2026, 3, 2)))
    batch = make_batch(client, payroll)
    download(client, payroll, batch["id"], "visma")
    town.db.expire_all()
    events = town.db.scalars(
        select(AuditEvent).where(AuditEvent.object_id == batch["id"]).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.role) for e in events] == [("create", "payroll"), ("export", "payroll")]
    assert events[1].detail == {"format": "visma"}
    town.db.commit()
    with pytest.raises(DBAPIError):
        town.db.execute(text("UPDATE payroll_lines SET amount = 1"))
    town.db.rollback()
    # The batch paid the sheet whole (migration 0011): its key is as immutable.
    with pytest.raises(DBAPIError):
        town.db.execute(text("DELETE FROM payroll_batch_sheets"))
    town.db.rollback()
    with pytest.raises(DBAPIError):
        town.db.execute(text("UPDATE payroll_batch_sheets SET batch_id = sheet_id"))
    town.db.rollback()


def test_unknown_batch_and_format(client: TestClient, payroll: dict[str, str]) -> None:
    assert client.get(f"{BATCHES}/nope/export", headers=payroll).status_code == 404
    assert client.get(f"{BATCHES}/nope", headers=payroll).status_code == 404
    response = client.get(f"{BATCHES}/nope/export", params={"format": "doc"}, headers=payroll)
    assert response.status_code == 422


def test_visma_download_follows_the_column_layout(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    town.approve_entry(town.entry(kari, [vedtak], date(2026, 3, 2), minutes=75, km="8.5"))
    batch = make_batch(client, payroll)
    response = client.get(
        f"{BATCHES}/{batch['id']}/export", params={"format": "visma"}, headers=payroll
    )
    assert 'filename="lonnsbunt-1.visma.txt"' in response.headers["content-disposition"]
    assert response.content.decode("cp1252").split("\r\n") == [
        '0;0;1001;1100;0.00;1.25;250.00;312.50;;;"";"";"";"";"";"2025/123"',
        '0;0;1001;7100;0.00;8.50;3.50;29.75;;;"";"";"";"";"";"2025/123"',
        '0;0;1001;7110;0.00;8.50;1.80;15.30;;;"";"";"";"";"";"2025/123"',
        "",
    ]


def test_two_batches_at_once_never_pay_an_entry_twice(
    settings: Settings, town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    entries = [town.entry(kari, [vedtak], date(2026, 3, day), minutes=60) for day in range(2, 12)]
    town.approve_entry(entries[0])  # one sheet holds all ten

    engine = make_engine(settings.sqlalchemy_url)
    factory = make_sessionmaker(engine)
    barrier = threading.Barrier(4)

    def attempt() -> str:
        barrier.wait()
        with factory() as db:
            try:
                return service.make_batch(db, actor=None).id
            except ConflictError as error:
                return type(error).__name__

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = list(pool.map(lambda _: attempt(), range(4)))
        with engine.connect() as conn:
            # By either kind of key (here the sheet's, paid whole).
            keys = service.paid_entries().subquery()
            paid = conn.execute(
                select(keys.c.entry_id, func.count()).group_by(keys.c.entry_id)
            ).all()
    finally:
        engine.dispose()
    made = [o for o in outcomes if o not in ("NothingToPayError", "ConflictError")]
    assert len(made) == 1, outcomes
    assert sorted(entry for entry, _count in paid) == sorted(entries)
    assert {count for _entry, count in paid} == {1}


def test_the_entry_key_refuses_a_second_payment_on_both_engines(
    settings: Settings, town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    entry = town.entry(kari, [vedtak], date(2026, 3, 2))
    town.approve_entry(entry)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            first = service.make_batch(db, actor=None)
        with make_sessionmaker(engine)() as db, pytest.raises(IntegrityError):
            # What a second batch racing past every other guard would do.
            service._record_paid(db.connection(), first.id, [entry])
    finally:
        engine.dispose()


def test_pdf_prints_an_override_but_never_its_reason(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    entry = town.entry(kari, [vedtak], date(2026, 3, 2), minutes=60)
    (sheet,) = town.sheets_of(entry)
    # A free-text reason can name someone; it stays in the sheet and audit view.
    town.approve(sheet, override="Signert på papir av Ola Nordmann")
    batch = make_batch(client, payroll)
    reader = PdfReader(io.BytesIO(download(client, payroll, batch["id"], "pdf")))
    text_all = "\n".join(page.extract_text() for page in reader.pages)
    assert "Godkjent med overstyring" in text_all
    for secret in ("Ola", "Nordmann", "papir"):
        assert secret not in text_all, secret


def test_pdf_marks_sheet_entries_left_for_a_later_batch(
    client: TestClient, payroll: dict[str, str], town: Municipality
) -> None:
    kari = town.contact("1001")
    a = town.decision(town.recipient("2025/1"), [kari], group_id="G-1")
    b = town.decision(town.recipient("2025/2"), [kari], group_id="G-1")
    group = town.entry(kari, [a, b], date(2026, 3, 10), minutes=60, km="12.0")
    town.entry(kari, [a], date(2026, 3, 11), minutes=30)
    sheet_a, sheet_b = town.sheets_of(group)
    town.sign(sheet_a)
    town.approve(sheet_a)
    first = make_batch(client, payroll)
    assert first["entry_count"] == 1  # the group session waits for sheet b

    content = download(client, payroll, first["id"], "pdf")
    reader = PdfReader(io.BytesIO(content))
    sheet_text = reader.pages[0].extract_text()
    # The whole signed sheet is printed: both sessions, 1 h 30 min in all ...
    assert "10.03.2026" in sheet_text
    assert "11.03.2026" in sheet_text
    assert "1 t 30 min" in sheet_text
    # ... the group session marked as not paid here, and the batch's part summed.
    marked = [line for line in sheet_text.splitlines() if "ikke med i denne bunten" in line]
    assert len(marked) == 1
    assert "10.03.2026" in marked[0]
    paid = [line for line in sheet_text.splitlines() if line.startswith("Med i denne bunten")]
    assert len(paid) == 1
    assert "30 min" in paid[0]
    assert "1 t 30 min" not in paid[0]
    assert "12,0" not in paid[0]
    assert download(client, payroll, first["id"], "pdf") == content

    town.sign(sheet_b)
    town.approve(sheet_b)
    second = make_batch(client, payroll)
    later = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(download(client, payroll, second["id"], "pdf"))).pages
    )
    # Sheet a again: now its own session (paid in the first batch) is the marked one.
    assert later.count("ikke med i denne bunten") == 1
    # The first batch's file is unchanged by the second batch.
    assert download(client, payroll, first["id"], "pdf") == content
