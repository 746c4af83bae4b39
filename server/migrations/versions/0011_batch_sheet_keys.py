"""A batch pays a timesheet whole with one key, instead of one key per entry.

Nearly every entry names one decision and is on one sheet, so nearly every
sheet a batch pays holds only such entries. `payroll_batch_sheets` (primary
key `sheet_id`) records such a sheet once, and with it every live entry it
lists; `payroll_batch_entries` keeps the entry keys for the rest (group
sessions, entries on several sheets). At a million entries that is some
24,000 rows instead of a million, and their check looks at sheets, not entries.

"Paid at most once" stays a rule of the database. An entry is paid when it
has an entry key, or when a sheet listing it has a sheet key (and it was live
then). The triggers below keep both from happening to one entry, and keep
what a sheet key paid from changing afterwards:

- A sheet is paid whole only if none of its entries has ever been on another
  sheet too or had an entry key. That is kept as it happens, per link and
  per entry key, in `payroll_split_sheets` (a sheet listed there is never
  paid whole again; it stays listed when the reason goes, which only costs
  it entry keys). So the check on a new sheet key reads that table and the
  sheet, not the million entries behind it. A sheet key also names an
  existing sheet and batch (once per statement on PostgreSQL).
- An entry key is refused for an entry on a sheet paid whole.
- A paid sheet's links are frozen: no link is added to or removed from it,
  and none of its entries is linked to another sheet (the foreign keys of
  `timesheet_entries` then keep its entries from being deleted or renumbered).
  Only a retention run removes a sheet key, with its sheet (0004's unlock).
- An entry of a paid sheet is neither deleted on the phone nor brought back
  (`entries.deleted` does not change): the sheet key paid exactly the live
  entries it listed then. The application already refuses every change to an
  entry of an approved or exported sheet (`timesheets.refuse_locked`).
- A paid sheet is neither deleted nor renumbered while its key is there.
- Sheet keys, like the rest of a batch, are never changed (0002).

On PostgreSQL, each check that could race a batch still being made (a link,
an entry's `deleted`, a sheet, on a sheet that is approved or exported) first
takes the batch's lock (`server.payroll.service.BATCH_LOCK`, 7202), as 0009
does, so it waits for that batch's commit and then sees its keys; pushes,
which touch only sheets that are neither, never take it. The key triggers take
it too, so two transactions cannot each pay an entry, one by its sheet and
one by its key, without seeing each other. On SQLite writers are serialized
and row triggers check the same.

Existing entry keys stay as they are, and their sheets are listed as split
when the migration runs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTIONS = """
CREATE FUNCTION payroll_sheet_keys_refer() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM added a
               WHERE NOT EXISTS (SELECT 1 FROM timesheets t WHERE t.id = a.sheet_id)) THEN
        RAISE EXCEPTION 'payroll_batch_sheets: a key names no timesheet'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM added) a
               WHERE NOT EXISTS (SELECT 1 FROM payroll_batches b WHERE b.id = a.batch_id)) THEN
        RAISE EXCEPTION 'payroll_batch_sheets: a key names no batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM added a JOIN payroll_split_sheets s ON s.sheet_id = a.sheet_id) THEN
        RAISE EXCEPTION 'payroll_batch_sheets: a timesheet entry is elsewhere or keyed'
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_sheet_keys_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM retention_unlock) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_entry_keys_split() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM added a
               JOIN timesheet_entries l ON l.entry_id = a.entry_id
               JOIN payroll_batch_sheets s ON s.sheet_id = l.timesheet_id) THEN
        RAISE EXCEPTION 'payroll_batch_entries: the entry is on a timesheet paid whole'
            USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO payroll_split_sheets (sheet_id)
        SELECT DISTINCT l.timesheet_id FROM added a
        JOIN timesheet_entries l ON l.entry_id = a.entry_id
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_links_added() RETURNS trigger AS $$
BEGIN
    -- The statement's own links are in timesheet_entries already: `l` is
    -- every link of each entry given a new one, that one included.
    IF EXISTS (SELECT 1 FROM added a
               JOIN timesheet_entries l ON l.entry_id = a.entry_id
               JOIN timesheets t ON t.id = l.timesheet_id
               WHERE t.status IN ('approved', 'exported')) THEN
        PERFORM pg_advisory_xact_lock(7202);
    END IF;
    IF EXISTS (SELECT 1 FROM added a
               JOIN timesheet_entries l ON l.entry_id = a.entry_id
               JOIN payroll_batch_sheets s ON s.sheet_id = l.timesheet_id) THEN
        RAISE EXCEPTION 'timesheet_entries: a timesheet paid whole keeps its entries alone'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO payroll_split_sheets (sheet_id)
        SELECT DISTINCT l.timesheet_id FROM added a
        JOIN timesheet_entries l ON l.entry_id = a.entry_id
        WHERE EXISTS (SELECT 1 FROM timesheet_entries o
                      WHERE o.entry_id = a.entry_id AND o.timesheet_id <> a.timesheet_id)
           OR EXISTS (SELECT 1 FROM payroll_batch_entries k WHERE k.entry_id = a.entry_id)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_links_removed() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM removed r JOIN timesheets t ON t.id = r.timesheet_id
               WHERE t.status IN ('approved', 'exported')) THEN
        PERFORM pg_advisory_xact_lock(7202);
    END IF;
    IF EXISTS (SELECT 1 FROM removed r
               JOIN payroll_batch_sheets s ON s.sheet_id = r.timesheet_id) THEN
        RAISE EXCEPTION 'timesheet_entries: a timesheet paid whole keeps its entries'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Nothing in the application changes a link (it deletes and inserts); a
