"""Signing works after the server refused one of the contact's changes (issue 10 item 5).

The phone and the server must agree on which entries are on a sheet while a
refused change is waiting to be fixed: the sheet holds the version the server
has, the signer reads and signs exactly that, and the store accepts it.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Phone, seed, server_sheets
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_signing_works_after_the_server_refused_a_change(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(
        live_server, people={"Ola Nordmann": ("20", "month"), "Per Hansen": ("20", "month")}
    )
    office = seeded.office_token
    phone.login(seeded.username)
    phone.log_session("Ola N.", "10:00", "11:00")
    phone.wait_text(r"Ola N\.: .* 10:00–11:00 · 1 t\s+sendt")
    phone.log_session("Per H.", "12:00", "13:00")
    phone.wait_text(r"Per H\.: .* 12:00–13:00 · 1 t\s+sendt")

    # The office approves Per's sheet (unsigned, with a reason) before the phone has
    # pulled again: the phone does not yet know that sheet is closed.
    per_sheet = next(
        s
        for s in server_sheets(live_server, office)
        if s["decision_id"] == seeded.decisions["Per Hansen"]
    )
    live_server.api(
        "POST",
        f"/api/v1/timesheets/{per_sheet['id']}/approve",
        token=office,
        json={"override_reason": "Godkjent uten signatur etter avtale"},
        expect=200,
    )
    # The contact moves Ola's session onto Per: the server refuses (Per's sheet is closed).
    phone.click_text_matching(r"Ola N\.: .* 10:00–11:00")
    phone.wait_text("Endre økt")
    phone.choose("Per H.")
    phone.click("Lagre")
    phone.wait_text("ikke godtatt", timeout_ms=30_000)
    phone.screenshot("30-refused-change")

    # Ola's sheet still holds the session as the server has it, and it can be signed.
    phone.click("Timeliste for Ola N.")
    phone.wait_text(r"Timer: 1 t")
    phone.click("La mottaker signere")
    phone.wait_text("Les gjennom øktene")
    phone.wait_text("10:00–11:00")
    phone.sign_month("Ola Nordmann")
    shown = phone.wait_text(r"Takk! Timelisten er signert\.|endret etter at den ble vist")
    assert "endret etter at den ble vist" not in shown, shown
    phone.screenshot("31-signed-after-refusal")

    def signed_on_server() -> bool:
        return any(
            s["decision_id"] == seeded.decisions["Ola Nordmann"] and s["status"] == "signed"
            for s in server_sheets(live_server, office)
        )

    phone.wait_for(signed_on_server, "Ola's sheet signed on the server", timeout_ms=30_000)
