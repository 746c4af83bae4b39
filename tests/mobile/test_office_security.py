"""The office's TOTP enrolment desk, and the admin's switch that requires it of office
roles ("Krev totrinnsinnlogging for kontorbrukere" in Innstillinger, SPEC §4 Access),
step by step against the real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.audit import AuditLog, audit_text
from mobile.office.state.policy import OWN_FACTOR_FIRST, TURNED_OFF, TURNED_ON, PolicyDesk
from mobile.office.state.security import (
    CODE_FORMAT,
    SecurityDesk,
    Step,
    clean_code,
    grouped_secret,
)
from server.services import totp
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("security")) as live:
        live.add_user("koord", "coordinator")
        yield live


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coro).result()


def test_a_typed_code_is_six_digits_with_spaces_allowed() -> None:
    assert clean_code(" 123 456 ") == "123456"
    assert clean_code("12345") is None
    assert clean_code("12345a") is None
    assert clean_code("1234567") is None
    assert grouped_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_a_coordinator_turns_on_the_second_factor(server: LiveServer) -> None:
    async def scenario() -> None:
        api = OfficeApi(server.base_url)
        await api.login("koord", DEFAULT_PASSWORD)
        desk = SecurityDesk()
        await desk.load(api)
        assert (desk.step, desk.required, desk.error) == (Step.off, False, None)

        await desk.start(api)
        assert desk.step is Step.scanning
        assert desk.setup is not None
        secret = desk.setup.secret
        assert desk.qr_png is not None
        assert desk.qr_png.startswith(b"\x89PNG\r\n\x1a\n")

        desk.code = "12345"
        assert not await desk.confirm(api)
        assert desk.code_error == CODE_FORMAT
        assert desk.step is Step.scanning

        now = totp.step_of(time.time())
        near = {totp.code_at(secret, step) for step in range(now - 2, now + 3)}
        wrong = next(code for code in ("000000", "111111", "222222") if code not in near)
        desk.code = wrong
        assert not await desk.confirm(api)
        assert desk.code_error is not None
        assert desk.code_error.startswith("Koden stemmer ikke")

        code = totp.code_at(secret, totp.step_of(time.time()))
        desk.code = f"{code[:3]} {code[3:]}"  # as the app shows it
        assert await desk.confirm(api)
        assert desk.step is Step.codes
        assert desk.setup is None  # the key is not shown again
        assert len(set(desk.recovery_codes)) == totp.RECOVERY_CODES
        assert desk.code_error is None

        desk.codes_written_down()
        assert (desk.step, desk.recovery_codes) == (Step.on, [])

        again = SecurityDesk()
        await again.load(api)
        assert again.step is Step.on
        await api.close()

        # It is real: the password alone no longer signs in.
        fresh = OfficeApi(server.base_url)
        with pytest.raises(ApiError) as refused:
            await fresh.login("koord", DEFAULT_PASSWORD)
        assert refused.value.status == 401
        await fresh.close()

    run(scenario())


def required_on_the_server(server: LiveServer, token: str) -> bool:
    answer = server.api("GET", "/api/v1/admin/security", token=token, expect=200).json()
    return bool(answer["require_totp_for_office"])


def test_the_admin_switches_the_requirement_on_and_off(server: LiveServer) -> None:
    async def scenario() -> None:
        server.add_user("sjef", "admin")
        server.add_user("nykoord", "coordinator")  # one with no second factor
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
        await coordinator.login("nykoord", DEFAULT_PASSWORD)
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

        # The audit log says it in words.
        log = AuditLog(object_type="security_settings")
        await log.load(api)
        assert [audit_text(e) for e in log.events] == [
            "Admin endret kravet om totrinnsinnlogging"
        ] * 2
        log = AuditLog(object_type="user")
        await log.load(api)
        said = {audit_text(e) for e in log.events}
        assert "Admin slo på totrinnsinnlogging for bruker" in said
        await api.close()

    run(scenario())
