"""The file backend (snapshot + journal) and the store's change tracking."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sync.documents import Documents
from sync.storage import Change, FileBackend, StoreCorruptError, Tables
from sync.store import DeviceStore, EntryState
from tests.factories import make_entry
from tests.sync.builders import pull_payload, seeded_store

TODAY = date(2026, 3, 20)


def _filled(state: Tables | None) -> Tables:
    """The state as plain JSON without its empty tables (a backend need not keep those),
    every document decoded (a snapshot hands them over as JSON text)."""
    decoded = Documents(state)
    plain: Tables = json.loads(json.dumps({name: dict(t.items()) for name, t in decoded.items()}))
    return {name: table for name, table in plain.items() if table}


def _put(data: dict[str, Any], table: str, documents: dict[str, Any]) -> None:
    for key, document in documents.items():
        data.setdefault(table, {})[key] = document


def _header(path: Path) -> dict[str, Any]:
    """The first line of a snapshot: format, version, generation, table sizes."""
    header: dict[str, Any] = json.loads(path.read_bytes().split(b"\n", 1)[0])
    return header


def _state_on_disk(path: Path, tmp_path: Path) -> Tables | None:
    """What a fresh open would see, read from a copy (the store keeps its lock)."""
    copy = tmp_path / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name in (path.name, path.name + ".journal"):
        if (path.parent / name).exists():
            shutil.copy(path.parent / name, copy / name)
    backend = FileBackend(copy / path.name)
    try:
        return backend.load()
    finally:
        backend.close()


class _Recording:
    """A backend in memory that keeps what each save appended."""

    def __init__(self) -> None:
        self.saves: list[list[Change]] = []
        self.state: Tables = {}

    @property
    def name(self) -> str:
        return "memory"

    def load(self) -> Tables | None:
        return None

    def append(self, changes: Sequence[Change]) -> None:
        encoded = json.loads(json.dumps(list(changes)))  # a copy, as a backend must take
        self.saves.append([tuple(change) for change in encoded])
        for table, key, document in encoded:
            if document is None:
                self.state.get(table, {}).pop(key, None)
            else:
                self.state.setdefault(table, {})[key] = document

    async def flush(self) -> None:
        return None

    def compact(self, state: Tables) -> None:
        return None

    def destroy(self) -> None:
        return None

    def close(self) -> None:
        return None


def test_a_save_appends_only_the_documents_it_changed(tmp_path: Path) -> None:
    backend = _Recording()
    store = DeviceStore(backend)
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    pulled = [make_entry(day=date(2026, 3, 1 + n % 19)) for n in range(300)]
    store.apply_pull(pull_payload(entries=[e.model_dump(mode="json") for e in pulled]))
    backend.saves.clear()
    entry = make_entry(day=date(2026, 3, 10))
    store.save_entry(entry, today=TODAY)
    [save] = backend.saves
    touched = {(table, key) for table, key, _ in save}
    [mutation] = store.outbox()
    assert touched == {
        ("entries", entry.id),
        ("outbox", str(mutation.mutation_id)),
        ("meta", "sync"),
    }


def test_what_the_backend_holds_is_the_store_after_every_kind_of_change() -> None:
    """Every path that changes the state reports each change (nothing changed unseen)."""
    backend = _Recording()
    store = DeviceStore(backend)
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload())
    first = make_entry(day=date(2026, 3, 2))
    second = make_entry(day=date(2026, 3, 3))
    store.save_entry(first, today=TODAY)
    store.save_entry(second, today=TODAY)
    store.delete_entry(second.id)
    [m1, m2, m3] = store.outbox()
    store.apply_push_results(
        [
            {"mutation_id": m1.mutation_id, "status": "applied"},
            {
                "mutation_id": m2.mutation_id,
                "status": "rejected",
                "errors": [{"field": "end", "message": "nei"}],
            },
            {"mutation_id": m3.mutation_id, "status": "applied"},
        ]
    )
    store.apply_pull(
        pull_payload(cursor=5, entries=[first.model_dump(mode="json")], deleted={"entries": []})
    )
    store.clear_token()
    assert _filled(store._data) == _filled(backend.state)


def test_a_refused_save_changes_neither_memory_nor_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    kept = make_entry(day=date(2026, 3, 2))
    store.save_entry(kept, today=TODAY)

    def full_disk(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("sync.storage.os.write", full_disk)
    with pytest.raises(OSError, match="disk full"):
        store.save_entry(make_entry(day=date(2026, 3, 3)), today=TODAY)
    monkeypatch.undo()
    assert [e.id for e in store.entries()] == [kept.id]
    assert store.pending_count() == 1
    again = make_entry(day=date(2026, 3, 4))
    store.save_entry(again, today=TODAY)
    store.close()
    with DeviceStore(path) as reopened:
        assert {e.id for e in reopened.entries()} == {kept.id, again.id}
        assert reopened.pending_count() == 2


def test_a_journal_line_cut_short_is_dropped_and_the_store_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    kept = make_entry(day=date(2026, 3, 2))
    store.save_entry(kept, today=TODAY)
    store.save_entry(make_entry(day=date(2026, 3, 3)), today=TODAY)
    store.close()
    journal = path.with_name(path.name + ".journal")
    raw = journal.read_bytes()
    last = raw.rstrip(b"\n").rfind(b"\n") + 1
    journal.write_bytes(raw[: last + (len(raw) - last) // 2])  # the kill came mid-line
    backend = FileBackend(path)
    with DeviceStore(backend) as store:
        assert backend.recovery.torn_bytes > 0
        assert [e.id for e in store.entries()] == [kept.id]
        later = make_entry(day=date(2026, 3, 4))
        store.save_entry(later, today=TODAY)
    with DeviceStore(path) as store:
        assert {e.id for e in store.entries()} == {kept.id, later.id}


def test_a_kill_between_the_two_renames_of_a_compaction_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    journal = path.with_name(path.name + ".journal")
    store = DeviceStore(FileBackend(path, compact_bytes=10**9))
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload())
    saved = [make_entry(day=date(2026, 3, n)) for n in range(1, 6)]
    for entry in saved:
        store.save_entry(entry, today=TODAY)
    old_journal = journal.read_bytes()
    store.backend.compact(store._data)  # not yet: the journal is small
    assert journal.read_bytes() == old_journal
    assert isinstance(store.backend, FileBackend)
    store.backend._compact(store._data)
    store.close()
    # As if killed after the new snapshot was renamed into place but before
    # the fresh journal was: the old journal (generation before) is still there.
    journal.write_bytes(old_journal)
    backend = FileBackend(path)
    with DeviceStore(backend) as reopened:
        assert backend.recovery.stale_journal
        assert {e.id for e in reopened.entries()} == {e.id for e in saved}
        assert reopened.pending_count() == 5


def test_the_journal_is_compacted_once_it_outgrows_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    journal = path.with_name(path.name + ".journal")
    store = DeviceStore(FileBackend(path, compact_bytes=4096))
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload())
    for n in range(1, 20):
        store.save_entry(make_entry(day=date(2026, 3, n)), today=TODAY)
        assert journal.stat().st_size <= 4096 + 2048
    generation = _header(path)["generation"]
    assert generation > 1
    assert _filled(_state_on_disk(path, tmp_path)) == _filled(store._data)
    store.close()


def test_a_store_file_of_format_1_opens_and_is_migrated(tmp_path: Path) -> None:
    """Today's phones hold a bare TinyDB JSON file (schema 1): it opens as it is."""
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        entry = make_entry(day=date(2026, 3, 2))
        store.save_entry(entry, today=TODAY)
        state = json.loads(json.dumps(store._data))
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    # What AtomicJSONStorage wrote until now: the tables, nothing around them.
    assert state["meta"]["sync"]["schema"] == 1
    path.write_text(json.dumps(state))
    backend = FileBackend(path)
    with DeviceStore(backend) as store:
        assert backend.recovery.migrated
        [shown] = store.entries()
        assert shown.entry == entry
        assert shown.state is EntryState.pending
        assert store.pending_count() == 1
    header = _header(path)
    assert (header["format"], header["version"]) == ("timeliste-store", 3)
    assert _filled(_state_on_disk(path, tmp_path)) == _filled(state)


