"""SyncClient: pushes the outbox and pulls changes over `httpx.AsyncClient` (docs/rules.md §13).

A sync pushes the outbox in order and in batches, then pulls from the
cursor. Network errors, timeouts and 5xx answers are retried with exponential
backoff and jitter; a mutation the server rejected is never retried (the
store keeps the entry and the reasons for the contact). A 401 stops the sync
and asks for a new login; nothing in the store is dropped.

The app watches `client.status` (or subscribes to it) to show one line:
synced, syncing, offline, N waiting, needs attention, or log in again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from models.contract import LoginResponse, Me, PullResponse, PushResponse
from models.devices import DeviceReport
from sync.runtime import blocking
from sync.store import DeviceStore
from sync.transport import after_first_screen, default_transport

if TYPE_CHECKING:
    import httpx

__all__ = [
    "LoginError",
    "Session",
    "SyncClient",
    "SyncError",
    "SyncState",
    "SyncStatus",
    "login",
]

log = logging.getLogger(__name__)

PUSH_PATH = "/api/v1/sync/push"
PULL_PATH = "/api/v1/sync/pull"
LOGIN_PATH = "/api/v1/auth/login"
ME_PATH = "/api/v1/me"
MAX_PULL_PAGES = 1000  # a guard against a server that always says "more"
CLOCK_IDS_FROM = 10**12  # ms since 1970 passed this in 2001: smaller ids are plain counters


def queued_at(mutation_id: int) -> datetime | None:
    """When a change was queued: the store takes mutation ids from the clock in ms
    (sync.store `_enqueue`), so the id is the time. None for an old counter id."""
    if mutation_id < CLOCK_IDS_FROM:
        return None
    return datetime.fromtimestamp(mutation_id / 1000, UTC)


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


def _changes(count: int) -> str:
    return "1 endring" if count == 1 else f"{count} endringer"


def status_message(state: SyncState, waiting: int, rejected: int) -> str:
    """The one line the app shows for a status."""
    if state is SyncState.syncing:
        return "Synkroniserer …"
    if state is SyncState.login:
        return "Logg inn på nytt for å sende endringene. Ingenting er slettet."
    if state is SyncState.attention:
        if rejected == 1:
            return "1 føring må rettes: tjenesten godtok den ikke."
        return f"{rejected} føringer må rettes: tjenesten godtok dem ikke."
    if state is SyncState.offline:
        if waiting:
            return f"Frakoblet. {_changes(waiting)} venter på telefonen og sendes senere."
        return "Frakoblet. Alt er lagret på telefonen."
    if state is SyncState.waiting:
        return f"{_changes(waiting)} venter på å bli sendt."
    return "Alt er synkronisert."


@dataclass(frozen=True, slots=True)
class Session:
    """A login: the bearer token, the user's role and when the token expires."""

    token: str
    role: str
    expires_at: datetime
    user_id: str | None = None
    contact_id: str | None = None


class LoginRefusal(StrEnum):
    """Why a login was refused, so a form can ask for the right thing next."""

    credentials = "credentials"  # wrong username or password
    code_required = "code_required"  # the password was right; the second factor is missing
    code_wrong = "code_wrong"  # the password was right; the code is not
    other = "other"  # throttled, no network, a server fault


class LoginError(Exception):
    """Login failed; `str()` says why in bokmål, `refusal` which step to correct."""

    def __init__(self, message: str, refusal: LoginRefusal = LoginRefusal.other) -> None:
        super().__init__(message)
        self.refusal = refusal


_NO_CONNECTION = "Får ikke kontakt med tjenesten. Sjekk nettet og prøv igjen."
CODE_REQUIRED = "Skriv inn koden fra autentiseringsappen."
CODE_WRONG = "Koden stemmer ikke. Prøv igjen, eller bruk en reservekode."
_BAD_CREDENTIALS = "Feil brukernavn eller passord."


def _refusal(response: httpx.Response) -> LoginRefusal:
    """Which part of a 401 was wrong, from the problem's field codes (see server auth)."""
    try:
        body = response.json()
    except ValueError:
        return LoginRefusal.credentials
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = {item.get("code") for item in errors or () if isinstance(item, dict)}
    if "totp_required" in codes:
        return LoginRefusal.code_required
    if "totp_invalid" in codes:
        return LoginRefusal.code_wrong
    return LoginRefusal.credentials


