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

The store is this facade over four parts: sync.records (an entry's three
versions and how they change, pure), sync.projection (locks, sheets and usage
as the phone shows them), sync.merge (a push's results and a pull's page, in
the typed contract of models.contract) and the storage (sync.documents for
the state in memory, sync.storage for the bytes).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from models.canonical import content_hash
from models.clock import today_in_oslo
from models.contract import MutationResult, PullResponse
from models.quota import PeriodUsage
from models.rules import Problem, entry_problems
from models.schemas import (
    Decision,
    EntryData,
    FlagPublic,
    RecipientForContact,
    SignatureCreate,
    TimesheetPublic,
)
from models.timesheets import sheet_status
from sync import merge, projection, records
from sync.documents import Documents
from sync.projection import known as _known
from sync.projection import parse_entry as _parse_entry
from sync.records import EntryState, Raw
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
    """One change in the outbox, exactly as it will be pushed (docs/rules.md §13)."""

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


def _entry_json(entry: EntryData) -> Raw:
    return entry.model_dump(mode="json", by_alias=True)


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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold back the cyclic garbage collector while thousands of entries are rebuilt.

    A first read makes some 100 000 small objects that all live on (the parse
    cache); each few hundred of them start a collection that walks the ones
    made so far again: a third of the read's time at 10 000 entries, for no
    garbage (nothing made here is cyclic). It runs as usual afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
        # Saves made through this object: a reader that kept what it read can tell
        # whether it is still what the store holds (mobile.device's early read).
        self.commits = 0
        try:
            self._data = Documents(self._backend.load())
        except BaseException:
            self._backend.close()
            raise
        # Parsed entries by id, with the raw dict they came from: a record's
        # versions are replaced, never changed in place, so `is` tells if it is current.
        self._parsed: dict[str, tuple[Raw, EntryData]] = {}
        # Every entry version this store writes was validated first (a save takes an
        # EntryData, a pull is validated at the HTTP edge), so it is rebuilt without
        # validating it again (EntryData.from_stored): that was nearly all the time
        # the first screen waited for at 10 000 entries. A file of an older format
        # (migrated or upgraded as it opened) is validated as before, this session.
        recovery = getattr(self._backend, "recovery", None)
        self._stored = not (
            getattr(recovery, "migrated", False) or getattr(recovery, "upgraded", False)
        )
        with self._mutex:
            self._order_outbox()
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
                self._order_outbox()
                raise
            documents.end()
            if changes:
                self.commits += 1
                try:
                    self._backend.compact(documents)
                except OSError:
                    # The save itself is in the journal; the next open folds it in.
                    _log.warning("Lageret kunne ikke komprimeres nå; prøver igjen senere.")

    def _order_outbox(self) -> None:
        """Keep the outbox's keys in mutation id order, so its oldest are its first keys.

        Ids only grow, so a new mutation lands at the end by itself. The order can
        come otherwise only from a backend that loads in its own order (the
        browser's) or from a failed save, whose roll-back puts what it had taken
        out back at the end: both are put right here, once, not on every read.
        """
        outbox = self._data.table("outbox")
        keys = list(outbox)
        ordered = sorted(keys, key=int)
        if keys != ordered:
            outbox.reorder(ordered)

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

    def contact_name(self) -> str | None:
        """The signed-in contact's name as the office registered it, once a pull has told it."""
        with self._mutex:
            value = self._sync_meta(self._read()).get("contact_name")
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

    def _is_locked(
        self, data: Raw, entry: EntryData, locked: set[tuple[str, str]] | None = None
    ) -> bool:
        """`locked`: the `projection.locked_keys` when the caller asks about many entries."""
        if locked is None:
            locked = projection.locked_keys(data)
        return projection.is_locked(entry, locked, projection.cutoff_day(data))

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
        entry = _parse_entry(raw, stored=self._stored)
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
        server = records.versions(record)[1] if state is EntryState.rejected else None
        return LocalEntry(
            entry=entry,
            state=state,
            errors=_problems(record.get("errors")),
            locked=self._is_locked(data, entry, locked),
            flags=tuple(open_flags.get(entry.id, ())),
            accepted=_parse_entry(server, stored=self._stored) if server is not None else None,
        )

    def entries(
        self, decision_id: str | None = None, period: str | None = None
    ) -> list[LocalEntry]:
        """The contact's entries, newest first, optionally for one decision and/or pay period.

        Deleted entries are gone from here at once, even before the server knows.
        """
        with self._mutex, _collector_paused():
            data = self._read()
            open_flags = projection.open_flags_by_entry(data)
            locked = projection.locked_keys(data)
            shown = [
                self._local_entry(data, record, open_flags, locked)
                for record in projection.entries_in(
                    data, data.get("entries", {}).values(), decision_id, period
                )
            ]
            shown.sort(key=lambda item: (item.entry.date, item.entry.start, item.id), reverse=True)
            return shown

    def entry(self, entry_id: str) -> LocalEntry | None:
        """One entry, or None."""
        with self._mutex:
            data = self._read()
            record = data.get("entries", {}).get(entry_id)
            if record is None or record["data"] is None:
                return None
            return self._local_entry(data, record, projection.open_flags_by_entry(data))

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
                entries[entry.id] = records.saved_locally(record, payload, mutation_id)

            self._commit(change)
            saved = self.entry(entry.id)
            assert saved is not None
            return saved

    def delete_entry(self, entry_id: str) -> None:
        """Delete an entry locally and queue the deletion. `LockedError` when it is locked."""
        with self._mutex:

            def change(data: Raw) -> None:
                entries = self._table(data, "entries")
                record = entries.get(entry_id)
                if record is None or record["data"] is None:
                    raise StoreError("Økten finnes ikke på telefonen.")
                if self._is_locked(data, self._parse(record["data"])):
                    raise LockedError(_LOCKED_MESSAGE)
                mutation_id = self._enqueue(data, "entry.delete", {"id": entry_id}, key=entry_id)
                entries[entry_id] = records.deleted_locally(record, mutation_id)

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
        return projection.sheet_of(data, decision_id, period, self._parse_any)

    def _parse_any(self, raw: Raw) -> EntryData:
        # Only the phone's own versions are cached (by `_parse`); the server's
        # version of a refused change is rare and parsed each time.
        record = self._read().get("entries", {}).get(str(raw.get("id")))
        if record is not None and record.get("data") is raw:
            return self._parse(raw)
        return _parse_entry(raw, stored=self._stored)

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
                if (signature.decision_id, signature.period) in projection.locked_keys(data):
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

    def usage(self, decision_id: str) -> list[PeriodUsage]:
        """Usage in every quota period of the decision, projected offline.

        The last pulled server usage, plus the changes the server has not yet
        acknowledged (new, changed and deleted entries), using models.quota.
        """
        with self._mutex, _collector_paused():
            return projection.usage(self._read(), decision_id, None, self._parse_any)

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
            for usage in projection.usage(self._read(), chosen, entry, self._parse_any):
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
        """Mutations not yet acknowledged, oldest first.

        The outbox table is kept in id order (`_order_outbox`), so the oldest
        `limit` are its first keys: a push's next batch costs the same however
        many wait behind it, and the rest stay undecoded.
        """
        with self._mutex:
            self._read()  # a closed store refuses
            outbox = self._data.table("outbox")
            keys = list(itertools.islice(outbox, limit))
            raw = [outbox[key] for key in keys]
            return [Mutation(item["mutation_id"], item["type"], item["data"]) for item in raw]

    def pending_count(self) -> int:
        """How many changes wait for the server."""
        with self._mutex:
            return len(self._read().get("outbox", {}))

    def rejected(self) -> list[LocalEntry]:
        """Entries the server refused, with its reasons, for the contact to fix."""
        with self._mutex:
            data = self._read()
            open_flags = projection.open_flags_by_entry(data)
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

    def apply_push_results(self, results: Sequence[MutationResult | Mapping[str, Any]]) -> None:
        """Record the server's answer to a push (applied, duplicate or rejected) in one write.

        Results are models.contract's; the JSON form is validated into them.
        """
        typed = [
            result if isinstance(result, MutationResult) else MutationResult.model_validate(result)
            for result in results
        ]
        self._commit(lambda data: merge.apply_push_results(data, typed))

    def apply_pull(
        self, page: PullResponse | Mapping[str, Any], *, today: date | None = None
    ) -> None:
        """Merge a pull page (models.contract.PullResponse; JSON is validated into it) in one write.

        The server wins for what the office decides (approval, rejection,
        flags, voided signatures); local changes not yet pushed are kept.
        Entries of sheets exported more than `merge.KEEP_EXPORTED_MONTHS` ago
        leave the phone (the server keeps them).
        """
        typed = page if isinstance(page, PullResponse) else PullResponse.model_validate(page)
        now = datetime.now(UTC)
        self._commit(
            lambda data: merge.merge_pull(data, typed, now=now, today=today or today_in_oslo())
        )

    def discard_rejected(self, entry_id: str) -> None:
        """Give up a refused change: the entry goes back to what the server has (or away)."""
        with self._mutex:

            def change(data: Raw) -> None:
                entries = self._table(data, "entries")
                record = entries.get(entry_id)
                if record is None or record["state"] != EntryState.rejected:
                    return
                after = records.discarded(record)
                if after is None:
                    del entries[entry_id]
                else:
                    entries[entry_id] = after

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
