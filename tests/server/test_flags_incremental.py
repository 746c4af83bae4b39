"""Incremental flags equal flags computed from scratch, after any sequence of edits.

The server re-checks only the scopes an edited entry touches. Hypothesis
drives random upserts, moves and deletes through the service layer on a real
SQLite database; afterwards the open flags must be exactly what the rules in
models.flags find when run once over all live entries.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models.flags import (
    Finding,
    double_coverage,
    km_over_allowance,
    outside_decision,
    overlaps,
    overuse,
)
from models.quota import quota_periods
from models.schemas import (
    ContactCreate,
    Decision,
    DecisionCreate,
    DecisionKind,
    FlagStatus,
    RecipientCreate,
    Role,
    TimeEntry,
)
from server.db import make_engine, make_sessionmaker
from server.schemas import Mutation, PushRequest
from server.services import office, sync
from server.services.auth import create_user
from server.services.common import Actor
from server.services.convert import decision_model
from server.services.flags import RULE_KINDS
from server.tables import DecisionRow, EntryRow, FlagRow, User
from tests.factories import entry_id, recent_day
from tests.server.conftest import make_settings

BASE = recent_day(-12)  # a few weeks that cross a month boundary
IDS = [entry_id(9000 + n) for n in range(6)]
OWNER = [0, 0, 0, 0, 1, 1]  # entry n belongs to contact OWNER[n]
REFUSED: list[str] = []
SEEN: list[int] = []

operation = st.one_of(
    st.tuples(
        st.just("upsert"),
        st.integers(0, 5),  # entry
        st.integers(0, 20),  # day offset
        st.integers(6, 21),  # start hour
        st.sampled_from([30, 60, 120, 240, 300]),  # minutes
        st.integers(0, 1),  # which decision
        st.sampled_from(["0", "20", "45"]),  # km driven
    ),
    st.tuples(st.just("delete"), st.integers(0, 5)),
)


def _expected(decisions: dict[str, Decision], entries: list[TimeEntry]) -> dict[str, Finding]:
    found: dict[str, Finding] = {}
    individual = [d for d, terms in decisions.items() if terms.kind is DecisionKind.individual]
    for decision_id, terms in decisions.items():
        for period in quota_periods(terms):
            finding = overuse(decision_id, period, entries)
            if finding:
                found[finding.scope] = finding
        months = {e.date.replace(day=1) for e in entries if decision_id in e.decision_ids}
        for month in months:
            finding = km_over_allowance(decision_id, terms, month, entries)
            if finding:
                found[finding.scope] = finding
    for entry in entries:
        for decision_id in entry.decision_ids:
            finding = outside_decision(decision_id, decisions[decision_id], entry)
            if finding:
                found[finding.scope] = finding
        for finding in overlaps(entry, entries) + double_coverage(entry, individual, entries):
            found[finding.scope] = finding
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from server.migrate import upgrade

    path = tmp_path_factory.mktemp("incremental") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_incremental_flags_match_a_full_recomputation(
    template: Path, tmp_path: Path, operations: list[tuple[Any, ...]]
) -> None:
    target = tmp_path / f"db-{abs(hash(tuple(operations)))}.sqlite3"
    shutil.copyfile(template, target)
    url = f"sqlite:///{target}"
    config = make_settings(url, tmp_path)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    try:
        with factory() as db:
            coordinator_user = create_user(
                db,
                settings=config,
                username="k",
                password="riktig-passord-123",
                role=Role.coordinator,
            )
            db.commit()
            coordinator = Actor(user_id=coordinator_user.id, role=Role.coordinator)
            recipient = office.create_recipient(
                db, actor=coordinator, data=RecipientCreate(name="Kari Nordmann", case_no="1")
            )
            contacts = []
            for n in range(2):
                contact = office.create_contact(
                    db,
                    settings=config,
                    actor=coordinator,
                    data=ContactCreate(
                        username=f"kontakt{n}",
                        password="riktig-passord-123",
                        name=f"Ola {n}",
                        employee_no=f"E{n}",
                        contract_type="contractor",
                        politiattest_date=date(2024, 1, 1),
                    ),
                )
                contacts.append(contact.id)
            decision_ids = []
            for n, (per, hours, start) in enumerate(
                [("week", "6", BASE + timedelta(days=2)), ("month", "9", BASE - timedelta(days=40))]
            ):
                created = office.create_decision(
                    db,
                    actor=coordinator,
                    data=DecisionCreate(
                        recipient_id=recipient.id,
                        kind=DecisionKind.individual,
                        hours=hours,
                        per=per,
                        valid_from=start,
                        valid_to=BASE + timedelta(days=18 - n),
                        km_per_month="50",
                        contact_ids=contacts,
                    ),
                )
                decision_ids.append(created.id)
            users = {}
            for row in db.scalars(select(User).where(User.contact_id.is_not(None))):
                users[row.contact_id] = row.id

        for number, op in enumerate(operations, start=1):
            with factory() as db:
                index = op[1]
                contact_id = contacts[OWNER[index]]
                actor = Actor(user_id=users[contact_id], role=Role.contact, contact_id=contact_id)
                if op[0] == "upsert":
                    _, _, offset, hour, minutes, which, km = op
                    start = f"{hour:02d}:00"
                    end_minutes = hour * 60 + minutes
                    end = f"{end_minutes // 60 % 24:02d}:{end_minutes % 60:02d}"
                    mutation = Mutation(
                        mutation_id=number,
                        type="entry.upsert",
                        data={
                            "id": IDS[index],
                            "decision_ids": [decision_ids[which]],
                            "date": (BASE + timedelta(days=offset)).isoformat(),
                            "start": start,
                            "end": end,
                            "trips": [{"km": km, "from": "A", "to": "B"}] if km != "0" else [],
                        },
                    )
                else:
                    mutation = Mutation(
                        mutation_id=number, type="entry.delete", data={"id": IDS[index]}
                    )
                # One mutation per push: each change is checked on its own.
                [result] = sync.push(
                    db,
                    settings=config,
                    actor=actor,
                    request=PushRequest(device_id="d", mutations=[mutation]),
                ).results
                if result.status == "rejected":
                    REFUSED.append(result.errors[0].message)

        with factory() as db:
            rows = db.scalars(select(DecisionRow)).all()
            contacts_by = office.contact_ids_of(db, [r.id for r in rows])
            decisions = {r.id: decision_model(r, contacts_by[r.id]) for r in rows}
            entries = [
                TimeEntry.model_validate(
                    {
                        "id": e.id,
                        "contact_id": e.contact_id,
                        "decision_ids": e.decision_ids,
                        "date": e.date,
                        "start": e.start,
                        "end": e.end,
                        "trips": e.trips,
                        "expenses": e.expenses,
                    }
                )
                for e in db.scalars(select(EntryRow).where(EntryRow.deleted.is_(False)))
            ]
            flags = {
                f.scope: (tuple(f.entry_ids), f.detail)
                for f in db.scalars(
                    select(FlagRow).where(
                        FlagRow.status == FlagStatus.open.value,
                        FlagRow.kind.in_([k.value for k in RULE_KINDS]),
                    )
                )
            }
        expected = {
            scope: (finding.entry_ids, finding.detail)
            for scope, finding in _expected(decisions, entries).items()
        }
        assert flags == expected
        SEEN.append(len(expected))
    finally:
        engine.dispose()


def test_the_property_saw_flags_and_few_refusals() -> None:
    # Guards the property above against passing vacuously.
    if not SEEN:
        pytest.skip(
            "counts what the property test above recorded in this session; "
            "selected without it (e.g. with -k) there is nothing to check"
        )
    assert sum(SEEN) > 0
