"""Shared fixtures for browser tests: a real server, the built app, real Chromium.

Every browser test drives the app as a phone or an office PC gets it: the build
of `webapp.build` (Flutter + Python in the browser, Pyodide) served by
`timeliste serve` at `/`, with the API at `/api/v1` on the same origin.

- `live_server` (session): `timeliste serve` on loopback with its own SQLite file and a
  coordinator login `koord` (tests.support.live_server).
- `built_app` (session): the browser app (built here when missing or stale).
- `app_profile` (session): one phone-sized browser profile on disk; its service worker
  and cached code persist across tests, like an installed app.
- `phone` (function): the app in a tab of that profile, at the sign-in screen with no
  account on the device. The tab is handed from test to test: the previous test's
  account is signed out through the app (which deletes its data, as on a shared
  phone), because starting Python in a new tab costs far more than a sign-in. A tab
  whose test failed, or which a test closed, is replaced by a new one with the site's
  data wiped.
- `open_profile`: a browser on a profile folder of its own, to close and reopen.
- `seed`: makes a contact with people and vedtak over the HTTP API, as a coordinator.
- `ContactDevice`: the contact's phone reduced to its sync calls (for office tests).
- `Phone`: helpers that find controls by role and name, read the screen, screenshot.

Screenshots go to test-artifacts/e2e/ (ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.canonical import content_hash
from models.schemas import EntryData
from tests.factories import entry_id, recent_day, sign_payload
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

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
OFFICE = {"width": 1366, "height": 900}
# Starting the app's Python in a tab takes 6-10 s on a quiet machine and far more
# when the machine is shared; a sign-in or a screen change takes a second or two.
LOAD_TIMEOUT_MS = 120_000
STEP_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.e2e


def _require_browser() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make chromium)")
    pytest.importorskip("playwright.sync_api")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's outcome on the test, so `phone` knows whether its tab is sound."""
    report = yield
    setattr(item, f"_e2e_{report.when}", report)
    return report


