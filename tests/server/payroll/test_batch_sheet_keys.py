"""A sheet paid whole: one key for the sheet, and the database keeps it paid once.

Migration 0011: a batch pays a sheet whose entries are all its own (one
decision, on that sheet alone) with one `payroll_batch_sheets` row, and the
other entries (group sessions, entries on several sheets) with entry keys.
Each test below breaks one rule of the database by hand, beside what the
application does, and is refused on both engines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import Executable

from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import alembic_config, upgrade
from server.payroll import service
from server.payroll.tables import (
    PayrollBatchEntry,
    PayrollBatchRow,
    PayrollBatchSheet,
    PayrollSplitSheet,
    RetentionUnlock,
)
from server.tables import EntryRow, TimesheetEntry, TimesheetRow
from tests.server.conftest import empty_postgres_database
from tests.server.payroll.conftest import Municipality
from tests.server.payroll.test_batch_keys import _refused, _waits_for_lock, old_batch

SHEETS = PayrollBatchSheet
KEYS = PayrollBatchEntry
LINKS = TimesheetEntry


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.sqlalchemy_url)
    yield engine
    engine.dispose()


@dataclass
class Paid:
    batch: str
    sheet: str  # paid whole
    entries: list[str]  # its live entries
    tombstone: str  # deleted on the phone, still listed on it: not paid
    open_sheet: str  # another sheet of the contact, not approved
    open_entry: str  # on it


def _pay_a_sheet_whole(town: Municipality, engine: Engine) -> Paid:
    kari = town.contact("1001")
    vedtak = town.decision(town.recipient("2025/123"), [kari])
    entries = [town.entry(kari, [vedtak], date(2026, 3, day)) for day in (2, 3)]
    tombstone = town.entry(kari, [vedtak], date(2026, 3, 4))
    town.db.execute(update(EntryRow).where(EntryRow.id == tombstone).values(deleted=True))
    town.db.commit()
    (sheet,) = town.sheets_of(entries[0])
    town.sign(sheet)
    town.approve(sheet)
    open_entry = town.entry(kari, [vedtak], date(2026, 4, 6))
    (open_sheet,) = town.sheets_of(open_entry)
    with make_sessionmaker(engine)() as db:
        batch = service.make_batch(db, actor=None).id
    with engine.connect() as conn:
        assert conn.execute(select(SHEETS.sheet_id, SHEETS.batch_id)).all() == [(sheet, batch)]
        assert conn.execute(select(KEYS.entry_id)).all() == []
    return Paid(batch, sheet, entries, tombstone, open_sheet, open_entry)


def test_a_batch_pays_a_sheet_of_its_own_entries_whole_and_a_group_session_by_entry_keys(
    engine: Engine, town: Municipality
) -> None:
    kari = town.contact("1001")
    own = town.decision(town.recipient("2025/123"), [kari])
    groups = [town.decision(town.recipient(f"2025/G{n}"), [kari], group_id="G-1") for n in (1, 2)]
    alone = town.entry(kari, [own], date(2026, 3, 2))
    session = town.entry(kari, groups, date(2026, 3, 3))
    beside = town.entry(kari, [groups[0]], date(2026, 3, 4))  # one decision, a split sheet
    for entry in (alone, session, beside):
        town.approve_entry(entry)
    (own_sheet,) = town.sheets_of(alone)
    with make_sessionmaker(engine)() as db:
        batch = service.make_batch(db, actor=None)
    with make_sessionmaker(engine)() as db:
        assert batch.entry_count == 3
        assert db.scalars(select(SHEETS.sheet_id)).all() == [own_sheet]
        assert sorted(db.scalars(select(KEYS.entry_id))) == sorted([session, beside])
        assert service.batch_entry_ids(db, batch.id) == {alone, session, beside}
        sheets = service._archive_sheets(db, batch.id)
        assert len(sheets) == 3
        assert all(e.in_batch for sheet in sheets for e in sheet.entries)
        statuses = set(db.scalars(select(TimesheetRow.status)))
        assert statuses == {"exported"}
        # Nothing is left to pay, by either key.
        with pytest.raises(service.NothingToPayError):
            service.make_batch(db, actor=None)


def test_a_sheet_paid_whole_pays_its_live_entries_only(engine: Engine, town: Municipality) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    with make_sessionmaker(engine)() as db:
        assert service.batch_entry_ids(db, paid.batch) == set(paid.entries)
        (sheet,) = service._archive_sheets(db, paid.batch)
        assert [e.in_batch for e in sheet.entries] == [True, True]


def test_a_sheet_key_names_a_sheet_and_a_batch(engine: Engine, town: Municipality) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    _refused(engine, insert(SHEETS), {"sheet_id": "no such sheet", "batch_id": paid.batch})
    _refused(engine, insert(SHEETS), {"sheet_id": paid.open_sheet, "batch_id": "no such batch"})
    _refused(
        engine,
        insert(SHEETS),
        {"sheet_id": paid.open_sheet, "batch_id": paid.batch},
        {"sheet_id": "no such sheet", "batch_id": paid.batch},
    )
    with engine.begin() as conn:
        conn.execute(insert(SHEETS), {"sheet_id": paid.open_sheet, "batch_id": paid.batch})


def test_a_sheet_with_an_entry_elsewhere_or_with_an_entry_key_is_not_paid_whole(
    engine: Engine, town: Municipality
) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    kari = town.db.scalars(select(EntryRow.contact_id)).first()
    assert kari is not None
    other = town.decision(town.recipient("2025/124"), [kari])
    shared = town.entry(kari, [other], date(2026, 5, 4))
    keyed = town.entry(kari, [other], date(2026, 6, 4))
    (shared_sheet,) = town.sheets_of(shared)
    (keyed_sheet,) = town.sheets_of(keyed)
    # The entry on a second sheet splits both; taken off again, they stay split.
    with engine.begin() as conn:
        conn.execute(insert(LINKS), {"timesheet_id": paid.open_sheet, "entry_id": shared})
    with engine.begin() as conn:
        conn.execute(delete(LINKS).where(LINKS.timesheet_id == paid.open_sheet))
    with engine.begin() as conn:
        conn.execute(insert(KEYS), {"entry_id": keyed, "batch_id": paid.batch})
    # A link changed in place (the application never does) splits the sheets
    # it touches: the entry may have been on the other one a moment before.
    moved = town.entry(kari, [other], date(2026, 7, 4))
    (moved_from,) = town.sheets_of(moved)
    moved_to = town.sheet(kari, other, "2026-08")
    town.db.commit()
    with engine.begin() as conn:
        conn.execute(update(LINKS).where(LINKS.entry_id == moved).values(timesheet_id=moved_to))
    for sheet in (shared_sheet, paid.open_sheet, keyed_sheet, moved_from, moved_to):
        _refused(engine, insert(SHEETS), {"sheet_id": sheet, "batch_id": paid.batch})
    with engine.connect() as conn:
        split = set(conn.execute(select(PayrollSplitSheet.sheet_id)).scalars())
    assert split == {shared_sheet, paid.open_sheet, keyed_sheet, moved_from, moved_to}


def test_an_entry_of_a_sheet_paid_whole_gets_no_entry_key(
    engine: Engine, town: Municipality
) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    for entry in (paid.entries[0], paid.tombstone):
        _refused(engine, insert(KEYS), {"entry_id": entry, "batch_id": paid.batch})
    with engine.begin() as conn:
        conn.execute(insert(KEYS), {"entry_id": paid.open_entry, "batch_id": paid.batch})


def test_a_paid_sheets_links_are_frozen(engine: Engine, town: Municipality) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    # No entry added to it, none of its entries on another sheet too.
    _refused(engine, insert(LINKS), {"timesheet_id": paid.sheet, "entry_id": paid.open_entry})
    _refused(engine, insert(LINKS), {"timesheet_id": paid.open_sheet, "entry_id": paid.entries[0]})
    # None taken off it, and no link changed to or from it.
    for entry in (paid.entries[0], paid.tombstone):
        _refused(engine, delete(LINKS).where(LINKS.entry_id == entry))
    _refused(
        engine,
        update(LINKS).where(LINKS.entry_id == paid.entries[0]).values(timesheet_id=paid.open_sheet),
    )
    _refused(
        engine,
        update(LINKS).where(LINKS.entry_id == paid.open_entry).values(timesheet_id=paid.sheet),
    )
    # Links elsewhere come and go as before.
    with engine.begin() as conn:
        conn.execute(delete(LINKS).where(LINKS.entry_id == paid.open_entry))
    with engine.connect() as conn:
        linked = conn.execute(select(LINKS.entry_id).where(LINKS.timesheet_id == paid.sheet))
        assert sorted(linked.scalars()) == sorted([*paid.entries, paid.tombstone])


def test_what_a_sheet_key_paid_stays_as_it_was(engine: Engine, town: Municipality) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    # A paid entry is not deleted on the phone, a deleted one is not brought back.
    _refused(engine, update(EntryRow).where(EntryRow.id == paid.entries[0]).values(deleted=True))
    _refused(engine, update(EntryRow).where(EntryRow.id == paid.tombstone).values(deleted=False))
    # Nor deleted or renumbered (the link's foreign key, with the frozen links).
    _refused(engine, delete(EntryRow).where(EntryRow.id == paid.entries[0]))
    _refused(engine, update(EntryRow).where(EntryRow.id == paid.entries[0]).values(id="new"))
    # An entry of another sheet is deleted on the phone as before.
    with engine.begin() as conn:
        conn.execute(update(EntryRow).where(EntryRow.id == paid.open_entry).values(deleted=True))
    with make_sessionmaker(engine)() as db:
        assert service.batch_entry_ids(db, paid.batch) == set(paid.entries)


def test_a_paid_sheet_is_neither_deleted_nor_renumbered(engine: Engine, town: Municipality) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    # A sheet with no entries, paid whole by hand: no foreign key holds it.
    kari = town.db.scalars(select(EntryRow.contact_id)).first()
    assert kari is not None
    empty = town.sheet(kari, town.decision(town.recipient("2025/125"), [kari]), "2026-03")
    town.approve(empty)
    with engine.begin() as conn:
        conn.execute(insert(SHEETS), {"sheet_id": empty, "batch_id": paid.batch})
    for sheet in (empty, paid.sheet):
        _refused(engine, delete(TimesheetRow).where(TimesheetRow.id == sheet))
        _refused(engine, update(TimesheetRow).where(TimesheetRow.id == sheet).values(id="new"))
    with engine.connect() as conn:
        assert conn.execute(select(SHEETS.sheet_id).where(SHEETS.sheet_id == empty)).scalar_one()


def test_sheet_keys_are_immutable_but_a_retention_run_removes_them(
    engine: Engine, town: Municipality
) -> None:
    paid = _pay_a_sheet_whole(town, engine)
    _refused(engine, delete(SHEETS), error=DBAPIError)
    _refused(engine, update(SHEETS).values(batch_id="another"), error=DBAPIError)
    _refused(
        engine,
        update(SHEETS).values(batch_id="another"),
        first=insert(RetentionUnlock).values(run_id="run"),
        error=DBAPIError,
    )
    with engine.begin() as conn:
        conn.execute(insert(RetentionUnlock), {"run_id": "run"})
        conn.execute(delete(SHEETS))
        conn.execute(delete(RetentionUnlock))
        # With its key gone, the sheet's entries may go (as a retention run does).
        conn.execute(delete(LINKS).where(LINKS.timesheet_id == paid.sheet))
    with engine.connect() as conn:
        assert conn.execute(select(SHEETS.sheet_id)).all() == []


# --- the upgrade from 0010, and back ----------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with empty_postgres_database("t_timeliste_sheets") as url:
        yield url


def test_the_upgrade_keeps_entry_keys_and_splits_their_sheets(empty_url: str) -> None:
    """Batches made before 0011 paid by entry keys: after the upgrade they
    stay valid and checked, their sheets count as split (never paid whole),
    entries on several sheets split theirs, and a new batch pays a sheet of
    its own entries whole."""
    upgrade(empty_url, "0010")
    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as session:
            town = Municipality(session)
            kari = town.contact("1001")
            own = town.decision(town.recipient("2025/123"), [kari])
            groups = [
                town.decision(town.recipient(f"2025/G{n}"), [kari], group_id="G-1") for n in (1, 2)
            ]
            paid = town.entry(kari, [own], date(2026, 3, 2))
            (paid_sheet,) = town.sheets_of(paid)
            town.approve_entry(paid)
            first = old_batch(engine, [paid], number=1)
            later = town.entry(kari, [own], date(2026, 4, 6))
            session_entry = town.entry(kari, groups, date(2026, 4, 7))
            for entry in (later, session_entry):
                town.approve_entry(entry)
            (later_sheet,) = town.sheets_of(later)
            group_sheets = town.sheets_of(session_entry)
        upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(select(KEYS.entry_id, KEYS.batch_id)).all() == [(paid, first)]
            split = set(conn.execute(select(PayrollSplitSheet.sheet_id)).scalars())
        assert split == {paid_sheet, *group_sheets}
        _refused(engine, insert(SHEETS), {"sheet_id": paid_sheet, "batch_id": first})
        _refused(engine, insert(KEYS), {"entry_id": paid, "batch_id": first})
        with make_sessionmaker(engine)() as session:
            second = service.make_batch(session, actor=None).id
        with make_sessionmaker(engine)() as session:
            assert session.scalars(select(SHEETS.sheet_id)).all() == [later_sheet]
            assert service.batch_entry_ids(session, first) == {paid}
            assert service.batch_entry_ids(session, second) == {later, session_entry}
            (old_sheet,) = service._archive_sheets(session, first)
            assert [e.in_batch for e in old_sheet.entries] == [True]
    finally:
        engine.dispose()


def test_a_downgrade_turns_sheet_keys_into_entry_keys(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as session:
            paid = _pay_a_sheet_whole(Municipality(session), engine)
        engine.dispose()
        command.downgrade(alembic_config(empty_url), "0010")
        with engine.connect() as conn:
            keys = conn.execute(select(KEYS.entry_id, KEYS.batch_id)).all()
        assert sorted(keys) == sorted((entry, paid.batch) for entry in paid.entries)
    finally:
        engine.dispose()


# --- PostgreSQL: a batch being made and a change to the sheet it pays --------------------


def _racing(
    pg_engine: Engine, change: list[Executable], key: dict[str, str]
) -> BaseException | None:
    """Write a batch and a sheet key, and while they are not committed run
    `change` in another transaction: it must wait for the batch's lock.
    Returns what the change raised."""
    outcome: list[BaseException | None] = []

    def run(pid_box: list[int]) -> None:
        with pg_engine.connect() as conn:
            pid_box.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            conn.commit()
            try:
                with conn.begin():
                    for statement in change:
                        conn.execute(statement)
                outcome.append(None)
            except IntegrityError as error:
                outcome.append(error)

    with make_sessionmaker(pg_engine)() as db, pg_engine.connect() as watch:
        watch.execution_options(isolation_level="AUTOCOMMIT")
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": service.BATCH_LOCK})
        db.add(
            PayrollBatchRow(
                id="b1", number=1, entry_count=1, total_amount=Decimal(0), totals={}, period=None
            )
        )
        db.flush()
        db.execute(insert(SHEETS), {**key, "batch_id": "b1"})
        pid: list[int] = []
        changer = threading.Thread(target=run, args=(pid,))
        changer.start()
        while not pid:
            time.sleep(0.01)
        _waits_for_lock(watch, pid[0])
        db.commit()
        changer.join(timeout=30)
    assert not changer.is_alive()
    assert len(outcome) == 1
    return outcome[0]


@pytest.mark.postgres
def test_a_link_changed_while_a_batch_pays_its_sheet_whole_is_refused(pg_engine: Engine) -> None:
    """The batch has written its sheet key but not committed; taking an entry
    off the sheet, putting one on it, or deleting one of its entries on the
    phone waits for the batch's lock and then sees the key."""
    with make_sessionmaker(pg_engine)() as session:
        town = Municipality(session)
        kari = town.contact("1001")
        vedtak = town.decision(town.recipient("2025/123"), [kari])
        entry = town.entry(kari, [vedtak], date(2026, 3, 2))
        town.approve_entry(entry)
        (sheet,) = town.sheets_of(entry)
        loose = town.entry(kari, [], date(2026, 3, 3))
    changes: list[list[Executable]] = [
        [delete(LINKS).where(LINKS.entry_id == entry)],
        [insert(LINKS).values(timesheet_id=sheet, entry_id=loose)],
        [update(EntryRow).where(EntryRow.id == entry).values(deleted=True)],
    ]
    for number, change in enumerate(changes):
        if number:
            _truncate_keys(pg_engine)
        assert isinstance(_racing(pg_engine, change, {"sheet_id": sheet}), IntegrityError)
    with pg_engine.connect() as conn:
        assert conn.execute(select(LINKS.entry_id)).scalars().all() == [entry]
        assert conn.execute(select(EntryRow.deleted).where(EntryRow.id == entry)).scalar_one() is (
            False
        )


def _truncate_keys(engine: Engine) -> None:
    """Start the race again: TRUNCATE fires no row trigger (a test's own reset)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE payroll_batch_sheets, payroll_batches CASCADE"))
