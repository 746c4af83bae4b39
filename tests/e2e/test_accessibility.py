"""Every control on every screen has a name a screen reader can say (WCAG 2.1 4.1.2).

The test reads Flutter's semantics tree (the DOM the browser's accessibility
layer sees) on each screen of the contact's app and of the office, and lists
every button, drop-down, checkbox, radio, tab, link and text field without an
accessible name. See docs/accessibility.md.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from models.clock import today_in_oslo
from tests.e2e.conftest import OFFICE, ContactDevice, Phone, seed
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

pytestmark = pytest.mark.e2e

BOTH_SIRI_AND_STATUS = r"^(?=[\s\S]*Siri Skjermleser)(?=[\s\S]*Status: Signert, venter)"

UNNAMED_JS = """(() => {
  const host = document.querySelector('flt-semantics-host');
  if (!host) return ['no semantics tree'];
  const roles = ['button', 'combobox', 'checkbox', 'radio', 'switch', 'tab', 'link',
                 'slider', 'menuitem', 'textbox', 'listbox'];
  const out = [];
  for (const node of host.querySelectorAll('*')) {
    let role = node.getAttribute('role');
    if (node.tagName === 'INPUT' || node.tagName === 'TEXTAREA') role = role || 'textbox';
    if (!roles.includes(role)) continue;
    const name = (node.getAttribute('aria-label') || node.innerText || node.title || '').trim();
    if (!name) {
      const parent = node.parentElement;
      const near = parent ? (parent.innerText || '').trim().slice(0, 60) : '';
      out.push(role + ' (near: ' + near.replace(/\\n/g, ' | ') + ')');
    }
  }
  return out;
})()"""


def unnamed(phone: Phone) -> list[str]:
    phone.page.wait_for_timeout(300)  # let the semantics tree settle after the last frame
    found: list[str] = phone.page.evaluate(UNNAMED_JS)
    return found


def check(phone: Phone, screen: str, problems: dict[str, list[str]]) -> None:
    found = unnamed(phone)
    if found:
        problems[screen] = found


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{screen}: {', '.join(found)}" for screen, found in problems.items())


def test_contact_app_screens_name_every_control(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(
        live_server, people={"Ola Nordmann": ("10", "month"), "Per Hansen": ("2", "week")}
    )
    problems: dict[str, list[str]] = {}
    phone.wait_text("Logg inn")
    check(phone, "login", problems)
    # The show-password button is named, and says what it does.
    phone.button("Vis passord").wait_for()
    phone.click("Vis passord")
    phone.button("Skjul passord").wait_for()
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    check(phone, "home", problems)
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.click("Legg til kjøring")
    # The trip's row has come and moved the buttons below it: a tap before that landed
    # where "Legg til utlegg" had been (seen once in five runs of the suite).
    phone.button("Fjern kjøring 1").wait_for()
    phone.click("Legg til utlegg")
    phone.button("Fjern utlegg 1").wait_for()
    check(phone, "entry", problems)
    phone.click("Tilbake")
    phone.log_session("Ola N.", "10:00", "11:00")
    phone.wait_text("sendt")
    phone.click("Timeliste for Ola N.")
    phone.wait_text("La mottaker signere")
    check(phone, "month", problems)
    phone.click("La mottaker signere")
    phone.wait_text("Les gjennom øktene")
    check(phone, "signing", problems)
    for path, wanted, name in (
        ("/meldinger", "Meldinger", "messages"),
        ("/sync", "Synkroniser nå", "sync"),
        ("/innstillinger", "Språk", "settings"),
    ):
        phone.go(path)
        phone.wait_text(wanted)
        check(phone, name, problems)
    assert not problems, "controls without a name:\n" + report(problems)


def test_office_screens_name_every_control(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people={"Siri Skjermleser": ("2", "month")})
    device = ContactDevice(live_server, seeded)
    device.log(seeded.decisions["Siri Skjermleser"], "10:00", "13:00")
    device.sign(seeded.decisions["Siri Skjermleser"])
    problems: dict[str, list[str]] = {}
    phone.page.set_viewport_size(OFFICE)
    phone.login("koord")
    phone.wait_text("Godkjenning")
    check(phone, "office home", problems)
    for path, wanted, name in (
        ("/kontor/avvik", "Overforbruk", "flags"),
        # Its own drop-down and the sheet: the flags screen named Siri Skjermleser too.
        ("/kontor/godkjenning", BOTH_SIRI_AND_STATUS, "approval list"),
        ("/kontor/forbruk", "Forbruk mot vedtak", "usage"),
        ("/kontor/registrering", "Ny støttekontakt", "registry: contacts"),
    ):
        phone.go(path)
        phone.wait_text(wanted)
        check(phone, name, problems)
    # The drop-downs say what they are and what is chosen.
    phone.go("/kontor/godkjenning")
    phone.wait_text("Siri Skjermleser")
    phone.button("Status: Signert, venter").wait_for()
    phone.tap("Siri Skjermleser")
    phone.wait_text("Signert av")
    check(phone, "sheet review", problems)
    phone.go("/kontor/registrering")
    phone.wait_text("Ny støttekontakt")
    phone.button("Vis passord").wait_for()
    for section, wanted in (
        ("Tjenestemottakere", "Registrer tjenestemottaker"),
        ("Vedtak", "Registrer vedtak"),
    ):
        phone.click_text(section)
        phone.wait_text(wanted)
        check(phone, f"registry: {section}", problems)
    for name in ("Tjenestemottaker", "Type vedtak", "Per"):
        found = phone.page.get_by_role("button", name=re.compile("^" + name)).count()
        assert found, f"no drop-down named {name!r}"

    n = f"{os.getpid()}{next(_numbers)}"
    for username, role, screens in (
        (f"lonn{n}", "payroll", (("/kontor/lonn", "Lønnsbunter", "payroll"),)),
        (
            f"admin{n}",
            "admin",
            (
                ("/kontor/lonn/innstillinger", "Lagre innstillinger", "pay settings"),
                ("/kontor/revisjon", "Revisjonslogg|Hvem gjorde", "audit"),
            ),
        ),
    ):
        live_server.add_user(username, role)
        phone.sign_out()
        phone.login(username)
        for path, wanted, name in screens:
            phone.go(path)
            phone.wait_text(wanted)
            check(phone, name, problems)
    assert not problems, "controls without a name:\n" + report(problems)


_numbers = iter(range(1, 1000))


FIELD_NAMES_JS = """(() => Array.from(document.querySelectorAll(
    'flt-semantics-host input, flt-semantics-host textarea'))
  .map(node => node.getAttribute('aria-label') || ''))()"""


def field_names(phone: Phone) -> list[str]:
    phone.page.wait_for_timeout(300)  # let the semantics tree settle after the last frame
    found: list[str] = phone.page.evaluate(FIELD_NAMES_JS)
    return found


def test_office_fields_on_cards_are_named_by_their_own_labels(
    phone: Phone, live_server: LiveServer
) -> None:
    """A text field on a card is read by its label, not with the card's words before it
    (Flutter merged them: 'Uten Attest · ansattnr. … Politiattest datert …')."""
    n = f"{os.getpid()}{next(_numbers)}"
    office = live_server.login("koord")
    name = f"Uten Attest {n}"
    live_server.api(
        "POST",
        "/api/v1/contacts",
        token=office,
        json={
            "username": f"utenattest{n}",
            "password": DEFAULT_PASSWORD,
            "name": name,
            "employee_no": f"UA{n}",
            "contract_type": "contractor",
        },
        expect=201,
    )
    seeded = seed(live_server, people={f"Snart Slutt {n}": ("8", "month")})
    decision_id = seeded.decisions[f"Snart Slutt {n}"]
    decision = live_server.api(
        "PATCH",
        f"/api/v1/decisions/{decision_id}",
        token=office,
        json={"valid_to": (today_in_oslo() + timedelta(days=9)).isoformat()},
        expect=200,
    ).json()

    phone.page.set_viewport_size(OFFICE)
    phone.login("koord")
    # The start page's expiring vedtak: the next vedtak's terms, on the vedtak's card.
    phone.click(f"Endre vilkår for neste vedtak for {decision['case_no']}")
    phone.textbox("Timer").wait_for()
    names = field_names(phone)
    assert "Neste vedtak gjelder til (dd.mm.åååå)" in names, names
    assert "Timer" in names, names
    # Registrering: a contact's politiattest date, on the contact's card.
    phone.go("/kontor/registrering")
    phone.wait_text("Ny støttekontakt")
    _search(phone, "Søk i støttekontakter", name)
    phone.wait_text(r"Viser 1–1 av 1")
    phone.click(f"Registrer politiattest for {name}")
    phone.wait_text("Lagre dato")
    names = field_names(phone)
    assert f"Politiattest datert (dd.mm.åååå) for {name}" in names, names


def _search(phone: Phone, label: str, text: str) -> None:
    phone.fill(label, text)
    phone.click("Søk")
