"""The office's client for the server's HTTP API (SPEC §5).

The office is online-only: every screen asks the server and shows what it
answers. Errors come back as `ApiError` carrying the server's Norwegian
problem+json text, so a view can show it as it is. Nothing here imports the
server: the contract is the HTTP one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

API = "/api/v1"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class ApiError(Exception):
    """A refusal from the server (problem+json) or a network failure."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.detail or self.title

    def field_messages(self) -> dict[str, str]:
        """The first message per field, keyed by the field's last name part."""
        messages: dict[str, str] = {}
        for error in self.errors:
            name = str(error.get("field", "")).split(".")[-1]
            messages.setdefault(name, str(error.get("message", "")))
        return messages


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ApiError(
        status=response.status_code,
        title=str(body.get("title") or "Feil"),
        detail=str(body.get("detail") or f"Serveren svarte {response.status_code}."),
        errors=list(body.get("errors") or []),
    )


class OfficeApi:
    """One signed-in office user's connection to the server."""

    def __init__(self, base_url: str, token: str | None = None, *, transport: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=TIMEOUT, transport=transport
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

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- auth ----------------------------------------------------------------------

    async def login(self, username: str, password: str) -> dict[str, Any]:
        body = await self._json(
            "POST", "/auth/login", json={"username": username, "password": password}
        )
        self.token = body["token"]
        return dict(body)

    async def logout(self) -> None:
        if self.token:
            await self._json("POST", "/auth/logout")
        self.token = None

    # --- registers -----------------------------------------------------------------

    async def contacts(self, q: str | None = None) -> list[dict[str, Any]]:
        params = {"q": q} if q else {}
        return list((await self._json("GET", "/contacts", params=params))["data"])

    async def create_contact(self, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("POST", "/contacts", json=data))

    async def update_contact(self, contact_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("PATCH", f"/contacts/{contact_id}", json=data))

    async def recipients(self, q: str | None = None) -> list[dict[str, Any]]:
        params = {"q": q} if q else {}
        return list((await self._json("GET", "/recipients", params=params))["data"])

    async def create_recipient(self, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("POST", "/recipients", json=data))

    async def decisions(self, **filters: str) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/decisions", params=filters))["data"])

    async def create_decision(self, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("POST", "/decisions", json=data))

    async def update_decision(self, decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("PATCH", f"/decisions/{decision_id}", json=data))

    async def usage(self, decision_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/decisions/{decision_id}/usage"))

    # --- timesheets and flags ---------------------------------------------------------

    async def timesheets(self, **filters: str) -> list[dict[str, Any]]:
        params = {key: value for key, value in filters.items() if value}
        return list((await self._json("GET", "/timesheets", params=params))["data"])

    async def timesheet(self, timesheet_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/timesheets/{timesheet_id}"))

    async def approve(
        self, timesheet_id: str, *, note: str | None = None, override_reason: str | None = None
    ) -> dict[str, Any]:
        body = {"note": note or None, "override_reason": override_reason or None}
        return dict(await self._json("POST", f"/timesheets/{timesheet_id}/approve", json=body))

    async def reject(self, timesheet_id: str, *, reason: str) -> dict[str, Any]:
        return dict(
            await self._json("POST", f"/timesheets/{timesheet_id}/reject", json={"reason": reason})
        )

    async def flags(self, **filters: str) -> list[dict[str, Any]]:
        params = {key: value for key, value in filters.items() if value}
        return list((await self._json("GET", "/flags", params=params))["data"])

    async def resolve_flag(self, flag_id: str, *, note: str) -> dict[str, Any]:
        return dict(await self._json("POST", f"/flags/{flag_id}/resolve", json={"note": note}))

    async def audit(self, **filters: str) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/audit", params=filters))["data"])

    # --- payroll -------------------------------------------------------------------

    async def batches(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/payroll/batches"))["data"])

    async def make_batch(self, period: str | None = None) -> dict[str, Any]:
        body = {"period": period} if period else None
        return dict(await self._json("POST", "/payroll/batches", json=body))

    async def export(self, batch_id: str, fmt: str) -> tuple[str, bytes]:
        """The file's name (from Content-Disposition) and its bytes."""
        response = await self._request(
            "GET", f"/payroll/batches/{batch_id}/export", params={"format": fmt}
        )
        disposition = response.headers.get("content-disposition", "")
        name = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else ""
        return name or f"lonnsbunt.{fmt}", response.content

    async def pay_settings(self) -> dict[str, Any]:
        return dict(await self._json("GET", "/payroll/settings"))

    async def save_pay_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("PUT", "/payroll/settings", json=data))

    # --- vedtak lifecycle ----------------------------------------------------------

    async def expiring_decisions(self) -> dict[str, Any]:
        return dict(await self._json("GET", "/decisions/expiring"))

    async def follow_on_decision(self, decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._json("POST", f"/decisions/{decision_id}/follow-on", json=data))
