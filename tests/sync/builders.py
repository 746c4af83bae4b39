"""Builders for the device-store tests: a pulled world for contact `c1`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from models.schemas import Decision
from sync.store import DeviceStore
from tests.factories import make_decision


def pull_payload(
    *,
    decisions: list[Decision] | None = None,
    cursor: int = 1,
    contact_id: str = "c1",
    **extra: Any,
) -> dict[str, Any]:
    """What a first pull could answer: decisions assigned to c1 and nothing else."""
    decisions = decisions if decisions is not None else [make_decision()]
    return {
        "cursor": cursor,
        "contact_id": contact_id,
        "decisions": [d.model_dump(mode="json") for d in decisions],
        "recipients": [{"id": "r1", "display_name": "Kari N.", "case_no": "2026/1"}],
        "entries": [],
        "timesheets": [],
        "flags": [],
        "usage": [],
        **extra,
    }


def seeded_store(path: Any, **pull: Any) -> DeviceStore:
    store = DeviceStore(path)
    store.set_account(server_url="http://127.0.0.1:1", username="kari", token="t")
    store.apply_pull(pull_payload(**pull))
    return store


def usage_item(decision_id: str, start: date, end: date, used_minutes: int) -> dict[str, Any]:
    hours = (Decimal(used_minutes) / 60).quantize(Decimal("0.01"))
    return {
        "decision_id": decision_id,
        "periods": [
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "quota_hours": "10.00",
                "used_hours": str(hours),
                "remaining_hours": "0",
                "over_hours": "0",
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
