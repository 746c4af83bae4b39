"""The signing screen names the month and the support contact (issue 10, item 9)."""

from __future__ import annotations

from pathlib import Path

from mobile.device import read_snapshot
from mobile.state.signing import handover_title
from tests.sync.builders import pull_payload, seeded_store


def test_the_title_names_the_contact_the_last_pull_named(tmp_path: Path) -> None:
    with seeded_store(tmp_path / "store.json") as store:
        # What the screen reads before any pull has named the contact.
        assert handover_title("2026-03", read_snapshot(store).contact_name) == (
            "Timeliste for mars 2026"
        )
        store.apply_pull(pull_payload(cursor=2, contact_name="Kari Nordmann"))
        snapshot = read_snapshot(store)
    assert snapshot.contact_name == "Kari Nordmann"
    assert handover_title("2026-03", snapshot.contact_name) == (
        "Timeliste for mars 2026 · Støttekontakt: Kari Nordmann"
    )
