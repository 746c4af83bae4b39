"""`insert_rows` stores exactly what an `executemany` of the table's `insert()` stores.

On PostgreSQL it sends one binary array per column (`INSERT ... SELECT FROM
unnest`); every kind of column a push writes is checked there against the
ordinary path: JSON (lists, objects, None as JSON null), exact decimals,
instants in another zone, dates, booleans, text with quotes, braces,
backslashes and letters outside ASCII, and columns that are None in every row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select

from server.db import insert_rows, make_engine
from server.tables import AuditEvent, ContactRow, DeviceMutation, EntryRow, User

_ENTRIES: Table = EntryRow.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
_RECEIPTS: Table = DeviceMutation.__table__  # type: ignore[assignment]
NOW = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)
NOTE = "Notat, med {klammer}, \"sitat\", 'apostrof', \\ og æøå, NULL"


def _entry(n: int, *, empty: bool) -> dict[str, Any]:
    return {
        "id": f"entry-{n}",
        "contact_id": "contact-1",
        "decision_ids": ["d1", "d2"] if n % 2 else [],
        "date": date(2026, 3, 1) + timedelta(days=n),
        "start": "23:00",
        "end": "01:15",
        "minutes": 135,
        "total_km": Decimal("12.5") * n,
        "total_expenses": Decimal("45.10") + n,
        "activities": ["tur", 'kafé "x"'] if n % 3 else [],
        "note": None if empty or n % 2 else NOTE,
        "trips": [{"km": "1.5", "from": "{A}", "to": "B,C", "purpose": None}],
        "expenses": [],
        "deleted": n % 3 == 0,
        "device_id": None if empty else f"phone-{n}",
        "created_at": NOW,
        "updated_at": NOW.astimezone(timezone(timedelta(hours=2))) + timedelta(minutes=n),
        "seq": n,
    }


def _audit(n: int) -> dict[str, Any]:
    return {
        "at": NOW + timedelta(seconds=n),
        "user_id": None if n % 2 else "user-1",
        "role": "contact",
        "action": "create",
        "object_type": "entry",
        "object_id": f"entry-{n}",
        "detail": {"device_id": f"phone-{n}", "n": n, "nested": {"x": [1, None]}},
    }


def _receipt(n: int, *, empty: bool) -> dict[str, Any]:
    errors = None if empty or n % 2 else [{"field": "date", "message": "Å nei", "code": None}]
    return {
        "user_id": "user-1",
        "device_id": "phone",
        "mutation_id": n * 1_000_000_007,
        "type": "entry.upsert",
        "status": "rejected" if errors else "applied",
        "errors": errors,
        "created_at": NOW,
    }


def _stored(connection: Any, table: Table, key: str) -> dict[Any, tuple[Any, ...]]:
    rows = connection.execute(select(table)).mappings()
    return {
        row[key]: tuple(value for name, value in row.items() if name != "id" or key == "id")
        for row in rows
    }


def test_insert_rows_stores_what_executemany_stores(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(ContactRow),
                [
                    {
                        "id": "contact-1",
                        "name": "Ola",
                        "employee_no": "1",
                        "contract_type": "contractor",
                    }
                ],
            )
            connection.execute(
                insert(User),
                [
                    {
                        "id": "user-1",
                        "username": "ola",
                        "password_hash": "x",
                        "role": "contact",
                        "contact_id": "contact-1",
                    }
                ],
            )
        expected: dict[str, dict[Any, tuple[Any, ...]]] = {}
        got: dict[str, dict[Any, tuple[Any, ...]]] = {}
        for way, target in (("executemany", expected), ("insert_rows", got)):
            with engine.connect() as connection:
                for empty in (False, True):
                    entries = [_entry(n, empty=empty) for n in range(1, 8)]
                    receipts = [_receipt(n, empty=empty) for n in range(1, 8)]
                    if empty:
                        entries = [{**e, "id": e["id"] + "-empty"} for e in entries]
                        receipts = [{**r, "device_id": "phone-2"} for r in receipts]
                    audit = [_audit(n + (10 if empty else 0)) for n in range(1, 8)]
                    written = ((_ENTRIES, entries), (_AUDIT, audit), (_RECEIPTS, receipts))
                    for table, rows in written:
                        if way == "executemany":
                            connection.execute(table.insert(), rows)
                        else:
                            insert_rows(connection, table, rows)
                target["entries"] = _stored(connection, _ENTRIES, "id")
                target["audit"] = _stored(connection, _AUDIT, "object_id")
                target["receipts"] = {
                    (row.device_id, row.mutation_id): tuple(row)
                    for row in connection.execute(select(_RECEIPTS))
                }
                # audit_events is append-only (a trigger): each way's rows go
                # with its transaction.
                connection.rollback()
        assert len(expected["entries"]) == 14
        assert len(expected["audit"]) == 14
        assert len(expected["receipts"]) == 14
        assert got == expected
    finally:
        engine.dispose()
