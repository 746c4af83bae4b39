"""The app's hands on sync/: the device store and the sync client, without blocking the UI.

Every store call goes through `mobile.platform.blocking` (a thread natively,
where the store fsyncs; inline in the browser, which has no threads), and a
write returns only once `store.flush()` says it is durable (at once natively;
in a browser when IndexedDB has committed it). One
`Device` per signed-in account file; in web mode several tabs of one browser
share it through `DeviceRegistry`, because a store file may be opened by
only one `DeviceStore` per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from mobile.platform import IN_BROWSER, blocking
from mobile.state.common import Snapshot
from models.clock import today_in_oslo
from models.quota import PeriodUsage
from models.rules import Problem
from models.schemas import EntryData, SignatureCreate
from sync.client import Session, SyncClient, SyncState, SyncStatus
from sync.store import DeviceStore, LocalEntry, LocalSignature, app_data_folder, store_path
from sync.transport import default_transport

log = logging.getLogger(__name__)

# A sync that failed (offline, server away) is tried again after 3 s, then 6, 12,
# 24 and from then on every 30 s, until one succeeds; a save or the browser
# coming back online tries at once and starts again from 3 s. Every attempt
# re-reads the store and redraws the screen, so a phone offline all day in a
# basement retried every 3 s spent its battery and redrew under the contact's
# typing for nothing; natively (no online event) a phone back in coverage
# still sends within 30 s, the pull interval.
RETRY_SECONDS = float(os.environ.get("TIMELISTE_APP_RETRY_SECONDS", "3"))
PULL_SECONDS = float(os.environ.get("TIMELISTE_APP_PULL_SECONDS", "30"))
RETRY_MAX_SECONDS = max(RETRY_SECONDS, PULL_SECONDS)


def retry_pause(failures: int) -> float:
    """How long the sync loop waits after `failures` failed attempts in a row."""
    if failures <= 0:
        return PULL_SECONDS
    return float(min(RETRY_SECONDS * 2 ** min(failures - 1, 16), RETRY_MAX_SECONDS))


def data_folder(browser_key: str | None = None) -> Path:
    """Where store files live: Flet's app data folder; a sub-folder per browser in web mode."""
    folder = app_data_folder()
    if browser_key:
        # The key is random and secret to the browser; hash it so the folder name
        # cannot be turned back into it.
        digest = hashlib.sha256(browser_key.encode()).hexdigest()[:24]
        folder = folder / "web" / digest
    return folder


def read_snapshot(store: DeviceStore, today: date | None = None) -> Snapshot:
    """Everything the screens show, in one blocking read (run it in a thread)."""
    decisions = tuple(store.decisions())
    usage: dict[str, tuple[PeriodUsage, ...]] = {d.id: tuple(store.usage(d.id)) for d in decisions}
    return Snapshot(
        decisions=decisions,
        recipients=store.recipients(),
        usage=usage,
        entries=tuple(store.entries()),
        timesheets=tuple(store.timesheets()),
        flags=tuple(store.flags()),
        signatures=tuple(store.signatures()),
        rejected=tuple(store.rejected()),
        pending=store.pending_count(),
        attention=store.attention_count(),
        contact_id=store.contact_id(),
        contact_name=store.contact_name(),
        cutoff_day=store.pay_cutoff_day(),
    )


