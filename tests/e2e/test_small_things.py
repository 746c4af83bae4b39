"""Small things a contact meets at 390 px (issue 10 item 10)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Phone, seed
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_the_saved_notice_does_not_follow_onto_the_edit_screen(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.log_session("Ola N.", "10:00", "11:00")
    phone.wait_text("Økten er lagret.")
    phone.click_text_matching(r"Ola N\.: .* 10:00–11:00")
    phone.wait_text("Endre økt")
    # The notice lasts 2.5 s on the screen it belongs to; on the next one it is gone at once.
    phone.wait_for(
        lambda: "Økten er lagret." not in phone.text(), "the notice gone", timeout_ms=600
    )
    phone.screenshot("29-edit-without-notice")
