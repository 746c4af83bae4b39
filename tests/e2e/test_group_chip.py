"""The group chip on a 390 px phone: the contact reads every participant's name (issue 10).

A group's chip names all its participants. On a phone-wide screen that is
longer than a line: the chip must grow a line, not cut the names off.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, Phone, seed
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

PEOPLE = {
    "Aleksander Bakken": ("10", "month"),
    "Emilie Karlsen": ("10", "month"),
    "Kristoffer Solberg": ("10", "month"),
    "Marianne Thorsen": ("10", "month"),
}
GROUP_LABEL = "Gruppe: Aleksander B., Emilie K., Kristoffer S., Marianne T."


def test_the_group_chip_shows_every_name_at_390_px(phone: Phone, live_server: LiveServer) -> None:
    seeded = seed(live_server, people=PEOPLE, group="turgruppa")
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    chip = phone.page.get_by_role("checkbox", name=GROUP_LABEL, exact=True).first
    chip.wait_for()
    phone.choose(GROUP_LABEL)
    phone.wait_text("Til stede")
    phone.screenshot("group-chip-390")
    box = chip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"], box
    # One line of a chip is about 48 px; the four names need two lines at this width,
    # so a chip still one line high has cut them off.
    assert box["height"] >= 70, f"the group chip is one line high: {box}"
