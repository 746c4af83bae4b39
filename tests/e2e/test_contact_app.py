"""The contact's app in headless Chromium against a real server.

Each test makes its own contact (and so its own device store and browser
context). Screenshots of each screen at 390×844 go to test-artifacts/e2e/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import AppServer, Phone, seed, server_usage
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def log_session(phone: Phone, person: str, start: str, end: str) -> None:
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.choose(person)
    phone.fill("Fra", start)
    phone.fill("Til", end)
    phone.click("Lagre")


def test_log_in_and_log_a_session_moves_the_meter(
    phone: Phone, live_server: LiveServer, app_server: AppServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.open()
    phone.wait_text("Logg inn")
    phone.screenshot("01-login")
    phone.login(seeded.username)
    phone.wait_text("Brukt 0 t av 10 t")
    phone.wait_text("Synkronisert")
    phone.screenshot("02-home")

    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.choose("Ola N.")
    phone.fill("Fra", "10:00")
    phone.fill("Til", "12:30")
    phone.choose("Tur")
    phone.screenshot("03-entry")
    phone.click("Lagre")
    phone.wait_text("Brukt 2,5 t av 10 t")
    phone.wait_text("7,5 t igjen")
    phone.wait_text(r"Ola N\.: \d\d\.\d\d\.\d{4} 10:00–12:30")
    phone.wait_text("sendt")
    phone.screenshot("04-home-after-entry")

    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert any(Decimal(str(p["used_hours"])) == Decimal("2.5") for p in usage["periods"])


def test_validation_speaks_plain_norwegian(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.open()
    phone.login(seeded.username)
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.fill("Fra", "25:00")
    phone.click("Lagre")
    phone.wait_text("Skriv klokkeslett som TT:MM")
    phone.wait_text("Se over feltene som er merket")
    phone.screenshot("05-entry-errors")
