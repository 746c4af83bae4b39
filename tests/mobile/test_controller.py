"""The app's controller against a real server, without a page: sign-in, saving, sign-out.

The controller is what the screens call; here it runs on its own event loop
with in-memory preferences (a stand-in for ft.SharedPreferences) and a real
device store in a temporary folder.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mobile.controller import Controller, MemoryPrefs
from mobile.device import DeviceRegistry
from mobile.state import AppState
from mobile.state.entry import EntryDraft, targets
from mobile.state.month import month_sheet
from mobile.state.signing import SignatureDraft
from models.clock import today_in_oslo
from models.payperiod import pay_period_of
from sync.client import SyncState
from tests.e2e.conftest import Seeded, seed, server_usage
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("controller-server")) as live:
        live.add_user("koord", "coordinator")
        yield live


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "device"))
    return tmp_path / "device"


def controller(server: LiveServer, prefs: MemoryPrefs, registry: DeviceRegistry) -> Controller:
    return Controller(
        AppState(), prefs, web=True, default_server=server.base_url, registry=registry
    )


async def signed_in(
    server: LiveServer, seeded: Seeded, prefs: MemoryPrefs, registry: DeviceRegistry
) -> Controller:
    ctl = controller(server, prefs, registry)
    await ctl.boot()
    assert ctl.state.phase == "login"
    form = ctl.login_form()
    form.username, form.password = seeded.username, DEFAULT_PASSWORD
    assert await ctl.login(form), form.error
    await ctl.sync_now()
    await ctl.refresh()
    return ctl


def draft_for(ctl: Controller, start: str, end: str, days_back: int = 0) -> EntryDraft:
    options = targets(ctl.state.snapshot)
    draft = EntryDraft.new(today=today_in_oslo() - timedelta(days=days_back), target=options[0])
    draft.start_text, draft.end_text = start, end
    return draft


def run(coroutine: Any) -> Any:
    # A thread of its own: Playwright's sync API (tests/e2e, same session) keeps
    # an event loop running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_wrong_password_is_said_plainly(server: LiveServer) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})

    async def scenario() -> None:
        ctl = controller(server, MemoryPrefs(), DeviceRegistry())
        await ctl.boot()
        form = ctl.login_form()
        form.username, form.password = seeded.username, "feil-passord-1"
        assert not await ctl.login(form)
        assert form.error == "Feil brukernavn eller passord."
        assert ctl.state.phase == "login"

    run(scenario())


def test_save_sync_stay_signed_in_and_sign_out_wipes(server: LiveServer, data_folder: Path) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})
    decision_id = seeded.decisions["Ola Nordmann"]
    prefs = MemoryPrefs()

    async def first_visit() -> None:
        registry = DeviceRegistry()
        ctl = await signed_in(server, seeded, prefs, registry)
        assert ctl.state.is_contact
        assert [d.id for d in ctl.state.snapshot.decisions] == [decision_id]
        result = await ctl.save_entry(draft_for(ctl, "10:00", "12:30"))
        assert result.saved
        assert ctl.state.notice == "Økten er lagret."
        assert ctl.state.snapshot.entries[0].entry.minutes == 150
        await ctl.sync_now()
        assert ctl.state.sync is not None
        assert ctl.state.sync.state is SyncState.synced
        await ctl.detach()

    run(first_visit())
    usage = server_usage(server, seeded.office_token, decision_id)
    assert any(Decimal(str(p["used_hours"])) == Decimal("2.5") for p in usage["periods"])
    stores = list(data_folder.rglob("timeliste-*.json"))
    assert len(stores) == 1

    async def second_visit() -> None:
        ctl = controller(server, prefs, DeviceRegistry())
        await ctl.boot()  # the browser remembered the account: no password asked
        assert ctl.state.phase == "ready"
        assert len(ctl.state.snapshot.entries) == 1
        await ctl.logout()
        assert ctl.state.phase == "login"
        assert ctl.state.snapshot.entries == ()

    run(second_visit())
    assert list(data_folder.rglob("timeliste-*.json")) == []
    assert prefs.values.get("timeliste.username") is None


def test_each_browser_gets_its_own_store(server: LiveServer, data_folder: Path) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})

    async def two_browsers() -> None:
        registry = DeviceRegistry()
        first = await signed_in(server, seeded, MemoryPrefs(), registry)
        second = await signed_in(server, seeded, MemoryPrefs(), registry)
        assert first.device is not None
        assert second.device is not None
        assert first.device.store.path != second.device.store.path
        await first.logout()
        await second.logout()

    run(two_browsers())


def test_over_quota_is_warned_and_can_be_saved_anyway(server: LiveServer) -> None:
    seeded = seed(server, people={"Per Hansen": ("2", "week")})

    async def scenario() -> None:
        ctl = await signed_in(server, seeded, MemoryPrefs(), DeviceRegistry())
        draft = draft_for(ctl, "10:00", "13:00")
        warned = await ctl.save_entry(draft)
        assert not warned.saved
        assert warned.over_quota is not None
        assert "1 t over vedtaket" in warned.over_quota
        assert ctl.state.snapshot.entries == ()
        saved = await ctl.save_entry(draft, anyway=True)
        assert saved.saved
        assert len(ctl.state.snapshot.entries) == 1
        await ctl.logout()

    run(scenario())


def test_hard_errors_from_models_reach_the_form(server: LiveServer) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})

    async def scenario() -> None:
        ctl = await signed_in(server, seeded, MemoryPrefs(), DeviceRegistry())
        draft = draft_for(ctl, "10:00", "11:00", days_back=-3)  # three days ahead
        result = await ctl.save_entry(draft)
        assert not result.saved
        assert "for langt fram i tid" in draft.errors["date"]
        await ctl.logout()

    run(scenario())


def test_signing_locks_the_sheet_and_the_server_agrees(server: LiveServer) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})
    decision_id = seeded.decisions["Ola Nordmann"]

    async def scenario() -> None:
        ctl = await signed_in(server, seeded, MemoryPrefs(), DeviceRegistry())
        assert (await ctl.save_entry(draft_for(ctl, "09:00", "11:00"))).saved
        await ctl.sync_now()
        await ctl.refresh()
        period = pay_period_of(today_in_oslo(), ctl.state.snapshot.cutoff_day)
        sheet = month_sheet(ctl.state.snapshot, decision_id, period)
        shown = ctl.sheet_hash(sheet)
        assert shown is not None
        signature = SignatureDraft(signer_name="Ola Nordmann", role="recipient")
        assert not await ctl.sign(sheet, shown, signature)
        assert "signature" in signature.errors
        signature.pad.begin_stroke(1, 1)
        signature.pad.extend_stroke(30, 20)
        signature.feedback_kind = "praise"
        signature.message = "Fine turer!"
        assert await ctl.sign(sheet, shown, signature), signature.errors
        assert month_sheet(ctl.state.snapshot, decision_id, period).locked
        edit = EntryDraft.from_entry(sheet.rows[0].entry.entry, targets(ctl.state.snapshot))
        edit.end_text = "11:30"
        assert not (await ctl.save_entry(edit)).saved
        assert "signert" in edit.errors["form"]
        await ctl.sync_now()
        await ctl.refresh()
        assert ctl.state.snapshot.timesheet(decision_id, period) is not None
        await ctl.logout()

    run(scenario())
    office = server.login("koord")
    sheets = server.api("GET", "/api/v1/timesheets", token=office, expect=200).json()
    rows = sheets["data"] if isinstance(sheets, dict) else sheets
    assert any(r["decision_id"] == decision_id and r["status"] == "signed" for r in rows)
    flags = server.api("GET", "/api/v1/flags", token=office, expect=200).json()
    flag_rows = flags["data"] if isinstance(flags, dict) else flags
    assert any(f["kind"] == "feedback" and "Fine turer!" in f["detail"] for f in flag_rows)


def test_a_group_session_counts_on_every_participant(server: LiveServer) -> None:
    seeded = seed(
        server,
        people={
            "Kari Berg": ("8", "month"),
            "Anne Strand": ("8", "month"),
            "Per Dal": ("8", "month"),
        },
        group="turgruppa",
    )

    async def scenario() -> None:
        ctl = await signed_in(server, seeded, MemoryPrefs(), DeviceRegistry())
        options = targets(ctl.state.snapshot)
        assert len(options) == 1
        assert options[0].is_group
        draft = EntryDraft.new(today=today_in_oslo(), target=options[0])
        draft.start_text, draft.end_text = "18:00", "20:00"
        absent = seeded.decisions["Per Dal"]
        draft.toggle_present(absent)
        assert (await ctl.save_entry(draft)).saved
        await ctl.sync_now()
        await ctl.logout()

    run(scenario())
    for name, expected in (("Kari Berg", 2), ("Anne Strand", 2), ("Per Dal", 0)):
        usage = server_usage(server, seeded.office_token, seeded.decisions[name])
        used = sum(Decimal(str(p["used_hours"])) for p in usage["periods"])
        assert used == expected, name


def test_an_expired_login_keeps_the_entries_and_a_new_login_sends_them(
    server: LiveServer,
) -> None:
    seeded = seed(server, people={"Ola Nordmann": ("10", "month")})
    decision_id = seeded.decisions["Ola Nordmann"]

    async def scenario() -> None:
        ctl = await signed_in(server, seeded, MemoryPrefs(), DeviceRegistry())
        assert ctl.token is not None
        server.api("POST", "/api/v1/auth/logout", token=ctl.token)  # revoked elsewhere
        assert (await ctl.save_entry(draft_for(ctl, "08:00", "09:00"))).saved
        await ctl.sync_now()
        assert ctl.state.sync is not None
        assert ctl.state.sync.state is SyncState.login
        await ctl.refresh()
        assert ctl.state.snapshot.pending == 1  # kept on the phone
        form = ctl.relogin_form()
        form.password = "feil-passord-1"
        assert not await ctl.relogin(form)
        assert form.error == "Feil brukernavn eller passord."
        form.password = DEFAULT_PASSWORD
        assert await ctl.relogin(form), form.error
        assert ctl.state.sync.state is SyncState.synced
        await ctl.logout()

    run(scenario())
    usage = server_usage(server, seeded.office_token, decision_id)
    assert sum(Decimal(str(p["used_hours"])) for p in usage["periods"]) == 1


def test_a_running_timer_survives_a_restart_of_the_app() -> None:
    prefs = MemoryPrefs()

    async def scenario() -> None:
        first = Controller(AppState(), prefs, registry=DeviceRegistry())
        draft = EntryDraft.new()
        await first.start_timer(draft)
        assert first.state.timer_started is not None
        assert draft.start_text
        assert draft.end_text == ""
        again = Controller(AppState(), prefs, registry=DeviceRegistry())
        await again.boot()  # the app was closed and opened: the timer still runs
        assert again.state.timer_started == first.state.timer_started
        later = EntryDraft.new()
        await again.stop_timer(later)
        assert later.start_text == draft.start_text
        assert later.end_text
        assert again.state.timer_started is None
        assert "timeliste.timer" not in prefs.values

    run(scenario())


class RoundTripPrefs(MemoryPrefs):
    """Preferences that answer as Flutter's do in a browser: each read is a round trip."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.most_waiting = 0

    async def get(self, key: str) -> Any:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        await asyncio.sleep(0.02)
        self.waiting -= 1
        return await super().get(key)


def test_start_asks_for_its_preferences_at_once() -> None:
    """The home screen waits for the language, timer and account: one round trip, not four."""
    prefs = RoundTripPrefs()
    started = "2026-03-02T08:15:00+01:00"
    prefs.values.update({"timeliste.lang": "en", "timeliste.timer": started})
    ctl = Controller(AppState(), prefs, registry=DeviceRegistry())

    run(ctl.boot())

    assert prefs.most_waiting == 4
    assert ctl.state.lang == "en"
    assert ctl.state.timer_started is not None
    assert ctl.state.timer_started.isoformat() == started
    assert ctl.state.phase == "login"  # nobody signed in
