"""The coordinator's flag queue as cards: which flags are one matter, and the card's shape.

A group session counts in full on every participant's vedtak, so one session
over the group's quota raises an overuse flag on each participant's vedtak,
all naming the same entries. For the coordinator that is one matter (the group
met more than its vedtak allow), so those flags share one card: one per group
and quota period. Every other flag is a card of its own.

The server groups and pages the queue by these cards (`GET /api/v1/flags/cards`),
so a card is never split over two pages, and the office shows them as they
come.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, computed_field

from models.contract import Out
from models.schemas import FlagKind, FlagPublic, FlagStatus, TimesheetStatus


def card_key(*, flag_id: str, kind: FlagKind, group_id: str | None, period: str | None) -> str:
    """The card a flag is shown on: its group's quota period for a group overuse, else its own."""
    if kind is FlagKind.overuse and group_id and period:
        return f"overuse:group:{group_id}:{period}"
    return f"flag:{flag_id}"


class FlagCardSheet(Out):
    """A timesheet the card's entries are on, where the coordinator can look at them."""

    id: str
    period: str
    status: TimesheetStatus
    contact_id: str
    decision_id: str


class FlagCardPublic(Out):
    """One card of the queue: one flag, or the overuse flags of one group period.

    `labels` names the ids the card mentions (decisions by recipient and case
    number, contacts by name and employee number), so the office needs no
    register of its own to read it.
    """

    key: str
    kind: FlagKind
    period: str | None
    group_id: str | None = None
    created_at: datetime
    flags: list[FlagPublic]
    sheets: list[FlagCardSheet] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> FlagStatus:
        """Open while any of its flags is open."""
        if any(flag.status is FlagStatus.open for flag in self.flags):
            return FlagStatus.open
        return FlagStatus.resolved

    @computed_field  # type: ignore[prop-decorator]
    @property
    def entry_ids(self) -> list[str]:
        """The entries the card concerns, each once, in the order the flags name them."""
        return list(dict.fromkeys(entry for flag in self.flags for entry in flag.entry_ids))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def contact_ids(self) -> list[str]:
        """The contacts the card concerns: named by a flag, or whose sheets hold its entries."""
        named = [flag.contact_id for flag in self.flags if flag.contact_id]
        return list(dict.fromkeys([*named, *(sheet.contact_id for sheet in self.sheets)]))


class FlagCardsPublic(Out):
    """A page of the queue's cards; `count` is the number of all matching cards."""

    data: list[FlagCardPublic]
    count: int
