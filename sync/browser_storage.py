"""The device store's backend in a browser: IndexedDB, one record per document.

Pyodide has a file system only in memory; what must survive a reload, a closed
browser or an update lives in IndexedDB. Each account's store is one IndexedDB
database (named like the native store file, by a hash that leaks no username)
with one object store, `docs`, whose records are the store's documents:
key `"<table>\\x00<document key>"`, value the document as JSON text.

- `open()` reads every record once, before the store is built (`load` then
  answers from memory, as the seam asks); each document stays JSON text until
  the store first uses it.
- `append()` starts ONE readwrite transaction per save with the save's puts and
  deletes and returns; `flush()` resolves when every transaction so far has
  committed. The app awaits `store.flush()` before it says "Lagret".
- Transactions ask for `durability: "strict"`: committed means on the disk,
  not only handed to the operating system (Chrome's default is "relaxed").
- A save costs what its own documents cost, however many entries the store has.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from sync.storage import Change, StoreError, Tables

DOCS = "docs"
_SEPARATOR = "\x00"


class BrowserStorageError(StoreError):
    """IndexedDB refused or lost a save (quota, private mode, a blocked upgrade)."""

    def __init__(self, detail: str) -> None:
        # The contact reads this; the detail (no personal data) goes to the log.
        super().__init__("Telefonen fikk ikke lagret. Prøv igjen, eller frigjør plass på den.")
        self.detail = detail


def _settle(future: asyncio.Future[Any]) -> tuple[Any, Any, Any]:
    """JS callbacks that resolve `future`: (on success with a value, on error, cleanup)."""
    from pyodide.ffi import create_proxy

    proxies: list[Any] = []

    def succeeded(value: Any = None) -> None:
        if not future.done():
            future.set_result(value)

    def failed(event: Any = None) -> None:
        if not future.done():
            error = getattr(getattr(event, "target", None), "error", None)
            future.set_exception(BrowserStorageError(f"IndexedDB: {error}"))

    ok = create_proxy(succeeded)
    bad = create_proxy(failed)
    proxies.extend([ok, bad])

    def cleanup() -> None:
        for proxy in proxies:
            proxy.destroy()

    return ok, bad, cleanup


def _watch(request: Any) -> asyncio.Future[Any]:
    """A future for an IDBRequest's result. Call it in the same task that made the
    request: a transaction ends as soon as a task finishes with no request pending."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    ok, bad, cleanup = _settle(future)
    request.onsuccess = ok
    request.onerror = bad
    future.add_done_callback(lambda _: cleanup())
    return future


async def _request(request: Any) -> Any:
    """The result of an IDBRequest."""
    await _watch(request)
    return request.result


async def databases() -> set[str]:
    """The names of this origin's IndexedDB databases."""
    from js import indexedDB

    listed = await indexedDB.databases()
    return {str(entry.name) for entry in listed}


class IndexedDBBackend:
    """The browser's `StoreBackend` (sync.storage): build it with `await IndexedDBBackend.open`."""

    def __init__(self, name: str, db: Any, tables: Tables | None) -> None:
        self._name = name
        self._db = db
        self._tables = tables
        self._pending: list[asyncio.Future[None]] = []
        self._closed = False

    @property
    def name(self) -> str:
        return self._name

    @classmethod
    async def exists(cls, name: str) -> bool:
        return name in await databases()

    @classmethod
    async def open(cls, name: str) -> IndexedDBBackend:
        """Open (or create) the account's database and read all of it."""
        from js import indexedDB
        from pyodide.ffi import create_once_callable

        request = indexedDB.open(name, 1)

        def upgrade(_event: Any) -> None:
            database = request.result
            if not database.objectStoreNames.contains(DOCS):
                database.createObjectStore(DOCS)

        request.onupgradeneeded = create_once_callable(upgrade)
        db = await _request(request)
        transaction = db.transaction(DOCS, "readonly")
        store = transaction.objectStore(DOCS)
        # Both requests before the first await: the transaction would end in between.
        key_request, value_request = store.getAllKeys(), store.getAll()
        waiting = [_watch(key_request), _watch(value_request)]
        await asyncio.gather(*waiting)
        keys = key_request.result.to_py()
        values = value_request.result.to_py()
        tables: Tables = {}
        for key, value in zip(keys, values, strict=True):
            table, _, document_key = str(key).partition(_SEPARATOR)
            # Kept as its JSON text: the store decodes a document when it first
            # uses it (sync.documents), so opening does not parse every entry.
            tables.setdefault(table, {})[document_key] = str(value)
        return cls(name, db, tables or None)

    # --- the seam ---------------------------------------------------------------------------

    def load(self) -> Tables | None:
        tables, self._tables = self._tables, None  # handed over once; the store owns it now
        return tables

    def append(self, changes: Sequence[Change]) -> None:
        if self._closed:
            raise BrowserStorageError("the store is closed")
        from js import Object
        from pyodide.ffi import to_js

        options = to_js({"durability": "strict"}, dict_converter=Object.fromEntries)
        transaction = self._db.transaction(DOCS, "readwrite", options)
        store = transaction.objectStore(DOCS)
        for table, key, document in changes:
            record_key = f"{table}{_SEPARATOR}{key}"
            if document is None:
                store.delete(record_key)
            else:
                # Serialised now: the store changes its documents in place later.
                store.put(json.dumps(document, separators=(",", ":")), record_key)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ok, bad, cleanup = _settle(future)
        transaction.oncomplete = ok
        transaction.onerror = bad
        transaction.onabort = bad
        future.add_done_callback(lambda _: cleanup())
        self._pending.append(future)

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            await future

    def compact(self, state: Tables) -> None:
        """Nothing to fold: every record is one document already."""

    def destroy(self) -> None:
        """Signing out: the account's database is deleted (after this connection closes)."""
        from js import indexedDB

        self.close()
        indexedDB.deleteDatabase(self._name)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()
