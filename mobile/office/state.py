"""The office's state: observable desks that hold data, never controls.

Each desk is one screen's worth of data plus the async actions that change
it through `OfficeApi`. Views read them and call their methods; nothing here
touches a page, so every desk is tested against a real server without a
browser (tests/mobile/test_office_state.py). Validation of the registration
forms uses the schemas in `models.schemas`, so the office reads the same
Norwegian messages as the server would send.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import flet as ft
from pydantic import BaseModel, ValidationError

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from models.approval import override_reasons as approval_override_reasons
from models.contract import (
    AuditEventPublic,
    BatchPublic,
    DecisionPublic,
    EntryPublic,
    PeriodUsagePublic,
    TimesheetDetail,
    TimesheetSummary,
    UsagePublic,
)
from models.messages import validation_problems
from models.payperiod import is_pay_period
from models.payroll import PaySettings
from models.quota import minutes_to_hours
from models.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    DecisionCreate,
    FlagPublic,
    FlagStatus,
    RecipientCreate,
    RecipientPublic,
    TimesheetStatus,
)
from models.text import count_text, decimal_text, period_text

Request = TypeVar("Request", bound=BaseModel)

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
STATUS_TEXT = {
    "open": "Åpen",
    "signed": "Signert",
    "approved": "Godkjent",
    "exported": "Utbetalt",
    "rejected": "Avvist",
}
SIGNER_ROLE_TEXT = {"recipient": "tjenestemottaker", "guardian": "foresatt/verge", "other": "annen"}
KIND_TEXT = {"individual": "Individuelt", "group": "Gruppe"}
PER_TEXT = {
    "week": "per uke",
    "month": "per måned",
    "year": "per år",
    "period": "for hele perioden",
}
CONTRACT_TEXT = {"contractor": "Oppdragstaker", "employee": "Ansatt"}
PAID = (TimesheetStatus.approved, TimesheetStatus.exported)
UNDER_USE_SHARE = Decimal("0.8")  # a finished period below 80 % of its quota is under-use


def _message(error: Exception) -> str:
    return str(error) if isinstance(error, ApiError) else "Noe gikk galt. Prøv igjen."


# --- names: who and what the ids are ---------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Labels for ids, so the office reads names and case numbers, not UUIDs."""

    contacts: Mapping[str, ContactPublic] = field(default_factory=dict)
    recipients: Mapping[str, RecipientPublic] = field(default_factory=dict)
    decisions: Mapping[str, DecisionPublic] = field(default_factory=dict)

    def contact(self, contact_id: str | None) -> str:
        found = self.contacts.get(contact_id or "")
        return f"{found.name} ({found.employee_no})" if found else "Ukjent støttekontakt"

    def decision(self, decision_id: str | None) -> str:
        found = self.decisions.get(decision_id or "")
        if not found:
            return "Ukjent vedtak"
        recipient = self.recipients.get(found.recipient_id)
        who = f"{recipient.name} ({recipient.case_no})" if recipient else "?"
        kind = f", gruppe {found.group_id}" if found.group_id else ""
        return f"{who}: {hours_text(found.hours)} {PER_TEXT.get(found.per, '')}{kind}"

    def person(self, decision_id: str | None) -> str:
        found = self.decisions.get(decision_id or "")
        recipient = self.recipients.get(found.recipient_id) if found else None
        return f"{recipient.name} ({recipient.case_no})" if recipient else "Ukjent"


async def load_names(api: OfficeApi, *, with_recipients: bool = True) -> Names:
    contacts = {c.id: c for c in await api.contacts()}
    recipients = {r.id: r for r in await api.recipients()} if with_recipients else {}
    decisions = {d.id: d for d in await api.decisions()} if with_recipients else {}
    return Names(contacts=contacts, recipients=recipients, decisions=decisions)


def hours_text(value: Decimal | str) -> str:
    """'12,5 t' from hours (a decimal, or the decimal string of a batch's totals)."""
    try:
        return f"{fmt.number(Decimal(value))} t"
    except InvalidOperation:
        return str(value)


def money_text(value: Decimal | str) -> str:
    return fmt.money(Decimal(value))


def km_text(value: Decimal | str) -> str:
    return fmt.km(Decimal(value))


