"""Users, passwords (Argon2id), bearer tokens and login throttling."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.schemas import Role
from server.config import Settings
from server.db import utcnow
from server.errors import ConflictError, InvalidError, ThrottledError, UnauthorizedError
from server.services.common import Actor, audit, new_id
from server.tables import AuthToken, LoginFailure, User

MIN_PASSWORD_LENGTH = 8


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


def token_digest(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def failure_key(settings: Settings, username: str) -> str:
    """What a failed login is counted under: a keyed hash of the typed username.

    The typed text may be a mistyped password or someone's name; the raw text
    is never stored.
    """
    return token_digest(settings, f"login-failure:{username.strip().lower()}")


def create_user(
    db: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    role: Role | str,
    contact_id: str | None = None,
    actor: Actor | None = None,
) -> User:
    """Add a login; refuses an unknown role, a short password and a taken username."""
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidError(f"Ukjent rolle. Gyldige roller: {roles}.") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidError(f"Passordet må ha minst {MIN_PASSWORD_LENGTH} tegn.")
    username = username.strip().lower()
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError("Brukernavnet er allerede i bruk.")
    user = User(
        id=new_id(),
        username=username,
        password_hash=password_hasher(settings).hash(password),
        role=role.value,
        contact_id=contact_id,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        raise ConflictError("Brukernavnet er allerede i bruk.") from None
    audit(db, actor, "create", "user", user.id, role=role.value)
    return user


@dataclass(frozen=True, slots=True)
class Login:
    token: str
    user: User
    expires_at: datetime


def _retry_after(settings: Settings, failures: list[datetime], now: datetime, limit: int) -> int:
    """Seconds until another attempt is allowed, 0 when one is allowed now."""
    count = len(failures)
    window = timedelta(seconds=settings.login_window_seconds)
    if count >= limit:
        return math.ceil((min(failures) + window - now).total_seconds())
    if count >= settings.login_free_failures:
        wait = timedelta(seconds=2 ** (count - settings.login_free_failures))
        return max(0, math.ceil((max(failures) + wait - now).total_seconds()))
    return 0


def _throttle(db: Session, settings: Settings, key: str, address: str, now: datetime) -> None:
    since = now - timedelta(seconds=settings.login_window_seconds)
    pair = list(
        db.scalars(
            select(LoginFailure.at).where(
                LoginFailure.username == key,
                LoginFailure.address == address,
                LoginFailure.at > since,
            )
        )
    )
    by_address = list(
        db.scalars(
            select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at > since)
        )
    )
    # A spread-out attack on one account from many addresses is capped too.
    by_user = db.scalar(
        select(func.count()).where(LoginFailure.username == key, LoginFailure.at > since)
    )
    waits = [
        _retry_after(settings, pair, now, settings.login_max_failures),
        _retry_after(settings, by_address, now, settings.login_address_max_failures)
        if len(by_address) >= settings.login_address_max_failures
        else 0,
    ]
    if (by_user or 0) >= settings.login_address_max_failures:
        waits.append(settings.login_window_seconds)
    wait = max(waits)
    if wait > 0:
        raise ThrottledError(
            "For mange mislykkede innlogginger. Vent litt og prøv igjen.", retry_after=wait
        )


def login(db: Session, *, settings: Settings, username: str, password: str, address: str) -> Login:
    """Check the password and hand out a token; throttled per username and address."""
    now = utcnow()
    username = username.strip().lower()[:200]
    key = failure_key(settings, username)
    _throttle(db, settings, key, address, now)
    user = db.scalar(select(User).where(User.username == username))
    hasher = password_hasher(settings)
    ok = False
    if user is not None and user.active:
        try:
            ok = hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time on unknown users so timing does not reveal usernames.
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(settings), password)
    if not ok or user is None:
        db.add(LoginFailure(username=key, address=address, at=now))
        db.commit()
        raise UnauthorizedError("Feil brukernavn eller passord.")
    db.execute(
        delete(LoginFailure).where(LoginFailure.username == key, LoginFailure.address == address)
    )
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=settings.token_ttl_minutes)
    row = AuthToken(
        id=new_id(),
        token_hash=token_digest(settings, token),
        user_id=user.id,
        created_at=now,
        expires_at=expires_at,
    )
    db.add(row)
    audit(db, _actor(user, row.id), "login", "user", user.id)
    db.commit()
    return Login(token=token, user=user, expires_at=expires_at)


_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash(settings: Settings) -> str:
    key = (settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = password_hasher(settings).hash(secrets.token_hex(16))
    return _DUMMY[key]


def _actor(user: User, token_id: str | None) -> Actor:
    return Actor(
        user_id=user.id, role=Role(user.role), contact_id=user.contact_id, token_id=token_id
    )


def authenticate(db: Session, *, settings: Settings, token: str) -> Actor:
    """The actor behind a bearer token; expired, revoked or unknown tokens are refused."""
    row = db.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(settings, token)))
    if row is None or row.revoked_at is not None:
        raise UnauthorizedError("Du er ikke logget inn.")
    if row.expires_at <= utcnow():
        raise UnauthorizedError("Innloggingen er utløpt. Logg inn på nytt.")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise UnauthorizedError("Du er ikke logget inn.")
    return _actor(user, row.id)


def logout(db: Session, *, actor: Actor) -> None:
    """Revoke the token the request came with."""
    if actor.token_id is None:
        return
    row = db.get(AuthToken, actor.token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(db, actor, "logout", "user", actor.user_id)
    db.commit()
