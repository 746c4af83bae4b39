"""The device store: everything the phone knows, on disk, one file per account.

It holds what was pulled from the server (decisions, display names, usage,
timesheets, flags and the pull cursor), the contact's own entries with their
local state, and the outbox of mutations waiting for the server. Saving an
entry changes the entry and appends its mutation in one atomic write, so the
app can show it at once and a crash can never keep one without the other.

Every method blocks on the disk (fsync); the app calls them through
`asyncio.to_thread`. One `DeviceStore` per file and process: a second opener
is refused (`StoreInUseError`) rather than allowed to overwrite the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from models.quota import PeriodUsage
from models.rules import Problem
from models.schemas import (
    Decision,
    EntryData,
    FlagPublic,
    RecipientForContact,
    SignatureCreate,
    TimesheetPublic,
)

__all__ = [
    "Account",
    "DeviceStore",
    "EntryState",
    "InvalidEntryError",
    "LocalEntry",
    "LocalSignature",
    "LockedError",
    "Mutation",
    "StoreError",
    "StoreInUseError",
    "app_data_folder",
    "store_path",
]


# --- errors ---------------------------------------------------------------------


class StoreError(Exception):
    """Base of the store's errors; `str()` is a sentence in bokmål for the contact."""


class LockedError(StoreError):
    """The entry belongs to a timesheet that is signed or approved: it is read-only."""


class InvalidEntryError(StoreError):
    """The entry breaks a hard rule (models.rules / the schema) and was not saved."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(problem.message for problem in self.problems))


class StoreInUseError(StoreError):
    """Another process has this store open."""


# --- what the store hands out ---------------------------------------------------------


class EntryState(StrEnum):
    """Where an entry stands between phone and server."""

    pending = "pending"  # saved on the phone, not yet acknowledged by the server
    synced = "synced"  # the server has exactly this
    rejected = "rejected"  # the server refused the last change; the contact must fix it


@dataclass(frozen=True, slots=True)
class LocalEntry:
    """An entry as the app shows it."""

    entry: EntryData
    state: EntryState
    errors: tuple[Problem, ...] = ()  # the server's reasons, when rejected
    locked: bool = False  # in a signed or approved timesheet: read-only
    flags: tuple[str, ...] = ()  # ids of open flags that name this entry

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True, slots=True)
class LocalSignature:
    """A signature made on this phone, and what became of it."""

    signature: SignatureCreate
    state: EntryState
    errors: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change in the outbox, exactly as it will be pushed (SPEC §5)."""

    mutation_id: int
    type: str  # "entry.upsert" | "entry.delete" | "timesheet.sign"
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"mutation_id": self.mutation_id, "type": self.type, "data": self.data}


@dataclass(frozen=True, slots=True)
class Account:
    """Who this store belongs to and how to reach their server."""

    server_url: str
    username: str
    device_id: str
    token: str | None = None
    role: str | None = None
    expires_at: datetime | None = None
    contact_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- where stores live ----------------------------------------------------------------


def app_data_folder() -> Path:
    """The app's durable data folder: Flet's `FLET_APP_STORAGE_DATA`, else ~/.timeliste."""
    raise NotImplementedError


def store_path(folder: Path, server_url: str, username: str) -> Path:
    """The store file of one account: its name is a hash, so it leaks no username."""
    raise NotImplementedError


# --- the store ------------------------------------------------------------------------


