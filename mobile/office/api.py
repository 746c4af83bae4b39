"""The office's client for the server's HTTP API (docs/rules.md §13).

The office is online-only: every screen asks the server and shows what it
answers. Errors come back as `ApiError` carrying the server's Norwegian
problem+json text, so a view can show it as it is. Nothing here imports the
server: the contract is the HTTP one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from models.contract import (
    AuditEventPublic,
    AuditEventsPublic,
    BatchesPublic,
    BatchPublic,
    ContactsPublic,
    DecisionPublic,
    DecisionsPublic,
    FieldError,
    LoginResponse,
    Problem,
    RecipientsPublic,
    TimesheetDetail,
    TimesheetsPublic,
    TimesheetSummary,
    UsagePublic,
)
from models.devices import DevicesAttentionPublic
from models.flag_cards import FlagCardPublic, FlagCardsPublic
from models.lifecycle import ExpiringDecisionsPublic, FollowOnCreate
from models.payroll import PaySettings
from models.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    DecisionCreate,
    FlagPublic,
    RecipientCreate,
    RecipientPublic,
)
from models.second_factor import (
    CodeBody,
    RecoveryCodes,
    SecurityPolicy,
    TotpSetup,
    TotpStatus,
)
from sync.client import login_body
from sync.transport import default_transport

API = "/api/v1"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# The server's largest page (server/paging.py): what a whole register is read in.
LARGEST_PAGE = 500

Answer = TypeVar("Answer", bound=BaseModel)
Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list the server searches and pages: its items and the count of all."""

    items: list[Item]
    count: int


def _query(q: str, offset: int, limit: int, filters: dict[str, str]) -> dict[str, str]:
    params = {key: value for key, value in filters.items() if value}
    if q.strip():
        params["q"] = q.strip()
    return params | {"offset": str(offset), "limit": str(limit)}


@dataclass
class ApiError(Exception):
    """A refusal from the server (problem+json) or a network failure."""

    status: int
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.detail or self.title

    def field_messages(self) -> dict[str, str]:
        """The first message per field, keyed by the field's last name part."""
        messages: dict[str, str] = {}
        for error in self.errors:
            messages.setdefault(error.field.split(".")[-1], error.message)
        return messages


def _error(response: httpx.Response) -> ApiError:
    try:
        problem = Problem.model_validate_json(response.content)
    except ValidationError:
        # Not the service's own refusal (a proxy's page): say only what we know.
        return ApiError(response.status_code, "Feil", f"Serveren svarte {response.status_code}.")
    return ApiError(
        status=response.status_code,
        title=problem.title or "Feil",
        detail=problem.detail or f"Serveren svarte {response.status_code}.",
        errors=problem.errors,
    )


def _body(request: BaseModel) -> Any:
    """A request model as the JSON the server reads (aliases, no empty optionals)."""
    return request.model_dump(mode="json", by_alias=True, exclude_none=True)


