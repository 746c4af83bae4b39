"""A batch's entry keys are checked once per statement, not once per row.

`payroll_batch_entries` had two foreign keys (`entry_id` → entries, `batch_id`
→ payroll_batches). PostgreSQL checks a foreign key row by row, with a query
and a row lock on the entry each time: of the 16.8 s that inserting a
million-entry batch's keys took, 13.2 s were those checks. They are replaced
by triggers that keep the same guarantees:

- every key names an existing entry and an existing batch: on PostgreSQL one
  statement-level check after each INSERT, one query over all the rows it
  added (index-only look-ups, no query and no row lock per key: 4.3 s of
  backend CPU for a million keys instead of 11.0 s); on SQLite, where writers
  are serialized, a row trigger;
- an entry that a batch paid cannot be deleted, nor its id changed, while its
  key is there (only a retention run removes keys: migration 0004). On
  PostgreSQL the check first takes the lock that making a batch holds until
  its commit (`server.payroll.service.BATCH_LOCK`), so a batch still being
  made cannot pay an entry that is deleted meanwhile: the delete waits and
  then sees the batch's keys (READ COMMITTED, the server's level).

A batch's id never changes and a batch is never deleted (migration 0002), so
nothing more is needed on that side. That an entry is in at most one batch
was never the foreign keys' doing: `entry_id` is the primary key, unchanged.

Existing keys are kept (on SQLite the table is copied, as SQLite alters
tables, with its index and immutability triggers).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "payroll_batch_entries"

_PG_FUNCTIONS = """
CREATE FUNCTION payroll_keys_refer() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM added a
               WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = a.entry_id)) THEN
        RAISE EXCEPTION 'payroll_batch_entries: a key names no entry'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM added) a
               WHERE NOT EXISTS (SELECT 1 FROM payroll_batches b WHERE b.id = a.batch_id)) THEN
        RAISE EXCEPTION 'payroll_batch_entries: a key names no batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_paid_entries_kept() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM removed) THEN
        RETURN NULL;
    END IF;
    -- A batch being made holds this lock until it commits: wait for it, so
    -- that the check below sees the keys it wrote.
    -- (7202: server.payroll.service.BATCH_LOCK; a migration does not import the app.)
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM removed r JOIN payroll_batch_entries k ON k.entry_id = r.id) THEN
        RAISE EXCEPTION 'entries: a paid entry is still in a payroll batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_paid_entry_id_kept() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM payroll_batch_entries k WHERE k.entry_id = OLD.id) THEN
        RAISE EXCEPTION 'entries: a paid entry is still in a payroll batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payroll_batch_entries_refer AFTER INSERT ON payroll_batch_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_keys_refer();
CREATE TRIGGER entries_paid_kept AFTER DELETE ON entries
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_paid_entries_kept();
CREATE TRIGGER entries_paid_id_kept BEFORE UPDATE OF id ON entries
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION payroll_paid_entry_id_kept();
"""

_PG_DROP = """
DROP TRIGGER entries_paid_id_kept ON entries;
DROP TRIGGER entries_paid_kept ON entries;
DROP TRIGGER payroll_batch_entries_refer ON payroll_batch_entries;
DROP FUNCTION payroll_paid_entry_id_kept();
DROP FUNCTION payroll_paid_entries_kept();
DROP FUNCTION payroll_keys_refer();
"""

# A row names an entry and a batch; a paid entry is neither deleted nor renumbered.
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER payroll_batch_entries_refer BEFORE INSERT ON payroll_batch_entries "
    "WHEN NOT EXISTS (SELECT 1 FROM entries WHERE id = NEW.entry_id) "
    "OR NOT EXISTS (SELECT 1 FROM payroll_batches WHERE id = NEW.batch_id) "
    "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
    "CREATE TRIGGER entries_paid_kept BEFORE DELETE ON entries "
    "WHEN EXISTS (SELECT 1 FROM payroll_batch_entries WHERE entry_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
    "CREATE TRIGGER entries_paid_id_kept BEFORE UPDATE OF id ON entries "
    "WHEN OLD.id IS NOT NEW.id "
    "AND EXISTS (SELECT 1 FROM payroll_batch_entries WHERE entry_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
)
_SQLITE_DROP = (
    "DROP TRIGGER entries_paid_id_kept",
    "DROP TRIGGER entries_paid_kept",
    "DROP TRIGGER payroll_batch_entries_refer",
)

_WITH_KEYS = (
    "FOREIGN KEY(batch_id) REFERENCES payroll_batches (id), "
    "FOREIGN KEY(entry_id) REFERENCES entries (id)"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        connection = op.get_bind()
        for key in sa.inspect(connection).get_foreign_keys(TABLE):
            assert key["name"]  # PostgreSQL names every constraint
            op.drop_constraint(key["name"], TABLE, type_="foreignkey")
        op.execute(_PG_FUNCTIONS)
        return
    _sqlite_copy(foreign_keys=False)
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_PG_DROP)
        op.create_foreign_key(None, TABLE, "payroll_batches", ["batch_id"], ["id"])
        op.create_foreign_key(None, TABLE, "entries", ["entry_id"], ["id"])
        return
    for statement in _SQLITE_DROP:
        op.execute(statement)
    _sqlite_copy(foreign_keys=True)


def _sqlite_copy(*, foreign_keys: bool) -> None:
    """Copy the table into one with or without the foreign keys, keeping its
    rows, its index and its triggers (the immutability of 0002 and 0004)."""
    connection = op.get_bind()
    triggers = [
        sql
        for (sql,) in connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
            (TABLE,),
        )
    ]
    keys = f", {_WITH_KEYS}" if foreign_keys else ""
    op.execute(
        f"CREATE TABLE _{TABLE}_copy (entry_id VARCHAR(36) NOT NULL, "
        f"batch_id VARCHAR(36) NOT NULL, PRIMARY KEY (entry_id){keys})"
    )
    columns = "entry_id, batch_id"
    op.execute(f"INSERT INTO _{TABLE}_copy ({columns}) SELECT {columns} FROM {TABLE}")  # noqa: S608
    # Dropping the table drops its triggers first, so no immutability trigger fires.
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE _{TABLE}_copy RENAME TO {TABLE}")
    op.execute(f"CREATE INDEX ix_{TABLE}_batch_id ON {TABLE} (batch_id)")
    for sql in triggers:
        op.execute(sql)
