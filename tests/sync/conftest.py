"""Fixtures for the sync tests: one real server per module, a fresh contact per test.

The server runs as `timeliste serve` in a subprocess on a loopback port with
its own SQLite database (tests/support/live_server.py). Each test gets its own
contact, recipient and vedtak, so tests share the server but not data.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.clock import today_in_oslo
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

_serial = itertools.count(1)


@dataclass
class World:
    """A contact with one individual vedtak, on a live server."""

    server: LiveServer
    coordinator_token: str
    username: str
    password: str
    contact_id: str
    decision_id: str
    recipient_id: str
    today: date

    def login(self) -> str:
        return self.server.login(self.username, self.password)

    def office(self, method: str, path: str, **kwargs: Any) -> Any:
        """A coordinator's request; returns the JSON answer."""
        response = self.server.api(method, path, token=self.coordinator_token, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def server_entries(self) -> dict[str, dict[str, Any]]:
        """The contact's live entries as the server has them (a fresh pull from 0)."""
        token = self.login()
        answer = self.server.api(
            "GET", "/api/v1/sync/pull", token=token, params={"cursor": 0}, expect=200
        ).json()
        return {item["id"]: item for item in answer["entries"]}

    def used_minutes(self, decision_id: str | None = None) -> int:
        """Total used minutes over all periods of the vedtak, from the usage endpoint."""
        answer = self.office("GET", f"/api/v1/decisions/{decision_id or self.decision_id}/usage")
        return sum(round(float(p["used_hours"]) * 60) for p in answer["periods"])


def make_world(
    server: LiveServer, coordinator_token: str, *, hours: int = 300, per: str = "month"
) -> World:
    """A new contact, recipient and vedtak (valid a year either side of today)."""
    n = next(_serial)
    tag = secrets.token_hex(3)
    username = f"kontakt{n}{tag}"
    today = today_in_oslo()

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = server.api(
            "POST", path, token=coordinator_token, json=body, expect=201
        ).json()
        return answer

    contact = post(
        "/api/v1/contacts",
        {
            "username": username,
            "password": DEFAULT_PASSWORD,
            "name": f"Test Kontakt {n}",
            "employee_no": f"E{n}{tag}",
            "contract_type": "contractor",
            "politiattest_date": (today - timedelta(days=100)).isoformat(),
        },
    )
    recipient = post("/api/v1/recipients", {"name": f"Kari Nordmann {n}", "case_no": f"S{n}{tag}"})
    decision = post(
        "/api/v1/decisions",
        {
            "recipient_id": recipient["id"],
            "kind": "individual",
            "hours": str(hours),
            "per": per,
            "valid_from": (today - timedelta(days=365)).isoformat(),
            "valid_to": (today + timedelta(days=365)).isoformat(),
            "contact_ids": [contact["id"]],
        },
    )
    return World(
        server=server,
        coordinator_token=coordinator_token,
        username=username,
        password=DEFAULT_PASSWORD,
        contact_id=contact["id"],
        decision_id=decision["id"],
        recipient_id=recipient["id"],
        today=today,
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server for this test module, with a coordinator `koordinator`."""
    with LiveServer(tmp_path_factory.mktemp("server")) as server:
        server.add_user("koordinator", "coordinator")
        yield server


@pytest.fixture
def world(live_server: LiveServer) -> World:
    """A fresh contact with a vedtak on the module's server (which is running)."""
    if not live_server.running:
        live_server.start()
    return make_world(live_server, live_server.login("koordinator"))


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "device" / "store.json"
