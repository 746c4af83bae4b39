"""A push to a sheet and that sheet's approval at the same moment (PostgreSQL).

A batch pays a sheet whole by one key: the entries the sheet lists when the
batch is made (migration 0011). Were an approval able to commit between a
push's new link and the push's commit, a batch could pay the sheet without
the new entry, which would then look paid. What rules that out is the lock
order: a push locks every decision it touches before it writes
(services.batch._lock), and approval locks the sheet's decision before it
reads the sheet again (services.timesheets._locked_row); a sheet belongs to
one decision. Here a real push is held right after its first statement, the
one that takes those locks, while the coordinator approves: the approval must
wait, then approve the sheet with the push's entry on it, and the batch must
pay that entry. (With the decision's lock taken out of approval, this test
fails: the approval commits first and the push's entry is refused because its
sheet is approved. Safe, but not what the contact should meet; held at its
commit instead, the push also holds rows an approval writes, so that variant
of the test would pass without the decision's lock.)
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from models.schemas import Role
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.payroll.service import batch_entry_ids
from server.schemas import Mutation, PushRequest
from server.services import sync
from server.services.common import Actor
from server.tables import TimesheetEntry, TimesheetRow, User
from tests.factories import entry_payload, recent_day
from tests.server.conftest import World


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_approval_waits_for_a_push_to_its_sheet_and_the_batch_pays_the_entry(
    world: World, settings: Settings
) -> None:
    first = world.upsert(date=recent_day(0).isoformat(), start="08:00", end="09:00")
    assert first["status"] == "applied"
    engine = make_engine(settings.sqlalchemy_url)
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        sheet_id = db.scalars(
            select(TimesheetRow.id).where(TimesheetRow.decision_id == world.decision_id)
        ).one()
        user_id = db.scalars(select(User.id).where(User.contact_id == world.contact_id)).one()
    contact = Actor(user_id=user_id, role=Role.contact, contact_id=world.contact_id)
    second = entry_payload(
        decision_ids=[world.decision_id],
        date=recent_day(1).isoformat(),
        start="08:00",
        end="09:00",
    )

    locked, release = threading.Event(), threading.Event()
    answers: dict[str, Any] = {}

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The push's first statement that locks rows: it now holds the
        # decision's lock and has written nothing yet. Wait here, once.
        if "FOR UPDATE" in statement and not locked.is_set():
            locked.set()
            release.wait(60)

    event.listen(engine, "after_cursor_execute", hold)

    def push() -> None:
        with sessions() as db:
            answers["push"] = sync.push(
                db,
                settings=settings,
                actor=contact,
                request=PushRequest(
                    device_id="race",
                    mutations=[Mutation(mutation_id=1, type="entry.upsert", data=second)],
                ),
            )

    def approve() -> None:
        answers["approve"] = world.client.post(
            f"/api/v1/timesheets/{sheet_id}/approve",
            json={"override_reason": "Kontrollert med kontaktpersonen."},
            headers=world.coordinator,
        )

    pusher = threading.Thread(target=push)
    approver = threading.Thread(target=approve)
    try:
        pusher.start()
        assert locked.wait(60), "the push never took its locks"
        approver.start()
        approver.join(2)
        # The push holds the decision's lock: the approval cannot have finished.
        assert approver.is_alive()
    finally:
        release.set()
        pusher.join(60)
        approver.join(60)
    assert not pusher.is_alive()
    assert not approver.is_alive()
    assert [r.status for r in answers["push"].results] == ["applied"]
    assert answers["approve"].status_code == 200, answers["approve"].text

    with sessions() as db:
        listed = set(
            db.scalars(
                select(TimesheetEntry.entry_id).where(TimesheetEntry.timesheet_id == sheet_id)
            )
        )
        assert listed == {first["entry"]["id"], second["id"]}
    made = world.client.post("/api/v1/payroll/batches", json={}, headers=world.office["payroll"])
    assert made.status_code == 201, made.text
    with sessions() as db:
        assert batch_entry_ids(db, made.json()["id"]) == {first["entry"]["id"], second["id"]}
    engine.dispose()
