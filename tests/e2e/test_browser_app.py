"""The app as a contact carries it: Python in the phone's browser, offline for real.

The app is the build that `timeliste serve` serves at `/` (webapp.build). Offline
is Playwright's `set_offline(True)`: every request of the browser fails,
loopback included, as in airplane mode — not a stopped server.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    LOAD_TIMEOUT_MS,
    BuiltApp,
    WebPhone,
    open_profile,
    seed,
    server_usage,
)
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def wait_installed(phone: WebPhone, built_app: BuiltApp) -> None:
    """Until the service worker controls the page and holds every file of this build."""
    precache = json.loads((built_app.folder / "BUILD.json").read_text())["precache"]
    phone.wait_for(
        lambda: phone.page.evaluate(
            """async (wanted) => {
                if (!navigator.serviceWorker.controller) return false;
                const names = await caches.keys();
                const ours = names.filter(n => n.startsWith('timeliste-'));
                if (ours.length !== 1) return false;
                const cache = await caches.open(ours[0]);
                for (const url of wanted) {
                    if (!(await cache.match(url))) return false;
                }
                const kept = (await cache.keys()).map(r => new URL(r.url).pathname);
                return kept.some(p => p.includes('/canvaskit/') && p.endsWith('.wasm'));
            }""",
            precache,
        ),
        "the service worker with the whole app in its cache",
        timeout_ms=LOAD_TIMEOUT_MS,
    )


def log_session(phone: WebPhone, person: str, start: str, end: str) -> None:
    phone.click("Ny økt")
    phone.wait_text("Hvem gjaldt økten")
    phone.choose(person)
    phone.fill("Fra", start)
    phone.fill("Til", end)
    phone.click("Lagre")


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
        api = http.get("/api/v1/no-such-route")
        assert api.status_code == 404
        assert "json" in api.headers["content-type"]
    # What the browser unpacks: the gzip twin is the file itself.
    twin = built_app.folder / "sw.js.gz"
    assert not twin.exists() or gzip.decompress(twin.read_bytes()) == worker.content


def test_after_one_visit_the_app_opens_offline(
    web_phone: WebPhone, live_server: LiveServer, built_app: BuiltApp
) -> None:
    phone = web_phone
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.open()
    phone.login(seeded.username)
    phone.wait_text("Brukt 0 t av 10 t")
    wait_installed(phone, built_app)

    phone.page.context.set_offline(True)
    phone.page.reload()
    phone.enable_semantics()
    phone.wait_started()
    phone.wait_text("Mine tjenestemottakere", timeout_ms=LOAD_TIMEOUT_MS)
    phone.wait_text("Brukt 0 t av 10 t")
    phone.screenshot("browser-offline-home")


def test_a_session_logged_offline_survives_a_closed_browser_and_reaches_the_server(
    browser: Any, live_server: LiveServer, built_app: BuiltApp, tmp_path: Path
) -> None:
    seeded = seed(live_server, people={"Kari Hansen": ("10", "month")})
    profile = tmp_path / "phone-profile"

    context = open_profile(browser, profile)
    try:
        phone = WebPhone(context.new_page(), built_app.url)
        phone.open()
        phone.login(seeded.username)
        phone.wait_text("Synkronisert")
        wait_installed(phone, built_app)
        context.set_offline(True)
        log_session(phone, "Kari H.", "10:00", "12:00")
        phone.wait_text(r"Kari H\.: .*10:00–12:00")
        phone.wait_text("venter")
    finally:
        context.close()

    # The phone is still offline when the contact opens the app again.
    context = open_profile(browser, profile)
    try:
        context.set_offline(True)
        phone = WebPhone(context.new_page(), built_app.url)
        phone.open()
        phone.wait_text("Mine tjenestemottakere", timeout_ms=LOAD_TIMEOUT_MS)
        phone.wait_text(r"Kari H\.: .*10:00–12:00")
        phone.wait_text("venter")
        usage = server_usage(live_server, seeded.office_token, seeded.decisions["Kari Hansen"])
        assert all(Decimal(str(p["used_hours"])) == 0 for p in usage["periods"])

        context.set_offline(False)
        phone.wait_text("sendt", timeout_ms=40_000)

        def arrived() -> bool:
            periods = server_usage(
                live_server, seeded.office_token, seeded.decisions["Kari Hansen"]
            )["periods"]
            return any(Decimal(str(p["used_hours"])) == Decimal(2) for p in periods)

        phone.wait_for(arrived, "the session on the server")
    finally:
        context.close()


STORE_FILES = """async () => {
    // One IndexedDB database per signed-in account (sync.browser_storage).
    const names = (await indexedDB.databases()).map(d => d.name);
    return names.filter(name => name.startsWith('timeliste-'));
}"""


def test_signing_out_deletes_the_account_from_the_browsers_storage(
    web_phone: WebPhone, live_server: LiveServer
) -> None:
    phone = web_phone
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.open()
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
    phone.page.reload()
    phone.enable_semantics()
    phone.wait_started()
    phone.wait_text("Brukernavn")


def test_a_second_tab_waits_while_the_first_one_has_the_app(
    web_phone: WebPhone, live_server: LiveServer, app_profile: Any, built_app: BuiltApp
) -> None:
    phone = web_phone
    seeded = seed(live_server, people={"Ola Nordmann": ("10", "month")})
    phone.open()
    phone.login(seeded.username)
    phone.wait_text("Synkronisert")

    second = WebPhone(app_profile.new_page(), built_app.url)
    try:
        second.open()
        second.wait_text("Timeliste er åpen i en annen fane")
        assert "Ny økt" not in second.text()
        # The first tab goes on working. A person types in the tab they look at:
        # Flutter's text input needs its page to have the focus, which the newly
        # opened second tab took.
        phone.page.bring_to_front()
        log_session(phone, "Ola N.", "09:00", "10:00")
        phone.wait_text(r"Ola N\.: .*09:00–10:00")
        # Closed, it hands the app to the waiting tab, with what it saved.
        phone.page.close()
        second.wait_text(r"Ola N\.: .*09:00–10:00", timeout_ms=LOAD_TIMEOUT_MS)
    finally:
        second.page.close()


@pytest.mark.slow
def test_a_new_build_is_offered_and_loaded_keeping_a_waiting_session(
    browser: Any, tmp_path: Path
) -> None:
    from webapp.build import ensure_build

    builds = tmp_path / "webapp"
    first = ensure_build(builds, release="test-1")
    with LiveServer(tmp_path / "server", env={"TIMELISTE_WEBAPP_DIR": str(builds)}) as server:
        server.add_user("koord", "coordinator")
        seeded = seed(server, people={"Kari Hansen": ("10", "month")})
        app = BuiltApp(server.base_url + "/", first.build_id, builds)
        context = open_profile(browser, tmp_path / "profile")
        try:
            phone = WebPhone(context.new_page(), app.url)
            phone.open()
            phone.login(seeded.username)
            phone.wait_text("Synkronisert")
            wait_installed(phone, app)
            context.set_offline(True)
            log_session(phone, "Kari H.", "10:00", "12:00")
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
