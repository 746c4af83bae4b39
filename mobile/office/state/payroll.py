"""Payroll (`mobile/office/payroll.py`): batches, making one, the files, and the pay settings."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import flet as ft

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import Desk, check, error_text, hours_text, km_text, money_text
from models.contract import BatchPublic
from models.payperiod import is_pay_period
from models.payroll import PaySettings

EXPORT_FORMATS = (
    ("visma", "Visma Lønn"),
    ("csv", "CSV"),
    ("xlsx", "Excel (xlsx)"),
    ("pdf", "PDF for arkivet"),
)


def batch_text(batch: BatchPublic) -> str:
    totals = batch.totals
    when = fmt.day(batch.created_at.date())
    scope = f"periode {batch.period}" if batch.period else "alle perioder"
    return (
        f"Bunt {batch.number} · {when} · {scope} · {batch.entry_count} timeføringer · "
        f"{hours_text(totals.hours)} · {km_text(totals.km)} · {money_text(totals.amount)}"
    )


@ft.observable
@dataclass
class PayrollDesk(Desk):
    """Batches, making a new one, and the last downloaded file."""

    batches: list[BatchPublic] = field(default_factory=list)
    period: str = ""
    notice: str | None = None
    file_name: str = ""
    file_preview: str = ""
    settings: PaySettings | None = None

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            self.batches = await api.batches()

    async def make_batch(self, api: OfficeApi) -> BatchPublic | None:
        period = self.period.strip()
        if period and not is_pay_period(period):
            self.error = (
                "Skriv perioden som åååå-mm, for eksempel 2026-03, eller la feltet stå tomt."
            )
            return None
        try:
            batch = await api.make_batch(period or None)
        except ApiError as error:
            self.error = error_text(error)
            self.notice = None
            return None
        self.error = None
        self.notice = f"Bunt {batch.number} er laget: {batch.entry_count} timeføringer."
        await self.load(api)
        return batch

    async def download(
        self, api: OfficeApi, batch_id: str, fmt_key: str
    ) -> tuple[str, bytes] | None:
        try:
            name, content = await api.export(batch_id, fmt_key)
        except ApiError as error:
            self.error = error_text(error)
            return None
        self.file_name = name
        self.file_preview = ""
        if fmt_key in ("csv", "visma"):
            with contextlib.suppress(UnicodeDecodeError):
                text = content.decode("utf-8" if fmt_key == "csv" else "cp1252")
                self.file_preview = text.replace("\r\n", "\n").strip("\n")
        self.error = None
        return name, content

    async def load_settings(self, api: OfficeApi) -> None:
        try:
            self.settings = await api.pay_settings()
            self.error = None
        except ApiError as error:
            self.error = error_text(error)

    async def save_settings(self, api: OfficeApi, form: Mapping[str, object]) -> bool:
        """Check the settings form with the server's own rules, then save it."""
        settings, problems = check(PaySettings, form)
        if settings is None:
            self.error = " ".join(["Innstillingene er ikke lagret.", *problems.values()])
            return False
        try:
            self.settings = await api.save_pay_settings(settings)
        except ApiError as error:
            # A settings form has many fields: say which rule was broken, not only that one was.
            reasons = [e.message for e in error.errors if e.message]
            self.error = " ".join([error_text(error), *reasons])
            return False
        self.error = None
        self.notice = "Lønnsinnstillingene er lagret."
        return True
