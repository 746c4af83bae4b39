"""The sign-in form as typed: the login screen's (`mobile/views/login.py`) and the
sign-in-again of the sync screen (`mobile/views/other.py`), one rule for both."""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from mobile.i18n import DEFAULT_LANGUAGE, tr


@ft.observable
@dataclass
class LoginForm:
    server_url: str = ""
    username: str = ""
    password: str = ""
    # The second factor: the field shows once the server has asked for a code,
    # and stays for this form (the password and username are kept as typed).
    otp: str = ""
    otp_needed: bool = False
    recovery: bool = False  # typing a recovery code (letters) instead of the app's digits
    error: str | None = None
    busy: bool = False

    def problem(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """Why the form cannot be sent yet, or None."""
        if not (self.server_url.strip() and self.username.strip() and self.password):
            return tr("fill_all", lang)
        if not self.server_url.strip().lower().startswith(("http://", "https://")):
            return tr("bad_server", lang)
        # Checked here: the server would only ask for the code again.
        if self.otp_needed and not self.otp.strip():
            return tr("recovery_missing" if self.recovery else "otp_missing", lang)
        return None

    def code(self) -> str | None:
        """The code to send with the password, or None before the server asks for one."""
        if not self.otp_needed:
            return None
        return self.otp.strip() or None

    def signed_in(self) -> None:
        """Forget the secrets once they have done their work; the rest stays."""
        self.password = ""
        self.otp = ""
        self.error = None
