"""A push takes its vedtak locks in one id order, even when an entry moved meanwhile.

PostgreSQL only (SQLite's writers hold the whole database's write lock). The
race is set up step by step with two other connections, so it happens every
time: the push reads an entry on vedtak H, and waits for H's lock; meanwhile
the entry is moved to vedtak L (L sorts before H) and that commits; another
writer holds L and then asks for H. Locking L after H would be against the
order every writer keeps, and the two would wait on each other until
PostgreSQL broke the deadlock. The push must let H go and take L, H in order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, create_engine, select, text, update

from server.config import Settings
from server.tables import DecisionRow, EntryRow
from tests.factories import contact_payload, decision_payload, entry_payload
from tests.server.conftest import PASSWORD, _truncate_postgres, add_user, make_settings, serve

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(postgres_database: str, tmp_path: Path) -> Settings:
    _truncate_postgres(postgres_database)
    return make_settings(postgres_database, tmp_path)


@pytest.fixture
def pg_live_url(pg_settings: Settings) -> Iterator[str]:
    with serve(pg_settings) as url:
        yield url


def _login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _lock_row(conn: Connection, decision_id: str) -> None:
    table = DecisionRow.__table__
    conn.execute(select(table.c.id).where(table.c.id == decision_id).with_for_update())


def _waiting_on(conn: Connection, holder: Connection, timeout: float = 20.0) -> int:
    """The pid of the push's backend once it waits for a lock `holder` holds."""
    holder_pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE :holder = ANY(pg_blocking_pids(pid)) AND pid <> pg_backend_pid()"
            ),
            {"holder": holder_pid},
        ).scalar()
        if pid is not None:
            return int(pid)
        time.sleep(0.02)
    raise AssertionError("the push never waited for the lock")


def test_push_takes_decision_locks_in_one_order_when_an_entry_moved(
    pg_live_url: str, pg_settings: Settings
) -> None:
    add_user(pg_settings, "coordinator", "coordinator")  # type: ignore[arg-type]
    with httpx.Client(base_url=pg_live_url, timeout=60) as office:
        coordinator = _login(office, "coordinator", PASSWORD)
        recipient = office.post(
            "/api/v1/recipients",
            json={"name": "Kari Nordmann", "case_no": "2026/LOCK"},
            headers=coordinator,
        ).json()
        body = contact_payload()
        contact = office.post("/api/v1/contacts", json=body, headers=coordinator).json()
        ids = sorted(
            office.post(
                "/api/v1/decisions",
                json=decision_payload(recipient_id=recipient["id"], contact_ids=[contact["id"]]),
                headers=coordinator,
            ).json()["id"]
            for _ in range(2)
        )
    low, high = ids
    client = httpx.Client(base_url=pg_live_url, timeout=60)
    headers = _login(client, body["username"], body["password"])
    entry = entry_payload(decision_ids=[high])
    first = client.post(
        "/api/v1/sync/push",
        json={
            "device_id": "phone",
            "mutations": [{"mutation_id": 1, "type": "entry.upsert", "data": entry}],
        },
        headers=headers,
    ).json()
    assert first["results"][0]["status"] == "applied"

    engine = create_engine(pg_settings.database_url)
    answer: dict[str, Any] = {}

    def delete_entry() -> None:
        response = client.post(
            "/api/v1/sync/push",
            json={
                "device_id": "phone",
                "mutations": [
                    {"mutation_id": 2, "type": "entry.delete", "data": {"id": entry["id"]}}
                ],
            },
            headers=headers,
        )
        answer.update(response.json())

    try:
        with engine.connect() as mover, engine.connect() as other, engine.connect() as watch:
            watch.execution_options(isolation_level="AUTOCOMMIT")
            # The mover holds H and moves the entry to L, not yet committed.
            _lock_row(mover, high)
            mover.execute(
                update(EntryRow.__table__)
                .where(EntryRow.__table__.c.id == entry["id"])
                .values(decision_ids=[low])
            )
            push = threading.Thread(target=delete_entry)
            push.start()
            _waiting_on(watch, mover)  # the push read the entry on H, waits for H
            _lock_row(other, low)
            mover.commit()
            # The push now sees the entry on L, which `other` holds, and waits
            # for it (holding H, or not: the point of the test).
            _waiting_on(watch, other)
            # `other` asks for H, and checks for a deadlock at once: in the
            # wrong order the push holds H while waiting for L.
            other.exec_driver_sql("SET deadlock_timeout = '10ms'")
            other.exec_driver_sql("SET lock_timeout = '10s'")
            _lock_row(other, high)  # raises DeadlockDetected in the wrong order
            other.commit()
            push.join(timeout=30)
            assert not push.is_alive()
    finally:
        engine.dispose()
        client.close()
    assert answer["results"][0]["status"] == "applied"