def test_a_snapshot_of_format_2_opens_and_is_rewritten(tmp_path: Path) -> None:
    """Format 2 (one JSON object, documents as objects) is what phones held before 3."""
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        entry = make_entry(day=date(2026, 3, 2))
        store.save_entry(entry, today=TODAY)
        state = _filled(store._data)
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    snapshot = {"format": "timeliste-store", "version": 2, "generation": 4, "tables": state}
    path.write_text(json.dumps(snapshot))
    backend = FileBackend(path)
    with DeviceStore(backend) as store:
        assert backend.recovery.upgraded
        [shown] = store.entries()
        assert shown.entry == entry
        assert store.pending_count() == 1
    header = _header(path)
    assert (header["version"], header["generation"]) == (3, 5)
    assert _filled(_state_on_disk(path, tmp_path)) == state


def test_documents_wait_in_their_json_until_used_and_go_back_unchanged(tmp_path: Path) -> None:
    """Opening reads each document's JSON without decoding it; a save decodes and writes
    only what it touched, and a compaction writes the rest back byte for byte."""
    path = tmp_path / "store.json"
    odd_keys = {"tab\there": {"v": 1}, '"quoted"': {"v": 2}, "line\nbreak": {"v": 3}}
    with seeded_store(path) as store:
        kept, changed = make_entry(day=date(2026, 3, 2)), make_entry(day=date(2026, 3, 3))
        store.save_entry(kept, today=TODAY)
        store.save_entry(changed, today=TODAY)
        store._commit(lambda data: _put(data, "odd", odd_keys))
        store.backend._compact(store._data)  # type: ignore[attr-defined]
    before = path.read_bytes()
    backend = FileBackend(path)
    store = DeviceStore(backend)
    raw = dict.__getitem__(store._data, "entries")
    assert isinstance(dict.__getitem__(raw, kept.id), bytes)
    store.save_entry(changed.model_copy(update={"start": "09:00"}), today=TODAY)
    assert isinstance(dict.__getitem__(raw, kept.id), bytes)  # the save did not need it
    line_of_kept = next(line for line in before.split(b"\n") if line.startswith(kept.id.encode()))
    backend._compact(store._data)
    assert line_of_kept in path.read_bytes().split(b"\n")
    assert {e.id: e.entry.start for e in store.entries()}[changed.id] == "09:00"
    assert dict(store._data["odd"].items()) == odd_keys
    store.close()


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[:-20] + raw[-19:],  # a byte gone
        lambda raw: raw.replace(b'"v":1', b'"v":7', 1),  # a byte changed
        lambda raw: raw.split(b"\n", 1)[0] + b"\n",  # the documents gone
    ],
)
def test_a_damaged_snapshot_is_refused_not_overwritten(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        store._commit(lambda data: _put(data, "odd", {"k": {"v": 1}}))
        store.backend._compact(store._data)  # type: ignore[attr-defined]
    damaged = damage(path.read_bytes())
    path.write_bytes(damaged)
    with pytest.raises(StoreCorruptError):
        DeviceStore(path)
    assert path.read_bytes() == damaged


def test_a_file_that_is_not_a_store_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text('{"half')
    with pytest.raises(StoreCorruptError):
        DeviceStore(path)
    assert path.read_text() == '{"half'
    # The lock is released: once the file is fixed the store opens.
    path.unlink()
    DeviceStore(path).close()


def test_temporaries_of_an_interrupted_compaction_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    seeded_store(path).close()
    (tmp_path / ".tmp-store.json.abc123").write_text('{"half')
    (tmp_path / ".tmp-store.json.journal.abc123").write_text("{")
    backend = FileBackend(path)
    with DeviceStore(backend) as store:
        assert backend.recovery.temporaries == 2
        assert store.account() is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "store.json",
        "store.json.journal",
        "store.json.lock",
    ]


