"""Sync convergence as a hypothesis state machine, against the real server.

Random local saves, edits and deletes, pushes and pulls, lost answers and
server restarts. After every step the phone shows every entry it saved (and
nothing it deleted); after a final sync the phone and the server agree
exactly, entry by entry and minute by minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from models.schemas import EntryData
from sync.client import SyncClient, SyncError, SyncState, login
from sync.store import DeviceStore
from tests.support.live_server import LiveServer
from tests.support.proxy import FaultyProxy
from tests.sync.conftest import make_world

EXAMPLES = int(os.environ.get("TIMELISTE_SYNC_EXAMPLES", "20"))
STEPS = int(os.environ.get("TIMELISTE_SYNC_STEPS", "18"))

clock = st.integers(min_value=0, max_value=20).map(lambda h: f"{h:02d}:{0:02d}")


def _comparable(item: dict[str, Any] | EntryData) -> tuple[Any, ...]:
    raw = item.model_dump(mode="json", by_alias=True) if isinstance(item, EntryData) else item
    return (
        raw["date"],
        raw["start"],
        raw["end"],
        tuple(raw["decision_ids"]),
        tuple(raw["activities"]),
        raw.get("note"),
    )


@pytest.mark.slow
def test_phone_and_server_converge(live_server: LiveServer) -> None:
    coordinator = live_server.login("koordinator")
    tally: Counter[str] = Counter()

    class SyncMachine(RuleBasedStateMachine):
        saved = Bundle("saved")

        def __init__(self) -> None:
            super().__init__()
            if not live_server.running:
                live_server.start()
            self.world = make_world(live_server, coordinator)
            self.folder = Path(tempfile.mkdtemp(prefix="sync-machine-"))
            self.proxy = FaultyProxy(live_server.base_url)
            self.loop = asyncio.new_event_loop()
            session = self.loop.run_until_complete(
                login(live_server.base_url, self.world.username, self.world.password)
            )
            self.store = DeviceStore(self.folder / "store.json")
            self.store.set_account(
                server_url=self.proxy.base_url,
                username=self.world.username,
                token=session.token,
                contact_id=session.contact_id,
            )
            self.client = SyncClient(
                self.store, self.proxy.base_url, session.token, max_attempts=3, backoff_base=0.01
            )
            status = self.loop.run_until_complete(self.client.sync())
            assert status.state is SyncState.synced
            self.expected: dict[str, EntryData] = {}
            self.restarts = 0
            self.may_restart = False

        def _entry(
            self, entry_id: str, days_ago: int, start: str, hours: int, note: str
        ) -> EntryData:
            begin = int(start[:2])
            return EntryData.model_validate(
                {
                    "id": entry_id,
                    "decision_ids": [self.world.decision_id],
                    "date": (self.world.today - timedelta(days=days_ago)).isoformat(),
                    "start": start,
                    "end": f"{begin + hours:02d}:00",
                    "activities": ["Tur"],
                    "note": note,
                }
            )

        # --- the contact ---------------------------------------------------------------

        @initialize(
            target=saved, days_ago=st.integers(0, 40), start=clock, one_in=st.integers(0, 1)
        )
        def a_first_entry(self, days_ago: int, start: str, one_in: int) -> str:
            # A restart costs seconds, so about one run in two may have one; the
            # choice is drawn (not counted across runs) so that replays stay exact.
            self.may_restart = one_in == 0
            # Every run starts with something to sync, so short runs still test it.
            return self.save_new(days_ago, start, 1)

        @rule(
            target=saved,
            days_ago=st.integers(0, 40),
            start=clock,
            hours=st.integers(1, 3),
        )
        def save_new(self, days_ago: int, start: str, hours: int) -> str:
            entry = self._entry(str(uuid.uuid4()), days_ago, start, hours, "ny")
            self.store.save_entry(entry)
            self.expected[entry.id] = entry
            return entry.id

        @rule(entry_id=saved, days_ago=st.integers(0, 40), start=clock, hours=st.integers(1, 3))
        def edit(self, entry_id: str, days_ago: int, start: str, hours: int) -> None:
            if entry_id not in self.expected:
                return
            entry = self._entry(entry_id, days_ago, start, hours, f"endret {days_ago}")
            self.store.save_entry(entry)
            self.expected[entry_id] = entry

        @rule(entry_id=consumes(saved))
        def delete(self, entry_id: str) -> None:
            if entry_id not in self.expected:
                return
            self.store.delete_entry(entry_id)
            del self.expected[entry_id]

        # --- the network and the server ------------------------------------------------

        @rule()
        def sync(self) -> None:
            self.loop.run_until_complete(self.client.sync())

        @rule()
        def push_only(self) -> None:
            self.loop.run_until_complete(self._quietly(self.client.push()))

        @rule()
        def pull_only(self) -> None:
            self.loop.run_until_complete(self._quietly(self.client.pull()))

        # The server does the work; the phone never hears back and must retry.
        @precondition(lambda self: not self.proxy.offline and self.store.pending_count() > 0)
        @rule()
        def sync_losing_the_push_answer(self) -> None:
            self.proxy.drop_answers("/api/v1/sync/push", 1)
            self.loop.run_until_complete(self.client.sync())
            self.proxy.drop_answers("/api/v1/sync/push", 0)

        @precondition(lambda self: not self.proxy.offline)
        @rule()
        def sync_losing_the_pull_answer(self) -> None:
            self.proxy.drop_answers("/api/v1/sync/pull", 1)
            self.loop.run_until_complete(self.client.sync())
            self.proxy.drop_answers("/api/v1/sync/pull", 0)

        @precondition(lambda self: not self.proxy.offline)
        @rule()
        def network_drops(self) -> None:
            self.proxy.offline = True

        @precondition(lambda self: self.proxy.offline)
        @rule()
        def network_returns(self) -> None:
            self.proxy.offline = False

        # At most one restart in a run that may have one; the rest of the time
        # the network (the proxy) is what fails.
        @precondition(lambda self: self.may_restart and self.restarts < 1)
        @rule(sync_while_down=st.booleans())
        def server_restarts(self, sync_while_down: bool) -> None:
            live_server.stop()
            if sync_while_down:
                status = self.loop.run_until_complete(self.client.sync())
                assert status.state is SyncState.offline
            live_server.start()
            self.restarts += 1
            tally["with a server restart"] += 1

        async def _quietly(self, work: Any) -> None:
            # push()/pull() alone raise on trouble (sync() turns it into a status).
            with contextlib.suppress(SyncError):
                await work

        # --- what must always hold ---------------------------------------------------------

        @invariant()
        def phone_shows_what_was_saved(self) -> None:
            shown = {local.id: local.entry for local in self.store.entries()}
            assert set(shown) == set(self.expected)
            for entry_id, entry in self.expected.items():
                assert _comparable(shown[entry_id]) == _comparable(entry)

        def teardown(self) -> None:
            try:
                if not live_server.running:
                    live_server.start()
                self.proxy.offline = False
                self.proxy.drop_answers("/api/v1/sync/push", 0)
                self.proxy.drop_answers("/api/v1/sync/pull", 0)
                status = self.loop.run_until_complete(self.client.sync())
                assert status.state is SyncState.synced, status
                assert self.store.pending_count() == 0
                answers = b" ".join(e.answer for e in self.proxy.requests_to("/api/v1/sync/push"))
                tally["runs"] += 1
                tally["with a duplicate answer"] += b"duplicate" in answers
                tally["entries at the end"] += len(self.expected)
                on_server = self.world.server_entries()
                assert set(on_server) == set(self.expected)
                for entry_id, entry in self.expected.items():
                    assert _comparable(on_server[entry_id]) == _comparable(entry)
                minutes = sum(entry.minutes for entry in self.expected.values())
                assert self.world.used_minutes() == minutes
                # Period by period, the phone's projection is the server's figure.
                answer = self.world.office(
                    "GET", f"/api/v1/decisions/{self.world.decision_id}/usage"
                )
                on_server_usage = {
                    p["start"]: round(float(p["used_hours"]) * 60) for p in answer["periods"]
                }
                projected = {
                    u.period.start.isoformat(): u.used_minutes
                    for u in self.store.usage(self.world.decision_id)
                }
                assert projected == on_server_usage
            finally:
                self.loop.run_until_complete(self.client.aclose())
                self.loop.close()
                self.store.close()
                self.proxy.close()
                shutil.rmtree(self.folder, ignore_errors=True)

    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(f"\nconvergence runs: {dict(tally)}")
