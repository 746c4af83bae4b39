"""What the screens ask for: sign in and out, save, delete, sign, sync.

The controller owns the session's `AppState` (observable) and its `Device`
(sync/ behind `mobile.platform.blocking`). It knows nothing of controls, so it is
tested without a page; the views reach it through `mobile.context`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mobile.device import REGISTRY, Device, DeviceRegistry, data_folder, remembered_account
from mobile.i18n import DEFAULT_LANGUAGE, LANGUAGES, tr
from mobile.platform import blocking
from mobile.state import AccountInfo, AppState
from mobile.state.entry import EntryDraft, entry_warnings, over_quota_text, targets
from mobile.state.login import LoginForm
from mobile.state.month import MonthSheet
from mobile.state.signing import SignatureDraft
from models.canonical import content_hash
from models.rules import Problem
from models.schemas import EntryData
from sync.client import LoginError, LoginRefusal, Session, SyncStatus
from sync.client import login as client_login
from sync.store import InvalidEntryError, StoreError

log = logging.getLogger(__name__)

PREFIX = "timeliste."


class Prefs(Protocol):
    """The small key-value store that survives a restart (ft.SharedPreferences)."""

    async def get(self, key: str) -> Any: ...
    async def set(self, key: str, value: Any) -> bool: ...
    async def remove(self, key: str) -> bool: ...


class MemoryPrefs:
    """Prefs in memory, for tests and for a session without a client (never persisted)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        return self.values.get(key)

    async def set(self, key: str, value: Any) -> bool:
        self.values[key] = value
        return True

    async def remove(self, key: str) -> bool:
        return self.values.pop(key, None) is not None


@dataclass(frozen=True)
class SaveResult:
    """What came of pressing 'Lagre'."""

    saved: bool
    over_quota: str | None = None  # the warnings to confirm before saving anyway
    title: str | None = None  # the confirmation's title when it is not only the quota


