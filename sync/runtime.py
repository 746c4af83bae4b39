"""Where the sync code runs: a native Python with threads, or Pyodide in a browser.

One question, asked once: `IN_BROWSER`. Everything that differs between the two
goes through this module or `sync.transport`, so the rest of sync/ and mobile/
has a single code path.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

IN_BROWSER = sys.platform == "emscripten"

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
