"""The contact's app (the built app, Python in the browser) against a real server.

Each test makes its own contact and signs in on a phone with no account on it.
Offline is the browser's (`set_offline`: every request fails, as in airplane
mode). Screenshots of each screen at 390×844 go to test-artifacts/e2e/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import Phone, seed, server_sheets, server_usage
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def log_session(phone: Phone, person: str, start: str, end: str) -> None:
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.choose(person)
    phone.fill("Fra", start)
    phone.fill("Til", end)
    phone.click("Lagre")


def test_log_in_and_log_a_session_moves_the_meter(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
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
    phone.click("Legg til kjøring")
    phone.fill("Km (1)", "12,5")
    phone.fill("Fra sted", "Hjemme")
    phone.click("Legg til utlegg")
    phone.fill("Beløp (kr) (1)", "150")
    phone.choose("Inngangsbillett")
    phone.screenshot("03b-entry-trip-expense")
    phone.click("Lagre")
    phone.wait_text("Brukt 2,5 t av 10 t")
    phone.wait_text("7,5 t igjen")
    phone.wait_text(
        r"Ola N\.: \d\d\.\d\d\.\d{4} 10:00–12:30 · 2 t 30 min · Tur · 12,5 km · 150,00 kr"
    )
    phone.wait_text("sendt")
    phone.screenshot("04-home-after-entry")

    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert any(Decimal(str(p["used_hours"])) == Decimal("2.5") for p in usage["periods"])


def test_validation_speaks_plain_norwegian(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.fill("Fra", "25:00")
    phone.click("Lagre")
    phone.wait_text("Skriv klokkeslett som TT:MM")
    phone.wait_text("Se over feltene som er merket")
    phone.screenshot("05-entry-errors")


def test_english_can_be_chosen(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.click("Innstillinger")
    phone.page.get_by_role("radio", name="English").click()
    phone.wait_text("Language")
    phone.screenshot("16-settings-english")
    phone.page.go_back()
    phone.wait_text("People I support")
    phone.wait_text("Used 0 h of 10 h")
    phone.click("Settings")
    phone.page.get_by_role("radio", name="Norsk bokmål").click()
    phone.wait_text("Språk")


def test_over_quota_warns_and_saves_anyway(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Per Hansen": ("2", "week")})
    phone.login(seeded.username)
    phone.log_session("Per H.", "10:00", "13:00")
    phone.wait_text("Over vedtaket")
    phone.wait_text("1 t over vedtaket")
    phone.screenshot("06-over-quota-warning")
    phone.click("Lagre likevel")
    phone.wait_text("Brukt 3 t av 2 t")
    phone.wait_text("1 t over vedtaket")
    phone.wait_text("sendt")
    phone.screenshot("07-home-over-quota")
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Per Hansen"])
    assert any(Decimal(str(p["over_hours"])) == Decimal(1) for p in usage["periods"])


def test_offline_entry_waits_and_syncs_when_the_phone_is_back_online(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.log_session("Ola N.", "09:00", "10:00")
    phone.wait_text("sendt")
    phone.page.context.set_offline(True)
    phone.log_session("Ola N.", "14:00", "15:30")
    phone.wait_text("1 venter")
    phone.wait_text("Brukt 2,5 t av 10 t")  # the meter counts it offline
    phone.screenshot("08-offline-waiting")
    phone.page.context.set_offline(False)
    phone.wait_text("Synkronisert", timeout_ms=30_000)
    phone.screenshot("09-back-online")
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert any(Decimal(str(p["used_hours"])) == Decimal("2.5") for p in usage["periods"])


def test_sign_a_month_locks_the_sheet_and_reaches_the_server(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.log_session("Ola N.", "10:00", "12:00")
    phone.wait_text("sendt")
    phone.click("Timeliste for Ola N.")
    phone.wait_text("La mottaker signere")
    phone.wait_text(r"Timer: 2 t")
    phone.screenshot("10-month")
    phone.click("La mottaker signere")
    phone.wait_text("Les gjennom øktene")
    phone.screenshot("11-handover")
    phone.fill("Navnet ditt", "Ola Nordmann")
    phone.choose("Mottaker")
    phone.draw("Signaturfelt", [[(0.1, 0.3), (0.3, 0.7), (0.5, 0.3)], [(0.6, 0.6), (0.9, 0.4)]])
    phone.screenshot("12-signature")
    phone.click("Bekreft og signer")
    phone.wait_text("Takk! Timelisten er signert.")
    phone.screenshot("13-signed")
    phone.click("Tilbake til timelisten")
    phone.wait_text("Signert")
    office = live_server.login("koord")

    def signed_on_server() -> bool:
        return any(
            row["decision_id"] == seeded.decisions["Ola Nordmann"] and row["status"] == "signed"
            for row in server_sheets(live_server, office)
        )

    phone.wait_for(signed_on_server, "the timesheet signed on the server")
    phone.screenshot("14-month-signed")

    # The office rejects it: the reason reaches the contact, and the sheet opens again.
    sheet_id = next(
        r["id"]
        for r in server_sheets(live_server, office)
        if r["decision_id"] == seeded.decisions["Ola Nordmann"]
    )
    live_server.api(
        "POST",
        f"/api/v1/timesheets/{sheet_id}/reject",
        token=office,
        json={"reason": "Økten 22. mars mangler aktivitet"},
        expect=200,
    )
    phone.click("Tilbake")
    phone.click("Synkronisert")
    phone.click("Synkroniser nå")
    phone.wait_text("Synkronisert")
    phone.click("Tilbake")
    phone.click("Meldinger (1)")
    phone.wait_text("Timeliste avvist")
    phone.wait_text("Økten 22. mars mangler aktivitet")
    phone.screenshot("15-messages-rejected")
    phone.click("Åpne timelisten")
    phone.wait_text("Avvist av kommunen: Økten 22. mars mangler aktivitet")
    phone.wait_text("La mottaker signere")


def test_edit_and_delete_a_session_while_the_sheet_is_open(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.log_session("Ola N.", "10:00", "11:00")
    phone.wait_text("Brukt 1 t av 10 t")
    phone.click_text_matching(r"Ola N\.: .* 10:00–11:00")
    phone.wait_text("Endre økt")
    phone.fill("Til", "12:00")
    phone.click("Lagre")
    phone.wait_text("Brukt 2 t av 10 t")
    phone.click_text_matching(r"Ola N\.: .* 10:00–12:00")
    phone.wait_text("Endre økt")
    phone.click("Slett økt")
    phone.wait_text("Slette økten?")
    phone.screenshot("17-delete-confirm")
    phone.page.get_by_role("button", name="Slett økt").last.click()
    phone.wait_text("Økten er slettet.")
    phone.wait_text("Brukt 0 t av 10 t")
    phone.wait_text("Ingen økter ført ennå.")
    phone.wait_text("Synkronisert")
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert all(Decimal(str(p["used_hours"])) == 0 for p in usage["periods"])


def test_small_phone_360x640_shows_every_control(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(
        live_server, people={"Ola Nordmann": ("10", "month"), "Per Hansen": ("2", "week")}
    )
    phone.page.set_viewport_size({"width": 360, "height": 640})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    for label in ("Synkronisert", "Meldinger", "Innstillinger", "Ny økt"):
        box = phone.button(label).bounding_box()
        assert box is not None, label
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 360, label
        assert box["height"] >= 40, f"{label} is too small to tap"
    phone.screenshot("18-home-360x640")
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.screenshot("19-entry-360x640")


def test_every_button_has_a_name_a_screen_reader_can_say(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(
        live_server, people={"Ola Nordmann": ("10", "month"), "Per Hansen": ("2", "week")}
    )
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    # The chip can say "Synkronisert" a frame before the pulled cards are drawn:
    # wait for both cards, then count.
    for person in ("Ola N.", "Per H."):
        phone.button(f"Ny økt for {person}").wait_for()
    # Icon-only buttons are named by their label, not only by a tooltip.
    for name in ("Meldinger", "Innstillinger", "Ny økt"):
        assert phone.button(name).count() == 1, name
    # Each card's buttons say whose card they are (the painted words stay short).
    for person in ("Ola N.", "Per H."):
        for name in (f"Ny økt for {person}", f"Timeliste for {person}"):
            assert phone.button(name).count() == 1, name
    assert phone.button("Ny økt").count() == 1  # only the floating button has the bare name
    assert phone.button("Timeliste").count() == 0
    assert phone.page.get_by_role("button", name="", exact=True).count() == 0

    phone.click("Timeliste for Per H.")
    phone.wait_text("Timeliste: Per H.")
    for name in ("Tilbake", "Forrige måned", "Neste måned"):
        assert phone.button(name).count() == 1, name
    phone.click("Tilbake")
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.click("Legg til kjøring")
    phone.button("Fjern kjøring 1").wait_for()  # the row has come; the buttons below moved
    phone.click("Legg til utlegg")
    for name in ("Fjern kjøring 1", "Fjern utlegg 1"):
        phone.button(name).wait_for()
    assert phone.page.get_by_role("button", name="", exact=True).count() == 0
    phone.click("Fjern kjøring 1")
    phone.wait_for(lambda: phone.button("Fjern kjøring 1").count() == 0, "the trip removed")
