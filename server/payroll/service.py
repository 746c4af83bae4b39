"""Payroll batches and pay settings (docs/rules.md §8).

A batch takes every entry that is approved and not yet paid. A group entry is
listed on one timesheet per decision; it is payable only when every one of
those sheets is approved, and then it is paid once, to its contact, under its
group id. A batch records what it pays by keys the database checks: a sheet
whose entries are all its own (one decision, this sheet alone) is paid whole,
one `payroll_batch_sheets` row keyed by the sheet; other entries get a
`payroll_batch_entries` row keyed by the entry. Both are primary keys, and
triggers (migration 0011) keep the two kinds from paying one entry twice and
freeze what a sheet key paid, so an entry can never be in two batches even if
two batches are made at the same moment: the slower one fails and is refused.

Batches are immutable: their pay lines are frozen at creation, so exports do
not depend on today's settings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    any_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

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
    PayrollBatchSheet,
    PayrollLineRow,
    PayrollSplitSheet,
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

# What a new batch is about to pay, one row per candidate entry, in a scratch
# table private to the transaction (PostgreSQL drops it at commit or rollback;
# on SQLite it is dropped before commit). One INSERT … SELECT fills it from a
# single snapshot, so the pay lines, the entry keys and the exported sheets
# all come from the same set of entries, and a million entries never pass
# through Python one by one: the lines are summed per contact × decision ×
# period × rate interval in SQL, over the stored integers (øre, tenths of km),
# which is exact.
_PAYABLE = Table(
    "payroll_payable",
    MetaData(),
    Column("entry_id", String(36)),
    Column("contact_id", String(36)),
    # The entry's sheet, which names its decision and pay period; of a group
    # entry's sheets (one per decision of the group, every one naming the
    # group, all of one period) the smallest id.
    Column("sheet_id", String(36)),
    Column("day", Date),
    Column("minutes", Integer),
    Column("km", BigInteger),
    Column("expenses", BigInteger),
    Column("links", Integer),  # how many sheets list the entry (0 while being counted)
    Column("payable", Integer),  # 1: paid now; 0: waits for another sheet
    prefixes=["TEMPORARY"],
    postgresql_on_commit="drop",
)
_SCRATCH_SCHEMA = {"postgresql": "pg_temp", "sqlite": "temp"}


def _drop_payable(db: Session) -> None:
    schema = _SCRATCH_SCHEMA[db.get_bind().dialect.name]
    db.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{_PAYABLE.name}")


def _fill_payable(db: Session, period: str | None) -> bool:
    """Every unpaid live entry with an approved sheet (of `period`), and whether
    it is payable now: a group entry waits until the sheet of every decision it
    names is approved (or exported), and any entry while one of its sheets is
    neither. Returns whether every candidate is on one sheet, names one
    decision and is payable (`_all_simple`), which the later steps use
    instead of reading the million rows again to find out.

    Nearly every entry names one decision and is on one sheet: it is payable
    exactly when that sheet is approved, and is written in one pass over the
    links, with no grouping. Only the others, found on the way, are grouped
    per entry over all their sheets.
    """
    _drop_payable(db)
    _PAYABLE.create(db.connection())
    p = _PAYABLE.c
    approved_here: Any = TimesheetRow.status == APPROVED
    if period is not None:
        approved_here = and_(approved_here, TimesheetRow.period == period)
    other = aliased(TimesheetEntry)
    postgres = db.get_bind().dialect.name == "postgresql"
    shared: Any = None
    if postgres:
        # The few entries on more than one sheet, in one pass over the links'
        # entry index, which PostgreSQL merges with the entries in key order:
        # a count per entry would look the index up a million times (half of
        # filling the table's CPU at a million entries).
        shared = (
            select(other.entry_id)
            .group_by(other.entry_id)
            .having(func.count() > 1)
            .subquery("shared")
        )
        on_more_sheets: Any = shared.c.entry_id.is_not(None)
    else:
        # SQLite (within its target) keeps the count per entry it was measured with.
        on_more_sheets = (
            select(func.count()).where(other.entry_id == EntryRow.id).scalar_subquery() > 1
        )
    # A JSON list of ids has a comma only when it has more than one.
    in_a_group = cast(EntryRow.decision_ids, String).contains(",")
    km = type_coerce(EntryRow.total_km, BigInteger)
    spent = type_coerce(EntryRow.total_expenses, BigInteger)
    simple = case((or_(in_a_group, on_more_sheets), 0), else_=1)
    links = (
        select(
            EntryRow.id,
            EntryRow.contact_id,
            TimesheetRow.id,
            EntryRow.date,
            EntryRow.minutes,
            km,
            spent,
            simple,  # links: 1, or 0 for "group below" (those rows are replaced)
            literal(1, Integer),  # payable
        )
        .select_from(TimesheetEntry)
        .join(TimesheetRow, TimesheetRow.id == TimesheetEntry.timesheet_id)
        .join(EntryRow, EntryRow.id == TimesheetEntry.entry_id)
    )
    if shared is not None:
        links = links.outerjoin(shared, shared.c.entry_id == EntryRow.id)
    links = links.where(
        approved_here,
        EntryRow.deleted.is_(False),
        # Paid already: by a key of its own, or with its sheet, paid whole.
        # (A sheet paid whole is exported, so this is only a safeguard; as
        # NOT IN it filters the approved sheets, once each: as NOT EXISTS the
        # planner put it above the join, once per entry.)
        ~exists().where(PayrollBatchEntry.entry_id == EntryRow.id),
        TimesheetRow.id.not_in(select(PayrollBatchSheet.sheet_id)),
    )
    columns = [column.name for column in _PAYABLE.columns]
    db.execute(insert(_PAYABLE).from_select(columns, links))
    if postgres:
        # A fresh table has no statistics: without them the planner guesses a
        # few hundred rows and sorts a million on disk.
        db.connection().exec_driver_sql(f"ANALYZE {_PAYABLE.name}")
    if _all_simple(db):
        return True
    count = func.count()
    paid_sheet = aliased(TimesheetEntry)
    unsettled = func.sum(case((TimesheetRow.status.in_(PAID_STATUSES), 0), else_=1))
    payable = case(
        (and_(unsettled == 0, count >= func.json_array_length(EntryRow.decision_ids)), 1),
        else_=0,
    )
    grouped = (
        select(
            EntryRow.id,
            EntryRow.contact_id,
            func.min(TimesheetRow.id),
            EntryRow.date,
            EntryRow.minutes,
            km,
            spent,
            count,
            payable,
        )
        .join(TimesheetEntry, TimesheetEntry.entry_id == EntryRow.id)
        .join(TimesheetRow, TimesheetRow.id == TimesheetEntry.timesheet_id)
        .where(
            EntryRow.id.in_(select(p.entry_id).where(p.links == 0)),
            # The database keeps an entry on a sheet paid whole off every
            # other sheet; an entry found here all the same is not paid again.
            ~exists()
            .where(paid_sheet.entry_id == EntryRow.id)
            .where(PayrollBatchSheet.sheet_id == paid_sheet.timesheet_id),
        )
        # Grouping by the key alone: PostgreSQL knows the other entry columns
        # follow from it.
        .group_by(EntryRow.id)
    )
    db.execute(insert(_PAYABLE).from_select(columns, grouped))
    db.execute(delete(_PAYABLE).where(p.links == 0))
    return False


def _all_simple(db: Session) -> bool:
    """Whether every candidate is on one sheet, names one decision and is payable."""
    p = _PAYABLE.c
    others = select(p.entry_id).where(or_(p.links != 1, p.payable != 1)).limit(1)
    return db.execute(others).first() is None


def _rate_intervals(settings: PaySettings) -> list[date]:
    """The days any km, tax-free or passenger rate changes: within two of them
    every rate is the same, so entries are summed per interval, not per day."""
    return sorted(
        {
            rate.valid_from
            for rate in (
                *settings.km_rates,
                *settings.km_tax_free_rates,
                *settings.passenger_rates,
            )
        }
    )


def _payable_items(db: Session, settings: PaySettings) -> tuple[list[PayItem], int, set[str]]:
    """The payable entries as pay items, one per contact × decision × period ×
    rate interval with its minutes, km and expenses summed; how many entries
    they are; and the sheets they were summed under (an entry's sheet, or the
    smallest of a group entry's).

    `pay_lines` sums items per line anyway, so summing them here first gives
    the same lines; each item's day is its earliest, which has the rates of
    its whole interval.
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
    km_places: int = EntryRow.total_km.type.places
    spent_places: int = EntryRow.total_expenses.type.places
    p = _PAYABLE.c
    starts = _rate_intervals(settings)
    interval = case(
        *((p.day >= start, number) for number, start in reversed(list(enumerate(starts, 1)))),
        else_=0,
    )
    sums = (
        select(
            p.contact_id,
            p.sheet_id,
            interval.label("interval"),
            func.min(p.day).label("day"),
            func.sum(p.minutes).label("minutes"),
            func.sum(p.km).label("km"),
            func.sum(p.expenses).label("expenses"),
            func.count().label("entries"),
        )
        .where(p.payable == 1)
        .group_by(p.contact_id, p.sheet_id, interval)
        .subquery()
    )
    query = (
        select(
            sums.c.contact_id,
            sums.c.sheet_id,
            TimesheetRow.decision_id,
            TimesheetRow.period,
            sums.c.day,
            sums.c.minutes,
            sums.c.km,
            sums.c.expenses,
            sums.c.entries,
        )
        .join(TimesheetRow, TimesheetRow.id == sums.c.sheet_id)
        # In order, so that lines whose file order is otherwise a tie (a km
        # rate change that leaves the tax-free rate alone) come out by date.
        .order_by(sums.c.contact_id, TimesheetRow.decision_id, TimesheetRow.period, sums.c.interval)
    )
    items: list[PayItem] = []
    count = 0
    sheets: set[str] = set()
    for contact_id, sheet_id, decision_id, period, day, minutes, km, spent, entries in db.execute(
        query
    ):
        employee_no, rate, contract = contacts[contact_id]
        count += entries
        sheets.add(sheet_id)
        items.append(
            PayItem(
                entry_id="",
                employee_no=employee_no,
                case_no=cases[decision_id],
                period=period,
                day=day,
                minutes=int(minutes),
                # SUM of a bigint is numeric on PostgreSQL: int() makes both engines alike.
                km=Decimal(int(km)).scaleb(-km_places),
                expenses=Decimal(int(spent)).scaleb(-spent_places),
                hourly_rate=rate,
                contract_type=contract,
            )
        )
    if any(rate.rate for rate in settings.passenger_rates):
        items.extend(_passenger_items(db, contacts, cases))
    return items, count, sheets


def _passenger_items(
    db: Session,
    contacts: dict[str, tuple[str, Decimal, ContractType]],
    cases: dict[str, str],
) -> Iterator[PayItem]:
    """Each driving entry's passenger km (Σ km × passengers of its trips), as an
    item of its own with nothing else on it.

    Read only when a passenger add-on is set: the trips are JSON, and most
    municipalities leave the add-on off.
    """
    p = _PAYABLE.c
    query = (
        select(p.contact_id, TimesheetRow.decision_id, TimesheetRow.period, p.day, EntryRow.trips)
        .join(EntryRow, EntryRow.id == p.entry_id)
        .join(TimesheetRow, TimesheetRow.id == p.sheet_id)
        .where(p.payable == 1, p.km > 0)
    )
    for contact_id, decision_id, period, day, trips in db.execute(query):
        carried = sum(
            (Decimal(str(t["km"])) * int(t.get("passengers") or 0) for t in trips),
            Decimal(0),
        )
        if not carried:
            continue
        employee_no, rate, contract = contacts[contact_id]
        yield PayItem(
            entry_id="",
            employee_no=employee_no,
            case_no=cases[decision_id],
            period=period,
            day=day,
            minutes=0,
            km=Decimal(0),
            expenses=Decimal(0),
            hourly_rate=rate,
            contract_type=contract,
            passenger_km=carried,
        )


def _sheets_done(db: Session, *, simple: bool, summed: set[str]) -> list[str]:
    """Approved sheets the batch pays in full.

    Every unpaid live entry of an approved sheet is in the scratch table, so a
    sheet listing a payable entry and no waiting one has nothing left to pay:
    it becomes exported. `summed`: the sheets the pay items were summed under.
    """
    if simple:
        # Every candidate is on one approved sheet and payable, so none waits
        # and the sheets the items were summed under are every sheet touched:
        # no need to read the million rows again for them.
        return sorted(summed)
    p = _PAYABLE.c
    approved = TimesheetRow.status == APPROVED
    # An entry on one sheet names it; it was payable only if that sheet is approved.
    touched = set(db.scalars(select(p.sheet_id).where(p.payable == 1, p.links == 1).distinct()))
    shared = (
        select(TimesheetEntry.timesheet_id)
        .join(_PAYABLE, p.entry_id == TimesheetEntry.entry_id)
        .join(TimesheetRow, TimesheetRow.id == TimesheetEntry.timesheet_id)
        .distinct()
    )
    touched.update(db.scalars(shared.where(p.payable == 1, p.links > 1, approved)))
    waiting = set(db.scalars(shared.where(p.payable == 0, approved)))
    return sorted(touched - waiting)


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


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), INSERT_CHUNK):
        yield rows[start : start + INSERT_CHUNK]


