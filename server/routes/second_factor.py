"""TOTP enrolment for office users, and the admin's requirement (docs/rules.md §10)."""

from __future__ import annotations

from fastapi import APIRouter, status

from models.second_factor import CodeBody, RecoveryCodes, SecurityPolicy, TotpSetup, TotpStatus
from server.deps import Admin, DbDep, OfficeSignedIn, SettingsDep, SignedIn
from server.services import second_factor
from server.tables import User

router = APIRouter(prefix="/api/v1/auth/totp", tags=["auth"])
admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("")
def totp_status(actor: SignedIn, db: DbDep) -> TotpStatus:
    return TotpStatus(
        enabled=second_factor.enabled(db, actor.user_id),
        required=second_factor.needs_enrolment(db, role=actor.role, user_id=actor.user_id)
        or (actor.role in second_factor.OFFICE_ROLES and second_factor.require_for_office(db)),
    )


@router.post("/setup")
def totp_setup(actor: OfficeSignedIn, db: DbDep) -> TotpSetup:
    user = db.get(User, actor.user_id)
    assert user is not None  # authenticate() found it
    enrolment = second_factor.start_enrolment(db, actor=actor, username=user.username)
    return TotpSetup(
        secret=enrolment.secret,
        uri=enrolment.uri,
        qr_svg=enrolment.qr_svg,
        qr_png=enrolment.qr_png,
    )


@router.post("/enable")
def totp_enable(
    body: CodeBody, actor: OfficeSignedIn, db: DbDep, settings: SettingsDep
) -> RecoveryCodes:
    codes = second_factor.confirm_enrolment(db, settings=settings, actor=actor, code=body.code)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/disable", status_code=status.HTTP_204_NO_CONTENT)
def totp_disable(body: CodeBody, actor: OfficeSignedIn, db: DbDep, settings: SettingsDep) -> None:
    second_factor.disable(db, settings=settings, actor=actor, code=body.code)


@admin_router.get("/security")
def get_security(actor: Admin, db: DbDep) -> SecurityPolicy:
    return SecurityPolicy(require_totp_for_office=second_factor.require_for_office(db))


@admin_router.put("/security")
def put_security(body: SecurityPolicy, actor: Admin, db: DbDep) -> SecurityPolicy:
    required = second_factor.set_requirement(db, actor=actor, required=body.require_totp_for_office)
    return SecurityPolicy(require_totp_for_office=required)
