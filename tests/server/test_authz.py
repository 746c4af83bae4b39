"""The authorization matrix: every route × every role (and no token).

Allowed roles get a 2xx answer on real data; the rest get 403, and no token
gets 401. A route added without an entry here fails the completeness test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.factories import contact_payload, entry_payload, recipient_payload
from tests.server.conftest import World

ROLES = ("contact", "coordinator", "payroll", "admin")
C, K, P, A = "contact", "coordinator", "payroll", "admin"

Body = Callable[[World], dict[str, Any] | None]

# (method, path) -> roles allowed, request body builder, whether a 2xx is required
MATRIX: dict[tuple[str, str], tuple[set[str], Body]] = {
    ("GET", "/api/v1/me"): ({C, K, P, A}, lambda w: None),
    ("POST", "/api/v1/auth/logout"): ({C, K, P, A}, lambda w: None),
    ("POST", "/api/v1/contacts"): ({K, A}, lambda w: contact_payload()),
    ("GET", "/api/v1/contacts"): ({K, P, A}, lambda w: None),
    ("GET", "/api/v1/contacts/{contact_id}"): ({K, P, A}, lambda w: None),
    ("PATCH", "/api/v1/contacts/{contact_id}"): ({K, A}, lambda w: {"hourly_rate": "300.00"}),
    ("POST", "/api/v1/recipients"): ({K}, lambda w: recipient_payload()),
    ("GET", "/api/v1/recipients"): ({K}, lambda w: None),
    ("GET", "/api/v1/recipients/{recipient_id}"): ({K}, lambda w: None),
    ("POST", "/api/v1/decisions"): (
        {K},
        lambda w: {
            "recipient_id": w.recipient_id,
            "kind": "individual",
            "hours": "5",
            "per": "week",
            "valid_from": "2026-01-01",
            "valid_to": "2026-06-30",
            "contact_ids": [w.contact_id],
        },
    ),
    ("GET", "/api/v1/decisions"): ({K, C}, lambda w: None),
    ("GET", "/api/v1/decisions/{decision_id}"): ({K, C}, lambda w: None),
    ("PATCH", "/api/v1/decisions/{decision_id}"): ({K}, lambda w: {"hours": "10.5"}),
    ("GET", "/api/v1/decisions/{decision_id}/usage"): ({K, C}, lambda w: None),
    ("POST", "/api/v1/sync/push"): (
        {C},
        lambda w: {
            "device_id": "matrix",
            "mutations": [
                {
                    "mutation_id": 1,
                    "type": "entry.upsert",
                    "data": entry_payload(decision_ids=[w.decision_id]),
                }
            ],
        },
    ),
    ("GET", "/api/v1/sync/pull"): ({C}, lambda w: None),
    ("GET", "/api/v1/timesheets"): ({K, P, C}, lambda w: None),
    ("GET", "/api/v1/timesheets/{timesheet_id}"): ({K, P, C}, lambda w: None),
    ("POST", "/api/v1/timesheets/{timesheet_id}/approve"): (
        {K},
        lambda w: {"override_reason": "Matrisetest."},
    ),
    ("POST", "/api/v1/timesheets/{timesheet_id}/reject"): ({K}, lambda w: {"reason": "Matrise."}),
    ("GET", "/api/v1/flags"): ({K}, lambda w: None),
    ("GET", "/api/v1/flags/cards"): ({K}, lambda w: None),
    ("POST", "/api/v1/flags/{flag_id}/resolve"): ({K}, lambda w: {"note": "Matrise."}),
    ("GET", "/api/v1/audit"): ({A}, lambda w: None),
}

# Payroll's routes belong to server.payroll (tested there); here only who gets in.
PAYROLL_ROLES: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/payroll/batches"): {P},
    ("GET", "/api/v1/payroll/batches"): {P},
    ("GET", "/api/v1/payroll/batches/{batch_id}"): {P},
    ("GET", "/api/v1/payroll/batches/{batch_id}/export"): {P},
    ("GET", "/api/v1/payroll/settings"): {P, A},
    ("PUT", "/api/v1/payroll/settings"): {A},
}

# Routes whose 2xx needs more than a body (a live TOTP code, an expiring vedtak):
# here only who gets in, like payroll's.
GATED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/auth/totp"): {C, K, P, A},
    ("POST", "/api/v1/auth/totp/setup"): {K, P, A},
    ("POST", "/api/v1/auth/totp/enable"): {K, P, A},
    ("POST", "/api/v1/auth/totp/disable"): {K, P, A},
    ("GET", "/api/v1/admin/security"): {A},
    ("PUT", "/api/v1/admin/security"): {A},
    ("GET", "/api/v1/decisions/expiring"): {K},
    ("POST", "/api/v1/decisions/{decision_id}/follow-on"): {K},
    ("GET", "/api/v1/devices/attention"): {K},
}

PUBLIC = {("GET", "/healthz"), ("POST", "/api/v1/auth/login")}


def allowed_roles(method: str, path: str) -> set[str]:
    """Who may call an operation; empty for the public ones (anyone may)."""
    if (method, path) in MATRIX:
        return MATRIX[(method, path)][0]
    return PAYROLL_ROLES.get((method, path)) or GATED.get((method, path)) or set()


def _routes(settings: Settings) -> set[tuple[str, str]]:
    # From the OpenAPI document: FastAPI keeps included routers as routes of
    # their own, so app.routes no longer lists the operations.
    document = create_app(settings).openapi()
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_every_route_is_in_the_matrix(settings: Settings) -> None:
    routes = _routes(settings)
    assert len(routes) > 30
    known = set(MATRIX) | set(PAYROLL_ROLES) | set(GATED) | PUBLIC
    assert routes - known == set(), "add new routes to the authorization matrix"


def _prepare(world: World) -> dict[str, str]:
    """Real ids for the path parameters: a timesheet with an open flag."""
    world.upsert(start="08:00", end="19:00")  # over quota: a flag to resolve
    [sheet] = world.get("/api/v1/timesheets")["data"]
    [flag] = world.get("/api/v1/flags", status="open")["data"]
    return {
        "contact_id": world.contact_id,
        "recipient_id": world.recipient_id,
        "decision_id": world.decision_id,
        "timesheet_id": sheet["id"],
        "flag_id": flag["id"],
        "batch_id": "no-such-batch",
    }


def _call(
    client: TestClient, method: str, path: str, ids: dict[str, str], body: Any, headers: Any
) -> int:
    url = path.format(**ids)
    if method == "GET":
        return client.get(url, headers=headers).status_code
    return client.request(method, url, json=body, headers=headers).status_code


@pytest.mark.parametrize("role", [*ROLES, None])
def test_matrix(world: World, client: TestClient, role: str | None) -> None:
    ids = _prepare(world)
    for (method, path), allowed in {**PAYROLL_ROLES, **GATED}.items():
        headers = {} if role is None else (world.contact if role == C else world.office[role])
        status = _call(client, method, path, ids, {}, headers)
        if role is None:
            assert status == 401, (method, path, status)
        elif role in allowed:
            assert status not in (401, 403), (role, method, path, status)
            assert status < 500, (role, method, path, status)
        else:
            assert status == 403, (role, method, path, status)
    # Reject before approve (an approved sheet is read-only); logout last, as it
    # revokes the token the other calls use.
    last = {"/api/v1/timesheets/{timesheet_id}/approve": 1, "/api/v1/auth/logout": 2}
    ordered = sorted(MATRIX.items(), key=lambda item: last.get(item[0][1], 0))
    for (method, path), (allowed, body) in ordered:
        if role is None:
            headers = {}
        elif role == "contact":
            headers = world.contact
        else:
            headers = world.office[role]
        status = _call(client, method, path, ids, body(world), headers)
        if role is None:
            assert status == 401, (method, path, status)
        elif role in allowed:
            assert 200 <= status < 300, (role, method, path, status)
        else:
            assert status == 403, (role, method, path, status)
