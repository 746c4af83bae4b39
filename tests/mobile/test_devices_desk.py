"""The start page's list of phones that need a look, against the real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mobile import fmt
from mobile.office.api import OfficeApi
from mobile.office.state.devices import DevicesDesk, attention_text
from models.clock import OSLO
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("devices")) as live:
        live.add_user("koord", "coordinator")
        yield live


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coro).result()


def test_a_phone_holding_changes_for_a_week_is_listed_in_plain_norwegian(
    server: LiveServer,
) -> None:
    office = server.login("koord")
    server.api(
        "POST",
        "/api/v1/contacts",
        token=office,
        json={
            "username": "stille",
            "password": DEFAULT_PASSWORD,
            "name": "Stine Stille",
            "employee_no": "S1",
            "contract_type": "employee",
        },
        expect=201,
    )
    week_ago = datetime.now(UTC) - timedelta(days=7)
    server.api(
        "GET",
        "/api/v1/sync/pull",
        token=server.login("stille"),
        params={
            "cursor": 0,
            "device_id": "telefon",
            "unsent": 4,
            "oldest_unsent_at": week_ago.isoformat(),
        },
        expect=200,
    )

    async def scenario() -> None:
        api = OfficeApi(server.base_url)
        await api.login("koord", DEFAULT_PASSWORD)
        desk = DevicesDesk()
        await desk.load(api)
        assert (desk.waiting_days, desk.silent_days) == (5, 30)
        (item,) = desk.contacts
        assert attention_text(item) == (
            f"Stine Stille (S1): 4 endringer venter på telefonen, den eldste fra "
            f"{fmt.day(week_ago.astimezone(OSLO).date())}"
        )
        await api.close()

    run(scenario())