# --- servers and the app -------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("e2e-server")) as server:
        server.add_user("koord", "coordinator")
        yield server


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


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type() -> Iterator[Any]:
    """Playwright's Chromium driver; each profile below is a browser of its own."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium


def open_profile(browser_type: Any, folder: Path) -> Any:
    """A browser with a profile on disk (like a phone's): the service worker, its cache
    and IndexedDB outlive closing it; open it again on the same folder."""
    context = browser_type.launch_persistent_context(
        str(folder),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=PHONE,
        locale="nb-NO",
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def app_profile(
    browser_type: Any, built_app: BuiltApp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    context = open_profile(browser_type, tmp_path_factory.mktemp("e2e-profile"))
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


# Flutter's router follows the browser's history: a pushed address and a popstate
# event change the screen in the running app (as an in-app link does), without
# loading the page and starting Python again.
_GO_JS = """path => {
    history.pushState(null, '', path);
    window.dispatchEvent(new PopStateEvent('popstate', {state: null}));
}"""

_TEXT_JS = """(() => {
    const host = document.querySelector('flt-semantics-host');
    if (!host) return '';
    const labels = Array.from(host.querySelectorAll('[aria-label]'))
        .map(node => node.getAttribute('aria-label'));
    return host.innerText + '\\n' + labels.join('\\n');
})()"""

_DUMP_JS = (
    "Array.from(document.querySelectorAll('flt-semantics [role], flt-semantics'))"
    ".slice(0, 80).map(e => (e.getAttribute('role') || '-') + ': ' +"
    " (e.getAttribute('aria-label') || e.innerText || '').slice(0, 80)).join('\\n')"
)


class Phone:
    """A tab showing the built app, with helpers that wait on what a user sees."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # --- loading -------------------------------------------------------------------------

    def open(self, path: str = "/") -> None:
        """Load the app at `path` (a bookmark, a link from outside): Python starts afresh."""
        # A first visit loads ~35 MB: a navigation gets the load's time, not a step's.
        self.page.goto(self.base_url.rstrip("/") + path, timeout=LOAD_TIMEOUT_MS)
        self.enable_semantics()
        self.wait_started()

    def enable_semantics(self) -> None:
        # Flutter draws on a canvas; its accessibility tree is the DOM we can query.
        self.page.wait_for_selector(
            "flt-semantics-placeholder", state="attached", timeout=LOAD_TIMEOUT_MS
        )
        self.page.evaluate("document.querySelector('flt-semantics-placeholder').click()")

    def wait_started(self) -> None:
        """Until the app's Python has drawn its first screen (until then flet's page
        shows only "Working...")."""

        def drawn() -> bool:
            shown = self.text().strip()
            return bool(shown) and not shown.startswith("Working")

        self.wait_for(drawn, "the app's first screen", timeout_ms=LOAD_TIMEOUT_MS)

    def reload(self) -> None:
        self.page.reload(timeout=LOAD_TIMEOUT_MS)
        self.enable_semantics()
        self.wait_started()

    def reopen(self, path: str = "/") -> None:
        """Close the app's tab and open the app at `path` in a new tab of the same browser
        (what is stored stays: a contact who stays signed in)."""
        context = self.page.context
        self.page.close()
        self.page = context.new_page()
        self.open(path)

    def go(self, path: str) -> None:
        """Show the screen at `path` in the running app (as a link inside the app would).

        Returns once the screen has changed; the caller then waits for what is only on
        the new screen (a name the old screen also showed would be found there first).
        """
        if self.page.evaluate("location.pathname") == path:
            return
        before = self.text()
        self.page.evaluate(_GO_JS, path)
        self.wait_for(lambda: self.text() != before, f"the screen at {path}")

    # --- reading -------------------------------------------------------------------------

    def text(self) -> str:
        """What a screen reader can read: the visible text and every accessible label."""
        result: str = self.page.evaluate(_TEXT_JS)
        return result

    def dump(self) -> str:
        """The semantics nodes with their roles and names, for a failure message."""
        result: str = self.page.evaluate(_DUMP_JS)
        return result

    def wait_text(self, pattern: str, timeout_ms: int = STEP_TIMEOUT_MS) -> str:
        """Wait until the screen's text matches `pattern` (a regular expression)."""
        regex = re.compile(pattern)
        shown = ""

        def seen() -> bool:
            nonlocal shown
            shown = self.text()
            return bool(regex.search(shown))

        try:
            self.wait_for(seen, repr(pattern), timeout_ms=timeout_ms)
        except AssertionError:
            raise AssertionError(f"never saw {pattern!r}; the screen said:\n{shown}") from None
        return shown

    def wait_for(self, check: Any, what: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
        """Wait until `check()` is true (e.g. the server has what the app sent)."""
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                if check():
                    return
            except PlaywrightError as error:
                # A check that straddles a reload (the update banner's "Oppdater") is
                # asked again on the new page, not failed.
                if "Execution context was destroyed" not in str(error):
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}")
            self.page.wait_for_timeout(100)

    # --- finding and using controls ---------------------------------------------------------

    def textbox(self, label: str) -> Any:
        """The text field named `label`. Its name can say more after the label: a focused
        empty field adds its hint ("Fra" becomes "Fra TT:MM"), a field in error its message."""
        return self._textboxes(label).first

    def _textboxes(self, label: str) -> Any:
        return self.page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}(\s|$)"))

    def field(self, label: str) -> Any:
        """The element of the text field named `label` (preferring one named just that),
        held by the element: its name changes as it gets the focus."""
        found = self._textboxes(label)
        found.first.wait_for(timeout=STEP_TIMEOUT_MS)
        handles = found.element_handles()
        for handle in handles:
            if (handle.get_attribute("aria-label") or "").split("\n")[0].strip() == label:
                return handle
        if not handles:
            raise AssertionError(f"no text field named {label!r}:\n{self.dump()}")
        return handles[0]

    def button(self, label: str, exact: bool = True) -> Any:
        return self.page.get_by_role("button", name=label, exact=exact)

    def _settled_empty(self, box: Any, label: str) -> None:
        """Wait until the emptied field stays empty for a moment before typing.

        As a person does: they see the field empty, then type. The app's fields
        no longer send an older value back (`mobile.views.common.Input`; in CI
        'Fra' once held '11:3012:00' after typing '12:00'); this stays so that a
        field still settling after the tap is not typed into at machine speed.
        What is held afterwards is still checked.
        """
        quiet_since = time.monotonic()
        deadline = quiet_since + 5
        while time.monotonic() < deadline:
            if box.input_value() != "":
                self.page.keyboard.press("Control+A")
                self.page.keyboard.press("Delete")
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= 0.4:
                return
            time.sleep(0.05)
        raise AssertionError(f"{label!r} would not stay empty:\n{self.dump()}")

    def fill(self, label: str, value: str) -> None:
        """Type into a field as a user would: tap it, clear it, type, leave it.

        Flutter's web text input types into the field that has the browser's focus,
        which it moves there a moment after the tap: typing starts once the tapped
        field has it (a tap that landed while the screen moved is repeated, as a
        person would). A focused empty field adds its hint to its name ("Fra" becomes
        "Fra TT:MM"), so the field is held by its element, not looked up again.
        What the field holds afterwards is checked, never retyped.
        """
        box = self.field(label)
        for _ in range(5):
            box.click()
            try:
                self.wait_for(
                    lambda: box.evaluate("node => document.activeElement === node"),
                    f"focus in {label!r}",
                    timeout_ms=3000,
                )
            except AssertionError:
                continue
            break
        else:
            raise AssertionError(f"{label!r} never got the focus:\n{self.dump()}")
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self._settled_empty(box, label)
        self.page.keyboard.type(value)
        self.page.keyboard.press("Tab")
        held = box.input_value()
        if held != value:
            raise AssertionError(
                f"{label!r} holds {held!r} after typing {value!r}; {self._afterwards(box)}"
            )

    def _afterwards(self, box: Any) -> str:
        """For a failed `fill`: what the field held over the next two seconds (a value
        that comes right is the browser's copy lagging, one that stays wrong is lost
        text) and what every field on the screen holds (all emptied: the form was
        drawn anew)."""
        seen: list[str] = []
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            held = box.input_value()
            if not seen or seen[-1] != held:
                seen.append(held)
            time.sleep(0.05)
        fields = {
            (each.get_attribute("aria-label") or "").split("\n")[0]: each.input_value()
            for each in self.page.get_by_role("textbox").element_handles()
        }
        return f"then it held {seen}; the fields: {fields}"

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

    def tap(self, starts_with: str) -> None:
        """Tap a list tile or card whose accessible name begins with `starts_with`."""
        pattern = re.compile("^" + re.escape(starts_with))
        button = self.page.get_by_role("button", name=pattern)
        text = self.page.get_by_text(pattern)
        try:
            button.or_(text).first.wait_for(timeout=STEP_TIMEOUT_MS)
        except Exception:
            raise AssertionError(f"nothing to tap named {starts_with!r}:\n{self.dump()}") from None
        # The tile or card itself when it is a button: a text inside it is covered by it.
        (button if button.count() else text).first.click()

    def element(self, label: str) -> Any:
        """An element found by its accessible label, or else by its text."""
        by_label = self.page.get_by_label(label, exact=True)
        if by_label.count():
            return by_label.first
        return self.page.get_by_text(label, exact=True).first

    def scroll_to(self, label: str) -> dict[str, float]:
        """Scroll the screen (mouse wheel) until the labelled element is wholly in view."""
        viewport = self.page.viewport_size or PHONE
        width, height = viewport["width"], viewport["height"]
        for _ in range(30):
            target = self.element(label)
            target.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
            box: dict[str, float] | None = target.bounding_box()
            if box is not None and box["y"] >= 60 and box["y"] + box["height"] <= height - 20:
                return box
            delta = 250 if box is None or box["y"] + box["height"] > height - 20 else -250
            self.page.mouse.move(width / 2, height / 2)
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

    def snap(self, name: str) -> None:
        """A screenshot once Flutter has painted what its semantics already say."""
        self.page.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        self.page.wait_for_timeout(400)
        self.screenshot(name)

    # --- what people do -----------------------------------------------------------------

    def login(self, username: str, password: str = DEFAULT_PASSWORD) -> None:
        self.fill("Brukernavn", username)
        self.fill("Passord", password)
        self.click("Logg inn")
        self.wait_text(r"Mine tjenestemottakere|Kontor")

    def sign_out(self) -> None:
        """Sign out through the settings screen (the app deletes the account's data)."""
        self.go("/innstillinger")
        self.click("Logg ut")
        self.wait_text("Logge ut?")
        self.button("Logg ut").last.click()
        self.wait_text("Brukernavn")

    def log_session(self, person: str, start: str, end: str) -> None:
        """Ny økt → person → Fra/Til → Lagre, from the home screen."""
        self.click("Ny økt")
        self.wait_text("Hvem gjaldt økten")
        self.choose(person)
        self.fill("Fra", start)
        self.fill("Til", end)
        self.click("Lagre")

    def sign_month(self, name: str = "Ola Nordmann") -> None:
        """On the signing screen: the recipient types a name and draws, then confirms."""
        self.fill("Navnet ditt", name)
        self.choose("Mottaker")
        self.draw("Signaturfelt", [[(0.1, 0.3), (0.3, 0.7), (0.5, 0.3)], [(0.6, 0.6), (0.9, 0.4)]])
        self.click("Bekreft og signer")


