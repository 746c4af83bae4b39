"""The domain's schemas (docs/rules.md §2), one family per resource.

`…Create` is what a client sends to make one, `…Public` what the server
answers. The server's tables and the device's store both hold data shaped like
these, so validation reads the same on phone and server.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.clock import duration_minutes, duration_problem
from models.passwords import password_problem
from models.payperiod import PERIOD_PATTERN
from models.types import (
    CaseNo,
    ClockTime,
    Day,
    EntityId,
    FiniteFloat,
    Hours,
    Km,
    LongText,
    Name,
    Nok,
    PastDay,
    ShortText,
    no_control_in_text,
)

EmployeeNo = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
]


class Schema(BaseModel):
    """Base for every schema: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- enumerations -----------------------------------------------------------


class Role(StrEnum):
    contact = "contact"
    coordinator = "coordinator"
    payroll = "payroll"
    admin = "admin"


class ContractType(StrEnum):
    contractor = "contractor"
    employee = "employee"


class DecisionKind(StrEnum):
    individual = "individual"
    group = "group"


class QuotaPer(StrEnum):
    week = "week"
    month = "month"
    year = "year"
    period = "period"


class TimesheetStatus(StrEnum):
    open = "open"
    signed = "signed"
    approved = "approved"
    exported = "exported"
    rejected = "rejected"


class SignerRole(StrEnum):
    recipient = "recipient"
    guardian = "guardian"
    other = "other"


class FlagKind(StrEnum):
    overuse = "overuse"
    outside_decision = "outside_decision"
    overlap = "overlap"
    double_coverage = "double_coverage"
    km_over_allowance = "km_over_allowance"
    missing_politiattest = "missing_politiattest"
    changed_after_signing = "changed_after_signing"
    feedback = "feedback"


class FlagStatus(StrEnum):
    open = "open"
    resolved = "resolved"


# --- support contacts ---------------------------------------------------------


class ContactBase(Schema):
    """What the office keeps of a support contact."""

    name: Name
    employee_no: EmployeeNo
    contract_type: ContractType
    politiattest_date: PastDay | None = None
    hourly_rate: Nok | None = None  # None: the municipality's default rate


class ContactCreate(ContactBase):
    """Registering a contact also creates their login."""

    username: Annotated[
        str, StringConstraints(min_length=3, max_length=60, pattern=r"^[a-z0-9._-]+$")
    ]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, info.data.get("username"))
        if problem is not None:
            raise ValueError(problem)
        return value


