"""`timeliste retention` on SQLite and PostgreSQL (docs/rules.md §12).

A town with five-year-old pay periods (paid, rejected, and one still waiting),
a running vedtak and a recent period: a dry run changes nothing, a run with
apply deletes exactly the settled old periods, and afterwards no table but the
audit log holds any id of what was deleted, and no table at all holds a
deleted recipient's name or case number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from models.payroll import KmRate, PaySettings
from models.retention import is_due, keep_from
from server.all_tables import metadata
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.payroll import service as payroll
from server.payroll.tables import (
    PayrollBatchEntry,
    PayrollBatchSheet,
    PayrollLineRow,
    PaySettingsRow,
)
from server.services.retention import report_lines, run_retention
from server.tables import (
    AuditEvent,
    DecisionRow,
    EntryRow,
    FlagRow,
    SignatureRow,
    TimesheetRow,
    Tombstone,
)
from tests.server.payroll.conftest import Municipality, uid

TODAY = date(2026, 12, 5)  # keeps pay periods that ended on or after 05.12.2021


@dataclass
class Town:
    """The ids the test checks, by what should happen to them."""

    gone: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)
    gone_text: set[str] = field(default_factory=set)  # names and case numbers that must go
    kept_text: set[str] = field(default_factory=set)
    recent: str = ""
    recent_sheets: list[str] = field(default_factory=list)


def _build(db: Session) -> Town:
    town = Municipality(db)
    t = Town()
    kari = town.contact("1001")
    old = town.recipient("2019/1", name="Gamle Gunnar")
    mixed = town.recipient("2019/2", name="Blandet Berit")
    g1 = town.recipient("2019/3", name="Gruppe Gro")
    g2 = town.recipient("2019/4", name="Gruppe Geir")
    d_old = town.decision(old, [kari])
    d_mixed = town.decision(mixed, [kari])
    gd1 = town.decision(g1, [kari], group_id="G-9")
    gd2 = town.decision(g2, [kari], group_id="G-9")
    for decision_id in (d_old, d_mixed, gd1, gd2):
        db.execute(update_terms(decision_id, valid_from=date(2020, 1, 1)))
    db.execute(update_terms(d_old, valid_to=date(2020, 12, 31)))
    for decision_id in (gd1, gd2):
        db.execute(update_terms(decision_id, valid_to=date(2020, 6, 30)))
    # Km rates of the time, so that the old period pays its km on two lines.
    db.add(
        PaySettingsRow(
            id=1,
            data=PaySettings(
                km_rates=[KmRate(valid_from=date(2019, 1, 1), rate=Decimal("4.03"))],
                km_tax_free_rates=[KmRate(valid_from=date(2019, 1, 1), rate=Decimal("3.50"))],
            ).model_dump(mode="json"),
        )
    )
    db.commit()

    paid_old = town.entry(kari, [d_old], date(2020, 3, 2), km="10.0")
    group = town.entry(kari, [gd1, gd2], date(2020, 3, 12), minutes=60)
    recent = town.entry(kari, [d_mixed], date(2026, 11, 3))
    for entry_id in (paid_old, group, recent):
        town.approve_entry(entry_id)
    batch = payroll.make_batch(db, actor=None)
    # Approved after the batch: settled by nobody yet, so kept although it is old.
    waiting = town.entry(kari, [d_mixed], date(2020, 3, 10))
    town.approve_entry(waiting)
    rejected = town.entry(kari, [d_old], date(2020, 4, 6))
    (rejected_sheet,) = town.sheets_of(rejected)
    town.sign(rejected_sheet)
    db.execute(
        update(SignatureRow).where(SignatureRow.timesheet_id == rejected_sheet).values(void=True)
    )
    db.execute(
        update(TimesheetRow)
        .where(TimesheetRow.id == rejected_sheet)
        .values(status="rejected", signature_id=None, reject_reason="Feil person")
    )
    tombstoned = EntryRow(
        id=uid(),
        contact_id=kari,
        decision_ids=[d_old],
        date=date(2020, 3, 20),
        start="10:00",
        end="11:00",
        minutes=60,
        total_km=Decimal(0),
        total_expenses=Decimal(0),
        deleted=True,
    )
    db.add(tombstoned)
    old_flag = FlagRow(
        id=uid(),
        kind="overuse",
        scope=f"overuse:{d_old}:2020-03",
        status="resolved",
        decision_id=d_old,
        contact_id=kari,
        period="2020-03",
        entry_ids=[paid_old],
        detail="Gamle Gunnar: 2 t over i mars 2020",
    )
    new_flag = FlagRow(
        id=uid(),
        kind="overlap",
        scope=f"overlap:{recent}",
        status="open",
        contact_id=kari,
        entry_ids=[recent],
        detail="Overlapp",
    )
    # A flag about the contact's own entries, on no vedtak: only the period run finds it.
    overlap = FlagRow(
        id=uid(),
        kind="overlap",
        scope=f"overlap:{paid_old}:{rejected}",
        status="resolved",
        contact_id=kari,
        entry_ids=[paid_old, rejected],
        detail="Overlapp 02.03.2020",
    )
    db.add_all([old_flag, new_flag, overlap])
    db.add(Tombstone(seq=1, contact_id=kari, kind="timesheet", object_id=rejected_sheet))
    db.commit()

    sheets = {e: town.sheets_of(e) for e in (paid_old, group, recent, waiting, rejected)}
    signatures = {
        sheet: list(db.scalars(select(SignatureRow.id).where(SignatureRow.timesheet_id == sheet)))
        for ids in sheets.values()
        for sheet in ids
    }
    db.commit()
    for entry_id in (paid_old, group, rejected, tombstoned.id):
        t.gone.add(entry_id)
        for sheet in sheets.get(entry_id, []):
            t.gone |= {sheet, *signatures[sheet]}
    t.gone |= {old_flag.id, overlap.id, d_old, gd1, gd2, old, g1, g2}
    t.gone_text |= {
        "2019/1",
        "2019/3",
        "2019/4",
        "G-9",
        "Gamle Gunnar",
        "Gruppe Gro",
        "Gruppe Geir",
    }
    for entry_id in (recent, waiting):
        t.kept.add(entry_id)
        for sheet in sheets[entry_id]:
            t.kept |= {sheet, *signatures[sheet]}
    t.kept |= {new_flag.id, d_mixed, mixed, kari, batch.id}
    t.kept_text |= {"2019/2", "Blandet Berit"}
    t.recent, t.recent_sheets = recent, sheets[recent]
    return t


def update_terms(decision_id: str, **values: date) -> Any:
    return update(DecisionRow).where(DecisionRow.id == decision_id).values(**values)


def _dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table as text (JSON columns as JSON)."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = [
                json.dumps(
                    [str(v) if not isinstance(v, list | dict) else v for v in row],
                    default=str,
                    ensure_ascii=False,
                )
                for row in rows
            ]
    return out


@pytest.fixture
def town(settings: Settings) -> Iterator[tuple[Engine, Town]]:
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        built = _build(db)
    yield engine, built
    engine.dispose()


def _run(engine: Engine, *, apply: bool) -> Any:
    with make_sessionmaker(engine)() as db:
        return run_retention(db, today=TODAY, years=5, cutoff_day=None, apply=apply)


def test_a_dry_run_lists_the_settled_old_periods_and_changes_nothing(
    town: tuple[Engine, Town],
) -> None:
    engine, _t = town
    before = _dump(engine)
    report = _run(engine, apply=False)
    after = _dump(engine)
    assert {k: v for k, v in before.items() if k != "audit_events"} == {
        k: v for k, v in after.items() if k != "audit_events"
    }
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1
    assert [plan.period for plan in report.periods] == ["2020-03", "2020-04"]
    march = report.periods[0].counts()
    assert march == {
        "timesheets_exported": 3,
        "timesheets_rejected": 0,
        "timesheets_kept": 1,
        "entries": 3,  # paid, group, and the one deleted on the phone
        "signatures": 3,
        "flags": 2,
        "payroll_lines_anonymised": 4,  # hours + two km lines of 2019/1, hours of G-9
    }
    assert report.periods[1].counts()["timesheets_rejected"] == 1
    assert len(report.decisions) == 3
    assert len(report.recipients) == 3
    text = "\n".join(report_lines(report, 5))
    assert "Prøvekjøring: ingenting er slettet" in text
    assert "05.12.2021" in text
    assert "2020-03: 3 timelister (3 utbetalt, 0 avvist)" in text
    assert "1 timelister beholdes" in text
    assert "2019/1" not in text
    assert "Gunnar" not in text


def test_apply_deletes_the_settled_old_periods_and_no_table_keeps_their_ids(
    town: tuple[Engine, Town],
) -> None:
    engine, t = town
    # The walk below means something only if the town held all of it before.
    before = "\n".join(row for rows in _dump(engine).values() for row in rows)
    assert all(word in before for word in t.gone | t.gone_text | t.kept | t.kept_text)
    # 4 entries, 4 sheets, their 4 signatures, 2 flags, 3 vedtak, 3 recipients.
    assert len(t.gone) == 20
    with engine.connect() as conn:
        lines_before = conn.execute(
            select(PayrollLineRow.line_no, PayrollLineRow.amount).order_by(PayrollLineRow.line_no)
        ).all()
    report = _run(engine, apply=True)
    assert report.applied
    assert [plan.period for plan in report.periods] == ["2020-03", "2020-04"]

    dump = _dump(engine)
    for table, rows in dump.items():
        text = "\n".join(rows)
        for word in t.gone_text:
            assert word not in text, (table, word)
        if table == "audit_events":
            continue  # keeps the event: who did what to which id, and when
        for gone in t.gone:
            assert gone not in text, (table, gone)
    everything = "\n".join(row for rows in dump.values() for row in rows)
    for kept in t.kept | t.kept_text:
        assert kept in everything, kept

    # Batches keep their lines, amounts and all; the old ones without a case number.
    with engine.connect() as conn:
        lines = conn.execute(
            select(
                PayrollLineRow.line_no,
                PayrollLineRow.amount,
                PayrollLineRow.period,
                PayrollLineRow.case_no,
                PayrollLineRow.dimensions,
            ).order_by(PayrollLineRow.line_no)
        ).all()
        # The recent entry's sheet was paid whole and stays; the old ones went
        # with their keys: the group entry's own, the old sheet's key.
        links = conn.execute(select(func.count()).select_from(PayrollBatchEntry)).scalar_one()
        paid = [entry for entry, _batch in conn.execute(payroll.paid_entries())]
        sheet_keys = conn.execute(select(PayrollBatchSheet.sheet_id)).scalars().all()
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.detail).where(
                AuditEvent.action == "retention_delete"
            )
        ).all()
    assert [(n, a) for n, a, *_ in lines] == [tuple(row) for row in lines_before]
    assert {(p, c) for _n, _a, p, c, _d in lines} == {("2020-03", ""), ("2026-11", "2019/2")}
    assert all(d[5] == "" for _n, _a, p, _c, d in lines if p == "2020-03")
    assert links == 0
    assert paid == [t.recent]
    assert sheet_keys == t.recent_sheets
    assert [(a, o) for a, o, _d in events] == [
        ("retention_delete", "2020-03"),
        ("retention_delete", "2020-04"),
        ("retention_delete", None),
    ]
    assert events[0][2]["entries"] == 3

    # Done once: the next run finds nothing, and the export of the batch still works.
    assert _run(engine, apply=True).periods == []
    with make_sessionmaker(engine)() as db:
        (batch_id,) = db.scalars(select(PayrollLineRow.batch_id).distinct()).all()
        for fmt in payroll.ExportFormat:
            assert payroll.export_batch(db, actor=None, batch_id=batch_id, fmt=fmt).content


def test_outside_a_run_the_database_still_refuses_to_change_a_batch(
    town: tuple[Engine, Town],
) -> None:
    engine, _t = town
    _run(engine, apply=True)
    for statement in (
        update(PayrollLineRow).values(case_no=""),
        delete(PayrollBatchSheet),
        delete(PayrollLineRow),
    ):
        with engine.connect() as conn, pytest.raises((DBAPIError, IntegrityError)):
            conn.execute(statement)


def test_a_run_never_changes_an_amount_even_inside_its_unlock(
    town: tuple[Engine, Town],
) -> None:
    from sqlalchemy import insert

    from server.payroll.tables import RetentionUnlock

    engine, _t = town
    with engine.connect() as conn:
        conn.execute(insert(RetentionUnlock), {"run_id": "test"})
        with pytest.raises((DBAPIError, IntegrityError)):
            conn.execute(update(PayrollLineRow).values(amount=Decimal("1.00")))
        conn.rollback()
    with engine.connect() as conn:
        conn.execute(insert(RetentionUnlock), {"run_id": "test"})
        with pytest.raises((DBAPIError, IntegrityError)):
            conn.execute(delete(PayrollLineRow))
        conn.rollback()


def test_due_means_ended_more_than_the_years_ago() -> None:
    assert keep_from(TODAY) == date(2021, 12, 5)
    assert is_due("2021-11", today=TODAY)
    assert not is_due("2021-12", today=TODAY)
    assert not is_due("2021-11", today=date(2026, 11, 30))
    # With a cut-off on the 20th, "2021-12" ends on 20.12.2021.
    assert is_due("2021-12", today=date(2026, 12, 21), cutoff_day=20)
    assert not is_due("2021-12", today=date(2026, 12, 20), cutoff_day=20)
    assert keep_from(date(2028, 2, 29)) == date(2023, 2, 28)


def test_the_command_lists_by_default_and_deletes_with_apply(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'timeliste.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        town = Municipality(db)
        kari = town.contact("1001")
        decision = town.decision(town.recipient("2019/7", name="Kommando Kari"), [kari])
        entry = town.entry(kari, [decision], date(2020, 3, 2))
        town.approve_entry(entry)
        payroll.make_batch(db, actor=None, now=datetime(2020, 4, 1, tzinfo=UTC))
    env = {**os.environ, "TIMELISTE_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("TIMELISTE_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "timeliste", "retention", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    listed = run()
    assert listed.returncode == 0, listed.stderr
    assert "Prøvekjøring" in listed.stdout
    assert "2020-03: 1 timelister (1 utbetalt, 0 avvist)" in listed.stdout
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EntryRow)).scalar_one() == 1
    applied = run("--apply")
    assert applied.returncode == 0, applied.stderr
    assert "Slettet." in applied.stdout
    assert "Kommando" not in applied.stdout + applied.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EntryRow)).scalar_one() == 0
    engine.dispose()
