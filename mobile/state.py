"""The app's state: observable dataclasses that hold data, never controls.

Views read these and call their methods; nothing here touches a page, the
network or the disk, so every class is tested without a browser
(tests/mobile). The rules come from models/: validation messages through
`models.messages.validation_problems`, hard errors through `models.rules`
(via the store), quota periods through `models.quota`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import flet as ft
from pydantic import ValidationError

from mobile import fmt
from mobile.i18n import DEFAULT_LANGUAGE, tr
from models.clock import (
    LONG_SESSION_MINUTES,
    OSLO,
    duration_minutes,
    ends_next_day,
    today_in_oslo,
)
from models.flags import spans_overlap
from models.lifecycle import EXPIRING_DAYS, expires_soon
from models.messages import validation_problems
from models.payperiod import pay_period_of
from models.quota import PeriodUsage, over_minutes, remaining_minutes
from models.rules import Problem
from models.schemas import (
    SIGNATURE_MAX_POINTS,
    SIGNATURE_MAX_STROKES,
    SIGNATURE_MIN_POINTS,
    Decision,
    DecisionKind,
    EntryData,
    FlagPublic,
    Point,
    RecipientForContact,
    SignatureCreate,
    SignerRole,
    TimesheetPublic,
    TimesheetStatus,
)
from models.timesheets import CLOSED_TO_CONTACT, sheet_entries, sheet_status
from sync.client import SyncState, SyncStatus
from sync.store import EntryState, LocalEntry, LocalSignature

NEAR_SHARE = Decimal("0.8")  # a meter turns amber at 80 % of the quota


def typed(obj: object, name: str, value: str) -> None:
    """Record what the user typed without re-rendering the form.

    A re-render per keystroke would send the field's value back to the
    client while the user is still typing, and fast typing would lose
    letters. Changes made by the app itself (buttons that fill a field)
    go through normal assignment and do re-render.
    """
    object.__setattr__(obj, name, value)


# --- what the store holds, read in one go ------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything the screens show, read from the device store in one thread hop."""

    decisions: tuple[Decision, ...] = ()
    recipients: dict[str, RecipientForContact] = field(default_factory=dict)
    usage: dict[str, tuple[PeriodUsage, ...]] = field(default_factory=dict)
    entries: tuple[LocalEntry, ...] = ()  # newest first
    timesheets: tuple[TimesheetPublic, ...] = ()
    flags: tuple[FlagPublic, ...] = ()
    signatures: tuple[LocalSignature, ...] = ()
    rejected: tuple[LocalEntry, ...] = ()
    pending: int = 0
    attention: int = 0
    contact_id: str | None = None
    cutoff_day: int | None = None

    def decision(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == decision_id), None)

    def name_of(self, decision_id: str) -> str:
        decision = self.decision(decision_id)
        if decision is None:
            return "?"
        recipient = self.recipients.get(decision.recipient_id)
        return recipient.display_name if recipient else "?"

    def entry(self, entry_id: str) -> LocalEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def timesheet(self, decision_id: str, period: str) -> TimesheetPublic | None:
        return next(
            (t for t in self.timesheets if t.decision_id == decision_id and t.period == period),
            None,
        )

    def open_flags(self) -> list[FlagPublic]:
        return [f for f in self.flags if f.status == "open"]

    def message_count(self) -> int:
        sheets = [t for t in self.timesheets if t.status is TimesheetStatus.rejected]
        refused = [s for s in self.signatures if s.state is EntryState.rejected]
        return len(self.rejected) + len(sheets) + len(refused) + len(self.open_flags())


# --- quota meters on the home screen -----------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """Used against awarded hours in the current quota period."""

    used_minutes: int
    quota_minutes: int
    period_key: str
    level: str  # "ok" | "near" | "over"

    @property
    def left_minutes(self) -> int:
        return remaining_minutes(self.quota_minutes, self.used_minutes)

    @property
    def over_minutes(self) -> int:
        return over_minutes(self.quota_minutes, self.used_minutes)

    @property
    def share(self) -> float:
        if self.quota_minutes <= 0:
            return 1.0
        return min(1.0, self.used_minutes / self.quota_minutes)

    def used_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return tr(
            "used_of",
            lang,
            used=fmt.hours(self.used_minutes, lang),
            quota=fmt.hours(self.quota_minutes, lang),
        )

    def left_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.over_minutes:
            return tr("over_by", lang, over=fmt.hours(self.over_minutes, lang))
        return tr("left", lang, left=fmt.hours(self.left_minutes, lang))