def _omit_not_null(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The JSON Schema of a PatchSchema says what `_no_nulls` enforces: a field
    outside NULLABLE may be left out, never sent as null."""
    nullable: frozenset[str] = getattr(model, "NULLABLE", frozenset())
    for name, field in schema.get("properties", {}).items():
        branches = field.get("anyOf")
        if name in nullable or not isinstance(branches, list):
            continue
        if field.get("default", ...) is None:
            del field["default"]
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            del field["anyOf"]
            field.update(kept[0])
        else:
            field["anyOf"] = kept


class PatchSchema(Schema):
    """A change where an omitted field stays as it is.

    Only the fields in `NULLABLE` may be sent as null (to clear them); a null
    anywhere else is refused with a message instead of reaching the database.
    """

    model_config = ConfigDict(json_schema_extra=_omit_not_null)

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("Feltet kan ikke tømmes. Utelat det for å beholde verdien.")
        return value


class ContactUpdate(PatchSchema):
    """Fields the office may change later; omitted fields stay as they are."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"politiattest_date", "hourly_rate"})

    name: Name | None = None
    contract_type: ContractType | None = None
    politiattest_date: PastDay | None = None
    hourly_rate: Nok | None = None


class ContactPublic(ContactBase):
    """A contact as the office sees them."""

    id: EntityId
    username: str


# --- people served --------------------------------------------------------------


class Guardian(Schema):
    """A foresatt or verge who may sign for the person served."""

    name: Name
    relation: ShortText


class RecipientCreate(Schema):
    """Registering a person served (tjenestemottaker)."""

    name: Name
    case_no: CaseNo
    birth_date: PastDay | None = None
    guardians: list[Guardian] = Field(default_factory=list, max_length=10)


class RecipientPublic(RecipientCreate):
    """A person served as the office sees them (full name)."""

    id: EntityId


class RecipientForContact(Schema):
    """The least a contact needs to know: a display name and the case number."""

    id: EntityId
    display_name: str
    case_no: str


def display_name(full_name: str) -> str:
    """First name and the initial of the last name: 'Kari Nordmann' → 'Kari N.'."""
    parts = full_name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."


# --- decisions (vedtak) ---------------------------------------------------------


class DecisionTerms(Schema):
    """The terms of a vedtak that the quota rules need."""

    kind: DecisionKind
    hours: Hours
    per: QuotaPer
    valid_from: Day
    valid_to: Day  # inclusive
    km_per_month: Km | None = None
    group_id: EntityId | None = None

    @model_validator(mode="after")
    def _coherent(self) -> DecisionTerms:
        if self.valid_to < self.valid_from:
            raise ValueError("Vedtaket må slutte samme dag som eller etter at det begynner.")
        if self.kind is DecisionKind.group and not self.group_id:
            raise ValueError("Et gruppevedtak må ha en gruppe-id (group_id).")
        if self.kind is DecisionKind.individual and self.group_id:
            raise ValueError("Et individuelt vedtak kan ikke ha en gruppe-id.")
        return self


class DecisionCreate(DecisionTerms):
    """Registering a vedtak and assigning contacts to it."""

    recipient_id: EntityId
    contact_ids: list[EntityId] = Field(default_factory=list, max_length=10)

    @field_validator("contact_ids")
    @classmethod
    def _distinct_contacts(cls, value: list[str]) -> list[str]:
        return _distinct_ids(value)


def _distinct_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("Samme støttekontakt står flere ganger.")
    return value


class DecisionUpdate(PatchSchema):
    """Changing a vedtak; omitted fields stay as they are."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"km_per_month"})

    hours: Hours | None = None
    valid_to: Day | None = None
    km_per_month: Km | None = None
    contact_ids: list[EntityId] | None = Field(default=None, max_length=10)

    @field_validator("contact_ids")
    @classmethod
    def _distinct_contacts(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _distinct_ids(value)


class Decision(DecisionTerms):
    """A vedtak with its identity, as rules, server and device know it."""

    id: EntityId
    recipient_id: EntityId
    contact_ids: list[EntityId] = Field(default_factory=list)


# --- time entries ---------------------------------------------------------------


class Trip(Schema):
    """Kjøring: one drive during a session."""

    km: Km
    from_: ShortText = Field(alias="from")
    to: ShortText
    purpose: ShortText = ""
    passengers: int = Field(default=0, ge=0, le=20)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class Expense(Schema):
    """Utlegg: money the contact laid out."""

    amount: Nok
    category: Annotated[
        str,
        StringConstraints(min_length=1, max_length=60, strip_whitespace=True),
        AfterValidator(no_control_in_text),
    ]
    description: ShortText = ""

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("Beløpet må være større enn 0 kr.")
        return value


Activity = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, strip_whitespace=True),
    AfterValidator(no_control_in_text),
]


# docs/rules.md §6 "Limits": hard errors per entry.
MAX_TRIPS_PER_ENTRY = 10
MAX_EXPENSES_PER_ENTRY = 10
MAX_KM_PER_ENTRY = Decimal(2000)
MAX_EXPENSES_NOK_PER_ENTRY = Decimal(10_000)


class EntryData(Schema):
    """A timeføring as the device writes it (the `entry.upsert` payload)."""

    id: EntityId
    decision_ids: list[EntityId] = Field(min_length=1, max_length=6)
    date: Day
    start: ClockTime
    end: ClockTime
    activities: list[Activity] = Field(default_factory=list, max_length=20)
    note: LongText | None = None
    trips: list[Trip] = Field(default_factory=list, max_length=MAX_TRIPS_PER_ENTRY)
    expenses: list[Expense] = Field(default_factory=list, max_length=MAX_EXPENSES_PER_ENTRY)

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("Id-en må være en UUID laget på enheten.") from None

    @field_validator("decision_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("Samme vedtak er ført to ganger i økten.")
        return value

    @field_validator("trips")
    @classmethod
    def _km_in_total(cls, value: list[Trip]) -> list[Trip]:
        if sum((trip.km for trip in value), Decimal(0)) > MAX_KM_PER_ENTRY:
            raise ValueError(
                f"Kjøringen i én økt kan til sammen ikke være over {MAX_KM_PER_ENTRY} km."
            )
        return value

    @field_validator("expenses")
    @classmethod
    def _expenses_in_total(cls, value: list[Expense]) -> list[Expense]:
        if sum((expense.amount for expense in value), Decimal(0)) > MAX_EXPENSES_NOK_PER_ENTRY:
            raise ValueError("Utleggene i én økt kan til sammen ikke være over 10 000 kr.")
        return value

    @field_validator("end")
    @classmethod
    def _times(cls, value: str, info: ValidationInfo) -> str:
        # Checked on `end` (not the whole model) so the message lands on a field
        # the contact can correct; skipped when date or start is already wrong.
        day, start = info.data.get("date"), info.data.get("start")
        if day is not None and start is not None:
            problem = duration_problem(day, start, value)
            if problem:
                raise ValueError(problem)
        return value

    @property
    def minutes(self) -> int:
        return duration_minutes(self.date, self.start, self.end)

    @property
    def total_km(self) -> Decimal:
        return sum((trip.km for trip in self.trips), Decimal(0))

    @property
    def total_expenses(self) -> Decimal:
        return sum((expense.amount for expense in self.expenses), Decimal("0.00"))

    @classmethod
    def from_stored(cls, raw: dict[str, Any]) -> EntryData:
        """The entry from the JSON that `model_dump(mode="json", by_alias=True)` of a
        validated entry gave, rebuilt without validating it again.

        For the device store's own records only: it writes an entry only after
        validating it (a save, or a pull at the HTTP edge), and its files carry
        checksums. Validating 10 000 such entries again each time the app opens
        costs about a second on a phone (the field checks are Python), for nothing.
        Anything that is not in the exact shape a dump gives (a missing or unknown
        field, a wrong type) is validated as usual instead, so a bad record still
        fails as it always did. tests/sync/test_stored_entries.py holds this equal
        to `model_validate` for every entry the schema accepts.
        """
        if cls is EntryData:
            try:
                return _rebuilt(raw)
            except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
                pass
        return cls.model_validate(raw)


# What a dumped entry, trip and expense hold: keys beyond these go through validation.
_ENTRY_KEYS = frozenset(EntryData.model_fields)
_TRIP_KEYS = frozenset({"km", "from", "to", "purpose", "passengers"})
_TRIP_FIELDS = frozenset(Trip.model_fields)
_Model = TypeVar("_Model", bound=BaseModel)
_EXPENSE_KEYS = frozenset({"amount", "category", "description"})


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("not text")
    return value


def _texts(value: Any) -> list[str]:
    if type(value) is not list:
        raise TypeError("not a list")
    return [_text(item) for item in value]


def _made(model: type[_Model], values: dict[str, Any], given: set[str]) -> _Model:
    """An instance holding `values` (every field, already of its type), unvalidated.

    What `model_construct` ends with, without its per-field default and alias
    handling, which cost as much as validating: the caller passes every field.
    """
    made = model.__new__(model)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", given)
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


def _rebuilt(raw: dict[str, Any]) -> EntryData:
    """`EntryData.from_stored` without its fallback; raises on any unexpected shape."""
    if not raw.keys() <= _ENTRY_KEYS:
        raise KeyError("unknown field")
    note = raw.get("note")
    trips = []
    for trip in raw.get("trips", ()):
        if trip.keys() != _TRIP_KEYS or type(trip["passengers"]) is not int:
            raise KeyError("not a dumped trip")
        trips.append(
            _made(
                Trip,
                {
                    "km": Decimal(_text(trip["km"])),
                    "from_": _text(trip["from"]),
                    "to": _text(trip["to"]),
                    "purpose": _text(trip["purpose"]),
                    "passengers": trip["passengers"],
                },
                set(_TRIP_FIELDS),
            )
        )
    expenses = []
    for expense in raw.get("expenses", ()):
        if expense.keys() != _EXPENSE_KEYS:
            raise KeyError("not a dumped expense")
        expenses.append(
            _made(
                Expense,
                {
                    "amount": Decimal(_text(expense["amount"])),
                    "category": _text(expense["category"]),
                    "description": _text(expense["description"]),
                },
                set(_EXPENSE_KEYS),
            )
        )
    values = {
        "id": _text(raw["id"]),
        "decision_ids": _texts(raw["decision_ids"]),
        "date": date.fromisoformat(_text(raw["date"])),
        "start": _text(raw["start"]),
        "end": _text(raw["end"]),
        "activities": _texts(raw.get("activities", [])),
        "note": None if note is None else _text(note),
        "trips": trips,
        "expenses": expenses,
    }
    if values.keys() != _ENTRY_KEYS:
        raise KeyError("EntryData has fields this does not know")  # a new field: add it here
    return _made(EntryData, values, set(raw))


class TimeEntry(EntryData):
    """An entry with its owner: what the rules see."""

    contact_id: EntityId


# --- timesheets and signatures ------------------------------------------------------


Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]
"""A pay period, written YYYY-MM for the month it ends in."""


# What a drawn signature may hold: the phone's pad stops at the same limits.
SIGNATURE_MIN_POINTS = 2
SIGNATURE_MAX_POINTS = 20_000
SIGNATURE_MAX_STROKES = 200


def signature_problem(strokes: Sequence[Sequence[object]]) -> str | None:
    """Why the strokes are not a signature the server takes, or None."""
    points = sum(len(stroke) for stroke in strokes)
    if points < SIGNATURE_MIN_POINTS:
        return "Signaturen mangler: tegn navnet ditt i feltet."
    if points > SIGNATURE_MAX_POINTS:
        return "Signaturen har for mange punkter."
    return None


class Point(Schema):
    x: FiniteFloat
    y: FiniteFloat


class SignatureCreate(Schema):
    """The `timesheet.sign` payload."""

    decision_id: EntityId
    period: Period
    content_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    signer_name: Name
    signer_role: SignerRole
    strokes: list[list[Point]] = Field(min_length=1, max_length=SIGNATURE_MAX_STROKES)
    signed_at: datetime
    message: LongText | None = None

    @field_validator("strokes")
    @classmethod
    def _drawn(cls, value: list[list[Point]]) -> list[list[Point]]:
        problem = signature_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class SignaturePublic(SignatureCreate):
    """A stored signature."""

    id: EntityId
    timesheet_id: EntityId
    device_id: str


class TimesheetPublic(Schema):
    """A timesheet in a list: contact × decision × pay period."""

    id: EntityId
    contact_id: EntityId
    decision_id: EntityId
    period: Period
    status: TimesheetStatus
    content_hash: str
    total_hours: Decimal
    total_km: Decimal
    total_expenses: Decimal
    reject_reason: str | None = None
    override_reason: str | None = None


# --- flags ----------------------------------------------------------------------


class FlagPublic(Schema):
    """An avvik for the coordinator's queue."""

    id: EntityId
    kind: FlagKind
    decision_id: EntityId | None
    contact_id: EntityId | None = None
    period: str | None
    entry_ids: list[str]
    detail: str
    status: FlagStatus
    resolution_note: str | None = None
    created_at: datetime
    resolved_at: datetime | None = None
