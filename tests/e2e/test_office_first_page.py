"""The office opened straight at a screen: a bookmark, a link in an e-mail.

Each screen must show that it is loading, then the data — never an empty
state ("Ingen åpne avvik", "Ingen timelister her.") before the data has come.
The coordinator signs in once (stay signed in), then each screen is opened as
the first page of a new tab, which starts the app afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.conftest import OFFICE, BuiltApp, ContactDevice, Phone, seed, wait_installed
from tests.support.live_server import LiveServer
from tests.support.office import group_session

pytestmark = pytest.mark.e2e

EMPTY_STATES = re.compile(r"Ingen åpne avvik|Ingen timelister her|Ingen støttekontakter")


def watch_until(phone: Phone, wanted: str, timeout_ms: int = 30_000) -> list[str]:
    """Read the screen until `wanted` shows; every distinct screen text seen on the way."""
    seen: list[str] = []
    regex = re.compile(wanted)

    def check() -> bool:
        shown = phone.text()
        if not seen or seen[-1] != shown:
            seen.append(shown)
        return bool(regex.search(shown))

    try:
        phone.wait_for(check, repr(wanted), timeout_ms=timeout_ms)
    except AssertionError:
        raise AssertionError(
            f"never saw {wanted!r}; the screens were:\n" + "\n---\n".join(seen)
        ) from None
    return seen


def test_office_deep_links_load_before_they_say_empty(
    live_server: LiveServer, phone: Phone
) -> None:
    # An open flag (3 h on a 2 h vedtak) and a signed sheet waiting for approval.
    seeded = seed(live_server, people={"Dina Dyplenke": ("2", "month")})
    device = ContactDevice(live_server, seeded)
    decision_id = seeded.decisions["Dina Dyplenke"]
    device.log(decision_id, "10:00", "13:00")
    device.sign(decision_id)

    phone.login("koord")
    phone.wait_text("Godkjenning")

    checks: list[tuple[str, str, Callable[[str], bool]]] = [
        ("/kontor/avvik", r"Overforbruk", lambda s: "Dina Dyplenke" in s),
        ("/kontor/godkjenning", r"Dina Dyplenke", lambda s: "Signert" in s),
        ("/kontor/registrering", r"Kontakt \d+", lambda s: True),
    ]
    for path, wanted, also in checks:
        phone.reopen(path)
        seen = watch_until(phone, wanted)
        empty = [s for s in seen if EMPTY_STATES.search(s)]
        assert not empty, f"{path} said it was empty before its data came:\n{empty[0]}"
        assert also(seen[-1]), seen[-1]
        phone.screenshot("office-first-page-" + path.rsplit("/", 1)[-1])
        phone.page.set_viewport_size(OFFICE)
        phone.snap("office-first-page-wide-" + path.rsplit("/", 1)[-1])


def test_office_first_page_says_so_when_the_server_cannot_be_reached(
    live_server: LiveServer, phone: Phone, built_app: BuiltApp
) -> None:
    phone.login("koord")
    phone.wait_text("Godkjenning")
    wait_installed(phone, built_app)
    # The app itself comes from the browser's cache; the API is out of reach.
    phone.page.context.set_offline(True)
    phone.reopen("/kontor/avvik")
    seen = watch_until(phone, r"Kunne ikke hente|kontakt med (tjenesten|serveren)")
    assert not [s for s in seen if EMPTY_STATES.search(s)], seen
    phone.screenshot("office-first-page-offline")


def test_usage_page_speaks_norwegian_and_shows_recent_under_use_per_vedtak(
    live_server: LiveServer, phone: Phone
) -> None:
    seeded = seed(live_server, people={"Aa Ukevedtak": ("3", "week")})
    device = ContactDevice(live_server, seeded)
    device.log(seeded.decisions["Aa Ukevedtak"], "10:00", "11:30")  # 1,5 t of 3 t this week
    phone.page.set_viewport_size(OFFICE)
    phone.login("koord")
    phone.go("/kontor/forbruk")
    phone.wait_text("Forbruk mot vedtak")
    # The first vedtak by name is shown at once ("Aa…" sorts first).
    shown = phone.wait_text(r"Diagram over forbruk")
    # Axis labels and the chart's description in Norwegian, with a decimal comma.
    assert re.search(r"\buke \d+\b", shown), shown
    assert not re.search(r"\bW\d+\b", shown), shown
    chart = shown[shown.index("Diagram over forbruk") :].split("\n")[0]
    assert not re.search(r"\d\.\d", chart), chart
    # Under-use: the latest finished periods only, the person named once above them.
    under = shown[shown.index("Underforbruk i avsluttede perioder") :]
    assert under.count("Aa Ukevedtak") <= 1, under
    phone.screenshot("office-usage-norwegian-wide")


def test_office_start_page_counts_what_waits(live_server: LiveServer, phone: Phone) -> None:
    seeded = seed(live_server, people={"Tora Telling": ("2", "month")})
    device = ContactDevice(live_server, seeded)
    decision_id = seeded.decisions["Tora Telling"]
    device.log(decision_id, "10:00", "13:00")  # over the vedtak: an open flag
    device.sign(decision_id)
    # A group's overuse: one flag per participant, one card (one matter) on the flags screen.
    group = seed(
        live_server,
        people={"Gro Telling": ("2", "month"), "Geir Telling": ("2", "month")},
        group="tellegruppe",
    )
    participants = list(group.decisions.values())
    ContactDevice(live_server, group).push("entry.upsert", group_session(participants))
    token = live_server.login("koord")
    open_only = {"status": "open", "limit": "1"}
    flags = live_server.api("GET", "/api/v1/flags", token=token, params=open_only, expect=200)
    cards = live_server.api(
        "GET", "/api/v1/flags/cards", token=token, params=open_only, expect=200
    ).json()["count"]
    sheets = live_server.api(
        "GET", "/api/v1/timesheets", token=token, params={"status": "signed"}, expect=200
    ).json()["data"]
    assert 0 < cards < flags.json()["count"]
    assert sheets

    phone.login("koord")
    # The tile counts what the flags screen shows: cards, not the flags on them.
    flag_words = "åpent avvik" if cards == 1 else "åpne avvik"
    sheet_words = "timeliste venter" if len(sheets) == 1 else "timelister venter"
    seen = watch_until(phone, rf"\b{cards} {flag_words}\b")
    shown = phone.wait_text(rf"\b{len(sheets)} {sheet_words} på godkjenning")
    # Never a count before the data: no "0 åpne avvik" on the way.
    assert not [s for s in seen if re.search(r"\b0 åpne avvik", s)], seen
    assert "Teller" not in shown
    phone.screenshot("office-start-counts")
