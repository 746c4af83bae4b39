"""Expiring vedtak in a real browser (docs/rules.md §9): the contact's
card says when the vedtak ends, and the coordinator's start page lists it and
registers the next one in one press."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.clock import today_in_oslo
from models.text import date_text
from tests.e2e.conftest import Phone, seed
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def _ending_soon(server: LiveServer, name: str, days: int) -> tuple[str, str]:
    """A contact with one vedtak for `name`, shortened to end in `days` days."""
    seeded = seed(server, people={name: ("8", "month")})
    decision_id = seeded.decisions[name]
    ends = today_in_oslo() + timedelta(days=days)
    server.api(
        "PATCH",
        f"/api/v1/decisions/{decision_id}",
        token=seeded.office_token,
        json={"valid_to": ends.isoformat()},
        expect=200,
    )
    return seeded.username, decision_id


def test_the_contacts_card_says_when_the_vedtak_ends(live_server: LiveServer, phone: Phone) -> None:
    username, _decision = _ending_soon(live_server, "Sondre Utløp", 12)
    phone.login(username)
    ends = today_in_oslo() + timedelta(days=12)
    phone.wait_text("Mine tjenestemottakere")
    shown = phone.wait_text(f"Vedtaket går ut {date_text(ends)}")
    assert "Sondre U." in shown, shown
    # The card is drawn (not only its semantics) before the picture is taken.
    phone.button("Ny økt for Sondre U.").first.wait_for()
    phone.screenshot("contact-card-expiring")


def test_the_start_page_lists_expiring_vedtak_and_registers_the_next_in_one_press(
    live_server: LiveServer, phone: Phone
) -> None:
    _username, decision_id = _ending_soon(live_server, "Hedda Fortsetter", 6)
    ends = today_in_oslo() + timedelta(days=6)
    case_no = live_server.api(
        "GET", f"/api/v1/decisions/{decision_id}", token=live_server.login("koord"), expect=200
    ).json()["case_no"]
    phone.login("koord")
    phone.wait_text("Vedtak som går ut innen 30 dager")
    shown = phone.wait_text(f"Hedda Fortsetter \\({case_no}\\): vedtaket går ut {date_text(ends)}")
    assert f"Neste vedtak: {date_text(ends + timedelta(days=1))}" in shown, shown
    phone.screenshot("office-expiring-list")
    phone.click(f"Registrer neste vedtak for {case_no}")
    phone.wait_text(f"Nytt vedtak for {case_no} er registrert")
    decisions = live_server.api(
        "GET",
        "/api/v1/decisions",
        token=live_server.login("koord"),
        params={
            "recipient_id": live_server.api(
                "GET",
                f"/api/v1/decisions/{decision_id}",
                token=live_server.login("koord"),
                expect=200,
            ).json()["recipient_id"]
        },
        expect=200,
    ).json()["data"]
    assert [d["valid_from"] for d in decisions][-1] == (ends + timedelta(days=1)).isoformat()
