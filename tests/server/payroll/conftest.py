"""A small municipality built straight in the database, for the payroll tests.

Payroll reads what the core wrote (contacts, decisions, entries, timesheets);
building those rows directly keeps these tests about payroll's own rules.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from models.payperiod import pay_period_of
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.tables import (
    ContactRow,
    DecisionContact,
    DecisionRow,
    EntryRow,
    RecipientRow,
    SignatureRow,
    TimesheetEntry,
    TimesheetRow,
)
from tests.server.conftest import _truncate_postgres, make_settings

_ids = itertools.count(1)


def uid() -> str:
    return str(uuid.UUID(int=next(_ids) + 7 * 10**9))


class Municipality:
    """Builders for the rows payroll reads; each commits at once."""

    def __init__(self, session: Session) -> None:
        self.db = session

    def contact(self, employee_no: str, rate: str | None = "250.00", **kw: Any) -> str:
        row = ContactRow(
            id=uid(),
            name=kw.get("name", f"Kontakt {employee_no}"),
            employee_no=employee_no,
            contract_type=kw.get("contract_type", "contractor"),
            politiattest_date=date(2024, 5, 1),
            hourly_rate=Decimal(rate) if rate is not None else None,
        )
        self.db.add(row)
        self.db.commit()
        return row.id

    def recipient(self, case_no: str, name: str = "Ola Nordmann") -> str:
        row = RecipientRow(id=uid(), name=name, case_no=case_no, guardians=[])
        self.db.add(row)
        self.db.commit()
        return row.id

    def decision(
        self, recipient_id: str, contact_ids: Sequence[str], group_id: str | None = None
    ) -> str:
        row = DecisionRow(
            id=uid(),
            recipient_id=recipient_id,
            kind="group" if group_id else "individual",
            hours=Decimal(40),
            per="month",
            valid_from=date(2025, 1, 1),
            valid_to=date(2027, 12, 31),
            group_id=group_id,
        )
        self.db.add(row)
        self.db.flush()
        for contact_id in contact_ids:
            self.db.add(DecisionContact(decision_id=row.id, contact_id=contact_id))
        self.db.commit()
        return row.id

    def entry(
        self,
        contact_id: str,
        decision_ids: Sequence[str],
        day: date,
        minutes: int = 120,
        km: str = "0",
        expenses: str = "0",
        note: str | None = "Kino med Ola, han likte filmen",
        passengers: int = 0,
    ) -> str:
        start_minutes = 10 * 60
        end = start_minutes + minutes
        row = EntryRow(
            id=uid(),
            contact_id=contact_id,
            decision_ids=list(decision_ids),
            date=day,
            start="10:00",
            end=f"{end // 60 % 24:02d}:{end % 60:02d}",
            minutes=minutes,
            total_km=Decimal(km),
            total_expenses=Decimal(expenses),
            activities=["Kino", "Svømming"],
            note=note,
            trips=[
                {"km": km, "from": "Hjemme", "to": "Kino", "purpose": "", "passengers": passengers}
            ]
            if km != "0"
            else [],
            expenses=[{"amount": expenses, "category": "Billett", "description": ""}]
            if expenses != "0"
            else [],
        )
        self.db.add(row)
        self.db.flush()
        for decision_id in decision_ids:
            sheet = self.sheet(contact_id, decision_id, pay_period_of(day))
            self.db.add(TimesheetEntry(timesheet_id=sheet, entry_id=row.id))
        self.db.commit()
        return row.id

    def sheet(self, contact_id: str, decision_id: str, period: str) -> str:
        found = (
            self.db.query(TimesheetRow)
            .filter_by(contact_id=contact_id, decision_id=decision_id, period=period)
            .one_or_none()
        )
        if found is not None:
            return found.id
        row = TimesheetRow(
            id=uid(),
            contact_id=contact_id,
            decision_id=decision_id,
            period=period,
            status="open",
            content_hash="0" * 64,
            total_km=Decimal(0),
            total_expenses=Decimal(0),
        )
        self.db.add(row)
        self.db.flush()
        return row.id

    def sign(self, sheet_id: str) -> None:
        signature = SignatureRow(
            id=uid(),
            timesheet_id=sheet_id,
            content_hash="0" * 64,
            signer_name="Ola Nordmann",
            signer_role="recipient",
            strokes=[[{"x": 1.0, "y": 1.0}, {"x": 30.0, "y": 12.0}, {"x": 60.0, "y": 3.0}]],
            signed_at=datetime(2026, 1, 30, 18, 0, tzinfo=UTC),
            device_id="phone-1",
        )
        self.db.add(signature)
        self.db.execute(
            update(TimesheetRow)
            .where(TimesheetRow.id == sheet_id)
            .values(status="signed", signature_id=signature.id)
        )
        self.db.commit()

    def approve(self, sheet_id: str, override: str | None = None) -> None:
        self.db.execute(
            update(TimesheetRow)
            .where(TimesheetRow.id == sheet_id)
            .values(
                status="approved",
                approved_at=datetime(2026, 2, 2, 8, 0, tzinfo=UTC),
                override_reason=override,
            )
        )
        self.db.commit()

    def sheets_of(self, entry_id: str) -> list[str]:
        found = [
            row.timesheet_id
            for row in self.db.query(TimesheetEntry).filter_by(entry_id=entry_id).all()
        ]
        self.db.commit()  # end the read: on SQLite every transaction holds the write lock
        return found

    def approve_entry(self, entry_id: str) -> None:
        for sheet in self.sheets_of(entry_id):
            self.sign(sheet)
            self.approve(sheet)

    def status(self, sheet_id: str) -> str:
        self.db.expire_all()
        row = self.db.get(TimesheetRow, sheet_id)
        assert row is not None
        self.db.commit()
        return row.status


@pytest.fixture
def town(settings: Settings) -> Iterator[Municipality]:
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        yield Municipality(session)
    engine.dispose()


@pytest.fixture
def payroll(client: TestClient, office: dict[str, dict[str, str]]) -> dict[str, str]:
    return office["payroll"]


@pytest.fixture
def pg_engine(postgres_database: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on the session's PostgreSQL database, emptied first (the race tests)."""
    _truncate_postgres(postgres_database)
    engine = make_engine(make_settings(postgres_database, tmp_path).sqlalchemy_url)
    yield engine
    engine.dispose()
