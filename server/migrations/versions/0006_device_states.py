"""Device states: each device's last reported outbox (docs/rules.md §11 "Devices").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_states",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("unsent", sa.Integer(), nullable=False),
        sa.Column("oldest_unsent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id", "device_id"),
    )
    op.create_index(
        op.f("ix_device_states_contact_id"), "device_states", ["contact_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_states_contact_id"), table_name="device_states")
    op.drop_table("device_states")
