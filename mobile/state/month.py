"""The month screen (`mobile/views/month.py`): the sheet as the phone has it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from mobile.state.common import Snapshot
from models.clock import today_in_oslo
from models.payperiod import pay_period_of
from models.schemas import EntryData, TimesheetStatus
from models.timesheets import CLOSED_TO_CONTACT, sheet_entries, sheet_status
from sync.store import EntryState, LocalEntry


@dataclass(frozen=True)
class SheetRow:
    entry: LocalEntry
    minutes: int
    km: Decimal
    expenses: Decimal


@dataclass(frozen=True)
class MonthSheet:
    """Contact × vedtak × pay period, as the phone has it."""

    decision_id: str
    period: str
    name: str
    rows: tuple[SheetRow, ...]
    status: TimesheetStatus
    reject_reason: str | None

    @property
    def total_minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    @property
    def total_km(self) -> Decimal:
        return sum((row.km for row in self.rows), Decimal(0))

    @property
    def total_expenses(self) -> Decimal:
        return sum((row.expenses for row in self.rows), Decimal("0.00"))

    @property
    def locked(self) -> bool:
        return self.status in CLOSED_TO_CONTACT

    @property
    def can_sign(self) -> bool:
        return bool(self.rows) and not self.locked

    def entries(self) -> list[EntryData]:
        return [row.entry.entry for row in self.rows]


def month_sheet(snapshot: Snapshot, decision_id: str, period: str) -> MonthSheet:
    """The sheet as the signer sees and hashes it: the same entries the store checks.

    Which entries (and which version of each) are on it comes from
    models.timesheets.sheet_entries over `LocalEntry.sheet_version`, exactly as
    the store's `content_hash`; a row shows the version on the sheet.
    """
    by_id = {item.id: item for item in snapshot.entries if item.sheet_version is not None}
    on_sheet = sheet_entries(
        (item.sheet_version for item in by_id.values() if item.sheet_version is not None),
        decision_id,
        period,
        snapshot.cutoff_day,
    )
    rows = []
    for version in on_sheet:
        item = by_id[version.id]
        if item.entry is not version:
            item = replace(item, entry=version)
        rows.append(SheetRow(item, version.minutes, version.total_km, version.total_expenses))
    sheet = snapshot.timesheet(decision_id, period)
    signed_here = any(
        s.signature.decision_id == decision_id
        and s.signature.period == period
        and s.state is not EntryState.rejected
        for s in snapshot.signatures
    )
    status = sheet_status(sheet.status if sheet is not None else None, signed_here=signed_here)
    return MonthSheet(
        decision_id=decision_id,
        period=period,
        name=snapshot.name_of(decision_id),
        rows=tuple(rows),
        status=status,
        reject_reason=sheet.reject_reason if sheet is not None else None,
    )


def shift_period(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_period(snapshot: Snapshot, today: date | None = None) -> str:
    return pay_period_of(today or today_in_oslo(), snapshot.cutoff_day)
