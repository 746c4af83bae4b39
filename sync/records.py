"""An entry's record on the phone and how it changes: pure functions, no store, no files.

A record keeps three versions of one entry, each a JSON dict (or None):

- `data`: what the phone shows (None: deleted on the phone);
- `server`: what the server acknowledged or sent last (None: it has none);
- `basis`: the version the last pulled usage counted (sync.projection adds
  the difference between what will count and this to the server's figure);

plus `state` (EntryState), the server's `errors` when it refused the last
change, and `last_mutation`, the id of the phone's latest change to it.

Every function here takes a record and returns the record after one event
(a local save or delete, the server's answer to a push, a pulled version, the
rebase after a pull, a discarded refusal); None means the record goes away.
The input is never changed, so the store can hand the result to its backend
as the one document that changed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "EntryState",
    "Raw",
    "acknowledged",
    "deleted_locally",
    "discarded",
    "effective",
    "pulled",
    "rebased",
    "saved_locally",
    "versions",
]

Raw = dict[str, Any]


class EntryState(StrEnum):
    """Where an entry stands between phone and server."""

    pending = "pending"  # saved on the phone, not yet acknowledged by the server
    synced = "synced"  # the server has exactly this
    rejected = "rejected"  # the server refused the last change; the contact must fix it


# A synced entry's three versions are usually one and the same: writing it
# once and pointing to it keeps the snapshot and the journal lines small.
_SAME_AS_DATA = "=data"
_SAME_AS_SERVER = "=server"


def versions(record: Raw | None) -> tuple[Raw | None, Raw | None, Raw | None]:
    """(data, server, basis) of a record, unpacked."""
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


def _packed(
    record: Raw | None, data: Raw | None, server: Raw | None, basis: Raw | None, **fields: Any
) -> Raw:
    """A copy of `record` with the three versions (a repeated one as a pointer) and `fields`."""
    result: Raw = dict(record or {"state": EntryState.synced, "errors": [], "last_mutation": None})
    result["data"] = data
    result["server"] = _SAME_AS_DATA if server is not None and server == data else server
    if basis is not None and basis == data:
        result["basis"] = _SAME_AS_DATA
    elif basis is not None and basis == server:
        result["basis"] = _SAME_AS_SERVER
    else:
        result["basis"] = basis
    result.update(fields)
    return result


def effective(record: Raw) -> Raw | None:
    """The version the server will hold (and count) once the outbox is through.

    A change the server refused is not it: the last version it accepted is.
    """
    data, server, _ = versions(record)
    return server if record["state"] == EntryState.rejected else data


# --- the phone's own changes -------------------------------------------------------------


def saved_locally(record: Raw | None, payload: Raw, mutation_id: int) -> Raw:
    """The contact saved `payload` (queued as `mutation_id`)."""
    _, server, basis = versions(record)
    return _packed(
        record, payload, server, basis, state=EntryState.pending, errors=[],
        last_mutation=mutation_id,
    )  # fmt: skip


def deleted_locally(record: Raw, mutation_id: int) -> Raw:
    """The contact deleted the entry (queued as `mutation_id`)."""
    _, server, basis = versions(record)
    return _packed(
        record, None, server, basis, state=EntryState.pending, errors=[],
        last_mutation=mutation_id,
    )  # fmt: skip


def discarded(record: Raw) -> Raw | None:
    """The contact gave up a refused change: back to what the server has, or away."""
    _, server, basis = versions(record)
    if server is None:
        return None
    return _packed(record, server, server, basis, state=EntryState.synced, errors=[])


# --- the server's answers --------------------------------------------------------------------


def acknowledged(
    record: Raw,
    *,
    kind: str,
    sent: Raw,
    mutation_id: int,
    accepted: bool,
    errors: list[Raw],
) -> Raw | None:
    """The server answered the push of mutation `mutation_id` (`kind`, payload `sent`).

    Accepted: the server now holds `sent` (or nothing, for a delete). Refused:
    when it was the phone's latest change, the entry shows the refusal; an
    older change's refusal is overtaken by the newer one still on its way.
    """
    latest = record.get("last_mutation") == mutation_id
    current, server, basis = versions(record)
    if accepted:
        server = sent if kind == "entry.upsert" else None
        if not latest:
            return _packed(record, current, server, basis)
        if current is None:
            if basis is None:
                return None
            # A tombstone until the next pull's usage no longer counts it.
            return _packed(record, current, server, basis, state=EntryState.synced)
        return _packed(record, current, server, basis, state=EntryState.synced, errors=[])
    if not latest:
        return record
    if current is None:
        # The server would not delete it (for instance a locked sheet): it stays.
        if server is None:
            return None
        current = server
    return _packed(record, current, server, basis, state=EntryState.rejected, errors=errors)


def pulled(record: Raw | None, server: Raw | None, *, waiting: bool) -> Raw | None:
    """A pull brought the server's version `server` (None: the server deleted it).

    `waiting`: a change of the phone's to this entry is still in the outbox.
    """
    if record is None:
        return None if server is None else _packed(None, server, server, None)
    current, _, basis = versions(record)
    if waiting:
        return _packed(record, current, server, basis)  # the phone's newer change is on its way
    if record["state"] == EntryState.rejected and current is not None:
        # The contact's correction stays until saved or discarded.
        return _packed(record, current, server, basis)
    return _packed(record, server, server, basis, state=EntryState.synced, errors=[])


def rebased(record: Raw, *, waiting: bool, signed_off: bool) -> Raw | None:
    """After a pull: the pulled usage counts the server's version, which becomes the basis.

    `signed_off`: a refused change's sheet (as the server has it) is closed to
    the contact, so the server's version stands (its reasons stay on the entry
    so that the contact sees why). Returns `record` itself when nothing changed.
    """
    current, server, _ = versions(record)
    if signed_off and record["state"] == EntryState.rejected and server is not None and not waiting:
        current = server
    if current is None and server is None and not waiting:
        return None
    result = _packed(record, current, server, server)
    return record if result == record else result
