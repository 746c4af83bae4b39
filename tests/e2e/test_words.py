"""Words and numbers as a person reads them (issue 10 item 9): plural forms, kroner with
thousands grouped, one text per flag, the signer's role said once, Oslo time, and a
signing screen the signer cannot leave by accident."""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import OFFICE, ContactDevice, Phone, Seeded, seed
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

pytestmark = pytest.mark.e2e


def test_contact_app_words_money_and_a_signing_screen_that_asks_before_leaving(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("40", "month")})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    # "Ny økt", not "Før økt" (read as "before the session").
    phone.button("Ny økt for Ola N.").wait_for()
    assert phone.page.get_by_role("button", name=re.compile("Før økt")).count() == 0
    assert "Før økt" not in phone.text()

    phone.click("Ny økt for Ola N.")
    phone.wait_text("Hvem gjaldt økten")
    phone.fill("Fra", "10:00")
    phone.fill("Til", "12:00")
    phone.click("Legg til utlegg")
    phone.fill("Beløp (kr) (1)", "4617,25")
    phone.click("Lagre")
    # Thousands grouped (a no-break space), decimal comma.
    phone.wait_text(r"4\s617,25 kr")
    phone.wait_text("sendt")
    phone.screenshot("26-home-money")

    phone.click("Timeliste for Ola N.")
    phone.wait_text(r"Utlegg: 4\s617,25 kr")
    phone.click("La mottaker signere")
    phone.wait_text("Les gjennom øktene")
    shown = phone.wait_text(r"1 økt, 2 t")
    assert "1 økter" not in shown
    phone.wait_text("Timeliste for desember|Timeliste for \\w+ \\d{4}")
    phone.fill("Navnet ditt", "Ola Nordmann")
    # The arrow asks first: the signer holds the phone, not the contact.
    phone.click("Tilbake")
    phone.wait_text("Avbryte signeringen?")
    phone.screenshot("27-signing-leave-asks")
    phone.click("Fortsett å signere")
    phone.wait_text("Les gjennom øktene")
    phone.click("Tilbake")
    phone.wait_text("Avbryte signeringen?")
    phone.click("Avbryt signeringen")
    phone.wait_text("La mottaker signere")
    assert "Les gjennom øktene" not in phone.text()


def _contact_without_politiattest(server: LiveServer, token: str) -> Seeded:
    n = f"{os.getpid()}{next(_numbers)}"
    username = f"utenattest{n}"
    contact = server.api(
        "POST",
        "/api/v1/contacts",
        token=token,
        json={
            "username": username,
            "password": DEFAULT_PASSWORD,
            "name": f"Uten Attest {n}",
            "employee_no": f"U{n}",
            "contract_type": "contractor",
        },
        expect=201,
    ).json()
    seeded = Seeded(username=username, contact_id=str(contact["id"]), office_token=token)
    recipient = server.api(
        "POST",
        "/api/v1/recipients",
        token=token,
        json={"name": "Vera Verge", "case_no": f"2026-V{n}"},
        expect=201,
    ).json()
    decision = server.api(
        "POST",
        "/api/v1/decisions",
        token=token,
        json={
            "recipient_id": recipient["id"],
            "kind": "individual",
            "hours": "2",
            "per": "month",
            "valid_from": "2025-01-01",
            "valid_to": "2027-12-31",
            "contact_ids": [seeded.contact_id],
        },
        expect=201,
    ).json()
    seeded.decisions["Vera Verge"] = str(decision["id"])
    return seeded


_numbers = iter(range(1, 1000))


def test_office_words_plural_one_text_per_flag_and_the_signer_once(
    phone: Phone, live_server: LiveServer
) -> None:
    office = live_server.login("koord")
    seeded = _contact_without_politiattest(live_server, office)
    device = ContactDevice(live_server, seeded)
    decision_id = seeded.decisions["Vera Verge"]
    device.log(decision_id, "10:00", "13:00")  # 3 h of 2: overuse, and no politiattest
    # As the phone sends it: the guardian's kind (verge) kept with the name.
    device.sign(
        decision_id,
        signer_name="Vilja Verge (verge)",
        signer_role="guardian",
        signed_at="2026-01-31T17:00:00+00:00",
    )

    phone.login("koord")
    phone.go("/kontor/avvik")
    shown = phone.wait_text(r"Gjelder 1 timeføring\.")
    assert "timeføring(er)" not in shown
    # The politiattest flag says its piece once, not in two wordings.
    shown = phone.wait_text("Støttekontakten har ingen politiattest registrert")
    assert "ikke levert politiattest. Støttekontakten har ingen" not in shown, shown
    phone.screenshot("office-flags-words")

    phone.go("/kontor/godkjenning")
    # The flags screen named Vera Verge too: wait for the approval list itself.
    phone.button("Status: Signert, venter").wait_for()
    phone.tap("Vera Verge")
    shown = phone.wait_text("Signert av Vilja Verge")
    assert "Vilja Verge (verge)" in shown
    assert "(foresatt/verge)" not in shown, shown
    # 17:00 UTC on 31 January is 18:00 in Oslo.
    assert "31.01.2026 kl. 18:00" in shown, shown
    shown = phone.wait_text(r"Timelisten har \d+ åpn?e?n?t? avvik")
    match = re.search(r"Timelisten har (\d+) (\S+) avvik", shown)
    assert match is not None
    count, word = int(match.group(1)), match.group(2)
    assert word == ("åpent" if count == 1 else "åpne"), shown
    phone.screenshot("office-sheet-words")
    phone.page.set_viewport_size(OFFICE)
    phone.snap("office-sheet-words-wide")
