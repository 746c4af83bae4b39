"""The second factor for office roles (docs/rules.md §10): TOTP enrolment,
recovery codes, the check at login, and the admin's requirement.

Contacts are unchanged: they sign in on their own phone with a password.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.rules import Problem
from models.schemas import Role
from server.config import Settings
from server.db import utcnow
from server.errors import ConflictError, ForbiddenError, InvalidError, UnauthorizedError
from server.services import totp
from server.services.common import Actor, audit
from server.tables import RecoveryCode, SecondFactor, SecuritySettings, User

OFFICE_ROLES = frozenset({Role.coordinator, Role.payroll, Role.admin})

CODE_REQUIRED = "Skriv inn koden fra autentiseringsappen (eller en reservekode)."
CODE_WRONG = "Koden stemmer ikke. Bruk koden som vises nå, eller en ubrukt reservekode."


class CodeRequiredError(UnauthorizedError):
    """The password was right and no code came with it.

    The first step of the normal two-step sign-in (password, then the code the
    server asks for), not a guess: the login's throttle does not count it.
    """


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str
    qr_png: str  # base64


def _recovery_digest(settings: Settings, code: str) -> str:
    # Keyed like tokens: a copy of the database alone does not give the codes.
    message = f"recovery:{totp.normalise_recovery_code(code)}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def require_for_office(db: Session) -> bool:
    row = db.get(SecuritySettings, 1)
    return bool(row and row.require_totp_for_office)


def set_requirement(db: Session, *, actor: Actor, required: bool) -> bool:
    if required and not enabled(db, actor.user_id):
        # Otherwise the admin's own next request would be refused.
        raise ConflictError("Slå på totrinnsinnlogging for deg selv før du krever det av andre.")
    row = db.get(SecuritySettings, 1)
    if row is None:
        row = SecuritySettings(id=1, require_totp_for_office=required)
        db.add(row)
    row.require_totp_for_office = required
    audit(db, actor, "update", "security_settings", "1", require_totp_for_office=required)
    db.commit()
    return required


def enabled(db: Session, user_id: str) -> bool:
    factor = db.get(SecondFactor, user_id)
    return factor is not None and factor.enabled_at is not None


def needs_enrolment(db: Session, *, role: Role, user_id: str) -> bool:
    """True when the admin requires a second factor and this office user has none yet."""
    return role in OFFICE_ROLES and require_for_office(db) and not enabled(db, user_id)


def start_enrolment(db: Session, *, actor: Actor, username: str) -> Enrolment:
    """A new key for the authenticator app; it counts only once a code from it is confirmed."""
    if actor.role not in OFFICE_ROLES:
        raise ForbiddenError("Totrinnsinnlogging er for kontorbrukere.")
    factor = db.get(SecondFactor, actor.user_id)
    if factor is not None and factor.enabled_at is not None:
        raise ConflictError("Totrinnsinnlogging er allerede slått på.")
    secret = totp.new_secret()
    if factor is None:
        db.add(SecondFactor(user_id=actor.user_id, secret=secret))
    else:
        factor.secret = secret
        factor.last_step = None
    audit(db, actor, "totp_setup", "user", actor.user_id)
    db.commit()
    uri = totp.provisioning_uri(secret, username)
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff")
    png = code.png_data_uri(scale=6, dark="#000", light="#fff").removeprefix(
        "data:image/png;base64,"
    )
    return Enrolment(secret=secret, uri=uri, qr_svg=svg, qr_png=png)


def confirm_enrolment(db: Session, *, settings: Settings, actor: Actor, code: str) -> list[str]:
    """Turn the factor on with a first code; answers the recovery codes, shown only now."""
    factor = db.get(SecondFactor, actor.user_id, with_for_update=True)
    if factor is None or factor.enabled_at is not None:
        raise ConflictError("Start oppsettet av totrinnsinnlogging først.")
    step = totp.matching_step(factor.secret, code, time.time(), None)
    if step is None:
        raise InvalidError(CODE_WRONG, problems=[Problem("code", CODE_WRONG)])
    factor.enabled_at = utcnow()
    factor.last_step = step
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == actor.user_id))
    codes = totp.new_recovery_codes()
    for plain in codes:
        db.add(RecoveryCode(user_id=actor.user_id, code_hash=_recovery_digest(settings, plain)))
    audit(db, actor, "totp_enable", "user", actor.user_id)
    db.commit()
    return codes


def disable(db: Session, *, settings: Settings, actor: Actor, code: str) -> None:
    """Turn the factor off, with a current code or a recovery code."""
    if actor.role in OFFICE_ROLES and require_for_office(db):
        raise ConflictError("Administrator krever totrinnsinnlogging for kontorbrukere.")
    user = db.get(User, actor.user_id)
    assert user is not None
    if not enabled(db, actor.user_id):
        raise ConflictError("Totrinnsinnlogging er ikke slått på.")
    verify(db, settings=settings, user=user, code=code)
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == actor.user_id))
    db.execute(delete(SecondFactor).where(SecondFactor.user_id == actor.user_id))
    audit(db, actor, "totp_disable", "user", actor.user_id)
    db.commit()


def verify(db: Session, *, settings: Settings, user: User, code: str | None) -> None:
    """The login's second step; nothing happens for a user without a second factor.

    Runs inside the login's last transaction: the factor's row is locked, so a
    code (or a recovery code) cannot be used twice by logins at the same moment.
    """
    factor = db.get(SecondFactor, user.id, with_for_update=True)
    if factor is None or factor.enabled_at is None:
        return
    if not code:
        raise CodeRequiredError(
            CODE_REQUIRED, problems=[Problem("otp", CODE_REQUIRED, "totp_required")]
        )
    step = totp.matching_step(factor.secret, code, time.time(), factor.last_step)
    if step is not None:
        factor.last_step = step
        return
    recovery = db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_digest(settings, code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is not None:
        recovery.used_at = utcnow()
        return
    raise UnauthorizedError(CODE_WRONG, problems=[Problem("otp", CODE_WRONG, "totp_invalid")])
