"""The API's request shapes that only the server reads, and the server's helpers.

The answers (and the sync requests the phone sends) are the shared contract in
`models.contract`; they are re-exported here so the server's modules keep one
import for the API's shapes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from models.contract import (
    MAX_MUTATION_ID,
    AuditEventPublic,
    AuditEventsPublic,
    ContactsPublic,
    DecisionPublic,
    DecisionsPublic,
    Deleted,
    EntryDelete,
    EntryPublic,
    FieldError,
    FlagsPublic,
    Mutation,
    MutationResult,
    MutationType,
    Out,
    PeriodUsagePublic,
    PullResponse,
    PushRequest,
    PushResponse,
    RecipientsPublic,
    SignatureOut,
    TimesheetDetail,
    TimesheetsPublic,
    TimesheetSummary,
    UsagePublic,
)
from models.schemas import EntryData
from models.types import LongText, RequiredLongText

__all__ = [
    "MAX_MUTATION_ID",
    "ApproveRequest",
    "AuditEventPublic",
    "AuditEventsPublic",
    "ContactsPublic",
    "DecisionPublic",
    "DecisionsPublic",
    "Deleted",
    "EntryDelete",
    "EntryPublic",
    "FieldError",
    "FlagsPublic",
    "Mutation",
    "MutationResult",
    "MutationType",
    "Out",
    "PeriodUsagePublic",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RecipientsPublic",
    "RejectRequest",
    "ResolveRequest",
    "SignatureOut",
    "TimesheetDetail",
    "TimesheetSummary",
    "TimesheetsPublic",
    "UsagePublic",
    "entry_data_fields",
]


class ApproveRequest(BaseModel):
    """Approve a timesheet; `override_reason` is required when unsigned or flagged."""

    model_config = ConfigDict(extra="forbid")
    note: LongText | None = None
    override_reason: LongText | None = None


class RejectRequest(BaseModel):
    """Send a timesheet back to the contact with a reason they will read."""

    model_config = ConfigDict(extra="forbid")
    reason: RequiredLongText


class ResolveRequest(BaseModel):
    """Close a flag with what was done about it."""

    model_config = ConfigDict(extra="forbid")
    note: RequiredLongText


def entry_data_fields(entry: EntryData) -> dict[str, Any]:
    """The JSON-able columns of an entry (trips/expenses as the contract spells them)."""
    return {
        "decision_ids": list(entry.decision_ids),
        "date": entry.date,
        "start": entry.start,
        "end": entry.end,
        "minutes": entry.minutes,
        "total_km": entry.total_km,
        "total_expenses": entry.total_expenses,
        "activities": list(entry.activities),
        "note": entry.note,
        "trips": [trip.model_dump(mode="json", by_alias=True) for trip in entry.trips],
        "expenses": [expense.model_dump(mode="json") for expense in entry.expenses],
    }
