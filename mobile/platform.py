"""What the app needs from where it runs: a phone or desktop build, or a browser tab.

Chosen once, at start-up (`sync.runtime.IN_BROWSER`); the rest of mobile/ asks
this module and never checks the platform itself.

In the browser (Pyodide inside flet-web's Python worker):
- the device store keeps its documents in IndexedDB (sync.browser_storage,
  chosen in mobile.device); a save awaits `store.flush()` before "Lagret";
- store calls run inline (`blocking`): there are no threads;
- one tab of the app at a time holds the store (a Web Lock); another tab says
  the app is open elsewhere instead of writing over the first one's saves;
- the server is the page's own origin, so the sign-in form needs no address.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from sync.runtime import IN_BROWSER, blocking

__all__ = [
    "IN_BROWSER",
    "blocking",
    "default_server",
    "mark",
    "take_device_lock",
    "try_device_lock",
]

log = logging.getLogger(__name__)

LOCK_NAME = "timeliste-device"


class _Browser:
    """What this tab holds in the browser."""

    lock_release: Any = None  # resolves the Web Lock's promise: lets another tab in


def mark(step: str) -> None:
    """Note a step of the app's start in the browser's console (debug level), with
    the time since the page began, as webapp/python-worker.js does for its own
    steps; bench/bench_app.py reads them. Natively: nothing."""
    if IN_BROWSER:
        from js import console, performance

        console.debug(f"timeliste: {step} at {round(performance.timeOrigin + performance.now())}")


def default_server() -> str:
    """The server address the sign-in form starts with: the page's origin in a browser."""
    if IN_BROWSER:
        from js import location

        return str(location.origin)
    return os.environ.get("TIMELISTE_SERVER_URL", "")


async def try_device_lock() -> bool:
    """Take the store's Web Lock now if no other tab holds it; True if this tab holds it.

    Used before the page's session starts (webapp/browser_main.py), so that the
    store can be read while Flutter loads: what is read under the lock stays
    true, because no other tab writes while this one holds it. When another tab
    (or the page before a reload) still has it, this returns False at once and
    `take_device_lock` waits as before. Natively: True (one process, no tabs).
    """
    if not IN_BROWSER or _Browser.lock_release is not None:
        return True
    from js import Object, Promise, navigator
    from pyodide.ffi import create_once_callable, jsnull, to_js

    locks = getattr(navigator, "locks", None)
    if locks is None:
        return False
    answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def hold(resolve: Any, _reject: Any) -> None:
        _Browser.lock_release = resolve

    def with_lock(lock: Any) -> Any:
        if lock is None or lock is jsnull:  # another tab has it (JS null is not None)
            answered.set_result(False)
            return None
        answered.set_result(True)
        return Promise.new(create_once_callable(hold))

    options = to_js({"ifAvailable": True}, dict_converter=Object.fromEntries)
    locks.request(LOCK_NAME, options, create_once_callable(with_lock))
    return await answered


async def take_device_lock(waiting: Callable[[], None], patience: float = 3.0) -> None:
    """Return once this tab holds the store: at once natively, or when no other tab has it.

    A reload or a new page in the same tab starts a new Python while the old one
    may still hold the lock for a moment, so this waits `patience` seconds
    before calling `waiting()` (the app then says it is open in another tab),
    and goes on waiting: when the other tab closes, this one takes over.
    The lock is held until the tab closes (the browser lets go of it then).
    """
    if not IN_BROWSER or _Browser.lock_release is not None:
        return
    from js import Promise, navigator
    from pyodide.ffi import create_once_callable, create_proxy

    locks = getattr(navigator, "locks", None)
    if locks is None:  # no Web Locks (an insecure origin): nothing to coordinate with
        return
    granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def hold(resolve: Any, _reject: Any) -> None:
        _Browser.lock_release = resolve

    def with_lock(_lock: Any) -> Any:
        if not granted.done():
            granted.set_result(None)
        # The lock lasts as long as this promise is pending.
        return Promise.new(create_once_callable(hold))

    locks.request(LOCK_NAME, create_proxy(with_lock))
    try:
        await asyncio.wait_for(asyncio.shield(granted), patience)
    except TimeoutError:
        waiting()
        await granted
