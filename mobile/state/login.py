"""The login screen (`mobile/views/login.py`): the form as typed."""

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
    error: str | None = None
    busy: bool = False

    def problem(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """Why the form cannot be sent yet, or None."""
        if not (self.server_url.strip() and self.username.strip() and self.password):
            return tr("fill_all", lang)
        if not self.server_url.strip().lower().startswith(("http://", "https://")):
            return tr("bad_server", lang)
        return None
