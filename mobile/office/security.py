"""Totrinnsinnlogging: an office user turns on a second factor (docs/rules.md §10).

Every office role has it (coordinator, payroll, admin); its desk is
`mobile/office/state/security.py`. The QR code is drawn by the server (segno)
as a PNG, so the app needs no QR library; the key is shown as text beside it
for apps that cannot scan.
"""

from __future__ import annotations

import flet as ft

from mobile.hooks import use_desk
from mobile.office.common import busy, heading, link, message, office_screen
from mobile.office.state.policy import PolicyDesk
from mobile.office.state.security import SecurityDesk, Step, grouped_secret
from mobile.state.common import typed
from mobile.views.common import TOUCH, Input, placeholder

ROUTE = "/kontor/sikkerhet"
QR_SIZE = 220  # px: large enough for a phone camera at arm's length


@ft.component
def SecurityView() -> ft.View:  # noqa: N802 - components are named like classes
    desk, api, _ = use_desk(SecurityDesk)
    if api is None:
        return placeholder()

    async def start(*_: object) -> None:
        await desk.start(api)

    async def confirm(*_: object) -> None:
        await desk.confirm(api)

    def code_typed(e: ft.Event[ft.TextField]) -> None:
        # Recorded without drawing the screen again: a redraw per keystroke is
        # work for nothing, since the field already shows what was typed.
        typed(desk, "code", e.control.value or "")

    controls: list[ft.Control] = [
        heading("Totrinnsinnlogging"),
        busy(desk.loading, desk.loaded or bool(desk.error)),
        message(desk.error, error=True),
    ]
    if desk.step is Step.off and desk.loaded:
        controls += [
            ft.Text(
                "Med totrinnsinnlogging trenger du både passordet og en kode fra en "
                "autentiseringsapp på telefonen (for eksempel Microsoft Authenticator "
                "eller Google Authenticator) for å logge inn."
            ),
            message(
                "Administrator krever totrinnsinnlogging for kontorbrukere."
                if desk.required
                else None,
                error=True,
            ),
            ft.FilledButton(
                "Slå på totrinnsinnlogging",
                icon=ft.Icons.SECURITY,
                on_click=start,
                disabled=desk.sending,
                height=TOUCH,
            ),
        ]
    elif desk.step is Step.scanning and desk.setup is not None and desk.qr_png is not None:
        controls += [
            ft.Text("1. Skann QR-koden med autentiseringsappen.", size=16),
            ft.Semantics(
                label="QR-kode for autentiseringsappen",
                image=True,
                content=ft.Image(src=desk.qr_png, width=QR_SIZE, height=QR_SIZE),
            ),
            ft.Text("Kan du ikke skanne? Skriv inn denne nøkkelen i appen:", size=15),
            ft.Text(
                grouped_secret(desk.setup.secret),
                selectable=True,
                size=18,
                font_family="monospace",
                semantics_label=f"Nøkkel: {grouped_secret(desk.setup.secret)}",
            ),
            ft.Text("2. Skriv inn koden på 6 sifre som appen viser.", size=16),
            Input(
                "Kode fra appen",
                desk.code,
                keyboard_type=ft.KeyboardType.NUMBER,
                max_length=7,  # "123 456", as some apps show it
                autofocus=True,
                error=desk.code_error or None,
                on_change=code_typed,
                on_submit=confirm,
                width=240,
            ),
            ft.FilledButton(
                "Bekreft og slå på",
                icon=ft.Icons.CHECK,
                on_click=confirm,
                disabled=desk.sending,
                height=TOUCH,
            ),
        ]
    elif desk.step is Step.codes:
        controls += [
            message("Totrinnsinnlogging er slått på."),
            ft.Text(
                "Reservekoder: skriv dem ned eller skriv dem ut, og oppbevar dem trygt. "
                "Hver kode kan brukes én gang hvis du mister telefonen. "
                "De vises bare nå.",
                size=15,
            ),
            ft.Column(
                [
                    # Selectable text has no name of its own for a screen reader.
                    ft.Text(
                        code,
                        selectable=True,
                        size=18,
                        font_family="monospace",
                        semantics_label=f"Reservekode {code}",
                    )
                    for code in desk.recovery_codes
                ],
                spacing=4,
            ),
            ft.FilledButton(
                "Jeg har skrevet dem ned",
                icon=ft.Icons.DONE,
                on_click=lambda *_: desk.codes_written_down(),
                height=TOUCH,
            ),
        ]
    elif desk.step is Step.on:
        controls.append(message("Totrinnsinnlogging er slått på for deg."))
    return office_screen("Totrinnsinnlogging", controls)


REQUIRE_LABEL = "Krev totrinnsinnlogging for kontorbrukere"
REQUIRE_CONSEQUENCE = (
    "Når dette er på, må koordinatorer, lønn og administratorer skrive en kode fra en "
    "autentiseringsapp i tillegg til passordet når de logger inn. Den som ikke har slått "
    "det på ennå, kommer bare til oppsettet (Kontor → Totrinnsinnlogging) til det er gjort. "
    "Støttekontaktene logger inn som før."
)


@ft.component
def RequireSecondFactor() -> ft.Control:  # noqa: N802 - components are named like classes
    """The admin's switch in Innstillinger (state: `mobile/office/state/policy.py`)."""
    desk, api, _ = use_desk(PolicyDesk)
    if api is None:
        return ft.Container(height=0)

    async def switched(e: ft.Event[ft.Switch]) -> None:
        await desk.set_required(api, bool(e.control.value))

    return ft.Column(
        [
            ft.Text("Totrinnsinnlogging for kontoret", size=18, weight=ft.FontWeight.W_600),
            busy(desk.loading, desk.loaded or bool(desk.error)),
            ft.Switch(
                # A refused change made a new switch: the old one showed what was tapped.
                key=f"require-{desk.changes}",
                label=REQUIRE_LABEL,
                value=desk.required,
                on_change=switched,
                disabled=desk.sending or not desk.loaded,
            ),
            ft.Text(REQUIRE_CONSEQUENCE, size=15),
            message(desk.error, error=True),
            message(desk.done),
            link("Slå på totrinnsinnlogging for deg selv", ROUTE)
            if desk.loaded and not desk.own_factor
            else ft.Container(height=0),
        ],
        spacing=10,
    )
