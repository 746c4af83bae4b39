"""A whole push as one transaction: validate each mutation, then write and check once.

The answers are those of applying the mutations one at a time (see
server.services.sync.apply_mutation), but the work is done per push, not per
mutation:

- what the push touches is read with a handful of queries: the entries it
  names, the contact's timesheets for the periods involved with their links,
  the receipts of its mutation ids, the decisions (locked once, in id order);
- each mutation is validated and applied to that state in memory, in order,
  so a refused mutation changes nothing and the next one sees the ones
  before it; the timesheet rules (locked sheets, a signature voided by a
  change, a sheet dropped when its last entry leaves) run per mutation there;
- the result is written with a few multi-row statements; timesheet totals,
  flags (each touched scope once, see server.services.flags) and the change
  sequence number follow once, and the transaction commits before the answer.

A `timesheet.sign` needs the sheets as the mutations before it left them: the
entries before it are written first and it runs in a savepoint of its own.

Flags in the answers are the open flags that concern each mutation's entry
as the whole push leaves them (one-by-one pushes see them as each mutation
left them; a later mutation in the same push can change them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, Table, bindparam, delete, exists, func, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.clock import ends_next_day, today_in_oslo
from models.flags import (
    Finding,
    double_coverage,
    km_scope,
    outside_decision,
    overlaps,
    overuse_scope,
)
from models.messages import validation_problems
from models.quota import period_containing
from models.rules import Problem, entry_problems
from models.schemas import (
    Decision,
    DecisionKind,
    EntryData,
    FlagKind,
    FlagPublic,
    FlagStatus,
    SignatureCreate,
    TimeEntry,
    TimesheetStatus,
)
from models.text import period_text
from server.config import Settings
from server.db import insert_rows, insert_tables, lists_any, one_of, unnest_insert, utcnow
from server.errors import DomainError, ForbiddenError
from server.schemas import (
    EntryDelete,
    FieldError,
    Mutation,
    MutationResult,
    PushRequest,
    PushResponse,
    entry_data_fields,
)
from server.services import devices, timesheets, usage
from server.services.changes import Changes
from server.services.common import Actor, new_id, next_seq
from server.services.convert import TIME_COLUMNS, decision_models, flag_public, stored_entry
from server.services.flags import RULE_KINDS, period_findings, raise_flag, reconcile
from server.services.locks import (
    lock_decisions,
    lock_decisions_and_entries,
    reread_after_lock,
)
from server.tables import (
    AuditEvent,
    ContactRow,
    DecisionDayUsage,
    DecisionRow,
    DeviceMutation,
    EntryDecision,
    EntryRow,
    FlagRow,
    SignatureRow,
    TimesheetEntry,
    TimesheetRow,
)

# Rows per IN list or multi-row statement: well within both engines' limits.
CHUNK = 2000
ENTRY_FIELDS = (
    "decision_ids",
    "date",
    "start",
    "end",
    "minutes",
    "total_km",
    "total_expenses",
    "activities",
    "note",
    "trips",
    "expenses",
)
_TYPES = ("entry.upsert", "entry.delete", "timesheet.sign")


# A sheet, the number of entries it lists and whether it was ever signed: one
# round trip (three before).
_SHEET_READ = select(
    TimesheetRow,
    select(func.count())
    .where(TimesheetEntry.timesheet_id == TimesheetRow.id)
    .scalar_subquery()
    .label("listed"),
    exists().where(SignatureRow.timesheet_id == TimesheetRow.id).label("signed"),
)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _errors(problems: Sequence[Problem]) -> list[FieldError]:
    return [FieldError(field=p.field, message=p.message, code=p.code) for p in problems]


def _model(fields: dict[str, Any], entry_id: str, contact_id: str) -> TimeEntry:
    """A stored-style entry for the time rules (quota, overlap, validity), from the push.

    Trips, expenses and activities are left out: the km rule reads the month's
    entries from the database, and building them per version was a large share
    of a push's time.
    """
    return stored_entry(
        SimpleNamespace(
            id=entry_id,
            contact_id=contact_id,
            decision_ids=fields["decision_ids"],
            date=fields["date"],
            start=fields["start"],
            end=fields["end"],
            minutes=fields["minutes"],
        )
    )


@dataclass
class _Stored:
    """An entry as stored when the push began (or as an earlier segment left it)."""

    contact_id: str
    deleted: bool
    fields: dict[str, Any]


@dataclass
class _Answer:
    """What one mutation came to, filled in as the push goes."""

    mutation: Mutation
    status: str = "applied"
    errors: list[FieldError] = field(default_factory=list)
    flags: list[FlagPublic] = field(default_factory=list)
    # entry mutations: the entry, the scopes of its periods, extra flags
    entry_id: str | None = None
    noop_decisions: list[str] | None = None
    period_scopes: set[str] = field(default_factory=set)
    raised: list[FlagRow] = field(default_factory=list)
    politiattest: bool = False
    receipt: bool = True
    copy_of: _Answer | None = None
    flag_rows: list[FlagRow] = field(default_factory=list)


class _Segment:
    """Entry mutations between two signatures (or the whole push): state in memory."""

    def __init__(
        self,
        db: Session,
        *,
        settings: Settings,
        actor: Actor,
        contact_id: str,
        device_id: str,
        decisions: dict[str, Decision],
        locked: dict[str, DecisionRow],
        rows: dict[str, _Stored],
        today: date,
    ) -> None:
        self.db = db
        self.settings = settings
        self.actor = actor
        self.contact_id = contact_id
        self.device_id = device_id
        self.decisions = decisions
        self.locked = locked
        self.rows = rows  # stored entries the push names (any owner)
        self.today = today
        self.current: dict[str, dict[str, Any] | None] = {}
        self.initial: dict[str, dict[str, Any] | None] = {}
        self.initial_sheets: dict[str, set[str]] = {}
        self.last_fields: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, list[TimeEntry]] = defaultdict(list)
        self.touched: list[str] = []
        self.touched_set: set[str] = set()
        self.sheets: dict[tuple[str, str], TimesheetRow] = {}
        self.sheet_rows: dict[str, TimesheetRow] = {}
        self.counts: dict[str, int] = {}
        self.entry_sheets: dict[str, set[str]] = defaultdict(set)
        self.signed_sheets: set[str] = set()
        self.new_sheets: dict[str, TimesheetRow] = {}
        self.dropped: dict[str, TimesheetRow] = {}
        self.affected: dict[str, TimesheetRow] = {}
        self.usage: dict[str, DecisionRow] = {}
        self.audit: list[dict[str, Any]] = []
        self.scopes: dict[tuple[str, date], set[str]] = {}
        self.answers: list[_Answer] = []
        self.changes = Changes()
        self.stamp_later: _Later | None = None

    # --- reading ----------------------------------------------------------------------

    def load(self, entries: Sequence[tuple[str, EntryData | None]]) -> None:
        """Read the sheets and links the segment's entries can reach."""
        db = self.db
        ids = sorted({entry_id for entry_id, _ in entries})
        for entry_id in ids:
            row = self.rows.get(entry_id)
            if row is not None and row.contact_id == self.contact_id and not row.deleted:
                self.current[entry_id] = dict(row.fields)
            else:
                self.current[entry_id] = None
        self.initial = dict(self.current)
        keys: set[tuple[str, str]] = set()
        for _, data in entries:
            if data is not None:
                period = timesheets.pay_period(self.settings, data.date)
                keys |= {(d, period) for d in data.decision_ids}
        for fields in self.current.values():
            if fields is not None:
                period = timesheets.pay_period(self.settings, fields["date"])
                keys |= {(d, period) for d in fields["decision_ids"]}
        sheet_ids: set[str] = set()
        for chunk in _chunks(ids):
            for sheet_id, entry_id in db.execute(
                select(TimesheetEntry.timesheet_id, TimesheetEntry.entry_id).where(
                    one_of(db, TimesheetEntry.entry_id, chunk)
                )
            ):
                sheet_ids.add(sheet_id)
                self.entry_sheets[entry_id].add(sheet_id)
        found: list[Any] = []
        for chunk in _chunks(sorted(keys)):
            found += db.execute(
                _SHEET_READ.where(
                    TimesheetRow.contact_id == self.contact_id,
                    tuple_(TimesheetRow.decision_id, TimesheetRow.period).in_(chunk),
                )
            )
        self.initial_sheets = {e: set(sheets) for e, sheets in self.entry_sheets.items()}
        known = {sheet.id for sheet, _, _ in found}
        for chunk in _chunks(sorted(sheet_ids - known)):
            found += db.execute(_SHEET_READ.where(TimesheetRow.id.in_(chunk)))
        # Each sheet comes with how many entries it lists (not which: that would
        # grow with the sheet) and whether it was ever signed.
        for sheet, count, signed in found:
            self.sheet_rows[sheet.id] = sheet
            self.counts[sheet.id] = int(count)
            if signed:
                self.signed_sheets.add(sheet.id)
            if sheet.contact_id == self.contact_id:
                self.sheets[(sheet.decision_id, sheet.period)] = sheet

    # --- applying one mutation in memory ----------------------------------------------

    def _owner(self, entry_id: str) -> None:
        row = self.rows.get(entry_id)
        if row is not None and row.contact_id != self.contact_id:
            raise _RefusedError([Problem("id", NOT_OWNER, "not_owner")])

    def _before(self, entry_id: str) -> list[TimesheetRow]:
        return [self.sheet_rows[s] for s in sorted(self.entry_sheets.get(entry_id, ()))]

    def _sheet(self, decision_id: str, period: str) -> TimesheetRow:
        row = self.sheets.get((decision_id, period))
        if row is None:
            row = TimesheetRow(
                id=new_id(),
                contact_id=self.contact_id,
                decision_id=decision_id,
                period=period,
                status=TimesheetStatus.open.value,
                content_hash="",
                total_minutes=0,
                total_km=Decimal("0.0"),
                total_expenses=Decimal("0.00"),
            )
            self.sheets[(decision_id, period)] = row
            self.sheet_rows[row.id] = row
            self.counts[row.id] = 0
            self.new_sheets[row.id] = row
        return row

    def _refresh(self, row: TimesheetRow, entry_id: str, answer: _Answer) -> None:
        """timesheets.refresh, minus the totals (summed once the push is written)."""
        if (
            not self.counts[row.id]
            and row.status == TimesheetStatus.open.value
            and row.id not in self.signed_sheets
        ):
            self.changes.tombstone(contact_id=row.contact_id, kind="timesheet", object_id=row.id)
            if self.sheets.get((row.decision_id, row.period)) is row:
                del self.sheets[(row.decision_id, row.period)]
            if self.new_sheets.pop(row.id, None) is None:
                self.dropped[row.id] = row
            self.affected.pop(row.id, None)
            return
        self.affected[row.id] = row
        if row.status == TimesheetStatus.signed.value:
            signature_id = row.signature_id
            if signature_id:
                signature = self.db.get(SignatureRow, signature_id)
                if signature is not None:
                    signature.void = True
            row.signature_id = None
            row.status = TimesheetStatus.open.value
            answer.raised.append(
                raise_flag(
                    self.db,
                    self.changes,
                    kind=FlagKind.changed_after_signing,
                    scope=f"changed_after_signing:{row.id}:{signature_id}",
                    detail=(
                        f"Timelisten for {period_text(row.period)} var signert, men en økt ble "
                        "endret etterpå. Signaturen gjelder ikke lenger; timelisten må "
                        "signeres på nytt."
                    ),
                    entry_ids=[entry_id],
                    decision_id=row.decision_id,
                    contact_id=row.contact_id,
                    timesheet_id=row.id,
                    period=row.period,
                )
            )
        elif row.status == TimesheetStatus.rejected.value:
            row.status = TimesheetStatus.open.value

    def _relink(self, entry_id: str, keys: list[tuple[str, str]], answer: _Answer) -> None:
        before = self._before(entry_id)
        targets = [self._sheet(d, p) for d, p in sorted(set(keys))]
        for row in before:
            if row not in targets:
                self.counts[row.id] -= 1
        for row in targets:
            if row not in before:
                self.counts[row.id] += 1
        self.entry_sheets[entry_id] = {row.id for row in targets}
        affected = {row.id: row for row in [*before, *targets]}
        for row in affected.values():
            self._refresh(row, entry_id, answer)

    def _touch(self, entry_id: str, answer: _Answer, decision_ids: Iterable[str]) -> None:
        if entry_id not in self.touched_set:
            self.touched_set.add(entry_id)
            self.touched.append(entry_id)
        for decision_id in decision_ids:
            row = self.locked.get(decision_id)
            if row is not None:
                self.usage[decision_id] = row
        answer.entry_id = entry_id

    def _days(self, versions: Iterable[TimeEntry | None]) -> set[str]:
        """Overuse and km scopes of the periods the versions lie in (see flags)."""
        scopes: set[str] = set()
        for version in versions:
            if version is None:
                continue
            for decision_id in version.decision_ids:
                decision = self.decisions.get(decision_id)
                if decision is None:
                    continue
                key = (decision_id, version.date)
                known = self.scopes.get(key)
                if known is None:
                    known = self.scopes[key] = _period_scopes(decision, version.date)
                scopes |= known
        return scopes

    def upsert(self, answer: _Answer, data: EntryData) -> None:
        entry_id = data.id
        self._owner(entry_id)
        current = self.current.get(entry_id)
        problems = entry_problems(
            data, contact_id=self.contact_id, decisions=self.decisions, today=self.today
        )
        if problems:
            raise _RefusedError(problems)
        fields = entry_data_fields(data)
        answer.entry_id = entry_id
        if current is not None and all(current[k] == v for k, v in fields.items()):
            answer.noop_decisions = list(data.decision_ids)
            return
        period = timesheets.pay_period(self.settings, data.date)
        keys = [(decision_id, period) for decision_id in data.decision_ids]
        targets = [row for key in keys if (row := self.sheets.get(key)) is not None]
        try:
            timesheets.refuse_locked([*self._before(entry_id), *targets])
        except DomainError as error:
            raise _RefusedError(error.problems or [Problem("data", error.detail)]) from None
        old = _model(current, entry_id, self.contact_id) if current is not None else None
        new = _model(fields, entry_id, self.contact_id)
        self.versions[entry_id] += [v for v in (old, new) if v is not None]
        answer.period_scopes = self._days([old, new])
        answer.politiattest = True
        self.current[entry_id] = fields
        self.last_fields[entry_id] = fields
        self._relink(entry_id, keys, answer)
        self._touch(entry_id, answer, [*data.decision_ids, *(old.decision_ids if old else [])])
        self._audit("upsert" if current is not None else "create", entry_id)

    def delete(self, answer: _Answer, entry_id: str) -> None:
        self._owner(entry_id)
        answer.entry_id = entry_id
        current = self.current.get(entry_id)
        if current is None:
            return
        try:
            timesheets.refuse_locked(self._before(entry_id))
        except DomainError as error:
            raise _RefusedError(error.problems or [Problem("data", error.detail)]) from None
        old = _model(current, entry_id, self.contact_id)
        self.versions[entry_id].append(old)
        answer.period_scopes = self._days([old])
        self.current[entry_id] = None
        self.last_fields[entry_id] = current
        self._relink(entry_id, [], answer)
        self._touch(entry_id, answer, old.decision_ids)
        self._audit("delete", entry_id)

    def _audit(self, action: str, entry_id: str) -> None:
        self.audit.append(
            {
                "at": utcnow(),
                "user_id": self.actor.user_id,
                "role": self.actor.role.value,
                "action": action,
                "object_type": "entry",
                "object_id": entry_id,
                "detail": {"device_id": self.device_id},
            }
        )

    # --- writing ----------------------------------------------------------------------

    def write(self) -> None:
        """Store the segment, then timesheet totals and flags, each once."""
        db = self.db
        if not self.touched:
            self._answer_flags([])
            return
        self.changes.reserve(db)
        touched = self.touched
        now = utcnow()
        # SQLite has the sequence number already (Changes.reserve); PostgreSQL
        # takes it last, and the rows written here get it then (see _stamp_last).
        provisional = self.changes.seq is None
        seq = self.changes.seq or 0
        created: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for entry_id in touched:
            fields = self.last_fields[entry_id]
            deleted = self.current[entry_id] is None
            stored = self.rows.get(entry_id)
            values = {**fields, "deleted": deleted, "device_id": self.device_id}
            if stored is None:
                created.append(
                    {
                        "id": entry_id,
                        "contact_id": self.contact_id,
                        **values,
                        "created_at": now,
                        "updated_at": now,
                        "seq": seq,
                    }
                )
            else:
                changed.append({"b_id": entry_id, **values, "updated_at": now, "seq": seq})
            self.rows[entry_id] = _Stored(self.contact_id, deleted, dict(fields))
        if changed:
            db.execute(_ENTRY_UPDATE, changed)
        # Only entries stored before this push can have index rows and links.
        earlier = [c["b_id"] for c in changed]
        for chunk in _chunks(earlier):
            db.execute(delete(_INDEX).where(one_of(db, _INDEX.c.entry_id, chunk)))
            db.execute(delete(_LINKS).where(one_of(db, _LINKS.c.entry_id, chunk)))
        if self.dropped:
            dropped = sorted(self.dropped)
            db.execute(delete(_LINKS).where(_LINKS.c.timesheet_id.in_(dropped)))
            db.execute(
                delete(TimesheetRow)
                .where(TimesheetRow.id.in_(dropped))
                .execution_options(synchronize_session=False)
            )
            for gone in self.dropped.values():
                db.expunge(gone)
        for sheet in self.new_sheets.values():
            db.add(sheet)
            self.changes.touch(sheet)
        db.flush()
        index = [
            {
                "entry_id": entry_id,
                "decision_id": decision_id,
                "contact_id": self.contact_id,
                "date": now_fields["date"],
                "minutes": now_fields["minutes"],
            }
            for entry_id in touched
            if (now_fields := self.current[entry_id]) is not None
            for decision_id in now_fields["decision_ids"]
        ]
        links = [
            {"timesheet_id": sheet_id, "entry_id": entry_id}
            for entry_id in touched
            for sheet_id in sorted(self.entry_sheets.get(entry_id, ()))
            if sheet_id not in self.dropped
        ]
        deltas: usage.Deltas = {}
        for entry_id in touched:
            for version, sign in ((self.initial.get(entry_id), -1), (self.current[entry_id], 1)):
                if version is not None:
                    usage.count(
                        deltas, version["decision_ids"], version["date"], sign * version["minutes"]
                    )
        # New entries, index rows, links and audit rows, and on PostgreSQL the
        # kept day usage too: one statement there (server.db.insert_tables).
        written = [(_ENTRIES, created), (_INDEX, index), (_LINKS, links), (_AUDIT, self.audit)]
        if provisional:
            days = (_DAYS, usage.day_rows(deltas, seq))
            insert_tables(db, [days, *written], {_DAYS.name: usage.ADD_STAMPED})
        else:
            usage.apply(db, deltas, seq=seq)
            insert_tables(db, written)
        self._totals()
        findings, checked = self._findings()
        found = reconcile(db, self.changes, checked=checked, findings=findings)
        politiattest = None
        if any(answer.politiattest for answer in self.answers):
            politiattest = politiattest_flag(db, self.changes, self.contact_id)
        for decision in self.usage.values():
            self.changes.touch_usage(decision)
        if provisional:
            # PostgreSQL: stamped by the push as its last statement (_stamp_last).
            self.stamp_later = _Later(
                self.changes, list(touched), [key for key, minutes in deltas.items() if minutes]
            )
        else:
            self.changes.stamp(db)
        for answer in self.answers:
            if not answer.politiattest:
                continue
            if politiattest is not None:
                answer.raised.insert(0, politiattest)
        self._answer_flags(found)

    def _totals(self) -> None:
        """Move each touched sheet's totals by what left it and what came onto it.

        The totals mirror the sheet's entries (every writer keeps them so), so
        the difference is enough: no sheet's entries are summed again.
        """
        minutes: dict[str, int] = defaultdict(int)
        km: dict[str, Decimal] = defaultdict(Decimal)
        expenses: dict[str, Decimal] = defaultdict(Decimal)
        for entry_id in self.touched:
            for version, sheet_ids, sign in (
                (self.initial.get(entry_id), self.initial_sheets.get(entry_id, ()), -1),
                (self.current[entry_id], self.entry_sheets.get(entry_id, ()), 1),
            ):
                if version is None:
                    continue
                for sheet_id in sheet_ids:
                    minutes[sheet_id] += sign * version["minutes"]
                    km[sheet_id] += sign * version["total_km"]
                    expenses[sheet_id] += sign * version["total_expenses"]
        for sheet_id, row in self.affected.items():
            row.content_hash = timesheets.STALE
            row.total_minutes = (row.total_minutes or 0) + minutes[sheet_id]
            row.total_km = (Decimal(row.total_km or 0) + km[sheet_id]).quantize(Decimal("0.1"))
            row.total_expenses = (Decimal(row.total_expenses or 0) + expenses[sheet_id]).quantize(
                Decimal("0.01")
            )
            self.changes.touch(row)

    def _findings(self) -> tuple[list[Finding], set[str]]:
        """Every scope the segment's changes can affect, as flags.entry_findings does."""
        db = self.db
        checked: set[str] = set()
        findings: list[Finding] = []
        days_by_decision: dict[str, set[date]] = defaultdict(set)
        for versions in self.versions.values():
            for version in versions:
                for decision_id in version.decision_ids:
                    days_by_decision[decision_id].add(version.date)
        for decision_id, days in sorted(days_by_decision.items()):
            decision = self.decisions.get(decision_id)
            if decision is not None:
                scope_checked, found = period_findings(db, decision, days)
                checked |= scope_checked
                findings += found
        touched = set(self.touched)
        named = sorted(days_by_decision)
        # Open flags that list a touched entry: only those are sent (see lists_any).
        for chunk in _chunks(sorted(touched)):
            checked.update(
                db.scalars(
                    select(FlagRow.scope).where(
                        FlagRow.status == FlagStatus.open.value,
                        FlagRow.kind.in_([k.value for k in RULE_KINDS]),
                        FlagRow.decision_id.in_(named) | (FlagRow.contact_id == self.contact_id),
                        lists_any(db, FlagRow.entry_ids, chunk),
                    )
                )
            )
        # An entry still live was last given its new version (see upsert).
        live = [
            self.versions[entry_id][-1]
            for entry_id in self.touched
            if self.current[entry_id] is not None
        ]
        # Rows through the session's connection: the ORM's result handling cost
        # more per row than building the entries (everything is flushed).
        db.flush()
        connection = db.connection()
        near_days = sorted({e.date + timedelta(days=k) for e in live for k in (-1, 0, 1)})
        by_day: dict[date, list[TimeEntry]] = defaultdict(list)
        for chunk in _chunks(near_days):
            for near in connection.execute(
                select(*TIME_COLUMNS).where(
                    EntryRow.contact_id == self.contact_id,
                    one_of(db, EntryRow.date, chunk),
                    EntryRow.deleted.is_(False),
                )
            ):
                # The push's own entries are known already (as models): no second build.
                own = self.versions.get(near.id) if near.id in touched else None
                by_day[near.date].append(own[-1] if own else stored_entry(near))
        individual_ids = sorted(
            {
                d
                for e in live
                for d in e.decision_ids
                if d in self.decisions and self.decisions[d].kind is DecisionKind.individual
            }
        )
        others: dict[tuple[str, date], list[TimeEntry]] = defaultdict(list)
        if individual_ids:
            for chunk in _chunks(near_days):
                for other in connection.execute(
                    select(*TIME_COLUMNS, EntryDecision.decision_id.label("on_decision"))
                    .join(EntryDecision, EntryDecision.entry_id == EntryRow.id)
                    .where(
                        one_of(db, EntryDecision.decision_id, individual_ids),
                        one_of(db, EntryDecision.date, chunk),
                        EntryDecision.contact_id != self.contact_id,
                    )
                ):
                    others[(other.on_decision, other.date)].append(stored_entry(other))
        # Clock spans of the loaded entries, by object (they live as long as this call).
        spans: dict[int, tuple[int, int]] = {}
        for entry in live:
            for decision_id in entry.decision_ids:
                decision = self.decisions.get(decision_id)
                if decision is not None:
                    outside = outside_decision(decision_id, decision, entry)
                    if outside:
                        findings.append(outside)
            window = [entry.date + timedelta(days=k) for k in (-1, 0, 1)]
            findings += overlaps(
                entry, _near(entry, [e for day in window for e in by_day.get(day, ())], spans)
            )
            individual = [d for d in entry.decision_ids if d in individual_ids]
            findings += double_coverage(
                entry,
                individual,
                _near(
                    entry,
                    [e for d in individual for day in window for e in others.get((d, day), ())],
                    spans,
                ),
            )
        checked |= {finding.scope for finding in findings}
        return findings, checked

    def _answer_flags(self, found: list[FlagRow]) -> None:
        """Each applied entry mutation's flags, as the segment leaves them."""
        open_found = [row for row in found if row.status == FlagStatus.open.value]
        noop = [a for a in self.answers if a.noop_decisions is not None]
        around: list[FlagRow] = []
        if noop:
            named = sorted({d for a in noop for d in a.noop_decisions or ()})
            noop_ids = sorted({a.entry_id for a in noop if a.entry_id is not None})
            # Only flags an answer below can choose: listing one of the entries
            # (tested by the database, see lists_any), or the politiattest flag.
            for chunk in _chunks(noop_ids):
                around += self.db.scalars(
                    select(FlagRow).where(
                        FlagRow.status == FlagStatus.open.value,
                        FlagRow.decision_id.in_(named) | (FlagRow.contact_id == self.contact_id),
                        lists_any(self.db, FlagRow.entry_ids, chunk)
                        | (FlagRow.kind == FlagKind.missing_politiattest.value),
                    )
                )
            around = list({row.id: row for row in around}.values())
        order = {row.id: n for n, row in enumerate(open_found)}
        by_scope = {row.scope: row for row in open_found}
        by_entry: dict[str, list[FlagRow]] = defaultdict(list)
        for row in open_found:
            if row.kind in _RULE_VALUES:
                for listed in set(row.entry_ids):
                    by_entry[listed].append(row)
        for answer in self.answers:
            if answer.status != "applied" or answer.entry_id is None:
                continue
            entry_id = answer.entry_id
            if answer.noop_decisions is not None:
                chosen = [
                    row
                    for row in around
                    if (
                        (row.decision_id in answer.noop_decisions)
                        or row.contact_id == self.contact_id
                    )
                    and (
                        entry_id in row.entry_ids or row.kind == FlagKind.missing_politiattest.value
                    )
                ]
            else:
                # Looked up by scope and by entry (a scan per answer would make a
                # push of n mutations cost n x flags), kept in reconcile's order.
                picked = {
                    order[flag.id]: flag
                    for scope in answer.period_scopes
                    if (flag := by_scope.get(scope)) is not None
                }
                picked |= {order[flag.id]: flag for flag in by_entry.get(entry_id, ())}
                chosen = [picked[n] for n in sorted(picked)]
                seen = {row.id for row in chosen}
                for row in answer.raised:
                    if row.status == FlagStatus.open.value and row.id not in seen:
                        chosen.append(row)
                        seen.add(row.id)
            answer.flag_rows = [r for r in chosen if r.kind != FlagKind.feedback.value]


