"""The flag queue (`mobile/office/flags.py`): open flags and signers' messages, grouped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import flet as ft

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import PagedDesk, error_text
from models.flag_cards import FlagCardPublic, FlagCardSheet
from models.schemas import FlagPublic, FlagStatus
from models.text import period_text

FLAG_KIND_TEXT = {
    "overuse": "Overforbruk",
    "outside_decision": "Utenfor vedtaket",
    "overlap": "Overlappende økter",
    "double_coverage": "Dobbeltdekning",
    "km_over_allowance": "Kjøring over grensen",
    "missing_politiattest": "Mangler politiattest",
    "changed_after_signing": "Endret etter signering",
    "feedback": "Melding fra den som signerte",
}
FLAG_KIND_HELP = {
    "overuse": "Det er ført flere timer enn vedtaket gir i perioden.",
    "outside_decision": "En økt er ført på en dato vedtaket ikke gjelder.",
    "overlap": "Samme støttekontakt har to økter som overlapper i tid.",
    "double_coverage": "To støttekontakter har ført samme tid på samme person.",
    "km_over_allowance": "Det er kjørt flere km i måneden enn vedtaket tillater.",
    "missing_politiattest": "Støttekontakten har ikke levert politiattest.",
    "changed_after_signing": "En signert timeliste ble endret; signaturen gjelder ikke lenger.",
    "feedback": "Den som signerte la igjen en melding til kommunen.",
}


@ft.observable
@dataclass
class FlagQueue(PagedDesk):
    """The queue as the server cards it (models.flag_cards): one card per matter, a page of
    cards at a time, grouped under headings for the coordinator."""

    cards: list[FlagCardPublic] = field(default_factory=list)
    group_by: str = "kind"  # kind | decision | contact
    show_resolved: bool = False
    notice: str | None = None

    async def load(self, api: OfficeApi) -> None:
        with self.fetching() as newest:
            page = await api.flag_cards(
                self.paging.query,
                offset=self.paging.offset,
                limit=self.paging.size,
                status="" if self.show_resolved else "open",
            )
            if newest():
                self.cards = page.items
                self.paging.settle(page.count)

    @property
    def flags(self) -> list[FlagPublic]:
        """Every flag on this page's cards."""
        return [flag for card in self.cards for flag in card.flags]

    def card_of(self, flag: FlagPublic) -> FlagCardPublic | None:
        return next((card for card in self.cards if flag in card.flags), None)

    def groups(self) -> list[tuple[str, list[FlagCardPublic]]]:
        """(heading, cards) in a stable order: the page reads the same every time."""
        grouped: dict[str, list[FlagCardPublic]] = defaultdict(list)
        for card in self.cards:
            grouped[self.heading(card)].append(card)
        return [
            (heading, sorted(items, key=lambda c: (c.created_at, c.key)))
            for heading, items in sorted(grouped.items())
        ]

    def heading(self, card: FlagCardPublic) -> str:
        if self.group_by == "decision":
            if card.group_id and len(card.flags) > 1:
                return f"Gruppe {card.group_id}"
            decision_id = card.flags[0].decision_id
            return card.labels.get(decision_id or "", "Uten vedtak")
        if self.group_by == "contact":
            contact_id = next(iter(card.contact_ids), None)
            return card.labels.get(contact_id or "", "Uten støttekontakt")
        return FLAG_KIND_TEXT.get(card.kind, card.kind)

    def title(self, card: FlagCardPublic) -> str:
        """'Overforbruk', or for a group's card 'Overforbruk i gruppe turgruppa, mars 2026'."""
        kind = FLAG_KIND_TEXT.get(card.kind, card.kind)
        if card.group_id and len(card.flags) > 1:
            return f"{kind} i gruppe {card.group_id}, {period_text(card.period or '')}"
        return kind

    def contact_of(self, flag: FlagPublic) -> str | None:
        if flag.contact_id:
            return flag.contact_id
        card = self.card_of(flag)
        return next(iter(card.contact_ids), None) if card else None

    def sheets_of(self, flag: FlagPublic) -> list[FlagCardSheet]:
        """The timesheets its card's entries are on: where the coordinator can see them."""
        card = self.card_of(flag)
        return list(card.sheets) if card else []

    def explain(self, flag: FlagPublic) -> str:
        """What happened, in plain words: the server's detail, or the kind's explanation."""
        # The server's detail says it for this case; the kind's help only when there is none
        # (both at once read the same thing twice).
        return (flag.detail or "").strip() or FLAG_KIND_HELP.get(flag.kind, "")

    async def resolve(self, api: OfficeApi, flag_id: str, note: str) -> bool:
        """Resolve a flag, and with it the other open flags of its card (one matter)."""
        if not note.strip():
            self.error = "Skriv et notat om hva som er gjort."
            return False
        card = next((c for c in self.cards if any(f.id == flag_id for f in c.flags)), None)
        ids = [f.id for f in card.flags if f.status is FlagStatus.open] if card else [flag_id]
        try:
            for each in ids or [flag_id]:
                await api.resolve_flag(each, note=note.strip())
        except ApiError as error:
            self.error = error_text(error)
            await self.load(api)
            return False
        self.notice = "Avviket er løst."
        self.error = None
        await self.load(api)
        return True
