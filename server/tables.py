"""The core tables. Payroll's own tables live in `server.payroll.tables`.

Naming: plural snake_case tables, string ids (UUIDs), exact money and km
(`ExactDecimal`), aware UTC timestamps. Rows a device may pull carry `seq`, the
change sequence number given to the transaction that last changed them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, ExactDecimal, UTCDateTime, utcnow

# SQLite only counts up an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit one.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Seq = BigInteger


class User(Base):
    """A login. A contact's user points at their `contacts` row."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id"), unique=True, default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthToken(Base):
    """A bearer token, stored only as its keyed hash."""

    __tablename__ = "auth_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LoginFailure(Base):
    """A failed login, counted for throttling by username and by address.

    `username` holds `services.auth.failure_key` of what was typed, never the text.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactRow(Base):
    """A støttekontakt."""

    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    employee_no: Mapped[str] = mapped_column(String(20), unique=True)
    contract_type: Mapped[str] = mapped_column(String(20))
    politiattest_date: Mapped[date | None] = mapped_column(Date, default=None)
    hourly_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(2), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class RecipientRow(Base):
    """A tjenestemottaker. Only coordinators (audited) see the full name."""

    __tablename__ = "recipients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    guardians: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class DecisionRow(Base):
    """A vedtak. `usage_seq` moves whenever an entry on it changes."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    hours: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    per: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    km_per_month: Mapped[Decimal | None] = mapped_column(ExactDecimal(1), default=None)
    group_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)
    usage_seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class DecisionContact(Base):
    """Which contacts are assigned to which vedtak."""

    __tablename__ = "decision_contacts"

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), primary_key=True, index=True)


class EntryRow(Base):
    """A timeføring. Deleting leaves a tombstone (`deleted`) so devices learn of it."""

    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_contact_date", "contact_id", "date"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    decision_ids: Mapped[list[str]] = mapped_column(JSON)
    date: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    minutes: Mapped[int] = mapped_column(Integer)
    total_km: Mapped[Decimal] = mapped_column(ExactDecimal(1))
    total_expenses: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    activities: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    trips: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expenses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    device_id: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class EntryDecision(Base):
    """Index rows: one per live entry × decision it names, for per-decision queries."""

    __tablename__ = "entry_decisions"
    __table_args__ = (Index("ix_entry_decisions_decision_date", "decision_id", "date"),)

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(36))
    date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)


class DecisionDayUsage(Base):
    """Minutes of live entries on a decision per day, kept as entries change.

    A quota period's usage is the sum of its days (at most a year's worth of
    rows), so neither the quota check nor a pull reads entries; days, not
    periods, so a change of the vedtak's terms never leaves a stale figure.
    """

    __tablename__ = "decision_day_usage"
    __table_args__ = (Index("ix_decision_day_usage_decision_seq", "decision_id", "seq"),)

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    # The change sequence number of the transaction that last moved the day:
    # a pull sends the periods of the days moved since its cursor.
    seq: Mapped[int] = mapped_column(Seq, default=0, server_default="0")


class TimesheetRow(Base):
    """A timeliste: contact × decision × pay period. Totals mirror its linked entries."""

    __tablename__ = "timesheets"
    __table_args__ = (
        UniqueConstraint("contact_id", "decision_id", "period", name="uq_timesheets_key"),
        Index("ix_timesheets_period_status", "period", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20), default="open")
    content_hash: Mapped[str] = mapped_column(String(64))
    total_minutes: Mapped[int] = mapped_column(Integer, default=0)
    total_km: Mapped[Decimal] = mapped_column(ExactDecimal(1))
    total_expenses: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    # The valid signature, if any (no FK: signatures point back at timesheets).
    signature_id: Mapped[str | None] = mapped_column(String(36), default=None)
    reject_reason: Mapped[str | None] = mapped_column(Text, default=None)
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    approval_note: Mapped[str | None] = mapped_column(Text, default=None)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class TimesheetEntry(Base):
    """Which entries a timesheet lists; a group entry is on one sheet per decision."""

    __tablename__ = "timesheet_entries"

    timesheet_id: Mapped[str] = mapped_column(ForeignKey("timesheets.id"), primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), primary_key=True, index=True)


class SignatureRow(Base):
    """A signature on a timesheet; `void` once the sheet changed or was rejected."""

    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    timesheet_id: Mapped[str] = mapped_column(ForeignKey("timesheets.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_role: Mapped[str] = mapped_column(String(20))
    strokes: Mapped[list[list[dict[str, float]]]] = mapped_column(JSON)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text, default=None)
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlagRow(Base):
    """An avvik. At most one open flag per `scope` (see models.flags)."""

    __tablename__ = "flags"
    __table_args__ = (
        Index(
            "uq_flags_open_scope",
            "scope",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_flags_status_kind", "status", "kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(20), default="open")
    decision_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    contact_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    timesheet_id: Mapped[str | None] = mapped_column(String(36), default=None)
    period: Mapped[str | None] = mapped_column(String(20), default=None)
    entry_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str] = mapped_column(Text)
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    seq: Mapped[int] = mapped_column(Seq, default=0, index=True)


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE and DELETE). Never holds names."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeviceMutation(Base):
    """Each mutation a device pushed and what became of it (idempotency)."""

    __tablename__ = "device_mutations"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    errors: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeSequence(Base):
    """One row: the last change sequence number handed out.

    Taking the next number locks the row until commit, so numbers become
    visible in order and a pull cursor never skips a slower transaction.
    """

    __tablename__ = "change_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Tombstone(Base):
    """Something a contact may no longer see (an unassigned vedtak, a dropped timesheet)."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Seq, index=True)
    contact_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(64))


class SecondFactor(Base):
    """An office user's TOTP key; `enabled_at` is None until a first code confirmed it.

    `last_step` is the 30-second step of the last code used: a code works once.
    """

    __tablename__ = "second_factors"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class RecoveryCode(Base):
    """A one-time code for when the phone with the authenticator is gone; stored keyed-hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SecuritySettings(Base):
    """The admin's login settings (one row, id 1)."""

    __tablename__ = "security_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    require_totp_for_office: Mapped[bool] = mapped_column(Boolean, default=False)


class DeviceState(Base):
    """What a device last reported of its outbox, and when (docs/rules.md §11 "Devices").

    One row per login × device, replaced by every push and pull: the office
    sees phones that hold changes too long or have gone quiet.
    """

    __tablename__ = "device_states"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    unsent: Mapped[int] = mapped_column(Integer, default=0)
    oldest_unsent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
