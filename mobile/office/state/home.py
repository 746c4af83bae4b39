"""The start page (`mobile/office/views.py`): what waits for the coordinator, counted."""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from mobile.office.api import OfficeApi
from mobile.office.state.common import Desk
from models.text import count_text


@ft.observable
@dataclass
class StartCounts(Desk):
    """What waits for the coordinator, counted for the start page's tiles.

    The counts are true only once `loaded` (never a guessed 0).
    """

    open_flags: int = 0
    to_approve: int = 0

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            # The counts come from the server (one item asked for): a list is paged and
            # can never be counted by its length. Flags are counted as the flags screen
            # shows them, one card per matter (a group's overuse is one card, however
            # many participants have a flag on it).
            self.open_flags = (await api.flag_cards(status="open", limit=1)).count
            self.to_approve = (await api.timesheets_page(status="signed", limit=1)).count

    def text(self, route: str) -> str | None:
        """The count for a tile's route, in words; None for tiles without one."""
        if route not in ("/kontor/avvik", "/kontor/godkjenning"):
            return None
        if self.error:
            return "Kunne ikke hente tallene."
        if not self.loaded:
            return "Teller …"
        if route == "/kontor/avvik":
            return count_text(self.open_flags, "åpent avvik", "åpne avvik")
        return count_text(
            self.to_approve, "timeliste venter på godkjenning", "timelister venter på godkjenning"
        )
