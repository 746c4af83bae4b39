"""The device's background sync loop (mobile.device.Device._run): when it syncs again.

The loop syncs, then waits for a wake (a save, the browser back online) or its
pause. These drive it with a real store and a stand-in for the network part of
`SyncClient.sync`, with pauses shortened so a lost wake shows as a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from mobile import device as device_module
from mobile.device import Device, retry_pause
from sync.client import SyncState, SyncStatus
from sync.store import DeviceStore

Outcome = Callable[[int], Awaitable[SyncStatus]]


def _run_loop(tmp_path: Path, outcome: Outcome, until: int, timeout: float) -> list[int]:
    """Start the loop; returns the numbers of the syncs it made before `until` or `timeout`."""

    async def scenario() -> list[int]:
        store = DeviceStore(tmp_path / "store", durable=False)
        device = Device(store, "http://127.0.0.1:9", "token")
        calls: list[int] = []
        enough = asyncio.Event()

        async def sync() -> SyncStatus:
            calls.append(len(calls) + 1)
            status = await outcome_for(device)(len(calls))
            if len(calls) >= until:
                enough.set()
            return status

        device.client.sync = sync  # type: ignore[method-assign]  # the network part only
        device.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), timeout)
        await device.close()
        return calls

    def outcome_for(device: Device) -> Outcome:
        async def call(n: int) -> SyncStatus:
            if n == 1:
                # A save lands while the first sync is still on its way.
                device.wake()
                await asyncio.sleep(0.01)
            return await outcome(n)

        return call

    return asyncio.run(scenario())


async def _synced(_n: int) -> SyncStatus:
    return SyncStatus(state=SyncState.synced)


def test_a_wake_during_a_sync_syncs_again_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing waits after the first sync, so without the wake the next one is a pull
    # interval away (30 s here, as in the app): the wake must not be lost.
    monkeypatch.setattr(device_module, "PULL_SECONDS", 30.0)
    calls = _run_loop(tmp_path, _synced, until=2, timeout=3.0)
    assert calls == [1, 2]


def test_failed_syncs_are_retried_further_and_further_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(device_module, "RETRY_SECONDS", 3.0)
    monkeypatch.setattr(device_module, "PULL_SECONDS", 30.0)
    monkeypatch.setattr(device_module, "RETRY_MAX_SECONDS", 30.0)
    assert [retry_pause(n) for n in range(0, 8)] == [30, 3, 6, 12, 24, 30, 30, 30]
    assert retry_pause(10_000) == 30


def test_the_loop_waits_the_backoff_after_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device_module, "RETRY_SECONDS", 0.05)
    monkeypatch.setattr(device_module, "PULL_SECONDS", 30.0)
    monkeypatch.setattr(device_module, "RETRY_MAX_SECONDS", 0.2)
    seen: list[float] = []

    async def offline(_n: int) -> SyncStatus:
        seen.append(asyncio.get_running_loop().time())
        return SyncStatus(state=SyncState.offline, waiting=1)

    calls = _run_loop(tmp_path, offline, until=6, timeout=5.0)
    assert len(calls) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(seen)]
    # The first sync's wake: at once; then 0.05, 0.1, 0.2 (the cap), 0.2.
    assert gaps[0] < 0.04
    assert 0.04 <= gaps[1] < gaps[2] < gaps[3]
    assert gaps[3] == pytest.approx(gaps[4], abs=0.08)


def test_a_save_tells_every_listener_but_the_saver(tmp_path: Path) -> None:
    """The saver has the new snapshot from the save itself; the other listeners (another
    tab of the same browser) are told. A second read and redraw of the saver's screen
    ran right while the page drew the saved entry (Lagre → shown)."""
    from tests.factories import make_entry
    from tests.sync.builders import seeded_store

    async def scenario() -> tuple[list[str], bool]:
        device = Device(seeded_store(tmp_path / "store.json"), "http://127.0.0.1:9", "token")
        told: list[str] = []

        def saver() -> None:
            told.append("saver")

        def other_tab() -> None:
            told.append("other tab")

        device.on_change(saver)
        device.on_change(other_tab)
        problems, over, snapshot = await device.save_checked(
            make_entry(), anyway=True, writer=saver
        )
        assert (problems, over) == ([], [])
        while device._tasks:  # the announcement runs after the save has returned
            await asyncio.gather(*device._tasks)
        await device.close()
        return told, snapshot is not None and len(snapshot.entries) == 1

    told, saved = asyncio.run(scenario())
    assert saved
    assert told == ["other tab"]


def test_the_first_read_is_the_one_made_while_flutter_loaded(tmp_path: Path) -> None:
    """open_early reads the store before the page's session starts; the session's
    first read is that one, once, unless something was saved in between."""
    from datetime import date

    from mobile.device import read_snapshot
    from tests.factories import make_entry
    from tests.sync.builders import seeded_store

    async def scenario() -> None:
        store = seeded_store(tmp_path / "store.json")
        device = Device(store, "http://127.0.0.1:9", "token")
        early = read_snapshot(store)
        device_module._EARLY_READ[store.path] = (early, store.commits)
        assert await device.snapshot() is early
        assert await device.snapshot() is not early  # kept for the first read only

        device_module._EARLY_READ[store.path] = (early, store.commits)
        store.save_entry(make_entry(), today=date(2026, 3, 20))
        after_save = await device.snapshot()
        assert after_save is not early
        assert len(after_save.entries) == 1
        await device.close()

    asyncio.run(scenario())
