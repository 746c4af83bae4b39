"""The device store: everything the phone knows, on disk, one file per account.

It holds what was pulled from the server (decisions, display names, usage,
timesheets, flags and the pull cursor), the contact's own entries with their
local state, and the outbox of mutations waiting for the server. Saving an
entry changes the entry and appends its mutation in one atomic write, so the
app can show it at once and a crash can never keep one without the other.

The state lives in memory (`sync.documents.Documents`); a *backend*
(`sync.storage`) makes each save durable: natively a journal line and one
fsync before the method returns, in a browser an IndexedDB transaction that
`await store.flush()` waits for. Reads never touch the disk. One
`DeviceStore` per file and process: a second opener is refused
(`StoreInUseError`) rather than allowed to overwrite the first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from models.canonical import content_hash
from models.clock import today_in_oslo
from models.payperiod import pay_period_of
from models.quota import PeriodUsage, usage_by_period
from models.rules import Problem, entry_problems
from models.schemas import (
    Decision,
    EntryData,
    FlagPublic,
    RecipientForContact,
    SignatureCreate,
    TimesheetPublic,
)
from models.timesheets import CLOSED_TO_CONTACT, sheet_entries, sheet_status
from sync.documents import Documents
from sync.storage import FileBackend, StoreBackend, StoreError, StoreInUseError

_log = logging.getLogger(__name__)

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


class LockedError(StoreError):
    """The entry belongs to a timesheet that is signed or approved: it is read-only."""


class InvalidEntryError(StoreError):
    """The entry breaks a hard rule (models.rules / the schema) and was not saved."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(problem.message for problem in self.problems))


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
    # For a change the server refused: the last version it accepted (None for
    # a refused new entry). That version, not the refused one, is on the sheet.
    accepted: EntryData | None = None

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def sheet_version(self) -> EntryData | None:
        """The version on its timesheet (models.timesheets.sheet_entries): what the
        server will hold once the outbox is through; None when on no sheet."""
        return self.accepted if self.state is EntryState.rejected else self.entry


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
    configured = os.environ.get("FLET_APP_STORAGE_DATA")
    if configured:
        return Path(configured)
    return Path.home() / ".timeliste"


def store_path(folder: Path, server_url: str, username: str) -> Path:
    """The store file of one account: its name is a hash, so it leaks no username."""
    key = f"{server_url.rstrip('/').lower()}\n{username.strip().lower()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return folder / f"timeliste-{digest}.json"


# --- table layout -----------------------------------------------------------------------
#
# Every table is keyed by a string id:
#   meta        "account" → Account fields; "sync" → cursor, next_mutation_id, …
#   decisions   decision id → Decision
#   recipients  recipient id → RecipientForContact
#   usage       decision id → {period start: used minutes} as last pulled
#   timesheets  timesheet id → TimesheetPublic
#   flags       flag id → FlagPublic
#   entries     entry id → {data, server, basis, state, errors, last_mutation}
#                 data:   what the phone shows (None: deleted on the phone)
#                 server: what the server acknowledged or sent last (None: it has none)
#                 basis:  the version the last pulled usage counted (see `usage`)
#   signatures  "decision|period" → {data, state, errors, last_mutation}
#   outbox      mutation id → {mutation_id, type, data, key}

SCHEMA_VERSION = 1  # of the documents; the file format is sync.storage's
_ENTRY_FIELDS = frozenset(field.alias or name for name, field in EntryData.model_fields.items())


Raw = dict[str, Any]


def _entry_json(entry: EntryData) -> Raw:
    return entry.model_dump(mode="json", by_alias=True)


def _parse_entry(raw: Raw) -> EntryData:
    # The server may add fields of its own (contact_id, timestamps): keep the payload's.
    return EntryData.model_validate({k: v for k, v in raw.items() if k in _ENTRY_FIELDS})


_M = TypeVar("_M", bound=BaseModel)


def _known(model: type[_M], raw: Raw) -> _M:
    """`model` from a pulled item, ignoring the fields the server adds (case_no, entry_ids…)."""
    names = {field.alias or name for name, field in model.model_fields.items()}
    return model.model_validate({k: v for k, v in raw.items() if k in names})


def _problems(raw: Sequence[Any] | None) -> tuple[Problem, ...]:
    problems = []
    for item in raw or ():
        if isinstance(item, dict):
            problems.append(
                Problem(
                    field=str(item.get("field", "")),
                    message=str(item.get("message", "")),
                    code=str(item.get("code", "invalid")),
                )
            )
        else:
            problems.append(Problem(field="", message=str(item)))
    return tuple(problems)