class Device:
    """One account's store and sync client, shared by the app sessions that show it."""

    def __init__(self, store: DeviceStore, server_url: str, token: str) -> None:
        self.store = store
        self.server_url = server_url.rstrip("/")
        # Few quick attempts: the app retries on its own loop and must say "offline" soon.
        self.client = SyncClient(store, self.server_url, token, max_attempts=2, backoff_cap=1.0)
        self._listeners: list[Callable[[], None]] = []
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._failures = 0  # failed syncs in a row (see retry_pause)
        self._tasks: set[asyncio.Task[None]] = set()
        self.users = 0

    # reading ----------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        kept = _EARLY_READ.pop(self.store.path, None)
        if kept is not None and kept[1] == self.store.commits:
            return kept[0]  # read by open_early, and nothing saved since
        return await blocking(read_snapshot, self.store)

    @property
    def status(self) -> SyncStatus:
        return self.client.status

    def subscribe_status(self, listener: Callable[[SyncStatus], None]) -> Callable[[], None]:
        return self.client.subscribe(listener)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """`listener` runs after every change of the store's content (save, delete, sync)."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _changed(self, besides: Callable[[], None] | None = None) -> None:
        for listener in list(self._listeners):
            if besides is not None and listener == besides:
                continue
            try:
                listener()
            except Exception:
                log.exception("change listener failed")

    # writing ------------------------------------------------------------------------------

    async def check(self, entry: EntryData) -> list[Any]:
        return await blocking(self.store.check_entry, entry, today=today_in_oslo())

    async def over_quota(self, entry: EntryData) -> list[tuple[str, PeriodUsage]]:
        return await blocking(self.store.over_quota_after, entry)

    async def save_checked(
        self, entry: EntryData, *, anyway: bool, writer: Callable[[], None] | None = None
    ) -> tuple[list[Problem], list[tuple[str, PeriodUsage]], Snapshot | None]:
        """Check (models.rules), look ahead at the quota, save and re-read — in one thread hop.

        Returns (problems, over_quota, snapshot); the entry is saved only when both
        lists are empty (or `anyway` waived the quota), and then the snapshot is set.
        `writer` is the saver's own change listener (see `on_change`): it has the
        snapshot already, so only the other listeners are told.
        """

        def work() -> tuple[list[Problem], list[tuple[str, PeriodUsage]], Snapshot | None]:
            problems = self.store.check_entry(entry, today=today_in_oslo())
            if problems:
                return problems, [], None
            if not anyway:
                over = self.store.over_quota_after(entry)
                if over:
                    return [], over, None
            self.store.save_entry(entry)
            return [], [], read_snapshot(self.store)

        result = await blocking(work)
        if result[2] is not None:
            await self._after_write(writer)
        return result

    async def save(self, entry: EntryData) -> LocalEntry:
        saved = await blocking(self.store.save_entry, entry)
        await self._after_write()
        return saved

    async def delete(self, entry_id: str) -> None:
        await blocking(self.store.delete_entry, entry_id)
        await self._after_write()

    async def discard(self, entry_id: str) -> None:
        await blocking(self.store.discard_rejected, entry_id)
        await self._after_write()

    async def sign(self, signature: SignatureCreate) -> LocalSignature:
        signed = await blocking(self.store.sign_timesheet, signature)
        await self._after_write()
        return signed

    async def _after_write(self, writer: Callable[[], None] | None = None) -> None:
        # "Lagret" only once the save is durable (IndexedDB in a browser).
        await self.store.flush()
        # The writer already holds the new snapshot: tell the others (other tabs of
        # the same browser, the sync chip) without making the writer wait.
        task = asyncio.get_running_loop().create_task(self._announce(writer))
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)
        self.wake()  # send it now if the network is there

    def wake(self) -> None:
        """Sync now (a save, the browser back online), and if that fails, soon again.

        A wake while a sync runs is kept: the loop syncs again right after it,
        so a save made during a sync is not left for the next pause."""
        self._wake.set()

    async def _announce(self, writer: Callable[[], None] | None = None) -> None:
        await self.client.refresh_status()
        # The writer's listener would re-read the whole store and redraw its screen
        # with what it already shows, right while the page draws the saved entry.
        self._changed(besides=writer)

    # syncing ------------------------------------------------------------------------------

    async def sync_now(self) -> SyncStatus:
        status = await self.client.sync()
        await self.store.flush()
        self._changed()
        return status

    def start(self) -> None:
        """Keep syncing in the background: soon after a change, often while offline."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            # Cleared before the sync, not after: a wake during it means "again".
            if self._wake.is_set():
                self._wake.clear()
                self._failures = 0  # woken: a fresh try, retried soon if it fails
            try:
                status = await self.sync_now()
            except Exception:
                log.exception("background sync failed")
                status = self.client.status
            if status.state is SyncState.login:
                return
            if status.waiting or status.state is SyncState.offline:
                self._failures += 1
            else:
                self._failures = 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), retry_pause(self._failures))

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop_task
        await self.client.aclose()
        await blocking(self.store.close)

    async def sign_out(self) -> None:
        """Revoke the token (best effort) and delete everything stored for the account."""
        account = await blocking(self.store.account)
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop_task
        if account is not None and account.token:
            import httpx  # not imported before the app's first screen (sync.transport)

            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(
                    base_url=self.server_url, timeout=5.0, transport=default_transport()
                ) as http:
                    await http.post(
                        "/api/v1/auth/logout",
                        headers={"Authorization": f"Bearer {account.token}"},
                    )
        await self.client.aclose()
        await blocking(self.store.wipe)  # in a browser: its IndexedDB database is deleted


async def remembered_account() -> tuple[str, str] | None:
    """In a browser: the server and username of the one account whose store is kept.

    The app remembers who is signed in with `ft.SharedPreferences`, which in a
    browser is localStorage, and Chromium writes that to disk lazily: a browser
    ended soon after signing in (a phone's system killing it) forgot the account
    while its IndexedDB store, committed before "Lagret" is shown, was there, so
    the app opened on the sign-in screen, offline with the session out of reach.
    Signing out deletes the store, so a store that is left belongs to an account
    still signed in; with several (two people on one phone) the choice is theirs.
    """
    if not IN_BROWSER:
        return None
    from sync.browser_storage import IndexedDBBackend, databases

    names = sorted(name for name in await databases() if name.startswith("timeliste-"))
    if len(names) != 1:
        return None
    store = DeviceStore(await IndexedDBBackend.open(names[0]))
    try:
        account = await blocking(store.account)
    finally:
        await blocking(store.close)
    if account is None or not account.token:
        return None
    return account.server_url, account.username


