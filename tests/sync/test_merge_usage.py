"""A pull's usage: every period for a vedtak in the page, otherwise only changed periods.

The server sends a vedtak's whole usage when the vedtak itself is in the page
(new to the phone, or its terms changed) and, for the others, only the
periods that moved since the phone's cursor (server.services.sync.pull). The
phone keeps the periods it already has.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sync.store import DeviceStore
from tests.factories import make_decision
from tests.sync.builders import seeded_store, usage_item

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def _used(store: DeviceStore, key: str) -> int:
    return next(u.used_minutes for u in store.usage("d1") if u.period.key == key)


def test_changed_periods_are_merged_into_the_ones_the_phone_has(tmp_path: Path) -> None:
    both = usage_item("d1", *MARCH, 9 * 60)
    both["periods"] += usage_item("d1", *APRIL, 60)["periods"]
    with seeded_store(tmp_path / "s.json", usage=[both]) as store:
        assert (_used(store, "2026-03"), _used(store, "2026-04")) == (9 * 60, 60)
        # Only April moved: the page has no vedtak, and March stays as it was.
        store.apply_pull(
            {
                "cursor": 2,
                "contact_id": "c1",
                "decisions": [],
                "recipients": [],
                "entries": [],
                "timesheets": [],
                "flags": [],
                "usage": [usage_item("d1", *APRIL, 120)],
                "deleted": {},
            }
        )
        assert (_used(store, "2026-03"), _used(store, "2026-04")) == (9 * 60, 120)


def test_a_vedtak_in_the_page_replaces_all_its_periods(tmp_path: Path) -> None:
    both = usage_item("d1", *MARCH, 9 * 60)
    both["periods"] += usage_item("d1", *APRIL, 60)["periods"]
    with seeded_store(tmp_path / "s.json", usage=[both]) as store:
        # The vedtak itself comes again (say its terms changed): what the server
        # sends is all there is, and March has nothing used any more.
        store.apply_pull(
            {
                "cursor": 2,
                "contact_id": "c1",
                "decisions": [{**make_decision().model_dump(mode="json"), "case_no": "2026/1"}],
                "recipients": [{"id": "r1", "display_name": "Kari N.", "case_no": "2026/1"}],
                "entries": [],
                "timesheets": [],
                "flags": [],
                "usage": [usage_item("d1", *APRIL, 120)],
                "deleted": {},
            }
        )
        assert (_used(store, "2026-03"), _used(store, "2026-04")) == (0, 120)
