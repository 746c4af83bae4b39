"""httpx over the browser's `fetch`, for the app running in Pyodide.

Pyodide has no sockets: httpx's own transport fails there with
`NotImplementedError: sock_connect()`. This transport hands each request to
`pyodide.http.pyfetch` and turns the answer back into an `httpx.Response`,
so `SyncClient`, `login()` and the office's API client keep one code path and
see the same exceptions as natively: a fetch that fails is `httpx.ConnectError`,
one that runs out of time `httpx.ReadTimeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import TYPE_CHECKING, Any

from sync.runtime import IN_BROWSER

if TYPE_CHECKING:
    import httpx

# The browser sets these itself (or refuses them) and has already undone any
# content encoding by the time Python sees the body.
_REQUEST_SKIP = {"host", "content-length", "accept-encoding", "connection", "user-agent"}
_RESPONSE_SKIP = {"content-encoding", "content-length", "transfer-encoding"}


# How long a request waits for the app's first screen at most (see first_screen_sent).
FIRST_SCREEN_PATIENCE = 5.0

# Raised on the app worker's global scope by webapp/python-worker.js when the page
# answers PAINT_ASKED: it has drawn a frame since the messages sent before the question.
PAINTED_EVENT = "timeliste-painted"
PAINT_ASKED = "timeliste-paint?"


class _FirstScreen:
    sent: asyncio.Event | None = None
    drawn: asyncio.Future[None] | None = None


def _first_screen() -> asyncio.Event:
    if _FirstScreen.sent is None:
        _FirstScreen.sent = asyncio.Event()
    return _FirstScreen.sent


def first_screen_sent() -> None:
    """The app has sent its first screen: requests may go out once it is drawn.

    Pyodide has one thread, and the phone few cores. The sync that starts when
    the app opens would otherwise take its answer (validating, merging,
    redrawing) while Flutter draws the home screen, and both waited for each
    other's CPU (online opens were 0.3-1 s slower than offline ones at the end,
    on a loaded machine); held until the page has drawn, the screen comes first.
    """
    _first_screen().set()


def _wait_until_drawn() -> asyncio.Future[None]:
    """Asks the page to say when it has drawn the screen sent so far (once)."""
    if _FirstScreen.drawn is None:
        drawn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        _FirstScreen.drawn = drawn
        if IN_BROWSER:
            import js
            from pyodide.ffi import create_once_callable

            def painted(_event: Any) -> None:
                if not drawn.done():
                    drawn.set_result(None)

            js.addEventListener(PAINTED_EVENT, create_once_callable(painted), once=True)
            # After the packets of the first screen: the page answers after its next frame.
            js.postMessage(PAINT_ASKED)
        else:
            drawn.set_result(None)
    return _FirstScreen.drawn


async def _after_first_screen() -> None:
    async def sent_and_drawn() -> None:
        await _first_screen().wait()
        await asyncio.shield(_wait_until_drawn())

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sent_and_drawn(), FIRST_SCREEN_PATIENCE)


async def after_first_screen() -> None:
    """In a browser: wait until the app's first screen is drawn (5 s at most).

    `SyncClient` waits here before it imports httpx for its first request, so
    that the import too (idna, ipaddress, ... a few hundred ms in Pyodide) runs
    after the home screen is drawn, not while Flutter draws it. Natively: at once.
    """
    if IN_BROWSER:
        await _after_first_screen()


def _timeout_ms(request: httpx.Request) -> int | None:
    timeouts = request.extensions.get("timeout") or {}
    values = [v for v in timeouts.values() if isinstance(v, int | float)]
    return int(max(values) * 1000) if values else None


@functools.cache
def _fetch_transport() -> type[httpx.AsyncBaseTransport]:
    """The fetch transport's class, defined on first use: httpx (and what it
    imports: idna, ipaddress, ...) is not imported before the app's first
    screen, only when the first request is made (see first_screen_sent)."""
    import httpx

    class FetchTransport(httpx.AsyncBaseTransport):
        """An httpx transport that sends each request with the browser's fetch."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            from js import AbortSignal
            from pyodide.http import pyfetch

            await _after_first_screen()
            body = await request.aread()
            headers = {
                name: value
                for name, value in request.headers.items()
                if name.lower() not in _REQUEST_SKIP
            }
            options: dict[str, Any] = {
                "method": request.method,
                "headers": headers,
                # API answers are never kept by the browser's HTTP cache.
                "cache": "no-store",
            }
            if body:
                options["body"] = body
            limit = _timeout_ms(request)
            if limit is not None:
                options["signal"] = AbortSignal.timeout(limit)
            try:
                response = await pyfetch(str(request.url), **options)
                content = await response.bytes()
            except Exception as error:
                # TimeoutError from the signal reads "TimeoutError"; anything else
                # (offline, refused, CORS) is a failed connection to the app.
                if "TimeoutError" in f"{type(error).__name__} {error}":
                    raise httpx.ReadTimeout(
                        "the server did not answer in time", request=request
                    ) from None
                raise httpx.ConnectError(
                    "the server could not be reached", request=request
                ) from None
            answer_headers = [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in _RESPONSE_SKIP
            ]
            return httpx.Response(
                response.status, headers=answer_headers, content=content, request=request
            )

    return FetchTransport


def default_transport() -> httpx.AsyncBaseTransport | None:
    """The transport the app's HTTP clients use: fetch in a browser, httpx's own elsewhere."""
    return _fetch_transport()() if IN_BROWSER else None
