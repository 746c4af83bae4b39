"""The admin's switch in the settings: require the second factor of office roles
(SPEC §4 Access, docs/rules.md §10). The view is in `mobile/office/security.py`.

The server refuses the requirement while the admin has no second factor of
their own (their next request would be refused); the desk knows the admin's
own state and says so in words, with where to turn it on, before asking.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import Desk, error_text
from models.second_factor import SecurityPolicy

OWN_FACTOR_FIRST = (
    "Du må slå på totrinnsinnlogging for deg selv før du kan kreve det av andre: "
    "Kontor → Totrinnsinnlogging."
)
TURNED_ON = "Totrinnsinnlogging kreves nå for koordinatorer, lønn og administratorer."
TURNED_OFF = "Totrinnsinnlogging er ikke lenger påkrevd. De som har slått det på, beholder det."


@ft.observable
@dataclass
class PolicyDesk(Desk):
    required: bool = False  # the requirement as the server holds it
    own_factor: bool = False  # the signed-in admin has a second factor
    sending: bool = False
    done: str | None = None  # what the last change did, in words
    changes: int = 0  # tries to change it, refused or not (the view's switch is made anew)

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            policy = await api.security_policy()
            status = await api.totp_status()
            self.required = policy.require_totp_for_office
            self.own_factor = status.enabled

    def refusal(self, required: bool) -> str | None:
        """Why the switch cannot be turned this way now, or None."""
        if required and not self.own_factor:
            return OWN_FACTOR_FIRST
        return None

    async def set_required(self, api: OfficeApi, required: bool) -> bool:
        """Turn the requirement on or off; False (and `error` says why) when refused."""
        self.done = None
        self.changes += 1
        refusal = self.refusal(required)
        if refusal is not None:
            self.error = refusal
            return False
        self.sending = True
        try:
            policy = await api.set_security_policy(SecurityPolicy(require_totp_for_office=required))
        except ApiError as error:
            self.error = error_text(error)
            return False
        finally:
            self.sending = False
        self.error = None
        self.required = policy.require_totp_for_office
        self.done = TURNED_ON if self.required else TURNED_OFF
        return True