-- change anywhere near a paid sheet is refused, and the sheets it touches
-- are taken as split.
CREATE FUNCTION payroll_links_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM payroll_batch_sheets s
               WHERE s.sheet_id IN (OLD.timesheet_id, NEW.timesheet_id))
       OR EXISTS (SELECT 1 FROM timesheet_entries l
                  JOIN payroll_batch_sheets s ON s.sheet_id = l.timesheet_id
                  WHERE l.entry_id IN (OLD.entry_id, NEW.entry_id)) THEN
        RAISE EXCEPTION 'timesheet_entries: a timesheet paid whole keeps its entries'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO payroll_split_sheets (sheet_id)
        SELECT OLD.timesheet_id UNION SELECT NEW.timesheet_id
        UNION SELECT l.timesheet_id FROM timesheet_entries l
              WHERE l.entry_id IN (OLD.entry_id, NEW.entry_id)
        ON CONFLICT DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_paid_sheet_entry_kept() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM timesheet_entries l JOIN timesheets t ON t.id = l.timesheet_id
               WHERE l.entry_id = OLD.id AND t.status IN ('approved', 'exported')) THEN
        PERFORM pg_advisory_xact_lock(7202);
        IF EXISTS (SELECT 1 FROM timesheet_entries l
                   JOIN payroll_batch_sheets s ON s.sheet_id = l.timesheet_id
                   WHERE l.entry_id = OLD.id) THEN
            RAISE EXCEPTION 'entries: an entry of a timesheet paid whole stays as it was paid'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_paid_sheets_kept() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM removed WHERE status IN ('approved', 'exported')) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM removed r JOIN payroll_batch_sheets s ON s.sheet_id = r.id) THEN
        RAISE EXCEPTION 'timesheets: a paid timesheet is still in a payroll batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payroll_paid_sheet_id_kept() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7202);
    IF EXISTS (SELECT 1 FROM payroll_batch_sheets s WHERE s.sheet_id = OLD.id) THEN
        RAISE EXCEPTION 'timesheets: a paid timesheet is still in a payroll batch'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payroll_batch_sheets_refer AFTER INSERT ON payroll_batch_sheets
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_sheet_keys_refer();
CREATE TRIGGER payroll_batch_sheets_no_change BEFORE UPDATE OR DELETE ON payroll_batch_sheets
    FOR EACH ROW EXECUTE FUNCTION payroll_sheet_keys_guard();
CREATE TRIGGER payroll_batch_entries_split AFTER INSERT ON payroll_batch_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_entry_keys_split();
CREATE TRIGGER timesheet_entries_paid_added AFTER INSERT ON timesheet_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_links_added();
CREATE TRIGGER timesheet_entries_paid_removed AFTER DELETE ON timesheet_entries
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_links_removed();
CREATE TRIGGER timesheet_entries_paid_changed BEFORE UPDATE ON timesheet_entries
    FOR EACH ROW EXECUTE FUNCTION payroll_links_changed();
CREATE TRIGGER entries_paid_sheet_kept BEFORE UPDATE OF deleted ON entries
    FOR EACH ROW WHEN (OLD.deleted IS DISTINCT FROM NEW.deleted)
    EXECUTE FUNCTION payroll_paid_sheet_entry_kept();
