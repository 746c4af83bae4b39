"""A demo municipality for `make run`: three contacts, eight people served
(one group of four), weekly and monthly decisions, and a month of entries.

Seeding goes through the public HTTP API, exactly as the office and the phones
would, so the demo data obeys every rule the real data does (and raises the
same flags).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

PASSWORD = "demo-passord-2026"  # noqa: S105  # printed to the user on purpose: demo only

STAFF = (
    ("koordinator", "coordinator"),
    ("lonn", "payroll"),
    ("admin", "admin"),
)


@dataclass(frozen=True)
class DemoContact:
    username: str
    name: str
    employee_no: str
    contract_type: str
    politiattest_date: str | None


CONTACTS = (
    DemoContact("anna", "Anna Berg", "10021", "contractor", "2025-03-14"),
    DemoContact("bjorn", "Bjørn Haugen", "10022", "contractor", "2024-11-02"),
    # No politiattest on file: the office sees her marked and her entries flagged.
    DemoContact("camilla", "Camilla Lie", "10023", "employee", None),
)

# (name, case number, guardian or None)
RECIPIENTS = (
    ("Ola Nordmann", "2026/0114", None),
    ("Kari Hansen", "2026/0131", ("Per Hansen", "far")),
    ("Emil Johansen", "2025/0872", None),
    ("Sara Ahmed", "2026/0203", ("Leila Ahmed", "mor")),
    ("Jonas Dahl", "2025/0950", None),
    ("Ingrid Moen", "2026/0220", ("Tor Moen", "verge")),
    ("Lars Eriksen", "2026/0241", None),
    ("Maja Solberg", "2026/0257", None),
)

ACTIVITIES = (
    ["Kafé", "Samtale"],
    ["Tur"],
    ["Trening"],
    ["Kino"],
    ["Handling", "Samtale"],
    ["Bowling"],
)


def _entry(day: date, start: str, end: str, decision_ids: list[str], n: int) -> dict[str, Any]:
    trips = []
    if n % 3 == 0:
        trips = [{"km": "12.5", "from": "Sentrum", "to": "Aktivitetshuset", "purpose": "Aktivitet"}]
    expenses = []
    if n % 4 == 1:
        expenses = [{"amount": "89.50", "category": "Kafé", "description": "Kaffe og bolle"}]
    return {
        "id": str(uuid.uuid4()),
        "decision_ids": decision_ids,
        "date": day.isoformat(),
        "start": start,
        "end": end,
        "activities": ACTIVITIES[n % len(ACTIVITIES)],
        "trips": trips,
        "expenses": expenses,
    }


class Seeder:
    """Builds the demo municipality over HTTP against a running server."""

    def __init__(self, api: str, today: date) -> None:
        self.api = api.rstrip("/") + "/api/v1"
        self.today = today
        self.http = httpx.Client(timeout=30)

    def login(self, username: str) -> dict[str, str]:
        answer = self.http.post(
            f"{self.api}/auth/login", json={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        answer = self.http.post(f"{self.api}{path}", json=body, headers=headers)
        if answer.status_code >= 400:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
        result: dict[str, Any] = answer.json()
        return result

    def seed(self) -> None:
        office = self.login("koordinator")
        contact_ids = [
            self.post(
                "/contacts",
                {
                    "username": c.username,
                    "password": PASSWORD,
                    "name": c.name,
                    "employee_no": c.employee_no,
                    "contract_type": c.contract_type,
                    "politiattest_date": c.politiattest_date,
                },
                office,
            )["id"]
            for c in CONTACTS
        ]
        recipient_ids = []
        for name, case_no, guardian in RECIPIENTS:
            guardians = [{"name": guardian[0], "relation": guardian[1]}] if guardian else []
            body = {"name": name, "case_no": case_no, "guardians": guardians}
            recipient_ids.append(self.post("/recipients", body, office)["id"])

        year_start = date(self.today.year, 1, 1)
        year_end = date(self.today.year, 12, 31)

        def decide(recipient: int, contacts: list[int], **terms: Any) -> str:
            body = {
                "recipient_id": recipient_ids[recipient],
                "contact_ids": [contact_ids[i] for i in contacts],
                "kind": "individual",
                "valid_from": year_start.isoformat(),
                "valid_to": year_end.isoformat(),
                **terms,
            }
            decision: dict[str, Any] = self.post("/decisions", body, office)
            return str(decision["id"])

        anna = [
            decide(0, [0], hours="4", per="week", km_per_month="150"),
            decide(1, [0], hours="15", per="month"),
        ]
        bjorn = [
            decide(2, [1], hours="3", per="week"),
            decide(3, [1], hours="20", per="month", km_per_month="100"),
        ]
        group = [
            decide(4 + i, [1, 2], hours="12", per="month", kind="group", group_id="turgruppa")
            for i in range(4)
        ]
        # The group meets twice a week; each contact logs the sessions they lead.
        self._log_month("anna", anna, group_ids=None, group_day=None)
        self._log_month("bjorn", bjorn, group_ids=group, group_day=2)
        self._log_month("camilla", [], group_ids=group, group_day=0)

    def _log_month(
        self,
        username: str,
        decisions: list[str],
        group_ids: list[str] | None,
        group_day: int | None,
    ) -> None:
        headers = self.login(username)
        mutations = []
        n = 0
        for back in range(30, 0, -1):
            day = self.today - timedelta(days=back)
            if day.weekday() == 6:
                continue
            for index, decision_id in enumerate(decisions):
                if (day.toordinal() + index) % 3 != 0:
                    continue
                start = f"{15 + index * 2:02d}:00"
                end = f"{16 + index * 2:02d}:30"
                mutations.append(_entry(day, start, end, [decision_id], n))
                n += 1
            if group_ids and day.weekday() == group_day:
                mutations.append(_entry(day, "19:00", "21:00", group_ids, n))
                n += 1
        payload = {
            "device_id": f"demo-{username}",
            "mutations": [
                {"mutation_id": i + 1, "type": "entry.upsert", "data": data}
                for i, data in enumerate(mutations)
            ],
        }
        results = self.post("/sync/push", payload, headers)["results"]
        refused = [r for r in results if r["status"] == "rejected"]
        if refused:
            raise RuntimeError(f"demo entries for {username} were refused: {refused[:3]}")
