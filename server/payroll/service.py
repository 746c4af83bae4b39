"""Payroll batches and pay settings (docs/rules.md §8).

A batch takes every entry that is approved and not yet paid. A group entry is
listed on one timesheet per decision; it is payable only when every one of
those sheets is approved, and then it is paid once, to its contact, under its
group id. `payroll_batch_entries.entry_id` is a primary key, so an entry can
never be in two batches even if two batches are made at the same moment: the
slower one fails on the constraint and is refused.

Batches are immutable: their pay lines are frozen at creation, so exports do
not depend on today's settings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    cast,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.payroll import (
    NoKmRateError,
    PayItem,
    PayKind,
    PayLine,
    PaySettings,
    hourly_rate_for,
    pay_lines,
    totals,
)
from models.schemas import ContractType
from server.db import utcnow
from server.errors import ConflictError, NotFoundError
from server.payroll import exports
from server.payroll.tables import (
    PayrollBatchEntry,
    PayrollBatchRow,
    PayrollLineRow,
    PaySettingsRow,
)
from server.services.common import Actor, audit, new_id, next_seq
from server.tables import (
    ContactRow,
    DecisionRow,
    EntryRow,
    RecipientRow,
    SignatureRow,
    TimesheetEntry,
    TimesheetRow,
)

APPROVED = "approved"
EXPORTED = "exported"
PAID_STATUSES = (APPROVED, EXPORTED)
SETTINGS_ROW_ID = 1
BATCH_LOCK = 7202  # pg_advisory_xact_lock key for making batches (7201: migrations)
INSERT_CHUNK = 5_000
FETCH_SLICE = 20_000


class ExportFormat(StrEnum):
    csv = "csv"
    visma = "visma"
    xlsx = "xlsx"
    pdf = "pdf"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.visma: "text/plain; charset=windows-1252",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.pdf: "application/pdf",
}
EXTENSIONS = {
    ExportFormat.csv: "csv",
    ExportFormat.visma: "visma.txt",
    ExportFormat.xlsx: "xlsx",
    ExportFormat.pdf: "pdf",
}


class NothingToPayError(ConflictError):
    """No approved entry is left unpaid (for the period asked)."""

    title = "Ingenting å utbetale"


# --- settings ------------------------------------------------------------------------


def pay_settings(db: Session) -> PaySettings:
    """The municipality's pay settings, or the defaults when none are saved."""
    row = db.get(PaySettingsRow, SETTINGS_ROW_ID)
    if row is None:
        return PaySettings()
    return PaySettings.model_validate(row.data)


def save_pay_settings(db: Session, *, actor: Actor, settings: PaySettings) -> PaySettings:
    """Replace the pay settings. Batches already made keep the lines they were made with."""
    data = settings.model_dump(mode="json")
    row = db.get(PaySettingsRow, SETTINGS_ROW_ID)
    if row is None:
        db.add(PaySettingsRow(id=SETTINGS_ROW_ID, data=data, updated_by=actor.user_id))
    else:
        row.data = data
        row.updated_at = utcnow()
        row.updated_by = actor.user_id
    audit(db, actor, "update", "pay_settings", str(SETTINGS_ROW_ID))
    db.commit()
    return settings


# --- making a batch --------------------------------------------------------------------


def _raw(column: Any) -> tuple[Any, int]:
    """An ExactDecimal column read as its stored integer, and its number of places.

    Reading a million entries, the per-row Decimal conversion is the largest
    cost; the integers are turned into Decimals only where they are not zero.
    """
    places: int = column.type.places
    return type_coerce(column, BigInteger), places


