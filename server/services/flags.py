"""Keeping flags current, one scope at a time (see models.flags).

An entry change re-checks only the scopes it can affect: the quota and km
periods of every decision it names (before and after the change), its own
outside-decision findings, overlaps with the contact's entries from the day
before to the day after, double coverage on its individual decisions, and any
open flag that lists it. A scope that no longer yields a finding has its open
flag resolved with a note saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select, tuple_
from sqlalchemy.orm import Session

from models.flags import (
    Finding,
    double_coverage,
    km_over_allowance,
    km_scope,
    outside_decision,
    overlaps,
    overuse_from_latest,
    overuse_scope,
)
from models.quota import QuotaPeriod, period_containing
from models.schemas import Decision, DecisionKind, FlagKind, FlagStatus, TimeEntry
from server.db import utcnow
from server.services import usage
from server.services.changes import Changes
from server.services.common import new_id
from server.services.convert import ENTRY_COLUMNS, TIME_COLUMNS, stored_entry
from server.tables import EntryDecision, EntryRow, FlagRow

AUTO_RESOLVED = (
    "Løst automatisk: avviket finnes ikke lenger etter at en økt ble endret eller slettet."
)
RULE_KINDS = (
    FlagKind.overuse,
    FlagKind.outside_decision,
    FlagKind.overlap,
    FlagKind.double_coverage,
    FlagKind.km_over_allowance,
)


# The queries every entry change runs are built once, with bound parameters:
# building SQLAlchemy expressions anew was a large share of a push's CPU time.


def _on_decision_query(*, others: bool, full: bool) -> Select[Any]:
    stmt = (
        select(*(ENTRY_COLUMNS if full else TIME_COLUMNS))
        .join(EntryDecision, EntryDecision.entry_id == EntryRow.id)
        .where(
            EntryDecision.decision_id == bindparam("decision_id"),
            EntryDecision.date >= bindparam("first"),
            EntryDecision.date <= bindparam("last"),
        )
    )
    if others:
        stmt = stmt.where(EntryDecision.contact_id != bindparam("contact_id"))
    return stmt


_ON_DECISION = {
    (others, full): _on_decision_query(others=others, full=full)
    for others in (False, True)
    for full in (False, True)
}

_CONTACT_ENTRIES = select(*TIME_COLUMNS).where(
    EntryRow.contact_id == bindparam("contact_id"),
    EntryRow.date >= bindparam("first"),
    EntryRow.date <= bindparam("last"),
    EntryRow.deleted.is_(False),
)


def _latest_first_query(*, after: bool, collation: str | None) -> Select[Any]:
    """A page of a period's entries on a decision, newest first (models.flags.chronological
    reversed: date, start, id), optionally after a given (date, start, id).

    The order must be Python's string order: PostgreSQL compares text by the
    database's locale unless told "C"; SQLite's default is already bytewise.
    """

    def exact(column: Any) -> Any:
        return column.collate(collation) if collation else column

    columns: tuple[Any, ...] = (
        EntryDecision.entry_id,
        EntryDecision.minutes,
        EntryDecision.date,
        EntryRow.start,
    )
    stmt = (
        select(*columns)
        .join(EntryRow, EntryRow.id == EntryDecision.entry_id)
        .where(
            EntryDecision.decision_id == bindparam("decision_id"),
            EntryDecision.date >= bindparam("first"),
            EntryDecision.date <= bindparam("last"),
        )
        .order_by(
            EntryDecision.date.desc(),
            exact(EntryRow.start).desc(),
            exact(EntryDecision.entry_id).desc(),
        )
        .limit(bindparam("page"))
    )
    if after:
        stmt = stmt.where(
            tuple_(EntryDecision.date, exact(EntryRow.start), exact(EntryDecision.entry_id))
            < tuple_(bindparam("after_date"), bindparam("after_start"), bindparam("after_id"))
        )
    return stmt


_LATEST_FIRST = {
    (after, collation): _latest_first_query(after=after, collation=collation)
    for after in (False, True)
    for collation in (None, "C")
}


def _latest_first(
    db: Session, decision_id: str, first: date, last: date
) -> Iterator[tuple[str, int]]:
    """(id, minutes) of the live entries naming the decision in first..last, newest
    first, read a page at a time as the caller asks for more."""
    collation = "C" if db.get_bind().dialect.name == "postgresql" else None
    params: dict[str, Any] = {"decision_id": decision_id, "first": first, "last": last}
    page, after = 16, False
    while True:
        rows = list(_rows(db, _LATEST_FIRST[(after, collation)], {**params, "page": page}))
        for row in rows:
            yield row.entry_id, row.minutes
        if len(rows) < page:
            return
        final = rows[-1]
        params.update(after_date=final.date, after_start=final.start, after_id=final.entry_id)
        after, page = True, min(page * 4, 1024)


def _rows(db: Session, stmt: Select[Any], params: dict[str, Any]) -> Any:
    """Result rows through the session's connection, after a flush.

    A period can hold hundreds of entries: the ORM's result handling cost
    more per row than the rules that read them.
    """
    db.flush()
    return db.connection().execute(stmt, params)


def entries_on_decision(
    db: Session,
    decision_id: str,
    first: date,
    last: date,
    *,
    other_than_contact: str | None = None,
    full: bool = False,
) -> list[TimeEntry]:
    """Live entries naming the decision and dated first..last (inclusive)."""
    params: dict[str, Any] = {"decision_id": decision_id, "first": first, "last": last}
    if other_than_contact is not None:
        params["contact_id"] = other_than_contact
    stmt = _ON_DECISION[(other_than_contact is not None, full)]
    return [stored_entry(row) for row in _rows(db, stmt, params)]


def _contact_entries(db: Session, contact_id: str, first: date, last: date) -> list[TimeEntry]:
    params = {"contact_id": contact_id, "first": first, "last": last}
    return [stored_entry(row) for row in _rows(db, _CONTACT_ENTRIES, params)]


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def period_findings(
    db: Session, decision: Decision, days: Iterable[date]
) -> tuple[set[str], list[Finding]]:
    """Overuse and km findings for the quota periods and months containing `days`."""
    checked: set[str] = set()
    findings: list[Finding] = []
    periods: dict[str, QuotaPeriod] = {}
    months: dict[str, date] = {}
    for day in days:
        period = period_containing(decision, day)
        if period is not None:
            periods[period.key] = period
        months[f"{day:%Y-%m}"] = day.replace(day=1)
    # Only the days the vedtak covers count (QuotaPeriod.contains): in a first or
    # last period cut by its validity, entries outside it use no quota.
    kept = usage.minutes_in_spans(db, decision.id, [p.counted for p in periods.values()])
    for period, used in zip(periods.values(), kept, strict=True):
        checked.add(overuse_scope(decision.id, period.key))
        if used <= period.quota_minutes:
            # No entry can cross a quota the whole period stays within.
            continue
        # Over the quota: the finding names the entries from the crossing one
        # on, which are found counting back from the period's end with the
        # kept total, so only they are read, not the whole period.
        found = overuse_from_latest(
            decision.id, period, used, _latest_first(db, decision.id, *period.counted)
        )
        if found:
            findings.append(found)
    if decision.km_per_month is not None:
        for key, month in months.items():
            checked.add(km_scope(decision.id, key))
            first, last = _month_bounds(month)
            found = km_over_allowance(
                decision.id,
                decision,
                month,
                entries_on_decision(db, decision.id, first, last, full=True),
            )
            if found:
                findings.append(found)
    return checked, findings


def entry_findings(
    db: Session,
    *,
    entry_id: str,
    old: TimeEntry | None,
    new: TimeEntry | None,
    decisions: dict[str, Decision],
    brand_new: bool = False,
) -> tuple[set[str], list[Finding]]:
    """Every scope the change of one entry can affect, and what they yield now.

    `brand_new`: no entry with this id was ever stored, so no flag can list it.
    """
    checked: set[str] = set()
    findings: list[Finding] = []
    days_by_decision: dict[str, set[date]] = {}
    for version in (old, new):
        if version is None:
            continue
        for decision_id in version.decision_ids:
            days_by_decision.setdefault(decision_id, set()).add(version.date)
    for decision_id, days in sorted(days_by_decision.items()):
        decision = decisions.get(decision_id)
        if decision is None:
            continue
        scope_checked, found = period_findings(db, decision, days)
        checked |= scope_checked
        findings += found

    # Scopes of open flags that list the entry are re-checked too: a pair that
    # no longer overlaps, a decision the entry no longer names.
    current = new or old
    owner = current.contact_id if current is not None else None
    named = sorted(days_by_decision)
    listing = (
        ()
        if brand_new
        else db.scalars(
            select(FlagRow).where(
                FlagRow.status == FlagStatus.open.value,
                FlagRow.kind.in_([k.value for k in RULE_KINDS]),
                FlagRow.decision_id.in_(named) | (FlagRow.contact_id == owner),
            )
        )
    )
    for row in listing:
        if entry_id in row.entry_ids:
            checked.add(row.scope)

    if new is not None:
        for decision_id in new.decision_ids:
            decision = decisions.get(decision_id)
            if decision is not None:
                found_outside = outside_decision(decision_id, decision, new)
                if found_outside:
                    findings.append(found_outside)
        near = _contact_entries(
            db, new.contact_id, new.date - timedelta(days=1), new.date + timedelta(days=1)
        )
        findings += overlaps(new, near)
        individual = [
            d
            for d in new.decision_ids
            if d in decisions and decisions[d].kind is DecisionKind.individual
        ]
        others: list[TimeEntry] = []
        for decision_id in individual:
            # Only other contacts' entries can be double coverage.
            others += entries_on_decision(
                db,
                decision_id,
                new.date - timedelta(days=1),
                new.date + timedelta(days=1),
                other_than_contact=new.contact_id,
            )
        findings += double_coverage(new, individual, others)
    checked |= {finding.scope for finding in findings}
    return checked, findings


def reconcile(
    db: Session,
    changes: Changes,
    *,
    checked: set[str],
    findings: Sequence[Finding],
    note: str = AUTO_RESOLVED,
) -> list[FlagRow]:
    """Make the open flags of the `checked` scopes match `findings`; the open ones result."""
    found = {finding.scope: finding for finding in findings}
    scopes = checked | set(found)
    if not scopes:
        return []
    open_rows = {
        row.scope: row
        for row in db.scalars(
            select(FlagRow).where(
                FlagRow.status == FlagStatus.open.value, FlagRow.scope.in_(sorted(scopes))
            )
        )
    }
    result: list[FlagRow] = []
    now = utcnow()
    for scope in sorted(scopes):
        finding = found.get(scope)
        row = open_rows.get(scope)
        if finding is not None and row is not None:
            if row.detail != finding.detail or list(row.entry_ids) != list(finding.entry_ids):
                row.detail = finding.detail
                row.entry_ids = list(finding.entry_ids)
                changes.touch(row)
            result.append(row)
        elif finding is not None:
            row = FlagRow(
                id=new_id(),
                kind=finding.kind.value,
                scope=scope,
                status=FlagStatus.open.value,
                decision_id=finding.decision_id,
                contact_id=finding.contact_id,
                period=finding.period,
                entry_ids=list(finding.entry_ids),
                detail=finding.detail,
                created_at=now,
            )
            db.add(row)
            changes.touch(row)
            result.append(row)
        elif row is not None:
            row.status = FlagStatus.resolved.value
            row.resolution_note = note
            row.resolved_at = now
            changes.touch(row)
    return result


def raise_flag(
    db: Session,
    changes: Changes,
    *,
    kind: FlagKind,
    scope: str,
    detail: str,
    entry_ids: Sequence[str] = (),
    decision_id: str | None = None,
    contact_id: str | None = None,
    timesheet_id: str | None = None,
    period: str | None = None,
) -> FlagRow:
    """Open a flag the service raises itself (unless one is open for the scope)."""
    row = db.scalar(
        select(FlagRow).where(FlagRow.status == FlagStatus.open.value, FlagRow.scope == scope)
    )
    if row is not None:
        return row
    row = FlagRow(
        id=new_id(),
        kind=kind.value,
        scope=scope,
        status=FlagStatus.open.value,
        decision_id=decision_id,
        contact_id=contact_id,
        timesheet_id=timesheet_id,
        period=period,
        entry_ids=list(entry_ids),
        detail=detail,
        created_at=utcnow(),
    )
    db.add(row)
    changes.touch(row)
    return row


def resolve_scope(db: Session, changes: Changes, *, scope: str, note: str, by: str | None) -> None:
    """Resolve the open flag of a scope, if there is one."""
    row = db.scalar(
        select(FlagRow).where(FlagRow.status == FlagStatus.open.value, FlagRow.scope == scope)
    )
    if row is not None:
        row.status = FlagStatus.resolved.value
        row.resolution_note = note
        row.resolved_at = utcnow()
        row.resolved_by = by
        changes.touch(row)