# What a contact reads of a flag that also concerns someone else's entries:
# the other contact's dates, times, totals and ids are theirs (docs/rules.md
# §10); the coordinator sees the full text.
_SHARED_DETAIL = {
    FlagKind.double_coverage.value: (
        "En annen støttekontakt har ført tid som overlapper med denne økten på samme "
        "vedtak. Koordinator følger det opp."
    ),
    FlagKind.overuse.value: (
        "Timene på vedtaket er brukt opp denne perioden, også av andre støttekontakter. "
        "Koordinator følger det opp."
    ),
    FlagKind.km_over_allowance.value: (
        "Kjøringen på vedtaket er over det som er tillatt denne måneden, også andre "
        "støttekontakters. Koordinator følger det opp."
    ),
    FlagKind.outside_decision.value: (
        "En økt på vedtaket ligger utenfor vedtakets gyldighet. Koordinator følger det opp."
    ),
}
_SHARED_FALLBACK = "Koordinator følger opp et avvik på vedtaket."


def flags_for_contact(
    db: Session, contact_id: str, rows: list[FlagRow], known_own: Set[str] = frozenset()
) -> list[FlagPublic]:
    """Flags as a contact may see them: only their own entries, no one else's data.

    `known_own`: entries the caller knows are the contact's (a push's own);
    only the others are looked up, and often none are left to look up.
    """
    listed = sorted({entry_id for row in rows for entry_id in row.entry_ids} - known_own)
    own = set(known_own)
    if listed:
        own |= set(
            db.scalars(
                select(EntryRow.id).where(
                    one_of(db, EntryRow.id, listed), EntryRow.contact_id == contact_id
                )
            )
        )
    result = []
    for row in rows:
        public = flag_public(row)
        foreign_contact = row.contact_id is not None and row.contact_id != contact_id
        if foreign_contact or any(entry_id not in own for entry_id in row.entry_ids):
            public = public.model_copy(
                update={
                    "entry_ids": [e for e in row.entry_ids if e in own],
                    "detail": _SHARED_DETAIL.get(row.kind, _SHARED_FALLBACK),
                    "contact_id": None if foreign_contact else row.contact_id,
                }
            )
        result.append(public)
    return result


