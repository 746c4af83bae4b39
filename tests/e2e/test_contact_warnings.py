"""What the contact's app says before it saves a session that is probably a mistake,
and how it shows where its changes are (docs/rules.md §3: next day, over 12 h, overlap).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import Phone, seed, server_usage
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_an_end_before_the_start_says_next_day_and_a_long_session_is_confirmed(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("40", "month")})
    phone.login(seeded.username)
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.choose("Ola N.")
    phone.fill("Fra", "16:00")
    phone.fill("Til", "15:00")
    # Said as soon as both times are there, before anything is saved.
    phone.wait_text("til 15:00 neste dag")
    phone.snap("20-entry-next-day")
    phone.click("Lagre")
    phone.wait_text("Økten varer 23 t")
    phone.snap("21-entry-long-confirm")
    phone.click("Avbryt")
    # Nothing saved: the form is still there, and the server has nothing.
    phone.wait_text("Hvem gjaldt økten")
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert all(Decimal(str(p["used_hours"])) == 0 for p in usage["periods"])

    phone.click("Lagre")
    phone.wait_text("Økten varer 23 t")
    phone.click("Lagre likevel")
    phone.wait_text(r"16:00–15:00 neste dag · 23 t")
    phone.wait_text("sendt")
    phone.snap("22-home-next-day")
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert any(Decimal(str(p["used_hours"])) == 23 for p in usage["periods"])


def test_a_short_night_session_says_next_day_without_asking(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("40", "month")})
    phone.login(seeded.username)
    phone.log_session("Ola N.", "22:00", "01:00")
    phone.wait_text(r"22:00–01:00 neste dag · 3 t")
    shown = phone.text()
    assert "Økten varer" not in shown


def test_overlapping_sessions_are_warned_about_before_saving(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(
        live_server, people={"Ola Nordmann": ("40", "month"), "Per Hansen": ("40", "month")}
    )
    phone.login(seeded.username)
    phone.log_session("Ola N.", "10:00", "12:00")
    phone.wait_text(r"Ola N\.: .* 10:00–12:00")
    # The same afternoon, another person: the contact cannot be in two places at once.
    phone.log_session("Per H.", "11:30", "13:00")
    phone.wait_text("Overlapper en annen økt")
    shown = phone.wait_text(r"Ola N\. .*10:00–12:00")
    assert "11:30–13:00" not in shown.split("Overlapper")[0][-200:], shown
    phone.snap("23-entry-overlap-warning")
    phone.click("Avbryt")
    phone.wait_text("Hvem gjaldt økten")
    phone.fill("Fra", "12:00")
    phone.click("Lagre")
    # Back to back is not an overlap: saved without a question.
    phone.wait_text(r"Per H\.: .* 12:00–13:00")
    phone.wait_text("sendt")

    # Saved anyway when the contact says so.
    phone.log_session("Per H.", "12:30", "14:00")
    phone.wait_text("Overlapper en annen økt")
    phone.click("Lagre likevel")
    phone.wait_text(r"Per H\.: .* 12:30–14:00")