def test_wipe_removes_every_file(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    store.save_entry(make_entry(), today=TODAY)
    store.wipe()
    assert list(tmp_path.iterdir()) == []


def test_flush_returns_once_saves_are_durable(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "store.json") as store:
        store.save_entry(make_entry(), today=TODAY)
        asyncio.run(store.flush())


def test_documents_roll_back_every_touched_document() -> None:
    documents = Documents({"t": {"a": {"v": 1}}})
    documents.begin()
    documents.table("t")["a"]["v"] = 2
    documents.table("t")["b"] = {"v": 3}
    documents.table("u")["c"] = {"v": 4}
    assert sorted(documents.changes(), key=str) == [
        ("t", "a", {"v": 2}),
        ("t", "b", {"v": 3}),
        ("u", "c", {"v": 4}),
    ]
    documents.roll_back()
    assert documents == {"t": {"a": {"v": 1}}, "u": {}}


def test_a_compaction_that_cannot_start_its_journal_loses_no_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.json"
    store = DeviceStore(FileBackend(path, compact_bytes=2048))
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload())
    real = FileBackend._new_journal
    failures = []

    def full_disk(self: FileBackend) -> None:
        if not failures:
            failures.append(1)
            self._close_journal()
            raise OSError("disk full")
        real(self)

    monkeypatch.setattr(FileBackend, "_new_journal", full_disk)
    saved = []
    for n in range(1, 12):  # enough to pass 2 KiB and compact at least once
        entry = make_entry(day=date(2026, 3, n))
        store.save_entry(entry, today=TODAY)  # the save is in the journal: no error
        saved.append(entry.id)
    assert failures
    store.close()
    with DeviceStore(path) as reopened:
        assert {e.id for e in reopened.entries()} == set(saved)


