"""Typed dependencies for routes: the session, the settings, the signed-in user, roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from models.schemas import Role
from server.config import Settings
from server.db import db
from server.errors import ForbiddenError, UnauthorizedError
from server.services import second_factor
from server.services.auth import authenticate
from server.services.common import Actor

DbDep = Annotated[Session, Depends(db)]


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


SettingsDep = Annotated[Settings, Depends(settings)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login")


def signed_in(
    db: DbDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Any valid token, also one whose office user still has to set up a required second factor."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("Du må logge inn først.")
    return authenticate(db, settings=settings, token=credentials.credentials)


SignedIn = Annotated[Actor, Depends(signed_in)]


def current_user(actor: SignedIn, db: DbDep) -> Actor:
    """The signed-in user, once any second factor the admin requires is set up."""
    if second_factor.needs_enrolment(db, role=actor.role, user_id=actor.user_id):
        raise ForbiddenError(
            "Administrator krever totrinnsinnlogging. "
            "Slå den på under Kontor → Totrinnsinnlogging først."
        )
    return actor


CurrentUser = Annotated[Actor, Depends(current_user)]


def office_signed_in(actor: SignedIn) -> Actor:
    """An office user, before any second factor is set up: enrolling must be possible
    when the admin requires it. Contacts are refused before their body is read."""
    if actor.role not in (Role.coordinator, Role.payroll, Role.admin):
        raise ForbiddenError("Totrinnsinnlogging er for kontorbrukere.")
    return actor


OfficeSignedIn = Annotated[Actor, Depends(office_signed_in)]


def RequireRole(*roles: Role) -> Any:  # noqa: N802 - reads as a type in signatures
    """A dependency that lets only the given roles through (403 for the rest)."""

    def check(actor: CurrentUser) -> Actor:
        if actor.role not in roles:
            raise ForbiddenError("Du har ikke tilgang til dette.")
        return actor

    return Depends(check)


# Who may call a route, named once: every routes module takes its roles from here.
Admin = Annotated[Actor, RequireRole(Role.admin)]
ContactUser = Annotated[Actor, RequireRole(Role.contact)]
Coordinator = Annotated[Actor, RequireRole(Role.coordinator)]
CoordinatorOrContact = Annotated[Actor, RequireRole(Role.coordinator, Role.contact)]
Office = Annotated[Actor, RequireRole(Role.coordinator, Role.admin)]
OfficeOrPayroll = Annotated[Actor, RequireRole(Role.coordinator, Role.admin, Role.payroll)]
PayrollUser = Annotated[Actor, RequireRole(Role.payroll)]
PayrollOrAdmin = Annotated[Actor, RequireRole(Role.payroll, Role.admin)]
TimesheetReader = Annotated[Actor, RequireRole(Role.coordinator, Role.payroll, Role.contact)]