class OfficeApi:
    """One signed-in office user's connection to the server."""

    def __init__(self, base_url: str, token: str | None = None, *, transport: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=TIMEOUT, transport=transport or default_transport()
        )

    async def close(self) -> None:
        await self._client.aclose()

    # --- plumbing ------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(
                method, f"{API}{path}", headers=self._headers(), **kwargs
            )
        except httpx.HTTPError:
            raise ApiError(
                0, "Ingen forbindelse", "Får ikke kontakt med serveren. Prøv igjen om litt."
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    async def _answer(self, shape: type[Answer], method: str, path: str, **kwargs: Any) -> Answer:
        """The answer validated into its contract model (models.contract)."""
        response = await self._request(method, path, **kwargs)
        try:
            return shape.model_validate_json(response.content)
        except ValidationError:
            raise ApiError(
                response.status_code,
                "Uventet svar",
                "Serveren svarte noe appen ikke forstår. Prøv igjen om litt.",
            ) from None

    # --- auth ----------------------------------------------------------------------

    async def login(self, username: str, password: str, otp: str | None = None) -> LoginResponse:
        """Sign in; `otp` is the authenticator's code or a recovery code, for a user with
        a second factor (refused 401 with the field code `totp_required` without it).

        The app's sign-in screen signs the office in through sync.client.login and
        hands the token to OfficeApi; this is the same request, for scripts and tests.
        """
        answer = await self._answer(
            LoginResponse, "POST", "/auth/login", json=login_body(username, password, otp)
        )
        self.token = answer.token
        return answer

    async def logout(self) -> None:
        if self.token:
            await self._request("POST", "/auth/logout")
        self.token = None

    async def _whole(self, fetch: Any) -> list[Any]:
        """Every item of a paged list, a largest page at a time (for names and choices)."""
        items: list[Any] = []
        while True:
            page = await fetch(offset=len(items), limit=LARGEST_PAGE)
            items += page.items
            if not page.items or len(items) >= page.count:
                return items

    # --- registers -----------------------------------------------------------------

    async def contacts_page(
        self, q: str = "", *, offset: int = 0, limit: int = LARGEST_PAGE
    ) -> Page[ContactPublic]:
        answer = await self._answer(
            ContactsPublic, "GET", "/contacts", params=_query(q, offset, limit, {})
        )
        return Page(answer.data, answer.count)

    async def contacts(self) -> list[ContactPublic]:
        """Every contact (the office's names for ids and its choices)."""
        return await self._whole(self.contacts_page)

    async def create_contact(self, contact: ContactCreate) -> ContactPublic:
        return await self._answer(ContactPublic, "POST", "/contacts", json=_body(contact))

    async def update_contact(self, contact_id: str, change: ContactUpdate) -> ContactPublic:
        return await self._answer(
            ContactPublic,
            "PATCH",
            f"/contacts/{contact_id}",
            json=change.model_dump(mode="json", exclude_unset=True),
        )

    async def recipients_page(
        self, q: str = "", *, offset: int = 0, limit: int = LARGEST_PAGE
    ) -> Page[RecipientPublic]:
        answer = await self._answer(
            RecipientsPublic, "GET", "/recipients", params=_query(q, offset, limit, {})
        )
        return Page(answer.data, answer.count)

    async def recipients(self) -> list[RecipientPublic]:
        """Every recipient (an audited read of them all: only where names are shown)."""
        return await self._whole(self.recipients_page)

    async def create_recipient(self, recipient: RecipientCreate) -> RecipientPublic:
        return await self._answer(RecipientPublic, "POST", "/recipients", json=_body(recipient))

    async def decisions_page(
        self, q: str = "", *, offset: int = 0, limit: int = LARGEST_PAGE, **filters: str
    ) -> Page[DecisionPublic]:
        answer = await self._answer(
            DecisionsPublic, "GET", "/decisions", params=_query(q, offset, limit, filters)
        )
        return Page(answer.data, answer.count)

    async def decisions(self, **filters: str) -> list[DecisionPublic]:
        """Every vedtak that passes the filters."""

        async def fetch(*, offset: int, limit: int) -> Page[DecisionPublic]:
            return await self.decisions_page(offset=offset, limit=limit, **filters)

        return await self._whole(fetch)

    async def create_decision(self, decision: DecisionCreate) -> DecisionPublic:
        return await self._answer(DecisionPublic, "POST", "/decisions", json=_body(decision))

    async def usage(self, decision_id: str) -> UsagePublic:
        return await self._answer(UsagePublic, "GET", f"/decisions/{decision_id}/usage")

    # --- timesheets and flags ---------------------------------------------------------

    async def timesheets_page(
        self, q: str = "", *, offset: int = 0, limit: int = LARGEST_PAGE, **filters: str
    ) -> Page[TimesheetSummary]:
        answer = await self._answer(
            TimesheetsPublic, "GET", "/timesheets", params=_query(q, offset, limit, filters)
        )
        return Page(answer.data, answer.count)

    async def timesheets(self, **filters: str) -> list[TimesheetSummary]:
        """Every sheet that passes the filters."""

        async def fetch(*, offset: int, limit: int) -> Page[TimesheetSummary]:
            return await self.timesheets_page(offset=offset, limit=limit, **filters)

        return await self._whole(fetch)

    async def timesheet(self, timesheet_id: str) -> TimesheetDetail:
        return await self._answer(TimesheetDetail, "GET", f"/timesheets/{timesheet_id}")

    async def approve(
        self, timesheet_id: str, *, note: str | None = None, override_reason: str | None = None
    ) -> TimesheetSummary:
        body = {"note": note or None, "override_reason": override_reason or None}
        return await self._answer(
            TimesheetSummary, "POST", f"/timesheets/{timesheet_id}/approve", json=body
        )

    async def reject(self, timesheet_id: str, *, reason: str) -> TimesheetSummary:
        return await self._answer(
            TimesheetSummary,
            "POST",
            f"/timesheets/{timesheet_id}/reject",
            json={"reason": reason},
        )

    async def flag_cards(
        self, q: str = "", *, offset: int = 0, limit: int = LARGEST_PAGE, **filters: str
    ) -> Page[FlagCardPublic]:
        """The queue as cards (models.flag_cards): one per matter, a page of cards."""
        answer = await self._answer(
            FlagCardsPublic, "GET", "/flags/cards", params=_query(q, offset, limit, filters)
        )
        return Page(answer.data, answer.count)

    async def resolve_flag(self, flag_id: str, *, note: str) -> FlagPublic:
        return await self._answer(
            FlagPublic, "POST", f"/flags/{flag_id}/resolve", json={"note": note}
        )

    async def audit_page(
        self, q: str = "", *, offset: int = 0, limit: int = 50, **filters: str
    ) -> Page[AuditEventPublic]:
        """Events newest first, a page at a time."""
        params = _query(q, offset, limit, filters) | {"newest_first": "true"}
        answer = await self._answer(AuditEventsPublic, "GET", "/audit", params=params)
        return Page(answer.data, answer.count)

    # --- payroll -------------------------------------------------------------------

    async def batches(self) -> list[BatchPublic]:
        return (await self._answer(BatchesPublic, "GET", "/payroll/batches")).data

    async def make_batch(self, period: str | None = None) -> BatchPublic:
        body = {"period": period} if period else None
        return await self._answer(BatchPublic, "POST", "/payroll/batches", json=body)

    async def export(self, batch_id: str, fmt: str) -> tuple[str, bytes]:
        """The file's name (from Content-Disposition) and its bytes."""
        response = await self._request(
            "GET", f"/payroll/batches/{batch_id}/export", params={"format": fmt}
        )
        disposition = response.headers.get("content-disposition", "")
        name = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else ""
        return name or f"lonnsbunt.{fmt}", response.content

    async def pay_settings(self) -> PaySettings:
        return await self._answer(PaySettings, "GET", "/payroll/settings")

    async def save_pay_settings(self, settings: PaySettings) -> PaySettings:
        return await self._answer(
            PaySettings,
            "PUT",
            "/payroll/settings",
            json=settings.model_dump(mode="json", by_alias=True),
        )

    # --- vedtak lifecycle ----------------------------------------------------------

    async def expiring_decisions(self) -> ExpiringDecisionsPublic:
        return await self._answer(ExpiringDecisionsPublic, "GET", "/decisions/expiring")

    async def follow_on_decision(self, decision_id: str, terms: FollowOnCreate) -> DecisionPublic:
        return await self._answer(
            DecisionPublic,
            "POST",
            f"/decisions/{decision_id}/follow-on",
            json=terms.model_dump(mode="json", exclude_none=True),
        )

    # --- devices -------------------------------------------------------------------

    async def devices_attention(self) -> DevicesAttentionPublic:
        return await self._answer(DevicesAttentionPublic, "GET", "/devices/attention")

    # --- second factor (docs/rules.md §10) -----------------------------------------

    async def totp_status(self) -> TotpStatus:
        return await self._answer(TotpStatus, "GET", "/auth/totp")

    async def totp_setup(self) -> TotpSetup:
        return await self._answer(TotpSetup, "POST", "/auth/totp/setup")

    async def security_policy(self) -> SecurityPolicy:
        """Whether the admin requires the second factor of office roles (admins only)."""
        return await self._answer(SecurityPolicy, "GET", "/admin/security")

    async def set_security_policy(self, policy: SecurityPolicy) -> SecurityPolicy:
        return await self._answer(SecurityPolicy, "PUT", "/admin/security", json=_body(policy))

    async def totp_enable(self, code: str) -> list[str]:
        """Turns the factor on with a first code; the recovery codes, shown only now."""
        body = CodeBody(code=code).model_dump()
        return (
            await self._answer(RecoveryCodes, "POST", "/auth/totp/enable", json=body)
        ).recovery_codes
