"""Deleting what the law no longer asks us to keep (docs/rules.md §12).

`run_retention` looks at every pay period that ended more than the setting's
years ago (`models.retention`). Of such a period it deletes the settled
timesheets (exported or rejected), their signatures, the entries on them (an
entry on a sheet that is kept stays), the flags about any of those, and the
entries deleted on the phone long ago; payroll batches keep their pay lines,
with the case number blanked. Then vedtak that ended before the cut and have
nothing left on them go, and recipients whose last vedtak went go with them.

A dry run (the default) reports what would go and changes nothing. With
`apply`, each pay period is one transaction, and the vedtak and recipients a
last one, so a run stopped half-way leaves whole periods either kept or gone.
Every run is audited, with counts and periods only: the audit log keeps the
event, not the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from models.payperiod import pay_period_bounds
from models.retention import SETTLED_STATUSES, is_due, keep_from
from server.payroll.tables import (
    PayrollBatchEntry,
    PayrollBatchSheet,
    PayrollLineRow,
    PayrollSplitSheet,
    RetentionUnlock,
)
from server.services import usage
from server.services.common import Actor, audit, new_id
from server.tables import (
    ContactRow,
    DecisionContact,
    DecisionDayUsage,
    DecisionRow,
    EntryDecision,
    EntryRow,
    FlagRow,
    RecipientRow,
    SignatureRow,
    TimesheetEntry,
    TimesheetRow,
    Tombstone,
)

CHUNK = 2_000  # ids per IN list: well under every engine's limit on bound parameters


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass
class PeriodPlan:
    """What goes, and what stays, of one due pay period."""

    period: str
    sheets: dict[str, str] = field(default_factory=dict)  # id → status
    kept_sheets: int = 0  # of the period, not settled: they stay
    entries: set[str] = field(default_factory=set)
    signatures: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    batch_links: int = 0
    # (employee_no, case_no) of each deleted sheet: their pay lines lose the case number.
    cases: set[tuple[str, str]] = field(default_factory=set)
    lines: int = 0
    decisions: set[str] = field(default_factory=set)  # of the deleted sheets

    def counts(self) -> dict[str, int]:
        settled: dict[str, int] = defaultdict(int)
        for status in self.sheets.values():
            settled[status] += 1
        return {
            "timesheets_exported": settled["exported"],
            "timesheets_rejected": settled["rejected"],
            "timesheets_kept": self.kept_sheets,
            "entries": len(self.entries),
            "signatures": len(self.signatures),
            "flags": len(self.flags),
            "payroll_lines_anonymised": self.lines,
        }


@dataclass
class RetentionReport:
    """The outcome of a run (or what a dry run would do)."""

    keep_from: date
    applied: bool
    periods: list[PeriodPlan] = field(default_factory=list)
    decisions: set[str] = field(default_factory=set)
    recipients: set[str] = field(default_factory=set)


def due_periods(db: Session, *, today: date, years: int, cutoff_day: int | None) -> list[str]:
    """Pay periods with timesheets or entries that ended more than `years` years ago."""
    named = set(db.scalars(select(TimesheetRow.period).distinct()))
    return sorted(p for p in named if is_due(p, today=today, years=years, cutoff_day=cutoff_day))


def plan_period(
    db: Session, period: str, *, cutoff_day: int | None, lock: bool = False
) -> PeriodPlan:
    """What a run deletes of `period`. With `lock`, the settled sheets are locked
    (PostgreSQL) so that none is reopened between this read and the delete."""
    plan = PeriodPlan(period=period)
    sheets = select(
        TimesheetRow.id, TimesheetRow.status, TimesheetRow.contact_id, TimesheetRow.decision_id
    ).where(TimesheetRow.period == period)
    if lock:
        sheets = sheets.with_for_update()
    by_sheet: dict[str, tuple[str, str]] = {}
    for sheet_id, status, contact_id, decision_id in db.execute(sheets):
        if status in SETTLED_STATUSES:
            plan.sheets[sheet_id] = status
            by_sheet[sheet_id] = (contact_id, decision_id)
        else:
            plan.kept_sheets += 1
    plan.decisions = {decision_id for _c, decision_id in by_sheet.values()}

    linked: set[str] = set()
    for chunk in _chunks(plan.sheets):
        linked |= set(
            db.scalars(
                select(TimesheetEntry.entry_id).where(TimesheetEntry.timesheet_id.in_(chunk))
            )
        )
    # A group entry is on one sheet per decision: it goes only with all of them.
    on_kept_sheet: set[str] = set()
    for chunk in _chunks(linked):
        for entry_id, sheet_id in db.execute(
            select(TimesheetEntry.entry_id, TimesheetEntry.timesheet_id).where(
                TimesheetEntry.entry_id.in_(chunk)
            )
        ):
            if sheet_id not in plan.sheets:
                on_kept_sheet.add(entry_id)
    plan.entries = linked - on_kept_sheet
    # Entries deleted on the phone years ago stay as tombstones on no sheet.
    start, end = pay_period_bounds(period, cutoff_day)
    tombstoned = set(
        db.scalars(
            select(EntryRow.id).where(
                EntryRow.deleted.is_(True), EntryRow.date >= start, EntryRow.date <= end
            )
        )
    )
    for chunk in _chunks(tombstoned):
        tombstoned -= set(
            db.scalars(select(TimesheetEntry.entry_id).where(TimesheetEntry.entry_id.in_(chunk)))
        )
    plan.entries |= tombstoned

    for chunk in _chunks(plan.sheets):
        plan.signatures |= set(
            db.scalars(select(SignatureRow.id).where(SignatureRow.timesheet_id.in_(chunk)))
        )
    plan.flags = _flags_about(db, plan, {contact for contact, _d in by_sheet.values()})

    for chunk in _chunks(plan.entries):
        plan.batch_links += len(
            list(
                db.scalars(
                    select(PayrollBatchEntry.entry_id).where(PayrollBatchEntry.entry_id.in_(chunk))
                )
            )
        )
    # Sheets paid whole: their key goes with them (their entries are on no
    # other sheet, so they go too).
    for chunk in _chunks(plan.sheets):
        plan.batch_links += len(
            list(
                db.scalars(
                    select(PayrollBatchSheet.sheet_id).where(PayrollBatchSheet.sheet_id.in_(chunk))
                )
            )
        )
    plan.cases = _cases(db, by_sheet)
    plan.lines = len(_lines_of(db, period, plan.cases))
    return plan


def _flags_about(db: Session, plan: PeriodPlan, contacts: set[str]) -> set[str]:
    """Flags that name a deleted sheet or entry (a flag's detail describes them)."""
    found: set[str] = set()
    if not plan.sheets and not plan.entries:
        return found
    for column, ids in (
        (FlagRow.contact_id, contacts),
        (FlagRow.decision_id, plan.decisions),
        (FlagRow.timesheet_id, set(plan.sheets)),
    ):
        for chunk in _chunks(ids):
            for flag_id, sheet_id, entry_ids in db.execute(
                select(FlagRow.id, FlagRow.timesheet_id, FlagRow.entry_ids).where(column.in_(chunk))
            ):
                if sheet_id in plan.sheets or plan.entries.intersection(entry_ids or ()):
                    found.add(flag_id)
    return found


def _cases(db: Session, by_sheet: dict[str, tuple[str, str]]) -> set[tuple[str, str]]:
    """(employee_no, case) of each sheet; a group's case on the pay lines is its group id."""
    if not by_sheet:
        return set()
    employees = dict(db.execute(select(ContactRow.id, ContactRow.employee_no)).all())
    decision_ids = sorted({decision for _c, decision in by_sheet.values()})
    case_of: dict[str, str] = {}
    for chunk in _chunks(decision_ids):
        for decision_id, kind, group_id, case_no in db.execute(
            select(DecisionRow.id, DecisionRow.kind, DecisionRow.group_id, RecipientRow.case_no)
            .join(RecipientRow, RecipientRow.id == DecisionRow.recipient_id)
            .where(DecisionRow.id.in_(chunk))
        ):
            case_of[decision_id] = group_id if kind == "group" and group_id else case_no
    return {(employees[contact], case_of[decision]) for contact, decision in by_sheet.values()}


def _lines_of(
    db: Session, period: str, cases: set[tuple[str, str]]
) -> list[tuple[str, int, str, list[str]]]:
    if not cases:
        return []
    rows = db.execute(
        select(
            PayrollLineRow.batch_id,
            PayrollLineRow.line_no,
            PayrollLineRow.employee_no,
            PayrollLineRow.case_no,
            PayrollLineRow.dimensions,
        ).where(PayrollLineRow.period == period, PayrollLineRow.case_no != "")
    )
    return [
        (batch_id, line_no, case_no, list(dimensions))
        for batch_id, line_no, employee_no, case_no, dimensions in rows
        if (employee_no, case_no) in cases
    ]


def _delete_where(db: Session, column: Any, ids: Iterable[str]) -> None:
    table = column.class_
    for chunk in _chunks(ids):
        db.execute(delete(table).where(column.in_(chunk)))


def _apply_period(db: Session, plan: PeriodPlan, period: str, actor: Actor | None) -> None:
    run_id = new_id()
    # Lets this transaction, and no other, take entries out of batches and
    # blank case numbers on their lines (see migration 0004).
    db.execute(insert(RetentionUnlock), {"run_id": run_id})
    _delete_where(db, PayrollBatchEntry.entry_id, plan.entries)
    # Before the links: a paid sheet's links are frozen while its key is there.
    _delete_where(db, PayrollBatchSheet.sheet_id, plan.sheets)
    _delete_where(db, PayrollSplitSheet.sheet_id, plan.sheets)
    for batch_id, line_no, case_no, dimensions in _lines_of(db, period, plan.cases):
        db.execute(
            update(PayrollLineRow)
            .where(PayrollLineRow.batch_id == batch_id, PayrollLineRow.line_no == line_no)
            .values(case_no="", dimensions=["" if d == case_no else d for d in dimensions])
        )
    _delete_where(db, TimesheetEntry.timesheet_id, plan.sheets)
    _delete_where(db, TimesheetEntry.entry_id, plan.entries)
    usage.forget_entries(db, plan.entries)
    _delete_where(db, EntryDecision.entry_id, plan.entries)
    _delete_where(db, SignatureRow.id, plan.signatures)
    _delete_where(db, FlagRow.id, plan.flags)
    _delete_where(db, Tombstone.object_id, set(plan.sheets) | plan.entries)
    _delete_where(db, EntryRow.id, plan.entries)
    _delete_where(db, TimesheetRow.id, plan.sheets)
    db.execute(delete(RetentionUnlock).where(RetentionUnlock.run_id == run_id))
    audit(db, actor, "retention_delete", "pay_period", period, **plan.counts(), via="cli")


def _orphans(
    db: Session,
    candidates: set[str],
    *,
    keep_from_day: date,
    gone_sheets: set[str],
    gone_entries: set[str],
) -> tuple[set[str], set[str]]:
    """Vedtak among `candidates` that ended before the cut and have nothing left on
    them once the given sheets and entries are gone, and the recipients they leave
    with no vedtak at all."""
    ended = {
        decision_id
        for chunk in _chunks(candidates)
        for decision_id in db.scalars(
            select(DecisionRow.id).where(
                DecisionRow.id.in_(chunk), DecisionRow.valid_to < keep_from_day
            )
        )
    }
    used: set[str] = set()
    for chunk in _chunks(ended):
        for sheet_id, decision_id in db.execute(
            select(TimesheetRow.id, TimesheetRow.decision_id).where(
                TimesheetRow.decision_id.in_(chunk)
            )
        ):
            if sheet_id not in gone_sheets:
                used.add(decision_id)
        for entry_id, decision_id in db.execute(
            select(EntryDecision.entry_id, EntryDecision.decision_id).where(
                EntryDecision.decision_id.in_(chunk)
            )
        ):
            if entry_id not in gone_entries:
                used.add(decision_id)
    # Tombstoned entries have no index rows: read the few left of them.
    for entry_id, decision_ids in db.execute(
        select(EntryRow.id, EntryRow.decision_ids).where(EntryRow.deleted.is_(True))
    ):
        if entry_id not in gone_entries:
            used |= ended.intersection(decision_ids or ())
    orphans = ended - used
    recipients_of: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(orphans):
        for decision_id, recipient_id in db.execute(
            select(DecisionRow.id, DecisionRow.recipient_id).where(DecisionRow.id.in_(chunk))
        ):
            recipients_of[recipient_id].add(decision_id)
    lonely: set[str] = set()
    for chunk in _chunks(recipients_of):
        all_of: dict[str, set[str]] = defaultdict(set)
        for decision_id, recipient_id in db.execute(
            select(DecisionRow.id, DecisionRow.recipient_id).where(
                DecisionRow.recipient_id.in_(chunk)
            )
        ):
            all_of[recipient_id].add(decision_id)
        lonely |= {r for r in chunk if all_of[r] <= orphans}
    return orphans, lonely


def _apply_orphans(
    db: Session, decisions: set[str], recipients: set[str], actor: Actor | None
) -> None:
    _delete_where(db, DecisionContact.decision_id, decisions)
    _delete_where(db, FlagRow.decision_id, decisions)
    _delete_where(db, Tombstone.object_id, decisions | recipients)
    _delete_where(db, DecisionDayUsage.decision_id, decisions)
    _delete_where(db, DecisionRow.id, decisions)
    _delete_where(db, RecipientRow.id, recipients)
    audit(
        db,
        actor,
        "retention_delete",
        "decisions",
        None,
        decisions=len(decisions),
        recipients=len(recipients),
        via="cli",
    )


def run_retention(
    db: Session,
    *,
    today: date,
    years: int,
    cutoff_day: int | None,
    apply: bool,
    actor: Actor | None = None,
) -> RetentionReport:
    """Report, and with `apply` delete, what the law no longer asks us to keep."""
    report = RetentionReport(keep_from=keep_from(today, years), applied=apply)
    periods = due_periods(db, today=today, years=years, cutoff_day=cutoff_day)
    db.commit()  # end the read: each period below is a transaction of its own
    gone_sheets: set[str] = set()
    gone_entries: set[str] = set()
    decisions: set[str] = set()
    for period in periods:
        plan = plan_period(db, period, cutoff_day=cutoff_day, lock=apply)
        if plan.sheets or plan.entries:
            if apply:
                _apply_period(db, plan, period, actor)
            report.periods.append(plan)
            gone_sheets |= set(plan.sheets)
            gone_entries |= plan.entries
            decisions |= plan.decisions
        db.commit()
    report.decisions, report.recipients = _orphans(
        db,
        decisions,
        keep_from_day=report.keep_from,
        gone_sheets=set() if apply else gone_sheets,
        gone_entries=set() if apply else gone_entries,
    )
    if apply and report.decisions:
        _apply_orphans(db, report.decisions, report.recipients, actor)
    if not apply:
        audit(
            db,
            actor,
            "retention_dry_run",
            "retention",
            None,
            periods=[plan.period for plan in report.periods],
            decisions=len(report.decisions),
            recipients=len(report.recipients),
            via="cli",
        )
    db.commit()
    return report


def report_lines(report: RetentionReport, years: int) -> Sequence[str]:
    """The run in plain Norwegian, with counts and periods only (no names, no case numbers)."""
    lines = [
        f"Oppbevaringstid {years} år (bokføringsloven § 13): lønnsperioder som sluttet før "
        f"{report.keep_from:%d.%m.%Y}, med timelister som er utbetalt eller avvist."
    ]
    if not report.applied:
        lines.append("Prøvekjøring: ingenting er slettet. Kjør med --apply for å slette.")
    if not report.periods:
        lines.append("Ingenting å slette.")
    for plan in report.periods:
        counts = plan.counts()
        kept = (
            f"; {counts['timesheets_kept']} timelister beholdes (ikke utbetalt eller avvist)"
            if counts["timesheets_kept"]
            else ""
        )
        lines.append(
            f"{plan.period}: {len(plan.sheets)} timelister ({counts['timesheets_exported']} "
            f"utbetalt, {counts['timesheets_rejected']} avvist), {counts['entries']} "
            f"timeføringer, {counts['signatures']} signaturer, {counts['flags']} avvik, "
            f"{counts['payroll_lines_anonymised']} lønnslinjer uten saksnummer{kept}"
        )
    if report.decisions:
        lines.append(
            f"Vedtak uten noe igjen: {len(report.decisions)}; "
            f"tjenestemottakere uten vedtak: {len(report.recipients)}"
        )
    lines.append("Slettet." if report.applied else "Ingenting er endret.")
    return lines
