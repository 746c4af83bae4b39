"""The audit log (`mobile/office/audit.py`, admin): the newest events, in words."""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from mobile.office.api import OfficeApi
from mobile.office.state.common import PagedDesk
from models.contract import AuditEventPublic

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
    "totp_setup": "begynte oppsett av totrinnsinnlogging for",
    "totp_enable": "slo på totrinnsinnlogging for",
    "totp_disable": "slo av totrinnsinnlogging for",
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
    "security_settings": "kravet om totrinnsinnlogging",
}
ROLE_WORD = {
    "coordinator": "Koordinator",
    "payroll": "Lønn",
    "admin": "Admin",
    "contact": "Støttekontakt",
}


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
class AuditLog(PagedDesk):
    """The audit log newest first, a page at a time, optionally of one kind of object."""

    events: list[AuditEventPublic] = field(default_factory=list)
    object_type: str = ""

    async def load(self, api: OfficeApi) -> None:
        with self.fetching() as newest:
            page = await api.audit_page(
                self.paging.query,
                offset=self.paging.offset,
                limit=self.paging.size,
                object_type=self.object_type,
            )
            if newest():
                self.events = page.items
                self.paging.settle(page.count)
