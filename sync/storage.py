"""A TinyDB storage that a crash or a dead battery cannot destroy.

TinyDB's `JSONStorage` seeks to the start of its file and rewrites it in
place: a process killed half-way leaves a file that is neither the old nor the
new database, and the contact's unsent entries are gone. This storage never
touches the live file. It writes the new state to a temporary file in the same
folder, flushes and fsyncs it, renames it over the live file (atomic on POSIX
and on Windows' `os.replace`), and fsyncs the folder so that the rename itself
survives a power cut. At every instant the file on disk is a complete old
state or a complete new one.

The storage is the only writer of its file while it is open, so it keeps the
last state it read or wrote in memory and answers reads from there: TinyDB
reads the whole database before every operation, and parsing a phone's
10 000 entries each time would cost more than the write.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

Tables = dict[str, dict[str, Any]]

_TEMP_PREFIX = ".tmp-"


class StoreCorruptError(RuntimeError):
    """The store file exists but is not a readable database (never made by this storage)."""


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


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB that writes a whole new file and renames it into place."""

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        """Open (or prepare to create) the store at `path`; its folder is created.

        `durable=False` skips the fsyncs: only for tests and benchmarks that
        measure what the fsyncs cost, never for a contact's data.
        """
        super().__init__()
        self._path = Path(path)
        self._durable = durable
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        self._cache: Tables | None = None
        self._loaded = False

    @property
    def path(self) -> Path:
        return self._path

    def _remove_stale_temporaries(self) -> None:
        # A crash between writing a temporary file and renaming it leaves the
        # temporary behind; it was never the store, so it can go.
        for leftover in self._path.parent.glob(f"{_TEMP_PREFIX}{self._path.name}.*"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def read(self) -> Tables | None:
        """The whole database, or None when the store is new.

        The answer is the storage's own copy: TinyDB changes it and hands it
        back to `write`, which is how TinyDB is meant to use a storage.
        """
        if not self._loaded:
            self._cache = self._load()
            self._loaded = True
        return self._cache

    def _load(self) -> Tables | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise StoreCorruptError(f"{self._path.name} is not a TinyDB JSON file") from error
        if not isinstance(data, dict):
            raise StoreCorruptError(f"{self._path.name} is not a TinyDB JSON file")
        return data

    def write(self, data: Tables) -> None:
        """Replace the database with `data`, durably, or leave the old one whole."""
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            self._replace(encoded)
        except BaseException:
            # The caller may have changed our cached copy before the failed
            # write; forget it so that the next read sees what is on disk.
            self.forget()
            raise
        self._cache = data
        self._loaded = True

    def _replace(self, encoded: bytes) -> None:
        folder = self._path.parent
        handle, temporary = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{self._path.name}.", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(encoded)
                stream.flush()
                if self._durable:
                    os.fsync(stream.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        if self._durable:
            _fsync_folder(folder)

    def forget(self) -> None:
        """Drop the in-memory copy; the next read loads the file again."""
        self._cache = None
        self._loaded = False

    def close(self) -> None:
        self.forget()

    def delete(self) -> None:
        """Remove the store file for good (signing out)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        self._remove_stale_temporaries()
        if self._durable:
            _fsync_folder(self._path.parent)
