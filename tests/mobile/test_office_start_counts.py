"""The start page's counts against the real server on loopback (issue 10, item 8)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mobile.office.api import OfficeApi
from mobile.office.state.home import StartCounts
from tests.e2e.conftest import ContactDevice, seed
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer
from tests.support.office import group_session, run_apart


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("office-start-counts")) as live:
        live.add_user("koord", "coordinator")
        yield live


def test_the_flag_tile_counts_cards_as_the_flags_screen_shows_them(server: LiveServer) -> None:
    # A group of four, each with 2 hours a month, on one 3-hour session: four flags.
    people = {f"Deltaker {n}": ("2", "month") for n in range(4)}
    group = seed(server, people=people, group="telling")
    ContactDevice(server, group).push("entry.upsert", group_session(list(group.decisions.values())))
    open_flags = server.api(
        "GET", "/api/v1/flags", token=group.office_token, params={"status": "open"}, expect=200
    ).json()["count"]

    async def counted() -> tuple[int, str | None]:
        api = OfficeApi(server.base_url)
        await api.login("koord", DEFAULT_PASSWORD)
        counts = StartCounts()
        try:
            await counts.load(api)
        finally:
            await api.close()
        return counts.open_flags, counts.text("/kontor/avvik")

    cards, text = run_apart(counted())
    assert open_flags == 4  # one overuse flag per participant
    assert cards == 1  # one card: the group's overuse in this period
    assert text == "1 åpent avvik"
