"""TOTP for office roles: enrolment, login with a code or a recovery code,
replays refused, and the admin's requirement (docs/rules.md §10)."""

from __future__ import annotations

import base64
import time
from typing import Any

from fastapi.testclient import TestClient

from server.config import Settings
from server.services import totp
from tests.server.conftest import PASSWORD, World


def _login(client: TestClient, username: str, otp: str | None = None) -> Any:
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/login", json=body)


def enrol(client: TestClient, headers: dict[str, str]) -> tuple[str, list[str]]:
    """Turn the factor on with the previous step's code: the key and the recovery
    codes (the codes of now and of the next step are still unused)."""
    setup = client.post("/api/v1/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    body = setup.json()
    assert body["uri"].startswith("otpauth://totp/Timeliste")
    assert body["qr_svg"].startswith("<svg")
    assert base64.b64decode(body["qr_png"]).startswith(b"\x89PNG\r\n\x1a\n")
    secret = body["secret"]
    # A wrong first code does not turn it on.
    wrong = client.post("/api/v1/auth/totp/enable", json={"code": "000000"}, headers=headers)
    if totp.code_at(secret, totp.step_of(time.time())) != "000000":
        assert wrong.status_code == 422
    code = totp.code_at(secret, totp.step_of(time.time()) - 1)
    enabled = client.post("/api/v1/auth/totp/enable", json={"code": code}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == totp.RECOVERY_CODES
    return secret, codes


def test_an_enrolled_coordinator_needs_a_fresh_code(
    client: TestClient, office: dict[str, dict[str, str]]
) -> None:
    secret, _ = enrol(client, office["coordinator"])
    missing = _login(client, "coordinator")
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["code"] == "totp_required"
    assert "koden" in missing.json()["detail"]
    wrong = _login(client, "coordinator", "123456" if secret else "")
    current = totp.code_at(secret, totp.step_of(time.time()))
    if current != "123456":
        assert wrong.status_code == 401
        assert wrong.json()["errors"][0]["code"] == "totp_invalid"
    ok = _login(client, "coordinator", current)
    assert ok.status_code == 200, ok.text
    # The same code a second time (read over a shoulder) is refused.
    again = _login(client, "coordinator", current)
    assert again.status_code in (401, 429)


def test_a_recovery_code_works_once(client: TestClient, office: dict[str, dict[str, str]]) -> None:
    _, codes = enrol(client, office["payroll"])
    assert _login(client, "payroll", codes[0].upper()).status_code == 200
    assert _login(client, "payroll", codes[0]).status_code == 401


def test_the_admin_can_require_it_for_office_roles(
    client: TestClient, office: dict[str, dict[str, str]], settings: Settings
) -> None:
    refused = client.put(
        "/api/v1/admin/security",
        json={"require_totp_for_office": True},
        headers=office["admin"],
    )
    assert refused.status_code == 409  # not before the admin has it themselves
    secret, _ = enrol(client, office["admin"])
    required = client.put(
        "/api/v1/admin/security",
        json={"require_totp_for_office": True},
        headers=office["admin"],
    )
    assert required.status_code == 200, required.text
    # A coordinator without it can sign in, but only to set it up.
    coordinator = office["coordinator"]
    blocked = client.get("/api/v1/contacts", headers=coordinator)
    assert blocked.status_code == 403
    assert "totrinnsinnlogging" in blocked.json()["detail"].lower()
    # It says where: the office's own screen for it (mobile/office/security.py).
    assert "Kontor → Totrinnsinnlogging" in blocked.json()["detail"]
    assert client.get("/api/v1/auth/totp", headers=coordinator).json() == {
        "enabled": False,
        "required": True,
    }
    enrol(client, coordinator)
    assert client.get("/api/v1/contacts", headers=coordinator).status_code == 200
    # And cannot turn it off while it is required.
    code = totp.code_at(secret, totp.step_of(time.time()) + 1)
    assert (
        client.post(
            "/api/v1/auth/totp/disable", json={"code": code}, headers=coordinator
        ).status_code
        == 409
    )


def test_contacts_are_unchanged(world: World) -> None:
    response = world.client.post("/api/v1/auth/totp/setup", headers=world.contact)
    assert response.status_code == 403
    assert world.client.get("/api/v1/sync/pull", headers=world.contact).status_code == 200


def test_codes_follow_rfc_6238() -> None:
    """The SHA-1 vectors of RFC 6238 appendix B (the last six digits)."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    vectors = {59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"}
    for unix_seconds, code in vectors.items():
        assert totp.code_at(secret, totp.step_of(unix_seconds)) == code
        assert totp.matching_step(secret, code, unix_seconds, None) == totp.step_of(unix_seconds)
        # Used once: the same step is refused afterwards.
        assert totp.matching_step(secret, code, unix_seconds, totp.step_of(unix_seconds)) is None
    assert totp.matching_step(secret, "28708", 59, None) is None
