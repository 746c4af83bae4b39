"""What every answer carries and what no request may do: body limits, headers,
Norwegian answers to malformed bodies, the OpenAPI's error answers (issue 11,
findings 4, 9, 11 and 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.server.conftest import World
from tests.support.live_server import LiveServer

PROBLEM = "application/problem+json"


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_a_push_over_one_mib_is_refused_before_it_is_read(world: World) -> None:
    body = b'{"device_id": "d", "mutations": [' + b" " * (1024 * 1024) + b"]}"
    response = world.client.post(
        "/api/v1/sync/push",
        content=body,
        headers={**world.contact, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "1 MiB" in response.json()["detail"]


def test_a_push_under_one_mib_is_not_refused_for_its_size(world: World) -> None:
    padding = " " * (900 * 1024)
    body = ('{"device_id": "d", "mutations": []' + padding + "}").encode()
    response = world.client.post(
        "/api/v1/sync/push",
        content=body,
        headers={**world.contact, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_an_anonymous_oversized_login_is_refused_unread(client: TestClient) -> None:
    body = b'{"username": "x", "password": "' + b"a" * (200 * 1024) + b'"}'
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "64 KiB" in response.json()["detail"]


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient) -> None:
    """No Content-Length to trust: the bytes are counted as they arrive."""
    response = client.post(
        "/api/v1/auth/login",
        content=_chunks(300 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "64 KiB" in response.json()["detail"]


def test_other_bodies_are_limited_to_64_kib(world: World) -> None:
    body = b'{"name": "' + b"a" * (65 * 1024) + b'", "case_no": "2026/1"}'
    response = world.client.post(
        "/api/v1/recipients",
        content=body,
        headers={**world.coordinator, "content-type": "application/json"},
    )
    assert response.status_code == 413


def test_at_most_a_thousand_mutations_per_push(world: World) -> None:
    mutations = [
        {"mutation_id": n, "type": "entry.delete", "data": {"id": "x"}} for n in range(1, 1002)
    ]
    response = world.client.post(
        "/api/v1/sync/push",
        json={"device_id": "d", "mutations": mutations},
        headers=world.contact,
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)


def _assert_common_headers(headers: httpx.Headers) -> None:
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"


def test_every_answer_carries_the_security_headers(world: World) -> None:
    client = world.client
    answers = [
        client.get("/healthz"),
        client.get("/api/v1/me", headers=world.contact),
        client.get("/api/v1/sync/pull", headers=world.contact),
        client.get("/api/v1/contacts", headers=world.coordinator),
        client.get("/api/v1/no-such-thing"),
        client.get("/api/v1/me"),
        client.post("/api/v1/auth/login", content=b"x" * (70 * 1024)),
        client.get("/api/v1/openapi.json"),
    ]
    for answer in answers:
        _assert_common_headers(answer.headers)
        assert "server" not in answer.headers
    for answer in answers[1:]:
        # Personal data, tokens or not: nothing from the API may be cached.
        assert answer.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


@pytest.mark.parametrize("handler_fails", [False, True], ids=["handled", "handler-fails"])
def test_an_unhandled_error_answers_with_the_security_headers(
    settings: Settings, handler_fails: bool
) -> None:
    """The outermost 500s: Starlette's ServerErrorMiddleware answers through our
    handler; when that handler fails too, ContainErrors answers. Both carry the headers."""
    app = create_app(settings)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    if handler_fails:

        async def broken(request: object, exc: Exception) -> None:
            raise LookupError("the handler itself fails")

        # Read when the middleware stack is built, at the first request.
        app.exception_handlers[Exception] = broken

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Intern feil"
    _assert_common_headers(response.headers)
    assert "server" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_refused_method_is_answered_with_every_method_the_path_has(world: World) -> None:
    # Two routes share the path (GET and PATCH); Starlette's own Allow named only one.
    path = f"/api/v1/contacts/{world.contact_id}"
    response = world.client.request("DELETE", path, headers=world.coordinator)
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "GET, PATCH"
    assert world.client.options("/api/v1/payroll/settings").headers["allow"] == "GET, PUT"
    # A literal path before the template beside it, as the app routes them.
    expiring = world.client.options("/api/v1/decisions/expiring", headers=world.coordinator)
    assert expiring.headers["allow"] == "GET"


def test_the_docs_page_has_its_own_content_security_policy(client: TestClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    _assert_common_headers(response.headers)


def test_the_served_app_announces_no_server_banner(tmp_path: Path) -> None:
    with LiveServer(tmp_path) as server:
        response = server.api("GET", "/healthz", expect=200)
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("body", [b'{"username": "kari", ', b"\xff\xfe", b"{'a': 1}"])
def test_malformed_json_is_answered_in_norwegian(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "Innholdet er ikke gyldig JSON."
    assert problem["errors"] == [
        {"field": "body", "message": "Innholdet er ikke gyldig JSON.", "code": "invalid"}
    ]


def test_the_openapi_declares_every_error_answer_as_problem_json(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"title", "status", "detail"}
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        for code in ("400", "401", "403", "404", "409", "413", "422", "429", "500", "503"):
            answer = operation["responses"].get(code)
            assert answer is not None, (method, path, code)
            schema = answer["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)
    assert "HTTPValidationError" not in document["components"]["schemas"]
