"""Approval (`mobile/office/approval.py`): timesheets waiting, and the one opened for review."""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import (
    Names,
    PagedDesk,
    error_text,
    km_text,
    load_names,
    money_text,
)
from models.approval import override_reasons as approval_override_reasons
from models.contract import EntryPublic, TimesheetDetail, TimesheetSummary
from models.schemas import FlagStatus

STATUS_TEXT = {
    "open": "Åpen",
    "signed": "Signert",
    "approved": "Godkjent",
    "exported": "Utbetalt",
    "rejected": "Avvist",
}
SIGNER_ROLE_TEXT = {"recipient": "tjenestemottaker", "guardian": "foresatt/verge", "other": "annen"}


def override_reasons(detail: TimesheetDetail) -> list[str]:
    """Why approving needs a written override (models.approval, as the server rules)."""
    open_flags = sum(1 for flag in detail.flags if flag.status is FlagStatus.open)
    return [
        f"{reason[0].upper()}{reason[1:]}."
        for reason in approval_override_reasons(detail.status, open_flags)
    ]


def signer_text(name: str, role: str) -> str:
    """'Kari Nordmann (verge)': the phone keeps foresatt/verge in the name, so the role is
    added only when the name does not already say it."""
    name = name.strip()
    if name.endswith(("(foresatt)", "(verge)")):
        return name
    role_text = SIGNER_ROLE_TEXT.get(role, "")
    return f"{name} ({role_text})" if role_text else name


def sheet_totals(detail: TimesheetDetail) -> list[tuple[str, str]]:
    minutes = detail.minutes
    return [
        ("Timer", fmt.duration(minutes) if minutes else "0 t"),
        ("Kjøring", km_text(detail.total_km)),
        ("Utlegg", money_text(detail.total_expenses)),
    ]


def entry_line(entry: EntryPublic) -> str:
    parts = [
        f"{fmt.day(entry.date)} {entry.start}–{entry.end}",
        fmt.duration(entry.minutes),
    ]
    if entry.total_km:
        parts.append(km_text(entry.total_km))
    if entry.total_expenses:
        parts.append(money_text(entry.total_expenses))
    if entry.activities:
        parts.append(", ".join(entry.activities))
    return " · ".join(parts)


@ft.observable
@dataclass
class ApprovalDesk(PagedDesk):
    """Timesheets waiting for a decision, and the one opened for review."""

    sheets: list[TimesheetSummary] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    status: str = "signed"
    period: str = ""
    detail: TimesheetDetail | None = None
    notice: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi) -> None:
        with self.fetching() as newest:
            names = await load_names(api)
            page = await api.timesheets_page(
                self.paging.query,
                offset=self.paging.offset,
                limit=self.paging.size,
                status=self.status,
                period=self.period,
            )
            if newest():
                self.names = names
                self.sheets = page.items
                self.paging.settle(page.count)

    async def filter(self, api: OfficeApi, *, status: str, period: str) -> None:
        """Other filters start on the first page."""
        self.status, self.period = status, period
        self.paging.search(self.paging.query)
        await self.load(api)

    async def open(self, api: OfficeApi, timesheet_id: str) -> None:
        self.loading = True
        try:
            if not self.names.contacts:
                self.names = await load_names(api)
            self.detail = await api.timesheet(timesheet_id)
            self.error = None
            self.field_errors = {}
        except ApiError as error:
            self.detail = None
            self.error = error_text(error)
        finally:
            self.loading = False

    async def approve(self, api: OfficeApi, *, note: str = "", override_reason: str = "") -> bool:
        if self.detail is None:
            return False
        if override_reasons(self.detail) and not override_reason.strip():
            self.field_errors = {"override_reason": "Skriv hvorfor timelisten godkjennes likevel."}
            return False
        try:
            await api.approve(
                self.detail.id,
                note=note.strip() or None,
                override_reason=override_reason.strip() or None,
            )
        except ApiError as error:
            self.error = error_text(error)
            self.field_errors = error.field_messages()
            return False
        self.notice = "Timelisten er godkjent."
        await self.open(api, self.detail.id)
        return True

    async def reject(self, api: OfficeApi, *, reason: str) -> bool:
        if self.detail is None:
            return False
        if not reason.strip():
            self.field_errors = {"reason": "Skriv hvorfor timelisten avvises."}
            return False
        try:
            await api.reject(self.detail.id, reason=reason.strip())
        except ApiError as error:
            self.error = error_text(error)
            self.field_errors = error.field_messages()
            return False
        self.notice = "Timelisten er avvist og sendt tilbake."
        await self.open(api, self.detail.id)
        return True
