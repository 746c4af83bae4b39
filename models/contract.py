"""The HTTP contract between server, phone and office (docs/rules.md §13).

These are the shapes the server answers with and the clients read: the
server's routes declare them as their response models, and `sync/client.py`
and `mobile/office/api.py` validate every answer into them at the HTTP edge,
so nothing past the edge handles raw JSON.

Conventions on the wire: lists are `{data, count}`; ids are strings; money
and km are exact decimals written as JSON strings; durations are whole
minutes (`…_minutes`). The `…_hours` fields (two decimals) are kept for
readers that want hours and are always derived from the minutes.

Requests (`PushRequest`, `Mutation`) refuse unknown fields, so a typo is an
error and not a silent loss. The phone and office apps are served by the same
server they talk to, so both ends always read the same version of this module.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

from models.devices import DeviceReport
from models.quota import PeriodUsage, minutes_to_hours, over_minutes, remaining_minutes
from models.schemas import (
    ContactPublic,
    Decision,
    Expense,
    FlagPublic,
    Point,
    RecipientForContact,
    RecipientPublic,
    Role,
    SignerRole,
    TimesheetPublic,
    Trip,
)
from models.types import no_control


class Out(BaseModel):
    """Base of answers: fields are written by their wire names."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


# --- errors ---------------------------------------------------------------------------


class FieldError(Out):
    """Why a field was refused: its dotted name, a Norwegian message and a code."""

    field: str
    message: str
    code: str = "invalid"


class Problem(Out):
    """An error answer (problem+json, RFC 9457) with Norwegian `title` and `detail`;
    `errors` names the fields a form must correct."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


# --- sign-in --------------------------------------------------------------------------


class LoginResponse(Out):
    """A bearer token, whose it is and when it stops working."""

    token: str
    role: Role
    expires_at: datetime
    user_id: str
    contact_id: str | None


class Me(Out):
    """The signed-in user."""

    user_id: str
    username: str
    role: Role
    contact_id: str | None


# --- registers ------------------------------------------------------------------------


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


# --- usage ------------------------------------------------------------------------------


class PeriodUsagePublic(Out):
    """Used against awarded time in one quota period, in whole minutes.

    `remaining_minutes`, `over_minutes` and the `…_hours` fields are derived
    here from the two counts (models.quota), so no reader converts hours back
    into minutes and no two places compute what is left.
    """

    key: str
    start: date
    end: date
    quota_minutes: int = Field(ge=0)
    used_minutes: int = Field(ge=0)

    @classmethod
    def of(cls, usage: PeriodUsage) -> PeriodUsagePublic:
        """The answer for one period of `models.quota.usage_by_period`."""
        return cls(
            key=usage.period.key,
            start=usage.period.start,
            end=usage.period.end,
            quota_minutes=usage.period.quota_minutes,
            used_minutes=usage.used_minutes,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def remaining_minutes(self) -> int:
        return remaining_minutes(self.quota_minutes, self.used_minutes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def over_minutes(self) -> int:
        return over_minutes(self.quota_minutes, self.used_minutes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def quota_hours(self) -> Decimal:
        return minutes_to_hours(self.quota_minutes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def used_hours(self) -> Decimal:
        return minutes_to_hours(self.used_minutes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def remaining_hours(self) -> Decimal:
        return minutes_to_hours(self.remaining_minutes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def over_hours(self) -> Decimal:
        return minutes_to_hours(self.over_minutes)


class UsagePublic(Out):
    """Usage of a vedtak in every quota period it touches."""

    decision_id: str
    periods: list[PeriodUsagePublic]


# --- entries, signatures, timesheets -------------------------------------------------------


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
    strokes: list[list[Point]]
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

    @property
    def minutes(self) -> int:
        """The sheet's time, summed from its entries."""
        return sum(entry.minutes for entry in self.entries)


# --- flags and audit ----------------------------------------------------------------------


class FlagsPublic(Out):
    """A list of flags."""

    data: list[FlagPublic]
    count: int