def _payable(db: Session, period: str | None, settings: PaySettings) -> Payable:
    """Unpaid live entries whose every timesheet is approved, as pay items.

    The case of an entry is its decision's case number, or for a group entry
    the group id (the same on every decision of the group), so any one of its
    sheets names it.
    """
    contacts = {
        cid: (employee_no, hourly_rate_for(rate, settings), ContractType(contract))
        for cid, employee_no, rate, contract in db.execute(
            select(
                ContactRow.id,
                ContactRow.employee_no,
                ContactRow.hourly_rate,
                ContactRow.contract_type,
            )
        )
    }
    cases = {
        did: (group_id if kind == "group" and group_id else case_no)
        for did, kind, group_id, case_no in db.execute(
            select(
                DecisionRow.id, DecisionRow.kind, DecisionRow.group_id, RecipientRow.case_no
            ).join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
        )
    }
    approved_sheets = select(TimesheetEntry.entry_id).join(
        TimesheetRow, TimesheetRow.id == TimesheetEntry.timesheet_id
    )
    approved_sheets = approved_sheets.where(TimesheetRow.status == APPROVED)
    if period is not None:
        approved_sheets = approved_sheets.where(TimesheetRow.period == period)
    km, km_places = _raw(EntryRow.total_km)
    spent, spent_places = _raw(EntryRow.total_expenses)
    query = (
        select(
            EntryRow.id,
            EntryRow.contact_id,
            cast(EntryRow.decision_ids, String),
            EntryRow.date,
            EntryRow.minutes,
            km,
            spent,
            TimesheetRow.status,
            TimesheetRow.period,
            TimesheetRow.decision_id,
            TimesheetRow.id,
        )
        .join(TimesheetEntry, TimesheetEntry.entry_id == EntryRow.id)
        .join(TimesheetRow, TimesheetRow.id == TimesheetEntry.timesheet_id)
        .outerjoin(PayrollBatchEntry, PayrollBatchEntry.entry_id == EntryRow.id)
        .where(
            PayrollBatchEntry.entry_id.is_(None),
            EntryRow.deleted.is_(False),
            EntryRow.id.in_(approved_sheets),
        )
        .order_by(EntryRow.id)
    )
    zero_km = Decimal(0).scaleb(-km_places)
    zero_spent = Decimal(0).scaleb(-spent_places)
    sheets: dict[str, int] = defaultdict(int)
    needed: dict[str, int] = {}
    blocked: set[str] = set()
    found: dict[str, PayItem] = {}
    approved_links: list[tuple[str, str]] = []  # (entry, sheet) of approved sheets
    # Core, not ORM, rows, fetched in large slices: a batch may read a million.
    result = db.connection().execute(query.execution_options(yield_per=FETCH_SLICE))
    for row in (row for part in result.partitions() for row in part):
        entry_id = row[0]
        if row[7] == APPROVED:
            approved_links.append((entry_id, row[10]))
        sheets[entry_id] += 1
        if row[7] not in PAID_STATUSES:
            blocked.add(entry_id)
        if entry_id in found:
            continue
        names = row[2]
        needed[entry_id] = 1 if "," not in names else len(json.loads(names))
        employee_no, rate, contract = contacts[row[1]]
        found[entry_id] = PayItem(
            entry_id=entry_id,
            employee_no=employee_no,
            case_no=cases[row[9]],
            period=row[8],
            day=row[3],
            minutes=row[4],
            km=Decimal(row[5]).scaleb(-km_places) if row[5] else zero_km,
            expenses=Decimal(row[6]).scaleb(-spent_places) if row[6] else zero_spent,
            hourly_rate=rate,
            contract_type=contract,
        )
    # A group entry waits until the sheet of every decision it names is approved.
    paid = {
        entry_id
        for entry_id in found
        if entry_id not in blocked and sheets[entry_id] >= needed[entry_id]
    }
    # Every unpaid live entry of an approved sheet is among the rows, so a sheet
    # whose rows are all paid now has nothing left to pay: it becomes exported.
    touched: set[str] = set()
    waiting: set[str] = set()
    for entry_id, sheet_id in approved_links:
        (touched if entry_id in paid else waiting).add(sheet_id)
    items = [item for entry_id, item in found.items() if entry_id in paid]
    if any(rate.rate for rate in settings.passenger_rates):
        items = _with_passengers(db, items)
    return Payable(items=items, sheets_done=sorted(touched - waiting))


