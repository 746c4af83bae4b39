# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""The app shell: one Router, the session's controller handed down by context.

`make_main()` builds the Flet entry point for a phone build, the desktop and
web mode alike; `mobile.web.serve` serves it to browsers on the network.
After sign-in a contact lands on the home screen, and coordinators, payroll
and admins on `/kontor`, whose routes come from `mobile.office.office_routes()`.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile import platform
from mobile.context import ControllerContext, StateContext, use_app
from mobile.controller import Controller, MemoryPrefs, Prefs
from mobile.device import close_early
from mobile.i18n import tr
from mobile.state import AppState
from mobile.views.common import placeholder
from mobile.views.home import HomeView
from mobile.views.login import LoginView, StartingView
from sync.runtime import watch_network
from sync.transport import first_screen_sent

log = logging.getLogger(__name__)


@ft.component
def Root() -> Any:
    """'/': starting, sign-in, or the home screen of whoever signed in."""
    app = use_app()
    location = ft.use_route_location()
    office = app.phase == "ready" and not app.is_contact

    def to_office() -> None:
        if office and location in ("", "/"):
            ft.context.page.navigate("/kontor")

    ft.use_effect(to_office, [office, location])
    if app.phase == "starting":
        return StartingView()
    if app.phase == "elsewhere":
        return ElsewhereView()
    if app.phase != "ready":
        return LoginView()
    if office:
        return placeholder()
    return HomeView()


@ft.component
def ElsewhereView() -> Any:
    """Another tab of this browser has the app open: one writer, so this tab waits."""
    app = use_app()
    return ft.View(
        route="/",
        vertical_alignment=ft.MainAxisAlignment.CENTER,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        padding=24,
        controls=[
            ft.Text(tr("open_elsewhere", app.lang), size=18, text_align=ft.TextAlign.CENTER),
            ft.Text(tr("open_elsewhere_hint", app.lang), text_align=ft.TextAlign.CENTER),
        ],
    )


def _later(module: str, name: str) -> Callable[[], Any]:
    """A screen imported when it is first opened: the app starts on the home
    screen (or sign-in), and every module imported before it shows is time
    the contact waits for in the browser. The Router calls a route's component
    with no arguments, so this stands in for the component itself."""

    def component() -> Any:
        return getattr(importlib.import_module(module), name)()

    component.__name__ = name
    return component


EntryView = _later("mobile.views.entry", "EntryView")
MonthView = _later("mobile.views.month", "MonthView")
SigningView = _later("mobile.views.signing", "SigningView")
MessagesView = _later("mobile.views.other", "MessagesView")
SyncView = _later("mobile.views.other", "SyncView")
SettingsView = _later("mobile.views.other", "SettingsView")

CONTACT_ROUTES = [
    ft.Route(
        path="/",
        component=Root,
        children=[
            ft.Route(path="okt", component=EntryView),
            ft.Route(path="okt/for/:target", component=EntryView),
            ft.Route(path="okt/endre/:entry_id", component=EntryView),
            ft.Route(path="person/:decision_id", component=MonthView),
            ft.Route(path="person/:decision_id/maaned/:period", component=MonthView),
            ft.Route(path="signer/:decision_id/:period", component=SigningView),
            ft.Route(path="meldinger", component=MessagesView),
            ft.Route(path="sync", component=SyncView),
            ft.Route(path="innstillinger", component=SettingsView),
        ],
    ),
]


class _Office:
    routes: list[ft.Route] | None = None


def app_routes(office: bool) -> list[ft.Route]:
    """The contact's routes, and /kontor's once the office is in use.

    The office's screens (and the charts package under them) are imported on
    first use: a contact's phone never loads them, so the app opens sooner.
    The same Route objects are handed out every time, so a re-render keeps
    each screen's state.
    """
    if not office:
        return CONTACT_ROUTES
    if _Office.routes is None:
        from mobile.office import office_routes

        _Office.routes = [*CONTACT_ROUTES, ft.Route(path="kontor", children=office_routes())]
    return _Office.routes


@ft.component
def AppRouter() -> Any:
    app = use_app()
    # The address the app was opened at (a reload of /kontor/… before sign-in is restored).
    opened_at = ft.context.page.route or ""
    office = opened_at.startswith("/kontor") or (app.phase == "ready" and not app.is_contact)
    return ft.Router(app_routes(office), manage_views=True)


@ft.component
def App(controller: Controller) -> Any:
    return ControllerContext(controller, lambda: StateContext(controller.state, AppRouter))


