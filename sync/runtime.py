"""Where the sync code runs: a native Python with threads, or Pyodide in a browser.

One question, asked once: `IN_BROWSER`. Everything that differs between the two
goes through this module or `sync.transport`, so the rest of sync/ and mobile/
has a single code path.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

IN_BROWSER = sys.platform == "emscripten"

# Raised on the app worker's global scope by webapp/python-worker.js when the
# page hears the window's `online`/`offline` event; `detail` is navigator.onLine.
NETWORK_EVENT = "timeliste-network"

P = ParamSpec("P")
R = TypeVar("R")


async def blocking(function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a store call without blocking the UI: a worker thread natively, inline in Pyodide.

    Pyodide has no threads; there the store's calls are short (memory, then
    IndexedDB asynchronously) and run on the event loop itself.
    """
    if IN_BROWSER:
        return function(*args, **kwargs)
    return await asyncio.to_thread(function, *args, **kwargs)


def watch_network(changed: Callable[[bool], None]) -> Callable[[], None]:
    """Call `changed(online)` each time the browser goes offline or comes back online.

    Only a browser says so; natively this never calls (the sync loop's retries
    find the network). Returns the function that stops the watching.
    """
    if not IN_BROWSER:
        return lambda: None
    import js
    from pyodide.ffi import create_proxy

    def heard(event: Any) -> None:
        changed(bool(event.detail))

    listener = create_proxy(heard)
    js.addEventListener(NETWORK_EVENT, listener)

    def stop() -> None:
        js.removeEventListener(NETWORK_EVENT, listener)
        listener.destroy()

    return stop