def _among(db: Session, column: Any, ids: Sequence[str]) -> Iterator[Any]:
    """Conditions `column` is one of `ids`, for as many statements as it takes.

    On PostgreSQL one array parameter for them all: one statement (a
    statement-level trigger runs once) and no 24,000 bound parameters to
    process one by one. SQLite has no arrays: IN lists of INSERT_CHUNK.
    """
    if not ids:
        return
    if db.get_bind().dialect.name == "postgresql":
        yield column == any_(cast(literal(list(ids), ARRAY(String(36))), ARRAY(String(36))))
        return
    for chunk in _chunks(ids):
        yield column.in_(chunk)


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
        # The batch's few statements each read up to a million rows once; the
        # JIT compiler's second or so per statement is not won back.
        db.execute(text("SET LOCAL jit = off"))
    settings = pay_settings(db)
    simple = _fill_payable(db, period)
    items, entry_count, summed = _payable_items(db, settings)
    if not items:
        _drop_payable(db)
        where = f" i perioden {period}" if period else ""
        raise NothingToPayError(f"Det finnes ingen godkjente timer som ikke er utbetalt{where}.")
    try:
        lines = pay_lines(
            items,
            settings,
            expenses_already_paid=_expenses_already_paid(db, {item.period for item in items}),
        )
    except NoKmRateError as error:
        _drop_payable(db)
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
        entry_count=entry_count,
        total_amount=sums.amount,
        totals=sums.as_json(),
    )
    db.add(batch)
    try:
        db.flush()
        connection = db.connection()
        _write_keys(db, batch.id, simple=simple, summed=summed)
        _write_lines(connection, batch.id, lines)
        exported = _mark_exported(db, _sheets_done(db, simple=simple, summed=summed))
    except IntegrityError:
        db.rollback()
        raise ConflictError(
            "En annen lønnsbunt ble laget samtidig med noen av de samme timene. Prøv igjen."
        ) from None
    _drop_payable(db)
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


