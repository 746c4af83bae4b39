"""Payroll file writers: csv, visma, xlsx, pdf (docs/rules.md §8).

Each writer takes plain data (pay lines from `models.payroll`, archive sheets)
and returns bytes. The same batch must download as the same bytes every time,
so nothing here reads the clock: every timestamp a format wants is the batch's
own `created_at`, and zip members get that date too.

What leaves the municipality in these files is the least payroll needs:
employee number, case number (or group id), period, pay code, quantity, rate,
amount and cost dimensions — never a recipient's name, a note or an activity.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from models.clock import OSLO
from models.payroll import PayKind, PayLine, Totals, totals, totals_by_contact
from models.text import date_text, decimal_text, hours_text

CSV_COLUMNS = ("employee_no", "case_no", "period", "pay_code", "quantity", "rate", "amount")
VISMA_COLUMNS = (
    "Lønnsår",
    "Lønnskjørenr",
    "Ansattnr",
    "Lønnsart",
    "Grunnlag",
    "Antall",
    "Sats",
    "Beløp",
    "Konto",
    "Motkonto",
    "Dim1",
    "Dim2",
    "Dim3",
    "Dim4",
    "Dim5",
    "Dim6",
)
KIND_TEXT = {
    PayKind.employee_hours: "Timer, ansatt (feriepengegrunnlag)",
    PayKind.contractor_fee: "Honorar, oppdragstaker",
    PayKind.hours: "Timer",
    PayKind.km_tax_free: "Kjøring, skattefri del (km)",
    PayKind.km_taxable: "Kjøring, skattepliktig del (km)",
    PayKind.km: "Kjøring (km)",
    PayKind.passenger: "Passasjertillegg (km)",
    PayKind.expenses: "Utlegg",
}


def _number(value: Decimal) -> str:
    """Two decimals and a decimal point, the way every payroll file here wants it."""
    return f"{value.quantize(Decimal('0.01')):f}"


# --- csv ---------------------------------------------------------------------------


def csv_bytes(lines: Sequence[PayLine]) -> bytes:
    """UTF-8 with a header row; one row per contact × case × pay code × period (× rate)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(
            (
                line.employee_no,
                line.case_no,
                line.period,
                line.pay_code,
                _number(line.quantity),
                _number(line.rate),
                _number(line.amount),
            )
        )
    return buffer.getvalue().encode("utf-8")


StoredCsvRow = tuple[str, str, str, str, int, int, int]


def hundredths_text(value: int) -> str:
    """An amount stored as whole hundredths, as `_number` writes its Decimal."""
    whole, part = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{whole}.{part:02d}"