# The store opened while Flutter loads (`open_early`), by name, until the session takes it.
_EARLY: dict[str, DeviceStore] = {}
# What open_early read from it, with the store's count of saves then, by store path:
# the session's first read (Device.snapshot) is that one while nothing was saved since.
# At 10,000 entries a read is about half a second of a phone's CPU before the home screen.
_EARLY_READ: dict[Path, tuple[Snapshot, int]] = {}


async def open_early() -> None:
    """In a browser, before the page's session starts: open the one account store
    kept on this phone, and read what the home screen shows from it once (the
    session's first `Device.snapshot` is that read when nothing was saved since).

    The app's Python starts while Flutter loads (webapp/browser_main.py); reading
    the store then (IndexedDB, the documents, building the validators the first
    read needs) takes that work off the time between Flutter asking for the app
    and the home screen whenever Python is ready first. Only under the store's
    Web Lock, taken now
    if no other tab has it, so nothing read here can be changed by another tab
    before the session uses it. The session takes the store (`_open_store`) when
    it opens the same account; `close_early` closes one it did not take.
    """
    if not IN_BROWSER or _EARLY:
        return
    from mobile.platform import try_device_lock
    from sync.browser_storage import IndexedDBBackend, databases

    store: DeviceStore | None = None
    try:
        if not await try_device_lock():
            return
        names = sorted(name for name in await databases() if name.startswith("timeliste-"))
        if len(names) != 1:
            return
        store = DeviceStore(await IndexedDBBackend.open(names[0]))
        if store.account() is not None:
            _EARLY_READ[store.path] = (read_snapshot(store), store.commits)
    except Exception:
        # The session opens the store itself, as it did before, and says what is wrong.
        log.warning("could not read the device store early", exc_info=True)
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()
        return
    _EARLY[names[0]] = store


def close_early() -> None:
    """Close a store opened early that the session did not take (another account)."""
    for store in _EARLY.values():
        with contextlib.suppress(Exception):
            store.close()
    _EARLY.clear()
    _EARLY_READ.clear()


async def _open_store(path: Path, *, create: bool) -> DeviceStore | None:
    """The account's store; None when it does not exist and `create` is false."""
    if IN_BROWSER:
        from sync.browser_storage import IndexedDBBackend

        name = str(path)
        early = _EARLY.pop(name, None)
        if early is not None:
            return early
        if not create and not await IndexedDBBackend.exists(name):
            return None
        return DeviceStore(await IndexedDBBackend.open(name))
    if not create and not path.exists():
        return None
    return await blocking(DeviceStore, path)


class DeviceRegistry:
    """Open devices by store path, shared by every app session in this process."""

    def __init__(self) -> None:
        self._devices: dict[Path, Device] = {}
        self._lock = threading.Lock()

    async def open(
        self, folder: Path, server_url: str, username: str, session: Session | None = None
    ) -> Device | None:
        """The device of an account; with `session`, after a fresh login (stores the token).

        Without a session it opens only a store that already holds a token
        (stay signed in); otherwise None.
        """
        path = store_path(folder, server_url, username)
        if IN_BROWSER:
            path = Path(path.stem)  # the account's IndexedDB database is named like its file
        with self._lock:
            device = self._devices.get(path)
        if device is None:
            store = await _open_store(path, create=session is not None)
            if store is None:
                return None
            account = await blocking(store.account)
            token = session.token if session else (account.token if account else None)
            if session is None and (account is None or not account.token):
                await blocking(store.close)
                return None
            # The sync client reads the store's counts as it is made: off the UI loop too.
            device = await blocking(Device, store, server_url, token or "")
            with self._lock:
                self._devices[path] = device
        if session is not None:
            await blocking(
                device.store.set_account,
                server_url=server_url,
                username=username,
                token=session.token,
                role=session.role,
                expires_at=session.expires_at,
            )
            device.client.set_token(session.token)
            await device.store.flush()
        device.users += 1
        return device

    async def release(self, device: Device) -> None:
        device.users -= 1
        if device.users <= 0:
            with self._lock:
                self._devices.pop(device.store.path, None)
            await device.close()

    async def forget(self, device: Device) -> None:
        """Sign out: the account's store is deleted for every session that showed it."""
        with self._lock:
            self._devices.pop(device.store.path, None)
        await device.sign_out()


REGISTRY = DeviceRegistry()
