"""Login throttling: a person who mistypes is let in, a guessing bot is not."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from models.schemas import Role
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_sessionmaker, utcnow
from server.services import auth, totp
from server.services.auth import failure_key
from server.tables import LoginFailure
from tests.server.conftest import PASSWORD, add_user
from tests.server.test_second_factor import enrol


def _login(client: TestClient, password: str, username: str = "kari") -> int:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return response.status_code


def _age_failures(settings: Settings, seconds: int) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(update(LoginFailure).values(at=utcnow() - timedelta(seconds=seconds)))
    engine.dispose()


def test_two_mistakes_then_the_right_password(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    assert _login(client, "feil-1") == 401
    assert _login(client, "feil-2") == 401
    assert _login(client, PASSWORD) == 200
    # Success wipes the slate: two more mistakes are fine again.
    assert _login(client, "feil-3") == 401
    assert _login(client, "feil-4") == 401
    assert _login(client, PASSWORD) == 200


def test_a_guessing_bot_gets_nowhere(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    statuses = [_login(client, f"gjetting-{n}") for n in range(12)]
    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}
    response = client.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["content-type"].startswith("application/problem+json")


def test_waiting_lifts_the_slowdown(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    for n in range(4):
        _login(client, f"feil-{n}")
    assert _login(client, PASSWORD) == 429
    _age_failures(settings, 60)
    assert _login(client, PASSWORD) == 200


def test_many_failures_lock_until_the_window_ends(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        for minutes in range(settings.login_max_failures):
            at = utcnow() - timedelta(minutes=10 - minutes * 0.5)
            key = failure_key(settings, "kari")
            db.add(LoginFailure(username=key, address="testclient", at=at))
        db.commit()
    engine.dispose()
    response = client.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 60


def test_one_users_lockout_does_not_block_another(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    add_user(settings, "ola", Role.payroll)
    for n in range(6):
        _login(client, f"feil-{n}")
    assert _login(client, PASSWORD) == 429
    assert _login(client, PASSWORD, username="ola") == 200


def test_another_address_is_not_slowed_by_a_bot(settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    app = create_app(settings)
    with (
        TestClient(app, client=("203.0.113.9", 5000)) as bot,
        TestClient(app, client=("198.51.100.7", 5000)) as person,
    ):
        for n in range(6):
            _login(bot, f"feil-{n}")
        assert _login(bot, PASSWORD) == 429
        assert _login(person, PASSWORD) == 200


def test_a_failed_login_stores_no_typed_username(client: TestClient, settings: Settings) -> None:
    typed = "Planta Testesen hemmelig-passord"
    response = client.post("/api/v1/auth/login", json={"username": typed, "password": "x" * 12})
    assert response.status_code == 401
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        stored = list(db.scalars(select(LoginFailure.username)))
    engine.dispose()
    assert stored == [failure_key(settings, typed)]
    assert "planta" not in stored[0].lower()


def _add_failures(settings: Settings, username: str, addresses: list[str], age: int) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        for address in addresses:
            at = utcnow() - timedelta(seconds=age)
            db.add(LoginFailure(username=failure_key(settings, username), address=address, at=at))
        db.commit()
    engine.dispose()


def test_a_known_username_cannot_be_locked_for_its_owner(settings: Settings) -> None:
    """Past the username's limit, a new address is slowed, not refused (docs/rules.md §10)."""
    add_user(settings, "kari", Role.coordinator)
    bots = [f"203.0.113.{n}" for n in range(settings.login_user_max_failures)]
    _add_failures(settings, "kari", bots, age=settings.login_slow_seconds + 1)
    app = create_app(settings)
    with TestClient(app, client=("198.51.100.7", 5000)) as owner:
        assert _login(owner, PASSWORD) == 200
    # One of the addresses that guessed stays refused.
    with TestClient(app, client=(bots[0], 5000)) as bot:
        response = bot.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD})
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > settings.login_slow_seconds


def test_past_the_username_limit_a_new_address_waits_briefly(settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    bots = [f"203.0.113.{n}" for n in range(settings.login_user_max_failures)]
    _add_failures(settings, "kari", bots, age=1)
    app = create_app(settings)
    with TestClient(app, client=("198.51.100.7", 5000)) as owner:
        response = owner.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD})
        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= settings.login_slow_seconds