def _clock_span(entry: TimeEntry) -> tuple[int, int]:
    """Start and end in minutes on a naive local clock (no time zone)."""
    start = entry.date.toordinal() * 1440 + int(entry.start[:2]) * 60 + int(entry.start[3:5])
    end = entry.date.toordinal() * 1440 + int(entry.end[:2]) * 60 + int(entry.end[3:5])
    if ends_next_day(entry.start, entry.end):
        end += 1440
    return start, end


# A daylight-saving change moves a local clock by an hour; two hours of slack
# keeps every pair the rules (on real instants) could find.
_SLACK = 120


def _near(
    entry: TimeEntry, others: list[TimeEntry], spans: dict[int, tuple[int, int]]
) -> list[TimeEntry]:
    """The `others` whose clock times come within two hours of the entry's.

    The overlap rules in models.flags compare real instants, which costs a
    time-zone conversion per pair; a push of many entries on the same days
    would spend most of its time there. Only pairs this cheap test keeps can
    overlap, so the rules see every candidate and decide as before.
    """
    start, end = _clock_span(entry)
    kept = []
    for other in others:
        span = spans.get(id(other))
        if span is None:
            span = spans[id(other)] = _clock_span(other)
        other_start, other_end = span
        if other_start < end + _SLACK and start < other_end + _SLACK:
            kept.append(other)
    return kept


