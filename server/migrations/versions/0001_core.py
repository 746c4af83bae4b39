"""Core tables: users and tokens, contacts, recipients, decisions, entries,
timesheets, signatures, flags, audit events, device mutations, change sequence.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 10:24:01.383515
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(op.f("ix_audit_events_user_id"), "audit_events", ["user_id"], unique=False)

    op.create_table(
        "change_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("employee_no", sa.String(length=20), nullable=False),
        sa.Column("contract_type", sa.String(length=20), nullable=False),
        sa.Column("politiattest_date", sa.Date(), nullable=True),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employee_no"),
    )
    op.create_index(op.f("ix_contacts_seq"), "contacts", ["seq"], unique=False)

    op.create_table(
        "flags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=True),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("timesheet_id", sa.String(length=36), nullable=True),
        sa.Column("period", sa.String(length=20), nullable=True),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_flags_contact_id"), "flags", ["contact_id"], unique=False)
    op.create_index(op.f("ix_flags_decision_id"), "flags", ["decision_id"], unique=False)
    op.create_index(op.f("ix_flags_seq"), "flags", ["seq"], unique=False)
    op.create_index("ix_flags_status_kind", "flags", ["status", "kind"], unique=False)
    op.create_index(
        "uq_flags_open_scope",
        "flags",
        ["scope"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )

    op.create_table(
        "login_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_login_failures_address_at", "login_failures", ["address", "at"], unique=False
    )
    op.create_index(
        "ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False
    )

    op.create_table(
        "recipients",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("guardians", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_no"),
    )
    op.create_index(op.f("ix_recipients_seq"), "recipients", ["seq"], unique=False)

    op.create_table(
        "tombstones",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tombstones_contact_id"), "tombstones", ["contact_id"], unique=False)
    op.create_index(op.f("ix_tombstones_seq"), "tombstones", ["seq"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("per", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("km_per_month", sa.BigInteger(), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("usage_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_decisions_group_id"), "decisions", ["group_id"], unique=False)
    op.create_index(op.f("ix_decisions_recipient_id"), "decisions", ["recipient_id"], unique=False)
    op.create_index(op.f("ix_decisions_seq"), "decisions", ["seq"], unique=False)
    op.create_index(op.f("ix_decisions_usage_seq"), "decisions", ["usage_seq"], unique=False)

    op.create_table(
        "entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("decision_ids", sa.JSON(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("total_km", sa.BigInteger(), nullable=False),
        sa.Column("total_expenses", sa.BigInteger(), nullable=False),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("trips", sa.JSON(), nullable=False),
        sa.Column("expenses", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_entries_contact_date", "entries", ["contact_id", "date"], unique=False)
    op.create_index(op.f("ix_entries_seq"), "entries", ["seq"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_auth_tokens_user_id"), "auth_tokens", ["user_id"], unique=False)

    op.create_table(
        "decision_contacts",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
        ),
        sa.PrimaryKeyConstraint("decision_id", "contact_id"),
    )
    op.create_index(
        op.f("ix_decision_contacts_contact_id"), "decision_contacts", ["contact_id"], unique=False
    )

    op.create_table(
        "device_mutations",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("mutation_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "device_id", "mutation_id"),
    )
    op.create_table(
        "entry_decisions",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
        ),
        sa.PrimaryKeyConstraint("entry_id", "decision_id"),
    )
    op.create_index(
        "ix_entry_decisions_decision_date", "entry_decisions", ["decision_id", "date"], unique=False
    )

    op.create_table(
        "timesheets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("total_minutes", sa.Integer(), nullable=False),
        sa.Column("total_km", sa.BigInteger(), nullable=False),
        sa.Column("total_expenses", sa.BigInteger(), nullable=False),
        sa.Column("signature_id", sa.String(length=36), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "decision_id", "period", name="uq_timesheets_key"),
    )
    op.create_index(op.f("ix_timesheets_contact_id"), "timesheets", ["contact_id"], unique=False)
    op.create_index(op.f("ix_timesheets_decision_id"), "timesheets", ["decision_id"], unique=False)
    op.create_index("ix_timesheets_period_status", "timesheets", ["period", "status"], unique=False)
    op.create_index(op.f("ix_timesheets_seq"), "timesheets", ["seq"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("timesheet_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("signer_role", sa.String(length=20), nullable=False),
        sa.Column("strokes", sa.JSON(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["timesheet_id"],
            ["timesheets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_signatures_timesheet_id"), "signatures", ["timesheet_id"], unique=False
    )

    op.create_table(
        "timesheet_entries",
        sa.Column("timesheet_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
        ),
        sa.ForeignKeyConstraint(
            ["timesheet_id"],
            ["timesheets.id"],
        ),
        sa.PrimaryKeyConstraint("timesheet_id", "entry_id"),
    )
    op.create_index(
        op.f("ix_timesheet_entries_entry_id"), "timesheet_entries", ["entry_id"], unique=False
    )

    op.execute("INSERT INTO change_sequence (id, value) VALUES (1, 0)")
    _audit_append_only()


def _audit_append_only() -> None:
    # The audit log is evidence: the database itself refuses to change or drop events.
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.drop_index(op.f("ix_timesheet_entries_entry_id"), table_name="timesheet_entries")

    op.drop_table("timesheet_entries")
    op.drop_index(op.f("ix_signatures_timesheet_id"), table_name="signatures")

    op.drop_table("signatures")
    op.drop_index(op.f("ix_timesheets_seq"), table_name="timesheets")
    op.drop_index("ix_timesheets_period_status", table_name="timesheets")
    op.drop_index(op.f("ix_timesheets_decision_id"), table_name="timesheets")
    op.drop_index(op.f("ix_timesheets_contact_id"), table_name="timesheets")

    op.drop_table("timesheets")
    op.drop_index("ix_entry_decisions_decision_date", table_name="entry_decisions")

    op.drop_table("entry_decisions")
    op.drop_table("device_mutations")
    op.drop_index(op.f("ix_decision_contacts_contact_id"), table_name="decision_contacts")

    op.drop_table("decision_contacts")
    op.drop_index(op.f("ix_auth_tokens_user_id"), table_name="auth_tokens")

    op.drop_table("auth_tokens")
    op.drop_table("users")
    op.drop_index(op.f("ix_entries_seq"), table_name="entries")
    op.drop_index("ix_entries_contact_date", table_name="entries")

    op.drop_table("entries")
    op.drop_index(op.f("ix_decisions_usage_seq"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_seq"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_recipient_id"), table_name="decisions")
    op.drop_index(op.f("ix_decisions_group_id"), table_name="decisions")

    op.drop_table("decisions")
    op.drop_index(op.f("ix_tombstones_seq"), table_name="tombstones")
    op.drop_index(op.f("ix_tombstones_contact_id"), table_name="tombstones")

    op.drop_table("tombstones")
    op.drop_index(op.f("ix_recipients_seq"), table_name="recipients")

    op.drop_table("recipients")
    op.drop_index("ix_login_failures_username_at", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")

    op.drop_table("login_failures")
    op.drop_index(
        "uq_flags_open_scope",
        table_name="flags",
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_flags_status_kind", table_name="flags")
    op.drop_index(op.f("ix_flags_seq"), table_name="flags")
    op.drop_index(op.f("ix_flags_decision_id"), table_name="flags")
    op.drop_index(op.f("ix_flags_contact_id"), table_name="flags")

    op.drop_table("flags")
    op.drop_index(op.f("ix_contacts_seq"), table_name="contacts")

    op.drop_table("contacts")
    op.drop_table("change_sequence")
    op.drop_index(op.f("ix_audit_events_user_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")

    op.drop_table("audit_events")
