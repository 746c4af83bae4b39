"""Where the device store keeps its bytes: the backend seam and the native file backend.

The store (sync.store) holds its whole state in memory as `Tables` (table name
-> document key -> JSON document) and tells a *backend* which documents each
save changed. The backend makes those changes durable. Two backends exist:

- `FileBackend` (here), for a phone or desktop with a file system: a snapshot
  of the whole state plus an append-only journal of changes. A save appends
  one line to the journal and fsyncs once, so it costs the same with 100 or
  10 000 entries; the snapshot is rewritten (compacted) only when the store
  opens with a journal to fold in, or when the journal has outgrown it.

The snapshot (format version 3) is a header line (JSON: generation, how many
documents each table has, a checksum of the rest) and then one line per
document, `key<TAB>document as JSON`. Opening splits the lines and keeps each
document as its JSON bytes; the store decodes a document when it first uses it
(sync.documents). Parsing every entry's objects at once was nearly all the
time an open took: 110-180 ms CPU at 10 000 entries, against about 15 ms to
split the lines. JSON never writes a raw tab or line break inside a document,
and a key that holds one (or starts with a quote) is written as a JSON string.
- the browser backend (sync.browser_storage), one IndexedDB record per document.

Why not TinyDB's `Storage`: its `write(data)` receives the whole database on
every change and cannot tell what changed, so a storage under it must either
rewrite everything (123 ms per save at 10 000 entries) or diff the whole state
on every save. The store already keeps its own dict state and knows which
documents a save touched, so it talks to this seam directly.

Crash safety of the file backend, at every instant:
- The snapshot is only ever replaced whole: written to a temporary file in the
  same folder, fsynced, renamed over the live file, and the folder fsynced.
- Every journal line carries a checksum; a line cut short by a kill (or never
  fsynced before a power cut) fails it and is dropped on open, together with
  anything after it. Such a save never returned, so nothing confirmed is lost.
- Snapshot and journal carry a generation number. Compaction writes the new
  snapshot (generation g+1, holding everything the journal held) first and
  only then a fresh journal of generation g+1; a kill in between leaves a
  journal of generation g, which the next open recognises as already folded
  in and ignores.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

try:  # POSIX (Linux, Android, macOS, iOS); Windows desktops go without the cross-process lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Change",
    "FileBackend",
    "Recovery",
    "StoreBackend",
    "StoreCorruptError",
    "StoreError",
    "StoreInUseError",
    "Tables",
    "replace_atomically",
]

Tables = dict[str, dict[str, Any]]
Change = tuple[str, str, dict[str, Any] | None]  # (table, key, document or None = deleted)

_TEMP_PREFIX = ".tmp-"
_FORMAT = "timeliste-store"
# 1 was a bare TinyDB JSON file without a journal; 2 one JSON object holding
# every document; 3 a line per document (above). 1 and 2 are read and rewritten as 3.
_FORMAT_VERSION = 3
_JOURNAL_FORMAT = "timeliste-journal"
# The journal is folded into the snapshot once it is larger than the snapshot
# (so compaction costs at most as much again as the saves that led to it)
# and larger than this floor (so a small store does not compact every few saves).
_COMPACT_FLOOR = 1 << 20


class StoreCorruptError(RuntimeError):
    """The store file exists but is not a readable store (never made by this backend)."""


class StoreError(Exception):
    """Base of the device store's errors; `str()` is a sentence in bokmål for the contact."""


class StoreInUseError(StoreError):
    """Another process has this store open."""