_RULE_VALUES = {kind.value for kind in RULE_KINDS}


def _period_scopes(decision: Decision, day: date) -> set[str]:
    scopes = set()
    period = period_containing(decision, day)
    if period is not None:
        scopes.add(overuse_scope(decision.id, period.key))
    if decision.km_per_month is not None:
        scopes.add(km_scope(decision.id, f"{day:%Y-%m}"))
    return scopes


NOT_OWNER = "Økten tilhører en annen støttekontakt."


def politiattest_flag(db: Session, changes: Changes, contact_id: str) -> FlagRow | None:
    """The contact's missing-politiattest flag, opened when none is registered."""
    contact = db.get(ContactRow, contact_id)
    if contact is None or contact.politiattest_date is not None:
        return None
    return raise_flag(
        db,
        changes,
        kind=FlagKind.missing_politiattest,
        scope=f"missing_politiattest:{contact_id}",
        detail="Støttekontakten har ingen politiattest registrert.",
        contact_id=contact_id,
    )


class _RefusedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("refused")
        self.problems = problems


def _parse(model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _RefusedError(validation_problems(error)) from None


def _unknown_type() -> _RefusedError:
    return _RefusedError(
        [Problem("type", "Ukjent type; bruk entry.upsert, entry.delete eller timesheet.sign.")]
    )


def _lock(
    db: Session, contact_id: str, parsed: Sequence[Any]
) -> tuple[dict[str, _Stored], dict[str, DecisionRow]]:
    """The entries the push names, and every decision it can touch, locked in id order.

    On PostgreSQL the entries are read again once the locks are held: another
    push may have moved one to a decision not locked yet. Locking that one
    then, after the others, could take two locks against the id order every
    other writer keeps, and two pushes could wait on each other until
    PostgreSQL breaks the deadlock (a second later). So when a decision to add
    sorts before one already held, every lock is let go (the transaction is
    rolled back: this is the push's first lock and nothing is written yet) and
    all of them are taken again in one sorted round. Adding only decisions
    that sort after every held one keeps the order and needs no rollback.
    """
    entry_ids = sorted({item.id for item in parsed if isinstance(item, (EntryData, EntryDelete))})
    wanted = {d for item in parsed if isinstance(item, EntryData) for d in item.decision_ids}
    wanted |= {item.decision_id for item in parsed if isinstance(item, SignatureCreate)}

    def needed(rows: dict[str, _Stored]) -> set[str]:
        return wanted | {
            d
            for row in rows.values()
            if row.contact_id == contact_id
            for d in row.fields["decision_ids"]
        }

    locked: dict[str, DecisionRow] = {}
    tried: set[str] = set()
    if reread_after_lock(db):
        # The first round locks what the mutations name and what the stored
        # entries name in one statement; the entries are then read under the
        # locks, and the loop below adds what changed in between.
        if wanted or entry_ids:
            locked = lock_decisions_and_entries(db, wanted, entry_ids, contact_id)
            tried = wanted | set(locked)
        rows = _entries(db, entry_ids)
    else:
        rows = _entries(db, entry_ids)
    while True:
        missing = needed(rows) - tried
        if not missing:
            break
        if tried and min(missing) < max(tried):
            db.rollback()
            locked = {}
            missing |= tried
        tried |= missing
        locked.update(lock_decisions(db, missing))
        if not reread_after_lock(db):
            break
        rows = _entries(db, entry_ids)
    return rows, locked


_ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
_INDEX: Table = EntryDecision.__table__  # type: ignore[assignment]
_LINKS: Table = TimesheetEntry.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
_RECEIPTS: Table = DeviceMutation.__table__  # type: ignore[assignment]
_DAYS: Table = DecisionDayUsage.__table__  # type: ignore[assignment]
# Written with Core statements: the ORM's unit of work and bulk paths cost more
# per row than everything else a push does.
_ENTRY_UPDATE = (
    update(_ENTRIES)
    .where(_ENTRIES.c.id == bindparam("b_id"))
    .values(
        {
            name: bindparam(name)
            for name in (*ENTRY_FIELDS, "deleted", "device_id", "updated_at", "seq")
        }
    )
)
_ENTRY_READ = select(
    _ENTRIES.c.id, _ENTRIES.c.contact_id, _ENTRIES.c.deleted, *(_ENTRIES.c[n] for n in ENTRY_FIELDS)
)


def _entries(db: Session, ids: Sequence[str]) -> dict[str, _Stored]:
    """The stored entries among `ids`, read as columns (no ORM objects to keep in step)."""
    result: dict[str, _Stored] = {}
    for chunk in _chunks(ids):
        for row in db.execute(_ENTRY_READ.where(one_of(db, _ENTRIES.c.id, chunk))):
            result[row.id] = _Stored(
                row.contact_id, bool(row.deleted), {n: row._mapping[n] for n in ENTRY_FIELDS}
            )
    return result


def receipts_query(
    db: Session, user_id: str, device_id: str, ids: Sequence[int]
) -> Select[DeviceMutation]:
    """The device's receipts among the sorted mutation `ids`."""
    return select(DeviceMutation).where(
        DeviceMutation.user_id == user_id,
        DeviceMutation.device_id == device_id,
        # The range bounds the index scan to the push's ids whatever the planner
        # knows: without statistics (a new or bulk-filled table, before
        # autovacuum's first ANALYZE) PostgreSQL applied the list below as a
        # filter over every receipt of the device, comparing each with every id
        # of the push (61 ms of a 500-entry push's database CPU at 5,000
        # receipts, growing with the device's history).
        DeviceMutation.mutation_id >= ids[0],
        DeviceMutation.mutation_id <= ids[-1],
        one_of(db, DeviceMutation.mutation_id, ids),
    )


def _receipts(
    db: Session, actor: Actor, device_id: str, mutations: Sequence[Mutation]
) -> dict[int, DeviceMutation]:
    receipts: dict[int, DeviceMutation] = {}
    for chunk in _chunks(sorted({m.mutation_id for m in mutations})):
        for receipt in db.scalars(receipts_query(db, actor.user_id, device_id, chunk)):
            receipts[receipt.mutation_id] = receipt
    return receipts


@dataclass
class _Later:
    """What a segment wrote on PostgreSQL, to be given the push's sequence number last."""

    changes: Changes
    entry_ids: list[str]
    days: list[tuple[str, date]]


def _stamp_last(db: Session, later: Sequence[_Later], receipts: Sequence[dict[str, Any]]) -> None:
    """Take the change sequence number and stamp what the push wrote, in one statement.

    The number's row stays locked until the commit, so every push of every
    worker waits for it in turn (that keeps pull cursors gap-free). Everything
    else is written before it: between taking the number and the commit there
    is this one round trip and nothing for Python to do, so a busy worker (a
    thread waiting for the interpreter or for a core) cannot make the other
    pushes queue behind it. Rows the session holds get the number as their
    stored value, so the commit flushes nothing more. The push's `receipts`
    are inserted by the same statement (a round trip fewer; they carry no
    number).
    """
    db.flush()
    rows: dict[Table, dict[str, Any]] = defaultdict(dict)
    for item in later:
        for row in item.changes.rows:
            rows[row.__table__][row.id] = row
    used = {d.id: d for item in later for d in item.changes.usage.values()}
    if any(table.name == "decisions" for table in rows) and used:
        # One sub-statement per table: a decision both changed and used is
        # rare (not on this path today); stamp it the long way.
        for item in later:
            _stamp_each(db, item)
        insert_rows(db, _RECEIPTS, receipts)
        return
    entry_ids = sorted({e for item in later for e in item.entry_ids})
    days = sorted({key for item in later for key in item.days})
    tombstones = [t for item in later for t in item.changes.tombstones]
    now = utcnow()
    parts = ["s AS (UPDATE change_sequence SET value = value + 1 WHERE id = 1 RETURNING value)"]
    params: dict[str, Any] = {"now": now}
    if entry_ids:
        parts.append(
            "e AS (UPDATE entries SET seq = (SELECT value FROM s) "
            "WHERE id = ANY(CAST(%(entry_ids)b AS varchar[])))"
        )
        params["entry_ids"] = entry_ids
    if days:
        parts.append(
            "u AS (UPDATE decision_day_usage AS kept SET seq = (SELECT value FROM s) "
            "FROM unnest(CAST(%(day_decisions)b AS varchar[]), CAST(%(day_dates)b AS date[])) "
            "AS moved(decision_id, day) "
            "WHERE kept.decision_id = moved.decision_id AND kept.date = moved.day)"
        )
        params["day_decisions"] = [d for d, _ in days]
        params["day_dates"] = [day for _, day in days]
    if used:
        parts.append(
            "d AS (UPDATE decisions SET usage_seq = (SELECT value FROM s) "
            "WHERE id = ANY(CAST(%(used)b AS varchar[])))"
        )
        params["used"] = sorted(used)
    for n, (table, by_id) in enumerate(sorted(rows.items(), key=lambda item: item[0].name)):
        stamp = "seq = (SELECT value FROM s)"
        if "updated_at" in table.c:
            stamp += ", updated_at = %(now)s"
        # Table names from the metadata, never from a request; values are bound.
        parts.append(
            f"r{n} AS (UPDATE {table.name} SET {stamp} "  # noqa: S608
            f"WHERE id = ANY(CAST(%(ids{n})b AS varchar[])))"
        )
        params[f"ids{n}"] = sorted(by_id)
    if tombstones:
        parts.append(
            "t AS (INSERT INTO tombstones (seq, contact_id, kind, object_id) "
            "SELECT (SELECT value FROM s), gone.contact_id, gone.kind, gone.object_id "
            "FROM unnest(CAST(%(t_contacts)b AS varchar[]), CAST(%(t_kinds)b AS varchar[]), "
            "CAST(%(t_objects)b AS varchar[])) AS gone(contact_id, kind, object_id))"
        )
        params["t_contacts"] = [c for c, _, _ in tombstones]
        params["t_kinds"] = [k for _, k, _ in tombstones]
        params["t_objects"] = [o for _, _, o in tombstones]
    if receipts:
        parts.append(
            f"rc AS ({unnest_insert(db.get_bind().dialect, _RECEIPTS, receipts, 'rc', params)})"
        )
    # Placeholders as psycopg reads them: %(name)b sends an array in binary.
    statement = f"WITH {', '.join(parts)} SELECT value FROM s"  # noqa: S608
    seq = int(db.connection().exec_driver_sql(statement, params).scalar_one())
    for by_id in rows.values():
        for row in by_id.values():
            set_committed_value(row, "seq", seq)
            if "updated_at" in row.__table__.c:
                set_committed_value(row, "updated_at", now)
    for decision in used.values():
        set_committed_value(decision, "usage_seq", seq)


def _stamp_each(db: Session, item: _Later) -> None:
    """_stamp_last the long way: a statement per kind of row."""
    stamped = item.changes.stamp(db)
    stamped = stamped if stamped is not None else next_seq(db)
    for chunk in _chunks(item.entry_ids):
        db.execute(update(_ENTRIES).where(_ENTRIES.c.id.in_(chunk)).values(seq=stamped))
    usage.stamp(db, item.days, stamped)


def _sign(
    db: Session, *, actor: Actor, device_id: str, answer: _Answer, data: SignatureCreate
) -> None:
    """A signature, in a savepoint of its own (a refusal undoes only it)."""
    savepoint = db.begin_nested()
    try:
        changes = Changes()
        signed = timesheets.sign(db, changes, actor=actor, data=data, device_id=device_id)
        changes.stamp(db)
    except DomainError as error:
        savepoint.rollback()
        answer.status = "rejected"
        answer.errors = _errors(error.problems or [Problem("data", error.detail)])
        return
    savepoint.commit()
    answer.flag_rows = [row for row in signed.flags if row.kind != FlagKind.feedback.value]


def push(
    db: Session, *, settings: Settings, actor: Actor, request: PushRequest, record: bool = True
) -> PushResponse:
    """Apply the push in one transaction and commit it; see the module text.

    `record`: keep the device's report (services.devices) in the same
    transaction. Database errors propagate (the caller rolls back).
    """
    contact_id = actor.contact_id
    if contact_id is None:
        raise ForbiddenError("Bare støttekontakter kan føre timer.")
    device_id = request.device_id
    mutations = request.mutations
    parsed: list[Any] = []
    for mutation in mutations:
        try:
            if mutation.type == "entry.upsert":
                parsed.append(_parse(EntryData, mutation.data))
            elif mutation.type == "entry.delete":
                parsed.append(_parse(EntryDelete, mutation.data))
            elif mutation.type == "timesheet.sign":
                parsed.append(_parse(SignatureCreate, mutation.data))
            else:
                parsed.append(_unknown_type())
        except _RefusedError as refused:
            parsed.append(refused)

    rows, locked = _lock(db, contact_id, parsed)
    decisions = decision_models(db, locked.values())
    # Read after the locks: a retry of mutations another request just
    # committed finds their receipts and is answered `duplicate`.
    receipts = _receipts(db, actor, device_id, mutations)
    today = today_in_oslo()
    answers = [_Answer(mutation) for mutation in mutations]
    first: dict[int, _Answer] = {}
    pending: list[tuple[_Answer, Any]] = []
    later: list[_Later] = []

    def run_segment() -> None:
        if not pending:
            return
        part = _Segment(
            db,
            settings=settings,
            actor=actor,
            contact_id=contact_id,
            device_id=device_id,
            decisions=decisions,
            locked=locked,
            rows=rows,
            today=today,
        )
        part.load(
            [
                (item.id, item if isinstance(item, EntryData) else None)
                for _, item in pending
                if isinstance(item, (EntryData, EntryDelete))
            ]
        )
        for answer, item in pending:
            try:
                if isinstance(item, _RefusedError):
                    raise item
                if isinstance(item, EntryData):
                    part.upsert(answer, item)
                else:
                    part.delete(answer, item.id)
            except _RefusedError as refused:
                answer.status = "rejected"
                answer.errors = _errors(refused.problems)
            part.answers.append(answer)
        part.write()
        if part.stamp_later is not None:
            later.append(part.stamp_later)
        pending.clear()

    for answer, item in zip(answers, parsed, strict=True):
        mutation_id = answer.mutation.mutation_id
        receipt = receipts.get(mutation_id)
        if receipt is not None:
            answer.receipt = False
            if receipt.status == "rejected":
                answer.status = "rejected"
                answer.errors = [FieldError(**error) for error in receipt.errors or []]
            else:
                answer.status = "duplicate"
            continue
        if mutation_id in first:
            answer.receipt = False
            answer.copy_of = first[mutation_id]
            continue
        first[mutation_id] = answer
        if isinstance(item, SignatureCreate):
            run_segment()
            _sign(db, actor=actor, device_id=device_id, answer=answer, data=item)
        else:
            pending.append((answer, item))
    run_segment()

    now = utcnow()
    stored = [
        {
            "user_id": actor.user_id,
            "device_id": device_id,
            "mutation_id": answer.mutation.mutation_id,
            "type": answer.mutation.type[:40],
            "status": answer.status,
            "errors": (
                [error.model_dump() for error in answer.errors]
                if answer.status == "rejected"
                else None
            ),
            "created_at": now,
        }
        for answer in answers
        if answer.receipt
    ]
    all_flags = {row.id: row for answer in answers for row in answer.flag_rows}
    # The contact's own entries among those the push named: the stored ones
    # read under the locks, and every one it applied a change to (a change to
    # another contact's entry is refused).
    own_entries = {entry_id for entry_id, row in rows.items() if row.contact_id == contact_id}
    own_entries |= {
        answer.entry_id
        for answer in answers
        if answer.status == "applied" and answer.entry_id is not None
    }
    public = dict(
        zip(
            all_flags,
            flags_for_contact(db, contact_id, list(all_flags.values()), own_entries),
            strict=True,
        )
    )
    if record:
        devices.record(db, actor=actor, device_id=device_id, report=request.device, commit=False)
    if later:
        _stamp_last(db, later, stored)
    else:
        insert_rows(db, _RECEIPTS, stored)
    db.commit()
    results = []
    for answer in answers:
        source = answer.copy_of
        if source is not None:
            if source.status == "rejected":
                answer.status, answer.errors = "rejected", list(source.errors)
            else:
                answer.status = "duplicate"
        results.append(
            MutationResult(
                mutation_id=answer.mutation.mutation_id,
                status=answer.status,
                errors=answer.errors,
                flags=[public[row.id] for row in answer.flag_rows]
                if answer.status == "applied"
                else [],
            )
        )
    return PushResponse(results=results)