def _minutes_from_hours(value: Any) -> int:
    # The contract gives hours with two decimals; 0.01 h is 0.6 min, so the
    # nearest whole minute is always the exact one.
    return int((Decimal(str(value)) * 60).to_integral_value(rounding=ROUND_HALF_UP))


# A synced entry's three versions are usually one and the same: writing it
# once and pointing to it keeps the file (and every save, which rewrites the
# file) a third of the size.
_SAME_AS_DATA = "=data"
_SAME_AS_SERVER = "=server"


def _versions(record: Raw | None) -> tuple[Raw | None, Raw | None, Raw | None]:
    """(data, server, basis) of an entry record, unpacked."""
    if record is None:
        return None, None, None
    data = record.get("data")
    server = record.get("server")
    if server == _SAME_AS_DATA:
        server = data
    basis = record.get("basis")
    if basis == _SAME_AS_DATA:
        basis = data
    elif basis == _SAME_AS_SERVER:
        basis = server
    return data, server, basis


def _pack(record: Raw, data: Raw | None, server: Raw | None, basis: Raw | None) -> None:
    """Store the three versions in `record`, each repeated one as a pointer."""
    record["data"] = data
    record["server"] = _SAME_AS_DATA if server is not None and server == data else server
    if basis is not None and basis == data:
        record["basis"] = _SAME_AS_DATA
    elif basis is not None and basis == server:
        record["basis"] = _SAME_AS_SERVER
    else:
        record["basis"] = basis


# --- the store ------------------------------------------------------------------------


