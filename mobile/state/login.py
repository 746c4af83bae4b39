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
    # The second factor: the field shows once the server has asked for a code, for
    # the username it asked it of (the password and username are kept as typed).
    otp: str = ""
    otp_for: str | None = None  # the username the server asked a code of, as typed
    code_asked: int = 0  # times the server asked (the view's code field is drawn anew)
    recovery: bool = False  # typing a recovery code (letters) instead of the app's digits
    error: str | None = None
    busy: bool = False

    @property
    def otp_needed(self) -> bool:
        """The server wants a code of the username now in the form.

        Tied to the username: on a shared phone the next person, or a username
        typed afresh, is not held to a code the server asked of someone else.
        """
        return self.otp_for is not None and self.otp_for == _same_user(self.username)

    def ask_for_code(self) -> None:
        """The server answered that this username needs a (new) code."""
        self.otp_for = _same_user(self.username)
        self.otp = ""  # a used or wrong code is no use typed again
        self.code_asked += 1

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
        """Forget the secrets once they have done their work; the username and server stay.

        The code step too: the next sign-in on this form (after signing out, or when
        the session expires) shows the code field when the server asks again.
        """
        self.password = ""
        self.otp = ""
        self.otp_for = None
        self.recovery = False
        self.error = None

    def signed_out(self) -> None:
        """Signing out leaves no trace of who was signed in (a shared phone or PC):
        only the server's address stays."""
        self.signed_in()
        self.username = ""


def _same_user(username: str) -> str:
    # As the server reads a username: trimmed, in lower case.
    return username.strip().lower()
