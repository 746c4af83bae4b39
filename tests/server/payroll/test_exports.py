"""The payroll file writers, on plain pay lines: layout, totals, same bytes twice."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from models.payroll import PayItem, PaySettings, pay_lines, totals
from models.schemas import ContractType
from server.payroll.exports import (
    CSV_COLUMNS,
    VISMA_COLUMNS,
    ArchiveEntry,
    ArchiveSheet,
    ArchiveSignature,
    csv_bytes,
    pdf_bytes,
    visma_bytes,
    xlsx_bytes,
)

CREATED = datetime(2026, 2, 3, 9, 15, 42, tzinfo=UTC)


@pytest.fixture(scope="module")
def lines():
    settings = PaySettings.model_validate(
        {
            "pay_codes": {
                "employee_hours": {"code": "1000", "account": "5000"},
                "contractor_fee": {"code": "1100", "account": "5010", "contra_account": "2930"},
                "km_tax_free": {"code": "7100"},
                "km_taxable": {"code": "7110"},
                "passenger": {"code": "7120"},
                "expenses": {"code": "7200"},
            },
            "passenger_rates": [{"valid_from": "2026-01-01", "rate": "1.00"}],
            "dimensions": ["1300", "2340", "", "", "{period}", "{case_no}"],
        }
    )

    def item(entry_id, employee_no, case_no, day, minutes, km="0", expenses="0", **kw):
        return PayItem(
            entry_id=entry_id,
            employee_no=employee_no,
            case_no=case_no,
            period="2026-01",
            day=day,
            minutes=minutes,
            km=Decimal(km),
            expenses=Decimal(expenses),
            hourly_rate=Decimal("262.50"),
            **kw,
        )

    return pay_lines(
        [
            item("a", "1001", "2025/123", date(2026, 1, 5), 150, km="23.4"),
            item("b", "1001", "2025/123", date(2026, 1, 12), 100, expenses="129.90"),
            item("c", "1001", "G-1", date(2026, 1, 14), 120),
            item(
                "d",
                "1002",
                "2025/777",
                date(2026, 1, 20),
                45,
                km="3.0",
                contract_type=ContractType.employee,
                passenger_km=Decimal("6.0"),
            ),
        ],
        settings,
    )


def test_csv_has_the_contract_columns_and_exact_amounts(lines):
    text = csv_bytes(lines).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1] == ["1001", "2025/123", "2026-01", "1100", "4.17", "262.50", "1093.75"]
    # 23,4 km × 5,30 = 124,02, paid as 81,90 tax-free + 42,12 taxable.
    assert rows[2] == ["1001", "2025/123", "2026-01", "7100", "23.40", "3.50", "81.90"]
    assert rows[3] == ["1001", "2025/123", "2026-01", "7110", "23.40", "1.80", "42.12"]
    assert rows[4] == ["1001", "2025/123", "2026-01", "7200", "1.00", "129.90", "129.90"]
    assert rows[5] == ["1001", "G-1", "2026-01", "1100", "2.00", "262.50", "525.00"]
    # An employee's hours under the holiday-pay basis code; the passenger add-on apart.
    assert rows[6:] == [
        ["1002", "2025/777", "2026-01", "1000", "0.75", "262.50", "196.88"],
        ["1002", "2025/777", "2026-01", "7100", "3.00", "3.50", "10.50"],
        ["1002", "2025/777", "2026-01", "7110", "3.00", "1.80", "5.40"],
        ["1002", "2025/777", "2026-01", "7120", "6.00", "1.00", "6.00"],
    ]
    assert sum(Decimal(row[6]) for row in rows[1:]) == totals(lines).amount
    assert len(rows) == len(lines) + 1


def test_visma_lines_follow_the_standard_column_layout(lines):
    data = visma_bytes(lines)
    assert data.endswith(b"\r\n")
    assert b"\r\n" in data
    text = data.decode("cp1252")
    assert not text.startswith("Lønnsår")  # no header: Visma reads every line as data
    number = re.compile(r"^-?\d+\.\d{2}$")
    records = text.split("\r\n")[:-1]
    assert len(records) == len(lines)
    for record, line in zip(records, lines, strict=True):
        fields = record.split(";")
        assert len(fields) == len(VISMA_COLUMNS) == 16
        row = dict(zip(VISMA_COLUMNS, fields, strict=True))
        assert row["Lønnsår"] == "0"
        assert row["Lønnskjørenr"] == "0"
        assert row["Ansattnr"] == line.employee_no
        assert row["Lønnsart"] == line.pay_code
        for column in ("Grunnlag", "Antall", "Sats", "Beløp"):
            assert number.match(row[column]), (column, row[column])
        assert Decimal(row["Beløp"]) == line.amount
        assert Decimal(row["Antall"]) == line.quantity
        assert row["Dim1"] == '"1300"'
        assert row["Dim2"] == '"2340"'
        assert row["Dim3"] == '""'
        assert row["Dim5"] == '"2026-01"'
        assert row["Dim6"] == f'"{line.case_no}"'
    first = dict(zip(VISMA_COLUMNS, records[0].split(";"), strict=True))
    assert first["Konto"] == "5010"
    assert first["Motkonto"] == "2930"
    assert records[0] == (
        '0;0;1001;1100;0.00;4.17;262.50;1093.75;5010;2930;"1300";"2340";"";"";"2026-01";"2025/123"'
    )


def test_xlsx_has_pay_lines_and_totals_per_contact(lines):
    book = load_workbook(io.BytesIO(xlsx_bytes(lines, batch_id="b1", created_at=CREATED)))
    assert book.sheetnames == ["Lønnslinjer", "Summer per kontakt"]
    pay = list(book["Lønnslinjer"].iter_rows(values_only=True))
    assert pay[0][:8] == (
        "Ansattnr",
        "Saksnr",
        "Periode",
        "Lønnsart",
        "Type",
        "Antall",
        "Sats",
        "Beløp",
    )
    assert len(pay) == len(lines) + 1
    assert sum(Decimal(str(row[7])) for row in pay[1:]) == totals(lines).amount
    sums = {
        row[0]: row for row in book["Summer per kontakt"].iter_rows(min_row=2, values_only=True)
    }
    assert Decimal(str(sums["1001"][4])) == Decimal("1872.67")
    assert Decimal(str(sums["1002"][4])) == Decimal("218.78")
    assert Decimal(str(sums["Sum"][4])) == totals(lines).amount == Decimal("2091.45")
    assert Decimal(str(sums["1002"][2])) == Decimal("3.0")  # km driven, counted once
    kinds = {row[3]: row[4] for row in pay[1:]}
    assert kinds["1000"] == "Timer, ansatt (feriepengegrunnlag)"
    assert kinds["1100"] == "Honorar, oppdragstaker"
    assert kinds["7100"] == "Kjøring, skattefri del (km)"
    assert kinds["7110"] == "Kjøring, skattepliktig del (km)"
    assert kinds["7120"] == "Passasjertillegg (km)"


def test_xlsx_bytes_do_not_depend_on_the_clock(lines):
    first = xlsx_bytes(lines, batch_id="b1", created_at=CREATED)
    assert first == xlsx_bytes(lines, batch_id="b1", created_at=CREATED)
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {(2026, 2, 3, 9, 15, 42)}
    core = archive.read("docProps/core.xml").decode()
    assert re.findall(r"\d{4}-\d\d-\d\dT[\d:]+Z", core) == ["2026-02-03T09:15:42Z"] * 2


def _sheet(signed=True):
    signature = ArchiveSignature(
        signer_role="guardian",
        signed_at=datetime(2026, 1, 31, 17, 0, tzinfo=UTC),
        content_hash="ab" * 32,
        strokes=[[(10.0, 10.0), (40.0, 30.0), (80.0, 12.0)], [(90.0, 40.0)]],
    )
    return ArchiveSheet(
        employee_no="1001",
        case_no="2025/123",
        period="2026-01",
        entries=[
            ArchiveEntry(date(2026, 1, 5), "10:00", "12:30", 150, Decimal("23.4"), Decimal(0)),
            ArchiveEntry(date(2026, 1, 12), "22:00", "23:40", 100, Decimal(0), Decimal("129.90")),
        ],
        signature=signature if signed else None,
        approved_at=datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
        overridden=not signed,
    )


def test_pdf_prints_each_sheet_with_totals_and_signature(lines):
    data = pdf_bytes([_sheet(), _sheet(signed=False)], lines, batch_id="b1", created_at=CREATED)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    first = reader.pages[0].extract_text()
    assert "Timeliste 2026-01" in first
    assert "Saksnr: 2025/123" in first
    assert "4 t 10 min" in first  # 150 + 100 minutes
    assert "23,4" in first
    assert "129,90 kr" in first
    assert "foresatt/verge" in first
    assert "Godkjent med overstyring" in reader.pages[1].extract_text()
    summary = reader.pages[2].extract_text()
    assert "totalt 2091,45 kr" in summary
    assert "Ansattnr 1002" in summary
    assert "7110 Kjøring, skattepliktig del (km) 26,40 47,52 kr" in summary
    assert "1000 Timer, ansatt (feriepengegrunnlag) 0,75 196,88 kr" in summary


def test_pdf_bytes_do_not_depend_on_the_clock(lines):
    first = pdf_bytes([_sheet()], lines, batch_id="b1", created_at=CREATED)
    assert first == pdf_bytes([_sheet()], lines, batch_id="b1", created_at=CREATED)
    assert b"D:20260203091542" in first


def test_pdf_marks_entries_another_batch_pays_and_sums_this_batchs_part(lines):
    sheet = _sheet()
    waiting = ArchiveEntry(
        date(2026, 1, 14), "12:00", "14:00", 120, Decimal("5.0"), Decimal(0), in_batch=False
    )
    sheet = replace(sheet, entries=[*sheet.entries, waiting])

    text = (
        PdfReader(io.BytesIO(pdf_bytes([sheet], lines, batch_id="b1", created_at=CREATED)))
        .pages[0]
        .extract_text()
    )
    rows = text.splitlines()
    assert [row for row in rows if "ikke med i denne bunten" in row] == [
        next(row for row in rows if row.startswith("14.01.2026"))
    ]
    assert any(row.startswith("Sum timeliste 6 t 10 min 28,4") for row in rows), rows
    assert any(row.startswith("Med i denne bunten 4 t 10 min 23,4") for row in rows), rows


def test_pdf_prints_the_signing_time_in_oslo_time(lines):
    # 17:00 UTC on 31 January is 18:00 in Oslo (CET): the time a person saw on the phone.
    data = pdf_bytes([_sheet()], lines, batch_id="b1", created_at=CREATED)
    first = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "31.01.2026 kl. 18:00" in first
    assert "17:00" not in first
    assert "UTC" not in first