# --- flag queue ---------------------------------------------------------------------


@ft.observable
@dataclass
class FlagQueue:
    """Open flags (and signers' messages), grouped for the coordinator."""

    flags: list[FlagPublic] = field(default_factory=list)
    sheets: list[TimesheetSummary] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    group_by: str = "kind"  # kind | decision | contact
    show_resolved: bool = False
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None
    notice: str | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            status = "" if self.show_resolved else "open"
            self.names = await load_names(api)
            self.flags = await api.flags(status=status)
            self.sheets = await api.timesheets()
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False

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
            self.error = _message(error)
            return False
        self.flags = [f for f in self.flags if f.id != flag_id or self.show_resolved]
        self.notice = "Avviket er løst."
        self.error = None
        if self.show_resolved:
            await self.load(api)
        return True


# --- the start page ---------------------------------------------------------------------


@ft.observable
@dataclass
class StartCounts:
    """What waits for the coordinator, counted for the start page's tiles."""

    open_flags: int = 0
    to_approve: int = 0
    loading: bool = False
    loaded: bool = False  # only then are the counts true (never a guessed 0)
    error: str | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            self.open_flags = len(await api.flags(status="open"))
            self.to_approve = len(await api.timesheets(status="signed"))
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False

    def text(self, route: str) -> str | None:
        """The count for a tile's route, in words; None for tiles without one."""
        if route not in ("/kontor/avvik", "/kontor/godkjenning"):
            return None
        if self.error:
            return "Kunne ikke hente tallene."
        if not self.loaded:
            return "Teller …"
        if route == "/kontor/avvik":
            return count_text(self.open_flags, "åpent avvik", "åpne avvik")
        return count_text(
            self.to_approve, "timeliste venter på godkjenning", "timelister venter på godkjenning"
        )


# --- approval ----------------------------------------------------------------------


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
class ApprovalDesk:
    """Timesheets waiting for a decision, and the one opened for review."""

    sheets: list[TimesheetSummary] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    status: str = "signed"
    period: str = ""
    detail: TimesheetDetail | None = None
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None
    notice: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            self.names = await load_names(api)
            self.sheets = await api.timesheets(status=self.status, period=self.period)
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False

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
            self.error = _message(error)
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
            self.error = _message(error)
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
            self.error = _message(error)
            self.field_errors = error.field_messages()
            return False
        self.notice = "Timelisten er avvist og sendt tilbake."
        await self.open(api, self.detail.id)
        return True


# --- registration --------------------------------------------------------------------


OPTIONAL = frozenset({"politiattest_date", "hourly_rate", "birth_date", "km_per_month", "group_id"})


def _blank_to_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Blank optional fields are left out; blank required ones stay "" so they read
    'Feltet må fylles ut.' rather than a type error."""
    return {
        key: (None if key in OPTIONAL and value in ("", None) else value)
        for key, value in values.items()
        if not (key in OPTIONAL and value in ("", None))
    }


def parse_date_field(text: str) -> str | None:
    """dd.mm.åååå (or åååå-mm-dd) to ISO; the unreadable is passed on for the schema to refuse."""
    if not text.strip():
        return None
    day = fmt.parse_day(text)
    return day.isoformat() if day else text.strip()


def parse_number_field(text: str) -> str | None:
    """'250,50' → '250.50'; blank → None."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    return cleaned or None


def check(schema: type[Request], data: Mapping[str, Any]) -> tuple[Request | None, dict[str, str]]:
    """The request if the schema accepts it, else Norwegian messages per field."""
    try:
        return schema.model_validate(dict(data)), {}
    except ValidationError as error:
        messages: dict[str, str] = {}
        for problem in validation_problems(error):
            name = problem.field.split(".")[0] if problem.field != "body" else "form"
            messages.setdefault(name, problem.message)
        return None, messages


def contact_payload(form: Mapping[str, str]) -> tuple[ContactCreate | None, dict[str, str]]:
    return check(
        ContactCreate,
        _blank_to_none(
            {
                "username": form.get("username", "").strip(),
                "password": form.get("password", ""),
                "name": form.get("name", ""),
                "employee_no": form.get("employee_no", "").strip(),
                "contract_type": form.get("contract_type") or "contractor",
                "politiattest_date": parse_date_field(form.get("politiattest_date", "")),
                "hourly_rate": parse_number_field(form.get("hourly_rate", "")),
            }
        ),
    )