def _with_passengers(db: Session, items: list[PayItem]) -> list[PayItem]:
    """Add each driving entry's passenger km (Σ km × passengers of its trips).

    Read only when a passenger add-on is set: the trips are JSON, and most
    municipalities leave the add-on off.
    """
    driving = [item.entry_id for item in items if item.km]
    riders: dict[str, Decimal] = {}
    for start in range(0, len(driving), INSERT_CHUNK):
        chunk = driving[start : start + INSERT_CHUNK]
        for entry_id, trips in db.execute(
            select(EntryRow.id, EntryRow.trips).where(EntryRow.id.in_(chunk))
        ):
            carried = sum(
                (Decimal(str(t["km"])) * int(t.get("passengers") or 0) for t in trips),
                Decimal(0),
            )
            if carried:
                riders[entry_id] = carried
    return [
        replace(item, passenger_km=riders[item.entry_id]) if item.entry_id in riders else item
        for item in items
    ]


@dataclass(frozen=True, slots=True)
class Payable:
    """What a new batch pays, and the approved sheets it pays in full."""

    items: list[PayItem]
    sheets_done: list[str]


def _expenses_already_paid(db: Session, periods: set[str]) -> dict[tuple[str, str], Decimal]:
    if not periods:
        return {}
    paid: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    query = select(PayrollLineRow.employee_no, PayrollLineRow.period, PayrollLineRow.amount).where(
        PayrollLineRow.kind == PayKind.expenses.value, PayrollLineRow.period.in_(sorted(periods))
    )
    for employee_no, period, amount in db.execute(query):
        paid[(employee_no, period)] += amount
    return dict(paid)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), INSERT_CHUNK):
        yield rows[start : start + INSERT_CHUNK]


def make_batch(
    db: Session, *, actor: Actor | None, period: str | None = None, now: datetime | None = None
) -> PayrollBatchRow:
    """Pay every approved, unpaid entry (of `period`, when given) in a new batch.

    Raises NothingToPayError when there is nothing, and ConflictError when
    another batch took some of the same entries first. `actor` is None for
    the command line.
    """
    if db.get_bind().dialect.name == "postgresql":
        # One batch at a time: a second payroll clerk waits, then pays what is
        # left, instead of failing on the entries the first one took. (SQLite's
        # BEGIN IMMEDIATE already serializes; the entry key backs both.)
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BATCH_LOCK})
    settings = pay_settings(db)
    payable = _payable(db, period, settings)
    items = payable.items
    if not items:
        where = f" i perioden {period}" if period else ""
        raise NothingToPayError(f"Det finnes ingen godkjente timer som ikke er utbetalt{where}.")
    try:
        lines = pay_lines(
            items,
            settings,
            expenses_already_paid=_expenses_already_paid(db, {item.period for item in items}),
        )
    except NoKmRateError as error:
        raise ConflictError(f"{error} Legg inn satsen i lønnsinnstillingene.") from None
    sums = totals(lines)
    number = int(
        db.execute(select(func.coalesce(func.max(PayrollBatchRow.number), 0))).scalar_one()
    )
    batch = PayrollBatchRow(
        id=new_id(),
        number=number + 1,
        created_at=(now or utcnow()).replace(microsecond=0),
        created_by=actor.user_id if actor else None,
        period=period,
        entry_count=len(items),
        total_amount=sums.amount,
        totals=sums.as_json(),
    )
    db.add(batch)
    try:
        db.flush()
        # Core executemany on the session's connection: the ORM's bulk path
        # costs several times more per row, and a batch can hold a million.
        connection = db.connection()
        _record_paid(connection, batch.id, [item.entry_id for item in items])
        line_rows = [_line_row(batch.id, number, line) for number, line in enumerate(lines, 1)]
        for chunk in _chunks(line_rows):
            connection.execute(insert(typing_cast(Table, PayrollLineRow.__table__)), chunk)
        exported = _mark_exported(db, payable.sheets_done)
    except IntegrityError:
        db.rollback()
        raise ConflictError(
            "En annen lønnsbunt ble laget samtidig med noen av de samme timene. Prøv igjen."
        ) from None
    audit(
        db,
        actor,
        "create",
        "payroll_batch",
        batch.id,
        entry_count=batch.entry_count,
        line_count=len(lines),
        period=period,
        timesheets_exported=exported,
        via="api" if actor else "cli",
    )
    db.commit()
    return batch