CREATE TRIGGER timesheets_paid_kept AFTER DELETE ON timesheets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION payroll_paid_sheets_kept();
CREATE TRIGGER timesheets_paid_id_kept BEFORE UPDATE OF id ON timesheets
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION payroll_paid_sheet_id_kept();
"""

_PG_DROP = """
DROP TRIGGER timesheets_paid_id_kept ON timesheets;
DROP TRIGGER timesheets_paid_kept ON timesheets;
DROP TRIGGER entries_paid_sheet_kept ON entries;
DROP TRIGGER timesheet_entries_paid_changed ON timesheet_entries;
DROP TRIGGER timesheet_entries_paid_removed ON timesheet_entries;
DROP TRIGGER timesheet_entries_paid_added ON timesheet_entries;
DROP TRIGGER payroll_batch_entries_split ON payroll_batch_entries;
DROP TRIGGER payroll_batch_sheets_no_change ON payroll_batch_sheets;
DROP TRIGGER payroll_batch_sheets_refer ON payroll_batch_sheets;
DROP FUNCTION payroll_paid_sheet_id_kept();
DROP FUNCTION payroll_paid_sheets_kept();
DROP FUNCTION payroll_paid_sheet_entry_kept();
DROP FUNCTION payroll_links_changed();
DROP FUNCTION payroll_links_removed();
DROP FUNCTION payroll_links_added();
DROP FUNCTION payroll_entry_keys_split();
DROP FUNCTION payroll_sheet_keys_guard();
DROP FUNCTION payroll_sheet_keys_refer();
"""

_SQLITE_TRIGGERS = (
    # A sheet key names a sheet and a batch, and a sheet none of whose entries
    # was ever on another sheet or had an entry key.
    "CREATE TRIGGER payroll_batch_sheets_refer BEFORE INSERT ON payroll_batch_sheets WHEN NOT "
    "EXISTS (SELECT 1 FROM timesheets WHERE id = NEW.sheet_id) OR NOT EXISTS (SELECT 1 FROM "
    "payroll_batches WHERE id = NEW.batch_id) OR EXISTS (SELECT 1 FROM payroll_split_sheets "
    "WHERE sheet_id = NEW.sheet_id) BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint "
    "failed'); END",
    "CREATE TRIGGER payroll_batch_sheets_no_update BEFORE UPDATE ON payroll_batch_sheets "
    "BEGIN SELECT RAISE(ABORT, 'payroll_batch_sheets is immutable'); END",
    "CREATE TRIGGER payroll_batch_sheets_no_delete BEFORE DELETE ON payroll_batch_sheets WHEN "
    "NOT EXISTS (SELECT 1 FROM retention_unlock) BEGIN SELECT RAISE(ABORT, "
    "'payroll_batch_sheets is immutable'); END",
    # No entry key for an entry of a sheet paid whole; an entry key splits its sheets.
    "CREATE TRIGGER payroll_batch_entries_paid_whole BEFORE INSERT ON payroll_batch_entries "
    "WHEN EXISTS (SELECT 1 FROM timesheet_entries l JOIN payroll_batch_sheets s ON s.sheet_id "
    "= l.timesheet_id WHERE l.entry_id = NEW.entry_id) BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY "
    "constraint failed'); END",
    "CREATE TRIGGER payroll_batch_entries_split AFTER INSERT ON payroll_batch_entries BEGIN "
    "INSERT OR IGNORE INTO payroll_split_sheets (sheet_id) SELECT timesheet_id FROM "
    "timesheet_entries WHERE entry_id = NEW.entry_id; END",
    # A paid sheet's links are frozen, and its entries stay on it alone.
    "CREATE TRIGGER timesheet_entries_paid_added BEFORE INSERT ON timesheet_entries WHEN "
    "EXISTS (SELECT 1 FROM payroll_batch_sheets WHERE sheet_id = NEW.timesheet_id) OR EXISTS "
    "(SELECT 1 FROM timesheet_entries l JOIN payroll_batch_sheets s ON s.sheet_id = "
    "l.timesheet_id WHERE l.entry_id = NEW.entry_id) BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY "
    "constraint failed'); END",
    "CREATE TRIGGER timesheet_entries_split AFTER INSERT ON timesheet_entries WHEN EXISTS "
    "(SELECT 1 FROM timesheet_entries WHERE entry_id = NEW.entry_id AND timesheet_id <> "
    "NEW.timesheet_id) OR EXISTS (SELECT 1 FROM payroll_batch_entries WHERE entry_id = "
    "NEW.entry_id) BEGIN INSERT OR IGNORE INTO payroll_split_sheets (sheet_id) SELECT "
    "timesheet_id FROM timesheet_entries WHERE entry_id = NEW.entry_id; END",
    "CREATE TRIGGER timesheet_entries_paid_removed BEFORE DELETE ON timesheet_entries WHEN "
    "EXISTS (SELECT 1 FROM payroll_batch_sheets WHERE sheet_id = OLD.timesheet_id) BEGIN "
    "SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
    "CREATE TRIGGER timesheet_entries_paid_changed BEFORE UPDATE ON timesheet_entries WHEN "
    "EXISTS (SELECT 1 FROM payroll_batch_sheets WHERE sheet_id IN (OLD.timesheet_id, "
    "NEW.timesheet_id)) OR EXISTS (SELECT 1 FROM timesheet_entries l JOIN "
    "payroll_batch_sheets s ON s.sheet_id = l.timesheet_id WHERE l.entry_id = OLD.entry_id) "
    "OR EXISTS (SELECT 1 FROM timesheet_entries l JOIN payroll_batch_sheets s ON s.sheet_id = "
    "l.timesheet_id WHERE l.entry_id = NEW.entry_id) BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY "
    "constraint failed'); END",
    "CREATE TRIGGER timesheet_entries_split_changed AFTER UPDATE ON timesheet_entries BEGIN "
    "INSERT OR IGNORE INTO payroll_split_sheets (sheet_id) SELECT OLD.timesheet_id UNION "
    "SELECT NEW.timesheet_id UNION SELECT timesheet_id FROM timesheet_entries WHERE entry_id "
    "IN (OLD.entry_id, NEW.entry_id); END",
    # What a sheet key paid stays: its entries' `deleted`, the sheet itself.
    "CREATE TRIGGER entries_paid_sheet_kept BEFORE UPDATE OF deleted ON entries WHEN "
    "OLD.deleted IS NOT NEW.deleted AND EXISTS (SELECT 1 FROM timesheet_entries l JOIN "
    "payroll_batch_sheets s ON s.sheet_id = l.timesheet_id WHERE l.entry_id = OLD.id) BEGIN "
    "SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
    "CREATE TRIGGER timesheets_paid_kept BEFORE DELETE ON timesheets WHEN EXISTS (SELECT 1 "
    "FROM payroll_batch_sheets WHERE sheet_id = OLD.id) BEGIN SELECT RAISE(ABORT, 'FOREIGN "
    "KEY constraint failed'); END",
    "CREATE TRIGGER timesheets_paid_id_kept BEFORE UPDATE OF id ON timesheets WHEN OLD.id IS "
    "NOT NEW.id AND EXISTS (SELECT 1 FROM payroll_batch_sheets WHERE sheet_id = OLD.id) BEGIN "
    "SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
)
_SQLITE_DROP = tuple(
    f"DROP TRIGGER {statement.split()[2]}" for statement in reversed(_SQLITE_TRIGGERS)
)

# Sheets with an entry on another sheet too, or with an entry key, as the
# triggers would have listed them had they always been there.
_SPLIT_NOW = """
INSERT INTO payroll_split_sheets (sheet_id)
SELECT DISTINCT l.timesheet_id FROM timesheet_entries l
WHERE l.entry_id IN (SELECT entry_id FROM timesheet_entries GROUP BY entry_id HAVING COUNT(*) > 1)
   OR l.entry_id IN (SELECT entry_id FROM payroll_batch_entries)
