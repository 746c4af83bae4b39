"""The office's home and routes (coordinator, payroll, admin), mounted at /kontor.

`office_routes()` is the hook the app shell calls. Each screen gets the
signed-in user through `mobile.context.use_office_session()` and talks to the
server with its own `OfficeApi`: the office is online-only.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.context import OfficeSession
from mobile.hooks import use_desk
from mobile.office.api import OfficeApi
from mobile.office.approval import ApprovalListView, SheetReviewView
from mobile.office.audit import AuditView
from mobile.office.common import heading
from mobile.office.dashboard import DashboardView
from mobile.office.devices import DevicesPanel
from mobile.office.expiring import ExpiringPanel
from mobile.office.flags import FlagQueueView
from mobile.office.payroll import PayrollView, PaySettingsView
from mobile.office.registry import RegistryView
from mobile.office.security import SecurityView
from mobile.office.state.home import StartCounts
from mobile.views.common import TOUCH, go, icon_button, placeholder, screen

ROLE_TEXT = {"coordinator": "Koordinator", "payroll": "Lønn", "admin": "Administrator"}

# Every office role has it (docs/rules.md §10), last on the menu.
SECURITY_TILE = (
    "/kontor/sikkerhet",
    "Totrinnsinnlogging",
    "Innlogging med kode fra telefonen",
    ft.Icons.SECURITY,
)

# (route, title, explanation, icon) per role, in the order of a working day.
MENU: dict[str, list[tuple[str, str, str, Any]]] = {
    "coordinator": [
        ("/kontor/avvik", "Avvik", "Avvik og meldinger som venter", ft.Icons.FLAG),
        (
            "/kontor/godkjenning",
            "Godkjenning",
            "Timelister som skal godkjennes",
            ft.Icons.FACT_CHECK,
        ),
        (
            "/kontor/registrering",
            "Registrering",
            "Støttekontakter, mottakere og vedtak",
            ft.Icons.GROUP_ADD,
        ),
        ("/kontor/forbruk", "Forbruk", "Timer brukt mot vedtak", ft.Icons.BAR_CHART),
        SECURITY_TILE,
    ],
    "payroll": [
        ("/kontor/lonn", "Lønn", "Lag lønnsbunter og last ned filer", ft.Icons.PAYMENTS),
        ("/kontor/lonn/innstillinger", "Lønnsinnstillinger", "Lønnsarter og satser", ft.Icons.TUNE),
        SECURITY_TILE,
    ],
    "admin": [
        (
            "/kontor/registrering",
            "Støttekontakter",
            "Registrer støttekontakter",
            ft.Icons.GROUP_ADD,
        ),
        ("/kontor/lonn/innstillinger", "Lønnsinnstillinger", "Lønnsarter og satser", ft.Icons.TUNE),
        ("/kontor/revisjon", "Revisjonslogg", "Hvem gjorde hva, og når", ft.Icons.HISTORY),
        SECURITY_TILE,
    ],
}


async def _load_counts(counts: StartCounts, api: OfficeApi, session: OfficeSession) -> None:
    """Only the coordinator's start page counts what waits."""
    if session.role == "coordinator":
        await counts.load(api)


@ft.component
def OfficeHome() -> ft.View:  # noqa: N802 - components are named like classes
    counts, api, session = use_desk(StartCounts, _load_counts)
    if session is None:
        return placeholder()
    coordinator = session.role == "coordinator"

    def subtitle(route: str, text: str) -> ft.Control:
        count = counts.text(route) if coordinator else None
        if count is None:
            return ft.Text(text)
        return ft.Column(
            [ft.Text(text), ft.Text(count, size=16, weight=ft.FontWeight.W_600)], spacing=2
        )

    tiles: list[ft.Control] = [
        ft.Card(
            content=ft.ListTile(
                leading=ft.Icon(icon, size=32),
                title=ft.Text(title, size=18, weight=ft.FontWeight.W_600),
                subtitle=subtitle(route, text),
                on_click=go(route),
                min_height=TOUCH + 12,
            )
        )
        for route, title, text, icon in MENU.get(session.role, [])
    ]
    return screen(
        "Kontor",
        [
            heading(f"Hei, {session.username}"),
            ft.Text(ROLE_TEXT.get(session.role, session.role), size=15),
            *tiles,
            *([ExpiringPanel(api), DevicesPanel(api)] if session.role == "coordinator" else []),
        ],
        actions=[icon_button(ft.Icons.SETTINGS, "Innstillinger", go("/innstillinger"))],
    )


def office_routes() -> list[ft.Route]:
    """Routes under /kontor; the index route is the office's home screen."""
    return [
        ft.Route(index=True, component=OfficeHome),
        ft.Route(path="avvik", component=FlagQueueView),
        ft.Route(path="godkjenning", component=ApprovalListView),
        ft.Route(path="godkjenning/:timesheet_id", component=SheetReviewView),
        ft.Route(path="registrering", component=RegistryView),
        ft.Route(path="forbruk", component=DashboardView),
        ft.Route(path="lonn", component=PayrollView),
        ft.Route(path="lonn/innstillinger", component=PaySettingsView),
        ft.Route(path="revisjon", component=AuditView),
        ft.Route(path="sikkerhet", component=SecurityView),
    ]
