"""Server test fixtures: every API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TIMELISTE_TEST_POSTGRES_URL; each test session makes its
own randomly named database there (dropped at the end), so parallel runs by
several people never collide. Without a server the PostgreSQL half is skipped
with the reason shown, unless TIMELISTE_REQUIRE_POSTGRES=1 (CI) makes it fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models.schemas import Role
from server.all_tables import metadata
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from server.services.auth import create_user

PASSWORD = "riktig-passord-123"
TEST_SECRET = "test-secret-" + "x" * 40


def _postgres_admin_url() -> str | None:
    return os.environ.get("TIMELISTE_TEST_POSTGRES_URL") or None


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("TIMELISTE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@contextmanager
def empty_postgres_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own with no tables yet (dropped afterwards); skips, or
    fails where PostgreSQL is required, when there is no server to make it on."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        _postgres_unavailable("TIMELISTE_TEST_POSTGRES_URL is not set")
    assert admin_url is not None
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        _postgres_unavailable(f"the server is not reachable ({type(error).__name__})")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    with empty_postgres_database("t_timeliste") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO change_sequence (id, value) VALUES (1, 0)"))
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "timeliste.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: cheap Argon2 (never in production), a real secret."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 8,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


def add_user(settings: Settings, username: str, role: Role, password: str = PASSWORD) -> str:
    """A login made straight in the database, as `timeliste user add` does."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as db:
            user = create_user(
                db, settings=settings, username=username, password=password, role=role
            )
            db.commit()
            return user.id
    finally:
        engine.dispose()


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a fresh token."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def office(client: TestClient, settings: Settings) -> dict[str, dict[str, str]]:
    """Headers for a coordinator, a payroll clerk and an admin."""
    headers = {}
    for role in (Role.coordinator, Role.payroll, Role.admin):
        add_user(settings, role.value, role)
        headers[role.value] = login(client, role.value)
    return headers


class World:
    """A small municipality over the API: one recipient, one contact, one vedtak.

    `push` sends mutations as the contact; every helper goes through HTTP.
    """

    def __init__(self, client: TestClient, office: dict[str, dict[str, str]]) -> None:
        from tests.factories import decision_payload, recipient_payload

        self.client = client
        self.office = office
        self.coordinator = office["coordinator"]
        self.device = "device-1"
        self._mutation = 0
        recipient = self.post("/api/v1/recipients", recipient_payload(), self.coordinator)
        self.recipient_id: str = recipient["id"]
        self.contact_id, self.contact = self.add_contact()
        decision = self.post(
            "/api/v1/decisions",
            decision_payload(recipient_id=self.recipient_id, contact_ids=[self.contact_id]),
            self.coordinator,
        )
        self.decision_id: str = decision["id"]

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def add_contact(self, **overrides: Any) -> tuple[str, dict[str, str]]:
        from tests.factories import contact_payload

        body = contact_payload(**overrides)
        contact = self.post("/api/v1/contacts", body, self.coordinator)
        return contact["id"], login(self.client, body["username"], body["password"])

    def add_decision(self, contact_ids: list[str] | None = None, **overrides: Any) -> str:
        from tests.factories import decision_payload

        body = decision_payload(
            recipient_id=overrides.pop("recipient_id", self.recipient_id),
            contact_ids=contact_ids if contact_ids is not None else [self.contact_id],
            **overrides,
        )
        return str(self.post("/api/v1/decisions", body, self.coordinator)["id"])

    def push(
        self,
        *mutations: tuple[str, dict[str, Any]],
        headers: dict[str, str] | None = None,
        device: str | None = None,
    ) -> list[dict[str, Any]]:
        batch = []
        for kind, data in mutations:
            self._mutation += 1
            batch.append({"mutation_id": self._mutation, "type": kind, "data": data})
        response = self.client.post(
            "/api/v1/sync/push",
            json={"device_id": device or self.device, "mutations": batch},
            headers=headers or self.contact,
        )
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def upsert(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        from tests.factories import entry_payload

        fields.setdefault("decision_ids", [self.decision_id])
        data = entry_payload(**fields)
        result = self.push(("entry.upsert", data), headers=headers)[0]
        result["entry"] = data
        return result

    def pull(self, cursor: int = 0, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(
            "/api/v1/sync/pull", params={"cursor": cursor}, headers=headers or self.contact
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=headers or self.coordinator)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def world(client: TestClient, office: dict[str, dict[str, str]]) -> World:
    return World(client, office)


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app served by a real uvicorn in a thread, on a loopback port the OS chose."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """The app served by a real uvicorn on a loopback port, for concurrency tests."""
    with serve(settings) as url:
        yield url
