"""Searched, paged office lists when answers come back out of order (issue 10).

A person turns a page and searches again before the page has come; the
older answer then arrives last. The desks run against the real server on
loopback; only the order in which its answers reach the desk is held back
by a gate in the client's transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from mobile.office.api import OfficeApi
from mobile.office.state.audit import AuditLog
from mobile.office.state.common import Paging
from mobile.office.state.registry import Registry
from tests.factories import entry_id
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer
from tests.support.office import add_recipients, run_apart

MARKER = f"Rekkefolge{entry_id()[-6:]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("office-paging")) as live:
        live.add_user("koord", "coordinator")
        live.add_user("admin", "admin")
        add_recipients(live, live.login("koord"), MARKER, 55)
        yield live


class Gate(httpx.AsyncBaseTransport):
    """The real HTTP transport, holding back the answers to requests `held` picks out."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.held: Callable[[httpx.Request], bool] = lambda _: False
        self.arrived = asyncio.Event()  # a held request has been answered and waits
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.held(request):
            await response.aread()
            self.arrived.set()
            await self.release.wait()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _client(server: LiveServer, gate: Gate) -> OfficeApi:
    api = OfficeApi(server.base_url, transport=gate)
    await api.login("koord", DEFAULT_PASSWORD)
    return api


def _older(query: str, offset: int) -> Callable[[httpx.Request], bool]:
    """The page `offset` of the search `query`: the answer that is to come last."""

    def pick(request: httpx.Request) -> bool:
        params = request.url.params
        return bool(params.get("q") == query and params.get("offset") == str(offset))

    return pick


def test_an_older_page_arriving_last_does_not_overwrite_a_newer_search(
    server: LiveServer,
) -> None:
    async def scenario() -> tuple[list[str], Paging, bool]:
        gate = Gate()
        api = await _client(server, gate)
        registry = Registry()
        try:
            await registry.search(api, MARKER.lower(), with_recipients=True)
            assert registry.recipient_pages.count == 55
            # 'Neste side', whose answers are held back; then a new search, answered at once.
            gate.held = _older(MARKER.lower(), 50)
            turning = asyncio.create_task(
                registry.turn(api, "recipients", True, with_recipients=True)
            )
            await gate.arrived.wait()
            await registry.search(api, f"{MARKER} person 07", with_recipients=True)
            gate.release.set()
            await turning
        finally:
            await api.close()
        names = [r.name for r in registry.recipients]
        return names, registry.recipient_pages, registry.loading

    names, pages, loading = run_apart(scenario())
    assert names == [f"{MARKER} Person 07"]
    assert (pages.query, pages.offset, pages.count) == (f"{MARKER} person 07", 0, 1)
    assert pages.text(len(names)) == "Viser 1–1 av 1"
    assert not loading  # the newer load ended; the older one's end changes nothing


def test_a_paged_desk_keeps_the_newest_search_too(server: LiveServer) -> None:
    """The same for the desks with one list (the audit log stands for flags and approval)."""

    async def scenario() -> tuple[Paging, int, bool]:
        gate = Gate()
        api = OfficeApi(server.base_url, transport=gate)
        await api.login("admin", DEFAULT_PASSWORD)
        log = AuditLog()
        try:
            # The whole log (sign-ins, the recipients made above), held back; then a
            # search that matches nothing, answered at once.
            gate.held = lambda request: "q" not in request.url.params
            older = asyncio.create_task(log.load(api))
            await gate.arrived.wait()
            await log.search(api, "finnes-ikke-i-loggen")
            gate.release.set()
            await older
        finally:
            await api.close()
        return log.paging, len(log.events), log.loaded

    paging, events, loaded = run_apart(scenario())
    assert (paging.query, paging.count, events) == ("finnes-ikke-i-loggen", 0, 0)
    assert loaded