class StoreBackend(Protocol):
    """Makes the device store's changes durable (see the module docstring)."""

    @property
    def name(self) -> str:
        """The store's identity on this device: the file path, or the IndexedDB name."""
        ...

    def load(self) -> Tables | None:
        """The whole state, or None for a new store. A document may be its JSON text
        (a str), which the store decodes when it first uses it.

        Synchronous: a browser backend loads everything in its own async
        `open()` before the store is built and answers from memory here.
        """
        ...

    def append(self, changes: Sequence[Change]) -> None:
        """Record one save. The documents must be copied (serialised) before this returns:
        the store changes its documents in place later.

        Native: durable when it returns (write + fsync). Browser: starts the
        transaction and returns; `flush` waits for it.
        """
        ...

    async def flush(self) -> None:
        """Resolves when every change appended so far is durable (native: at once)."""
        ...

    def compact(self, state: Tables) -> None:
        """Called after every save with the whole state; the backend decides whether to
        fold its journal into a new base now (native) or does nothing (browser)."""
        ...

    def destroy(self) -> None:
        """Signing out: remove everything of this account. The backend is closed after."""
        ...

    def close(self) -> None:
        """Release the files / database (everything appended is already durable)."""
        ...


def _fsync_folder(folder: Path) -> None:
    # A rename is only durable once the folder's entry is on disk. Windows
    # cannot open a folder for fsync; its os.replace is durable enough there.
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def replace_atomically(path: Path, encoded: bytes, *, durable: bool = True) -> None:
    """Make `path` hold `encoded`: a temporary file, fsync, rename, folder fsync.

    At every instant `path` is the whole old content or the whole new one.
    """
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(encoded)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        _fsync_folder(folder)


def _encode_key(key: str) -> bytes:
    if "\t" in key or "\n" in key or "\r" in key or key.startswith('"'):
        return json.dumps(key).encode()
    return key.encode()


def _decode_key(raw: bytes) -> str:
    if raw.startswith(b'"'):
        key = json.loads(raw)
        if not isinstance(key, str):
            raise ValueError("a key is a string")
        return key
    return raw.decode()


def _encode_snapshot(generation: int, state: Tables) -> bytes:
    """Format 3: header line, then `key<TAB>JSON` per document, tables in header order."""
    counts: dict[str, int] = {}
    lines: list[bytes] = []
    # dict.items: the store's tables decode their documents when iterated their own way,
    # and a document it never decoded is written back as the bytes it was read as.
    for name, table in dict.items(state):
        counts[name] = len(table)
        for key, document in dict.items(table):
            if isinstance(document, bytes | str):
                text = document.encode() if isinstance(document, str) else document
            else:
                text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
            lines.append(_encode_key(key) + b"\t" + text + b"\n")
    body = b"".join(lines)
    header = {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "generation": generation,
        "tables": counts,
        "crc32": zlib.crc32(body),
    }
    return json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + body


def _decode_snapshot(header: dict[str, Any], body: bytes) -> Tables:
    """The tables of a format 3 snapshot, each document still its JSON bytes."""
    if zlib.crc32(body) != header["crc32"] or (body and not body.endswith(b"\n")):
        raise ValueError("the snapshot's checksum does not match")
    lines = body.split(b"\n")
    lines.pop()  # after the last line break
    counts: dict[str, int] = header["tables"]
    if sum(counts.values()) != len(lines):
        raise ValueError("the snapshot has another number of documents than its header")
    tables: Tables = {}
    start = 0
    for name, count in counts.items():
        table: dict[str, Any] = {}
        for line in lines[start : start + count]:
            key, tab, document = line.partition(b"\t")
            if not tab:
                raise ValueError("a snapshot line without a key")
            table[_decode_key(key)] = document
        tables[name] = table
        start += count
    return tables


def _encode_line(changes: Sequence[Change]) -> bytes:
    body = json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x " % zlib.crc32(body) + body + b"\n"


def _decode_line(line: bytes) -> list[Change] | None:
    """The changes of one whole journal line, or None when it is cut short or damaged."""
    if len(line) < 10 or not line.endswith(b"\n") or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        raw = json.loads(body)
    except ValueError:
        return None
    if not isinstance(raw, list):
        return None
    changes: list[Change] = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        table, key, document = item
        changes.append((str(table), str(key), document))
    return changes


@dataclass
class Recovery:
    """What opening the store found and repaired (for the crash checks and support)."""

    journal_saves: int = 0  # saves replayed from the journal
    torn_bytes: int = 0  # bytes of a journal line a kill cut short (dropped)
    stale_journal: bool = False  # a journal already folded into the snapshot (ignored)
    temporaries: int = 0  # temporary files of an interrupted compaction (removed)
    migrated: bool = False  # a store file of format 1 (bare TinyDB JSON)
    upgraded: bool = False  # a snapshot of an older format version (rewritten as the current)


