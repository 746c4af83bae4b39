"""The office in a real browser: approve and reject timesheets, make a payroll batch.

The contact's side (logging and signing) is done over the sync API here, as
the phone would; the contact's app is then opened to check that the reason
for a rejection reaches them.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from models.canonical import content_hash
from models.schemas import EntryData
from tests.e2e.conftest import Phone, Seeded, seed
from tests.factories import entry_id, recent_day, sign_payload
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

pytestmark = pytest.mark.e2e


class ContactDevice:
    """The contact's phone, reduced to the sync calls it makes."""

    def __init__(self, server: LiveServer, seeded: Seeded) -> None:
        self.server = server
        self.seeded = seeded
        self.token = server.login(seeded.username)
        self.mutation = 0

    def push(self, kind: str, data: dict[str, Any]) -> None:
        self.mutation += 1
        response = self.server.api(
            "POST",
            "/api/v1/sync/push",
            token=self.token,
            json={
                "device_id": "e2e-office-phone",
                "mutations": [{"mutation_id": self.mutation, "type": kind, "data": data}],
            },
            expect=200,
        )
        assert response.json()["results"][0]["status"] == "applied", response.text

    def log(self, decision_id: str, start: str, end: str) -> None:
        self.push(
            "entry.upsert",
            {
                "id": entry_id(),
                "decision_ids": [decision_id],
                "date": recent_day().isoformat(),
                "start": start,
                "end": end,
                "activities": ["Bowling"],
                "note": "Notat som lønn aldri skal se",
                "trips": [],
                "expenses": [],
            },
        )

    def sign(self, decision_id: str) -> None:
        pulled = self.server.api(
            "GET", "/api/v1/sync/pull", token=self.token, params={"cursor": 0}, expect=200
        ).json()
        sheet = next(s for s in pulled["timesheets"] if s["decision_id"] == decision_id)
        entries = [
            EntryData.model_validate({k: e[k] for k in EntryData.model_fields if k in e})
            for e in pulled["entries"]
            if e["id"] in sheet["entry_ids"]
        ]
        digest = content_hash(
            contact_id=self.seeded.contact_id,
            decision_id=decision_id,
            period=sheet["period"],
            entries=entries,
        )
        self.push(
            "timesheet.sign",
            sign_payload(decision_id=decision_id, period=sheet["period"], content_hash=digest),
        )


def tap(phone: Phone, starts_with: str) -> None:
    """Tap a list tile or card whose accessible name begins with `starts_with`."""
    pattern = re.compile("^" + re.escape(starts_with))
    phone.wait_text(re.escape(starts_with))
    for target in (
        phone.page.get_by_role("button", name=pattern).first,
        phone.page.get_by_text(pattern).first,
    ):
        if target.count():
            target.click()
            return
    raise AssertionError(f"nothing to tap named {starts_with!r}:\n{dump(phone)}")


