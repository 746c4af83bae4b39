"""A batch's entry keys name a real entry and a real batch, and a paid entry stays.

Triggers keep what the foreign keys of `payroll_batch_entries` kept (migration
0009): checked once per INSERT statement on PostgreSQL instead of once per
row. That an entry is paid at most once is the primary key's, and
test_batches.py checks it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import Executable

from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.payroll import service
from server.payroll.tables import PayrollBatchEntry, PayrollBatchRow
from server.tables import EntryRow, TimesheetEntry, TimesheetRow
from tests.server.conftest import (
    empty_postgres_database,
)
from tests.server.payroll.conftest import Municipality

KEYS = PayrollBatchEntry


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.sqlalchemy_url)
    yield engine
    engine.dispose()


def _paid_and_unpaid(
    town: Municipality, engine: Engine, *, before_0011: bool = False
) -> tuple[str, str, str]:
    """An entry paid in a batch, the batch, and an entry on no sheet (so never paid).

    Made today, the batch pays the entry with its sheet, whole (migration
    0011); `before_0011` writes the batch as the code before that migration
    did, with an entry key (the schema then had no sheet keys).
    """
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    paid = town.entry(kari, [vedtak], date(2026, 3, 2))
    town.approve_entry(paid)
    loose = town.entry(kari, [], date(2026, 3, 3))
    if before_0011:
        return paid, old_batch(engine, [paid], number=1), loose
    with make_sessionmaker(engine)() as db:
        batch = service.make_batch(db, actor=None).id
    return paid, batch, loose


def old_batch(engine: Engine, entry_ids: list[str], *, number: int) -> str:
    """A batch paying `entry_ids` by entry keys, its sheets exported, as before 0011."""
    batch_id = f"old-batch-{number}"
    with engine.begin() as conn:
        conn.execute(
            insert(PayrollBatchRow),
            {
                "id": batch_id,
                "number": number,
                "entry_count": len(entry_ids),
                "total_amount": Decimal(0),
                "totals": {},
                "period": None,
            },
        )
        conn.execute(insert(KEYS), [{"entry_id": e, "batch_id": batch_id} for e in entry_ids])
        sheets = select(TimesheetEntry.timesheet_id).where(TimesheetEntry.entry_id.in_(entry_ids))
        conn.execute(
            update(TimesheetRow).where(TimesheetRow.id.in_(sheets)).values(status="exported")
        )
    return batch_id


def _paid(conn: Connection) -> list[tuple[str, str]]:
    """(entry, batch) of every paid entry, by either kind of key."""
    return sorted(tuple(row) for row in conn.execute(service.paid_entries()))


def _refused(
    engine: Engine,
    statement: Executable,
    *params: dict[str, str],
    error: type[DBAPIError] = IntegrityError,
    first: Executable | None = None,
) -> None:
    """The statement (after `first`, in the same transaction) fails with `error`:
    by default a constraint's, which the key triggers raise too."""
    rows = (params[0] if len(params) == 1 else list(params)) if params else None

    def run(conn: Connection) -> None:
        with conn.begin():
            if first is not None:
                conn.execute(first)
            conn.execute(statement, rows)

    with engine.connect() as conn, pytest.raises(error):
        run(conn)


def test_a_key_names_an_entry_and_a_batch(engine: Engine, town: Municipality) -> None:
    _paid_entry, batch, loose = _paid_and_unpaid(town, engine)
    _refused(engine, insert(KEYS), {"entry_id": "no such entry", "batch_id": batch})
    _refused(engine, insert(KEYS), {"entry_id": loose, "batch_id": "no such batch"})
    # One bad row refuses the whole statement, wherever it is.
    _refused(
        engine,
        insert(KEYS),
        {"entry_id": loose, "batch_id": batch},
        {"entry_id": "no such entry", "batch_id": batch},
    )
    # A key naming both is taken (and would fail as a second key had the
    # statement above left its good row behind).
    with engine.begin() as conn:
        conn.execute(insert(KEYS), {"entry_id": loose, "batch_id": batch})
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(KEYS)).scalar_one() == 1
        assert _paid(conn) == sorted([(loose, batch), (_paid_entry, batch)])


def test_a_paid_entry_is_neither_deleted_nor_renumbered(engine: Engine, town: Municipality) -> None:
    paid, _batch, loose = _paid_and_unpaid(town, engine)
    _refused(
        engine,
        delete(EntryRow).where(EntryRow.id == paid),
        first=delete(TimesheetEntry).where(TimesheetEntry.entry_id == paid),
    )
    _refused(engine, update(EntryRow).where(EntryRow.id == paid).values(id="renumbered"))
    # An entry no batch paid is deleted as before, and the paid one is still there.
    with engine.begin() as conn:
        conn.execute(delete(EntryRow).where(EntryRow.id == loose))
    with engine.connect() as conn:
        assert conn.execute(select(EntryRow.id)).scalars().all() == [paid]
        assert [entry for entry, _batch in _paid(conn)] == [paid]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with empty_postgres_database("t_timeliste_keys") as url:
        yield url


def test_the_migration_keeps_the_keys_and_checks_them(empty_url: str) -> None:
    upgrade(empty_url, "0008")
    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as session:
            paid, batch, loose = _paid_and_unpaid(Municipality(session), engine, before_0011=True)
        upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(select(KEYS.entry_id, KEYS.batch_id)).all() == [(paid, batch)]
        # Still immutable (on SQLite the copied table got 0002's and 0004's triggers back).
        _refused(engine, text("DELETE FROM payroll_batch_entries"), error=DBAPIError)
        _refused(
            engine, text("UPDATE payroll_batch_entries SET batch_id = entry_id"), error=DBAPIError
        )
        # And checked as before.
        _refused(engine, insert(KEYS), {"entry_id": "no such entry", "batch_id": batch})
        _refused(
            engine,
            delete(EntryRow).where(EntryRow.id == paid),
            first=delete(TimesheetEntry).where(TimesheetEntry.entry_id == paid),
        )
        with engine.begin() as conn:
            conn.execute(insert(KEYS), {"entry_id": loose, "batch_id": batch})
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(KEYS)).scalar_one() == 2
    finally:
        engine.dispose()


