"""The office in the built app: approve and reject timesheets, make a payroll batch,
register a contact.

The contact's side (logging and signing) is done over the sync API here, as
the phone would; the contact then signs in to the app to check that the reason
for a rejection reaches them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import ContactDevice, Phone, seed
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_coordinator_approves_one_sheet_and_rejects_another(
    live_server: LiveServer, phone: Phone
) -> None:
    seeded = seed(
        live_server, people={"Vilde Godkjent": ("10", "month"), "Jonas Avvist": ("10", "month")}
    )
    device = ContactDevice(live_server, seeded)
    # Different hours of the day: the same contact in two places at once is an overlap flag.
    for name, start, end in (
        ("Vilde Godkjent", "10:00", "12:30"),
        ("Jonas Avvist", "14:00", "16:30"),
    ):
        device.log(seeded.decisions[name], start, end)
        device.sign(seeded.decisions[name])

    phone.login("koord")
    phone.wait_text("Godkjenning")
    phone.tap("Godkjenning")
    phone.wait_text("Vilde Godkjent")

    phone.tap("Vilde Godkjent")
    phone.wait_text("Signert av Kari Nordmann")
    screen = phone.wait_text("Timer: 2 t 30 min")
    assert "Bowling" in screen, screen
    assert "overstyring" not in screen, screen
    phone.click("Godkjenn")
    phone.wait_text("Timelisten er godkjent")
    phone.wait_text("Status: Godkjent")
    phone.screenshot("office-approved")

    phone.go("/kontor/godkjenning")
    phone.wait_text("Jonas Avvist")
    phone.tap("Jonas Avvist")
    phone.wait_text("Signert av Kari Nordmann")
    reason = "Økten er ført på feil person, rett og signer på nytt."
    phone.fill("Begrunnelse for avvisning", reason)
    phone.click("Avvis")
    phone.wait_text("Timelisten er avvist")
    phone.wait_text("Status: Avvist")

    statuses = {
        s["decision_id"]: s
        for s in live_server.api(
            "GET", "/api/v1/timesheets", token=seeded.office_token, expect=200
        ).json()["data"]
    }
    assert statuses[seeded.decisions["Vilde Godkjent"]]["status"] == "approved"
    assert statuses[seeded.decisions["Jonas Avvist"]]["reject_reason"] == reason

    # The contact's own app shows why the sheet came back (the same browser, signed in
    # as the contact after the coordinator signed out).
    phone.sign_out()
    phone.login(seeded.username)
    phone.wait_text("Mine tjenestemottakere")
    # The rejected sheet is a message: the envelope counts it once the app has synced.
    # The envelope is an icon button named by its label, with the count.
    envelope = phone.button("Meldinger (1)").first
    envelope.wait_for(timeout=40_000)
    envelope.click()
    phone.wait_text(re.escape(f"Avvist av kommunen: {reason}"), timeout_ms=40_000)
    phone.screenshot("contact-sees-rejection")


def test_payroll_makes_a_batch_and_downloads_the_visma_file(
    live_server: LiveServer, phone: Phone
) -> None:
    live_server.add_user("lonn", "payroll")
    seeded = seed(live_server, people={"Eva Utbetalt": ("20", "month")})
    device = ContactDevice(live_server, seeded)
    decision_id = seeded.decisions["Eva Utbetalt"]
    device.log(decision_id, "09:00", "10:45")
    device.sign(decision_id)
    [sheet] = [
        s
        for s in live_server.api(
            "GET", "/api/v1/timesheets", token=seeded.office_token, expect=200
        ).json()["data"]
        if s["decision_id"] == decision_id
    ]
    live_server.api(
        "POST",
        f"/api/v1/timesheets/{sheet['id']}/approve",
        token=seeded.office_token,
        json={},
        expect=200,
    )
    contact = live_server.api(
        "GET", f"/api/v1/contacts/{seeded.contact_id}", token=seeded.office_token, expect=200
    ).json()
    decision = live_server.api(
        "GET", f"/api/v1/decisions/{decision_id}", token=seeded.office_token, expect=200
    ).json()
    recipient = live_server.api(
        "GET",
        f"/api/v1/recipients/{decision['recipient_id']}",
        token=seeded.office_token,
        expect=200,
    ).json()

    phone.login("lonn")
    phone.tap("Lønn")
    phone.wait_text("Lønnsbunter")
    phone.click("Lag lønnsbunt")
    shown = phone.wait_text(r"Bunt \d+ er laget")
    number = re.search(r"Bunt (\d+) er laget", shown).group(1)  # type: ignore[union-attr]
    # Batches are listed newest first: the first download button is the new batch's.
    with phone.page.expect_download() as download:
        phone.button("Last ned Visma Lønn").first.click()
    saved = download.value
    assert saved.suggested_filename == f"lonnsbunt-{number}.visma.txt"
    file_text = Path(saved.path()).read_bytes().decode("cp1252")
    screen = phone.wait_text(rf"Innhold i lonnsbunt-{number}\.visma\.txt")
    phone.screenshot("payroll-visma")

    # 1 h 45 min at the default 250.00 kr: 437.50 kr, case number in Dim6, no names or notes.
    expected = (
        f'0;0;{contact["employee_no"]};1100;0.00;1.75;250.00;437.50;;;"";"";"";"";"";'
        f'"{recipient["case_no"]}"'
    )
    assert expected in screen
    assert f"{expected}\r\n" in file_text
    assert "Eva" not in file_text
    assert "Eva" not in screen.split("Innhold i")[1]
    assert "Notat som lønn" not in screen


def test_coordinator_registers_a_contact_and_sees_flags_and_usage(
    live_server: LiveServer, phone: Phone
) -> None:
    seeded = seed(live_server, people={"Mia Forbruk": ("2", "month")})
    device = ContactDevice(live_server, seeded)
    device.log(seeded.decisions["Mia Forbruk"], "10:00", "13:00")  # 3 h of 2: overuse

    phone.login("koord")
    phone.tap("Registrering")
    phone.wait_text("Ny støttekontakt")
    phone.wait_text(r"ansattnr\.")  # the list has loaded: the form will not move under us
    n = f"{os.getpid()}{next(_numbers)}"
    for label, value in (
        ("Navn", f"Ruben Uten Attest {n}"),
        ("Ansattnummer", f"R{n}"),
        ("Brukernavn", f"ruben{n}"),
        ("Passord", "ruben-passord-1"),
    ):
        phone.fill(label, value)
    phone.click("Registrer støttekontakt")
    phone.wait_text(f"Støttekontakten Ruben Uten Attest {n} er registrert")
    shown = phone.wait_text("Mangler politiattest")
    assert f"Ruben Uten Attest {n}" in shown
    phone.screenshot("office-registry")

    phone.go("/kontor/avvik")
    phone.wait_text("Avvik og meldinger")
    shown = phone.wait_text("brukt 3 t av 2 t")
    assert "Mia Forbruk" in shown
    phone.screenshot("office-flags")

    phone.go("/kontor/forbruk")
    shown = phone.wait_text(r"Underforbruk i avsluttede perioder")
    shown = phone.wait_text(r"Mia Forbruk \(2026-\d+-0\), \w+ \d{4}: brukt 3,00 t av 2,00 t")
    assert "Diagram over forbruk" in shown or "Vedtak" in shown
    phone.screenshot("office-usage")


_numbers = iter(range(1, 1000))