def recipient_payload(form: Mapping[str, str]) -> tuple[RecipientCreate | None, dict[str, str]]:
    guardians = []
    if form.get("guardian_name", "").strip():
        guardians.append(
            {
                "name": form["guardian_name"],
                "relation": form.get("guardian_relation", "").strip() or "foresatt",
            }
        )
    return check(
        RecipientCreate,
        _blank_to_none(
            {
                "name": form.get("name", ""),
                "case_no": form.get("case_no", "").strip(),
                "birth_date": parse_date_field(form.get("birth_date", "")),
            }
        )
        | {"guardians": guardians},
    )


def decision_payload(
    form: Mapping[str, str], contact_ids: Iterable[str]
) -> tuple[DecisionCreate | None, dict[str, str]]:
    kind = form.get("kind") or "individual"
    return check(
        DecisionCreate,
        _blank_to_none(
            {
                "recipient_id": form.get("recipient_id", ""),
                "kind": kind,
                "hours": parse_number_field(form.get("hours", "")),
                "per": form.get("per") or "month",
                "valid_from": parse_date_field(form.get("valid_from", "")),
                "valid_to": parse_date_field(form.get("valid_to", "")),
                "km_per_month": parse_number_field(form.get("km_per_month", "")),
                "group_id": form.get("group_id", "").strip() if kind == "group" else "",
            }
        )
        | {"contact_ids": list(contact_ids)},
    )


@ft.observable
@dataclass
class Registry:
    """Contacts, recipients and decisions, with search and the three forms."""

    contacts: list[ContactPublic] = field(default_factory=list)
    recipients: list[RecipientPublic] = field(default_factory=list)
    decisions: list[DecisionPublic] = field(default_factory=list)
    query: str = ""
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None
    notice: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi, *, with_recipients: bool = True) -> None:
        self.loading = True
        try:
            q = self.query.strip() or None
            self.contacts = await api.contacts(q)
            if with_recipients:
                self.recipients = await api.recipients(q)
                self.decisions = await api.decisions()
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False

    def recipient(self, recipient_id: str) -> RecipientPublic | None:
        return next((r for r in self.recipients if r.id == recipient_id), None)

    def decisions_of(self, recipient_id: str) -> list[DecisionPublic]:
        return [d for d in self.decisions if d.recipient_id == recipient_id]

    async def _create(
        self,
        api: OfficeApi,
        kind: str,
        payload: ContactCreate | RecipientCreate | DecisionCreate | None,
        problems: dict[str, str],
    ) -> bool:
        if payload is None:
            self.field_errors = problems
            self.error = "Noen felt er ikke fylt ut riktig."
            return False
        try:
            if isinstance(payload, ContactCreate):
                contact = await api.create_contact(payload)
                self.notice = f"Støttekontakten {contact.name} er registrert."
            elif isinstance(payload, RecipientCreate):
                recipient = await api.create_recipient(payload)
                self.notice = f"{recipient.name} ({recipient.case_no}) er registrert."
            else:
                await api.create_decision(payload)
                self.notice = "Vedtaket er registrert."
        except ApiError as error:
            self.field_errors = error.field_messages()
            self.error = _message(error)
            return False
        self.field_errors = {}
        self.error = None
        await self.load(api, with_recipients=kind != "contact" or bool(self.recipients))
        return True

    async def add_contact(self, api: OfficeApi, form: Mapping[str, str]) -> bool:
        payload, problems = contact_payload(form)
        return await self._create(api, "contact", payload, problems)

    async def add_recipient(self, api: OfficeApi, form: Mapping[str, str]) -> bool:
        payload, problems = recipient_payload(form)
        return await self._create(api, "recipient", payload, problems)

    async def add_decision(
        self, api: OfficeApi, form: Mapping[str, str], contact_ids: Iterable[str]
    ) -> bool:
        payload, problems = decision_payload(form, contact_ids)
        return await self._create(api, "decision", payload, problems)

    async def set_politiattest(self, api: OfficeApi, contact_id: str, text: str) -> bool:
        day = parse_date_field(text)
        if day is None or fmt.parse_day(text) is None:
            self.field_errors = {"politiattest_date": "Datoen må skrives dd.mm.åååå."}
            return False
        try:
            await api.update_contact(
                contact_id, ContactUpdate(politiattest_date=date.fromisoformat(day))
            )
        except ApiError as error:
            self.error = _message(error)
            return False
        self.notice = "Politiattesten er registrert."
        self.field_errors = {}
        await self.load(api, with_recipients=bool(self.recipients))
        return True


