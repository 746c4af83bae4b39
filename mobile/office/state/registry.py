"""Registration (`mobile/office/registry.py`): contacts, recipients, vedtak and their forms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import flet as ft

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import (
    Desk,
    Paging,
    check,
    error_text,
    parse_date_field,
    parse_number_field,
)
from models.contract import DecisionPublic
from models.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    DecisionCreate,
    RecipientCreate,
    RecipientPublic,
)

KIND_TEXT = {"individual": "Individuelt", "group": "Gruppe"}
CONTRACT_TEXT = {"contractor": "Oppdragstaker", "employee": "Ansatt"}
OPTIONAL = frozenset({"politiattest_date", "hourly_rate", "birth_date", "km_per_month", "group_id"})


def _blank_to_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Blank optional fields are left out; blank required ones stay "" so they read
    'Feltet må fylles ut.' rather than a type error."""
    return {
        key: (None if key in OPTIONAL and value in ("", None) else value)
        for key, value in values.items()
        if not (key in OPTIONAL and value in ("", None))
    }


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
class Registry(Desk):
    """Contacts, recipients and decisions, each searched and paged, and the three forms.

    `contacts`, `recipients` and `decisions` are the pages shown; the forms
    choose among all of them (`all_…`), and a recipient's card lists all their
    vedtak. One search (`query`) applies to the three lists.
    """

    contacts: list[ContactPublic] = field(default_factory=list)
    recipients: list[RecipientPublic] = field(default_factory=list)
    decisions: list[DecisionPublic] = field(default_factory=list)
    all_contacts: list[ContactPublic] = field(default_factory=list)
    all_recipients: list[RecipientPublic] = field(default_factory=list)
    all_decisions: list[DecisionPublic] = field(default_factory=list)
    query: str = ""
    contact_pages: Paging = field(default_factory=Paging)
    recipient_pages: Paging = field(default_factory=Paging)
    decision_pages: Paging = field(default_factory=Paging)
    notice: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)
    saved: int = 0  # registrations made here: a form is drawn anew, empty, after each

    async def load(self, api: OfficeApi, *, with_recipients: bool = True) -> None:
        with self.fetching() as newest:
            q = self.query.strip()
            for paging in (self.contact_pages, self.recipient_pages, self.decision_pages):
                if paging.query != q:
                    paging.search(q)
            contacts = await api.contacts_page(
                q, offset=self.contact_pages.offset, limit=self.contact_pages.size
            )
            all_contacts = await api.contacts()
            if not with_recipients:
                if newest():
                    self.contacts = contacts.items
                    self.contact_pages.settle(contacts.count)
                    self.all_contacts = all_contacts
                return
            recipients = await api.recipients_page(
                q, offset=self.recipient_pages.offset, limit=self.recipient_pages.size
            )
            decisions = await api.decisions_page(
                q, offset=self.decision_pages.offset, limit=self.decision_pages.size
            )
            all_recipients = await api.recipients()
            all_decisions = await api.decisions()
            # All at once, and only the newest load's: the lists, their counts and
            # the forms' choices then always answer the same search and pages.
            if newest():
                self.contacts = contacts.items
                self.contact_pages.settle(contacts.count)
                self.all_contacts = all_contacts
                self.recipients = recipients.items
                self.recipient_pages.settle(recipients.count)
                self.decisions = decisions.items
                self.decision_pages.settle(decisions.count)
                self.all_recipients = all_recipients
                self.all_decisions = all_decisions

    def pages(self, section: str) -> Paging:
        if section == "recipients":
            return self.recipient_pages
        if section == "decisions":
            return self.decision_pages
        return self.contact_pages

    async def search(self, api: OfficeApi, query: str, *, with_recipients: bool) -> None:
        self.query = query.strip()
        await self.load(api, with_recipients=with_recipients)

    async def turn(
        self, api: OfficeApi, section: str, forward: bool, *, with_recipients: bool
    ) -> None:
        self.pages(section).turn(forward)
        await self.load(api, with_recipients=with_recipients)

    def recipient(self, recipient_id: str) -> RecipientPublic | None:
        return next((r for r in self.all_recipients if r.id == recipient_id), None)

    def decisions_of(self, recipient_id: str) -> list[DecisionPublic]:
        return [d for d in self.all_decisions if d.recipient_id == recipient_id]

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
            self.error = error_text(error)
            return False
        self.field_errors = {}
        self.error = None
        self.saved += 1
        await self.load(api, with_recipients=kind != "contact" or bool(self.all_recipients))
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
            self.error = error_text(error)
            return False
        self.notice = "Politiattesten er registrert."
        self.field_errors = {}
        await self.load(api, with_recipients=bool(self.all_recipients))
        return True
