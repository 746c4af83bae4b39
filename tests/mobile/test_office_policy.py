"""The admin's switch "Krev totrinnsinnlogging for kontorbrukere" (Innstillinger),
its desk step by step against the real server (SPEC §4 Access)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.policy import OWN_FACTOR_FIRST, TURNED_OFF, TURNED_ON, PolicyDesk
from mobile.office.state.security import SecurityDesk, Step
from server.services import totp
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("policy")) as live:
        live.add_user("sjef", "admin")
        live.add_user("koord", "coordinator")
        yield live


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coro).result()


def required_on_the_server(server: LiveServer, token: str) -> bool:
    answer = server.api("GET", "/api/v1/admin/security", token=token, expect=200).json()
    return bool(answer["require_totp_for_office"])


def test_the_admin_requires_the_second_factor_of_office_roles(server: LiveServer) -> None:
    async def scenario() -> None:
        api = OfficeApi(server.base_url)
        await api.login("sjef", DEFAULT_PASSWORD)
        assert api.token is not None
        desk = PolicyDesk()
        await desk.load(api)
        assert (desk.loaded, desk.required, desk.own_factor, desk.error) == (
            True,
            False,
            False,
            None,
        )

        # Without a factor of their own: refused in words, before anything is sent.
        assert not await desk.set_required(api, True)
        assert desk.error == OWN_FACTOR_FIRST
        assert (desk.required, desk.done) == (False, None)
        assert not required_on_the_server(server, api.token)

        # Had the desk not known (turned off in another tab), the server's own words.
        desk.own_factor = True
        assert not await desk.set_required(api, True)
        assert desk.error == "Slå på totrinnsinnlogging for deg selv før du krever det av andre."
        assert not desk.required

        # The admin turns on their own factor (the office's Totrinnsinnlogging screen).
        security = SecurityDesk()
        await security.load(api)
        await security.start(api)
        assert security.setup is not None
        security.code = totp.code_at(security.setup.secret, totp.step_of(time.time()))
        assert await security.confirm(api)
        assert security.step is Step.codes

        desk = PolicyDesk()
        await desk.load(api)
        assert (desk.required, desk.own_factor) == (False, True)
        assert await desk.set_required(api, True), desk.error
        assert (desk.required, desk.done, desk.error) == (True, TURNED_ON, None)
        assert required_on_the_server(server, api.token)

        # What it means for a coordinator without a factor: signed in, only to set it up.
        coordinator = OfficeApi(server.base_url)
        await coordinator.login("koord", DEFAULT_PASSWORD)
        with pytest.raises(ApiError) as refused:
            await coordinator.contacts_page()
        assert refused.value.status == 403
        assert "Kontor → Totrinnsinnlogging" in str(refused.value)
        # Only an admin has the switch.
        theirs = PolicyDesk()
        await theirs.load(coordinator)
        assert not theirs.loaded
        assert theirs.error is not None
        await coordinator.close()

        assert await desk.set_required(api, False), desk.error
        assert (desk.required, desk.done) == (False, TURNED_OFF)
        assert not required_on_the_server(server, api.token)
        await api.close()

    run(scenario())
