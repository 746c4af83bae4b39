"""Kept usage: minutes per decision and day, filled from the entries index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_day_usage",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("decision_id", "date"),
    )
    # entry_decisions holds one row per live entry and decision it names.
    op.execute(
        "INSERT INTO decision_day_usage (decision_id, date, minutes) "
        "SELECT decision_id, date, SUM(minutes) FROM entry_decisions "
        "GROUP BY decision_id, date"
    )


def downgrade() -> None:
    op.drop_table("decision_day_usage")
