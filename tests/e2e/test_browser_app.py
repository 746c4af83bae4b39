"""The app as a contact carries it: Python in the phone's browser, offline for real.

The app is the build that `timeliste serve` serves at `/` (webapp.build). Offline
is Playwright's `set_offline(True)`: every request of the browser fails,
loopback included, as in airplane mode — not a stopped server.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    LOAD_TIMEOUT_MS,
    BuiltApp,
    Phone,
    open_profile,
    seed,
    server_sheets,
    server_usage,
    wait_installed,
)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_served_with_the_right_types_and_caching(built_app: BuiltApp) -> None:
    built = json.loads((built_app.folder / "BUILD.json").read_text())
    with httpx.Client(base_url=built_app.url, headers={"accept-encoding": "gzip"}) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-cache"
        assert built["build_id"] in page.text
        deep = http.get("/kontor/avvik")  # a bookmark opens the app, whose router takes over
        assert deep.status_code == 200
        assert deep.text == page.text
        worker = http.get("/sw.js")
        assert worker.headers["cache-control"] == "no-cache"
        assert built["build_id"] in worker.text
        wasm = http.get(built["runtime"] + "pyodide/pyodide.asm.wasm")
        assert wasm.headers["content-type"] == "application/wasm"
        assert wasm.headers["content-encoding"] == "gzip"
        assert "immutable" in wasm.headers["cache-control"]
        module = http.get(built["runtime"] + "pyodide/pyodide.mjs")
        assert module.headers["content-type"].startswith("text/javascript")
        manifest = http.get("/manifest.webmanifest").json()
        assert manifest["start_url"] == "/"
        assert manifest["display"] == "standalone"
        assert http.get(manifest["icons"][0]["src"]).headers["content-type"] == "image/png"
        assert http.get(built["runtime"] + "missing.js").status_code == 404
        # Flutter's client loads Rive's runtime at every start: the build has a
        # stand-in where main.dart.js looks, so no open asks a CDN or gets a 404.
        client = http.get(built["runtime"] + "main.dart.js").text
        assert "flutter-native-wasm" not in client
        (rive,) = set(re.findall(r"/r/rive-[0-9a-f]{16}/", client))
        stand_in = http.get(rive + "wasm/rive_native.js")
        assert stand_in.status_code == 200
        assert stand_in.headers["content-type"].startswith("text/javascript")
        assert rive + "wasm/rive_native.js" in built["precache"]
        api = http.get("/api/v1/no-such-route")
        assert api.status_code == 404
        assert "json" in api.headers["content-type"]
    # What the browser unpacks: the gzip twin is the file itself.
    twin = built_app.folder / "sw.js.gz"
    assert not twin.exists() or gzip.decompress(twin.read_bytes()) == worker.content


def kill_browser(context: Any, profile: Path) -> None:
    """End the browser on `profile` at once, as a phone's system ends it (SIGKILL).

    Not `context.close()`: a graceful close (or closing the tab) lifts Chromium's
    offline emulation while the tab's workers still run, and a sync retry in that
    moment reaches the server (seen: 2-8 requests of a worker that fetches every
    5 ms, through a service worker, at each close). A phone in airplane mode sends
    nothing; a killed browser sends nothing either, and keeps only what it had
    committed to disk, which is what this test is about.
    """
    from playwright.sync_api import Error as PlaywrightError

    flag = f"--user-data-dir={profile}".encode()
    killed = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # The browser process: its children (renderers, network service) exit with it.
        if flag in args and not any(arg.startswith(b"--type=") for arg in args):
            os.kill(int(proc.name), signal.SIGKILL)
            killed.append(int(proc.name))
    assert killed, f"no browser running on {profile}"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(PlaywrightError):
        context.close()  # Playwright's side of the dead browser


def _offline_session_after_install(context: Any, app: BuiltApp, username: str) -> Phone:
    """First visit online on `context`: sign in, sync, wait until the app is installed,
    then go offline and log Kari's 10:00–12:00 session (the start of the offline tests)."""
    phone = Phone(context.new_page(), app.url)
    phone.open()
    phone.login(username)
    phone.wait_text("Synkronisert")
    wait_installed(phone, app)
    context.set_offline(True)
    phone.log_session("Kari H.", "10:00", "12:00")
    return phone