class _ProcessLock:
    """An advisory lock on a side file, held while the store is open."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: int | None = None

    def acquire(self) -> None:
        handle = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise StoreInUseError(
                "Lageret er i bruk av et annet program. Lukk det og prøv igjen."
            ) from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing drops the flock
            self._handle = None


class FileBackend:
    """Snapshot file + append-only journal beside it (`<name>.journal`), one writer."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = True,
        compact_bytes: int | None = None,
    ) -> None:
        """Take the store at `path` (its folder is created) and lock it for this process.

        `durable=False` skips the fsyncs: only for tests and benchmarks that
        measure what they cost, never for a contact's data. `compact_bytes`
        (tests) compacts whenever the journal passes that size, however large
        the snapshot, so that crash tests can kill compactions too.
        """
        self._path = Path(path)
        self._journal_path = self._path.with_name(self._path.name + ".journal")
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._durable = durable
        self._compact_bytes = compact_bytes
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _ProcessLock(self._lock_path)
        self._lock.acquire()
        self._journal: int | None = None  # append handle of the current journal
        self._journal_size = 0
        self._snapshot_size = 0
        self._generation = 0
        self._broken = False
        self.recovery = Recovery()

    @property
    def name(self) -> str:
        return str(self._path)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def journal_path(self) -> Path:
        return self._journal_path

    # opening ---------------------------------------------------------------------------

    def _remove_stale_temporaries(self) -> int:
        # A kill between writing a temporary file and renaming it leaves the
        # temporary behind; it was never part of the store, so it can go.
        removed = 0
        for name in (self._path.name, self._journal_path.name):
            for leftover in self._path.parent.glob(f"{_TEMP_PREFIX}{name}.*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed += 1
        return removed

    def _read_snapshot(self) -> Tables | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        self._snapshot_size = len(raw)
        if not raw:
            return None
        corrupt = f"{self._path.name} er ikke et lager fra Timeliste"
        header_end = raw.find(b"\n")
        try:
            # Formats 1 and 2 are one JSON value without a line break; 3 starts with its header.
            data = json.loads(raw if header_end < 0 else raw[:header_end])
        except ValueError as error:
            raise StoreCorruptError(corrupt) from error
        if not isinstance(data, dict):
            raise StoreCorruptError(corrupt)
        if data.get("format") != _FORMAT:
            # Format 1: the whole state as a bare TinyDB JSON file, no journal.
            # It is the state as it is; the compaction on open rewrites it.
            self.recovery.migrated = True
            return data
        version = data.get("version")
        if version not in (2, _FORMAT_VERSION) or (version == 2) != (header_end < 0):
            raise StoreCorruptError(f"{self._path.name} er fra en nyere versjon av Timeliste")
        self._generation = int(data["generation"])
        if version == 2:
            self.recovery.upgraded = True
            tables: Tables = data["tables"]
            return tables
        try:
            return _decode_snapshot(data, raw[header_end + 1 :])
        except (KeyError, TypeError, ValueError) as error:
            raise StoreCorruptError(corrupt) from error

    def _replay_journal(self, state: Tables | None) -> Tables | None:
        try:
            raw = self._journal_path.read_bytes()
        except FileNotFoundError:
            return state
        header_end = raw.find(b"\n") + 1
        try:
            header = json.loads(raw[:header_end]) if header_end else None
        except ValueError:
            header = None
        if (
            not isinstance(header, dict)
            or header.get("format") != _JOURNAL_FORMAT
            or header.get("generation") != self._generation
        ):
            # Written under an older snapshot and already folded into this one
            # (a kill between the two renames of a compaction), or a journal
            # left beside a snapshot restored from a backup: not of this base.
            self.recovery.stale_journal = True
            return state
        offset = header_end
        while offset < len(raw):
            end = raw.find(b"\n", offset)
            line = raw[offset : end + 1] if end >= 0 else raw[offset:]
            changes = _decode_line(line)
            if changes is None:
                # A line the kill cut short; only the last one can be, since
                # each save waits for its fsync before the next begins.
                self.recovery.torn_bytes = len(raw) - offset
                break
            if state is None:
                state = {}
            for table, key, document in changes:
                if document is None:
                    state.get(table, {}).pop(key, None)
                else:
                    state.setdefault(table, {})[key] = document
            self.recovery.journal_saves += 1
            offset += len(line)
        return state

    def load(self) -> Tables | None:
        """Read snapshot and journal; fold the journal in when there is one to fold."""
        self.recovery = Recovery(temporaries=self._remove_stale_temporaries())
        state = self._read_snapshot()
        state = self._replay_journal(state)
        recovery = self.recovery
        if state is not None and (
            recovery.migrated or recovery.upgraded or recovery.journal_saves or recovery.torn_bytes
        ):
            self._compact(state)
        elif state is None:
            # A new store: its (empty) files exist from the start, as the app
            # and `timeliste device` expect of a store that was opened.
            self._compact({})
        elif recovery.stale_journal or not self._journal_path.exists():
            # No saves to fold in, but the journal is not one to append to.
            self._new_journal()
        else:
            self._open_journal()
        return state

    # saving ----------------------------------------------------------------------------

    def _open_journal(self) -> None:
        if self._journal is None:
            self._journal = os.open(self._journal_path, os.O_WRONLY | os.O_APPEND)
            self._journal_size = os.fstat(self._journal).st_size

    def _new_journal(self) -> None:
        """A journal of the current generation with no saves in it, put in place atomically."""
        self._close_journal()
        header = json.dumps({"format": _JOURNAL_FORMAT, "generation": self._generation})
        replace_atomically(self._journal_path, header.encode() + b"\n", durable=self._durable)
        self._open_journal()

    def append(self, changes: Sequence[Change]) -> None:
        """Append one save as one journal line and fsync it: durable when this returns."""
        if self._broken:
            raise OSError("Lageret kunne ikke skrive sist; åpne det på nytt.")
        if self._journal is None:
            # A compaction wrote its snapshot but could not start the new journal
            # (a full disk): the snapshot holds everything, so start it now.
            self._new_journal()
        assert self._journal is not None
        line = _encode_line(changes)
        try:
            written = 0
            while written < len(line):
                written += os.write(self._journal, line[written:])
            if self._durable:
                # fdatasync also makes the new length durable, which is all an append needs.
                getattr(os, "fdatasync", os.fsync)(self._journal)
        except BaseException:
            # Cut off what part of the line got written, so the next save does
            # not follow garbage; if even that fails, refuse saves until reopened.
            try:
                os.ftruncate(self._journal, self._journal_size)
            except OSError:
                self._broken = True
            raise
        self._journal_size += len(line)

    async def flush(self) -> None:
        """Every append is durable when it returns: nothing to wait for."""

    def compact(self, state: Tables) -> None:
        """Fold the journal into a new snapshot once it has outgrown the snapshot."""
        limit = self._compact_bytes or max(_COMPACT_FLOOR, self._snapshot_size)
        if self._journal_size > limit:
            self._compact(state)

    def _compact(self, state: Tables) -> None:
        encoded = _encode_snapshot(self._generation + 1, state)
        replace_atomically(self._path, encoded, durable=self._durable)
        # From here the snapshot holds everything; the old journal is stale.
        self._generation += 1
        self._snapshot_size = len(encoded)
        self._new_journal()

    # lifetime ----------------------------------------------------------------------------

    def _close_journal(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None
            self._journal_size = 0

    def close(self) -> None:
        self._close_journal()
        self._lock.release()

    def destroy(self) -> None:
        """Remove snapshot, journal, temporaries and the lock file for good (signing out)."""
        self._close_journal()
        for path in (self._path, self._journal_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._remove_stale_temporaries()
        with contextlib.suppress(FileNotFoundError):
            self._lock_path.unlink()
        self._lock.release()
        if self._durable:
            _fsync_folder(self._path.parent)
