"""Users, passwords (Argon2id), bearer tokens and login throttling."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import os
import secrets
import threading
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.passwords import password_problem
from models.rules import Problem
from models.schemas import Role
from server.config import Settings
from server.db import utcnow
from server.errors import BusyError, ConflictError, InvalidError, ThrottledError, UnauthorizedError
from server.services import second_factor
from server.services.common import Actor, audit, new_id
from server.tables import AuthToken, LoginFailure, User


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
    username = username.strip().lower()
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidError(problem, problems=[Problem(field="password", message=problem)])
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


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt that passed the throttle and is already counted as a failure.

    Counting it before the password is checked is what makes the limit exact
    when guesses arrive in parallel on many workers: the check-and-count is one
    short transaction under a lock, and the slow hash runs after it, holding
    no database connection.
    """

    failure_id: int
    key: str
    address: str
    user_id: str | None
    password_hash: str | None
    at: datetime


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


def _address_key(address: str) -> str:
    return f"address:{address}"


def _lock_keys(db: Session, keys: list[str]) -> None:
    """Serialize throttle decisions on these keys across every worker and host.

    PostgreSQL: transaction-scoped advisory locks, taken in one order so two
    attempts never wait on each other crosswise. SQLite: every transaction
    already begins IMMEDIATE, holding the database's write lock.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        db.execute(select(func.pg_advisory_xact_lock(number)))


def _throttle(db: Session, settings: Settings, key: str, address: str, now: datetime) -> None:
    """Refuse (429 with Retry-After) an attempt the rules of docs/rules.md §10 do not allow yet."""
    since = now - timedelta(seconds=settings.login_window_seconds)
    window = timedelta(seconds=settings.login_window_seconds)
    by_user = list(
        db.execute(
            select(LoginFailure.address, LoginFailure.at).where(
                LoginFailure.username == key, LoginFailure.at > since
            )
        )
    )
    pair = [at for failed_from, at in by_user if failed_from == address]
    waits = [_retry_after(settings, pair, now, settings.login_max_failures)]
    # An address's limit counts distinct usernames: one person's typos behind
    # an office's shared address do not lock out their colleagues.
    usernames = db.scalar(
        select(func.count(func.distinct(LoginFailure.username))).where(
            LoginFailure.address == address, LoginFailure.at > since
        )
    )
    if (usernames or 0) >= settings.login_address_max_usernames:
        first = db.scalar(
            select(func.min(LoginFailure.at)).where(
                LoginFailure.address == address, LoginFailure.at > since
            )
        )
        assert first is not None
        waits.append(math.ceil((first + window - now).total_seconds()))
    # One username guessed from many addresses: addresses that took part are
    # refused; one that has not failed for it is slowed, so its owner still
    # gets in (an attacker who knows a username cannot lock its owner out).
    if len(by_user) >= settings.login_user_max_failures:
        if pair:
            waits.append(math.ceil((min(at for _, at in by_user) + window - now).total_seconds()))
        else:
            latest = max(at for _, at in by_user)
            slow = timedelta(seconds=settings.login_slow_seconds)
            waits.append(math.ceil((latest + slow - now).total_seconds()))
    wait = max(waits)
    if wait > 0:
        raise ThrottledError(
            "For mange mislykkede innlogginger. Vent litt og prøv igjen.", retry_after=wait
        )


def begin_attempt(db: Session, *, settings: Settings, username: str, address: str) -> Attempt:
    """Check the throttle and count the attempt as a failure, in one short transaction."""
    now = utcnow()
    username = username.strip().lower()[:200]
    key = failure_key(settings, username)
    try:
        _lock_keys(db, [key, _address_key(address)])
        _throttle(db, settings, key, address, now)
        failure = LoginFailure(username=key, address=address[:64], at=now)
        db.add(failure)
        db.flush()
        user = db.scalar(select(User).where(User.username == username))
        known = user is not None and user.active
        attempt = Attempt(
            failure_id=failure.id,
            key=key,
            address=address[:64],
            user_id=user.id if known and user is not None else None,
            password_hash=user.password_hash if known and user is not None else None,
            at=now,
        )
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return attempt


def withdraw_attempt(db: Session, attempt: Attempt) -> None:
    """Uncount an attempt whose password was never checked (the server was too busy)."""
    db.execute(delete(LoginFailure).where(LoginFailure.id == attempt.failure_id))
    db.commit()


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    new_hash: str | None = None


def check_password(settings: Settings, attempt: Attempt, password: str) -> Verdict:
    """The slow part (Argon2id): run it with no database connection held."""
    hasher = password_hasher(settings)
    if attempt.password_hash is None:
        # Spend the same time on unknown users so timing does not reveal usernames.
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(settings), password)
        return Verdict(ok=False)
    try:
        hasher.verify(attempt.password_hash, password)
    except (VerificationError, InvalidHashError):
        return Verdict(ok=False)
    if hasher.check_needs_rehash(attempt.password_hash):
        return Verdict(ok=True, new_hash=hasher.hash(password))
    return Verdict(ok=True)


def finish_login(
    db: Session, *, settings: Settings, attempt: Attempt, verdict: Verdict, otp: str | None = None
) -> Login:
    """Hand out a token for a checked password (and second factor, when the user has one).

    A failure stays counted and is refused; so does a wrong code, which puts
    the second factor under the same throttle as the password. A right password
    without a code is the first step of the two-step sign-in: it is refused
    (the client asks for the code) and uncounted, so that signing in the normal
    way never slows or locks a person out.
    """
    if not verdict.ok or attempt.user_id is None:
        raise UnauthorizedError("Feil brukernavn eller passord.")
    user = db.get(User, attempt.user_id)
    if user is None or not user.active:
        raise UnauthorizedError("Feil brukernavn eller passord.")
    try:
        second_factor.verify(db, settings=settings, user=user, code=otp)
    except second_factor.CodeRequiredError:
        withdraw_attempt(db, attempt)  # commits: the factor's lock goes too
        raise
    except UnauthorizedError:
        db.commit()  # the factor's lock goes; the attempt stays counted
        raise
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.username == attempt.key, LoginFailure.address == attempt.address
        )
    )
    if verdict.new_hash is not None and user.password_hash == attempt.password_hash:
        user.password_hash = verdict.new_hash
    now = utcnow()
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


def login(
    db: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    address: str,
    otp: str | None = None,
) -> Login:
    """Check the password and hand out a token, in one thread (the CLI and tests).

    The HTTP route runs the same three steps with the hash outside any
    database connection and behind `HashGate` (server.routes.auth).
    """
    attempt = begin_attempt(db, settings=settings, username=username, address=address)
    verdict = check_password(settings, attempt, password)
    return finish_login(db, settings=settings, attempt=attempt, verdict=verdict, otp=otp)


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
    # Token and user in one round trip (every request of a phone starts here).
    found = db.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_digest(settings, token))
    ).one_or_none()
    if found is None or found[0].revoked_at is not None:
        raise UnauthorizedError("Du er ikke logget inn.")
    row, user = found
    if row.expires_at <= utcnow():
        raise UnauthorizedError("Innloggingen er utløpt. Logg inn på nytt.")
    if not user.active:
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


class PerLoop:
    """A semaphore of `limit` turns for each event loop: one per uvicorn worker, and
    one per loop a test client starts (a semaphore is bound to its loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = weakref.WeakKeyDictionary()

    def semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore


class HashGate:
    """At most `limit` password checks at once in this process; the rest wait briefly.

    Each Argon2id check takes `argon2_memory_cost` KiB and a core for a
    moment: unbounded, a login flood takes the memory and the CPU of the whole
    service. A login that gets no turn within `wait_seconds` is answered 503
    with Retry-After. The waiting is asynchronous, so queued logins hold no
    worker thread and no database connection (`PerLoop`).
    """

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._turns = PerLoop(limit)
        self.waiting = 0

    def _semaphore(self) -> asyncio.Semaphore:
        return self._turns.semaphore()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        semaphore = self._semaphore()
        # A queue longer than a few rounds of checks cannot be served within
        # the wait anyway: answer at once instead of holding the connection.
        if self.waiting >= self.limit * 25:
            raise BusyError(BUSY_MESSAGE, retry_after=math.ceil(self.wait_seconds))
        self.waiting += 1
        try:
            await asyncio.wait_for(semaphore.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            raise BusyError(BUSY_MESSAGE, retry_after=math.ceil(self.wait_seconds)) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            semaphore.release()


BUSY_MESSAGE = "Mange logger inn akkurat nå. Vent litt og prøv igjen."

# Scheduling priority of the threads that check passwords (Linux nice value).
HASH_NICENESS = 10


def _lower_priority() -> None:
    """Run the password checks of this thread behind the pushes and pulls.

    An Argon2id check is slow on purpose (about 176 ms of CPU, in four lanes
    that each get a thread): on a small server it took every core for that
    long, and pushes that arrived meanwhile waited (bench/load.py, push p99).
    On Linux a nice value is a thread's own, and the lanes' threads inherit
    it, so only the hashing yields; its cost and strength stay the same.
    """
    setpriority = getattr(os, "setpriority", None)
    native_id = getattr(threading, "get_native_id", None)
    if setpriority is None or native_id is None:
        return
    with contextlib.suppress(OSError):
        setpriority(os.PRIO_PROCESS, native_id(), HASH_NICENESS)


_HASH_POOLS: dict[int, ThreadPoolExecutor] = {}


def _hash_pool(size: int) -> ThreadPoolExecutor:
    """This process's password-checking threads (as many as HashGate lets run at once)."""
    pool = _HASH_POOLS.get(size)
    if pool is None:
        pool = _HASH_POOLS[size] = ThreadPoolExecutor(
            max_workers=size, thread_name_prefix="password-hash", initializer=_lower_priority
        )
    return pool


# Throttle decisions (begin_attempt) at once per worker process.
THROTTLE_TURNS = 2
_THROTTLE_TURNS = PerLoop(THROTTLE_TURNS)


async def login_async(
    sessions: sessionmaker[Session],
    gate: HashGate,
    *,
    settings: Settings,
    username: str,
    password: str,
    address: str,
    otp: str | None = None,
) -> Login:
    """Login for the HTTP route: throttle, then the hash with no connection held, then the token."""

    def begin() -> Attempt:
        with sessions() as db:
            return begin_attempt(db, settings=settings, username=username, address=address)

    def withdraw(attempt: Attempt) -> None:
        with sessions() as db:
            withdraw_attempt(db, attempt)

    def finish(attempt: Attempt, verdict: Verdict) -> Login:
        with sessions() as db:
            return finish_login(db, settings=settings, attempt=attempt, verdict=verdict, otp=otp)

    # One address's attempts queue on a lock in the database (_lock_keys):
    # unbounded, 200 phones behind one address held every connection of the
    # pool waiting there, and pushes got none. Queued here, they hold none.
    async with _THROTTLE_TURNS.semaphore():
        attempt = await to_thread.run_sync(begin)
    try:
        async with gate.turn():
            verdict = await asyncio.get_running_loop().run_in_executor(
                _hash_pool(gate.limit), check_password, settings, attempt, password
            )
    except BusyError:
        await to_thread.run_sync(withdraw, attempt)
        raise
    return await to_thread.run_sync(finish, attempt, verdict)