def _write_keys(db: Session, batch_id: str, *, simple: bool, summed: set[str]) -> None:
    """Record what the batch pays: a key per sheet paid whole, a key per entry for the rest.

    A sheet is paid whole when every candidate on it is simple and payable
    (then those are every live entry it lists: an entry paid before, or on
    another sheet too, would have listed it as split) and the database has not
    listed it as split (an entry of it was once on another sheet too, or had
    an entry key: migration 0011). At a million entries that is some 24,000
    sheet keys, and no entry keys. A key already there (paid meanwhile) fails
    the statement on either engine, like the entry keys' primary key did.
    """
    p = _PAYABLE.c
    candidates = sorted(summed)
    split: set[str] = set()
    for among in _among(db, PayrollSplitSheet.sheet_id, candidates):
        split.update(db.scalars(select(PayrollSplitSheet.sheet_id).where(among)))
    if not simple:
        # Group sessions, entries on several sheets, entries waiting for
        # another sheet: their sheets (of a group entry, the one it was summed
        # under; the others are split) keep entry keys.
        split.update(
            db.scalars(select(p.sheet_id).where(or_(p.links != 1, p.payable != 1)).distinct())
        )
    whole = [sheet for sheet in candidates if sheet not in split]
    batch = literal(batch_id, String(36))
    for among in _among(db, TimesheetRow.id, whole):
        db.execute(
            insert(PayrollBatchSheet).from_select(
                ["sheet_id", "batch_id"], select(TimesheetRow.id, batch).where(among)
            )
        )
    by_entry = sorted(split.intersection(candidates))
    for among in _among(db, p.sheet_id, by_entry):
        db.execute(
            insert(PayrollBatchEntry).from_select(
                ["entry_id", "batch_id"], select(p.entry_id, batch).where(p.payable == 1, among)
            )
        )


