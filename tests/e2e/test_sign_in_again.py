"""An expired sign-in on the phone: the entry waits, the sync screen asks for the
password again (the same form as the first sign-in, `mobile/views/login.py`),
and once signed in the entry is sent. Nothing typed or saved is lost."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from tests.e2e.conftest import Phone, seed, server_usage
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

pytestmark = pytest.mark.e2e


def expire_sign_ins(server: LiveServer, username: str) -> None:
    """Every token of `username` expired, as after a long time away (the suite's SQLite)."""
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        changed = db.execute(
            "UPDATE auth_tokens SET expires_at = '2000-01-01 00:00:00.000000' "
            "WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
            (username,),
        ).rowcount
    assert changed >= 1


def test_an_expired_sign_in_is_renewed_on_the_sync_screen(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    # The first pull has brought Ola's vedtak (his chip on the entry form); a sign-in
    # expired before it would leave the phone with no one to log a session for.
    phone.wait_text("Brukt 0 t av 10 t")
    expire_sign_ins(live_server, seeded.username)

    phone.log_session("Ola N.", "09:00", "10:00")
    phone.wait_text("Logg inn igjen")
    phone.go("/sync")
    phone.wait_text("Logg inn på nytt for å sende endringene. Ingenting er slettet.")

    phone.fill("Passord", "feil-passord-1")
    phone.click("Logg inn")
    phone.wait_text("Feil brukernavn eller passord.")
    assert "Engangskode" not in phone.text()  # a contact has no second factor

    phone.fill("Passord", DEFAULT_PASSWORD)
    phone.click("Logg inn")
    phone.wait_text("Alt er synkronisert.", timeout_ms=30_000)
    usage = server_usage(live_server, seeded.office_token, seeded.decisions["Ola Nordmann"])
    assert any(Decimal(str(p["used_hours"])) == Decimal(1) for p in usage["periods"])
