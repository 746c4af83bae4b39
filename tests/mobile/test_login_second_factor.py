"""Signing in to the app with a second factor, against the real server on loopback.

An office user enrols through the API (as the office's security screen does),
then signs in through sync.client.login and through the controller's form:
without a code, with a wrong one, with the right one and with a recovery code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mobile.controller import Controller, MemoryPrefs
from mobile.device import DeviceRegistry
from mobile.office.api import ApiError, OfficeApi
from mobile.state import AppState
from mobile.state.login import LoginForm
from server.services import totp
from sync.client import CODE_REQUIRED, CODE_WRONG, LoginError, LoginRefusal, login
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("login-second-factor")) as live:
        yield live


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "device"))
    return tmp_path / "device"


@dataclass(frozen=True)
class Enrolled:
    username: str
    secret: str
    step: int  # the step whose code turned the factor on (the server will not take it again)
    recovery_codes: list[str]

    def next_code(self) -> str:
        """A code the server takes: the step after enrolment, within its one-step drift."""
        return totp.code_at(self.secret, self.step + 1)

    def wrong_code(self) -> str:
        near = {totp.code_at(self.secret, s) for s in range(self.step - 3, self.step + 4)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def enrol(server: LiveServer, role: str = "coordinator") -> Enrolled:
    """A new office user who turns on the second factor through the API."""
    username = f"{role[:5]}{secrets.token_hex(3)}"
    server.add_user(username, role)
    token = server.login(username)
    setup = server.api("POST", "/api/v1/auth/totp/setup", token=token, expect=200).json()
    step = totp.step_of(time.time())
    enabled = server.api(
        "POST",
        "/api/v1/auth/totp/enable",
        token=token,
        json={"code": totp.code_at(setup["secret"], step)},
        expect=200,
    ).json()
    return Enrolled(username, setup["secret"], step, enabled["recovery_codes"])


async def sign_in_form(server: LiveServer, user: Enrolled) -> tuple[Controller, LoginForm]:
    """A fresh app on the server's sign-in screen, username and password typed."""
    ctl = Controller(
        AppState(),
        MemoryPrefs(),
        web=True,
        default_server=server.base_url,
        registry=DeviceRegistry(),
    )
    await ctl.boot()
    form = ctl.login_form()
    form.username, form.password = user.username, DEFAULT_PASSWORD
    return ctl, form


def run(coroutine: Any) -> Any:
    # A thread of its own: Playwright's sync API (tests/e2e, same session) keeps
    # an event loop running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def refusal(coroutine: Any) -> LoginError:
    with pytest.raises(LoginError) as caught:
        run(coroutine)
    return caught.value


def test_the_client_tells_a_wrong_password_from_a_missing_code(server: LiveServer) -> None:
    # A wrong password or code counts in the server's throttle (three free tries per
    # user and address; a missing code does not count), so each test stays within three.
    user = enrol(server)
    url = server.base_url

    wrong_password = refusal(login(url, user.username, "feil-passord-1"))
    assert wrong_password.refusal is LoginRefusal.credentials
    assert str(wrong_password) == "Feil brukernavn eller passord."
    # A code does not rescue a wrong password.
    with_code = refusal(login(url, user.username, "feil-passord-1", otp=user.next_code()))
    assert with_code.refusal is LoginRefusal.credentials
    # Blank is no code.
    blank = refusal(login(url, user.username, DEFAULT_PASSWORD, otp="  "))
    assert (blank.refusal, str(blank)) == (LoginRefusal.code_required, CODE_REQUIRED)


def test_the_client_sends_the_code_and_tells_a_wrong_one(server: LiveServer) -> None:
    user = enrol(server)
    url = server.base_url

    missing = refusal(login(url, user.username, DEFAULT_PASSWORD))
    assert (missing.refusal, str(missing)) == (LoginRefusal.code_required, CODE_REQUIRED)

    wrong = refusal(login(url, user.username, DEFAULT_PASSWORD, otp=user.wrong_code()))
    assert (wrong.refusal, str(wrong)) == (LoginRefusal.code_wrong, CODE_WRONG)

    code = user.next_code()
    session = run(login(url, user.username, DEFAULT_PASSWORD, otp=f"{code[:3]} {code[3:]}"))
    assert session.role == "coordinator"
    # The same code a second time is a replay.
    replay = refusal(login(url, user.username, DEFAULT_PASSWORD, otp=code))
    assert replay.refusal is LoginRefusal.code_wrong


def test_the_client_signs_in_with_a_recovery_code_once(server: LiveServer) -> None:
    user = enrol(server)
    recovery = user.recovery_codes[0].upper()  # as someone might copy it from paper
    session = run(login(server.base_url, user.username, DEFAULT_PASSWORD, otp=recovery))
    assert session.role == "coordinator"
    again = refusal(login(server.base_url, user.username, DEFAULT_PASSWORD, otp=recovery))
    assert again.refusal is LoginRefusal.code_wrong


def test_the_form_asks_for_the_code_and_keeps_what_was_typed(server: LiveServer) -> None:
    user = enrol(server)

    async def scenario() -> None:
        ctl, form = await sign_in_form(server, user)
        assert not form.otp_needed

        assert not await ctl.login(form)
        assert form.error == "Skriv inn koden fra autentiseringsappen."
        assert form.otp_needed
        assert (form.username, form.password) == (user.username, DEFAULT_PASSWORD)
        assert ctl.state.phase == "login"

        # Sent again with the field still empty: the form says so without asking the server.
        assert not await ctl.login(form)
        assert form.error == "Skriv inn koden fra autentiseringsappen."

        form.otp = user.wrong_code()
        assert not await ctl.login(form)
        assert form.error == "Koden stemmer ikke. Prøv igjen, eller bruk en reservekode."
        assert form.otp == ""  # cleared for the next try
        assert (form.username, form.password) == (user.username, DEFAULT_PASSWORD)

        form.otp = user.next_code()
        assert await ctl.login(form), form.error
        assert ctl.state.account is not None
        assert ctl.state.account.role == "coordinator"
        assert (form.password, form.otp, form.error) == ("", "", None)

    run(scenario())


