"""The office's lists as a coordinator reads them in the built app (issue 10, item 8).

A group's overuse is one card per group period, with each timesheet linked
once; the lists that grow are searched and paged ('Viser 1–50 av 55', 'Neste
side'). The browser suite shares one server, so each test searches for what
it made itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import OFFICE, PHONE, Phone, seed
from tests.factories import entry_id
from tests.support.live_server import LiveServer
from tests.support.office import add_recipients, group_session

pytestmark = pytest.mark.e2e

GROUP = {
    "Gunn Gruppe": ("2", "month"),
    "Hans Gruppe": ("2", "month"),
    "Ida Gruppe": ("2", "month"),
}


def _push_group_session(server: LiveServer, username: str, decision_ids: list[str]) -> None:
    """One 3-hour session with the whole group: over every participant's 2 hours."""
    token = server.login(username)
    response = server.api(
        "POST",
        "/api/v1/sync/push",
        token=token,
        json={
            "device_id": "e2e-office-lists",
            "mutations": [
                {
                    "mutation_id": 1,
                    "type": "entry.upsert",
                    "data": group_session(decision_ids),
                }
            ],
        },
        expect=200,
    )
    [result] = response.json()["results"]
    assert [flag["kind"] for flag in result["flags"]] == ["overuse"] * len(decision_ids), result


def _search(phone: Phone, label: str, text: str) -> None:
    phone.fill(label, text)
    phone.click("Søk")


def _office(phone: Phone) -> None:
    phone.login("koord")
    phone.wait_text("Registrering")


def _shot(phone: Phone, name: str) -> None:
    """The screen at the office's width and at a phone's."""
    phone.page.set_viewport_size(OFFICE)
    phone.page.wait_for_timeout(800)  # only for the picture: Flutter lays out anew
    phone.screenshot(f"{name}-1366")
    phone.page.set_viewport_size(PHONE)
    phone.page.wait_for_timeout(800)
    phone.screenshot(f"{name}-390")


def _buttons(phone: Phone, starting: str) -> list[Any]:
    found = phone.page.get_by_role("button", name=re.compile("^" + re.escape(starting)))
    return [found.nth(i).inner_text() for i in range(found.count())]


def test_a_group_overuse_is_one_card_with_each_sheet_once(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people=GROUP, group="flaggruppe")
    group_id = live_server.api(
        "GET",
        f"/api/v1/decisions/{seeded.decisions['Gunn Gruppe']}",
        token=seeded.office_token,
        expect=200,
    ).json()["group_id"]
    _push_group_session(live_server, seeded.username, list(seeded.decisions.values()))

    phone.page.set_viewport_size(OFFICE)
    _office(phone)
    phone.tap("Avvik")
    phone.wait_text("Avvik og meldinger")
    _search(phone, "Søk i avvik", group_id)
    shown = phone.wait_text(rf"Overforbruk i gruppe {re.escape(group_id)}")
    phone.wait_text(r"Viser 1–1 av 1")
    # One card: one way to resolve it, every participant named on it with their excess.
    assert len(_buttons(phone, "Løs avvik")) == 1, shown
    for name in GROUP:
        assert re.search(rf"{name} \([^)]*\): Overforbruk .*brukt 3 t av 2 t", shown), shown
    # Each participant's timesheet is linked once (before: once per card, on every card).
    links = _buttons(phone, "Se timelisten")
    assert len(links) == len(GROUP), links
    assert sorted(next(n for n in GROUP if n in link) for link in links) == sorted(GROUP)
    _shot(phone, "office-flags-group-card")

    # Resolving the card resolves the flag of every participant.
    phone.page.set_viewport_size(OFFICE)
    found = re.search(rf"Overforbruk i gruppe {re.escape(group_id)}, [^\n]+", shown)
    assert found is not None, shown
    title = found.group(0)
    phone.click(f"Løs avvik: {title}")
    phone.fill(f"Notat om løsningen ({title})", "Avklart med gruppen.")
    phone.click("Marker som løst")
    phone.wait_text("Avviket er løst")
    flags = live_server.api(
        "GET",
        "/api/v1/flags",
        token=seeded.office_token,
        params={"q": group_id, "status": "open"},
        expect=200,
    ).json()
    assert flags["count"] == 0, flags


def test_the_recipient_list_is_searched_and_paged(phone: Phone, live_server: LiveServer) -> None:
    office = live_server.login("koord")
    marker = f"Sidevis{entry_id()[-6:]}"
    add_recipients(live_server, office, marker, 55)

    phone.page.set_viewport_size(OFFICE)
    _office(phone)
    phone.tap("Registrering")
    phone.wait_text("Søk i støttekontakter")
    phone.page.get_by_role("button", name="Tjenestemottakere").first.click()
    phone.wait_text("Søk i tjenestemottakere")
    _search(phone, "Søk i tjenestemottakere", marker.lower())
    shown = phone.wait_text(r"Viser 1–50 av 55")
    assert f"{marker} Person 00" in shown
    assert f"{marker} Person 54" not in shown
    _shot(phone, "office-recipients-search")
    phone.page.set_viewport_size(OFFICE)
    phone.click("Neste side")
    shown = phone.wait_text(r"Viser 51–55 av 55")
    assert f"{marker} Person 54" in shown
    assert f"{marker} Person 00" not in shown
    phone.click("Forrige side")
    phone.wait_text(r"Viser 1–50 av 55")
    _search(phone, "Søk i tjenestemottakere", f"{marker} person 07")
    shown = phone.wait_text(r"Viser 1–1 av 1")
    assert f"{marker}-07" in shown


TABS = ("Støttekontakter", "Tjenestemottakere", "Vedtak")


def _tab_boxes(phone: Phone) -> dict[str, dict[str, float]]:
    phone.page.wait_for_timeout(800)  # Flutter lays out anew after a resize
    boxes = {}
    for tab in TABS:
        box = phone.page.get_by_role("button", name=tab, exact=True).bounding_box()
        assert box is not None, tab
        boxes[tab] = box
    return boxes


def test_the_registration_tabs_keep_whole_words_on_a_phone_and_at_200_percent_text(
    phone: Phone,
) -> None:
    """Each tab is as wide at 390 px as where nothing squeezes it (1366 px), and wholly on
    the screen: no 'Støttekontakte r', no tab scrolled out of sight. The same with the
    browser's text size at 200 % (Flutter follows it)."""
    phone.page.set_viewport_size(OFFICE)
    _office(phone)
    phone.go("/kontor/registrering")
    phone.wait_text("Ny støttekontakt")
    browser = phone.page.context.new_cdp_session(phone.page)
    try:
        for size, name in ((16, "100"), (32, "200")):
            browser.send("Page.setFontSizes", {"fontSizes": {"standard": size}})
            phone.page.set_viewport_size(OFFICE)
            roomy = _tab_boxes(phone)
            phone.page.set_viewport_size(PHONE)
            narrow = _tab_boxes(phone)
            for tab in TABS:
                assert narrow[tab]["width"] == pytest.approx(roomy[tab]["width"], abs=1), (
                    f"{tab} at {name} % text: {narrow[tab]} (roomy: {roomy[tab]})"
                )
                assert narrow[tab]["x"] >= 0, (tab, narrow[tab])
                assert narrow[tab]["x"] + narrow[tab]["width"] <= PHONE["width"], (
                    tab,
                    narrow[tab],
                )
            phone.screenshot(f"office-registry-tabs-390-text{name}")
    finally:
        browser.send("Page.setFontSizes", {"fontSizes": {"standard": 16}})
        browser.detach()