def sign_in(phone: Phone, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Phone.login, checking what the text fields hold (a loaded machine drops keys)."""
    for _attempt in range(3):
        for label, value in (("Brukernavn", username), ("Passord", password)):
            fill_exact(phone, label, value)
        phone.click("Logg inn")
        shown = phone.wait_text(r"Mine tjenestemottakere|Kontor|Feil brukernavn|Fyll ut alle")
        if "Feil brukernavn" not in shown and "Fyll ut alle" not in shown:
            return
    raise AssertionError(f"could not sign in as {username}")


FOCUSED_LABEL = (
    "l => document.activeElement && document.activeElement.getAttribute('aria-label') === l"
)


def fill_exact(phone: Phone, label: str, value: str) -> None:
    """Fill a field by its exact label, once the app has really focused it.

    Flutter keeps one editing <input> and moves it between fields on focus; on
    a loaded machine a fill can land before the move and go to the field
    before. So: click, wait until the focused element carries the label, fill,
    and check the focused field still holds the text.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    box = phone.page.get_by_role("textbox", name=label, exact=True)
    for _attempt in range(4):
        box.first.wait_for()
        box.first.click()
        try:
            phone.page.wait_for_function(FOCUSED_LABEL, arg=label, timeout=5_000)
        except PlaywrightTimeoutError:
            continue  # the tap landed while the list scrolled: tap again
        focused = phone.page.locator(":focus")
        try:
            focused.fill("")
            # Typed key by key, as a person would: keys go where Flutter has its
            # editing connection, which follows the focus a moment after the DOM.
            focused.press_sequentially(value, delay=15)
            if focused.get_attribute("aria-label") == label and focused.input_value() == value:
                return
        except PlaywrightError:
            continue  # focus moved on (a re-layout) between the check and the typing
    raise AssertionError(f"the field {label!r} would not keep {value!r}")


def dump(phone: Phone) -> str:
    """The semantics nodes with their roles and names, for a failure message."""
    result: str = phone.page.evaluate(
        "Array.from(document.querySelectorAll('flt-semantics [role], flt-semantics'))"
        ".slice(0, 80).map(e => (e.getAttribute('role') || '-') + ': ' +"
        " (e.getAttribute('aria-label') || e.innerText || '').slice(0, 80)).join('\\n')"
    )
    return result


def test_coordinator_approves_one_sheet_and_rejects_another(
    live_server: LiveServer, phone: Phone, browser: Any, app_server: Any
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

    phone.open()
    sign_in(phone, "koord")
    phone.wait_text("Godkjenning")
    tap(phone, "Godkjenning")
    phone.wait_text("Vilde Godkjent")

    tap(phone, "Vilde Godkjent")
    phone.wait_text("Signert av Kari Nordmann")
    screen = phone.wait_text("Timer: 2 t 30 min")
    assert "Bowling" in screen, screen
    assert "overstyring" not in screen, screen
    phone.click("Godkjenn")
    phone.wait_text("Timelisten er godkjent")
    phone.wait_text("Status: Godkjent")
    phone.screenshot("office-approved")

    phone.open("/kontor/godkjenning")
    phone.wait_text("Jonas Avvist")
    tap(phone, "Jonas Avvist")
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

    # The contact's own app shows why the sheet came back.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    try:
        contact = Phone(context.new_page(), app_server.url)
        contact.open()
        sign_in(contact, seeded.username)
        contact.wait_text("Mine tjenestemottakere")
        # The rejected sheet is a message: the envelope counts it once the app has synced.
        # The envelope is an icon button named by its label, with the count.
        envelope = contact.button("Meldinger (1)").first
        try:
            envelope.wait_for(timeout=40_000)
        except Exception:
            raise AssertionError(f"no envelope:\n{dump(contact)}\n---\n{contact.text()}") from None
        envelope.click()
        contact.wait_text(re.escape(f"Avvist av kommunen: {reason}"), timeout_ms=40_000)
        contact.screenshot("contact-sees-rejection")
    finally:
        context.close()


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

    phone.open()
    sign_in(phone, "lonn")
    tap(phone, "Lønn")
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

    phone.open()
    sign_in(phone, "koord")
    tap(phone, "Registrering")
    phone.wait_text("Ny støttekontakt")
    phone.wait_text(r"ansattnr\.")  # the list has loaded: the form will not move under us
    # Unique per attempt: a retried test must not meet its own earlier contact.
    n = f"{os.getpid()}{time.monotonic_ns() % 100_000}"
    # Name last: on a loaded machine Flutter has been seen to deliver a burst
    # of keys to the field focused before, so the first field is typed again.
    for label, value in (
        ("Navn", f"Ruben Uten Attest {n}"),
        ("Ansattnummer", f"R{n}"),
        ("Brukernavn", f"ruben{n}"),
        ("Passord", "ruben-passord-1"),
        ("Navn", f"Ruben Uten Attest {n}"),
    ):
        fill_exact(phone, label, value)
    phone.click("Registrer støttekontakt")
    phone.wait_text(f"Støttekontakten Ruben Uten Attest {n} er registrert")
    shown = phone.wait_text("Mangler politiattest")
    assert f"Ruben Uten Attest {n}" in shown
    phone.screenshot("office-registry")

    phone.open("/kontor/avvik")
    phone.wait_text("Avvik og meldinger")
    shown = phone.wait_text("brukt 3 t av 2 t")
    assert "Mia Forbruk" in shown
    phone.screenshot("office-flags")

    phone.open("/kontor/forbruk")
    shown = phone.wait_text(r"Underforbruk i avsluttede perioder")
    shown = phone.wait_text(r"Mia Forbruk \(2026-\d+-0\), \w+ \d{4}: brukt 3,00 t av 2,00 t")
    assert "Diagram over forbruk" in shown or "Vedtak" in shown
    phone.screenshot("office-usage")
