"""The app's state: observable dataclasses that hold data, never controls.

The root state (`AppState`, one per app session) is here; each screen's state
is in the module named as its view in `mobile/views/` (`entry.py`, `month.py`,
`signing.py`, ...), and what several screens read in `common.py`. Views read
these and call their methods; nothing here touches a page, the network or the
disk, so every class is tested without a browser (tests/mobile). The rules come
from models/: validation messages through `models.messages.validation_problems`,
hard errors through `models.rules` (via the store), quota periods through
`models.quota`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile.i18n import DEFAULT_LANGUAGE
from mobile.state.common import Chip, Snapshot, sync_chip
from sync.client import SyncStatus


@dataclass(frozen=True)
class AccountInfo:
    """Who is signed in (no password, no token: those stay in the device store)."""

    server_url: str
    username: str
    role: str


@ft.observable
@dataclass
class AppState:
    """One per app session (one per browser tab in web mode)."""

    lang: str = DEFAULT_LANGUAGE
    phase: str = "starting"  # "starting" | "login" | "ready"
    account: AccountInfo | None = None
    snapshot: Snapshot = field(default_factory=Snapshot)
    sync: SyncStatus | None = None
    timer_started: datetime | None = None  # a running start/stop timer, UTC
    notice: str | None = None  # a short confirmation shown once (snack bar)
    notice_serial: int = 0

    @property
    def is_contact(self) -> bool:
        return self.account is not None and self.account.role == "contact"

    def signed_in(self, account: AccountInfo) -> None:
        self.account = account
        self.phase = "ready"

    def signed_out(self) -> None:
        self.account = None
        self.snapshot = Snapshot()
        self.sync = None
        self.timer_started = None
        self.phase = "login"

    def show(self, text: str) -> None:
        self.notice = text
        self.notice_serial += 1

    def chip(self) -> Chip:
        return sync_chip(self.sync, self.lang)