def _record_paid(connection: Connection, batch_id: str, entry_ids: Sequence[str]) -> None:
    """Insert the batch's entry keys: COPY on PostgreSQL, executemany on SQLite.

    A violation of the key (an entry already paid) fails the statement on
    either engine, so the guard against double payment is the same.
    """
    if connection.dialect.name == "postgresql":
        import psycopg

        raw: Any = connection.connection.driver_connection
        statement = "COPY payroll_batch_entries (entry_id, batch_id) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for entry_id in entry_ids:
                    copy.write_row((entry_id, batch_id))
        except psycopg.IntegrityError as error:
            raise IntegrityError(statement, None, error) from None
        return
    table = typing_cast(Table, PayrollBatchEntry.__table__)
    for chunk in _chunks([{"entry_id": e, "batch_id": batch_id} for e in entry_ids]):
        connection.execute(insert(table), chunk)


def _line_row(batch_id: str, line_no: int, line: PayLine) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "line_no": line_no,
        "employee_no": line.employee_no,
        "case_no": line.case_no,
        "period": line.period,
        "kind": line.kind.value,
        "pay_code": line.pay_code,
        "quantity": line.quantity,
        "rate": line.rate,
        "amount": line.amount,
        "account": line.account,
        "contra_account": line.contra_account,
        "dimensions": list(line.dimensions),
    }


def _mark_exported(db: Session, sheet_ids: Sequence[str]) -> int:
    """Approved sheets whose every entry is now paid become `exported` (devices pull it)."""
    if not sheet_ids:
        return 0
    seq = next_seq(db)
    stamp = utcnow()
    for start in range(0, len(sheet_ids), INSERT_CHUNK):
        db.execute(
            update(TimesheetRow)
            .where(
                TimesheetRow.id.in_(sheet_ids[start : start + INSERT_CHUNK]),
                TimesheetRow.status == APPROVED,
            )
            .values(status=EXPORTED, seq=seq, updated_at=stamp)
        )
    return len(sheet_ids)


# --- reading batches ------------------------------------------------------------------


def list_batches(db: Session) -> list[PayrollBatchRow]:
    """Every batch, newest first."""
    return list(db.scalars(select(PayrollBatchRow).order_by(PayrollBatchRow.number.desc())))


def get_batch(db: Session, *, batch_id: str) -> PayrollBatchRow:
    batch = db.get(PayrollBatchRow, batch_id)
    if batch is None:
        raise NotFoundError("Lønnsbunten finnes ikke.")
    return batch


def batch_lines(db: Session, *, batch_id: str) -> list[PayLine]:
    """The frozen pay lines of a batch, in file order."""
    table = PayrollLineRow
    rows = db.connection().execute(
        select(
            table.employee_no,
            table.case_no,
            table.period,
            table.kind,
            table.pay_code,
            table.quantity,
            table.rate,
            table.amount,
            table.account,
            table.contra_account,
            table.dimensions,
        )
        .where(table.batch_id == batch_id)
        .order_by(table.line_no)
    )
    kinds = {kind.value: kind for kind in PayKind}
    return [
        PayLine(
            employee_no=row[0],
            case_no=row[1],
            period=row[2],
            kind=kinds[row[3]],
            pay_code=row[4],
            quantity=row[5],
            rate=row[6],
            amount=row[7],
            account=row[8],
            contra_account=row[9],
            dimensions=tuple(row[10]),
        )
        for row in rows
    ]


