"""No personal data in logs: errors are logged by type and route only.

The live test runs the real `timeliste serve` (uvicorn in a subprocess) and
provokes clashes, races and database errors with a planted name, then reads
everything the server wrote.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.factories import contact_payload, entry_payload
from tests.support.live_server import LiveServer

PLANTED = "Planta Testesen"


def test_an_unhandled_error_is_a_problem_500_logged_by_type_and_route(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)

    @app.get("/api/v1/boom/{thing}")
    def boom(thing: str) -> None:
        raise ValueError(f"note={PLANTED} har angst ({thing})")

    with caplog.at_level(logging.DEBUG), TestClient(app) as client:
        response = client.get("/api/v1/boom/x")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Intern feil"
    assert "Planta" not in response.text
    logged = "\n".join(
        record.getMessage() + str(record.exc_info or "")
        for record in caplog.records
        if record.name != "httpx"
    )
    assert "ValueError on GET /api/v1/boom/{thing}" in logged
    assert "Planta" not in logged


def _post(http: httpx.Client, path: str, body: object, token: str) -> httpx.Response:
    return http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_live_server_never_logs_a_planted_name(database_url: str, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "live", database_url=database_url) as server:
        server.add_user("koordinator", "coordinator")
        token = server.login("koordinator")
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            recipient = {"name": PLANTED, "case_no": "2026/PLANT-1"}
            assert _post(http, "/api/v1/recipients", recipient, token).status_code == 201
            again = _post(http, "/api/v1/recipients", recipient, token)
            assert again.status_code == 409
            assert again.json()["detail"] == "Saksnummeret er allerede registrert."

            # Racing duplicates: one wins, the rest are told why in Norwegian.
            racer = {"name": PLANTED, "case_no": "2026/PLANT-2"}
            with ThreadPoolExecutor(6) as pool:
                answers = list(
                    pool.map(lambda _: _post(http, "/api/v1/recipients", racer, token), range(6))
                )
            assert sorted(a.status_code for a in answers) == [201] + [409] * 5

            found = http.get(
                "/api/v1/recipients",
                params={"q": "Planta"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert found.status_code == 200
            assert found.json()["count"] == 2

            body = contact_payload(name=PLANTED, username="planta")
            assert _post(http, "/api/v1/contacts", body, token).status_code == 201
            twin = contact_payload(name=PLANTED, username="planta")
            assert _post(http, "/api/v1/contacts", twin, token).status_code == 409

            # A NUL in a name is refused alike on both engines, without echoing the name.
            nul = {"name": f"{PLANTED}\x00", "case_no": "2026/PLANT-3"}
            broken = _post(http, "/api/v1/recipients", nul, token)
            assert broken.status_code == 422, broken.text
            assert broken.headers["content-type"] == "application/problem+json"
            assert "Planta" not in broken.text

            contact = server.login("planta", body["password"])
            envelope = {
                "device_id": "d1",
                "mutations": [
                    {
                        "mutation_id": 1,
                        "type": "entry.upsert",
                        "data": entry_payload(decision_ids=["nope"], note=f"{PLANTED}\x00"),
                    }
                ],
            }
            pushed = _post(http, "/api/v1/sync/push", envelope, contact)
            assert pushed.status_code == 200, pushed.text
            failed = http.post(
                "/api/v1/auth/login", json={"username": PLANTED, "password": "feil-passord-1"}
            )
            assert failed.status_code == 401
        server.stop()
        log = server.log_path.read_text(errors="replace")
    assert "Planta" not in log, log[-3000:]