class DeviceStore:
    """The phone's durable state for one signed-in account."""

    def __init__(
        self, where: str | os.PathLike[str] | StoreBackend, *, durable: bool = True
    ) -> None:
        """Open (or create) the store: a path (a `FileBackend` there) or a ready backend.

        `durable=False` (file backend only) is for benchmarks and tests only.
        """
        self._backend: StoreBackend = (
            FileBackend(where, durable=durable) if isinstance(where, str | os.PathLike) else where
        )
        self._mutex = threading.RLock()
        self._closed = False
        try:
            self._data = Documents(self._backend.load())
        except BaseException:
            self._backend.close()
            raise
        # Parsed entries by id, with the raw dict they came from: a record's
        # versions are replaced, never changed in place, so `is` tells if it is current.
        self._parsed: dict[str, tuple[Raw, EntryData]] = {}
        with self._mutex:
            if self._read().get("meta", {}).get("sync") is None:
                self._commit(self._initialise)

    @property
    def path(self) -> Path:
        """Where the store lives (for a browser backend, its database name)."""
        return Path(self._backend.name)

    @property
    def backend(self) -> StoreBackend:
        return self._backend

    async def flush(self) -> None:
        """Wait until every save so far is durable (the browser's IndexedDB has committed).

        Natively each save is durable when it returns and this returns at once;
        the app awaits it after a save before it shows "Lagret".
        """
        await self._backend.flush()

    # raw access ------------------------------------------------------------------------

    def _read(self) -> Raw:
        if self._closed:
            raise StoreError("Lageret er lukket.")
        return self._data

    def _table(self, data: Raw, name: str) -> dict[str, Raw]:
        table: dict[str, Raw] = data.setdefault(name, {})
        return table

    def _commit(self, change: Callable[[Raw], None]) -> None:
        """Apply `change` to the state and record what it touched as one save.

        Either the whole save is durable (natively: when this returns) or, when
        `change` refuses or the disk fails, the state is as it was before.
        """
        with self._mutex:
            data = self._read()
            documents = self._data
            documents.begin()
            try:
                change(data)
                changes = documents.changes()
                if changes:
                    self._backend.append(changes)
            except BaseException:
                documents.roll_back()
                raise
            documents.end()
            if changes:
                try:
                    self._backend.compact(documents)
                except OSError:
                    # The save itself is in the journal; the next open folds it in.
                    _log.warning("Lageret kunne ikke komprimeres nå; prøver igjen senere.")

    @staticmethod
    def _initialise(data: Raw) -> None:
        meta = data.setdefault("meta", {})
        meta["sync"] = {
            "schema": SCHEMA_VERSION,
            "device_id": str(uuid.uuid4()),
            "cursor": 0,
            "next_mutation_id": 1,
            "pay_cutoff_day": None,
            "last_synced_at": None,
        }

    def _sync_meta(self, data: Raw) -> Raw:
        meta: Raw = data["meta"]["sync"]
        return meta

    # account -------------------------------------------------------------------

    def account(self) -> Account | None:
        """The signed-in account, or None for a new store."""
        with self._mutex:
            data = self._read()
            raw = data.get("meta", {}).get("account")
            if raw is None:
                return None
            return Account(
                server_url=raw["server_url"],
                username=raw["username"],
                device_id=self._sync_meta(data)["device_id"],
                token=raw.get("token"),
                role=raw.get("role"),
                expires_at=(
                    datetime.fromisoformat(raw["expires_at"]) if raw.get("expires_at") else None
                ),
                contact_id=raw.get("contact_id"),
            )

    def set_account(
        self,
        *,
        server_url: str,
        username: str,
        token: str | None,
        role: str | None = None,
        expires_at: datetime | None = None,
        contact_id: str | None = None,
    ) -> Account:
        """Remember the login. The device_id is made once and kept for the store's life."""

        def change(data: Raw) -> None:
            meta = self._table(data, "meta")
            previous = meta.get("account") or {}
            if contact_id:
                self._sync_meta(data)["contact_id"] = contact_id
            meta["account"] = {
                "server_url": server_url.rstrip("/"),
                "username": username,
                "token": token,
                "role": role,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "contact_id": contact_id or previous.get("contact_id"),
            }

        self._commit(change)
        account = self.account()
        assert account is not None
        return account

    def clear_token(self) -> None:
        """Forget the token (it expired or was revoked) but keep every entry and the outbox."""

        def change(data: Raw) -> None:
            account = self._table(data, "meta").get("account")
            if account is not None:
                account["token"] = None

        self._commit(change)

    def device_id(self) -> str:
        """This store's device id, sent with every push."""
        with self._mutex:
            device: str = self._sync_meta(self._read())["device_id"]
            return device

    # what was pulled -----------------------------------------------------------------

    def decisions(self) -> list[Decision]:
        """The vedtak assigned to this contact, as last pulled."""
        with self._mutex:
            raw = self._read().get("decisions", {})
            return [_known(Decision, item) for item in raw.values()]

    def _decisions_by_id(self) -> dict[str, Decision]:
        return {decision.id: decision for decision in self.decisions()}

    def recipients(self) -> dict[str, RecipientForContact]:
        """Display names and case numbers by recipient id."""
        with self._mutex:
            raw = self._read().get("recipients", {})
            return {key: _known(RecipientForContact, item) for key, item in raw.items()}

    def timesheets(self) -> list[TimesheetPublic]:
        """The contact's timesheets, as last pulled (a local signature shows as signed)."""
        with self._mutex:
            data = self._read()
            sheets = [_known(TimesheetPublic, item) for item in data.get("timesheets", {}).values()]
            signed_here = {
                key
                for key, record in data.get("signatures", {}).items()
                if record["state"] != EntryState.rejected
            }
            shown = []
            for sheet in sheets:
                status = sheet_status(
                    sheet.status, signed_here=f"{sheet.decision_id}|{sheet.period}" in signed_here
                )
                shown.append(
                    sheet if status == sheet.status else sheet.model_copy(update={"status": status})
                )
            return shown

    def flags(self) -> list[FlagPublic]:
        """Flags the server raised on the contact's entries, as last pulled."""
        with self._mutex:
            raw = self._read().get("flags", {})
            return [_known(FlagPublic, item) for item in raw.values()]

    def cursor(self) -> int:
        """The server's change number this store has pulled up to (0: nothing yet)."""
        with self._mutex:
            return int(self._sync_meta(self._read())["cursor"])

    def pay_cutoff_day(self) -> int | None:
        """The municipality's pay-period cut-off day, None for calendar months."""
        with self._mutex:
            value = self._sync_meta(self._read()).get("pay_cutoff_day")
            return int(value) if value is not None else None

    def contact_id(self) -> str | None:
        """The signed-in contact's id, once a pull has told it."""
        with self._mutex:
            account = self._read().get("meta", {}).get("account") or {}
            value = account.get("contact_id") or self._sync_meta(self._read()).get("contact_id")
            return str(value) if value else None

    def set_contact_id(self, contact_id: str) -> None:
        """Remember whose entries these are (the server's contact id, for signing)."""

        def change(data: Raw) -> None:
            self._sync_meta(data)["contact_id"] = contact_id
            account = self._table(data, "meta").get("account")
            if account is not None:
                account["contact_id"] = contact_id

        self._commit(change)

    # locks -----------------------------------------------------------------------------

    def _locked_keys(self, data: Raw) -> set[tuple[str, str]]:
        """(decision id, pay period) of every timesheet that is signed or approved."""
        keys = {
            (sheet["decision_id"], sheet["period"])
            for sheet in data.get("timesheets", {}).values()
            if sheet.get("status") in CLOSED_TO_CONTACT
        }
        for key, record in data.get("signatures", {}).items():
            if record["state"] != EntryState.rejected:
                decision_id, period = key.split("|", 1)
                keys.add((decision_id, period))
        return keys

    def _is_locked(
        self, data: Raw, entry: EntryData, locked: set[tuple[str, str]] | None = None
    ) -> bool:
        """`locked`: the `_locked_keys` when the caller asks about many entries."""
        if locked is None:
            locked = self._locked_keys(data)
        if not locked:
            return False
        period = pay_period_of(entry.date, self._sync_meta(data).get("pay_cutoff_day"))
        return any((decision_id, period) in locked for decision_id in entry.decision_ids)

    def is_locked(self, entry: EntryData) -> bool:
        """True when the entry lies in a signed, approved or exported timesheet."""
        with self._mutex:
            return self._is_locked(self._read(), entry)

    # the contact's entries -------------------------------------------------------------

    def _parse(self, raw: Raw) -> EntryData:
        """`_parse_entry` with a cache: the app lists thousands of entries often."""
        key = str(raw.get("id"))
        cached = self._parsed.get(key)
        if cached is not None and cached[0] is raw:
            return cached[1]
        entry = _parse_entry(raw)
        self._parsed[key] = (raw, entry)
        return entry

    def _local_entry(
        self,
        data: Raw,
        record: Raw,
        open_flags: dict[str, list[str]],
        locked: set[tuple[str, str]] | None = None,
    ) -> LocalEntry:
        entry = self._parse(record["data"])
        state = EntryState(record["state"])
        server = _versions(record)[1] if state is EntryState.rejected else None
        return LocalEntry(
            entry=entry,
            state=state,
            errors=_problems(record.get("errors")),
            locked=self._is_locked(data, entry, locked),
            flags=tuple(open_flags.get(entry.id, ())),
            accepted=_parse_entry(server) if server is not None else None,
        )

    @staticmethod
    def _open_flags_by_entry(data: Raw) -> dict[str, list[str]]:
        by_entry: dict[str, list[str]] = {}
        for flag_id, flag in data.get("flags", {}).items():
            if flag.get("status") == "open":
                for entry_id in flag.get("entry_ids", ()):
                    by_entry.setdefault(entry_id, []).append(flag_id)
        return by_entry

    def entries(
        self, decision_id: str | None = None, period: str | None = None
    ) -> list[LocalEntry]:
        """The contact's entries, newest first, optionally for one decision and/or pay period.

        Deleted entries are gone from here at once, even before the server knows.
        """
        with self._mutex:
            data = self._read()
            cutoff = self._sync_meta(data).get("pay_cutoff_day")
            open_flags = self._open_flags_by_entry(data)
            locked = self._locked_keys(data)
            shown = []
            for record in data.get("entries", {}).values():
                raw = record["data"]
                if raw is None:
                    continue
                if decision_id is not None and decision_id not in raw["decision_ids"]:
                    continue
                if (
                    period is not None
                    and pay_period_of(date.fromisoformat(raw["date"]), cutoff) != period
                ):
                    continue
                shown.append(self._local_entry(data, record, open_flags, locked))
            shown.sort(key=lambda item: (item.entry.date, item.entry.start, item.id), reverse=True)
            return shown

    def entry(self, entry_id: str) -> LocalEntry | None:
        """One entry, or None."""
        with self._mutex:
            data = self._read()
            record = data.get("entries", {}).get(entry_id)
            if record is None or record["data"] is None:
                return None
            return self._local_entry(data, record, self._open_flags_by_entry(data))

    def _guess_contact_id(self, decisions: dict[str, Decision]) -> str | None:
        known = self.contact_id()
        if known:
            return known
        # Pull sends only the contact's own decisions: the one id they all share is theirs.
        shared: set[str] | None = None
        for decision in decisions.values():
            ids = set(decision.contact_ids)
            shared = ids if shared is None else shared & ids
        if shared and len(shared) == 1:
            return next(iter(shared))
        return None

    def check_entry(self, entry: EntryData, *, today: date | None = None) -> list[Problem]:
        """The hard errors the phone can see in `entry` (models.rules), without saving it."""
        decisions = self._decisions_by_id()
        contact_id = self._guess_contact_id(decisions)
        problems = entry_problems(
            entry,
            contact_id=contact_id or "",
            decisions=decisions,
            today=today or today_in_oslo(),
        )
        if contact_id is None:
            # Without knowing who we are, assignment cannot be judged here; the server will.
            problems = [p for p in problems if p.code != "not_assigned"]
        return problems

    def save_entry(self, entry: EntryData, *, today: date | None = None) -> LocalEntry:
        """Create or change an entry: applied locally and queued for the server, in one write.

        Raises `InvalidEntryError` for a hard error the phone can see (future
        date, unknown or unassigned decision, mixed kinds) and `LockedError`
        when the entry is, or would move into, a signed or approved timesheet.
        When this returns, the entry is on disk.
        """
        with self._mutex:
            problems = self.check_entry(entry, today=today)
            if problems:
                raise InvalidEntryError(problems)
            payload = _entry_json(entry)

            def change(data: Raw) -> None:
                entries = self._table(data, "entries")
                record = entries.get(entry.id)
                old = record["data"] if record is not None else None
                if old is not None and self._is_locked(data, self._parse(old)):
                    raise LockedError(_LOCKED_MESSAGE)
                if self._is_locked(data, entry):
                    raise LockedError(_LOCKED_MESSAGE)
                mutation_id = self._enqueue(data, "entry.upsert", payload, key=entry.id)
                _, server, basis = _versions(record)
                if record is None:
                    record = {}
                    entries[entry.id] = record
                _pack(record, payload, server, basis)
                record.update(state=EntryState.pending, errors=[], last_mutation=mutation_id)

            self._commit(change)
            saved = self.entry(entry.id)
            assert saved is not None
            return saved

    def delete_entry(self, entry_id: str) -> None:
        """Delete an entry locally and queue the deletion. `LockedError` when it is locked."""
        with self._mutex:

            def change(data: Raw) -> None:
                record = self._table(data, "entries").get(entry_id)
                if record is None or record["data"] is None:
                    raise StoreError("Økten finnes ikke på telefonen.")
                if self._is_locked(data, self._parse(record["data"])):
                    raise LockedError(_LOCKED_MESSAGE)
                mutation_id = self._enqueue(data, "entry.delete", {"id": entry_id}, key=entry_id)
                _, server, basis = _versions(record)
                _pack(record, None, server, basis)
                record.update(state=EntryState.pending, errors=[], last_mutation=mutation_id)

            self._commit(change)

    def _enqueue(self, data: Raw, kind: str, payload: Raw, *, key: str) -> int:
        meta = self._sync_meta(data)
        # Ids follow the clock (in ms) as well as the counter: a store restored
        # from a backup (Android restores app data on a new phone) must not reuse
        # ids the server already saw from this device, or its new changes would
        # be answered `duplicate` and silently lost.
        mutation_id = max(int(meta["next_mutation_id"]), time.time_ns() // 1_000_000)
        meta["next_mutation_id"] = mutation_id + 1
        self._table(data, "outbox")[str(mutation_id)] = {
            "mutation_id": mutation_id,
            "type": kind,
            "data": payload,
            "key": key,
        }
        return mutation_id

    # timesheets and signing ------------------------------------------------------------

    def _sheet_entries(self, data: Raw, decision_id: str, period: str) -> list[EntryData]:
        # What the server will hold once the outbox is through: a refused
        # change is not on the sheet the signer sees (nor on the server's).
        # The app's month view picks the same versions (LocalEntry.sheet_version)
        # through the same models.timesheets.sheet_entries.
        effective = []
        for record in data.get("entries", {}).values():
            raw = self._effective(record)
            if raw is not None and decision_id in raw["decision_ids"]:
                # Only the phone's own version is cached: a refused change's
                # server version is rare and parsed each time.
                effective.append(self._parse(raw) if raw is record["data"] else _parse_entry(raw))
        return sheet_entries(
            effective, decision_id, period, self._sync_meta(data).get("pay_cutoff_day")
        )

    def timesheet_entries(self, decision_id: str, period: str) -> list[EntryData]:
        """The entries of contact × decision × pay period, in the order they are shown."""
        with self._mutex:
            return self._sheet_entries(self._read(), decision_id, period)

    def content_hash(self, decision_id: str, period: str) -> str:
        """The `content_hash` (models.canonical) of that timesheet as the phone has it."""
        with self._mutex:
            data = self._read()
            contact_id = self._guess_contact_id(self._decisions_by_id())
            if contact_id is None:
                raise StoreError("Telefonen må synkronisere før timelisten kan signeres.")
            return content_hash(
                contact_id=contact_id,
                decision_id=decision_id,
                period=period,
                entries=self._sheet_entries(data, decision_id, period),
            )

    def sign_timesheet(self, signature: SignatureCreate) -> LocalSignature:
        """Record a signature and queue it; the timesheet's entries lock at once.

        Raises `InvalidEntryError` when its content_hash is not the phone's
        current hash of that timesheet (the sheet changed while it was shown).
        """
        with self._mutex:
            expected = self.content_hash(signature.decision_id, signature.period)
            if signature.content_hash != expected:
                raise InvalidEntryError(
                    [
                        Problem(
                            "content_hash",
                            "Timelisten er endret etter at den ble vist. Vis den på nytt og "
                            "signer igjen.",
                        )
                    ]
                )
            key = f"{signature.decision_id}|{signature.period}"
            payload = signature.model_dump(mode="json")

            def change(data: Raw) -> None:
                if (signature.decision_id, signature.period) in self._locked_keys(data):
                    raise LockedError("Timelisten er allerede signert.")
                mutation_id = self._enqueue(data, "timesheet.sign", payload, key=key)
                self._table(data, "signatures")[key] = {
                    "data": payload,
                    "state": EntryState.pending,
                    "errors": [],
                    "last_mutation": mutation_id,
                }

            self._commit(change)
            return LocalSignature(signature=signature, state=EntryState.pending)

    def signatures(self) -> list[LocalSignature]:
        """Signatures made on this phone that the server has not yet confirmed or refused."""
        with self._mutex:
            return [
                LocalSignature(
                    signature=SignatureCreate.model_validate(record["data"]),
                    state=EntryState(record["state"]),
                    errors=_problems(record.get("errors")),
                )
                for record in self._read().get("signatures", {}).values()
            ]

    # quota --------------------------------------------------------------------------

    def _effective(self, record: Raw) -> Raw | None:
        """The version the server will count once the outbox is through."""
        data, server, _ = _versions(record)
        return server if record["state"] == EntryState.rejected else data

    def _usage(self, data: Raw, decision_id: str, extra: EntryData | None) -> list[PeriodUsage]:
        raw_decision = data.get("decisions", {}).get(decision_id)
        if raw_decision is None:
            return []
        terms = _known(Decision, raw_decision)
        now: list[EntryData] = []
        counted: list[EntryData] = []
        for entry_id, record in data.get("entries", {}).items():
            if extra is not None and entry_id == extra.id:
                effective: Raw | None = None  # replaced by `extra` below
            else:
                effective = self._effective(record)
            basis = _versions(record)[2]
            if effective == basis:
                continue  # the server's figure already holds this version
            if effective is not None and decision_id in effective["decision_ids"]:
                now.append(_parse_entry(effective))
            if basis is not None and decision_id in basis["decision_ids"]:
                counted.append(_parse_entry(basis))
        if extra is not None and decision_id in extra.decision_ids:
            now.append(extra)
        server = data.get("usage", {}).get(decision_id, {})
        # models.quota counts both sides, so the quota rule stays in one place;
        # the server's figure is the base and the phone's changes the difference.
        added = usage_by_period(decision_id, terms, now)
        removed = usage_by_period(decision_id, terms, counted)
        projected = []
        for plus, minus in zip(added, removed, strict=True):
            base = int(server.get(plus.period.start.isoformat(), 0))
            used = max(0, base + plus.used_minutes - minus.used_minutes)
            projected.append(PeriodUsage(plus.period, used))
        return projected

    def usage(self, decision_id: str) -> list[PeriodUsage]:
        """Usage in every quota period of the decision, projected offline.

        The last pulled server usage, plus the changes the server has not yet
        acknowledged (new, changed and deleted entries), using models.quota.
        """
        with self._mutex:
            return self._usage(self._read(), decision_id, None)

    def projected_usage_after(
        self, entry: EntryData, decision_id: str | None = None
    ) -> PeriodUsage | None:
        """Usage of the entry's quota period as it would be after saving `entry`.

        For `decision_id` (default: the entry's first decision); None when the
        entry's date is outside that decision's validity or it is unknown.
        The app warns when `over_minutes > 0` before it saves.
        """
        chosen = decision_id or entry.decision_ids[0]
        with self._mutex:
            for usage in self._usage(self._read(), chosen, entry):
                if usage.period.contains(entry.date):
                    return usage
            return None

    def over_quota_after(self, entry: EntryData) -> list[tuple[str, PeriodUsage]]:
        """(decision_id, usage) for every decision the entry would take over its quota."""
        over = []
        for decision_id in entry.decision_ids:
            usage = self.projected_usage_after(entry, decision_id)
            if usage is not None and usage.over_minutes > 0:
                over.append((decision_id, usage))
        return over

    # sync bookkeeping (used by SyncClient) -----------------------------------------------

    def outbox(self, limit: int | None = None) -> list[Mutation]:
        """Mutations not yet acknowledged, oldest first."""
        with self._mutex:
            raw = sorted(
                self._read().get("outbox", {}).values(), key=lambda item: item["mutation_id"]
            )
            if limit is not None:
                raw = raw[:limit]
            return [Mutation(item["mutation_id"], item["type"], item["data"]) for item in raw]

    def pending_count(self) -> int:
        """How many changes wait for the server."""
        with self._mutex:
            return len(self._read().get("outbox", {}))

    def rejected(self) -> list[LocalEntry]:
        """Entries the server refused, with its reasons, for the contact to fix."""
        with self._mutex:
            data = self._read()
            open_flags = self._open_flags_by_entry(data)
            return [
                self._local_entry(data, record, open_flags)
                for record in data.get("entries", {}).values()
                if record["state"] == EntryState.rejected and record["data"] is not None
            ]

    def attention_count(self) -> int:
        """Changes the server refused that the contact has not yet fixed."""
        with self._mutex:
            data = self._read()
            return sum(
                1
                for table in ("entries", "signatures")
                for record in data.get(table, {}).values()
                if record["state"] == EntryState.rejected
            )

    def apply_push_results(self, results: Sequence[dict[str, Any]]) -> None:
        """Record the server's answer to a push (applied, duplicate or rejected) in one write."""
        with self._mutex:

            def change(data: Raw) -> None:
                outbox = self._table(data, "outbox")
                flags = self._table(data, "flags")
                for result in results:
                    # The flags a save raised show on the phone at once, before the pull.
                    for flag in result.get("flags") or ():
                        flags[str(flag["id"])] = flag
                    mutation = outbox.pop(str(result["mutation_id"]), None)
                    if mutation is None:
                        continue  # answered before (a retried batch)
                    self._settle(data, mutation, result)

            self._commit(change)

    def _settle(self, data: Raw, mutation: Raw, result: dict[str, Any]) -> None:
        status = result.get("status")
        accepted = status in ("applied", "duplicate")
        errors = result.get("errors") or []
        kind = mutation["type"]
        if kind == "timesheet.sign":
            record = self._table(data, "signatures").get(mutation["key"])
            if record is not None and record["last_mutation"] == mutation["mutation_id"]:
                record["state"] = EntryState.synced if accepted else EntryState.rejected
                record["errors"] = [] if accepted else errors
            return
        entries = self._table(data, "entries")
        record = entries.get(mutation["key"])
        if record is None:
            return
        latest = record.get("last_mutation") == mutation["mutation_id"]
        current, server, basis = _versions(record)
        if accepted:
            server = mutation["data"] if kind == "entry.upsert" else None
            _pack(record, current, server, basis)
            if latest:
                if current is None:
                    if basis is None:
                        del entries[mutation["key"]]
                    else:
                        record["state"] = EntryState.synced  # a tombstone until usage catches up
                else:
                    record["state"] = EntryState.synced
                    record["errors"] = []
            return
        if latest:
            if current is None:
                # The server would not delete it (for instance a locked sheet): it stays.
                if server is None:
                    del entries[mutation["key"]]
                    return
                _pack(record, server, server, basis)
            record["state"] = EntryState.rejected
            record["errors"] = errors

    def apply_pull(self, payload: dict[str, Any]) -> None:
        """Merge a pull answer (SPEC §5) in one write.

        The server wins for what the office decides (approval, rejection,
        flags, voided signatures); local changes not yet pushed are kept.
        """
        with self._mutex:
            self._commit(lambda data: self._merge_pull(data, payload))

    def _merge_pull(self, data: Raw, payload: dict[str, Any]) -> None:
        meta = self._sync_meta(data)
        if "pay_cutoff_day" in payload:
            meta["pay_cutoff_day"] = payload["pay_cutoff_day"]
        contact_id = payload.get("contact_id")
        if contact_id:
            meta["contact_id"] = str(contact_id)
            account = self._table(data, "meta").get("account")
            if account is not None:
                account["contact_id"] = str(contact_id)
        for name, key in (("decisions", "id"), ("recipients", "id"), ("timesheets", "id")):
            table = self._table(data, name)
            for item in payload.get(name) or ():
                if item.get("deleted"):
                    table.pop(str(item[key]), None)
                else:
                    table[str(item[key])] = {k: v for k, v in item.items() if k != "deleted"}
        flags = self._table(data, "flags")
        for item in payload.get("flags") or ():
            flags[str(item["id"])] = item
        for item in payload.get("usage") or ():
            self._table(data, "usage")[str(item["decision_id"])] = {
                str(period["start"]): _minutes_from_hours(period["used_hours"])
                for period in item.get("periods", ())
            }
        deleted = payload.get("deleted") or {}
        # A recipient the contact no longer serves leaves the phone with its
        # display name and case number: least data on the device.
        for name in ("decisions", "recipients", "timesheets"):
            table = self._table(data, name)
            for gone in deleted.get(name) or ():
                table.pop(str(gone), None)
        outbox_keys = {m["key"] for m in data.get("outbox", {}).values()}
        entries = self._table(data, "entries")
        pulled = list(payload.get("entries") or ())
        pulled += [{"id": gone, "deleted": True} for gone in deleted.get("entries") or ()]
        for item in pulled:
            self._merge_entry(data, entries, item, waiting=str(item["id"]) in outbox_keys)
            if item.get("contact_id") and not meta.get("contact_id"):
                meta["contact_id"] = str(item["contact_id"])
        # The pulled usage counts the server's entries as they are now.
        # Iterating does not mark a record as changed (sync.documents): each one
        # is taken by key only when it does change, so a pull that changes a
        # few entries writes a few, however many the phone holds.
        for entry_id, seen in list(entries.items()):
            current, server, _ = _versions(seen)
            if (
                seen["state"] == EntryState.rejected
                and server is not None
                and entry_id not in outbox_keys
                and self._is_locked(data, _parse_entry(server))
            ):
                # The office has signed off the sheet: its version stands, and the
                # server's reasons stay on the entry so the contact sees why.
                current = server
            if current is None and server is None and entry_id not in outbox_keys:
                del entries[entry_id]
                continue
            packed: Raw = {}
            _pack(packed, current, server, server)
            if any(seen.get(name) != value for name, value in packed.items()):
                entries[entry_id].update(packed)
        # Signatures the server has answered are now part of the pulled timesheets.
        signatures = self._table(data, "signatures")
        for key in [k for k, r in signatures.items() if r["state"] == EntryState.synced]:
            del signatures[key]
        meta["cursor"] = int(payload.get("cursor") or meta["cursor"])
        meta["last_synced_at"] = datetime.now(UTC).isoformat()

    def _merge_entry(self, data: Raw, entries: dict[str, Raw], item: Raw, *, waiting: bool) -> None:
        entry_id = str(item["id"])
        deleted = bool(item.get("deleted"))
        server = None if deleted else _entry_json(_parse_entry(item))
        record = entries.get(entry_id)
        if record is None:
            if server is not None:
                record = {"state": EntryState.synced, "errors": [], "last_mutation": None}
                _pack(record, server, server, None)
                entries[entry_id] = record
            return
        current, _, basis = _versions(record)
        _pack(record, current, server, basis)
        if waiting:
            return  # the phone's newer change is still on its way
        if record["state"] == EntryState.rejected and current is not None:
            return  # the contact's correction stays until saved or discarded (see below)
        _pack(record, server, server, basis)
        record.update(state=EntryState.synced, errors=[])

    def discard_rejected(self, entry_id: str) -> None:
        """Give up a refused change: the entry goes back to what the server has (or away)."""
        with self._mutex:

            def change(data: Raw) -> None:
                entries = self._table(data, "entries")
                record = entries.get(entry_id)
                if record is None or record["state"] != EntryState.rejected:
                    return
                _, server, basis = _versions(record)
                if server is None:
                    del entries[entry_id]
                else:
                    _pack(record, server, server, basis)
                    record.update(state=EntryState.synced, errors=[])

            self._commit(change)

    def last_synced_at(self) -> datetime | None:
        """When a sync last completed."""
        with self._mutex:
            value = self._sync_meta(self._read()).get("last_synced_at")
            return datetime.fromisoformat(value) if value else None

    # lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release the file (the data is already on disk)."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._backend.close()

    def wipe(self) -> None:
        """Sign out: delete the store file and everything in it."""
        with self._mutex:
            self._closed = True
            self._backend.destroy()

    def __enter__(self) -> DeviceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOCKED_MESSAGE = "Timelisten for denne økten er signert eller godkjent, og kan ikke endres."
