"""What every screen reads: the store's snapshot, the sync chip, an entry in one line,
and `typed` for text fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mobile import fmt
from mobile.i18n import DEFAULT_LANGUAGE, activity_label, tr
from models.clock import ends_next_day
from models.quota import PeriodUsage
from models.schemas import (
    Decision,
    EntryData,
    FlagPublic,
    RecipientForContact,
    TimesheetPublic,
    TimesheetStatus,
)
from sync.client import SyncState, SyncStatus
from sync.store import EntryState, LocalEntry, LocalSignature


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
    contact_name: str | None = None  # the signed-in contact's name, from the last pull
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


def entry_summary(entry: EntryData, lang: str = DEFAULT_LANGUAGE) -> str:
    """One line for a list: '03.03.2026 14:00–16:30 · 2 t 30 min · Tur, Kafé'."""
    next_day = f" {tr('next_day', lang)}" if ends_next_day(entry.start, entry.end) else ""
    parts = [
        f"{fmt.day(entry.date, lang)} {entry.start}–{entry.end}{next_day}",
        fmt.duration(entry.minutes, lang),
    ]
    if entry.activities:
        parts.append(", ".join(activity_label(a, lang) for a in entry.activities))
    if entry.trips:
        parts.append(fmt.km(entry.total_km, lang))
    if entry.expenses:
        parts.append(fmt.money(entry.total_expenses, lang))
    return " · ".join(parts)
