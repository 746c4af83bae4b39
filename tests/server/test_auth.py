"""Login, tokens, logout, /me, /healthz and problem+json on both engines."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from models.schemas import Role
from server.config import Settings
from server.db import make_engine, utcnow
from server.tables import AuthToken
from tests.server.conftest import PASSWORD, add_user, login


def test_healthz_needs_no_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_is_served_under_api_v1(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/login" in document["paths"]


def test_login_returns_token_role_and_expiry(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    response = client.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "coordinator"
    assert body["token"]
    assert body["expires_at"] > utcnow().isoformat()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "kari"
    assert me.json()["role"] == "coordinator"


def test_wrong_password_is_401_problem_json(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    response = client.post("/api/v1/auth/login", json={"username": "kari", "password": "feil-feil"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"]
    assert response.json()["status"] == 401


def test_unknown_user_is_401_like_a_wrong_password(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "ingen", "password": "x" * 9})
    assert response.status_code == 401
    assert response.json()["detail"] == "Feil brukernavn eller passord."


def test_missing_or_garbage_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    garbage = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert garbage.status_code == 401
    assert garbage.headers["content-type"].startswith("application/problem+json")


def test_logout_revokes_the_token(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    headers = login(client, "kari")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    # A second token of the same user is not affected.
    other = login(client, "kari")
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_expired_token_is_refused(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    headers = login(client, "kari")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    engine = make_engine(settings.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "utløpt" in response.json()["detail"]


def test_token_lifetime_follows_settings(client: TestClient, settings: Settings) -> None:
    add_user(settings, "kari", Role.coordinator)
    before = utcnow()
    body = client.post("/api/v1/auth/login", json={"username": "kari", "password": PASSWORD}).json()
    from datetime import datetime

    expires = datetime.fromisoformat(body["expires_at"])
    expected = before + timedelta(minutes=settings.token_ttl_minutes)
    assert abs((expires - expected).total_seconds()) < 60


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_malformed_login_body_names_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "kari"})
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["password"]