def csv_bytes_stored(rows: Iterable[StoredCsvRow]) -> bytes:
    """`csv_bytes` of lines read as stored: employee number, case, period, pay
    code, then quantity, rate and amount as integer hundredths.

    The same bytes as `csv_bytes` of the same lines, without a Decimal per
    value: a batch of a million entries has some hundred thousand lines.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    text = hundredths_text
    writer.writerows(
        (employee_no, case_no, period, code, text(quantity), text(rate), text(amount))
        for employee_no, case_no, period, code, quantity, rate, amount in rows
    )
    return buffer.getvalue().encode("utf-8")


# --- visma -------------------------------------------------------------------------


def _quoted(value: str) -> str:
    # Visma's standard format wants alphanumeric fields in double quotes; the
    # settings and schemas already refuse quotes and semicolons in them.
    return f'"{value}"'


def visma_bytes(lines: Sequence[PayLine], *, year: int = 0, run: int = 0) -> bytes:
    """Visma Lønn "Lønnsregistrering Standard format".

    Sixteen semicolon-separated fields in the order of `VISMA_COLUMNS`, no
    header row (the import reads every line as data), decimal point, the cost
    dimensions quoted, CRLF line ends. Year and run number 0 let Visma put the
    lines on the open payroll run. Visma Lønn reads ANSI; every field is ASCII
    by validation, so the file is the same in either encoding.
    """
    rows = []
    for line in lines:
        fields = [
            str(year),
            str(run),
            line.employee_no,
            line.pay_code,
            "0.00",
            _number(line.quantity),
            _number(line.rate),
            _number(line.amount),
            line.account,
            line.contra_account,
            *(_quoted(value) for value in line.dimensions),
        ]
        assert len(fields) == len(VISMA_COLUMNS)
        rows.append(";".join(fields))
    return "".join(f"{row}\r\n" for row in rows).encode("cp1252")


# --- deterministic zip (xlsx) ------------------------------------------------------


_CORE_DATES = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(created|modified)>)"
)


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC)
    # Zip dates start in 1980 and have two-second resolution.
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second // 2 * 2)


def _pinned_zip(raw: bytes, moment: datetime) -> bytes:
    """Re-pack a zip with every member dated `moment`, in the original order.

    openpyxl stamps the save time into docProps/core.xml and each member's zip
    header; both are replaced so that re-download gives the same bytes.
    """
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            info = zipfile.ZipInfo(member.filename, date_time=_zip_time(moment))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    return out.getvalue()


def xlsx_bytes(lines: Sequence[PayLine], *, batch_id: str, created_at: datetime) -> bytes:
    """Two sheets: "Lønnslinjer" (one row per pay line) and "Summer per kontakt"."""
    from openpyxl import Workbook  # loaded on demand: most requests never need it

    book = Workbook()
    sheet = book.active
    sheet.title = "Lønnslinjer"
    sheet.append(
        ["Ansattnr", "Saksnr", "Periode", "Lønnsart", "Type", "Antall", "Sats", "Beløp"]
        + [f"Dim{n}" for n in range(1, 7)]
    )
    for line in lines:
        sheet.append(
            [
                line.employee_no,
                line.case_no,
                line.period,
                line.pay_code,
                KIND_TEXT[line.kind],
                line.quantity,
                line.rate,
                line.amount,
                *line.dimensions,
            ]
        )
    for column in ("F", "G", "H"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.00"

    summary = book.create_sheet("Summer per kontakt")
    summary.append(["Ansattnr", "Timer", "Km", "Utlegg", "Beløp"])
    for employee_no, sums in totals_by_contact(lines).items():
        summary.append([employee_no, sums.hours, sums.km, sums.expenses, sums.amount])
    grand = totals(lines)
    summary.append(["Sum", grand.hours, grand.km, grand.expenses, grand.amount])
    for column in ("B", "C", "D", "E"):
        for cell in summary[column][1:]:
            cell.number_format = "0.00"

    naive = created_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    book.properties.creator = "Timeliste"
    book.properties.title = f"Lønnsbunt {batch_id}"
    book.properties.created = naive
    book.properties.modified = naive
    raw = io.BytesIO()
    book.save(raw)
    return _pinned_zip(raw.getvalue(), created_at)


# --- pdf ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One session as printed on the archive copy: no activities, no note."""

    day: date
    start: str
    end: str
    minutes: int
    km: Decimal
    expenses: Decimal
    # False for a session on the sheet that another batch pays: a group session
    # waiting for the other sheets of its group, or one paid in an earlier batch.
    in_batch: bool = True


@dataclass(frozen=True, slots=True)
class ArchiveSignature:
    """Who signed (by role, not by name), when, and the strokes drawn."""

    signer_role: str
    signed_at: datetime
    content_hash: str
    strokes: Sequence[Sequence[tuple[float, float]]]


@dataclass(frozen=True, slots=True)
class ArchiveSheet:
    """One approved timesheet: contact × decision × pay period."""

    employee_no: str
    case_no: str
    period: str
    entries: Sequence[ArchiveEntry]
    signature: ArchiveSignature | None
    approved_at: datetime | None = None
    # Whether, never why: the coordinator's free-text reason may name someone.
    overridden: bool = False
    group_id: str | None = None

    @property
    def minutes(self) -> int:
        return sum(entry.minutes for entry in self.entries)

    @property
    def km(self) -> Decimal:
        return sum((entry.km for entry in self.entries), Decimal(0))

    @property
    def expenses(self) -> Decimal:
        return sum((entry.expenses for entry in self.entries), Decimal(0))

    @property
    def paid(self) -> Sequence[ArchiveEntry]:
        return [entry for entry in self.entries if entry.in_batch]


