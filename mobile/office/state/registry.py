"""Registration (`mobile/office/registry.py`): contacts, recipients, vedtak and their forms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import flet as ft

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from mobile.office.state.common import Desk, check, error_text, parse_date_field, parse_number_field
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
    """Contacts, recipients and decisions, with search and the three forms."""

    contacts: list[ContactPublic] = field(default_factory=list)
    recipients: list[RecipientPublic] = field(default_factory=list)
    decisions: list[DecisionPublic] = field(default_factory=list)
    query: str = ""
    notice: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    async def load(self, api: OfficeApi, *, with_recipients: bool = True) -> None:
        with self.fetching():
            q = self.query.strip() or None
            self.contacts = await api.contacts(q)
            if with_recipients:
                self.recipients = await api.recipients(q)
                self.decisions = await api.decisions()

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
            self.error = error_text(error)
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
            self.error = error_text(error)
            return False
        self.notice = "Politiattesten er registrert."
        self.field_errors = {}
        await self.load(api, with_recipients=bool(self.recipients))
        return True
