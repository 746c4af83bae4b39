"""The API's own shapes, beyond the domain schemas in `models.schemas`.

One family per resource; lists are `{data, count}`. Money and km are JSON
strings (exact decimals), hours are strings with two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from models.schemas import (
    ContactPublic,
    Decision,
    EntryData,
    Expense,
    FlagPublic,
    RecipientForContact,
    RecipientPublic,
    SignerRole,
    TimesheetPublic,
    Trip,
)
from models.types import LongText


class Out(BaseModel):
    """Base of answers: ids are strings, unknown fields never arrive."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ContactsPublic(Out):
    """A list of contacts."""

    data: list[ContactPublic]
    count: int


class RecipientsPublic(Out):
    """A list of recipients (office view, full names; every read is audited)."""

    data: list[RecipientPublic]
    count: int


class DecisionPublic(Decision):
    """A vedtak as everyone who may see it sees it (ids only, no names)."""

    case_no: str


class DecisionsPublic(Out):
    """A list of decisions."""

    data: list[DecisionPublic]
    count: int


class PeriodUsagePublic(Out):
    """Used against awarded hours in one quota period."""

    key: str
    start: date
    end: date
    quota_hours: Decimal
    used_hours: Decimal
    remaining_hours: Decimal
    over_hours: Decimal


class UsagePublic(Out):
    """Usage of a vedtak in every quota period it touches."""

    decision_id: str
    periods: list[PeriodUsagePublic]


class EntryPublic(Out):
    """A stored entry. For payroll `note` and `activities` are left out (None / []) and
    trips keep only km and passengers, expenses only amount and category."""

    id: str
    contact_id: str
    decision_ids: list[str]
    date: date
    start: str
    end: str
    minutes: int
    activities: list[str]
    note: str | None
    trips: list[Trip]
    expenses: list[Expense]
    total_km: Decimal
    total_expenses: Decimal
    updated_at: datetime


class SignatureOut(Out):
    """A signature with its strokes (for display and the archive PDF); payroll gets
    `signer_name` blank and no `message`."""

    id: str
    content_hash: str
    signer_name: str
    signer_role: SignerRole
    strokes: list[list[dict[str, float]]]
    signed_at: datetime
    device_id: str
    message: str | None


class TimesheetSummary(TimesheetPublic):
    """A timesheet in a list or a pull; `entry_ids` lets the device recompute the hash.

    Payroll gets no free text (`reject_reason`, `override_reason`,
    `approval_note` are null); `overridden` still says an override was given.
    """

    entry_ids: list[str] = Field(default_factory=list)
    overridden: bool = False
    signature_id: str | None = None
    approved_at: datetime | None = None
    approval_note: str | None = None


class TimesheetsPublic(Out):
    """A list of timesheets."""

    data: list[TimesheetSummary]
    count: int


class TimesheetDetail(TimesheetSummary):
    """One timesheet with its entries, its valid signature and its open flags."""

    entries: list[EntryPublic]
    signature: SignatureOut | None
    flags: list[FlagPublic]


class FlagsPublic(Out):
    """A list of flags."""

    data: list[FlagPublic]
    count: int


class ApproveRequest(BaseModel):
    """Approve a timesheet; `override_reason` is required when unsigned or flagged."""

    model_config = ConfigDict(extra="forbid")
    note: LongText | None = None
    override_reason: LongText | None = None


class RejectRequest(BaseModel):
    """Send a timesheet back to the contact with a reason they will read."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class ResolveRequest(BaseModel):
    """Close a flag with what was done about it."""

    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class AuditEventPublic(Out):
    """One audit event: who did what to which object, when."""

    id: int
    at: datetime
    user_id: str | None
    role: str | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any]


class AuditEventsPublic(Out):
    data: list[AuditEventPublic]
    count: int


# --- sync -------------------------------------------------------------------------

MAX_MUTATION_ID = 2**63 - 1

MutationType = Literal["entry.upsert", "entry.delete", "timesheet.sign"]


class Mutation(BaseModel):
    """One change from a device's outbox. `data` is checked per type, so one bad
    mutation is rejected on its own instead of failing the whole push."""

    model_config = ConfigDict(extra="forbid")
    # Bounded by the database's BIGINT: a larger number would fail the whole push.
    mutation_id: int = Field(ge=1, le=MAX_MUTATION_ID, description="per-device increasing number")
    type: str = Field(description="entry.upsert | entry.delete | timesheet.sign")
    data: dict[str, Any]


class PushRequest(BaseModel):
    """`POST /api/v1/sync/push`."""

    model_config = ConfigDict(extra="forbid")
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    mutations: list[Mutation] = Field(max_length=1000)


class FieldError(Out):
    field: str
    message: str
    code: str = "invalid"


class MutationResult(Out):
    """What became of one mutation. `flags`: open flags the change raised or touched."""

    mutation_id: int
    status: Literal["applied", "duplicate", "rejected"]
    errors: list[FieldError] | None = None
    flags: list[FlagPublic] | None = None


class PushResponse(Out):
    results: list[MutationResult]


class EntryDelete(BaseModel):
    """The `entry.delete` payload."""

    model_config = ConfigDict(extra="forbid")
    id: str


class Deleted(Out):
    """Ids the device should drop: deleted entries, decisions no longer assigned,
    timesheets that no longer exist, recipients the contact no longer serves."""

    entries: list[str] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    timesheets: list[str] = Field(default_factory=list)
    # Recipients of unassigned decisions whom no other assigned decision names.
    recipients: list[str] = Field(default_factory=list)


class PullResponse(Out):
    """`GET /api/v1/sync/pull?cursor=N`: everything the contact may see that changed after N.

    - `cursor`: pass it as `cursor` next time (0 gets everything).
    - `has_more`: true when this page stopped early (about `limit` entries):
      pull again at once with the new cursor.
    - `decisions`: assigned vedtak (models.schemas.Decision plus `case_no`).
    - `recipients`: RecipientForContact (id, display_name, case_no) of those decisions.
    - `entries`: the contact's own live entries (EntryPublic).
    - `timesheets`: the contact's timesheets (TimesheetSummary, with entry_ids).
    - `flags`: open and resolved flags on the contact's entries or assigned decisions
      (feedback left out).
    - `usage`: UsagePublic for each assigned decision whose usage changed.
    - `deleted`: ids to drop (entries deleted, decisions unassigned, timesheets gone).
    - `contact_id`: the signed-in contact (the device hashes timesheets with it).
    - `pay_cutoff_day`: the municipality's pay cut-off day, or null for calendar
      months; the device needs it to list entries on the same sheets as the server.
    """

    cursor: int
    has_more: bool = False
    contact_id: str
    pay_cutoff_day: int | None = None
    decisions: list[DecisionPublic]
    recipients: list[RecipientForContact]
    entries: list[EntryPublic]
    timesheets: list[TimesheetSummary]
    flags: list[FlagPublic]
    usage: list[UsagePublic]
    deleted: Deleted


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