class Controller:
    """One per app session (a phone, or a browser tab in web mode)."""

    def __init__(
        self,
        state: AppState,
        prefs: Prefs,
        *,
        web: bool = False,
        default_server: str = "",
        registry: DeviceRegistry = REGISTRY,
    ) -> None:
        self.state = state
        self.prefs = prefs
        self.web = web
        self.default_server = default_server
        self.registry = registry
        self.device: Device | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._browser_key: str | None = None
        self._login_form: LoginForm | None = None
        self._relogin_form: LoginForm | None = None
        self.token: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # This session's context (Flet finds the page to update through a context
        # variable). The device's listeners run in the context of whichever session
        # started its background loop; a state change made there would re-render
        # that session's page — after a reopen, a closed one — and never this one.
        self._context = contextvars.copy_context()

    # start and sign-in ------------------------------------------------------------------

    async def boot(self) -> None:
        """Restore language, a running timer and a stay-signed-in account."""
        # Asked together: in a browser each answer is a round trip to Flutter's
        # side of the page (0.1-0.2 s apiece on a loaded phone), and the home
        # screen waits for all four.
        lang, timer, server, username = await asyncio.gather(
            *(self.prefs.get(PREFIX + key) for key in ("lang", "timer", "server", "username"))
        )
        if lang in LANGUAGES:
            self.state.lang = lang
        if isinstance(timer, str) and timer:
            with contextlib.suppress(ValueError):
                self.state.timer_started = datetime.fromisoformat(timer)
        if not (isinstance(server, str) and isinstance(username, str) and server and username):
            # The preferences can be lost where the account's store is not (a browser
            # killed soon after signing in): the store says whose it is.
            remembered = await remembered_account()
            if remembered is not None:
                server, username = remembered
                await self.prefs.set(PREFIX + "server", server)
                await self.prefs.set(PREFIX + "username", username)
        if isinstance(server, str) and isinstance(username, str) and server and username:
            folder = await self._folder()
            try:
                device = await self.registry.open(folder, server, username)
            except StoreError:
                log.warning("could not open the device store at start")
                device = None
            if device is not None:
                account = await _account(device)
                if account is not None:
                    await self._attach(device, AccountInfo(server, username, account.role or ""))
                    return
        self.state.phase = "login"

    async def _folder(self) -> Any:
        if not self.web:
            return data_folder(None)
        if self._browser_key is None:
            key = await self.prefs.get(PREFIX + "device")
            if not isinstance(key, str) or len(key) < 16:
                key = secrets.token_urlsafe(24)
                await self.prefs.set(PREFIX + "device", key)
            self._browser_key = key
        return data_folder(self._browser_key)

    def login_form(self) -> LoginForm:
        """The session's one sign-in form.

        Typing is recorded without a re-render, so a form made afresh when the
        sign-in screen is mounted again would be empty while the fields still
        show what was typed. Keeping one form per session keeps the two equal.
        """
        if self._login_form is None:
            self._login_form = LoginForm(server_url=self.default_server)
        return self._login_form

    def relogin_form(self) -> LoginForm:
        """The form of signing in again after the token expired: the account's server
        and username, the password and, when the server asks, the code.

        One per session and account, for the same reason as `login_form`.
        """
        account = self.state.account
        server = account.server_url if account else ""
        username = account.username if account else ""
        form = self._relogin_form
        if form is None or (form.server_url, form.username) != (server, username):
            form = self._relogin_form = LoginForm(server_url=server, username=username)
        return form

    async def _send(self, form: LoginForm) -> Session | None:
        """The sign-in step of a first login and of a login again: the form's password,
        and its code once the server has asked for one.

        On a refusal `form.error` says why in plain words; a missing or wrong code
        opens the code field, empty. The username and password stay as typed.
        """
        problem = form.problem(self.state.lang)
        if problem:
            form.error = problem
            return None
        form.error = None
        server = form.server_url.strip().rstrip("/")
        try:
            return await client_login(server, form.username.strip(), form.password, otp=form.code())
        except LoginError as error:
            form.error = str(error)
            if error.refusal in (LoginRefusal.code_required, LoginRefusal.code_wrong):
                form.ask_for_code()
            return None

    async def login(self, form: LoginForm) -> bool:
        """Sign in with the form; on failure `form.error` says why in plain words."""
        if form.busy:
            return False
        form.busy = True
        try:
            session = await self._send(form)
            if session is None:
                return False
            server = form.server_url.strip().rstrip("/")
            username = form.username.strip()
            folder = await self._folder()
            try:
                device = await self.registry.open(folder, server, username, session)
            except StoreError as error:
                form.error = str(error)
                return False
            assert device is not None
            await self.prefs.set(PREFIX + "server", server)
            await self.prefs.set(PREFIX + "username", username)
            form.signed_in()
            await self._attach(device, AccountInfo(server, username, session.role))
            return True
        finally:
            form.busy = False

    async def _attach(self, device: Device, account: AccountInfo) -> None:
        self.device = device
        stored = await _account(device)
        self.token = stored.token if stored else None
        self.state.sync = device.status
        self._unsubscribe = [
            device.subscribe_status(self._on_status),
            device.on_change(self._on_change),
        ]
        self.state.snapshot = await device.snapshot()
        self.state.signed_in(account)
        if account.role == "contact":
            device.start()

    def _on_status(self, status: SyncStatus) -> None:
        # A fresh copy each time: a Context cannot be entered twice at once.
        self._context.copy().run(self._set_sync, status)

    def _set_sync(self, status: SyncStatus) -> None:
        self.state.sync = status

    def _on_change(self) -> None:
        # Listeners run on the event loop: reload the snapshot without waiting here,
        # in this session's own context (see __init__).
        task = asyncio.get_running_loop().create_task(self.refresh(), context=self._context.copy())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh(self) -> None:
        if self.device is not None:
            with contextlib.suppress(StoreError):
                self.state.snapshot = await self.device.snapshot()

    async def detach(self) -> None:
        """The session ended (tab closed): let go of the device, keep its data."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self.device is not None:
            device, self.device = self.device, None
            await self.registry.release(device)

    async def logout(self) -> None:
        """Sign out: revoke the token and wipe the account's data from the device."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self.device is not None:
            device, self.device = self.device, None
            await self.registry.forget(device)
        for key in ("server", "username", "timer"):
            await self.prefs.remove(PREFIX + key)
        self.token = None
        if self._login_form is not None:
            self._login_form.signed_out()
        self._relogin_form = None
        self.state.signed_out()

    async def relogin(self, form: LoginForm) -> bool:
        """Sign in again after the token expired, keeping every entry and the outbox.

        The same step as the first sign-in (`_send`: password, then the code when
        the server asks), for the account already on the device; only its token is
        replaced. On failure `form.error` says why.
        """
        device = self.device
        account = self.state.account
        if device is None or account is None:
            form.error = tr("fill_all", self.state.lang)
            return False
        if form.busy:
            return False
        form.busy = True
        try:
            session = await self._send(form)
            if session is None:
                return False
            await blocking(
                device.store.set_account,
                server_url=account.server_url,
                username=account.username,
                token=session.token,
                role=session.role,
                expires_at=session.expires_at,
            )
            await device.store.flush()
            device.client.set_token(session.token)
            self.token = session.token
            form.signed_in()
            if session.role == "contact":  # as _attach: only a contact's device syncs
                device.start()
                await device.sync_now()
            return True
        finally:
            form.busy = False

    async def set_language(self, lang: str) -> None:
        if lang in LANGUAGES:
            self.state.lang = lang
            await self.prefs.set(PREFIX + "lang", lang)

    async def sync_now(self) -> None:
        if self.device is not None:
            await self.device.sync_now()

    # the timer ----------------------------------------------------------------------------

    async def start_timer(self, draft: EntryDraft) -> None:
        started = draft.start_timer()
        self.state.timer_started = started
        await self.prefs.set(PREFIX + "timer", started.isoformat())

    async def stop_timer(self, draft: EntryDraft) -> None:
        started = self.state.timer_started
        if started is None:
            return
        draft.stop_timer(started)
        self.state.timer_started = None
        await self.prefs.remove(PREFIX + "timer")

    # entries -----------------------------------------------------------------------------

    async def save_entry(self, draft: EntryDraft, *, anyway: bool = False) -> SaveResult:
        """Check with models' rules, warn before going over a quota, then save on the phone."""
        lang = self.state.lang
        device = self._require_device()
        options = targets(self.state.snapshot, lang)
        entry, errors = draft.build(options, lang)
        if entry is None:
            draft.errors = errors
            return SaveResult(saved=False)
        # Asked before the quota: over 12 hours, or overlapping another session.
        warnings = [] if anyway else entry_warnings(self.state.snapshot, entry, lang)
        draft.busy = True
        try:
            if warnings:
                problems = await device.check(entry)
                over = [] if problems else await device.over_quota(entry)
                if not problems:
                    if over:
                        warnings.append(over_quota_text(self.state.snapshot, over, lang))
                    return SaveResult(
                        saved=False, over_quota="\n\n".join(warnings), title=tr("check_title", lang)
                    )
                snapshot = None
            else:
                problems, over, snapshot = await device.save_checked(
                    entry, anyway=anyway, writer=self._on_change
                )
        except InvalidEntryError as error:
            draft.show_problems(error.problems)
            return SaveResult(saved=False)
        except StoreError as error:
            draft.errors = {"form": str(error)}
            return SaveResult(saved=False)
        finally:
            draft.busy = False
        if problems:
            draft.show_problems(problems)
            return SaveResult(saved=False)
        if over:
            return SaveResult(
                saved=False, over_quota=over_quota_text(self.state.snapshot, over, lang)
            )
        assert snapshot is not None
        draft.errors = {}
        self.state.snapshot = snapshot
        self.state.show(tr("saved", lang))
        return SaveResult(saved=True)

    async def delete_entry(self, entry_id: str) -> bool:
        device = self._require_device()
        try:
            await device.delete(entry_id)
        except StoreError as error:
            self.state.show(str(error))
            return False
        self.state.snapshot = await device.snapshot()
        self.state.show(tr("deleted", self.state.lang))
        return True

    async def discard(self, entry_id: str) -> None:
        device = self._require_device()
        await device.discard(entry_id)
        self.state.snapshot = await device.snapshot()

    # signing ----------------------------------------------------------------------------------

    def sheet_hash(self, sheet: MonthSheet) -> str | None:
        """models.canonical's hash over exactly the entries the signer is shown."""
        contact_id = self.state.snapshot.contact_id
        if contact_id is None:
            return None
        return content_hash(
            contact_id=contact_id,
            decision_id=sheet.decision_id,
            period=sheet.period,
            entries=sheet.entries(),
        )

    async def sign(self, sheet: MonthSheet, shown_hash: str, draft: SignatureDraft) -> bool:
        lang = self.state.lang
        errors = draft.problems(lang)
        if errors:
            draft.errors = errors
            return False
        device = self._require_device()
        draft.busy = True
        try:
            signature = draft.to_signature(
                decision_id=sheet.decision_id,
                period=sheet.period,
                content_hash=shown_hash,
                signed_at=datetime.now(UTC),
            )
            await device.sign(signature)
        except InvalidEntryError as error:
            draft.errors = {"form": " ".join(p.message for p in error.problems)}
            return False
        except StoreError as error:
            draft.errors = {"form": str(error)}
            return False
        except ValueError as error:  # pydantic: the strokes or name broke the schema
            draft.errors = {"form": str(error).splitlines()[0]}
            return False
        finally:
            draft.busy = False
        self.state.snapshot = await device.snapshot()
        return True

    def _require_device(self) -> Device:
        if self.device is None:
            raise StoreError(tr("sign_needs_sync", self.state.lang))
        return self.device


async def _account(device: Device) -> Any:
    return await blocking(device.store.account)


def problems_text(problems: list[Problem]) -> str:
    return " ".join(problem.message for problem in problems)


def entry_for_edit(state: AppState, entry_id: str) -> EntryData | None:
    item = state.snapshot.entry(entry_id)
    return item.entry if item else None


__all__ = ["DEFAULT_LANGUAGE", "Controller", "MemoryPrefs", "Prefs", "SaveResult"]