class DeviceStore:
    """The phone's durable state for one signed-in account."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        """Open (or create) the store at `path`. `durable=False` is for benchmarks only."""
        raise NotImplementedError

    # account -------------------------------------------------------------------

    def account(self) -> Account | None:
        """The signed-in account, or None for a new store."""
        raise NotImplementedError

    def set_account(
        self,
        *,
        server_url: str,
        username: str,
        token: str | None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> Account:
        """Remember the login. The device_id is made once and kept for the store's life."""
        raise NotImplementedError

    def clear_token(self) -> None:
        """Forget the token (it expired or was revoked) but keep every entry and the outbox."""
        raise NotImplementedError

    # what was pulled -----------------------------------------------------------------

    def decisions(self) -> list[Decision]:
        """The vedtak assigned to this contact, as last pulled."""
        raise NotImplementedError

    def recipients(self) -> dict[str, RecipientForContact]:
        """Display names and case numbers by recipient id."""
        raise NotImplementedError

    def timesheets(self) -> list[TimesheetPublic]:
        """The contact's timesheets, as last pulled (a local signature shows as signed)."""
        raise NotImplementedError

    def flags(self) -> list[FlagPublic]:
        """Flags the server raised on the contact's entries, as last pulled."""
        raise NotImplementedError

    def cursor(self) -> int:
        """The server's change number this store has pulled up to (0: nothing yet)."""
        raise NotImplementedError

    def pay_cutoff_day(self) -> int | None:
        """The municipality's pay-period cut-off day, None for calendar months."""
        raise NotImplementedError

    # the contact's entries -------------------------------------------------------------

    def entries(
        self, decision_id: str | None = None, period: str | None = None
    ) -> list[LocalEntry]:
        """The contact's entries, newest first, optionally for one decision and/or pay period.

        Deleted entries are gone from here at once, even before the server knows.
        """
        raise NotImplementedError

    def entry(self, entry_id: str) -> LocalEntry | None:
        """One entry, or None."""
        raise NotImplementedError

    def save_entry(self, entry: EntryData, *, today: date | None = None) -> LocalEntry:
        """Create or change an entry: applied locally and queued for the server, in one write.

        Raises `InvalidEntryError` for a hard error the phone can see (future
        date, unknown or unassigned decision, mixed kinds) and `LockedError`
        when the entry is, or would move into, a signed or approved timesheet.
        When this returns, the entry is on disk.
        """
        raise NotImplementedError

    def delete_entry(self, entry_id: str) -> None:
        """Delete an entry locally and queue the deletion. `LockedError` when it is locked."""
        raise NotImplementedError

    def is_locked(self, entry: EntryData) -> bool:
        """True when the entry lies in a signed, approved or exported timesheet."""
        raise NotImplementedError

    # timesheets and signing ------------------------------------------------------------

    def timesheet_entries(self, decision_id: str, period: str) -> list[EntryData]:
        """The entries of contact × decision × pay period, in the order they are shown."""
        raise NotImplementedError

    def content_hash(self, decision_id: str, period: str) -> str:
        """The `content_hash` (models.canonical) of that timesheet as the phone has it."""
        raise NotImplementedError

    def sign_timesheet(self, signature: SignatureCreate) -> LocalSignature:
        """Record a signature and queue it; the timesheet's entries lock at once.

        Raises `InvalidEntryError` when its content_hash is not the phone's
        current hash of that timesheet (the sheet changed while it was shown).
        """
        raise NotImplementedError

    def signatures(self) -> list[LocalSignature]:
        """Signatures made on this phone that the server has not yet confirmed or refused."""
        raise NotImplementedError

    # quota --------------------------------------------------------------------------

    def usage(self, decision_id: str) -> list[PeriodUsage]:
        """Usage in every quota period of the decision, projected offline.

        The last pulled server usage, plus the changes the server has not yet
        acknowledged (new, changed and deleted entries), using models.quota.
        """
        raise NotImplementedError

    def projected_usage_after(
        self, entry: EntryData, decision_id: str | None = None
    ) -> PeriodUsage | None:
        """Usage of the entry's quota period as it would be after saving `entry`.

        For `decision_id` (default: the entry's first decision); None when the
        entry's date is outside that decision's validity or it is unknown.
        The app warns when `over_minutes > 0` before it saves.
        """
        raise NotImplementedError

    def over_quota_after(self, entry: EntryData) -> list[tuple[str, PeriodUsage]]:
        """(decision_id, usage) for every decision the entry would take over its quota."""
        raise NotImplementedError

    # sync bookkeeping (used by SyncClient) -----------------------------------------------

    def outbox(self, limit: int | None = None) -> list[Mutation]:
        """Mutations not yet acknowledged, oldest first."""
        raise NotImplementedError

    def pending_count(self) -> int:
        """How many changes wait for the server."""
        raise NotImplementedError

    def rejected(self) -> list[LocalEntry]:
        """Entries the server refused, with its reasons, for the contact to fix."""
        raise NotImplementedError

    def apply_push_results(self, results: Sequence[dict[str, Any]]) -> None:
        """Record the server's answer to a push (applied, duplicate or rejected) in one write."""
        raise NotImplementedError

    def apply_pull(self, payload: dict[str, Any]) -> None:
        """Merge a pull answer (SPEC §5) in one write.

        The server wins for what the office decides (approval, rejection,
        flags, voided signatures); local changes not yet pushed are kept.
        """
        raise NotImplementedError

    def last_synced_at(self) -> datetime | None:
        """When a sync last completed."""
        raise NotImplementedError

    # lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release the file (the data is already on disk)."""
        raise NotImplementedError

    def wipe(self) -> None:
        """Sign out: delete the store file and everything in it."""
        raise NotImplementedError

    def __enter__(self) -> DeviceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