def test_a_recovery_code_in_the_form(server: LiveServer) -> None:
    user = enrol(server)

    async def scenario() -> None:
        ctl, form = await sign_in_form(server, user)
        assert not await ctl.login(form)
        form.recovery = True
        assert not await ctl.login(form)
        assert form.error == "Skriv inn en reservekode."
        form.otp = user.recovery_codes[1]
        assert await ctl.login(form), form.error

    run(scenario())


def test_signing_in_again_asks_for_the_code_too(server: LiveServer) -> None:
    """The sync screen's sign-in-again is the same form: password, then the code."""
    user = enrol(server)

    async def scenario() -> None:
        ctl, form = await sign_in_form(server, user)
        assert not await ctl.login(form)  # the server asks for the code
        form.otp = user.next_code()
        assert await ctl.login(form), form.error
        assert not form.otp_needed  # the next sign-in asks the server first
        expired = ctl.token
        assert expired is not None
        assert ctl.device is not None
        server.api("POST", "/api/v1/auth/logout", token=expired)  # revoked elsewhere

        again = ctl.relogin_form()
        assert (again.server_url, again.username) == (server.base_url, user.username)
        again.password = DEFAULT_PASSWORD
        assert not await ctl.relogin(again)
        assert (again.error, again.otp_needed) == (CODE_REQUIRED, True)
        assert again.password == DEFAULT_PASSWORD  # kept for the next try
        assert ctl.relogin_form() is again  # the screen finds what was typed

        again.otp = user.wrong_code()
        assert not await ctl.relogin(again)
        assert (again.error, again.otp) == (CODE_WRONG, "")

        again.otp = user.recovery_codes[2]
        assert await ctl.relogin(again), again.error
        assert (again.password, again.otp, again.error) == ("", "", None)
        assert ctl.token not in (None, expired)
        # The new token is the device's own now, and the server takes it.
        stored = ctl.device.store.account()
        assert stored is not None
        assert stored.token == ctl.token
        assert server.api("GET", "/api/v1/me", token=ctl.token, expect=200).json()["username"] == (
            user.username
        )

    run(scenario())


def test_the_office_signs_in_when_the_admin_requires_the_code(server: LiveServer) -> None:
    """Both ways into the office: the sign-in screen (the controller's form, whose
    token the office's screens use) and OfficeApi.login, with the code."""
    admin = enrol(server, "admin")
    admin_token = run(
        login(server.base_url, admin.username, DEFAULT_PASSWORD, otp=admin.next_code())
    ).token
    policy = "/api/v1/admin/security"
    server.api("PUT", policy, token=admin_token, json={"require_totp_for_office": True}, expect=200)
    try:
        user = enrol(server)

        async def scenario() -> None:
            ctl, form = await sign_in_form(server, user)
            assert not await ctl.login(form)
            assert form.error == CODE_REQUIRED
            form.otp = user.next_code()
            assert await ctl.login(form), form.error
            assert ctl.token is not None
            # The office's screens make their client from the session's token (mobile/hooks).
            desk = OfficeApi(server.base_url, ctl.token)
            status = await desk.totp_status()
            assert (status.enabled, status.required) == (True, True)
            await desk.contacts_page()  # an ApiError (403) for want of the factor otherwise
            await desk.close()

            api = OfficeApi(server.base_url)
            with pytest.raises(ApiError) as refused:
                await api.login(user.username, DEFAULT_PASSWORD)
            assert refused.value.status == 401
            assert [e.code for e in refused.value.errors] == ["totp_required"]
            answer = await api.login(user.username, DEFAULT_PASSWORD, otp=user.recovery_codes[0])
            assert answer.role.value == "coordinator"
            assert api.token == answer.token
            await api.contacts_page()  # an ApiError (403) for want of the factor otherwise
            await api.close()

        run(scenario())
    finally:
        server.api(
            "PUT", policy, token=admin_token, json={"require_totp_for_office": False}, expect=200
        )


def test_the_code_step_belongs_to_the_username_it_was_asked_of(server: LiveServer) -> None:
    """A shared phone: the form asked one person for a code; the next person, with no
    second factor, signs in with the password alone (the browser suite met this)."""
    user = enrol(server)
    other = f"utenkode{secrets.token_hex(3)}"
    server.add_user(other, "payroll")

    async def scenario() -> None:
        ctl, form = await sign_in_form(server, user)
        assert not await ctl.login(form)
        assert form.otp_needed
        form.username = f" {user.username.upper()}"  # the same person, typed otherwise
        assert form.otp_needed
        form.username = other
        assert not form.otp_needed
        assert form.problem() is None
        assert await ctl.login(form), form.error
        assert ctl.state.account is not None
        assert ctl.state.account.username == other
        # Signing out leaves the next person an empty form (only the server stays).
        await ctl.logout()
        assert ctl.login_form() is form
        assert (form.username, form.password, form.otp, form.error) == ("", "", "", None)
        assert not form.otp_needed
        assert form.server_url == server.base_url

    run(scenario())