SIGNER_ROLE_TEXT = {"recipient": "tjenestemottaker", "guardian": "foresatt/verge", "other": "annen"}


def _kr(value: Decimal) -> str:
    return f"{decimal_text(value)} kr"


def _draw_signature(pdf: Any, signature: ArchiveSignature, x: float, y: float) -> None:
    """Scale the strokes into a 90 × 30 mm box, keeping their proportions."""
    points = [point for stroke in signature.strokes for point in stroke]
    if not points:
        return
    width, height = 90.0, 30.0
    low_x = min(p[0] for p in points)
    low_y = min(p[1] for p in points)
    span_x = max(max(p[0] for p in points) - low_x, 1.0)
    span_y = max(max(p[1] for p in points) - low_y, 1.0)
    scale = min(width / span_x, height / span_y)
    pdf.rect(x, y, width, height)
    for stroke in signature.strokes:
        scaled = [(x + (px - low_x) * scale, y + (py - low_y) * scale) for px, py in stroke]
        if len(scaled) == 1:
            scaled.append((scaled[0][0] + 0.3, scaled[0][1]))
        for (x1, y1), (x2, y2) in itertools.pairwise(scaled):
            pdf.line(x1, y1, x2, y2)


def pdf_bytes(
    sheets: Sequence[ArchiveSheet],
    lines: Sequence[PayLine],
    *,
    batch_id: str,
    created_at: datetime,
) -> bytes:
    """One printable page per contact × decision, then the batch's totals.

    The signature is drawn from its strokes; the signer is named by role only
    (the archive copy goes where recipients' names should not).
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created_at.astimezone(UTC))
    pdf.set_title(f"Timelister, lønnsbunt {batch_id}")
    pdf.set_creator("Timeliste")
    pdf.set_producer("Timeliste")
    pdf.set_auto_page_break(auto=True, margin=15)

    ordered = sorted(sheets, key=lambda s: (s.employee_no, s.case_no, s.period))
    for sheet in ordered:
        pdf.add_page()
        pdf.set_font("helvetica", "B", 15)
        pdf.cell(0, 9, f"Timeliste {sheet.period}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 10)
        pdf.cell(0, 6, f"Ansattnr: {sheet.employee_no}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"Saksnr: {sheet.case_no}", new_x="LMARGIN", new_y="NEXT")
        if sheet.group_id:
            pdf.cell(0, 6, f"Gruppe: {sheet.group_id}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"Lønnsbunt: {batch_id}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

        _entry_table(pdf, sheet)

        pdf.set_font("helvetica", "", 10)
        if sheet.signature is None:
            pdf.multi_cell(0, 6, "Ikke signert.", new_x="LMARGIN", new_y="NEXT")
        else:
            signed = sheet.signature
            role = SIGNER_ROLE_TEXT.get(signed.signer_role, signed.signer_role)
            pdf.cell(
                0,
                6,
                # Oslo time, as the app shows it to everyone who reads it.
                f"Signert av {role} {signed.signed_at.astimezone(OSLO):%d.%m.%Y kl. %H:%M}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            _draw_signature(pdf, signed, pdf.l_margin, pdf.get_y() + 2)
            pdf.set_y(pdf.get_y() + 36)
            pdf.set_font("helvetica", "", 7)
            pdf.cell(
                0,
                5,
                f"Innholdskontroll (SHA-256): {signed.content_hash}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font("helvetica", "", 10)
        if sheet.approved_at is not None:
            pdf.cell(
                0,
                6,
                f"Godkjent {sheet.approved_at.astimezone(OSLO):%d.%m.%Y kl. %H:%M}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        if sheet.overridden:
            pdf.cell(0, 6, "Godkjent med overstyring.", new_x="LMARGIN", new_y="NEXT")

    _summary_page(pdf, lines, batch_id=batch_id)
    return bytes(pdf.output())


NOT_IN_BATCH = "ikke med i denne bunten"
_WIDTHS = (24, 14, 14, 24, 18, 28, 68)


def _sum_row(pdf: Any, label: str, entries: Sequence[ArchiveEntry]) -> None:
    minutes = sum(entry.minutes for entry in entries)
    km = sum((entry.km for entry in entries), Decimal(0))
    expenses = sum((entry.expenses for entry in entries), Decimal(0))
    pdf.cell(sum(_WIDTHS[:3]), 7, label, border=1)
    pdf.cell(_WIDTHS[3], 7, hours_text(minutes), border=1)
    pdf.cell(_WIDTHS[4], 7, decimal_text(km, 1), border=1)
    pdf.cell(_WIDTHS[5], 7, _kr(expenses), border=1)
    pdf.cell(_WIDTHS[6], 7, "", border=1)
    pdf.ln()


def _entry_table(pdf: Any, sheet: ArchiveSheet) -> None:
    """The whole signed sheet, since the signature covers all of it.

    A sheet can list sessions another batch pays, so the sessions of this batch
    are summed beside the sheet's sum: that is what the pay lines add up to.
    """
    heads = ("Dato", "Fra", "Til", "Timer", "Km", "Utlegg", "Merknad")
    pdf.set_font("helvetica", "B", 10)
    for width, head in zip(_WIDTHS, heads, strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 10)
    for entry in sorted(sheet.entries, key=lambda e: (e.day, e.start)):
        values = (
            date_text(entry.day),
            entry.start,
            entry.end,
            hours_text(entry.minutes),
            decimal_text(entry.km, 1),
            _kr(entry.expenses),
            "" if entry.in_batch else NOT_IN_BATCH,
        )
        for width, value in zip(_WIDTHS, values, strict=True):
            pdf.cell(width, 6, value, border=1)
        pdf.ln()
    pdf.set_font("helvetica", "B", 10)
    _sum_row(pdf, "Sum timeliste", sheet.entries)
    _sum_row(pdf, "Med i denne bunten", sheet.paid)
    if len(sheet.paid) != len(sheet.entries):
        pdf.set_font("helvetica", "", 8)
        pdf.multi_cell(
            0,
            5,
            "Økter med merknaden over står på den signerte timelisten, men betales i en "
            "annen lønnsbunt (en gruppeøkt betales når alle timelistene i gruppen er "
            "godkjent).",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)


def _summary_page(pdf: Any, lines: Sequence[PayLine], *, batch_id: str) -> None:
    pdf.add_page()
    pdf.set_font("helvetica", "B", 15)
    pdf.cell(0, 9, f"Lønnsbunt {batch_id}: summer", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    for employee_no, sums in totals_by_contact(lines).items():
        pdf.cell(0, 6, _totals_text(f"Ansattnr {employee_no}", sums), new_x="LMARGIN", new_y="NEXT")
    _code_table(pdf, lines)
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, 8, _totals_text("Sum bunt", totals(lines)), new_x="LMARGIN", new_y="NEXT")


def _code_table(pdf: Any, lines: Sequence[PayLine]) -> None:
    """Sums per pay code: what the payroll system books as holiday-pay basis,
    fee, tax-free and taxable km, passenger add-on and expenses."""
    sums: dict[tuple[int, str, PayKind], tuple[Decimal, Decimal]] = {}
    order = list(PayKind)
    for line in lines:
        key = (order.index(line.kind), line.pay_code, line.kind)
        quantity, amount = sums.get(key, (Decimal(0), Decimal(0)))
        sums[key] = (quantity + line.quantity, amount + line.amount)
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 10)
    widths = (22, 80, 30, 40)
    for width, head in zip(widths, ("Lønnsart", "Type", "Antall", "Beløp"), strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 10)
    for (_index, code, kind), (quantity, amount) in sorted(sums.items()):
        values = (code, KIND_TEXT[kind], decimal_text(quantity), _kr(amount))
        for width, value in zip(widths, values, strict=True):
            pdf.cell(width, 6, value, border=1)
        pdf.ln()
    pdf.ln(3)


def _totals_text(label: str, sums: Totals) -> str:
    return (
        f"{label}: {decimal_text(sums.hours)} timer, {decimal_text(sums.km, 1)} km, "
        f"utlegg {_kr(sums.expenses)}, totalt {_kr(sums.amount)}"
    )
