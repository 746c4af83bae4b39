"""The start page's list of expiring vedtak against the real server on loopback."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from mobile import fmt
from mobile.office.api import OfficeApi
from mobile.office.state.expiring import ExpiringDesk, expiring_text, next_text
from models.clock import today_in_oslo
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

_n = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("expiring")) as live:
        live.add_user("koord", "coordinator")
        yield live


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coro).result()


def _vedtak(server: LiveServer, ends_in: int) -> str:
    token = server.login("koord")
    n = next(_n)
    recipient = server.api(
        "POST",
        "/api/v1/recipients",
        token=token,
        json={"name": f"Ola Mottaker{n}", "case_no": f"2026/U{n:04d}"},
        expect=201,
    ).json()
    ends = today_in_oslo() + timedelta(days=ends_in)
    server.api(
        "POST",
        "/api/v1/decisions",
        token=token,
        json={
            "recipient_id": recipient["id"],
            "kind": "individual",
            "hours": "6",
            "per": "week",
            "valid_from": (ends - timedelta(days=100)).isoformat(),
            "valid_to": ends.isoformat(),
        },
        expect=201,
    )
    return f"2026/U{n:04d}"


def test_the_list_shows_end_dates_and_registers_the_next_vedtak_in_one_step(
    server: LiveServer,
) -> None:
    soon = _vedtak(server, 1)
    edited = _vedtak(server, 20)

    async def scenario() -> None:
        api = OfficeApi(server.base_url)
        await api.login("koord", DEFAULT_PASSWORD)
        desk = ExpiringDesk()
        await desk.load(api)
        assert desk.days == 30
        assert [d.case_no for d in desk.decisions] == [soon, edited]
        first = desk.decisions[0]
        ends = today_in_oslo() + timedelta(days=1)
        assert expiring_text(first) == (
            f"{first.recipient_name} ({soon}): vedtaket går ut {fmt.day(ends)}, i morgen"
        )
        assert next_text(first).startswith(f"Neste vedtak: {fmt.day(ends + timedelta(days=1))}–")
        assert next_text(first).endswith("6 timer per uke")

        assert await desk.follow_on(api, first)  # one press, the pre-filled terms
        assert [d.case_no for d in desk.decisions] == [edited]
        assert soon in (desk.notice or "")

        second = desk.decisions[0]
        desk.edit(second)
        desk.form["valid_to"] = "01.01.2000"
        assert not await desk.follow_on(api, second)
        assert "slutte samme dag som eller etter" in (desk.error or "")
        assert desk.decisions == [second]  # nothing lost
        until = today_in_oslo() + timedelta(days=200)
        desk.form["valid_to"] = fmt.day(until)
        desk.form["hours"] = "4,5"
        assert await desk.follow_on(api, second)
        assert desk.decisions == []
        assert fmt.day(until) in (desk.notice or "")
        await api.close()

    run(scenario())
