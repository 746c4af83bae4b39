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
from typing import Any

from sync.runtime import IN_BROWSER, blocking

__all__ = [
    "IN_BROWSER",
    "blocking",
    "default_server",
    "take_device_lock",
]

log = logging.getLogger(__name__)

LOCK_NAME = "timeliste-device"


class _Browser:
    """What this tab holds in the browser."""

    lock_release: Any = None  # resolves the Web Lock's promise: lets another tab in


def default_server() -> str:
    """The server address the sign-in form starts with: the page's origin in a browser."""
    if IN_BROWSER:
        from js import location

        return str(location.origin)
    return os.environ.get("TIMELISTE_SERVER_URL", "")


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
