"""Kept usage remembers when each day last moved, so a pull sends only changed periods.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0: moved before any cursor a phone holds can say; a phone that pulled
    # before this migration already has those periods.
    with op.batch_alter_table("decision_day_usage") as table:
        table.add_column(sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
        table.create_index("ix_decision_day_usage_decision_seq", ["decision_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("decision_day_usage") as table:
        table.drop_index("ix_decision_day_usage_decision_seq")
        table.drop_column("seq")