# --- utilisation -------------------------------------------------------------------------


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
class Dashboard:
    """Used against awarded hours per decision and period."""

    names: Names = field(default_factory=Names)
    usage: dict[str, UsagePublic] = field(default_factory=dict)
    selected: str = ""
    all_under: bool = False  # under-use: every finished period, not only the latest two
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            self.names = await load_names(api)
            usage = {}
            for decision_id in sorted(self.names.decisions):
                usage[decision_id] = await api.usage(decision_id)
            self.usage = usage
            if self.selected not in usage:
                self.selected = next(iter(sorted(usage, key=self.names.person)), "")
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False


# --- payroll ---------------------------------------------------------------------------


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
class PayrollDesk:
    """Batches, making a new one, and the last downloaded file."""

    batches: list[BatchPublic] = field(default_factory=list)
    period: str = ""
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None
    notice: str | None = None
    file_name: str = ""
    file_preview: str = ""
    settings: PaySettings | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            self.batches = await api.batches()
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False

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
            self.error = _message(error)
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
            self.error = _message(error)
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
            self.error = _message(error)

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
            self.error = " ".join([_message(error), *reasons])
            return False
        self.error = None
        self.notice = "Lønnsinnstillingene er lagret."
        return True


# --- audit log (admin) -------------------------------------------------------------------


ACTION_TEXT = {
    "create": "opprettet",
    "update": "endret",
    "delete": "slettet",
    "read": "leste",
    "approve": "godkjente",
    "reject": "avviste",
    "resolve": "løste",
    "sign": "signerte",
    "export": "lastet ned",
    "login": "logget inn",
    "logout": "logget ut",
}
OBJECT_TEXT = {
    "timesheet": "timeliste",
    "timesheets": "timelister",
    "payroll_batch": "lønnsbunt",
    "pay_settings": "lønnsinnstillinger",
    "contact": "støttekontakt",
    "recipient": "tjenestemottaker",
    "recipients": "tjenestemottakere",
    "decision": "vedtak",
    "flag": "avvik",
    "entry": "timeføring",
    "user": "bruker",
}
ROLE_WORD = {
    "coordinator": "Koordinator",
    "payroll": "Lønn",
    "admin": "Admin",
    "contact": "Støttekontakt",
}
AUDIT_PAGE = 1000
AUDIT_KEEP = 300


def audit_text(event: AuditEventPublic) -> str:
    """One event in words: who (by role), what, which object, and why when there is a why."""
    who = ROLE_WORD.get(event.role or "", "Systemet")
    what = ACTION_TEXT.get(event.action, event.action)
    thing = OBJECT_TEXT.get(event.object_type, event.object_type)
    text = f"{who} {what} {thing}"
    detail = event.detail
    if detail.get("override"):
        text += f" med overstyring. Begrunnelse: {detail.get('override_reason') or '(mangler)'}"
    elif detail.get("format"):
        text += f" ({detail['format']})"
    return text


@ft.observable
@dataclass
class AuditLog:
    """The newest audit events, optionally of one kind of object."""

    events: list[AuditEventPublic] = field(default_factory=list)
    object_type: str = ""
    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None

    async def load(self, api: OfficeApi) -> None:
        self.loading = True
        try:
            after = 0
            kept: list[AuditEventPublic] = []
            while True:
                filters = {"after_id": str(after), "limit": str(AUDIT_PAGE)}
                if self.object_type:
                    filters["object_type"] = self.object_type
                page = await api.audit(**filters)
                kept = (kept + page)[-AUDIT_KEEP:]
                if len(page) < AUDIT_PAGE:
                    break
                after = page[-1].id
            self.events = list(reversed(kept))
            self.error = None
            self.loaded = True
        except ApiError as error:
            self.error = _message(error)
        finally:
            self.loading = False
