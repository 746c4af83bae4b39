"""Payroll's tables: batches, the entries they pay, their frozen pay lines, settings.

A batch is immutable once made. Its pay lines are stored, not recomputed, so
a later change of rates or pay codes never changes a file already sent to
payroll: the same batch downloads as the same bytes for ever.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, ExactDecimal, UTCDateTime, utcnow


class PayrollBatchRow(Base):
    """A lønnsbunt: who made it, when, and its totals (as exact strings)."""

    __tablename__ = "payroll_batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None when the batch was made from the command line (a scheduled job).
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    period: Mapped[str | None] = mapped_column(String(7), default=None)
    entry_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)


class PayrollBatchEntry(Base):
    """The entries a batch pays. `entry_id` is the key: an entry is paid at most once.

    Both columns name rows elsewhere (an entry, a batch) without foreign keys:
    triggers check them once per INSERT statement instead of once per row,
    and keep a paid entry from being deleted (migration 0009). A batch's keys
    are written together by one statement, so on PostgreSQL they are found by
    batch through a BRIN index, not a B-tree entry per key (migration 0010).
    """

    __tablename__ = "payroll_batch_entries"
    __table_args__ = (
        Index("ix_payroll_batch_entries_batch_id", "batch_id", postgresql_using="brin"),
    )

    entry_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36))


class PayrollBatchSheet(Base):
    """A timesheet a batch paid whole: every entry it listed and was live then.

    One row per sheet instead of one per entry, for a sheet whose entries
    each name one decision and are on that sheet alone (nearly all). Entries
    elsewhere (group sessions, entries on several sheets) keep their entry
    keys. Triggers (migration 0011) keep the two from paying one entry twice
    and freeze what the sheet key paid: its links, its entries' `deleted`.
    """

    __tablename__ = "payroll_batch_sheets"

    sheet_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)


class PayrollSplitSheet(Base):
    """A timesheet that may not be paid whole: one of its entries has been on
    another sheet too, or has had an entry key (kept by triggers, migration 0011)."""

    __tablename__ = "payroll_split_sheets"

    sheet_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class PayrollLineRow(Base):
    """One frozen pay line of a batch, in file order (`line_no`)."""

    __tablename__ = "payroll_lines"

    batch_id: Mapped[str] = mapped_column(ForeignKey("payroll_batches.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(20), index=True)
    case_no: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    pay_code: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(2))
    account: Mapped[str] = mapped_column(String(20), default="")
    contra_account: Mapped[str] = mapped_column(String(20), default="")
    dimensions: Mapped[list[str]] = mapped_column(JSON)


class PaySettingsRow(Base):
    """The pay settings as one JSON document (models.payroll.PaySettings), one row."""

    __tablename__ = "pay_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)


class RetentionUnlock(Base):
    """Present only inside a retention run's own transaction (never committed).

    The database refuses every change to a batch, except, while a row of this
    table exists in the changing transaction, the two a retention run makes:
    removing the link from a batch to an entry being deleted, and blanking a
    pay line's case number. Other transactions never see the row.
    """

    __tablename__ = "retention_unlock"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
