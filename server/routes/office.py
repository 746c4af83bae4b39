"""Contacts, recipients and decisions (the office's registers) and decision usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    DecisionCreate,
    DecisionUpdate,
    RecipientCreate,
    RecipientPublic,
)
from server.deps import (
    Coordinator,
    CoordinatorOrContact,
    DbDep,
    Office,
    OfficeOrPayroll,
    SettingsDep,
)
from server.schemas import (
    ContactsPublic,
    DecisionPublic,
    DecisionsPublic,
    RecipientsPublic,
    UsagePublic,
)
from server.services import office

router = APIRouter(prefix="/api/v1", tags=["office"])

Search = Annotated[str | None, Query(max_length=100, description="part of name or number")]


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
def create_contact(
    body: ContactCreate, actor: Office, db: DbDep, settings: SettingsDep
) -> ContactPublic:
    """Register a støttekontakt and their login."""
    return office.create_contact(db, settings=settings, actor=actor, data=body)


@router.get("/contacts")
def list_contacts(actor: OfficeOrPayroll, db: DbDep, q: Search = None) -> ContactsPublic:
    data = office.list_contacts(db, actor=actor, q=q)
    return ContactsPublic(data=data, count=len(data))


@router.get("/contacts/{contact_id}")
def get_contact(contact_id: str, actor: OfficeOrPayroll, db: DbDep) -> ContactPublic:
    return office.get_contact(db, actor=actor, contact_id=contact_id)


@router.patch("/contacts/{contact_id}")
def update_contact(contact_id: str, body: ContactUpdate, actor: Office, db: DbDep) -> ContactPublic:
    """Change a contact; registering a politiattest resolves its flag."""
    return office.update_contact(db, actor=actor, contact_id=contact_id, data=body)


@router.post("/recipients", status_code=status.HTTP_201_CREATED)
def create_recipient(body: RecipientCreate, actor: Coordinator, db: DbDep) -> RecipientPublic:
    """Register a tjenestemottaker."""
    return office.create_recipient(db, actor=actor, data=body)


@router.get("/recipients")
def list_recipients(actor: Coordinator, db: DbDep, q: Search = None) -> RecipientsPublic:
    """Recipients with full names (audited read)."""
    data = office.list_recipients(db, actor=actor, q=q)
    return RecipientsPublic(data=data, count=len(data))


@router.get("/recipients/{recipient_id}")
def get_recipient(recipient_id: str, actor: Coordinator, db: DbDep) -> RecipientPublic:
    """One recipient (audited read)."""
    return office.get_recipient(db, actor=actor, recipient_id=recipient_id)


@router.post("/decisions", status_code=status.HTTP_201_CREATED)
def create_decision(body: DecisionCreate, actor: Coordinator, db: DbDep) -> DecisionPublic:
    """Register a vedtak and assign contacts."""
    return office.create_decision(db, actor=actor, data=body)


@router.get("/decisions")
def list_decisions(
    actor: CoordinatorOrContact,
    db: DbDep,
    recipient_id: str | None = None,
    contact_id: str | None = None,
) -> DecisionsPublic:
    """Decisions; a contact gets only their own."""
    data = office.list_decisions(db, actor=actor, recipient_id=recipient_id, contact_id=contact_id)
    return DecisionsPublic(data=data, count=len(data))


@router.get("/decisions/{decision_id}")
def get_decision(decision_id: str, actor: CoordinatorOrContact, db: DbDep) -> DecisionPublic:
    return office.get_decision(db, actor=actor, decision_id=decision_id)


@router.patch("/decisions/{decision_id}")
def update_decision(
    decision_id: str, body: DecisionUpdate, actor: Coordinator, db: DbDep
) -> DecisionPublic:
    """Change hours, end date, km cap or assignments; flags are re-checked."""
    return office.update_decision(db, actor=actor, decision_id=decision_id, data=body)


@router.get("/decisions/{decision_id}/usage")
def decision_usage(decision_id: str, actor: CoordinatorOrContact, db: DbDep) -> UsagePublic:
    """Quota, used, remaining and over hours in every quota period of the vedtak."""
    return office.decision_usage(db, actor=actor, decision_id=decision_id)
