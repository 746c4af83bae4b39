"""SyncClient against the real server on loopback: offline first, exactly once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.payperiod import pay_period_of
from models.schemas import EntryData, SignatureCreate
from sync.client import LoginError, SyncClient, SyncState, SyncStatus, login
from sync.store import DeviceStore, EntryState, LockedError
from tests.support.live_server import LiveServer
from tests.support.proxy import FaultyProxy
from tests.sync.conftest import World, make_world


def entry_for(
    world: World, *, days_ago: int, start: str = "10:00", end: str = "12:00"
) -> EntryData:
    return EntryData.model_validate(
        {
            "id": str(uuid.uuid4()),
            "decision_ids": [world.decision_id],
            "date": (world.today - timedelta(days=days_ago)).isoformat(),
            "start": start,
            "end": end,
            "activities": ["Tur"],
        }
    )


async def signed_in(
    world: World, path: Path, *, via: str | None = None, **client_options: object
) -> SyncClient:
    """Log in as the contact, remember it in the store, first sync (through `via` if given)."""
    session = await login(world.server.base_url, world.username, world.password)
    store = DeviceStore(path)
    store.set_account(
        server_url=world.server.base_url,
        username=world.username,
        token=session.token,
        role=session.role,
        expires_at=session.expires_at,
        contact_id=session.contact_id,
    )
    client = SyncClient(store, via or world.server.base_url, session.token, **client_options)  # type: ignore[arg-type]
    status = await client.sync()
    assert status.state is SyncState.synced, status
    return client


def test_first_sync_pulls_the_decision_and_a_saved_entry_reaches_the_server(
    world: World, store_path: Path
) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        assert [d.id for d in store.decisions()] == [world.decision_id]
        entry = entry_for(world, days_ago=2)
        store.save_entry(entry)
        assert (await client.refresh_status()).state is SyncState.waiting
        seen: list[SyncStatus] = []
        client.subscribe(seen.append)
        status = await client.sync()
        assert status.state is SyncState.synced
        assert [s.state for s in seen] == [SyncState.syncing, SyncState.synced]
        assert store.entry(entry.id).state is EntryState.synced  # type: ignore[union-attr]
        assert world.server_entries()[entry.id]["end"] == "12:00"
        assert world.used_minutes() == 120
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_offline_saves_wait_and_one_sync_drains_them(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path, max_attempts=2, backoff_base=0.01)
        store = client.store
        world.server.stop()
        try:
            saved = [
                entry_for(world, days_ago=d, start="09:00", end="10:30") for d in (1, 2, 3, 4, 5)
            ]
            for entry in saved:
                store.save_entry(entry)
            assert {e.id for e in store.entries()} == {e.id for e in saved}
            status = await client.sync()
            assert status.state is SyncState.offline
            assert status.waiting == 5
            assert "Frakoblet" in status.message
            assert {e.state for e in store.entries()} == {EntryState.pending}
        finally:
            world.server.start()
        status = await client.sync()
        assert status.state is SyncState.synced
        assert store.pending_count() == 0
        on_server = world.server_entries()
        assert set(on_server) == {e.id for e in saved}
        assert world.used_minutes() == 5 * 90
        # The phone's projection agrees with the server's figure after the pull.
        assert sum(u.used_minutes for u in store.usage(world.decision_id)) == 5 * 90
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_lost_push_answer_is_retried_and_answered_duplicate(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(world, store_path, via=proxy.base_url, backoff_base=0.01)
            store = client.store
            first, second = entry_for(world, days_ago=1), entry_for(world, days_ago=2)
            store.save_entry(first)
            store.save_entry(second)
            proxy.drop_answers("/api/v1/sync/push", 1)
            status = await client.sync()
            assert status.state is SyncState.synced
            pushes = proxy.requests_to("/api/v1/sync/push")
            assert [p.delivered for p in pushes] == [False, True]
            lost = json.loads(pushes[0].answer)["results"]
            retried = json.loads(pushes[1].answer)["results"]
            assert [r["status"] for r in lost] == ["applied", "applied"]
            assert [r["status"] for r in retried] == ["duplicate", "duplicate"]
            assert set(world.server_entries()) == {first.id, second.id}
            assert world.used_minutes() == 2 * 120
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_server_errors_are_retried_with_backoff(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(world, store_path, via=proxy.base_url, backoff_base=0.01)
            store = client.store
            store.save_entry(entry_for(world, days_ago=1))
            proxy.log.clear()
            proxy.fail("/api/v1/sync/push", 2, status=503)
            proxy.fail("/api/v1/sync/pull", 1, status=502)
            status = await client.sync()
            assert status.state is SyncState.synced
            assert [p.status for p in proxy.requests_to("/api/v1/sync/push")] == [503, 503, 200]
            assert [p.status for p in proxy.requests_to("/api/v1/sync/pull")] == [502, 200]
            # When the failures outlast the attempts the phone says offline and keeps all.
            store.save_entry(entry_for(world, days_ago=2))
            proxy.fail("/api/v1/sync/push", 10, status=500)
            status = await client.sync()
            assert status.state is SyncState.offline
            assert store.pending_count() == 1
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_pushes_go_in_batches_in_order(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(world, store_path, via=proxy.base_url, batch_size=4)
            store = client.store
            saved = [entry_for(world, days_ago=1 + d) for d in range(10)]
            for entry in saved:
                store.save_entry(entry)
            await client.sync()
            batches = [
                json.loads(e.answer)["results"] for e in proxy.requests_to("/api/v1/sync/push")
            ]
            assert [len(b) for b in batches] == [4, 4, 2]
            ids = [r["mutation_id"] for b in batches for r in b]
            assert ids == sorted(ids)
            assert set(world.server_entries()) == {e.id for e in saved}
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_revoked_token_asks_for_login_and_keeps_everything(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        entry = entry_for(world, days_ago=1)
        store.save_entry(entry)
        token = store.account().token  # type: ignore[union-attr]
        world.server.api("POST", "/api/v1/auth/logout", token=token, expect=204)
        status = await client.sync()
        assert status.state is SyncState.login
        assert "Logg inn" in status.message
        assert store.pending_count() == 1
        assert store.entry(entry.id) is not None
        assert store.account().token is None  # type: ignore[union-attr]
        client.set_token(world.login())
        assert (await client.sync()).state is SyncState.synced
        assert entry.id in world.server_entries()
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_rejected_mutation_is_kept_with_reasons_and_not_retried(
    world: World, store_path: Path
) -> None:
    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(world, store_path, via=proxy.base_url)
            store = client.store
            # The office unassigns the contact; the phone has not heard of it yet.
            world.office(
                "PATCH", f"/api/v1/decisions/{world.decision_id}", json={"contact_ids": []}
            )
            entry = entry_for(world, days_ago=1)
            store.save_entry(entry)
            status = await client.sync()
            assert status.state is SyncState.attention
            assert status.rejected == 1
            [refused] = store.rejected()
            assert refused.id == entry.id
            assert refused.errors
            assert "tildelt" in refused.errors[0].message
            assert store.pending_count() == 0
            pushes = len(proxy.requests_to("/api/v1/sync/push"))
            again = await client.sync()
            assert again.state is SyncState.attention
            assert len(proxy.requests_to("/api/v1/sync/push")) == pushes  # nothing re-sent
            assert entry.id not in world.server_entries()
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_signature_hash_made_on_the_phone_is_accepted_and_locks(
    world: World, store_path: Path
) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        day = world.today.replace(day=1) if world.today.day > 2 else world.today
        entry = entry_for(world, days_ago=(world.today - day).days, start="10:00", end="11:15")
        store.save_entry(entry)
        await client.sync()
        period = pay_period_of(entry.date)
        signature = SignatureCreate(
            decision_id=world.decision_id,
            period=period,
            content_hash=store.content_hash(world.decision_id, period),
            signer_name="Kari Nordmann",
            signer_role="recipient",
            strokes=[[{"x": 0, "y": 0}, {"x": 5, "y": 5}]],
            signed_at=datetime.now(UTC),
        )
        store.sign_timesheet(signature)
        assert store.is_locked(entry)
        status = await client.sync()
        assert status.state is SyncState.synced, status
        [sheet] = [t for t in store.timesheets() if t.period == period]
        assert sheet.status == "signed"
        assert store.signatures() == []  # settled: the pulled sheet carries it now
        with pytest.raises(LockedError):
            store.save_entry(entry.model_copy(update={"end": "12:00"}))
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_a_store_made_without_the_contact_id_learns_it(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        session = await login(world.server.base_url, world.username, world.password)
        store = DeviceStore(store_path)
        store.set_account(
            server_url=world.server.base_url, username=world.username, token=session.token
        )
        assert store.contact_id() is None
        async with SyncClient(store, world.server.base_url, session.token) as client:
            assert (await client.sync()).state is SyncState.synced
        assert store.contact_id() == world.contact_id
        store.close()

    asyncio.run(scenario())


def test_the_pull_names_the_contact_and_a_new_name_follows(world: World, store_path: Path) -> None:
    """The signing screen names whose sheet it is: the pull carries the contact's
    registered name on every page, and the phone keeps that name and nothing more."""

    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        registered = world.office("GET", f"/api/v1/contacts/{world.contact_id}")["name"]
        assert registered.startswith("Test Kontakt")
        assert store.contact_name() == registered
        world.office("PATCH", f"/api/v1/contacts/{world.contact_id}", json={"name": "Kari Omdøpt"})
        assert (await client.sync()).state is SyncState.synced
        assert store.contact_name() == "Kari Omdøpt"
        await client.aclose()
        store.close()
        # Of the contact's register entry only the name is on the phone (no employee
        # number, contract type, politiattest or rate).
        on_disk = (
            store_path.read_bytes()
            + store_path.with_name(store_path.name + ".journal").read_bytes()
        )
        contact = world.office("GET", f"/api/v1/contacts/{world.contact_id}")
        assert contact["employee_no"].encode() not in on_disk
        assert b"Kari Omd" in on_disk

    asyncio.run(scenario())


def test_wrong_password_is_refused_in_norwegian(world: World) -> None:
    with pytest.raises(LoginError, match="Feil brukernavn eller passord"):
        asyncio.run(login(world.server.base_url, world.username, "feil-passord-1"))


def test_the_office_decides_rejection_and_approval(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        day = world.today - timedelta(days=1)
        entry = entry_for(world, days_ago=1, start="10:00", end="11:00")
        store.save_entry(entry)
        period = pay_period_of(day)
        store.sign_timesheet(
            SignatureCreate(
                decision_id=world.decision_id,
                period=period,
                content_hash=store.content_hash(world.decision_id, period),
                signer_name="Kari Nordmann",
                signer_role="guardian",
                strokes=[[{"x": 0, "y": 0}, {"x": 5, "y": 5}]],
                signed_at=datetime.now(UTC),
            )
        )
        assert (await client.sync()).state is SyncState.synced
        [sheet] = [t for t in store.timesheets() if t.period == period]
        assert sheet.status == "signed"

        # The coordinator sends it back: the signature is void and the phone may edit again.
        world.office("POST", f"/api/v1/timesheets/{sheet.id}/reject", json={"reason": "Feil dato"})
        await client.sync()
        [sheet] = [t for t in store.timesheets() if t.period == period]
        assert sheet.status == "rejected"
        assert sheet.reject_reason == "Feil dato"
        assert not store.is_locked(entry)
        corrected = entry.model_copy(update={"end": "11:30"})
        store.save_entry(corrected)

        # While the phone is offline with its correction, the office approves the sheet.
        world.office(
            "POST",
            f"/api/v1/timesheets/{sheet.id}/approve",
            json={"override_reason": "Godkjent etter telefon med verge"},
        )
        status = await client.sync()
        assert status.state is SyncState.attention  # the correction came too late
        shown = store.entry(entry.id)
        assert shown is not None
        assert shown.entry.end == "11:00"  # the approved version stands
        assert shown.locked
        assert shown.errors[0].code == "locked"
        with pytest.raises(LockedError):
            store.save_entry(corrected)
        store.discard_rejected(entry.id)
        assert (await client.refresh_status()).state is SyncState.synced
        assert world.server_entries()[entry.id]["end"] == "11:00"
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_a_new_phone_gets_everything_in_pages(world: World, tmp_path: Path) -> None:
    async def scenario() -> None:
        first = await signed_in(world, tmp_path / "old-phone.json")
        saved = [entry_for(world, days_ago=1 + d) for d in range(10)]
        # One sync each: a push is one transaction with one change number, and
        # rows sharing a number always come in the same page.
        for entry in saved:
            first.store.save_entry(entry)
            assert (await first.sync()).state is SyncState.synced
        await first.aclose()
        first.store.close()

        with FaultyProxy(world.server.base_url) as proxy:
            second = await signed_in(
                world, tmp_path / "new-phone.json", via=proxy.base_url, pull_limit=3
            )
            assert {e.id for e in second.store.entries()} == {e.id for e in saved}
            assert {e.state for e in second.store.entries()} == {EntryState.synced}
            assert len(proxy.requests_to("/api/v1/sync/pull")) >= 4
            projected = sum(u.used_minutes for u in second.store.usage(world.decision_id))
            assert projected == world.used_minutes() == 10 * 120
            await second.aclose()
            second.store.close()

    asyncio.run(scenario())


def test_overuse_is_warned_offline_and_flagged_by_the_server(
    live_server: LiveServer, store_path: Path
) -> None:
    world = make_world(live_server, live_server.login("koordinator"), hours=2, per="month")

    async def scenario() -> None:
        client = await signed_in(world, store_path)
        store = client.store
        first = entry_for(world, days_ago=0, start="08:00", end="09:30")
        store.save_entry(first)
        second = entry_for(world, days_ago=0, start="10:00", end="11:00")
        # Offline, before saving: the phone sees that this takes the month 30 minutes over.
        [(decision_id, usage)] = store.over_quota_after(second)
        assert decision_id == world.decision_id
        assert usage.over_minutes == 30
        store.save_entry(second)
        assert (await client.sync()).state is SyncState.synced
        [flag] = [f for f in store.flags() if f.kind == "overuse" and f.status == "open"]
        assert flag.entry_ids == [second.id]
        assert store.entry(second.id).flags == (flag.id,)  # type: ignore[union-attr]
        [period] = [u for u in store.usage(world.decision_id) if u.period.contains(first.date)]
        assert period.over_minutes == 30
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_saving_while_a_sync_runs_loses_nothing(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        client = await signed_in(world, store_path, batch_size=3)
        store = client.store
        first = [entry_for(world, days_ago=1 + d, start="08:00", end="09:00") for d in range(9)]
        for entry in first:
            store.save_entry(entry)
        during = [entry_for(world, days_ago=1 + d, start="12:00", end="13:00") for d in range(9)]

        def save_all() -> None:
            for entry in during:
                store.save_entry(entry)

        # The app saves from a worker thread while the sync pushes from the loop.
        await asyncio.gather(client.sync(), asyncio.to_thread(save_all))
        assert {e.id for e in store.entries()} == {e.id for e in first + during}
        status = await client.sync()
        assert status.state is SyncState.synced
        assert set(world.server_entries()) == {e.id for e in first + during}
        assert world.used_minutes() == 18 * 60
        await client.aclose()
        store.close()

    asyncio.run(scenario())


def test_a_wifi_login_page_is_not_mistaken_for_the_server(world: World, store_path: Path) -> None:
    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(
                world, store_path, via=proxy.base_url, max_attempts=2, backoff_base=0.01
            )
            store = client.store
            store.save_entry(entry_for(world, days_ago=1))
            portal = b"<html><body>Logg inn p\xc3\xa5 gjestenettet</body></html>"
            proxy.fail("/api/v1/", 2, status=200, body=portal, content_type="text/html")
            status = await client.sync()
            assert status.state is SyncState.offline
            assert status.error is not None
            assert "innlogging" in status.error
            proxy.fail("/api/v1/", 2, status=302, body=b"", content_type="text/html")
            assert (await client.sync()).state is SyncState.offline
            assert store.pending_count() == 1
            assert (await client.sync()).state is SyncState.synced
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_an_answer_that_is_not_the_contract_moves_nothing(world: World, store_path: Path) -> None:
    """JSON of the wrong shape (a proxy's, a stale server's) is no answer: the cursor
    stays, the change waits, and the next real answer is merged as usual."""

    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(
                world, store_path, via=proxy.base_url, max_attempts=1, backoff_base=0.01
            )
            store = client.store
            cursor = store.cursor()
            wrong = b'{"cursor": 999999, "has_more": false}'
            proxy.fail(
                "/api/v1/sync/pull", 1, status=200, body=wrong, content_type="application/json"
            )
            assert (await client.sync()).state is SyncState.offline
            assert store.cursor() == cursor
            entry = entry_for(world, days_ago=1)
            store.save_entry(entry)
            proxy.fail(
                "/api/v1/sync/push",
                1,
                status=200,
                body=b'{"results": [{"mutation_id": "x"}]}',
                content_type="application/json",
            )
            assert (await client.sync()).state is SyncState.offline
            assert store.pending_count() == 1
            assert (await client.sync()).state is SyncState.synced
            assert store.pending_count() == 0
            assert entry.id in world.server_entries()
            assert store.cursor() > cursor
            await client.aclose()
            store.close()

    asyncio.run(scenario())


def test_two_phones_of_one_contact_end_up_agreeing(world: World, tmp_path: Path) -> None:
    async def scenario() -> None:
        first = await signed_in(world, tmp_path / "a.json")
        second = await signed_in(world, tmp_path / "b.json")
        entry = entry_for(world, days_ago=2, start="10:00", end="11:00")
        first.store.save_entry(entry)
        await first.sync()
        await second.sync()
        assert second.store.entry(entry.id) is not None
        # Both change the same session offline; the second phone pushes last and wins.
        first.store.save_entry(entry.model_copy(update={"end": "12:00"}))
        second.store.save_entry(entry.model_copy(update={"end": "13:00"}))
        other = entry_for(world, days_ago=3)
        first.store.save_entry(other)
        await first.sync()
        await second.sync()
        await first.sync()
        for phone in (first, second):
            shown = {e.id: e.entry.end for e in phone.store.entries()}
            assert shown == {entry.id: "13:00", other.id: "12:00"}
            assert phone.status.state is SyncState.synced
        assert world.server_entries()[entry.id]["end"] == "13:00"
        assert world.used_minutes() == 3 * 60 + 2 * 60
        for phone in (first, second):
            assert sum(u.used_minutes for u in phone.store.usage(world.decision_id)) == 5 * 60
            await phone.aclose()
            phone.store.close()

    asyncio.run(scenario())