class AuditEventPublic(Out):
    """One audit event: who did what to which object, when."""

    id: int
    at: datetime
    user_id: str | None
    role: str | None
    action: str
    object_type: str
    object_id: str | None
    # Free-form by design: each action records its own facts (never personal data).
    detail: dict[str, Any]


class AuditEventsPublic(Out):
    """A page of the audit log."""

    data: list[AuditEventPublic]
    count: int


# --- payroll ---------------------------------------------------------------------------


class BatchTotals(Out):
    """Exact decimal strings: hours and km worked, expenses repaid, total amount."""

    hours: str
    km: str
    expenses: str
    amount: str


class BatchPublic(Out):
    """A lønnsbunt."""

    id: str
    number: int
    created_at: datetime
    created_by: str | None
    period: str | None
    entry_count: int
    totals: BatchTotals


class BatchesPublic(Out):
    """Batches, newest first."""

    data: list[BatchPublic]
    count: int


# --- sync: push ---------------------------------------------------------------------------

MAX_MUTATION_ID = 2**63 - 1
MAX_PUSH_MUTATIONS = 1000

MutationType = Literal["entry.upsert", "entry.delete", "timesheet.sign"]
MutationStatus = Literal["applied", "duplicate", "rejected"]


class Mutation(BaseModel):
    """One change from a device's outbox.

    `type` is a plain string and `data` is checked per type on the server, so
    one unknown or bad mutation is rejected on its own instead of failing the
    whole push. Payloads: `entry.upsert` EntryData, `entry.delete` EntryDelete,
    `timesheet.sign` SignatureCreate.
    """

    model_config = ConfigDict(extra="forbid")
    # Bounded by the database's BIGINT: a larger number would fail the whole push.
    mutation_id: int = Field(ge=1, le=MAX_MUTATION_ID, description="per-device increasing number")
    type: str = Field(description="entry.upsert | entry.delete | timesheet.sign")
    data: dict[str, Any]


class PushRequest(BaseModel):
    """`POST /api/v1/sync/push`."""

    model_config = ConfigDict(extra="forbid")
    device_id: Annotated[
        str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_control)
    ]
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_MUTATIONS)
    # The device's outbox as it stands (docs/rules.md §11 "Devices"); older apps leave it out.
    device: DeviceReport | None = None


class MutationResult(Out):
    """What became of one mutation. `flags`: open flags the change raised or touched."""

    mutation_id: int
    status: MutationStatus
    errors: list[FieldError] | None = None
    flags: list[FlagPublic] | None = None


class PushResponse(Out):
    """One result per mutation the server read, in the order sent."""

    results: list[MutationResult]


class EntryDelete(BaseModel):
    """The `entry.delete` payload."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(max_length=64), AfterValidator(no_control)]


# --- sync: pull ---------------------------------------------------------------------------


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
    - `decisions`: assigned vedtak (DecisionPublic).
    - `recipients`: RecipientForContact (id, display_name, case_no) of those decisions.
    - `entries`: the contact's own live entries (EntryPublic).
    - `timesheets`: the contact's timesheets (TimesheetSummary, with entry_ids).
    - `flags`: open and resolved flags on the contact's entries or assigned decisions
      (feedback left out).
    - `usage`: UsagePublic for each assigned decision whose usage changed.
    - `deleted`: ids to drop (entries deleted, decisions unassigned, timesheets gone).
    - `contact_id`: the signed-in contact (the device hashes timesheets with it).
    - `contact_name`: the signed-in contact's name as the office registered it, so
      the signing screen can say whose timesheet it is (the phone keeps nothing
      else about the contact); null only from a server older than this field.
    - `pay_cutoff_day`: the municipality's pay cut-off day, or null for calendar
      months; the device needs it to list entries on the same sheets as the server.
    """

    cursor: int = Field(ge=0)
    has_more: bool = False
    contact_id: str
    contact_name: str | None = None
    pay_cutoff_day: int | None = None
    decisions: list[DecisionPublic]
    recipients: list[RecipientForContact]
    entries: list[EntryPublic]
    timesheets: list[TimesheetSummary]
    flags: list[FlagPublic]
    usage: list[UsagePublic]
    deleted: Deleted
