"""Payroll: batches, the entries they pay, their frozen pay lines, pay settings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE = ("payroll_batches", "payroll_batch_entries", "payroll_lines")


def upgrade() -> None:
    op.create_table(
        "payroll_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        op.f("ix_payroll_batches_created_at"), "payroll_batches", ["created_at"], unique=False
    )
    op.create_table(
        "payroll_batch_entries",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["payroll_batches.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"]),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_index(
        op.f("ix_payroll_batch_entries_batch_id"),
        "payroll_batch_entries",
        ["batch_id"],
        unique=False,
    )
    op.create_table(
        "payroll_lines",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("employee_no", sa.String(length=20), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("pay_code", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=20), nullable=False),
        sa.Column("contra_account", sa.String(length=20), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["payroll_batches.id"]),
        sa.PrimaryKeyConstraint("batch_id", "line_no"),
    )
    op.create_index(
        op.f("ix_payroll_lines_employee_no"), "payroll_lines", ["employee_no"], unique=False
    )
    op.create_index(op.f("ix_payroll_lines_period"), "payroll_lines", ["period"], unique=False)
    op.create_table(
        "pay_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _immutable()


def _immutable() -> None:
    # A batch sent to payroll is a record of what was paid: the database itself
    # refuses to change or remove it, whatever the application does.
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION payroll_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION payroll_immutable()"
            )
    else:
        for table in IMMUTABLE:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is immutable'); END"
                )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in IMMUTABLE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS payroll_immutable()")
    else:
        for table in IMMUTABLE:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_table("pay_settings")
    op.drop_index(op.f("ix_payroll_lines_period"), table_name="payroll_lines")
    op.drop_index(op.f("ix_payroll_lines_employee_no"), table_name="payroll_lines")
    op.drop_table("payroll_lines")
    op.drop_index(op.f("ix_payroll_batch_entries_batch_id"), table_name="payroll_batch_entries")
    op.drop_table("payroll_batch_entries")
    op.drop_index(op.f("ix_payroll_batches_created_at"), table_name="payroll_batches")
    op.drop_table("payroll_batches")