def meter_level(used: int, quota: int) -> str:
    if used > quota:
        return "over"
    if quota <= 0 or Decimal(used) >= NEAR_SHARE * quota:
        return "near"
    return "ok"


def current_meter(usage: Sequence[PeriodUsage], today: date) -> Meter | None:
    """The meter of the quota period that contains `today`, or None outside the vedtak."""
    for item in usage:
        if item.period.contains(today):
            return Meter(
                used_minutes=item.used_minutes,
                quota_minutes=item.period.quota_minutes,
                period_key=item.period.key,
                level=meter_level(item.used_minutes, item.period.quota_minutes),
            )
    return None


@dataclass(frozen=True)
class PersonCard:
    """One vedtak on the home screen: who, what kind, and its meter."""

    decision_id: str
    name: str
    case_no: str
    kind: DecisionKind
    group_id: str | None
    meter: Meter | None
    # The vedtak's last day, when it is that close (models.lifecycle), else None.
    expires_on: date | None = None

    def expiry_text(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        if self.expires_on is None:
            return None
        return tr("expires_on", lang, day=fmt.day(self.expires_on, lang))

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What a screen reader says for the card (and what the browser tests find)."""
        parts = [self.name]
        if self.kind is DecisionKind.group:
            parts.append(tr("group", lang))
        if self.meter is None:
            parts.append(tr("not_valid_today", lang))
        else:
            parts.append(self.meter.used_text(lang))
            parts.append(self.meter.left_text(lang))
        expiry = self.expiry_text(lang)
        if expiry:
            parts.append(expiry)
        return ", ".join(parts)


def person_cards(snapshot: Snapshot, today: date | None = None) -> list[PersonCard]:
    """Cards for every assigned vedtak, by name."""
    today = today or today_in_oslo()
    cards = []
    for decision in snapshot.decisions:
        recipient = snapshot.recipients.get(decision.recipient_id)
        cards.append(
            PersonCard(
                decision_id=decision.id,
                name=recipient.display_name if recipient else "?",
                case_no=recipient.case_no if recipient else "",
                kind=decision.kind,
                group_id=decision.group_id,
                meter=current_meter(snapshot.usage.get(decision.id, ()), today),
                expires_on=decision.valid_to
                if expires_soon(decision.valid_to, today, EXPIRING_DAYS)
                else None,
            )
        )
    return sorted(cards, key=lambda card: (card.name.lower(), card.decision_id))


# --- the sync chip -------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    """The sync chip: a short label and a tone ("ok", "busy", "warn", "error")."""

    label: str
    tone: str


def sync_chip(status: SyncStatus | None, lang: str = DEFAULT_LANGUAGE) -> Chip:
    if status is None:
        return Chip(tr("sync_syncing", lang), "busy")
    state = status.state
    if state is SyncState.login:
        return Chip(tr("sync_login", lang), "error")
    if state is SyncState.attention:
        return Chip(tr("sync_attention", lang), "error")
    if state is SyncState.offline:
        if status.waiting:
            return Chip(tr("sync_offline_waiting", lang, n=status.waiting), "warn")
        if status.last_synced_at is not None:
            # Nothing waits: say when the phone last reached the server.
            when = fmt.last_contact(status.last_synced_at, lang)
            return Chip(tr("sync_offline_since", lang, when=when), "warn")
        return Chip(tr("sync_offline", lang), "warn")
    if status.waiting:
        return Chip(tr("sync_waiting", lang, n=status.waiting), "busy")
    if state is SyncState.syncing:
        return Chip(tr("sync_syncing", lang), "busy")
    return Chip(tr("sync_synced", lang), "ok")


_EN_STATUS = {
    SyncState.synced: "Everything is synced.",
    SyncState.syncing: "Syncing …",
    SyncState.offline: "Offline. Everything is kept on the phone and sent later.",
    SyncState.waiting: "Changes are waiting to be sent.",
    SyncState.attention: "The service refused something: see Messages.",
    SyncState.login: "Sign in again to send the changes. Nothing is deleted.",
}


def sync_message(status: SyncStatus | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The sync details' sentence: sync/'s own bokmål, or its English counterpart."""
    if status is None:
        return ""
    if lang == "en":
        return _EN_STATUS[status.state]
    return status.message


# --- the root state ------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInfo:
    """Who is signed in (no password, no token: those stay in the device store)."""

    server_url: str
    username: str
    role: str


@ft.observable
@dataclass
class AppState:
    """One per app session (one per browser tab in web mode)."""

    lang: str = DEFAULT_LANGUAGE
    phase: str = "starting"  # "starting" | "login" | "ready"
    account: AccountInfo | None = None
    snapshot: Snapshot = field(default_factory=Snapshot)
    sync: SyncStatus | None = None
    timer_started: datetime | None = None  # a running start/stop timer, UTC
    notice: str | None = None  # a short confirmation shown once (snack bar)
    notice_serial: int = 0

    @property
    def is_contact(self) -> bool:
        return self.account is not None and self.account.role == "contact"

    def signed_in(self, account: AccountInfo) -> None:
        self.account = account
        self.phase = "ready"

    def signed_out(self) -> None:
        self.account = None
        self.snapshot = Snapshot()
        self.sync = None
        self.timer_started = None
        self.phase = "login"

    def show(self, text: str) -> None:
        self.notice = text
        self.notice_serial += 1

    def chip(self) -> Chip:
        return sync_chip(self.sync, self.lang)


# --- the login form ------------------------------------------------------------------------


@ft.observable
@dataclass
class LoginForm:
    server_url: str = ""
    username: str = ""
    password: str = ""
    error: str | None = None
    busy: bool = False

    def problem(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """Why the form cannot be sent yet, or None."""
        if not (self.server_url.strip() and self.username.strip() and self.password):
            return tr("fill_all", lang)
        if not self.server_url.strip().lower().startswith(("http://", "https://")):
            return tr("bad_server", lang)
        return None


# --- the entry sheet -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Who a session can be logged for: one individual vedtak, or a group."""

    key: str  # "d:<decision id>" or "g:<group id>"
    label: str
    decision_ids: tuple[str, ...]
    is_group: bool


def targets(snapshot: Snapshot, lang: str = DEFAULT_LANGUAGE) -> list[Target]:
    """Individual vedtak one by one; group vedtak gathered by their group id."""
    singles: list[Target] = []
    groups: dict[str, list[str]] = {}
    for decision in snapshot.decisions:
        if decision.kind is DecisionKind.group and decision.group_id:
            groups.setdefault(decision.group_id, []).append(decision.id)
        else:
            singles.append(
                Target(f"d:{decision.id}", snapshot.name_of(decision.id), (decision.id,), False)
            )
    grouped = []
    for group_id, ids in groups.items():
        names = sorted(snapshot.name_of(i) for i in ids)
        label = f"{tr('group', lang).capitalize()}: {', '.join(names)}"
        ids_by_name = tuple(sorted(ids, key=snapshot.name_of))
        grouped.append(Target(f"g:{group_id}", label, ids_by_name, True))
    singles.sort(key=lambda t: t.label.lower())
    return singles + grouped


@ft.observable
@dataclass
class TripDraft:
    km: str = ""
    from_: str = ""
    to: str = ""
    purpose: str = ""


@ft.observable
@dataclass
class ExpenseDraft:
    amount: str = ""
    category: str = "Annet"


def _clock_now(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(OSLO)
    return f"{moment:%H:%M}"


@ft.observable
@dataclass
class WhenHint:
    """The line under 'Fra'/'Til' that says a session ends the next day, as it is typed.

    Its own observable, so that typing re-renders only this line and never
    sends the text fields' values back while the user types.
    """

    text: str = ""

    def follow(self, day_text: str, start_text: str, end_text: str, lang: str) -> None:
        text = when_text(day_text, start_text, end_text, lang)
        if text != self.text:
            self.text = text


def when_text(day_text: str, start_text: str, end_text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """'16:00 til 15:00 neste dag · 23 t' when the end is on the next day, else ''."""
    start, end = fmt.parse_clock(start_text), fmt.parse_clock(end_text)
    if start is None or end is None or start == end or not ends_next_day(start, end):
        return ""
    day = fmt.parse_day(day_text) or today_in_oslo()
    length = fmt.duration(duration_minutes(day, start, end), lang)
    return tr("when_next_day", lang, start=start, end=end, length=length)


@ft.observable
@dataclass
class EntryDraft:
    """The 'log a session' form as the contact fills it in, as text."""

    entry_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    is_new: bool = True
    target: str = ""  # Target.key
    present: list[str] = field(default_factory=list)  # for a group: decisions present
    date_text: str = ""
    start_text: str = ""
    end_text: str = ""
    activities: list[str] = field(default_factory=list)
    other_activity: str = ""
    note: str = ""
    trips: list[TripDraft] = field(default_factory=list)
    expenses: list[ExpenseDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False
    when: WhenHint = field(default_factory=WhenHint)

    # building ----------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        *,
        today: date | None = None,
        target: Target | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> EntryDraft:
        draft = cls(date_text=fmt.day(today or today_in_oslo(), lang))
        if target is not None:
            draft.choose(target)
        return draft

    @classmethod
    def from_entry(
        cls, entry: EntryData, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE
    ) -> EntryDraft:
        ids = set(entry.decision_ids)
        target = next((t for t in options if ids <= set(t.decision_ids)), None)
        return cls(
            entry_id=entry.id,
            is_new=False,
            target=target.key if target else "",
            present=list(entry.decision_ids),
            date_text=fmt.day(entry.date, lang),
            start_text=entry.start,
            end_text=entry.end,
            activities=list(entry.activities),
            note=entry.note or "",
            trips=[
                TripDraft(
                    km=fmt.number(t.km, lang, places=1),
                    from_=t.from_,
                    to=t.to,
                    purpose=t.purpose,
                )
                for t in entry.trips
            ],
            expenses=[
                ExpenseDraft(amount=fmt.number(x.amount, lang, trim=False), category=x.category)
                for x in entry.expenses
            ],
        )

    # editing ---------------------------------------------------------------------------

    def choose(self, target: Target) -> None:
        self.target = target.key
        self.present = list(target.decision_ids)
        self.errors.pop("decision_ids", None)

    def toggle_present(self, decision_id: str) -> None:
        if decision_id in self.present:
            self.present.remove(decision_id)
        else:
            self.present.append(decision_id)

    def toggle_activity(self, activity: str) -> None:
        if activity in self.activities:
            self.activities.remove(activity)
        else:
            self.activities.append(activity)

    def add_trip(self) -> None:
        self.trips.append(TripDraft())

    def remove_trip(self, index: int) -> None:
        if 0 <= index < len(self.trips):
            del self.trips[index]
            self.errors = {}

    def add_expense(self) -> None:
        self.expenses.append(ExpenseDraft())

    def remove_expense(self, index: int) -> None:
        if 0 <= index < len(self.expenses):
            del self.expenses[index]
            self.errors = {}

    def set_day(self, day: date, lang: str = DEFAULT_LANGUAGE) -> None:
        self.date_text = fmt.day(day, lang)

    def start_timer(self, now: datetime | None = None) -> datetime:
        """Start a session now: fills 'from' and leaves 'to' for `stop_timer`."""
        moment = now or datetime.now(UTC)
        local = moment.astimezone(OSLO)
        self.date_text = fmt.day(local.date())
        self.start_text = _clock_now(moment)
        self.end_text = ""
        return moment

    def stop_timer(self, started: datetime, now: datetime | None = None) -> None:
        """Stop the running session: 'from' is when it started, 'to' is now."""
        self.date_text = fmt.day(started.astimezone(OSLO).date())
        self.start_text = _clock_now(started)
        self.end_text = _clock_now(now)

    # checking ---------------------------------------------------------------------------

    def decision_ids(self, options: Sequence[Target]) -> list[str]:
        target = next((t for t in options if t.key == self.target), None)
        if target is None:
            return []
        if target.is_group:
            return [i for i in target.decision_ids if i in self.present]
        return list(target.decision_ids)

    def payload(self, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """The `entry.upsert` data as far as the text can be read (unreadable fields → None)."""
        day = fmt.parse_day(self.date_text)
        activities = list(self.activities)
        extra = self.other_activity.strip()
        if extra and extra not in activities:
            activities.append(extra)
        return {
            "id": self.entry_id,
            "decision_ids": self.decision_ids(options),
            "date": day.isoformat() if day else None,
            "start": fmt.parse_clock(self.start_text),
            "end": fmt.parse_clock(self.end_text),
            "activities": activities,
            "note": self.note.strip() or None,
            "trips": [
                {
                    "km": _decimal_or_text(trip.km),
                    "from": trip.from_,
                    "to": trip.to,
                    "purpose": trip.purpose,
                }
                for trip in self.trips
            ],
            "expenses": [
                {"amount": _decimal_or_text(expense.amount), "category": expense.category}
                for expense in self.expenses
            ],
        }

    def build(
        self, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE
    ) -> tuple[EntryData | None, dict[str, str]]:
        """The entry, or the plain-language problems by field (models' wording)."""
        errors: dict[str, str] = {}
        if not self.decision_ids(options):
            errors["decision_ids"] = tr("pick_person", lang)
        if fmt.parse_day(self.date_text) is None:
            errors["date"] = tr("bad_date", lang)
        for name, text in (("start", self.start_text), ("end", self.end_text)):
            if fmt.parse_clock(text) is None:
                errors[name] = tr("bad_clock", lang)
        for index, trip in enumerate(self.trips):
            if fmt.parse_decimal(trip.km) is None:
                errors[f"trips.{index}.km"] = tr("bad_number", lang)
        for index, expense in enumerate(self.expenses):
            if fmt.parse_decimal(expense.amount) is None:
                errors[f"expenses.{index}.amount"] = tr("bad_number", lang)
        if errors:
            return None, errors
        try:
            entry = EntryData.model_validate(self.payload(options, lang))
        except ValidationError as error:
            return None, problems_by_field(validation_problems(error))
        return entry, {}

    def show_problems(self, problems: Iterable[Problem]) -> None:
        self.errors = problems_by_field(problems)


def _decimal_or_text(text: str) -> object:
    value = fmt.parse_decimal(text)
    return str(value) if value is not None else text


def problems_by_field(problems: Iterable[Problem]) -> dict[str, str]:
    """Problems keyed by the form field that shows them; whole-entry problems go under 'time'."""
    shown: dict[str, str] = {}
    for problem in problems:
        key = problem.field
        if key in ("body", "", "__root__"):
            key = "time"  # the schema's whole-entry check is about start and end
        shown.setdefault(key, problem.message)
    return shown


def over_quota_text(
    snapshot: Snapshot, over: Sequence[tuple[str, PeriodUsage]], lang: str = DEFAULT_LANGUAGE
) -> str:
    """The warning before saving an entry that takes a vedtak over its quota."""
    lines = []
    for decision_id, usage in over:
        lines.append(
            tr(
                "over_body",
                lang,
                used=fmt.hours(usage.used_minutes, lang),
                quota=fmt.hours(usage.period.quota_minutes, lang),
                name=snapshot.name_of(decision_id),
                period=fmt.period(usage.period.key, lang),
                over=fmt.hours(usage.over_minutes, lang),
            )
        )
    return "\n\n".join(lines)


def entry_warnings(snapshot: Snapshot, entry: EntryData, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What to ask about before saving (docs/rules.md §3): over 12 hours, or an overlap
    with another of the contact's own sessions (the rule of models.flags)."""
    warnings = []
    if entry.minutes > LONG_SESSION_MINUTES:
        next_day = f" {tr('next_day', lang)}" if ends_next_day(entry.start, entry.end) else ""
        warnings.append(
            tr(
                "long_body",
                lang,
                length=fmt.duration(entry.minutes, lang),
                start=entry.start,
                end=entry.end,
                next=next_day,
            )
        )
    others = [
        item.entry
        for item in snapshot.entries
        if item.id != entry.id and abs((item.entry.date - entry.date).days) <= 1
    ]
    overlapping = [other for other in others if spans_overlap(entry, other)]
    if overlapping:
        described = ", ".join(
            f"{', '.join(snapshot.name_of(d) for d in other.decision_ids)} "
            f"{fmt.day(other.date, lang)} {other.start}–{other.end}"
            for other in sorted(overlapping, key=lambda e: (e.date, e.start, e.id))
        )
        warnings.append(tr("overlap_body", lang, others=described))
    return warnings


# --- the month's timesheet ----------------------------------------------------------------


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


# --- the signature ---------------------------------------------------------------------------

SIGNER_ROLES: dict[str, SignerRole] = {
    "recipient": SignerRole.recipient,
    "foresatt": SignerRole.guardian,
    "verge": SignerRole.guardian,
    "other": SignerRole.other,
}
ROLE_LABEL_KEYS = {
    "recipient": "role_recipient",
    "foresatt": "role_foresatt",
    "verge": "role_verge",
    "other": "role_other",
}
FEEDBACK_KINDS = {"praise": "fb_praise", "wish": "fb_wish", "complaint": "fb_complaint"}


@ft.observable
@dataclass
class StrokePad:
    """The signature as drawn: strokes of points in the pad's own coordinates.

    Kept apart from `SignatureDraft` so that drawing re-renders only the pad,
    not the whole hand-over screen, at every finger move.
    """

    strokes: list[list[tuple[float, float]]] = field(default_factory=list)

    @property
    def point_count(self) -> int:
        return sum(len(stroke) for stroke in self.strokes)

    def begin_stroke(self, x: float, y: float) -> None:
        if len(self.strokes) >= SIGNATURE_MAX_STROKES or self.point_count >= SIGNATURE_MAX_POINTS:
            return
        self.strokes.append([(round(x, 1), round(y, 1))])

    def extend_stroke(self, x: float, y: float) -> None:
        if not self.strokes or self.point_count >= SIGNATURE_MAX_POINTS:
            return
        self.strokes[-1].append((round(x, 1), round(y, 1)))
        # The inner list is a plain list: tell the canvas. (ft.observable mixes in
        # `notify` at run time, out of mypy's sight.)
        self.notify()  # type: ignore[attr-defined]

    def clear(self) -> None:
        self.strokes = []


@ft.observable
@dataclass
class SignatureDraft:
    """The hand-over screen: who signs, as what, the pad and an optional message."""

    signer_name: str = ""
    role: str = ""  # a key of SIGNER_ROLES
    pad: StrokePad = field(default_factory=StrokePad)
    feedback_kind: str = ""  # a key of FEEDBACK_KINDS, or ""
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False

    @property
    def strokes(self) -> list[list[tuple[float, float]]]:
        return self.pad.strokes

    def problems(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
        errors = {}
        if not self.signer_name.strip():
            errors["signer_name"] = tr("need_name", lang)
        if self.role not in SIGNER_ROLES:
            errors["role"] = tr("need_role", lang)
        if self.pad.point_count < SIGNATURE_MIN_POINTS:
            errors["signature"] = tr("need_signature", lang)
        return errors

    def full_message(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """The message to the municipality, led by its kind in bokmål (the office's language)."""
        text = self.message.strip()
        if not text:
            return None
        if self.feedback_kind in FEEDBACK_KINDS:
            return f"{tr(FEEDBACK_KINDS[self.feedback_kind], 'nb')}: {text}"
        return text

    def to_signature(
        self,
        *,
        decision_id: str,
        period: str,
        content_hash: str,
        signed_at: datetime | None = None,
    ) -> SignatureCreate:
        role_note = "" if self.role in ("recipient", "other") else f" ({self.role})"
        return SignatureCreate(
            decision_id=decision_id,
            period=period,
            content_hash=content_hash,
            signer_name=self.signer_name.strip() + role_note,
            signer_role=SIGNER_ROLES[self.role],
            strokes=[[Point(x=x, y=y) for x, y in stroke] for stroke in self.strokes if stroke],
            signed_at=signed_at or datetime.now(UTC),
            message=self.full_message(),
        )


def entry_summary(entry: EntryData, lang: str = DEFAULT_LANGUAGE) -> str:
    """One line for a list: '03.03.2026 14:00–16:30 · 2 t 30 min · Tur, Kafé'."""
    next_day = f" {tr('next_day', lang)}" if ends_next_day(entry.start, entry.end) else ""
    parts = [
        f"{fmt.day(entry.date, lang)} {entry.start}–{entry.end}{next_day}",
        fmt.duration(entry.minutes, lang),
    ]
    if entry.activities:
        from mobile.i18n import activity_label

        parts.append(", ".join(activity_label(a, lang) for a in entry.activities))
    if entry.trips:
        parts.append(fmt.km(entry.total_km, lang))
    if entry.expenses:
        parts.append(fmt.money(entry.total_expenses, lang))
    return " · ".join(parts)


def yesterday(today: date | None = None) -> date:
    return (today or today_in_oslo()) - timedelta(days=1)
