"""Totrinnsinnlogging (`mobile/office/security.py`): an office user turns on a second
factor with an authenticator app (docs/rules.md §10).

The steps: start (the server makes a key and its QR code), scan it or type the
key, confirm with the app's six digits, then read the ten recovery codes once.
The server checks the code; the desk only checks that six digits were typed, so
a slip is named before anything is sent.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum

import flet as ft

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import Desk, error_text
from models.second_factor import TotpSetup

CODE_FORMAT = "Skriv de 6 sifrene som vises i autentiseringsappen."


class Step(StrEnum):
    off = "off"  # no second factor yet: the start button
    scanning = "scanning"  # a key is shown; waiting for the first code
    codes = "codes"  # just turned on: the recovery codes, shown this once
    on = "on"  # turned on earlier


def clean_code(typed: str) -> str | None:
    """The six digits of a typed code (spaces allowed, as apps show "123 456"), or None."""
    digits = typed.replace(" ", "").strip()
    return digits if len(digits) == 6 and digits.isdigit() else None


def grouped_secret(secret: str) -> str:
    """The key in groups of four, as it is easiest to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@ft.observable
@dataclass
class SecurityDesk(Desk):
    """The signed-in office user's second factor, and the enrolment under way."""

    step: Step = Step.off
    required: bool = False  # the admin requires it of office users
    setup: TotpSetup | None = None
    code: str = ""
    code_error: str | None = None
    recovery_codes: list[str] = field(default_factory=list)
    sending: bool = False

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            status = await api.totp_status()
            self.required = status.required
            if self.step is not Step.codes:
                self.step = Step.on if status.enabled else Step.off

    @property
    def qr_png(self) -> bytes | None:
        """The QR code as PNG bytes, for an image."""
        return base64.b64decode(self.setup.qr_png) if self.setup else None

    async def start(self, api: OfficeApi) -> None:
        """A new key from the server, to scan or type into the app."""
        self.sending = True
        try:
            self.setup = await api.totp_setup()
        except ApiError as error:
            self.error = error_text(error)
        else:
            self.error = None
            self.code = ""
            self.code_error = None
            self.step = Step.scanning
        finally:
            self.sending = False

    async def confirm(self, api: OfficeApi) -> bool:
        """Turn it on with the app's current code; True when it is on."""
        code = clean_code(self.code)
        if code is None:
            self.code_error = CODE_FORMAT
            return False
        self.sending = True
        try:
            codes = await api.totp_enable(code)
        except ApiError as error:
            messages = error.field_messages()
            self.code_error = messages.get("code") or error_text(error)
            return False
        finally:
            self.sending = False
        self.code_error = None
        self.code = ""
        self.setup = None  # the key is not shown again
        self.recovery_codes = codes
        self.step = Step.codes
        return True

    def codes_written_down(self) -> None:
        """The recovery codes leave the screen for good."""
        self.recovery_codes = []
        self.step = Step.on