def paid_entries(batch_id: str | None = None) -> Any:
    """A query of (entry_id, batch_id) for every paid entry (of `batch_id`):
    those with a key of their own, and the live entries of the sheets paid whole."""
    by_key = select(PayrollBatchEntry.entry_id, PayrollBatchEntry.batch_id)
    by_sheet = (
        select(TimesheetEntry.entry_id, PayrollBatchSheet.batch_id)
        .join(PayrollBatchSheet, PayrollBatchSheet.sheet_id == TimesheetEntry.timesheet_id)
        .join(EntryRow, EntryRow.id == TimesheetEntry.entry_id)
        .where(EntryRow.deleted.is_(False))
    )
    if batch_id is not None:
        by_key = by_key.where(PayrollBatchEntry.batch_id == batch_id)
        by_sheet = by_sheet.where(PayrollBatchSheet.batch_id == batch_id)
    return union_all(by_key, by_sheet)


def batch_entry_ids(db: Session, batch_id: str) -> set[str]:
    """The entries a batch paid, by either kind of key."""
    return {entry_id for entry_id, _batch in db.execute(paid_entries(batch_id))}


def _record_paid(connection: Connection, batch_id: str, entry_ids: Sequence[str]) -> None:
    """Insert entry keys of a batch one by one (tests use it to pay an entry twice)."""
    table = typing_cast(Table, PayrollBatchEntry.__table__)
    for chunk in _chunks([{"entry_id": e, "batch_id": batch_id} for e in entry_ids]):
        connection.execute(insert(table), chunk)


