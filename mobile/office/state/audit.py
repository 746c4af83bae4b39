"""The audit log (`mobile/office/audit.py`, admin): the newest events, in words."""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from mobile.office.api import OfficeApi
from mobile.office.state.common import Desk
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
class AuditLog(Desk):
    """The newest audit events, optionally of one kind of object."""

    events: list[AuditEventPublic] = field(default_factory=list)
    object_type: str = ""

    async def load(self, api: OfficeApi) -> None:
        with self.fetching():
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
