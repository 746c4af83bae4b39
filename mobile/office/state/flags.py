"""The flag queue (`mobile/office/flags.py`): open flags and signers' messages, grouped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import flet as ft

from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import Desk, Names, error_text, load_names
from models.contract import TimesheetSummary
from models.schemas import FlagPublic, TimesheetStatus

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
PAID = (TimesheetStatus.approved, TimesheetStatus.exported)


@ft.observable
@dataclass
class FlagQueue(Desk):
    """Open flags (and signers' messages), grouped for the coordinator."""

    flags: list[FlagPublic] = field(default_factory=list)
    sheets: list[TimesheetSummary] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    group_by: str = "kind"  # kind | decision | contact
    show_resolved: bool = False
    notice: str | None = None

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
            status = "" if self.show_resolved else "open"
            self.names = await load_names(api)
            self.flags = await api.flags(status=status)
            self.sheets = await api.timesheets()

    def groups(self) -> list[tuple[str, list[FlagPublic]]]:
        """(heading, flags) in a stable order: the queue reads the same every time."""
        grouped: dict[str, list[FlagPublic]] = defaultdict(list)
        for flag in self.flags:
            grouped[self.heading(flag)].append(flag)
        return [
            (heading, sorted(items, key=lambda f: (f.created_at, f.id)))
            for heading, items in sorted(grouped.items())
        ]

    def heading(self, flag: FlagPublic) -> str:
        if self.group_by == "decision":
            return self.names.decision(flag.decision_id) if flag.decision_id else "Uten vedtak"
        if self.group_by == "contact":
            contact_id = self.contact_of(flag)
            return self.names.contact(contact_id) if contact_id else "Uten støttekontakt"
        return FLAG_KIND_TEXT.get(flag.kind, flag.kind)

    def contact_of(self, flag: FlagPublic) -> str | None:
        if flag.contact_id:
            return flag.contact_id
        sheet = next(iter(self.sheets_of(flag)), None)
        return sheet.contact_id if sheet else None

    def sheets_of(self, flag: FlagPublic) -> list[TimesheetSummary]:
        """The timesheets that list the flag's entries: where the coordinator can see them."""
        wanted = set(flag.entry_ids)
        found = [s for s in self.sheets if wanted.intersection(s.entry_ids)]
        if not found and flag.decision_id and flag.period:
            found = [
                s
                for s in self.sheets
                if s.decision_id == flag.decision_id and s.period == flag.period
            ]
        if not found and not wanted and flag.contact_id:
            # A flag about the contact (politiattest): the sheets still to be approved.
            found = [
                s for s in self.sheets if s.contact_id == flag.contact_id and s.status not in PAID
            ]
        return sorted(found, key=lambda s: (s.period, s.id))

    def explain(self, flag: FlagPublic) -> str:
        """What happened, in plain words: the kind's explanation, then the server's detail."""
        # The server's detail says it for this case; the kind's help only when there is none
        # (both at once read the same thing twice).
        return (flag.detail or "").strip() or FLAG_KIND_HELP.get(flag.kind, "")

    async def resolve(self, api: OfficeApi, flag_id: str, note: str) -> bool:
        if not note.strip():
            self.error = "Skriv et notat om hva som er gjort."
            return False
        try:
            await api.resolve_flag(flag_id, note=note.strip())
        except ApiError as error:
            self.error = error_text(error)
            return False
        self.flags = [f for f in self.flags if f.id != flag_id or self.show_resolved]
        self.notice = "Avviket er løst."
        self.error = None
        if self.show_resolved:
            await self.load(api)
        return True