def _stored(value: Decimal) -> int:
    """A 2-place amount as the integer `ExactDecimal(2)` stores (øre, hundredths)."""
    scaled = value.scaleb(2)
    whole = int(scaled)
    if whole != scaled:
        raise ValueError(f"{value} has more than 2 decimal places")
    return whole


def _write_lines(connection: Connection, batch_id: str, lines: Sequence[PayLine]) -> None:
    """The frozen lines, already as stored values: COPY on PostgreSQL, a plain
    executemany on SQLite.

    A batch holds a line per contact × case × period × pay code, which at a
    million entries is some hundred thousand; SQLAlchemy's per-value type
    processing would cost more than the database does.
    """
    dimensions: dict[tuple[str, ...], str] = {}
    rows = []
    for number, line in enumerate(lines, 1):
        dims = dimensions.get(line.dimensions)
        if dims is None:
            dims = dimensions[line.dimensions] = json.dumps(list(line.dimensions))
        rows.append(
            (
                batch_id,
                number,
                line.employee_no,
                line.case_no,
                line.period,
                line.kind.value,
                line.pay_code,
                _stored(line.quantity),
                _stored(line.rate),
                _stored(line.amount),
                line.account,
                line.contra_account,
                dims,
            )
        )
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(_COPY_LINES) as copy:
            for row in rows:
                copy.write_row(row)
        return
    sqlite: Any = connection.connection.driver_connection
    sqlite.executemany(_INSERT_LINES, rows)


