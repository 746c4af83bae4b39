"""Retention: batches let a retention run remove entry links and blank case numbers.

Batches stay immutable (0002) with two exceptions, allowed only while the
changing transaction holds a row in `retention_unlock` (the retention run
inserts it and removes it before commit, so no other transaction sees it):
deleting `payroll_batch_entries` rows, and an UPDATE of `payroll_lines` that
changes nothing but `case_no` and `dimensions` (docs/rules.md §12: batches
keep their frozen pay lines without case numbers). A line is never deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column of a pay line but the two a retention run may blank.
_FROZEN = (
    "batch_id",
    "line_no",
    "employee_no",
    "period",
    "kind",
    "pay_code",
    "quantity",
    "rate",
    "amount",
    "account",
    "contra_account",
)


def upgrade() -> None:
    op.create_table(
        "retention_unlock",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    if op.get_context().dialect.name == "postgresql":
        # The columns are _FROZEN's, written out: the function body is a constant.
        op.execute(
            """
            CREATE FUNCTION payroll_retention_guard() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM retention_unlock) THEN
                    IF TG_TABLE_NAME = 'payroll_batch_entries' AND TG_OP = 'DELETE' THEN
                        RETURN OLD;
                    END IF;
                    IF TG_TABLE_NAME = 'payroll_lines' AND TG_OP = 'UPDATE'
                       AND (NEW.batch_id, NEW.line_no, NEW.employee_no, NEW.period, NEW.kind,
                            NEW.pay_code, NEW.quantity, NEW.rate, NEW.amount, NEW.account,
                            NEW.contra_account)
                       IS NOT DISTINCT FROM
                           (OLD.batch_id, OLD.line_no, OLD.employee_no, OLD.period, OLD.kind,
                            OLD.pay_code, OLD.quantity, OLD.rate, OLD.amount, OLD.account,
                            OLD.contra_account) THEN
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in ("payroll_batch_entries", "payroll_lines"):
            op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION payroll_retention_guard()"
            )
        return
    unlocked = "EXISTS (SELECT 1 FROM retention_unlock)"
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
    op.execute("DROP TRIGGER payroll_batch_entries_no_delete")
    op.execute(
        "CREATE TRIGGER payroll_batch_entries_no_delete BEFORE DELETE ON payroll_batch_entries "
        f"WHEN NOT {unlocked} "
        "BEGIN SELECT RAISE(ABORT, 'payroll_batch_entries is immutable'); END"
    )
    op.execute("DROP TRIGGER payroll_lines_no_update")
    op.execute(
        "CREATE TRIGGER payroll_lines_no_update BEFORE UPDATE ON payroll_lines "
        f"WHEN NOT {unlocked} OR {changed} "
        "BEGIN SELECT RAISE(ABORT, 'payroll_lines is immutable'); END"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in ("payroll_batch_entries", "payroll_lines"):
            op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION payroll_immutable()"
            )
        op.execute("DROP FUNCTION payroll_retention_guard()")
    else:
        for table, verb in (("payroll_batch_entries", "DELETE"), ("payroll_lines", "UPDATE")):
            op.execute(f"DROP TRIGGER {table}_no_{verb.lower()}")
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is immutable'); END"
            )
    op.drop_table("retention_unlock")