def wait_installed(phone: Phone, built_app: BuiltApp) -> None:
    """Until the service worker controls the page and holds every file of this build."""
    import json

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


class _Shelf:
    """The tab handed from one test to the next (see `phone`)."""

    def __init__(self, context: Any, url: str) -> None:
        self.context = context
        self.url = url
        self.phone: Phone | None = None

    def take(self) -> Phone:
        phone, self.phone = self.phone, None
        self.context.set_offline(False)
        if phone is not None and not phone.page.is_closed():
            try:
                phone.page.set_viewport_size(PHONE)
                if not phone.button("Logg inn").count():
                    phone.sign_out()
                phone.textbox("Brukernavn").wait_for()
                return phone
            except Exception:  # a screen the sign-out cannot leave: a new tab instead
                phone.page.close()
        for page in self.context.pages:  # a tab the last test opened holds the app
            page.close()
        page = self.context.new_page()
        forget_site_data(page, self.url)
        phone = Phone(page, self.url)
        phone.open()
        phone.wait_text("Brukernavn")
        return phone

    def put(self, phone: Phone) -> None:
        self.phone = phone


@pytest.fixture(scope="session")
def _shelf(app_profile: Any, built_app: BuiltApp) -> _Shelf:
    return _Shelf(app_profile, built_app.url)