_LINE_COLUMNS = (
    "batch_id, line_no, employee_no, case_no, period, kind, pay_code, "
    "quantity, rate, amount, account, contra_account, dimensions"
)
_COPY_LINES = f"COPY payroll_lines ({_LINE_COLUMNS}) FROM STDIN"
_INSERT_LINES = (
    "INSERT INTO payroll_lines (batch_id, line_no, employee_no, case_no, period, kind, "
    "pay_code, quantity, rate, amount, account, contra_account, dimensions) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _mark_exported(db: Session, sheet_ids: Sequence[str]) -> int:
    """Approved sheets whose every entry is now paid become `exported` (devices pull it)."""
    if not sheet_ids:
        return 0
    seq = next_seq(db)
    stamp = utcnow()
    for among in _among(db, TimesheetRow.id, sheet_ids):
        db.execute(
            update(TimesheetRow)
            .where(among, TimesheetRow.status == APPROVED)
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
    whole = set(
        db.scalars(select(PayrollBatchSheet.sheet_id).where(PayrollBatchSheet.batch_id == batch_id))
    )
    sheet_ids = union_all(
        select(TimesheetEntry.timesheet_id)
        .join(PayrollBatchEntry, PayrollBatchEntry.entry_id == TimesheetEntry.entry_id)
        .where(PayrollBatchEntry.batch_id == batch_id),
        select(PayrollBatchSheet.sheet_id).where(PayrollBatchSheet.batch_id == batch_id),
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
                # Paid by its own key, or with its sheet (paid whole: every live entry).
                in_batch=paid_here is not None or sheet_id in whole,
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
    if fmt is ExportFormat.csv:
        content = exports.csv_bytes_stored(_stored_csv_rows(db, batch.id))
    else:
        content = _file_bytes(db, batch, fmt)
    audit(db, actor, "export", "payroll_batch", batch.id, format=fmt.value)
    db.commit()
    return ExportFile(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        filename=f"lonnsbunt-{batch.number}.{EXTENSIONS[fmt]}",
    )


def _stored_csv_rows(db: Session, batch_id: str) -> Iterator[exports.StoredCsvRow]:
    """The csv columns of a batch's lines as stored (amounts in hundredths), in file order."""
    table = PayrollLineRow
    query = (
        select(
            table.employee_no,
            table.case_no,
            table.period,
            table.pay_code,
            type_coerce(table.quantity, BigInteger),
            type_coerce(table.rate, BigInteger),
            type_coerce(table.amount, BigInteger),
        )
        .where(table.batch_id == batch_id)
        .order_by(table.line_no)
    )
    for row in db.connection().execute(query):
        yield typing_cast(exports.StoredCsvRow, tuple(row))


def _file_bytes(db: Session, batch: PayrollBatchRow, fmt: ExportFormat) -> bytes:
    lines = batch_lines(db, batch_id=batch.id)
    if fmt is ExportFormat.visma:
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
    return content
