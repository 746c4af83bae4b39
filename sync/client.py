"""SyncClient: pushes the outbox and pulls changes over `httpx.AsyncClient` (SPEC §5).

A sync pushes the outbox in order and in batches, then pulls from the
cursor. Network errors, timeouts and 5xx answers are retried with exponential
backoff and jitter; a mutation the server rejected is never retried (the
store keeps the entry and the reasons for the contact). A 401 stops the sync
and asks for a new login; nothing in the store is dropped.

The app watches `client.status` (or subscribes to it) to show one line:
synced, syncing, offline, N waiting, needs attention, or log in again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import httpx

from sync.store import DeviceStore

__all__ = ["LoginError", "Session", "SyncClient", "SyncState", "SyncStatus", "login"]


class SyncState(StrEnum):
    synced = "synced"  # nothing waits, the last sync succeeded
    syncing = "syncing"  # a sync is running
    offline = "offline"  # the server could not be reached; changes wait on the phone
    waiting = "waiting"  # changes wait, not yet tried (or tried and will be again)
    attention = "attention"  # the server refused something the contact must fix
    login = "login"  # the token expired or was revoked: log in again


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the app shows about sync, in one line of bokmål (`message`)."""

    state: SyncState
    waiting: int = 0  # changes not yet acknowledged
    rejected: int = 0  # changes the server refused
    message: str = ""  # for the contact, bokmål
    error: str | None = None  # the last problem, bokmål, no personal data
    last_synced_at: datetime | None = None


StatusListener = Callable[[SyncStatus], None]


@dataclass(frozen=True, slots=True)
class Session:
    """A login: the bearer token, the user's role and when the token expires."""

    token: str
    role: str
    expires_at: datetime


class LoginError(Exception):
    """Login failed; `str()` says why in bokmål (wrong password, throttled, no network)."""


async def login(
    base_url: str,
    username: str,
    password: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 15.0,
) -> Session:
    """POST /api/v1/auth/login and return the session, or raise `LoginError`."""
    raise NotImplementedError


class SyncClient:
    """Moves the store's outbox to the server and the server's changes to the store."""

    def __init__(
        self,
        store: DeviceStore,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        batch_size: int = 50,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        timeout: float = 20.0,
    ) -> None:
        """`transport` lets tests route through a proxy; the app leaves it None."""
        raise NotImplementedError

    @property
    def status(self) -> SyncStatus:
        """The current status; listeners hear every change of it."""
        raise NotImplementedError

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener` with every new status; returns a function that unsubscribes."""
        raise NotImplementedError

    def set_token(self, token: str) -> None:
        """Use a new token after the contact logged in again."""
        raise NotImplementedError

    async def sync(self) -> SyncStatus:
        """Push the whole outbox, then pull; returns the final status. Never raises for
        network trouble: that ends as `offline` with everything kept."""
        raise NotImplementedError

    async def push(self) -> None:
        """Push the outbox in order and in batches until it is empty (or an error stops it)."""
        raise NotImplementedError

    async def pull(self) -> None:
        """Pull everything changed since the store's cursor."""
        raise NotImplementedError

    async def refresh_status(self) -> SyncStatus:
        """Recompute the status from the store (e.g. after the app saved an entry)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the HTTP client."""
        raise NotImplementedError