def login_body(username: str, password: str, otp: str | None = None) -> dict[str, str]:
    """The JSON of POST /api/v1/auth/login: the app's and the office's alike.

    The code goes only when there is one: blank is no code.
    """
    body = {"username": username, "password": password}
    # "123 456" is how apps show a code; the server reads a recovery code without spaces too.
    code = "".join((otp or "").split())
    if code:
        body["otp"] = code
    return body


async def login(
    base_url: str,
    username: str,
    password: str,
    *,
    otp: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 15.0,
) -> Session:
    """POST /api/v1/auth/login and return the session, or raise `LoginError`.

    `otp` is the authenticator's code or a recovery code, sent only when given:
    the server asks for it (`LoginRefusal.code_required`) when the user has one.
    """
    import httpx  # imported when first used: not before the app's first screen

    body = login_body(username, password, otp)
    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/"), transport=transport or default_transport(), timeout=timeout
    ) as http:
        try:
            response = await http.post(LOGIN_PATH, json=body)
        except httpx.TransportError:
            raise LoginError(_NO_CONNECTION) from None
    if response.status_code == 401:
        refusal = _refusal(response)
        message = {
            LoginRefusal.code_required: CODE_REQUIRED,
            LoginRefusal.code_wrong: CODE_WRONG,
        }.get(refusal, _BAD_CREDENTIALS)
        raise LoginError(message, refusal)
    if response.status_code == 429:
        raise LoginError("For mange forsøk. Vent litt og prøv igjen.")
    if response.status_code != 200:
        raise LoginError(f"Innloggingen feilet (feilkode {response.status_code}). Prøv igjen.")
    try:
        answer = LoginResponse.model_validate_json(response.content)
    except ValidationError:
        # A Wi-Fi login page answers 200 with HTML: we never reached the service.
        raise LoginError(_NO_CONNECTION) from None
    return Session(
        token=answer.token,
        role=answer.role.value,
        expires_at=answer.expires_at,
        user_id=answer.user_id,
        contact_id=answer.contact_id,
    )


class SyncError(Exception):
    """Why a push or pull stopped; `str()` is bokmål. `sync()` turns it into a status."""


_UNREADABLE = (
    "Svaret kom ikke fra tjenesten (krever nettet innlogging?). Endringene venter på telefonen."
)


Answer = TypeVar("Answer", bound=BaseModel)


def _answer(response: httpx.Response, shape: type[Answer]) -> Answer:
    """The answer read into its contract model (models.contract).

    An answer that is not the contract's shape did not come from the service
    (a captive portal, a proxy's page), so it is treated as no answer at all:
    the changes wait on the phone and the sync is tried again later.
    """
    try:
        return shape.model_validate_json(response.content)
    except ValidationError:
        raise _UnreachableError(_UNREADABLE) from None


class _LoginRequiredError(SyncError):
    pass


class _UnreachableError(SyncError):
    """Retries ran out; `str()` is the bokmål reason."""


