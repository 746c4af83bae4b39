"""The sheet the signer is shown is the sheet the store checks, also after a refused change.

Until now the month view listed the phone's versions (a refused change
included) while the store hashed what the server holds: the hashes never
matched, and signing failed on every try with "Timelisten er endret etter at
den ble vist" (issue 10, item 5). Both now use models.timesheets.sheet_entries.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from mobile.device import read_snapshot
from mobile.state.month import month_sheet
from models.canonical import content_hash
from sync.store import DeviceStore, EntryState
from tests.factories import make_entry
from tests.sync.builders import seeded_store, signature

TODAY = date(2026, 3, 20)


def _answer(store: DeviceStore, status: str) -> None:
    store.apply_push_results(
        [
            {
                "mutation_id": mutation.mutation_id,
                "status": status,
                "errors": [] if status == "applied" else [{"field": "end", "message": "Nei."}],
            }
            for mutation in store.outbox()
        ]
    )


def _sign_as_the_app_does(store: DeviceStore) -> list[str]:
    """Hash the month view's sheet (as mobile.controller.sheet_hash) and sign it."""
    snapshot = read_snapshot(store)
    sheet = month_sheet(snapshot, "d1", "2026-03")
    assert snapshot.contact_id is not None
    shown = content_hash(
        contact_id=snapshot.contact_id,
        decision_id="d1",
        period="2026-03",
        entries=sheet.entries(),
    )
    store.sign_timesheet(signature(shown))
    return [row.entry.entry.end for row in sheet.rows]


def test_signing_works_after_the_server_refused_a_change(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "store.json") as store:
        accepted = make_entry(day=date(2026, 3, 2), start="10:00", end="12:00")
        store.save_entry(accepted, today=TODAY)
        _answer(store, "applied")
        # The contact changes it; the server refuses the change.
        store.save_entry(make_entry(id=accepted.id, day=accepted.date, end="13:00"), today=TODAY)
        # ... and a new entry the server refuses outright.
        store.save_entry(make_entry(day=date(2026, 3, 3)), today=TODAY)
        _answer(store, "rejected")
        assert {local.state for local in store.entries()} == {EntryState.rejected}

        # The sheet lists what the server holds: the accepted version, not the refused one.
        shown_ends = _sign_as_the_app_does(store)
        assert shown_ends == ["12:00"]
        [signature] = store.signatures()
        assert signature.state is EntryState.pending


def test_the_month_view_and_the_store_agree_on_the_sheet(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "store.json") as store:
        kept = make_entry(day=date(2026, 3, 5))
        store.save_entry(kept, today=TODAY)
        _answer(store, "applied")
        store.delete_entry(kept.id)  # a deletion the server refuses comes back
        _answer(store, "rejected")
        sheet = month_sheet(read_snapshot(store), "d1", "2026-03")
        assert sheet.entries() == store.timesheet_entries("d1", "2026-03") == [kept]