def test_one_persons_typos_do_not_lock_their_office(settings: Settings) -> None:
    """An address's limit counts distinct usernames, not failures."""
    add_user(settings, "kari", Role.coordinator)
    add_user(settings, "ola", Role.payroll)
    office = "192.0.2.10"
    _add_failures(settings, "kari", [office] * 60, age=600)
    app = create_app(settings)
    with TestClient(app, client=(office, 5000)) as colleague:
        assert _login(colleague, PASSWORD, username="ola") == 200


def test_an_address_spraying_usernames_is_refused(settings: Settings) -> None:
    add_user(settings, "ola", Role.payroll)
    spray = "203.0.113.50"
    for n in range(settings.login_address_max_usernames):
        _add_failures(settings, f"navn-{n}", [spray], age=60)
    app = create_app(settings)
    with TestClient(app, client=(spray, 5000)) as bot:
        assert _login(bot, PASSWORD, username="ola") == 429
    with TestClient(app, client=("198.51.100.7", 5000)) as other:
        assert _login(other, PASSWORD, username="ola") == 200


def test_a_check_that_could_not_run_is_not_counted(settings: Settings) -> None:
    """A login the busy server answers 503 has not had its password checked."""
    add_user(settings, "kari", Role.coordinator)
    app = create_app(settings.model_copy(update={"login_queue_seconds": 0.01}))
    with TestClient(app) as client:
        gate = auth.HashGate(1, 0.01)
        app.state.hash_gate = gate

        async def hold() -> None:
            await gate._semaphore().acquire()

        client.portal.call(hold)  # type: ignore[union-attr]
        response = client.post("/api/v1/auth/login", json={"username": "kari", "password": "x"})
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["content-type"].startswith("application/problem+json")
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        assert list(db.scalars(select(LoginFailure.id))) == []
    engine.dispose()


def _failures(settings: Settings) -> int:
    engine = make_engine(settings.sqlalchemy_url)
    with make_sessionmaker(engine)() as db:
        count = len(list(db.scalars(select(LoginFailure.id))))
    engine.dispose()
    return count


def _two_step(client: TestClient, otp: str | None) -> Any:
    body = {"username": "coordinator", "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/login", json=body)


def test_the_two_step_sign_in_is_not_a_failed_try(
    client: TestClient, settings: Settings, office: dict[str, dict[str, str]]
) -> None:
    """Password first, then the code the server asks for: never slowed, never locked."""
    secret, _ = enrol(client, office["coordinator"])
    # Two typos first: the third free try is still there when the code is asked for.
    assert _login(client, "feil-1", username="coordinator") == 401
    assert _login(client, "feil-2", username="coordinator") == 401
    for _ in range(settings.login_max_failures + 2):  # a person who sends without the code
        asked = _two_step(client, None)
        assert asked.status_code == 401, asked.text
        assert asked.json()["errors"][0]["code"] == "totp_required"
    assert _failures(settings) == 2
    code = totp.code_at(secret, totp.step_of(time.time()))
    assert _two_step(client, code).status_code == 200
    assert _failures(settings) == 0


def test_a_wrong_code_still_counts(
    client: TestClient, settings: Settings, office: dict[str, dict[str, str]]
) -> None:
    secret, _ = enrol(client, office["coordinator"])
    now = totp.step_of(time.time())
    near = {totp.code_at(secret, s) for s in range(now - 3, now + 40)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
    # Locked at the third failure (the default's slowdown would make this test a race).
    strict = settings.model_copy(update={"login_max_failures": settings.login_free_failures})
    with TestClient(create_app(strict)) as guesser:
        for _ in range(settings.login_free_failures):
            refused = _two_step(guesser, wrong)
            assert refused.status_code == 401, refused.text
            assert refused.json()["errors"][0]["code"] == "totp_invalid"
        assert _failures(settings) == settings.login_free_failures
        # Refused now, whatever comes: a missing code, a wrong one, or even the right one.
        assert _two_step(guesser, None).status_code == 429
        assert _two_step(guesser, wrong).status_code == 429
        right = totp.code_at(secret, totp.step_of(time.time()))
        locked = _two_step(guesser, right)
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 60