def test_the_oldest_mutations_stay_first_after_a_failed_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push's answer that cannot be written is rolled back, and the mutations it had
    taken out of the outbox go back in front, not behind the newer ones."""
    with seeded_store(tmp_path / "store.json") as store:
        for day in (2, 3, 4):
            store.save_entry(make_entry(day=date(2026, 3, day)), today=TODAY)
        first, second, third = store.outbox()

        def disk_full(changes: Sequence[Change]) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(store.backend, "append", disk_full)
        with pytest.raises(OSError, match="disk full"):
            store.apply_push_results([{"mutation_id": first.mutation_id, "status": "applied"}])
        monkeypatch.undo()
        assert store.outbox(1) == [first]
        assert store.outbox() == [first, second, third]


def test_the_oldest_mutations_come_first_whatever_order_a_backend_loads(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "store.json") as store:
        for day in (2, 3, 4):
            store.save_entry(make_entry(day=date(2026, 3, day)), today=TODAY)
        queued = store.outbox()
        state = _filled(store._data)
    backend = _Recording()
    # Keys as text in reverse, as a backend ordering by key string could hand them over.
    state["outbox"] = dict(reversed(state["outbox"].items()))
    backend.load = lambda: state  # type: ignore[method-assign]
    with DeviceStore(backend) as reopened:
        assert reopened.outbox(2) == queued[:2]
        assert reopened.outbox() == queued


def test_the_next_batch_reads_only_the_batch(tmp_path: Path) -> None:
    """outbox(limit) decodes `limit` mutations, not the whole outbox (a phone offline for
    weeks pushes the same way as one with a single change waiting)."""
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        for day in range(1, 21):
            store.save_entry(make_entry(day=date(2026, 3, day)), today=TODAY)
        queued = store.outbox()
        store.backend._compact(store._data)  # type: ignore[attr-defined]
    with DeviceStore(path) as reopened:
        assert reopened.outbox(3) == queued[:3]
        outbox = dict.__getitem__(reopened._data, "outbox")
        still_text = [key for key, doc in dict.items(outbox) if isinstance(doc, bytes)]
        assert len(still_text) == len(queued) - 3
