"""The home screen (`mobile/views/home.py`): one card per vedtak with its quota meter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from mobile import fmt
from mobile.i18n import DEFAULT_LANGUAGE, tr
from mobile.state.common import Snapshot
from models.clock import today_in_oslo
from models.lifecycle import EXPIRING_DAYS, expires_soon
from models.quota import PeriodUsage, over_minutes, remaining_minutes
from models.schemas import DecisionKind

NEAR_SHARE = Decimal("0.8")  # a meter turns amber at 80 % of the quota


@dataclass(frozen=True)
class Meter:
    """Used against awarded hours in the current quota period."""

    used_minutes: int
    quota_minutes: int
    period_key: str
    level: str  # "ok" | "near" | "over"

    @property
    def left_minutes(self) -> int:
        return remaining_minutes(self.quota_minutes, self.used_minutes)

    @property
    def over_minutes(self) -> int:
        return over_minutes(self.quota_minutes, self.used_minutes)

    @property
    def share(self) -> float:
        if self.quota_minutes <= 0:
            return 1.0
        return min(1.0, self.used_minutes / self.quota_minutes)

    def used_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return tr(
            "used_of",
            lang,
            used=fmt.hours(self.used_minutes, lang),
            quota=fmt.hours(self.quota_minutes, lang),
        )

    def left_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.over_minutes:
            return tr("over_by", lang, over=fmt.hours(self.over_minutes, lang))
        return tr("left", lang, left=fmt.hours(self.left_minutes, lang))


def meter_level(used: int, quota: int) -> str:
    if used > quota:
        return "over"
    if quota <= 0 or Decimal(used) >= NEAR_SHARE * quota:
        return "near"
    return "ok"


def current_meter(usage: Sequence[PeriodUsage], today: date) -> Meter | None:
    """The meter of the quota period that contains `today`, or None outside the vedtak."""
    for item in usage:
        if item.period.contains(today):
            return Meter(
                used_minutes=item.used_minutes,
                quota_minutes=item.period.quota_minutes,
                period_key=item.period.key,
                level=meter_level(item.used_minutes, item.period.quota_minutes),
            )
    return None


@dataclass(frozen=True)
class PersonCard:
    """One vedtak on the home screen: who, what kind, and its meter."""

    decision_id: str
    name: str
    case_no: str
    kind: DecisionKind
    group_id: str | None
    meter: Meter | None
    # The vedtak's last day, when it is that close (models.lifecycle), else None.
    expires_on: date | None = None

    def expiry_text(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        if self.expires_on is None:
            return None
        return tr("expires_on", lang, day=fmt.day(self.expires_on, lang))

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What a screen reader says for the card (and what the browser tests find)."""
        parts = [self.name]
        if self.kind is DecisionKind.group:
            parts.append(tr("group", lang))
        if self.meter is None:
            parts.append(tr("not_valid_today", lang))
        else:
            parts.append(self.meter.used_text(lang))
            parts.append(self.meter.left_text(lang))
        expiry = self.expiry_text(lang)
        if expiry:
            parts.append(expiry)
        return ", ".join(parts)


def person_cards(snapshot: Snapshot, today: date | None = None) -> list[PersonCard]:
    """Cards for every assigned vedtak, by name."""
    today = today or today_in_oslo()
    cards = []
    for decision in snapshot.decisions:
        recipient = snapshot.recipients.get(decision.recipient_id)
        cards.append(
            PersonCard(
                decision_id=decision.id,
                name=recipient.display_name if recipient else "?",
                case_no=recipient.case_no if recipient else "",
                kind=decision.kind,
                group_id=decision.group_id,
                meter=current_meter(snapshot.usage.get(decision.id, ()), today),
                expires_on=decision.valid_to
                if expires_soon(decision.valid_to, today, EXPIRING_DAYS)
                else None,
            )
        )
    return sorted(cards, key=lambda card: (card.name.lower(), card.decision_id))
