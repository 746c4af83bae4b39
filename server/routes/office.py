"""Contacts, recipients and decisions (the office's registers) and decision usage."""

from __future__ import annotations

from fastapi import APIRouter, status

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
from server.paging import PageDep
from server.schemas import (
    ContactsPublic,
    DecisionPublic,
    DecisionsPublic,
    RecipientsPublic,
    UsagePublic,
)
from server.services import office

router = APIRouter(prefix="/api/v1", tags=["office"])


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
def create_contact(
    body: ContactCreate, actor: Office, db: DbDep, settings: SettingsDep
) -> ContactPublic:
    """Register a støttekontakt and their login."""
    return office.create_contact(db, settings=settings, actor=actor, data=body)


@router.get("/contacts")
def list_contacts(actor: OfficeOrPayroll, db: DbDep, page: PageDep) -> ContactsPublic:
    """Contacts by name, a page at a time; `q` looks in name, employee number and username;
    `count` is the number of all matches."""
    data, count = office.list_contacts(db, actor=actor, page=page)
    return ContactsPublic(data=data, count=count)


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
def list_recipients(actor: Coordinator, db: DbDep, page: PageDep) -> RecipientsPublic:
    """Recipients with full names by name, a page at a time (audited read); `q` looks in
    name and case number; `count` is the number of all matches."""
    data, count = office.list_recipients(db, actor=actor, page=page)
    return RecipientsPublic(data=data, count=count)


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
    page: PageDep,
    recipient_id: str | None = None,
    contact_id: str | None = None,
) -> DecisionsPublic:
    """Decisions by start date, a page at a time; a contact gets only their own. `q` looks in
    the recipient's name (not for a contact) and case number and the group id; `count` is
    the number of all matches."""
    data, count = office.list_decisions(
        db, actor=actor, recipient_id=recipient_id, contact_id=contact_id, page=page
    )
    return DecisionsPublic(data=data, count=count)


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