def test_after_one_visit_the_app_opens_offline(
    phone: Phone, live_server: LiveServer, built_app: BuiltApp
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.wait_text("Brukt 0 t av 10 t")
    wait_installed(phone, built_app)

    phone.page.context.set_offline(True)
    phone.reload()
    phone.wait_text("Mine tjenestemottakere", timeout_ms=LOAD_TIMEOUT_MS)
    phone.wait_text("Brukt 0 t av 10 t")
    phone.screenshot("browser-offline-home")


def test_offline_a_browser_closed_right_after_lagret_keeps_the_session_and_a_signed_month(
    browser_type: Any, live_server: LiveServer, built_app: BuiltApp, tmp_path: Path
) -> None:
    """Issue 16: a session logged offline is kept by a browser closed right after "Lagret",
    shows "venter" when the app is opened again offline, the month is signed there by
    drawing, and back online both the session and the signature reach the server."""
    seeded = seed(live_server, people={"Kari Hansen": ("10", "month")})
    decision_id = seeded.decisions["Kari Hansen"]
    profile = tmp_path / "phone-profile"

    context = open_profile(browser_type, profile)
    missing: list[str] = []
    context.on("response", lambda r: r.status >= 400 and missing.append(f"{r.status} {r.url}"))
    try:
        phone = Phone(context.new_page(), built_app.url)
        phone.open()
        phone.login(seeded.username)
        phone.wait_text("Synkronisert")
        wait_installed(phone, built_app)
        # A first visit, sign-in and sync ask for nothing the server does not have.
        assert missing == []
        context.set_offline(True)
        phone.log_session("Kari H.", "10:00", "12:00")
        # "Lagret" is said once the save is committed to IndexedDB: ending the
        # browser at that moment must not lose it.
        phone.wait_text("Økten er lagret.")
        kill_browser(context, profile)
    finally:
        context.close()

    # The phone is still offline when the contact opens the app again.
    context = open_profile(browser_type, profile)
    try:
        context.set_offline(True)
        phone = Phone(context.new_page(), built_app.url)
        phone.open()
        phone.wait_text("Mine tjenestemottakere", timeout_ms=LOAD_TIMEOUT_MS)
        phone.wait_text(r"Kari H\.: .*10:00–12:00 · 2 t\s+venter")

        phone.click("Timeliste for Kari H.")
        phone.wait_text(r"Timer: 2 t")
        phone.click("La mottaker signere")
        phone.wait_text("Les gjennom øktene")
        phone.sign_month("Kari Hansen")
        phone.wait_text("Takk! Timelisten er signert.")
        usage = server_usage(live_server, seeded.office_token, decision_id)
        assert all(Decimal(str(p["used_hours"])) == 0 for p in usage["periods"])
        assert not [
            s
            for s in server_sheets(live_server, seeded.office_token)
            if s["decision_id"] == decision_id and s["status"] == "signed"
        ]

        context.set_offline(False)

        def arrived() -> bool:
            periods = server_usage(live_server, seeded.office_token, decision_id)["periods"]
            return any(Decimal(str(p["used_hours"])) == Decimal(2) for p in periods)

        def signed() -> bool:
            return any(
                s["decision_id"] == decision_id and s["status"] == "signed"
                for s in server_sheets(live_server, seeded.office_token)
            )

        phone.wait_for(arrived, "the session on the server", timeout_ms=40_000)
        phone.wait_for(signed, "the signed timesheet on the server", timeout_ms=40_000)
    finally:
        context.close()


def test_a_browser_that_lost_its_preferences_still_opens_the_signed_in_account_offline(
    browser_type: Any, live_server: LiveServer, built_app: BuiltApp, tmp_path: Path
) -> None:
    """Who is signed in is kept in localStorage, which Chromium writes to disk lazily;
    a browser killed soon after signing in lost it (seen in CI: the app reopened
    offline on the sign-in screen with the saved session out of reach). The
    account's own store, in IndexedDB, says whose it is."""
    seeded = seed(live_server, people={"Kari Hansen": ("10", "month")})
    context = open_profile(browser_type, tmp_path / "phone-profile")
    try:
        phone = _offline_session_after_install(context, built_app, seeded.username)
        phone.wait_text("Økten er lagret.")
        # What a lazy write lost: every preference the app had.
        phone.page.evaluate("() => localStorage.clear()")
        phone.reload()
        phone.wait_text("Mine tjenestemottakere", timeout_ms=LOAD_TIMEOUT_MS)
        phone.wait_text(r"Kari H\.: .*10:00–12:00 · 2 t\s+venter")
    finally:
        context.close()


STORE_FILES = """async () => {
    // One IndexedDB database per signed-in account (sync.browser_storage).
    const names = (await indexedDB.databases()).map(d => d.name);
    return names.filter(name => name.startsWith('timeliste-'));
}"""


def test_signing_out_deletes_the_account_from_the_browsers_storage(
    phone: Phone, live_server: LiveServer
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")
    phone.wait_for(
        lambda: len(phone.page.evaluate(STORE_FILES)) == 1, "the account's store in IndexedDB"
    )

    phone.click("Innstillinger")
    phone.click("Logg ut")
    phone.wait_text("Logge ut?")
    phone.button("Logg ut").last.click()
    phone.wait_text("Brukernavn")
    phone.wait_for(lambda: phone.page.evaluate(STORE_FILES) == [], "an empty IndexedDB")
    # Nothing of the account is left for the next start either.
    phone.reload()
    phone.wait_text("Brukernavn")


def test_a_second_tab_waits_while_the_first_one_has_the_app(
    phone: Phone, live_server: LiveServer, app_profile: Any, built_app: BuiltApp
) -> None:
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")

    second = Phone(app_profile.new_page(), built_app.url)
    try:
        second.open()
        second.wait_text("Timeliste er åpen i en annen fane")
        assert "Ny økt" not in second.text()
        # The first tab goes on working. A person types in the tab they look at:
        # Flutter's text input needs its page to have the focus, which the newly
        # opened second tab took.
        phone.page.bring_to_front()
        phone.log_session("Ola N.", "09:00", "10:00")
        phone.wait_text(r"Ola N\.: .*09:00–10:00")
        # Closed, it hands the app to the waiting tab, with what it saved.
        phone.page.close()
        second.wait_text(r"Ola N\.: .*09:00–10:00", timeout_ms=LOAD_TIMEOUT_MS)
    finally:
        second.page.close()


@pytest.mark.slow
def test_a_new_build_is_offered_and_loaded_keeping_a_waiting_session(
    browser_type: Any, tmp_path: Path
) -> None:
    from webapp.build import ensure_build

    builds = tmp_path / "webapp"
    first = ensure_build(builds, release="test-1")
    with LiveServer(tmp_path / "server", env={"TIMELISTE_WEBAPP_DIR": str(builds)}) as server:
        server.add_user("koord", "coordinator")
        seeded = seed(server, people={"Kari Hansen": ("10", "month")})
        app = BuiltApp(server.base_url + "/", first.build_id, builds)
        context = open_profile(browser_type, tmp_path / "profile")
        try:
            phone = _offline_session_after_install(context, app, seeded.username)
            phone.wait_text("venter")

            second = ensure_build(builds, release="test-2")
            assert second.build_id != first.build_id
            context.set_offline(False)
            # The running tab keeps its build; the browser finds the new one on the next
            # load, and the app offers it instead of swapping files under the user.
            phone.page.reload()
            phone.enable_semantics()
            phone.wait_started()
            banner = phone.page.get_by_role("button", name="Oppdater")
            banner.wait_for(timeout=LOAD_TIMEOUT_MS)
            assert phone.page.evaluate("flet.timelisteBuild") == first.build_id
            banner.click()
            phone.wait_for(
                lambda: (
                    phone.page.evaluate("typeof flet === 'object' && flet.timelisteBuild")
                    == second.build_id
                ),
                "the new build in the page",
                timeout_ms=LOAD_TIMEOUT_MS,
            )
            phone.enable_semantics()
            phone.wait_started()
            phone.wait_text(r"Kari H\.: .*10:00–12:00")

            def arrived() -> bool:
                periods = server_usage(server, seeded.office_token, seeded.decisions["Kari Hansen"])
                return any(Decimal(str(p["used_hours"])) == Decimal(2) for p in periods["periods"])

            phone.wait_for(arrived, "the session on the server", timeout_ms=40_000)
            # Only the new build's cache is left.
            names = phone.page.evaluate("caches.keys()")
            assert names == [f"timeliste-{second.build_id}"]
        finally:
            context.close()
