"""The sync chip and the rows' "venter"/"sendt" tell the truth, also after the app is reopened."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Phone, seed
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

# Well under the background pull's 30 s: a change is sent at once, not at the next pull.
SENT_WITHIN_MS = 10_000


def test_a_session_saved_after_reopening_the_app_is_sent_at_once(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    for round_ in range(2):
        phone.reopen()
        phone.wait_text("Mine tjenestemottakere")
        start, end = ("09:00", "10:00") if round_ == 0 else ("11:00", "12:00")
        phone.log_session("Ola N.", start, end)
        phone.wait_text(rf"{start}–{end}")
        phone.wait_text(rf"{start}–{end} · 1 t\s+sendt", timeout_ms=SENT_WITHIN_MS)
        phone.wait_text("Synkronisert", timeout_ms=SENT_WITHIN_MS)
        shown = phone.text()
        assert "venter" not in shown, shown
    phone.screenshot("24-home-after-reopen")


def test_offline_with_nothing_waiting_the_chip_says_when_it_last_reached_the_server(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    # Just synced: the next background pull is 30 s away. The app hears the
    # browser's offline event and tries at once, so the chip says so well before.
    phone.page.context.set_offline(True)
    shown = phone.wait_text(r"Frakoblet · sist \d\d:\d\d", timeout_ms=SENT_WITHIN_MS)
    assert "venter" not in shown, shown
    phone.screenshot("25-offline-last-contact")
    phone.page.context.set_offline(False)
    phone.wait_text(r"Synkronisert", timeout_ms=SENT_WITHIN_MS)