def _archive_sheets(db: Session, batch_id: str) -> list[exports.ArchiveSheet]:
    """Every timesheet listing an entry of the batch, whole, with its signature.

    Sheets are read-only from approval on, so this reads the same every time.
    """
    sheet_ids = (
        select(TimesheetEntry.timesheet_id)
        .join(PayrollBatchEntry, PayrollBatchEntry.entry_id == TimesheetEntry.entry_id)
        .where(PayrollBatchEntry.batch_id == batch_id)
    )
    sheets = list(
        db.scalars(
            select(TimesheetRow).where(TimesheetRow.id.in_(sheet_ids)).order_by(TimesheetRow.id)
        )
    )
    if not sheets:
        return []
    employee = dict(db.execute(select(ContactRow.id, ContactRow.employee_no)).all())
    decisions = {
        did: (case_no, group_id)
        for did, case_no, group_id in db.execute(
            select(DecisionRow.id, RecipientRow.case_no, DecisionRow.group_id).join(
                RecipientRow, RecipientRow.id == DecisionRow.recipient_id
            )
        )
    }
    entries_by_sheet: dict[str, list[exports.ArchiveEntry]] = defaultdict(list)
    query = (
        select(TimesheetEntry.timesheet_id, EntryRow, PayrollBatchEntry.entry_id)
        .join(EntryRow, EntryRow.id == TimesheetEntry.entry_id)
        .outerjoin(
            PayrollBatchEntry,
            (PayrollBatchEntry.entry_id == EntryRow.id) & (PayrollBatchEntry.batch_id == batch_id),
        )
        .where(TimesheetEntry.timesheet_id.in_([s.id for s in sheets]), EntryRow.deleted.is_(False))
    )
    for sheet_id, entry, paid_here in db.execute(query):
        entries_by_sheet[sheet_id].append(
            exports.ArchiveEntry(
                day=entry.date,
                start=entry.start,
                end=entry.end,
                minutes=entry.minutes,
                km=entry.total_km,
                expenses=entry.total_expenses,
                in_batch=paid_here is not None,
            )
        )
    result = []
    for sheet in sheets:
        signature = db.get(SignatureRow, sheet.signature_id) if sheet.signature_id else None
        case_no, group_id = decisions[sheet.decision_id]
        result.append(
            exports.ArchiveSheet(
                employee_no=employee[sheet.contact_id],
                case_no=case_no,
                period=sheet.period,
                entries=entries_by_sheet[sheet.id],
                signature=None
                if signature is None or signature.void
                else exports.ArchiveSignature(
                    signer_role=signature.signer_role,
                    signed_at=signature.signed_at,
                    content_hash=signature.content_hash,
                    strokes=[
                        [(float(point["x"]), float(point["y"])) for point in stroke]
                        for stroke in signature.strokes
                    ],
                ),
                approved_at=sheet.approved_at,
                overridden=bool(sheet.override_reason),
                group_id=group_id,
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def export_batch(
    db: Session, *, actor: Actor | None, batch_id: str, fmt: ExportFormat
) -> ExportFile:
    """A batch as a file: same batch and format, same bytes."""
    batch = get_batch(db, batch_id=batch_id)
    lines = batch_lines(db, batch_id=batch.id)
    if fmt is ExportFormat.csv:
        content = exports.csv_bytes(lines)
    elif fmt is ExportFormat.visma:
        content = exports.visma_bytes(lines)
    elif fmt is ExportFormat.xlsx:
        content = exports.xlsx_bytes(lines, batch_id=str(batch.number), created_at=batch.created_at)
    else:
        content = exports.pdf_bytes(
            _archive_sheets(db, batch.id),
            lines,
            batch_id=str(batch.number),
            created_at=batch.created_at,
        )
    audit(db, actor, "export", "payroll_batch", batch.id, format=fmt.value)
    db.commit()
    return ExportFile(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        filename=f"lonnsbunt-{batch.number}.{EXTENSIONS[fmt]}",
    )
