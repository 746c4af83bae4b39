"""A batch, made by set-based SQL, pays exactly what the pay rules say, entry by entry.

`service.make_batch` sums the payable entries in the database per contact ×
decision × period × rate interval and never sees them one by one. Here a
random municipality — individual and group entries, sheets in every state,
deleted entries, km on both sides of a rate change, passengers — is paid in
two batches (the first for one pay period), and each batch is checked against
the rules applied the plain way: every entry decided on its own, its pay item
built in Python and `models.payroll.pay_lines` called on them all.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from models.payperiod import pay_period_of
from models.payroll import KmRate, PayItem, PaySettings, hourly_rate_for, pay_lines
from models.schemas import ContractType
from server.db import make_engine, make_sessionmaker
from server.payroll import service
from server.payroll.tables import PayrollBatchEntry, PayrollBatchSheet, PaySettingsRow
from server.tables import EntryRow, TimesheetEntry, TimesheetRow
from tests.server.conftest import _truncate_postgres
from tests.server.payroll.conftest import Municipality

APPROVED, EXPORTED = "approved", "exported"
CONTACTS = (  # employee number, own rate, contract
    ("1001", "262.50", ContractType.contractor),
    ("1002", None, ContractType.employee),
)
DEFAULT_RATE = Decimal("250.00")


@dataclass
class Entry:
    contact: int
    group: bool  # on the group's two decisions, else on the contact's own
    day: date
    minutes: int
    km: Decimal
    expenses: Decimal
    passengers: int
    deleted: bool
    # A group entry not yet on the sheet of its second decision waits for it.
    unlisted: bool
    id: str = ""
    sheets: list[str] = field(default_factory=list)


entries_strategy = st.lists(
    st.builds(
        Entry,
        contact=st.integers(0, 1),
        group=st.booleans(),
        # December 2025 to February 2026: two rate changes' worth of periods.
        day=st.dates(date(2025, 12, 20), date(2026, 2, 10)),
        minutes=st.integers(0, 600),
        km=st.integers(0, 999).map(lambda tenths: Decimal(tenths) / 10),
        expenses=st.sampled_from([Decimal(0), Decimal("45.50"), Decimal("129.90")]),
        passengers=st.integers(0, 2),
        deleted=st.sampled_from([False, False, False, True]),
        unlisted=st.sampled_from([False, False, False, True]),
    ),
    min_size=1,
    max_size=14,
)


def _reset(database_url: str, template: Path | None) -> None:
    if template is None:
        _truncate_postgres(database_url)
    else:
        target = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(template, target)


def _item(entry: Entry, case_no: str, settings_: PaySettings) -> PayItem:
    employee_no, rate, contract = CONTACTS[entry.contact]
    return PayItem(
        entry_id=entry.id,
        employee_no=employee_no,
        case_no=case_no,
        period=pay_period_of(entry.day),
        day=entry.day,
        minutes=entry.minutes,
        km=entry.km,
        expenses=entry.expenses,
        hourly_rate=hourly_rate_for(Decimal(rate) if rate else None, settings_),
        contract_type=contract,
        passenger_km=entry.km * entry.passengers,
    )


@pytest.mark.parametrize("passenger_add_on", [False, True])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=entries_strategy,
    approved=st.lists(st.booleans(), min_size=12, max_size=12),
    first_period=st.sampled_from([None, "2025-12", "2026-01", "2026-02"]),
)
# Every candidate on one approved sheet, of one decision, payable: the case in
# which the batch takes the sheets to mark exported from its sums (nearly every
# real batch), here in both batches (January first, then the rest).
@example(
    entries=[
        Entry(0, False, date(2026, 1, 5), 90, Decimal("12.5"), Decimal("45.50"), 1, False, False),
        Entry(1, False, date(2026, 1, 20), 45, Decimal(0), Decimal(0), 0, False, False),
        Entry(0, False, date(2026, 2, 3), 30, Decimal("3.0"), Decimal("129.90"), 2, False, False),
        Entry(1, False, date(2025, 12, 22), 60, Decimal("7.5"), Decimal(0), 0, True, False),
    ],
    approved=[True] * 12,
    first_period="2026-01",
)
# Sheets paid whole beside group sessions in one batch (January, then the
# rest): each contact's own sheet is paid by a sheet key, the group sheets by
# entry keys; contact 0's session is paid, contact 1's waits for the sheet it
# is not listed on yet, and a deleted session is on the group sheets too.
@example(
    entries=[
        Entry(0, False, date(2026, 1, 5), 90, Decimal("12.5"), Decimal(0), 0, False, False),
        Entry(0, False, date(2026, 1, 6), 30, Decimal(0), Decimal("45.50"), 0, False, False),
        Entry(0, True, date(2026, 1, 7), 60, Decimal("4.0"), Decimal(0), 1, False, False),
        Entry(1, True, date(2026, 1, 8), 45, Decimal(0), Decimal(0), 0, False, True),
        Entry(1, False, date(2026, 1, 9), 75, Decimal("2.5"), Decimal(0), 0, False, False),
        Entry(1, True, date(2026, 1, 10), 15, Decimal(0), Decimal(0), 0, True, False),
    ],
    approved=[True] * 12,
    first_period="2026-01",
)
def test_batches_pay_what_the_rules_say_entry_by_entry(
    request: pytest.FixtureRequest,
    database_url: str,
    passenger_add_on: bool,
    entries: list[Entry],
    approved: list[bool],
    first_period: str | None,
) -> None:
    template = (
        request.getfixturevalue("sqlite_template") if database_url.startswith("sqlite") else None
    )
    _reset(database_url, template)
    pay = PaySettings(
        # A tax-free rate change mid-January splits January's km lines.
        km_tax_free_rates=[
            KmRate(valid_from=date(2025, 1, 1), rate=Decimal("3.50")),
            KmRate(valid_from=date(2026, 1, 15), rate=Decimal("3.80")),
        ],
        passenger_rates=[KmRate(valid_from=date(2026, 1, 1), rate=Decimal("1.00"))]
        if passenger_add_on
        else [],
    )
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    try:
        with factory() as session:
            session.add(PaySettingsRow(id=1, data=pay.model_dump(mode="json")))
            session.commit()
            town = Municipality(session)
            contacts = [
                town.contact(no, rate, contract_type=contract.value)
                for no, rate, contract in CONTACTS
            ]
            own = [town.decision(town.recipient(f"2025/{n}"), [contacts[n]]) for n in range(2)]
            group = [
                town.decision(town.recipient(f"2025/G{n}"), contacts, group_id="G-7")
                for n in range(2)
            ]
            for entry in entries:
                decisions = group if entry.group else [own[entry.contact]]
                entry.id = town.entry(
                    contacts[entry.contact],
                    decisions,
                    entry.day,
                    minutes=entry.minutes,
                    km=str(entry.km),
                    expenses=str(entry.expenses),
                    passengers=entry.passengers,
                )
                entry.sheets = town.sheets_of(entry.id)
                if entry.group and entry.unlisted:
                    session.execute(
                        delete(TimesheetEntry).where(
                            TimesheetEntry.entry_id == entry.id,
                            TimesheetEntry.timesheet_id == entry.sheets[1],
                        )
                    )
                    session.commit()
                    entry.sheets = entry.sheets[:1]
            if any(entry.deleted for entry in entries):
                session.execute(
                    update(EntryRow)
                    .where(EntryRow.id.in_([e.id for e in entries if e.deleted]))
                    .values(deleted=True)
                )
                session.commit()
            sheets = sorted({sheet for entry in entries for sheet in entry.sheets})
            status = {sheet: "open" for sheet in sheets}
            for sheet, yes in zip(sheets, approved, strict=False):
                if yes:
                    town.approve(sheet)
                    status[sheet] = APPROVED
            period_of = dict(session.execute(select(TimesheetRow.id, TimesheetRow.period)).all())
            session.commit()

        paid: set[str] = set()
        for round_, period in enumerate((first_period, None)):
            if round_ == 1:
                # Between the batches the office approves every sheet left open.
                with factory() as session:
                    town = Municipality(session)
                    for sheet in sheets:
                        if status[sheet] == "open":
                            town.approve(sheet)
                            status[sheet] = APPROVED

            # The rules, entry by entry.
            candidates = [
                entry
                for entry in entries
                if not entry.deleted
                and entry.id not in paid
                and any(
                    status[s] == APPROVED and (period is None or period_of[s] == period)
                    for s in entry.sheets
                )
            ]
            payable = [
                entry
                for entry in candidates
                if all(status[s] in (APPROVED, EXPORTED) for s in entry.sheets)
                and len(entry.sheets) == (2 if entry.group else 1)
            ]
            waiting = {
                s
                for entry in candidates
                if entry not in payable
                for s in entry.sheets
                if status[s] == APPROVED
            }
            done = {s for entry in payable for s in entry.sheets if status[s] == APPROVED} - waiting
            items = [
                _item(entry, "G-7" if entry.group else f"2025/{entry.contact}", pay)
                for entry in payable
            ]

            with factory() as session:
                if not payable:
                    with pytest.raises(service.NothingToPayError):
                        service.make_batch(session, actor=None, period=period)
                    continue
                batch = service.make_batch(session, actor=None, period=period)
            with factory() as session:
                assert service.batch_lines(session, batch_id=batch.id) == pay_lines(items, pay)
                assert batch.entry_count == len(payable)
                # Paid by entry keys and by sheets paid whole, each entry once.
                in_batch = service.batch_entry_ids(session, batch.id)
                assert in_batch == {entry.id for entry in payable}
                assert in_batch.isdisjoint(paid)
                keyed = set(
                    session.scalars(
                        select(PayrollBatchEntry.entry_id).where(
                            PayrollBatchEntry.batch_id == batch.id
                        )
                    )
                )
                whole = set(
                    session.scalars(
                        select(PayrollBatchSheet.sheet_id).where(
                            PayrollBatchSheet.batch_id == batch.id
                        )
                    )
                )
                # A sheet is paid whole when it is done and lists no group
                # entry (listed on it or not yet) and no entry paid before.
                assert whole == {
                    sheet
                    for sheet in done
                    if not any(
                        sheet in entry.sheets and (entry.group or entry.id in paid)
                        for entry in entries
                    )
                }
                on_whole = {e.id for e in payable if set(e.sheets) & whole}
                assert keyed == in_batch - on_whole
                now = dict(session.execute(select(TimesheetRow.id, TimesheetRow.status)).all())
                for sheet in done:
                    status[sheet] = EXPORTED
                assert {sheet: now[sheet] for sheet in sheets} == status
                csv_file = service.export_batch(
                    session, actor=None, batch_id=batch.id, fmt=service.ExportFormat.csv
                )
                lines = service.batch_lines(session, batch_id=batch.id)
                assert csv_file.content == service.exports.csv_bytes(lines)
            paid |= in_batch
    finally:
        engine.dispose()
