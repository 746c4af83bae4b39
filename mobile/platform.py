"""What the app needs from where it runs: a phone or desktop build, or a browser tab.

Chosen once, at start-up (`sync.runtime.IN_BROWSER`); the rest of mobile/ asks
this module and never checks the platform itself.

In the browser (Pyodide inside flet-web's Python worker):
- the device store's folder is `/data`, an IDBFS mount: its files live in the
  browser's IndexedDB, loaded once at start (`prepare`) and written back after
  every save (`persist`), which a save awaits before it says "Lagret";
- one tab of the app at a time holds the store (a Web Lock); another tab says
  the app is open elsewhere instead of writing over the first one's saves;
- the server is the page's own origin, so the sign-in form needs no address.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from sync.runtime import IN_BROWSER, blocking

__all__ = [
    "IN_BROWSER",
    "blocking",
    "default_server",
    "persist",
    "prepare",
    "take_device_lock",
]

log = logging.getLogger(__name__)

DATA = "/data"
LOCK_NAME = "timeliste-device"


class _Browser:
    """The browser's handles, made in `prepare()`."""

    prepared = False
    persisting: asyncio.Lock | None = None
    lock_release: Any = None  # resolves the Web Lock's promise: lets another tab in


def default_server() -> str:
    """The server address the sign-in form starts with: the page's origin in a browser."""
    if IN_BROWSER:
        from js import location

        return str(location.origin)
    return os.environ.get("TIMELISTE_SERVER_URL", "")


async def _syncfs(populate: bool) -> None:
    """FS.syncfs: `populate` loads IndexedDB into memory, otherwise memory goes to IndexedDB."""
    import pyodide_js
    from pyodide.ffi import create_once_callable

    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finished(error: Any = None) -> None:
        if done.done():
            return
        if error:
            done.set_exception(OSError(f"IndexedDB: {error}"))
        else:
            done.set_result(None)

    pyodide_js.FS.syncfs(populate, create_once_callable(finished))
    await done


async def prepare() -> None:
    """Make the store's folder durable before the app opens anything (browser only)."""
    if not IN_BROWSER or _Browser.prepared:
        return
    import pyodide_js
    from js import Object
    from pyodide.ffi import to_js

    fs = pyodide_js.FS
    os.makedirs(DATA, exist_ok=True)
    fs.mount(fs.filesystems.IDBFS, to_js({}, dict_converter=Object.fromEntries), DATA)
    _Browser.persisting = asyncio.Lock()
    await _syncfs(populate=True)
    os.environ["FLET_APP_STORAGE_DATA"] = DATA
    _Browser.prepared = True


async def persist() -> None:
    """Returns when every file of the store is in IndexedDB (at once when not a browser)."""
    if not IN_BROWSER or not _Browser.prepared or _Browser.persisting is None:
        return
    # One sync at a time: two overlapping syncfs calls interleave their writes.
    async with _Browser.persisting:
        await _syncfs(populate=False)


async def take_device_lock() -> bool:
    """True when this tab may use the store; False when another tab of the app holds it.

    The lock is held until the tab closes (the browser lets go of it then), so
    exactly one tab writes to the store at a time. Natively there is one app.
    """
    if not IN_BROWSER:
        return True
    if _Browser.lock_release is not None:
        return True
    from js import Object, Promise, navigator
    from pyodide.ffi import create_once_callable, create_proxy, to_js

    locks = getattr(navigator, "locks", None)
    if locks is None:  # a browser without Web Locks: nothing to coordinate with
        return True
    loop = asyncio.get_running_loop()
    granted: asyncio.Future[bool] = loop.create_future()

    def hold(resolve: Any, _reject: Any) -> None:
        _Browser.lock_release = resolve

    def with_lock(lock: Any) -> Any:
        # No lock: JS null, which Pyodide hands over as None or as its falsy `jsnull`.
        if not lock:
            if not granted.done():
                granted.set_result(False)
            return None
        if not granted.done():
            granted.set_result(True)
        # The lock lasts as long as this promise is pending.
        return Promise.new(create_once_callable(hold))

    options = to_js({"ifAvailable": True}, dict_converter=Object.fromEntries)
    locks.request(LOCK_NAME, options, create_proxy(with_lock))
    return await granted
