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
