"""Builders for the device-store tests: a pulled world for contact `c1`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from models.schemas import Decision, EntryData, SignatureCreate
from sync.projection import ENTRY_FIELDS
from sync.store import DeviceStore
from tests.factories import make_decision


def pulled_entry(entry: EntryData | dict[str, Any], contact_id: str = "c1") -> dict[str, Any]:
    """An entry as the pull sends it (models.contract.EntryPublic): the server's fields added."""
    if isinstance(entry, dict):
        contact_id = entry.get("contact_id", contact_id)
        entry = EntryData.model_validate({k: v for k, v in entry.items() if k in ENTRY_FIELDS})
    data = entry
    return {
        **data.model_dump(mode="json", by_alias=True),
        "contact_id": contact_id,
        "minutes": data.minutes,
        "total_km": str(data.total_km),
        "total_expenses": str(data.total_expenses),
        "updated_at": "2026-03-01T12:00:00+00:00",
    }


def pull_payload(
    *,
    decisions: list[Decision] | None = None,
    cursor: int = 1,
    contact_id: str = "c1",
    **extra: Any,
) -> dict[str, Any]:
    """A valid pull page (models.contract.PullResponse): decisions assigned to c1, nothing else.

    Entries in `extra` may be given as EntryData dumps: they get the fields the server adds.
    """
    decisions = decisions if decisions is not None else [make_decision()]
    if "entries" in extra:
        extra["entries"] = [pulled_entry(item, contact_id) for item in extra["entries"]]
    return {
        "cursor": cursor,
        "contact_id": contact_id,
        "decisions": [{**d.model_dump(mode="json"), "case_no": "2026/1"} for d in decisions],
        "recipients": [{"id": "r1", "display_name": "Kari N.", "case_no": "2026/1"}],
        "entries": [],
        "timesheets": [],
        "flags": [],
        "usage": [],
        "deleted": {},
        **extra,
    }


def seeded_store(path: Any, **pull: Any) -> DeviceStore:
    store = DeviceStore(path)
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload(**pull))
    return store


def usage_item(decision_id: str, start: date, end: date, used_minutes: int) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "periods": [
            {
                "key": start.isoformat()[:7],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "quota_minutes": 600,
                "used_minutes": used_minutes,
            }
        ],
    }


def sheet(
    *, decision_id: str = "d1", period: str = "2026-03", status: str = "signed"
) -> dict[str, Any]:
    return {
        "id": f"ts-{decision_id}-{period}",
        "contact_id": "c1",
        "decision_id": decision_id,
        "period": period,
        "status": status,
        "content_hash": "0" * 64,
        "total_hours": "0",
        "total_km": "0",
        "total_expenses": "0",
    }


def signature(content: str, *, decision_id: str = "d1", period: str = "2026-03") -> SignatureCreate:
    """A recipient's signature of the sheet whose hash is `content`."""
    return SignatureCreate(
        decision_id=decision_id,
        period=period,
        content_hash=content,
        signer_name="Kari Nordmann",
        signer_role="recipient",
        strokes=[[{"x": 0, "y": 0}, {"x": 1, "y": 1}]],
        signed_at=datetime(2026, 3, 20, 12, tzinfo=UTC),
    )