"""


def upgrade() -> None:
    op.create_table(
        "payroll_batch_sheets",
        sa.Column("sheet_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("sheet_id"),
    )
    op.create_index(
        "ix_payroll_batch_sheets_batch_id", "payroll_batch_sheets", ["batch_id"], unique=False
    )
    op.create_table(
        "payroll_split_sheets",
        sa.Column("sheet_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("sheet_id"),
    )
    op.execute(_SPLIT_NOW)
    if op.get_context().dialect.name == "postgresql":
        op.execute(_PG_FUNCTIONS)
        return
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


# Before 0011 an entry was paid only by its key: a sheet key becomes the keys of
# the live entries it paid, so nothing paid looks unpaid after a downgrade.
_SHEET_KEYS_AS_ENTRY_KEYS = """
INSERT INTO payroll_batch_entries (entry_id, batch_id)
SELECT l.entry_id, s.batch_id FROM payroll_batch_sheets s
JOIN timesheet_entries l ON l.timesheet_id = s.sheet_id
JOIN entries e ON e.id = l.entry_id
WHERE e.deleted = false
"""


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_PG_DROP)
    else:
        for statement in _SQLITE_DROP:
            op.execute(statement)
    op.execute(_SHEET_KEYS_AS_ENTRY_KEYS)
    op.drop_table("payroll_split_sheets")
    op.drop_index("ix_payroll_batch_sheets_batch_id", table_name="payroll_batch_sheets")
    op.drop_table("payroll_batch_sheets")
