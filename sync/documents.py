"""The store's state in memory, and which documents a save touched.

The state is `Tables` (table -> key -> JSON document), as the backends keep it.
Each table is a `TrackedTable`: while a save runs, the first access to a
document by key (`table[key]`, `get`, assignment, deletion, `pop`,
`setdefault`) records a copy of it as it was. At the end of the save the
store hands exactly the documents that differ from their copies to the
backend, and a save that fails puts the copies back. Nothing scans the whole
state, so a save costs the same with 100 or 10 000 entries.

Iterating a table (`values()`, `items()`) records nothing: code that changes
a document it found by iterating must take it again by key first.

A backend may hand over a document as its JSON text, str or bytes (the file
backend's snapshot does): it is decoded when first used, by key or by
iterating its table. Opening a store then reads one string per document instead of building
every entry's dicts and lists, which is nearly all the time an open takes.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from sync.storage import Change, Tables

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_values

__all__ = ["Documents", "TrackedTable"]

Raw = dict[str, Any]
_ABSENT: Any = object()


class _Journal:
    """The copies taken during one save, shared by all tables of a state."""

    def __init__(self) -> None:
        self.before: dict[tuple[str, str], Any] | None = None  # None: no save running


class TrackedTable(dict[str, Raw]):
    """A table that remembers, during a save, each document's state before the save."""

    __slots__ = ("_encoded", "_journal", "_name")

    def __init__(self, name: str, journal: _Journal, documents: dict[str, Any]) -> None:
        super().__init__(documents)
        self._name = name
        self._journal = journal
        # Whether some documents are still JSON text (see the module docstring).
        self._encoded = any(isinstance(value, str | bytes) for value in dict.values(self))

    def _decode(self, key: str) -> None:
        value = dict.get(self, key)
        if isinstance(value, str | bytes):
            dict.__setitem__(self, key, json.loads(value))

    def _decode_all(self) -> None:
        if self._encoded:
            encoded: list[tuple[str, Any]] = [
                (k, v) for k, v in dict.items(self) if isinstance(v, str | bytes)
            ]
            for key, text in encoded:
                dict.__setitem__(self, key, json.loads(text))
            self._encoded = False

    def _touch(self, key: str) -> None:
        if self._encoded:
            self._decode(key)
        before = self._journal.before
        if before is not None and (self._name, key) not in before:
            # Documents are small (one entry, one mutation): copying them is cheap.
            old = dict.get(self, key, _ABSENT)
            before[(self._name, key)] = _ABSENT if old is _ABSENT else copy.deepcopy(old)

    def reorder(self, keys: list[str]) -> None:
        """Put the documents in the order of `keys` (all of them). Not a change: no save
        records it, and the backends need not keep a table's order."""
        if self._journal.before is not None:
            raise RuntimeError("reorder a table between saves only")
        if len(keys) != dict.__len__(self) or set(keys) != dict.keys(self):
            raise ValueError("reorder needs every key of the table, once")
        documents = [(key, dict.pop(self, key)) for key in keys]
        for key, document in documents:
            dict.__setitem__(self, key, document)

    def values(self) -> dict_values[str, Raw]:
        self._decode_all()
        return dict.values(self)

    def items(self) -> dict_items[str, Raw]:
        self._decode_all()
        return dict.items(self)

    def __getitem__(self, key: str) -> Raw:
        self._touch(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._touch(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: str, value: Raw) -> None:
        self._touch(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._touch(key)
        dict.__delitem__(self, key)

    def pop(self, key: str, *default: Any) -> Any:
        self._touch(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._touch(key)
        return dict.setdefault(self, key, default)

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise NotImplementedError("change documents one key at a time")

    update = clear = popitem = __ior__ = _refuse


class Documents(dict[str, dict[str, Any]]):
    """The whole state: table name -> TrackedTable. Missing tables read as empty."""

    def __init__(self, tables: Tables | None = None) -> None:
        super().__init__()
        self._journal = _Journal()
        for name, documents in (tables or {}).items():
            dict.__setitem__(self, name, TrackedTable(name, self._journal, documents))

    def table(self, name: str) -> TrackedTable:
        """The table `name`, made (empty) when it does not exist yet."""
        table = dict.get(self, name)
        if isinstance(table, TrackedTable):
            return table
        made = TrackedTable(name, self._journal, {})
        dict.__setitem__(self, name, made)
        return made

    def setdefault(self, key: str, default: Any = None) -> TrackedTable:
        return self.table(key)

    # one save ------------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        return self._journal.before is not None

    def begin(self) -> None:
        if self._journal.before is not None:
            raise RuntimeError("a save is already running")
        self._journal.before = {}

    def changes(self) -> list[Change]:
        """The documents the running save changed, as they are now."""
        before = self._journal.before or {}
        changes: list[Change] = []
        for (name, key), old in before.items():
            new = dict.get(self.table(name), key, _ABSENT)
            if new is _ABSENT and old is _ABSENT:
                continue
            if new is _ABSENT:
                changes.append((name, key, None))
            elif old is _ABSENT or new != old:
                changes.append((name, key, new))
        return changes

    def end(self) -> None:
        """The save is done (durably): forget the copies."""
        self._journal.before = None

    def roll_back(self) -> None:
        """The save failed: every touched document goes back to what it was."""
        before = self._journal.before or {}
        self._journal.before = None
        for (name, key), old in before.items():
            table = self.table(name)
            if old is _ABSENT:
                dict.pop(table, key, None)
            else:
                dict.__setitem__(table, key, old)