def _batch_index(conn: Connection) -> str:
    """How `payroll_batch_entries.batch_id` is indexed: its access method on
    PostgreSQL, and that it is indexed on SQLite."""
    if conn.dialect.name == "postgresql":
        return str(
            conn.execute(
                text(
                    "SELECT am.amname FROM pg_class i JOIN pg_am am ON am.oid = i.relam "
                    "WHERE i.relname = 'ix_payroll_batch_entries_batch_id'"
                )
            ).scalar_one()
        )
    return str(
        conn.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND name = 'ix_payroll_batch_entries_batch_id' "
                "AND tbl_name = 'payroll_batch_entries'"
            )
        ).scalar_one()
    )


def test_the_brin_migration_keeps_keys_and_the_archive_finds_each_batchs_sheets(
    empty_url: str,
) -> None:
    """0010 makes the batch index BRIN on PostgreSQL (SQLite keeps its B-tree):
    keys made before stay, the checks still hold, and a batch's PDF archive,
    the one reader of that index, lists that batch's sheets and no other's,
    for a batch made before the upgrade and one made after."""
    upgrade(empty_url, "0009")
    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as session:
            town = Municipality(session)
            paid, first, _loose = _paid_and_unpaid(town, engine, before_0011=True)
        with engine.connect() as conn:
            before = _batch_index(conn)
        upgrade(empty_url)
        with engine.connect() as conn:
            after = _batch_index(conn)
            assert conn.execute(select(KEYS.entry_id, KEYS.batch_id)).all() == [(paid, first)]
        if engine.dialect.name == "postgresql":
            assert (before, after) == ("btree", "brin")
        else:
            assert before == after == "ix_payroll_batch_entries_batch_id"
        _refused(engine, insert(KEYS), {"entry_id": "no such entry", "batch_id": first})
        _refused(engine, text("DELETE FROM payroll_batch_entries"), error=DBAPIError)
        # A second batch, made after the upgrade, pays an entry of another month.
        with make_sessionmaker(engine)() as session:
            town = Municipality(session)
            kari = session.scalars(select(EntryRow.contact_id).where(EntryRow.id == paid)).one()
            vedtak = town.decision(town.recipient("2025/124"), [kari])
            later = town.entry(kari, [vedtak], date(2026, 4, 6))
            town.approve_entry(later)
            second = service.make_batch(session, actor=None).id
        with make_sessionmaker(engine)() as session:
            for batch, case_no in ((first, "2025/123"), (second, "2025/124")):
                sheets = service._archive_sheets(session, batch)
                assert [
                    (sheet.case_no, [e.in_batch for e in sheet.entries]) for sheet in sheets
                ] == [(case_no, [True])]
        with engine.connect() as conn:
            # The first by its entry key, the second (after 0011) with its sheet.
            assert _paid(conn) == sorted([(paid, first), (later, second)])
            assert conn.execute(select(KEYS.entry_id)).scalars().all() == [paid]
    finally:
        engine.dispose()


# --- PostgreSQL: a batch being made and a delete of one of its entries -------------------


def _waits_for_lock(watch: Connection, pid: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = watch.exec_driver_sql(
            f"SELECT wait_event_type FROM pg_stat_activity WHERE pid = {pid}"
        ).scalar_one_or_none()
        if waiting == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError("the delete never waited")


@pytest.mark.postgres
def test_an_entry_deleted_while_a_batch_pays_it_is_refused(pg_engine: Engine) -> None:
    """The batch has written its key but not committed; the delete, which cannot
    see that key yet, waits for the batch's lock and then sees it."""
    with make_sessionmaker(pg_engine)() as session:
        town = Municipality(session)
        kari = town.contact("1001")
        vedtak = town.decision(town.recipient("2025/123"), [kari])
        entry = town.entry(kari, [vedtak], date(2026, 3, 2))
        town.approve_entry(entry)
    outcome: list[BaseException | None] = []

    def delete_entry(pid_box: list[int]) -> None:
        with pg_engine.connect() as conn:
            pid_box.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            conn.commit()
            try:
                with conn.begin():
                    conn.execute(delete(TimesheetEntry).where(TimesheetEntry.entry_id == entry))
                    conn.execute(delete(EntryRow).where(EntryRow.id == entry))
                outcome.append(None)
            except IntegrityError as error:
                outcome.append(error)

    with make_sessionmaker(pg_engine)() as db, pg_engine.connect() as watch:
        watch.execution_options(isolation_level="AUTOCOMMIT")
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": service.BATCH_LOCK})
        batch = PayrollBatchRow(
            id="b1", number=1, entry_count=1, total_amount=Decimal(0), totals={}, period=None
        )
        db.add(batch)
        db.flush()
        db.execute(insert(KEYS), {"entry_id": entry, "batch_id": "b1"})
        pid: list[int] = []
        deleter = threading.Thread(target=delete_entry, args=(pid,))
        deleter.start()
        while not pid:
            time.sleep(0.01)
        _waits_for_lock(watch, pid[0])
        db.commit()
        deleter.join(timeout=30)
    assert not deleter.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], IntegrityError)
    with pg_engine.connect() as conn:
        assert conn.execute(select(EntryRow.id)).scalars().all() == [entry]