class _RefusedError(SyncError):
    """The server refused the request as a whole (not a single mutation)."""


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
        pull_limit: int | None = None,
    ) -> None:
        """`transport` lets tests route through a proxy; the app leaves it None.

        `pull_limit` asks the server for pages of about that many entries
        (None: the server's default page).
        """
        self._store = store
        self._token = token
        self._batch_size = batch_size
        self._pull_limit = pull_limit
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout
        # Made by the first request (`_client`): httpx is not imported before then.
        self._http: httpx.AsyncClient | None = None
        self._listeners: list[StatusListener] = []
        self._running = asyncio.Lock()
        self._jitter = random.Random()  # noqa: S311 - jitter, not secrecy
        self._login_needed = not token
        # The first status comes from the store's memory; a store just opened
        # has no save holding its lock, so this does not wait on the disk.
        waiting, rejected = store.pending_count(), store.attention_count()
        self._status = self._settled(waiting, rejected, error=None)

    @property
    def store(self) -> DeviceStore:
        """The store this client syncs."""
        return self._store

    # --- status ------------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        """The current status; listeners hear every change of it."""
        return self._status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener` with every new status; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, status: SyncStatus) -> None:
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                # A broken view must not stop the data from moving.
                log.exception("sync status listener failed")

    def _settled(
        self, waiting: int, rejected: int, *, error: str | None, offline: bool = False
    ) -> SyncStatus:
        if self._login_needed:
            state = SyncState.login
        elif offline:
            state = SyncState.offline
        elif rejected:
            state = SyncState.attention
        elif waiting:
            state = SyncState.waiting
        else:
            state = SyncState.synced
        return SyncStatus(
            state=state,
            waiting=waiting,
            rejected=rejected,
            message=status_message(state, waiting, rejected),
            error=error,
            last_synced_at=self._store.last_synced_at(),
        )

    async def refresh_status(self) -> SyncStatus:
        """Recompute the status from the store (e.g. after the app saved an entry)."""
        if self._running.locked():
            return self._status
        waiting, rejected = await self._counts()
        offline = self._status.state is SyncState.offline
        # _settled reads the store, whose lock a save in a worker thread may hold
        # through its fsync: never wait for that on the UI loop.
        settled = await blocking(
            self._settled, waiting, rejected, error=self._status.error, offline=offline
        )
        self._publish(settled)
        return self._status

    async def _counts(self) -> tuple[int, int]:
        return await blocking(lambda: (self._store.pending_count(), self._store.attention_count()))

    def set_token(self, token: str) -> None:
        """Use a new token after the contact logged in again."""
        self._token = token
        self._login_needed = not token

    # --- sync ------------------------------------------------------------------------------

    async def sync(self) -> SyncStatus:
        """Push the whole outbox, then pull; returns the final status. Never raises for
        network trouble: that ends as `offline` with everything kept."""
        async with self._running:
            waiting, rejected = await self._counts()
            self._publish(
                SyncStatus(
                    state=SyncState.syncing,
                    waiting=waiting,
                    rejected=rejected,
                    message=status_message(SyncState.syncing, waiting, rejected),
                    last_synced_at=self._status.last_synced_at,
                )
            )
            error: str | None = None
            offline = False
            try:
                await self._learn_who_we_are()
                await self._push_all()
                await self._pull_all()
            except _LoginRequiredError:
                self._login_needed = True
                await blocking(self._store.clear_token)
                error = "Innloggingen er utløpt."
            except _UnreachableError as problem:
                offline = True
                error = str(problem)
            except _RefusedError as problem:
                error = str(problem)
            except Exception as problem:  # the app must keep running, whatever happened
                # Only the type is logged: a message could quote the contact's data.
                log.error("sync failed unexpectedly: %s", type(problem).__name__)
                error = "Synkroniseringen stoppet på grunn av en feil. Endringene er tatt vare på."
            waiting, rejected = await self._counts()
            final = await blocking(self._settled, waiting, rejected, error=error, offline=offline)
            if error is not None and final.state is SyncState.synced:
                final = SyncStatus(
                    state=SyncState.attention,
                    waiting=waiting,
                    rejected=rejected,
                    message=error,
                    error=error,
                    last_synced_at=final.last_synced_at,
                )
            self._publish(final)
            return final

    async def push(self) -> None:
        """Push the outbox in order and in batches until it is empty.

        Raises `SyncError` when the network, the login or the server stops it.
        """
        async with self._running:
            await self._push_all()

    async def pull(self) -> None:
        """Pull everything changed since the store's cursor (`SyncError` as for push)."""
        async with self._running:
            await self._pull_all()

    async def _learn_who_we_are(self) -> None:
        # Signing hashes the contact's id; a store made without it asks once.
        if await blocking(self._store.contact_id):
            return
        me = _answer(await self._request("GET", ME_PATH), Me)
        if me.contact_id:
            await blocking(self._store.set_contact_id, me.contact_id)

    async def _device_report(self) -> DeviceReport:
        """The outbox as it stands, for the office (docs/rules.md §11 "Devices")."""
        waiting = await blocking(self._store.pending_count)
        oldest = await blocking(self._store.outbox, 1)
        return DeviceReport(
            unsent=waiting, oldest_unsent_at=queued_at(oldest[0].mutation_id) if oldest else None
        )

    async def _push_all(self) -> None:
        device_id = await blocking(self._store.device_id)
        while True:
            batch = await blocking(self._store.outbox, self._batch_size)
            if not batch:
                return
            report = await self._device_report()
            response = await self._request(
                "POST",
                PUSH_PATH,
                json={
                    "device_id": device_id,
                    "mutations": [m.as_json() for m in batch],
                    "device": report.model_dump(mode="json"),
                },
            )
            sent = {m.mutation_id for m in batch}
            answered = [
                result
                for result in _answer(response, PushResponse).results
                if result.mutation_id in sent
            ]
            if not answered:
                raise _RefusedError("Tjenesten svarte ikke på endringene. Prøv igjen senere.")
            await blocking(self._store.apply_push_results, answered)
            log.info(
                "pushed %d mutations: %d rejected",
                len(answered),
                sum(1 for result in answered if result.status == "rejected"),
            )

    async def _pull_all(self) -> None:
        device_id = await blocking(self._store.device_id)
        for _ in range(MAX_PULL_PAGES):
            cursor = await blocking(self._store.cursor)
            report = await self._device_report()
            params: dict[str, Any] = {
                "cursor": cursor,
                "device_id": device_id,
                "unsent": report.unsent,
            }
            if report.oldest_unsent_at is not None:
                params["oldest_unsent_at"] = report.oldest_unsent_at.isoformat()
            if self._pull_limit is not None:
                params["limit"] = self._pull_limit
            page = _answer(await self._request("GET", PULL_PATH, params=params), PullResponse)
            await blocking(self._store.apply_pull, page)
            if not page.has_more or page.cursor <= cursor:
                return

    # --- one request, with retries ---------------------------------------------------------

    async def _client(self) -> httpx.AsyncClient:
        """The HTTP client, made on the first request.

        In a browser the app's first sync starts before its home screen is
        drawn: httpx and what it imports are only imported once it is (see
        sync.transport.first_screen_sent), so they do not delay the screen.
        """
        if self._http is None:
            await after_first_screen()
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                base_url=self._base_url,
                transport=self._transport or default_transport(),
                timeout=self._timeout,
            )
        return self._http

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send once, retrying network errors, timeouts and 5xx with backoff and jitter.

        A push is safe to repeat: the server answers `duplicate` for a
        mutation it has already applied.
        """
        if self._login_needed:
            raise _LoginRequiredError
        import httpx

        http = await self._client()
        reason = _NO_CONNECTION
        for attempt in range(self._max_attempts):
            if attempt:
                await self._pause(attempt)
            try:
                response = await http.request(
                    method,
                    path,
                    headers={"Authorization": f"Bearer {self._token}"},
                    **kwargs,
                )
            except httpx.TimeoutException:
                reason = "Tjenesten svarer ikke (tidsavbrudd). Endringene venter på telefonen."
                continue
            except httpx.TransportError:
                reason = _NO_CONNECTION
                continue
            if response.status_code == 401:
                raise _LoginRequiredError
            if response.status_code >= 500 or response.status_code in (408, 429):
                reason = "Tjenesten har et midlertidig problem. Endringene venter på telefonen."
                continue
            if response.status_code >= 400:
                self._refused(response)
            if response.status_code >= 300:
                # A Wi-Fi login page (captive portal) redirects everything.
                reason = _UNREADABLE
                continue
            return response
        raise _UnreachableError(reason)

    def _refused(self, response: httpx.Response) -> NoReturn:
        log.warning("sync request refused with status %d", response.status_code)
        if response.status_code == 403:
            raise _RefusedError("Brukeren har ikke tilgang til å synkronisere. Kontakt kommunen.")
        raise _RefusedError(
            f"Tjenesten avviste synkroniseringen (feilkode {response.status_code}). "
            "Endringene er tatt vare på."
        )

    async def _pause(self, attempt: int) -> None:
        # Full jitter: phones that lost the network together do not return together.
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        await asyncio.sleep(self._jitter.uniform(0, ceiling))

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> SyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