@pytest.fixture
def phone(request: pytest.FixtureRequest, _shelf: _Shelf) -> Generator[Phone]:
    """The app in a tab at the sign-in screen, no account on the device (see the module)."""
    phone = _shelf.take()
    yield phone
    call = getattr(request.node, "_e2e_call", None)
    if call is not None and call.passed and not phone.page.is_closed():
        _shelf.put(phone)
    elif not phone.page.is_closed():
        phone.page.close()


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


def server_sheets(server: LiveServer, token: str) -> list[dict[str, Any]]:
    """Every timesheet the office can see."""
    answer = server.api("GET", "/api/v1/timesheets", token=token, expect=200).json()
    rows: list[dict[str, Any]] = answer["data"] if isinstance(answer, dict) else answer
    return rows


class ContactDevice:
    """The contact's phone, reduced to the sync calls it makes (for the office's tests)."""

    def __init__(self, server: LiveServer, seeded: Seeded) -> None:
        self.server = server
        self.seeded = seeded
        self.token = server.login(seeded.username)
        self.mutation = 0

    def push(self, kind: str, data: dict[str, Any]) -> None:
        self.mutation += 1
        response = self.server.api(
            "POST",
            "/api/v1/sync/push",
            token=self.token,
            json={
                "device_id": "e2e-office-phone",
                "mutations": [{"mutation_id": self.mutation, "type": kind, "data": data}],
            },
            expect=200,
        )
        assert response.json()["results"][0]["status"] == "applied", response.text

    def log(self, decision_id: str, start: str, end: str) -> None:
        self.push(
            "entry.upsert",
            {
                "id": entry_id(),
                "decision_ids": [decision_id],
                "date": recent_day().isoformat(),
                "start": start,
                "end": end,
                "activities": ["Bowling"],
                "note": "Notat som lønn aldri skal se",
                "trips": [],
                "expenses": [],
            },
        )

    def sign(self, decision_id: str, **overrides: Any) -> None:
        """Sign the month's sheet of `decision_id` as the phone would (its content hash)."""
        pulled = self.server.api(
            "GET", "/api/v1/sync/pull", token=self.token, params={"cursor": 0}, expect=200
        ).json()
        sheet = next(s for s in pulled["timesheets"] if s["decision_id"] == decision_id)
        entries = [
            EntryData.model_validate({k: e[k] for k in EntryData.model_fields if k in e})
            for e in pulled["entries"]
            if e["id"] in sheet["entry_ids"]
        ]
        digest = content_hash(
            contact_id=self.seeded.contact_id,
            decision_id=decision_id,
            period=sheet["period"],
            entries=entries,
        )
        self.push(
            "timesheet.sign",
            sign_payload(
                decision_id=decision_id, period=sheet["period"], content_hash=digest, **overrides
            ),
        )