class _Notices:
    """Shows each `AppState.notice` once, as a snack bar."""

    def __init__(self, page: ft.Page, state: AppState) -> None:
        self.page = page
        self.state = state
        self.seen = state.notice_serial
        self.shown: ft.SnackBar | None = None
        # Observable keeps listeners weakly: this object holds the bound method.
        # ft.observable mixes in `subscribe` at run time, out of mypy's sight.
        self.dispose = state.subscribe(self.changed)  # type: ignore[attr-defined]

    def changed(self, _sender: Any, name: str | None) -> None:
        if name == "notice_serial" and self.state.notice_serial != self.seen:
            self.seen = self.state.notice_serial
            if self.state.notice:
                self.shown = ft.SnackBar(ft.Text(self.state.notice), duration=2500)
                self.page.show_dialog(self.shown)

    def dismiss(self) -> None:
        """Close a confirmation still showing: it belongs to the screen the user left."""
        if self.shown is not None and self.shown.open:
            self.shown.open = False
            self.shown.update()
        self.shown = None


def _guard_renders() -> None:
    """Log a view that fails to render instead of losing the session's UI silently.

    Flet's update scheduler stops for good when a component raises; the log
    names the exception type and where it happened, never its message (which
    may quote personal data).
    """
    from flet.components.component import Component

    if getattr(Component.update, "_timeliste_guarded", False):
        return
    original = Component.update

    def update(self: Any) -> None:
        try:
            original(self)  # type: ignore[no-untyped-call]  # flet's own method has no hints
        except Exception as error:
            frames = []
            tb = error.__traceback__
            while tb is not None:
                frames.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
                tb = tb.tb_next
            log.error("a view failed to render: %s at %s", type(error).__name__, frames[-3:])

    update._timeliste_guarded = True  # type: ignore[attr-defined]
    Component.update = update  # type: ignore[method-assign]


def _sync_on_network_change(state: AppState, controller: Controller) -> Callable[[bool], None]:
    """What the app does when the browser goes offline or back online: sync at once.

    Offline, the attempt fails at once and the chip says "Frakoblet" now, not at
    the next pull; back online, what waits is sent now, not at the next retry,
    and the device's sync loop starts its retries again from the shortest pause.
    """
    loop = asyncio.get_running_loop()
    session = contextvars.copy_context()  # this page's, as the controller's own tasks
    running: set[asyncio.Task[None]] = set()

    def changed(online: bool) -> None:
        platform.mark("browser online" if online else "browser offline")
        if state.phase == "ready" and state.is_contact:
            if controller.device is not None:
                controller.device.wake()
                return
            task = loop.create_task(controller.sync_now(), context=session.copy())
            running.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(running.discard)

    return changed


def make_main(
    *, web: bool = False, default_server: str | None = None
) -> Callable[[ft.Page], Awaitable[None]]:
    """The Flet entry point; each page (phone app, browser tab) gets its own controller."""
    server = default_server or platform.default_server()
    _guard_renders()

    async def main(page: ft.Page) -> None:
        page.title = "Timeliste"
        page.theme = ft.Theme(color_scheme_seed=ft.Colors.TEAL)
        page.theme_mode = ft.ThemeMode.LIGHT
        prefs: Prefs
        try:
            prefs = ft.SharedPreferences()
        except Exception:  # a client without preferences: the session still works
            prefs = MemoryPrefs()
        state = AppState()
        controller = Controller(state, prefs, web=web, default_server=server)
        stop_watching = watch_network(_sync_on_network_change(state, controller))

        async def closed(*_: Any) -> None:
            stop_watching()
            await controller.detach()

        page.on_close = closed
        page.data = _Notices(page, state)  # kept alive as long as the page
        page.render_views(App, controller)

        # In a browser only one tab of the app writes to the store; another waits.
        def elsewhere() -> None:
            state.phase = "elsewhere"

        platform.mark("first screen sent")
        await platform.take_device_lock(elsewhere)
        platform.mark("store lock held")
        state.phase = "starting"
        await controller.boot()
        close_early()  # a store read before the session that it did not take
        platform.mark(f"started ({state.phase})")
        # After the update Flet has queued for this screen (callbacks run in order).
        asyncio.get_running_loop().call_soon(first_screen_sent)
        page.title = tr("app_title", state.lang)

    return main


def run_native() -> None:
    """`timeliste app`: the app in Flet's own window (or a phone build's runtime)."""
    ft.run(make_main(web=False))
