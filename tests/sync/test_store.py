"""The device store without a server: saving, locking, outbox, push answers, projection."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from models.canonical import content_hash
from sync.documents import Documents
from sync.storage import FileBackend
from sync.store import (
    DeviceStore,
    EntryState,
    InvalidEntryError,
    LockedError,
    StoreInUseError,
    store_path,
)
from tests.factories import make_decision, make_entry
from tests.sync.builders import pull_payload, seeded_store, sheet, signature, usage_item

TODAY = date(2026, 3, 20)


@pytest.fixture
def store(tmp_path: Path) -> DeviceStore:
    opened = seeded_store(tmp_path / "store.json")
    yield opened
    opened.close()


# --- saving ------------------------------------------------------------------------


def test_saved_entry_is_shown_pending_and_queued_in_the_same_write(
    store: DeviceStore, tmp_path: Path
) -> None:
    entry = make_entry(day=date(2026, 3, 10))
    saved = store.save_entry(entry, today=TODAY)
    assert saved.state is EntryState.pending
    assert [e.id for e in store.entries()] == [entry.id]
    [mutation] = store.outbox()
    assert mutation.type == "entry.upsert"
    assert mutation.data["id"] == entry.id
    store.close()
    on_disk = Documents(FileBackend(tmp_path / "store.json").load())
    assert entry.id in on_disk["entries"]
    assert on_disk["outbox"][str(mutation.mutation_id)]["data"]["id"] == entry.id


def test_mutation_ids_increase_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    first = make_entry()
    store.save_entry(first, today=TODAY)
    store.save_entry(make_entry(id=first.id, start="09:00"), today=TODAY)
    store.close()
    reopened = DeviceStore(path)
    reopened.delete_entry(first.id)
    ids = [m.mutation_id for m in reopened.outbox()]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert [m.type for m in reopened.outbox()] == ["entry.upsert", "entry.upsert", "entry.delete"]
    assert reopened.entries() == []
    assert reopened.pending_count() == 3
    reopened.close()


def test_device_id_is_made_once(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    with seeded_store(path) as store:
        device = store.device_id()
        account = store.set_account(server_url="http://x/", username="kari", token="new")
        assert account.device_id == device
        assert account.server_url == "http://x"
    with DeviceStore(path) as store:
        assert store.device_id() == device
        assert store.account() is not None


@pytest.mark.parametrize(
    ("entry_kwargs", "field"),
    [
        ({"day": date(2026, 3, 25)}, "date"),
        ({"decision_ids": ["nope"]}, "decision_ids"),
    ],
)
def test_hard_errors_are_refused_and_nothing_is_stored(
    store: DeviceStore, entry_kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidEntryError) as refused:
        store.save_entry(make_entry(**entry_kwargs), today=TODAY)
    assert refused.value.problems[0].field == field
    assert store.entries() == []
    assert store.pending_count() == 0


def test_unassigned_decision_is_refused(tmp_path: Path) -> None:
    other = make_decision(id="d2", contact_ids=["c9"])
    with (
        seeded_store(tmp_path / "s.json", decisions=[make_decision(), other]) as store,
        pytest.raises(InvalidEntryError, match="ikke tildelt"),
    ):
        store.save_entry(make_entry(decision_ids=["d2"]), today=TODAY)


def test_second_opener_is_refused(store: DeviceStore, tmp_path: Path) -> None:
    with pytest.raises(StoreInUseError):
        DeviceStore(tmp_path / "store.json")


def test_store_file_name_does_not_leak_the_username(tmp_path: Path) -> None:
    path = store_path(tmp_path, "https://kommune.no", "kari.nordmann")
    assert "kari" not in path.name
    assert path == store_path(tmp_path, "https://kommune.no/", "Kari.Nordmann")
    assert path != store_path(tmp_path, "https://kommune.no", "ola")


def test_wipe_deletes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    store.save_entry(make_entry(), today=TODAY)
    store.wipe()
    assert list(tmp_path.iterdir()) == []


# --- locks ----------------------------------------------------------------------------


def test_entries_of_a_signed_or_approved_sheet_are_read_only(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "s.json") as store:
        entry = make_entry(day=date(2026, 2, 10))
        store.save_entry(entry, today=TODAY)
        store.apply_pull(
            pull_payload(cursor=2, timesheets=[sheet(period="2026-02", status="approved")])
        )
        assert store.entry(entry.id) is not None
        assert store.entry(entry.id).locked  # type: ignore[union-attr]
        with pytest.raises(LockedError):
            store.save_entry(make_entry(id=entry.id, day=date(2026, 3, 1)), today=TODAY)
        with pytest.raises(LockedError):
            store.delete_entry(entry.id)
        with pytest.raises(LockedError):
            store.save_entry(make_entry(day=date(2026, 2, 11)), today=TODAY)
        # The office reopens the sheet (rejected): it can be corrected again.
        store.apply_pull(
            pull_payload(cursor=3, timesheets=[sheet(period="2026-02", status="rejected")])
        )
        store.delete_entry(entry.id)
        assert store.entries() == []


def test_signing_locks_at_once_and_checks_the_hash(store: DeviceStore) -> None:
    entry = make_entry(day=date(2026, 3, 3))
    store.save_entry(entry, today=TODAY)
    digest = content_hash(contact_id="c1", decision_id="d1", period="2026-03", entries=[entry])
    assert store.content_hash("d1", "2026-03") == digest

    with pytest.raises(InvalidEntryError, match="endret"):
        store.sign_timesheet(signature("a" * 64))
    store.sign_timesheet(signature(digest))
    assert store.is_locked(entry)
    assert [m.type for m in store.outbox()] == ["entry.upsert", "timesheet.sign"]
    with pytest.raises(LockedError):
        store.save_entry(make_entry(id=entry.id, start="08:00"), today=TODAY)


# --- push answers -------------------------------------------------------------------


def test_push_answers_settle_entries(store: DeviceStore) -> None:
    good, bad = make_entry(start="08:00", end="09:00"), make_entry(start="10:00", end="11:00")
    store.save_entry(good, today=TODAY)
    store.save_entry(bad, today=TODAY)
    first, second = store.outbox()
    store.apply_push_results(
        [
            {"mutation_id": first.mutation_id, "status": "duplicate"},
            {
                "mutation_id": second.mutation_id,
                "status": "rejected",
                "errors": [{"field": "date", "message": "Datoen er feil."}],
            },
        ]
    )
    assert store.outbox() == []
    assert store.entry(good.id).state is EntryState.synced  # type: ignore[union-attr]
    rejected = store.entry(bad.id)
    assert rejected is not None
    assert rejected.state is EntryState.rejected
    assert rejected.errors[0].message == "Datoen er feil."
    assert [e.id for e in store.rejected()] == [bad.id]
    # The same answer again (a retried push) changes nothing.
    store.apply_push_results([{"mutation_id": first.mutation_id, "status": "applied"}])
    assert store.entry(bad.id).state is EntryState.rejected  # type: ignore[union-attr]
    # Fixing it queues it again.
    store.save_entry(make_entry(id=bad.id, start="10:00", end="11:30"), today=TODAY)
    assert store.entry(bad.id).state is EntryState.pending  # type: ignore[union-attr]


def test_a_later_edit_keeps_an_entry_pending_when_an_earlier_one_is_answered(
    store: DeviceStore,
) -> None:
    entry = make_entry()
    store.save_entry(entry, today=TODAY)
    store.save_entry(make_entry(id=entry.id, end="13:00"), today=TODAY)
    first = store.outbox()[0]
    store.apply_push_results([{"mutation_id": first.mutation_id, "status": "applied"}])
    shown = store.entry(entry.id)
    assert shown is not None
    assert shown.state is EntryState.pending
    assert shown.entry.end == "13:00"


# --- the quota projection -------------------------------------------------------------


def test_projection_adds_pending_changes_to_the_pulled_usage(tmp_path: Path) -> None:
    march = (date(2026, 3, 1), date(2026, 3, 31))
    synced = make_entry(day=date(2026, 3, 2), start="10:00", end="12:00")
    server_entry = {**synced.model_dump(mode="json", by_alias=True), "contact_id": "c1"}
    # 9 h used on the server, 2 h of it by this contact's synced entry.
    with seeded_store(
        tmp_path / "s.json",
        entries=[server_entry],
        usage=[usage_item("d1", *march, 9 * 60)],
    ) as store:
        [period] = [u for u in store.usage("d1") if u.period.key == "2026-03"]
        assert period.used_minutes == 9 * 60
        assert period.period.quota_minutes == 10 * 60

        # Lengthening the synced entry by an hour: +1 h, not +3 h.
        store.save_entry(make_entry(id=synced.id, day=synced.date, end="13:00"), today=TODAY)
        assert store.usage("d1")[2].used_minutes == 10 * 60

        # A new 30-minute entry would take the period 30 minutes over quota.
        extra = make_entry(day=date(2026, 3, 5), start="10:00", end="10:30")
        after = store.projected_usage_after(extra)
        assert after is not None
        assert after.over_minutes == 30
        assert [d for d, _ in store.over_quota_after(extra)] == ["d1"]
        # Nothing was saved by asking.
        assert len(store.entries()) == 1

        # Deleting the synced entry takes its 2 h off (the server's copy counted them).
        store.delete_entry(synced.id)
        assert store.usage("d1")[2].used_minutes == 7 * 60


def test_projection_without_server_usage_counts_the_phone(store: DeviceStore) -> None:
    store.save_entry(make_entry(day=date(2026, 3, 2), start="10:00", end="11:15"), today=TODAY)
    store.save_entry(
        make_entry(day=date(2026, 4, 2), start="10:00", end="11:00"), today=date(2026, 4, 2)
    )
    by_key = {u.period.key: u.used_minutes for u in store.usage("d1")}
    assert by_key["2026-03"] == 75
    assert by_key["2026-04"] == 60
    assert by_key["2026-05"] == 0


def test_a_refused_change_leaves_nothing_behind_in_memory(store: DeviceStore) -> None:
    entry = make_entry()
    store.save_entry(entry, today=TODAY)

    def half_done(data: dict[str, object]) -> None:
        data["entries"][entry.id]["data"] = None  # type: ignore[index]
        raise LockedError("refused half-way")

    with pytest.raises(LockedError):
        store._commit(half_done)
    shown = store.entry(entry.id)
    assert shown is not None
    assert shown.entry == entry


def test_a_store_restored_from_a_backup_never_reuses_a_mutation_id(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    files = [path, path.with_name(path.name + ".journal")]  # snapshot and journal
    store = seeded_store(path)
    store.save_entry(make_entry(), today=TODAY)
    store.close()
    backup = [file.read_bytes() for file in files]
    with DeviceStore(path) as store:
        store.save_entry(make_entry(), today=TODAY)
        store.save_entry(make_entry(), today=TODAY)
        issued = [m.mutation_id for m in store.outbox()]
    for file, content in zip(files, backup, strict=True):  # the phone is restored
        file.write_bytes(content)
    time.sleep(0.01)
    with DeviceStore(path) as store:
        store.save_entry(make_entry(), today=TODAY)
        newest = store.outbox()[-1].mutation_id
    assert newest > max(issued)


def test_a_recipient_no_longer_served_leaves_the_phone(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "s.json") as store:
        assert set(store.recipients()) == {"r1"}
        store.apply_pull(
            pull_payload(
                cursor=2,
                decisions=[],
                recipients=[],
                deleted={"entries": [], "decisions": ["d1"], "recipients": ["r1"]},
            )
        )
        assert store.recipients() == {}
        assert store.decisions() == []


def test_entries_of_sheets_exported_over_13_months_ago_leave_the_phone(tmp_path: Path) -> None:
    """The server keeps them; the phone keeps what it may still show or change."""
    old = make_entry(day=date(2025, 1, 10))  # 2025-01: 14 months before 2026-03
    recent = make_entry(day=date(2025, 2, 10))  # 2025-02: 13 months before, stays
    approved = make_entry(day=date(2024, 12, 10), decision_ids=["d2"])  # approved, not exported
    decisions = [
        make_decision(valid_from=date(2024, 1, 1), valid_to=date(2026, 12, 31)),
        make_decision(id="d2", valid_from=date(2024, 1, 1), valid_to=date(2026, 12, 31)),
    ]
    sheets = [
        sheet(period="2025-01", status="exported"),
        sheet(period="2025-02", status="exported"),
        sheet(decision_id="d2", period="2024-12", status="approved"),
    ]
    with seeded_store(tmp_path / "store.json", decisions=decisions) as store:
        store.apply_pull(
            pull_payload(
                decisions=decisions,
                cursor=2,
                entries=[e.model_dump(mode="json") for e in (old, recent, approved)],
                timesheets=sheets,
            ),
            today=date(2026, 3, 20),
        )
        assert {e.id for e in store.entries()} == {recent.id, approved.id}
        assert {(t.decision_id, t.period) for t in store.timesheets()} == {
            ("d1", "2025-02"),
            ("d2", "2024-12"),
        }
    # Nothing the phone still has to send is pruned: an entry waiting in the outbox stays.
    with seeded_store(tmp_path / "other.json", decisions=decisions) as store:
        store.apply_pull(
            pull_payload(decisions=decisions, cursor=2, entries=[old.model_dump(mode="json")]),
            today=date(2025, 1, 20),
        )
        store.save_entry(make_entry(id=old.id, day=old.date, end="13:00"), today=date(2025, 1, 20))
        store.apply_pull(
            pull_payload(decisions=decisions, cursor=3, timesheets=[sheets[0]]),
            today=date(2026, 3, 20),
        )
        assert [e.id for e in store.entries()] == [old.id]
        assert [t.period for t in store.timesheets()] == ["2025-01"]  # it stays locked


def test_the_contact_name_is_kept_from_the_pull_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = seeded_store(path)
    assert store.contact_name() is None  # no pull has named the contact yet
    store.apply_pull(pull_payload(cursor=2, contact_name="Kari Nordmann"))
    assert store.contact_name() == "Kari Nordmann"
    # A page from a server that does not send the name leaves the one the phone has.
    store.apply_pull(pull_payload(cursor=3))
    assert store.contact_name() == "Kari Nordmann"
    store.apply_pull(pull_payload(cursor=4, contact_name="Kari Nordmann Berg"))
    store.close()
    with DeviceStore(path) as reopened:
        assert reopened.contact_name() == "Kari Nordmann Berg"
