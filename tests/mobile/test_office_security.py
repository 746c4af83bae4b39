"""The office's TOTP enrolment desk, step by step against the real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mobile.office.api import ApiError, OfficeApi
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
