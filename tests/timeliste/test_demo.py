"""The demo municipality that `make run` prepares, seeded into a real server."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from timeliste.demo import CONTACTS, PASSWORD, RECIPIENTS, STAFF, Seeder


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    folder: Path = tmp_path_factory.mktemp("demo")
    with LiveServer(folder) as server:
        for username, role in STAFF:
            server.add_user(username, role, PASSWORD)
        Seeder(server.base_url, date(2026, 11, 22)).seed()
        yield server


def _get(server: LiveServer, username: str, path: str) -> object:
    token = server.login(username, PASSWORD)
    answer = server.api("GET", path, token=token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _items(body: object) -> list[dict[str, object]]:
    # Lists come either bare or as {data, count}.
    if isinstance(body, dict):
        return list(body["data"])
    assert isinstance(body, list)
    return body


def test_demo_has_three_contacts_and_eight_people(seeded: LiveServer) -> None:
    contacts = _items(_get(seeded, "koordinator", "/api/v1/contacts"))
    recipients = _items(_get(seeded, "koordinator", "/api/v1/recipients"))
    assert sorted(c["employee_no"] for c in contacts) == sorted(c.employee_no for c in CONTACTS)
    assert sorted(r["case_no"] for r in recipients) == sorted(r[1] for r in RECIPIENTS)


def test_demo_has_weekly_monthly_and_a_group_of_four(seeded: LiveServer) -> None:
    decisions = _items(_get(seeded, "koordinator", "/api/v1/decisions"))
    assert Counter(d["per"] for d in decisions) == {"week": 2, "month": 6}
    groups = Counter(d["group_id"] for d in decisions if d["kind"] == "group")
    assert groups == {"turgruppa": 4}


def test_every_contact_has_a_month_of_entries(seeded: LiveServer) -> None:
    for contact in CONTACTS:
        sheets = _items(_get(seeded, contact.username, "/api/v1/timesheets"))
        assert sheets, f"{contact.username} has no timesheet"
        assert sum(float(str(s["total_hours"])) for s in sheets) > 5


def test_contact_without_politiattest_is_flagged(seeded: LiveServer) -> None:
    flags = _items(_get(seeded, "koordinator", "/api/v1/flags?status=open"))
    assert "missing_politiattest" in {f["kind"] for f in flags}


def test_demo_sessions_do_not_collide(seeded: LiveServer) -> None:
    # The demo should show the office realistic flags, not mistakes of its own making.
    flags = _items(_get(seeded, "koordinator", "/api/v1/flags?status=open"))
    kinds = Counter(f["kind"] for f in flags)
    assert kinds["overlap"] == 0
    assert kinds["double_coverage"] == 0
