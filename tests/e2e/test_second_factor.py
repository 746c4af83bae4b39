"""An office user turns on the second factor in the built app (issue 11): the QR
code and the key are shown, the app's code is typed, the recovery codes are
read once, and from then on the password alone no longer signs in.

A user of its own: the browser suite shares one server, and `koord` must keep
signing in with a password.
"""

from __future__ import annotations

import re
import time

import pytest

from server.services import totp
from tests.e2e.conftest import Phone
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

pytestmark = pytest.mark.e2e


def test_an_office_user_turns_on_the_second_factor(phone: Phone, live_server: LiveServer) -> None:
    live_server.add_user("tofaktor", "payroll")
    phone.login("tofaktor")
    phone.tap("Totrinnsinnlogging")
    phone.click("Slå på totrinnsinnlogging")

    shown = phone.wait_text(r"Nøkkel: [A-Z2-7 ]{20,}")
    assert "QR-kode for autentiseringsappen" in shown
    found = re.search(r"Nøkkel: ([A-Z2-7 ]+)", shown)
    assert found is not None
    secret = found.group(1).replace(" ", "")

    phone.fill("Kode fra appen", "123")
    phone.click("Bekreft og slå på")
    phone.wait_text("Skriv de 6 sifrene")

    code = totp.code_at(secret, totp.step_of(time.time()))
    phone.fill("Kode fra appen", code)
    phone.click("Bekreft og slå på")
    shown = phone.wait_text("Reservekoder")
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", shown)
    assert len(set(codes)) == totp.RECOVERY_CODES, shown

    # The server agrees: the password alone is not enough any more.
    refused = live_server.api(
        "POST",
        "/api/v1/auth/login",
        json={"username": "tofaktor", "password": DEFAULT_PASSWORD},
        expect=401,
    ).json()
    assert refused["errors"][0]["code"] == "totp_required"

    phone.click("Jeg har skrevet dem ned")
    shown = phone.wait_text("Totrinnsinnlogging er slått på for deg")
    assert not re.search(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", shown)  # shown only once


def test_signing_in_with_the_one_time_code(phone: Phone, live_server: LiveServer) -> None:
    """Password, then Engangskode: a wrong code is refused in words, the right one
    opens the office. The factor is turned on through the API (a known key)."""
    username = "kodeinn"
    live_server.add_user(username, "coordinator")
    token = live_server.login(username)
    secret = live_server.api("POST", "/api/v1/auth/totp/setup", token=token, expect=200).json()[
        "secret"
    ]
    enrolled = totp.step_of(time.time())
    live_server.api(
        "POST",
        "/api/v1/auth/totp/enable",
        token=token,
        json={"code": totp.code_at(secret, enrolled)},
        expect=200,
    )
    near = {totp.code_at(secret, s) for s in range(enrolled - 3, enrolled + 40)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)

    phone.fill("Brukernavn", username)
    phone.fill("Passord", DEFAULT_PASSWORD)
    phone.click("Logg inn")
    phone.wait_text("Skriv inn koden fra autentiseringsappen")

    phone.fill("Engangskode", wrong)
    phone.click("Logg inn")
    phone.wait_text("Koden stemmer ikke. Prøv igjen, eller bruk en reservekode.")
    assert "Kontor" not in phone.text()
    # The wrong code is gone from the field (the form holds none any more).
    phone.wait_for(
        lambda: phone.textbox("Engangskode").input_value() == "", "the code field emptied"
    )

    # The code of now; the enrolment's own step is used up (a replay).
    step = max(totp.step_of(time.time()), enrolled + 1)
    phone.fill("Engangskode", totp.code_at(secret, step))
    phone.click("Logg inn")
    shown = phone.wait_text("Godkjenning")
    assert "Engangskode" not in shown
    assert "Totrinnsinnlogging" in shown  # the office's start page, with its screens


def test_the_admin_requires_the_second_factor_in_the_settings(
    phone: Phone, live_server: LiveServer
) -> None:
    """The switch in Innstillinger: refused in words while the admin has no factor of
    their own, then on. The browser suite shares its server: it is turned off again."""
    live_server.add_user("sjefen", "admin")
    token = live_server.login("sjefen")  # kept: a password alone will not do later
    policy = "/api/v1/admin/security"
    phone.login("sjefen")
    try:
        phone.go("/innstillinger")
        phone.wait_text("Støttekontaktene logger inn som før")
        switch = phone.page.get_by_role("switch", name=re.compile("^Krev totrinnsinnlogging"))
        switch.click()
        phone.wait_text("Du må slå på totrinnsinnlogging for deg selv før du kan kreve det")
        phone.wait_for(
            lambda: switch.get_attribute("aria-checked") == "false", "the switch back off"
        )
        required = live_server.api("GET", policy, token=token, expect=200).json()
        assert required == {"require_totp_for_office": False}

        # The admin turns on their own factor (here through the API) and comes back.
        secret = live_server.api("POST", "/api/v1/auth/totp/setup", token=token, expect=200).json()[
            "secret"
        ]
        code = totp.code_at(secret, totp.step_of(time.time()))
        live_server.api(
            "POST", "/api/v1/auth/totp/enable", token=token, json={"code": code}, expect=200
        )
        phone.go("/kontor")
        phone.wait_text("Revisjonslogg")
        phone.go("/innstillinger")
        phone.wait_text("Støttekontaktene logger inn som før")
        switch.click()
        phone.wait_text("Totrinnsinnlogging kreves nå for koordinatorer, lønn og administratorer")
        required = live_server.api("GET", policy, token=token, expect=200).json()
        assert required == {"require_totp_for_office": True}
    finally:
        live_server.api(
            "PUT", policy, token=token, json={"require_totp_for_office": False}, expect=200
        )
