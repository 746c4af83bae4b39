"""Shared fixtures for browser tests: a real server, the real app in web mode, real Chromium.

- `live_server` (session): `timeliste serve` on loopback with its own SQLite file and a
  coordinator login `koord` (tests.support.live_server).
- `app_server` (session): `timeliste app --web` in a subprocess, pointed at that server,
  with its device stores in a temporary folder.
- `built_app` (session): the browser app built by `webapp.build` (built here when missing
  or stale), served by the live server itself at `/`: Python runs in the browser (Pyodide).
- `app_profile` (session): one phone-sized browser profile on disk for the built app; its
  service worker and cached code persist across tests, like an installed app.
- `web_phone` (function): a new tab in that profile with the site's data (IndexedDB,
  preferences) wiped first: a new phone with the app installed and no account on it.
- `open_profile`: a browser on a profile folder of its own, to close and reopen.
- `browser` (session): Debian's Chromium through Playwright (never a downloaded browser).
- `page` (function): a fresh browser context (its own storage, so its own device store)
  at the phone size 390×844 with Flutter's semantics switched on.
- `seed`: makes a contact with people and vedtak over the HTTP API, as a coordinator.
- `Phone`: small helpers to find controls by role and label, read the screen, screenshot.

Screenshots go to test-artifacts/e2e/ (ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import DEFAULT_PASSWORD, LiveServer, free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("TIMELISTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
LOAD_TIMEOUT_MS = 60_000
STEP_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.e2e


def _require_browser() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make chromium)")
    pytest.importorskip("playwright.sync_api")


# --- servers ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("e2e-server")) as server:
        server.add_user("koord", "coordinator")
        yield server


@dataclass
class AppServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def start_app_server(server_url: str, folder: Path, port: int | None = None) -> AppServer:
    """`timeliste app --web` in a subprocess; returns once it serves the web client."""
    port = port or free_port()
    data_dir = folder / "device-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = folder / "app.log"
    env = {
        **os.environ,
        "FLET_APP_STORAGE_DATA": str(data_dir),
        "PYTHONPATH": str(REPO),
        "TIMELISTE_APP_RETRY_SECONDS": "1",
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "timeliste",
                "app",
                "--web",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--server",
                server_url,
            ],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return AppServer(url, data_dir, process, log_path)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the app server did not answer:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def app_server(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    _require_browser()
    app = start_app_server(live_server.base_url, tmp_path_factory.mktemp("e2e-app"))
    yield app
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Phone:
    """A browser page showing the app, with helpers that wait on what a user sees."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base_url.rstrip("/") + path)
        self.enable_semantics()

    def enable_semantics(self) -> None:
        # Flutter draws on a canvas; its accessibility tree is the DOM we can query.
        self.page.wait_for_selector(
            "flt-semantics-placeholder", state="attached", timeout=LOAD_TIMEOUT_MS
        )
        self.page.evaluate("document.querySelector('flt-semantics-placeholder').click()")

    def text(self) -> str:
        """What a screen reader can read: the visible text and every accessible label."""
        result: str = self.page.evaluate(
            """(() => {
                const host = document.querySelector('flt-semantics-host');
                if (!host) return '';
                const labels = Array.from(host.querySelectorAll('[aria-label]'))
                    .map(node => node.getAttribute('aria-label'));
                return host.innerText + '\\n' + labels.join('\\n');
            })()"""
        )
        return result

    def wait_text(self, pattern: str, timeout_ms: int = STEP_TIMEOUT_MS) -> str:
        """Wait until the screen's text matches `pattern` (a regular expression)."""
        deadline = time.monotonic() + timeout_ms / 1000
        regex = re.compile(pattern)
        while True:
            shown = self.text()
            if regex.search(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {pattern!r}; the screen said:\n{shown}")
            self.page.wait_for_timeout(100)

    def wait_for(self, check: Any, what: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
        """Wait until `check()` is true (e.g. the server has what the app sent)."""
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                if check():
                    return
            except PlaywrightError as error:
                # The app reloads its page by itself when a new service worker takes
                # over; a check that straddles that reload is asked again, not failed.
                if "Execution context was destroyed" not in str(error):
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}")
            self.page.wait_for_timeout(200)

    def textbox(self, label: str) -> Any:
        """The text field named `label` (a name that contains it: keep labels distinct).

        Flutter moves its one editing element between fields, and a focused
        field's exact name can differ for a moment; the role match follows it.
        """
        return self.page.get_by_role("textbox", name=label).first

    def button(self, label: str, exact: bool = True) -> Any:
        return self.page.get_by_role("button", name=label, exact=exact)

    def fill(self, label: str, value: str) -> None:
        """Type into a field as a user would: focus it, clear it, type, leave it.

        Flutter's web text input is one editing element that moves between
        fields: `locator.fill` on the next field can overtake the previous
        field's change, and keys typed before the field has focus are lost.
        So: wait for focus, type key by key, leave with Tab, and check what
        the field holds (retrying a lost keystroke as a user would).
        """
        box = self.textbox(label)
        box.wait_for(timeout=STEP_TIMEOUT_MS)
        for _ in range(5):
            box.click()
            try:
                self.wait_for(
                    lambda: box.evaluate("node => document.activeElement === node"),
                    f"focus in {label!r}",
                    timeout_ms=3000,
                )
            except AssertionError:
                continue  # a busy machine: tap the field again
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(value)
            if box.input_value() == value:
                break
        self.page.keyboard.press("Tab")
        assert box.input_value() == value, f"{label!r} holds {box.input_value()!r}"

    def click(self, label: str, exact: bool = True) -> None:
        """Tap a button by its role and accessible name, as a screen reader finds it.

        No fallback to a tooltip or a wrapper's label: a button that cannot be
        found this way is nameless to a screen reader, and that is a bug.
        """
        button = self.button(label, exact=exact).first
        button.wait_for(timeout=STEP_TIMEOUT_MS)
        button.click()

    def choose(self, label: str) -> None:
        """Tap a chip (Flutter exposes selectable chips as checkboxes)."""
        chip = self.page.get_by_role("checkbox", name=label, exact=True).first
        chip.wait_for(timeout=STEP_TIMEOUT_MS)
        chip.click()

    def click_text_matching(self, pattern: str) -> None:
        """Tap the first element whose text matches `pattern` (e.g. a row in a list)."""
        target = self.page.get_by_text(re.compile(pattern)).first
        target.wait_for(timeout=STEP_TIMEOUT_MS)
        target.click()

    def click_text(self, text: str) -> None:
        target = self.page.get_by_text(text, exact=True).first
        target.wait_for(timeout=STEP_TIMEOUT_MS)
        target.click()

    def element(self, label: str) -> Any:
        """An element found by its accessible label, or else by its text."""
        by_label = self.page.get_by_label(label, exact=True)
        if by_label.count():
            return by_label.first
        return self.page.get_by_text(label, exact=True).first

    def scroll_to(self, label: str) -> dict[str, float]:
        """Scroll the screen (mouse wheel) until the labelled element is wholly in view."""
        height = PHONE["height"]
        for _ in range(30):
            target = self.element(label)
            target.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
            box: dict[str, float] | None = target.bounding_box()
            if box is not None and box["y"] >= 60 and box["y"] + box["height"] <= height - 20:
                return box
            delta = 250 if box is None or box["y"] + box["height"] > height - 20 else -250
            self.page.mouse.move(PHONE["width"] / 2, height / 2)
            self.page.mouse.wheel(0, delta)
            self.page.wait_for_timeout(150)
        raise AssertionError(f"could not scroll {label!r} into view")

    def draw(self, label: str, strokes: list[list[tuple[float, float]]]) -> None:
        """Drag the mouse over the element labelled `label`, one stroke per list of points
        (fractions of its width and height)."""
        box = self.scroll_to(label)
        for stroke in strokes:
            (x0, y0), rest = stroke[0], stroke[1:]
            self.page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
            self.page.mouse.down()
            for x, y in rest:
                self.page.mouse.move(
                    box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12
                )
            self.page.mouse.up()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def login(self, username: str, password: str = DEFAULT_PASSWORD) -> None:
        self.fill("Brukernavn", username)
        self.fill("Passord", password)
        self.click("Logg inn")
        self.wait_text(r"Mine tjenestemottakere|Kontor")


@pytest.fixture
def phone(browser: Any, app_server: AppServer) -> Iterator[Phone]:
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    yield Phone(page, app_server.url)
    context.close()


# --- the built app (Python in the browser) -------------------------------------------------


@dataclass
class BuiltApp:
    """The built app (webapp.build) as `timeliste serve` serves it at `/`."""

    url: str
    build_id: str
    folder: Path


def ensure_app_built() -> Any:
    """Build the browser app when missing or stale (a fresh clone: from the registries)."""
    from webapp.build import ensure_build

    return ensure_build()


@pytest.fixture(scope="session")
def built_app(live_server: LiveServer) -> BuiltApp:
    _require_browser()
    build = ensure_app_built()
    return BuiltApp(live_server.base_url + "/", build.build_id, build.folder)


class WebPhone(Phone):
    """A phone showing the built app: Python boots in the page after Flutter does."""

    def open(self, path: str = "/") -> None:
        super().open(path)
        self.wait_started()

    def wait_started(self) -> None:
        """Until the app's Python has drawn its first screen (until then flet's page
        shows only "Working...")."""

        def drawn() -> bool:
            shown = self.text().strip()
            return bool(shown) and not shown.startswith("Working")

        self.wait_for(drawn, "the app's first screen", timeout_ms=LOAD_TIMEOUT_MS)


def open_profile(browser: Any, folder: Path) -> Any:
    """A browser with a profile on disk (like a phone's): the service worker, its cache
    and IndexedDB outlive closing it; open it again on the same folder."""
    return browser.browser_type.launch_persistent_context(
        str(folder),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=PHONE,
        locale="nb-NO",
    )


@pytest.fixture(scope="session")
def app_profile(
    browser: Any, built_app: BuiltApp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    context = open_profile(browser, tmp_path_factory.mktemp("e2e-profile"))
    yield context
    context.close()


def forget_site_data(page: Any, url: str) -> None:
    """The app's data (IndexedDB, preferences) goes; the app's cached code stays."""
    session = page.context.new_cdp_session(page)
    try:
        session.send(
            "Storage.clearDataForOrigin",
            {
                "origin": url.rstrip("/"),
                "storageTypes": "local_storage,indexeddb,websql,file_systems",
            },
        )
    finally:
        session.detach()


@pytest.fixture
def web_phone(app_profile: Any, built_app: BuiltApp) -> Iterator[WebPhone]:
    page = app_profile.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    forget_site_data(page, built_app.url)
    yield WebPhone(page, built_app.url)
    app_profile.set_offline(False)
    page.close()


# --- data ------------------------------------------------------------------------------------


@dataclass
class Seeded:
    """A contact and their vedtak, made through the API as the coordinator."""

    username: str
    contact_id: str
    decisions: dict[str, str] = field(default_factory=dict)  # recipient full name → decision id
    office_token: str = ""


_counter = iter(range(1, 10_000))


def seed(
    server: LiveServer,
    *,
    people: dict[str, tuple[str, str]],
    username: str | None = None,
    group: str | None = None,
) -> Seeded:
    """A contact with one vedtak per person: name → (hours, per).

    With `group`, the vedtak are group vedtak sharing that group id (one
    session then counts on every participant's vedtak).
    """
    n = next(_counter)
    username = username or f"kontakt{n}{os.getpid()}"
    office = server.login("koord")
    contact = server.api(
        "POST",
        "/api/v1/contacts",
        token=office,
        json={
            "username": username,
            "password": DEFAULT_PASSWORD,
            "name": f"Kontakt {n}",
            "employee_no": f"E{n}{os.getpid()}",
            "contract_type": "contractor",
            "politiattest_date": "2025-01-15",
        },
        expect=201,
    ).json()
    seeded = Seeded(username=username, contact_id=str(contact["id"]), office_token=office)
    year = date.today().year
    for index, (name, (hours, per)) in enumerate(people.items()):
        recipient = server.api(
            "POST",
            "/api/v1/recipients",
            token=office,
            json={"name": name, "case_no": f"2026-{n}-{index}"},
            expect=201,
        ).json()
        decision = server.api(
            "POST",
            "/api/v1/decisions",
            token=office,
            json={
                "recipient_id": recipient["id"],
                "kind": "group" if group else "individual",
                "group_id": f"{group}-{n}" if group else None,
                "hours": hours,
                "per": per,
                "valid_from": f"{year - 1}-01-01",
                "valid_to": f"{year + 1}-12-31",
                "contact_ids": [seeded.contact_id],
            },
            expect=201,
        ).json()
        seeded.decisions[name] = str(decision["id"])
    return seeded


def server_usage(server: LiveServer, token: str, decision_id: str) -> dict[str, Any]:
    response = server.api("GET", f"/api/v1/decisions/{decision_id}/usage", token=token, expect=200)
    result: dict[str, Any] = response.json()
    return result
