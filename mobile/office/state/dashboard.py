"""Utilisation (`mobile/office/dashboard.py`): used against awarded hours per vedtak and period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import flet as ft

from mobile.office.api import OfficeApi
from mobile.office.state.common import Desk, Names, load_names
from models.contract import PeriodUsagePublic, UsagePublic
from models.quota import minutes_to_hours
from models.text import decimal_text, period_text

UNDER_USE_SHARE = Decimal("0.8")  # a finished period below 80 % of its quota is under-use


@dataclass(frozen=True)
class UsageRow:
    """One decision's quota period, for the dashboard's lists."""

    decision_id: str
    label: str
    key: str
    quota_minutes: int
    used_minutes: int

    @property
    def quota(self) -> Decimal:
        return minutes_to_hours(self.quota_minutes)

    @property
    def used(self) -> Decimal:
        return minutes_to_hours(self.used_minutes)

    @property
    def share(self) -> Decimal:
        if not self.quota_minutes:
            return Decimal(0)
        return Decimal(self.used_minutes) / Decimal(self.quota_minutes)

    @property
    def text(self) -> str:
        return f"{self.label}, {self.period_line}"

    @property
    def period_line(self) -> str:
        """'mars 2026: brukt 1,00 t av 10,00 t' (the vedtak said once above it)."""
        return (
            f"{period_text(self.key)}: brukt {decimal_text(self.used)} t "
            f"av {decimal_text(self.quota)} t"
        )


def _row(decision_id: str, names: Names, period: PeriodUsagePublic) -> UsageRow:
    return UsageRow(
        decision_id,
        names.person(decision_id),
        period.key,
        period.quota_minutes,
        period.used_minutes,
    )


def overuse_rows(usage: Mapping[str, UsagePublic], names: Names) -> list[UsageRow]:
    """Every period used beyond its quota, the largest excess first."""
    rows = [
        _row(did, names, period)
        for did, body in usage.items()
        for period in body.periods
        if period.over_minutes > 0
    ]
    return sorted(rows, key=lambda r: (r.quota_minutes - r.used_minutes, r.label, r.key))


def underuse_rows(
    usage: Mapping[str, UsagePublic],
    names: Names,
    today: date,
    share: Decimal = UNDER_USE_SHARE,
    *,
    recent: int | None = None,
) -> list[UsageRow]:
    """Finished periods where the person got less than `share` of the time awarded.

    Only periods that have ended count: a month half gone is not under-use yet.
    With `recent`, only each vedtak's latest `recent` finished periods are looked at
    (what the coordinator can still act on), not every week back to the start.
    """
    rows = []
    for did, body in usage.items():
        finished = [period for period in body.periods if period.end < today]
        if recent is not None:
            finished = finished[-recent:]
        rows += [
            _row(did, names, period)
            for period in finished
            if period.quota_minutes > 0 and period.used_minutes < period.quota_minutes * share
        ]
    return sorted(rows, key=lambda r: (r.share, r.label, r.key))


def chart_periods(body: UsagePublic, today: date, last: int = 12) -> list[PeriodUsagePublic]:
    """The periods to chart: those begun by today, the latest `last` of them."""
    begun = [period for period in body.periods if period.start <= today]
    return begun[-last:]


@ft.observable
@dataclass
class Dashboard(Desk):
    """Used against awarded hours per decision and period."""

    names: Names = field(default_factory=Names)
    usage: dict[str, UsagePublic] = field(default_factory=dict)
    selected: str = ""
    all_under: bool = False  # under-use: every finished period, not only the latest two

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            self.names = await load_names(api)
            usage = {}
            for decision_id in sorted(self.names.decisions):
                usage[decision_id] = await api.usage(decision_id)
            self.usage = usage
            if self.selected not in usage:
                self.selected = next(iter(sorted(usage, key=self.names.person)), "")
