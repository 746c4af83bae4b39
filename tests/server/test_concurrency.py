"""Many devices pushing for one vedtak at the same moment, over real HTTP.

Every push must count: the usage is the sum of all entries, and exactly one
overuse flag names exactly the entries the rule names when run once over all
of them afterwards. Without the per-decision lock, two transactions could each
see the other's minutes missing and the flag would be wrong or missing.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx

from models.flags import overuse
from models.quota import period_containing
from models.schemas import Decision, TimeEntry
from server.config import Settings
from tests.factories import contact_payload, decision_payload, entry_payload, recent_day
from tests.server.conftest import PASSWORD, add_user

CONTACTS = 8
ENTRIES_EACH = 4


def _login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_concurrent_pushes_on_one_decision_never_miss_overuse(
    live_url: str, settings: Settings
) -> None:
    add_user(settings, "coordinator", "coordinator")  # type: ignore[arg-type]
    with httpx.Client(base_url=live_url, timeout=60) as office:
        coordinator = _login(office, "coordinator", PASSWORD)
        recipient = office.post(
            "/api/v1/recipients",
            json={"name": "Kari Nordmann", "case_no": "2026/CONC"},
            headers=coordinator,
        ).json()
        contacts = []
        for _ in range(CONTACTS):
            body = contact_payload()
            created = office.post("/api/v1/contacts", json=body, headers=coordinator).json()
            contacts.append((created["id"], body["username"], body["password"]))
        decision = office.post(
            "/api/v1/decisions",
            json=decision_payload(
                recipient_id=recipient["id"], contact_ids=[c[0] for c in contacts], hours="10"
            ),
            headers=coordinator,
        ).json()

    # Each contact logs 1 h sessions on different days (no overlaps): 32 h on a 10 h month.
    barrier = threading.Barrier(CONTACTS)
    results: dict[str, list[dict[str, Any]]] = {}
    failures: list[BaseException] = []

    def device(index: int, username: str, password: str) -> None:
        try:
            with httpx.Client(base_url=live_url, timeout=120) as client:
                headers = _login(client, username, password)
                barrier.wait(timeout=60)
                for n in range(ENTRIES_EACH):
                    data = entry_payload(
                        decision_ids=[decision["id"]],
                        date=(recent_day(-9) + timedelta(days=index)).isoformat(),
                        start=f"{8 + n * 2:02d}:00",
                        end=f"{9 + n * 2:02d}:00",
                    )
                    response = client.post(
                        "/api/v1/sync/push",
                        json={
                            "device_id": f"phone-{index}",
                            "mutations": [
                                {"mutation_id": n + 1, "type": "entry.upsert", "data": data}
                            ],
                        },
                        headers=headers,
                    )
                    response.raise_for_status()
                    results.setdefault(username, []).extend(response.json()["results"])
        except BaseException as error:
            failures.append(error)

    # A device of the first contact pulls incrementally all the while; what it
    # gathers must end up equal to one full pull (no cursor skips a slow commit).
    done = threading.Event()
    gathered: dict[str, dict[str, Any]] = {"flags": {}, "usage": {}}

    def poller() -> None:
        try:
            with httpx.Client(base_url=live_url, timeout=120) as client:
                headers = _login(client, contacts[0][1], contacts[0][2])
                cursor = 0
                while True:
                    finished = done.is_set()
                    body = client.get(
                        "/api/v1/sync/pull", params={"cursor": cursor}, headers=headers
                    ).json()
                    for flag in body["flags"]:
                        gathered["flags"][flag["id"]] = flag
                    # As the phone merges (sync.merge): a vedtak in the page comes
                    # with every period, any other with the periods that changed.
                    in_page = {decision["id"] for decision in body["decisions"]}
                    for usage in body["usage"]:
                        key = usage["decision_id"]
                        kept = {} if key in in_page else gathered["usage"].get(key, {})
                        gathered["usage"][key] = {
                            **kept,
                            **{period["key"]: period for period in usage["periods"]},
                        }
                    cursor = body["cursor"]
                    if finished:
                        gathered["full"] = client.get(
                            "/api/v1/sync/pull", params={"cursor": 0}, headers=headers
                        ).json()
                        return
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [
        threading.Thread(target=device, args=(i, username, password))
        for i, (_, username, password) in enumerate(contacts)
    ]
    watcher = threading.Thread(target=poller)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    done.set()
    watcher.join(timeout=300)
    assert failures == []
    full = gathered["full"]
    assert gathered["flags"] == {flag["id"]: flag for flag in full["flags"]}
    assert gathered["usage"] == {
        usage["decision_id"]: {period["key"]: period for period in usage["periods"]}
        for usage in full["usage"]
    }
    statuses = [r["status"] for rs in results.values() for r in rs]
    assert statuses == ["applied"] * CONTACTS * ENTRIES_EACH

    with httpx.Client(base_url=live_url, timeout=60) as office:
        coordinator = _login(office, "coordinator", PASSWORD)
        usage = office.get(f"/api/v1/decisions/{decision['id']}/usage", headers=coordinator).json()
        month = f"{recent_day(-9):%Y-%m}"
        [period] = [p for p in usage["periods"] if p["key"] == month]
        assert period["used_hours"] == f"{CONTACTS * ENTRIES_EACH}.00"
        assert period["over_hours"] == f"{CONTACTS * ENTRIES_EACH - 10}.00"

        flags = office.get(
            "/api/v1/flags", params={"kind": "overuse", "status": "open"}, headers=coordinator
        ).json()["data"]
        sheets = office.get(
            "/api/v1/timesheets", params={"decision_id": decision["id"]}, headers=coordinator
        ).json()["data"]
        entries = []
        for sheet in sheets:
            detail = office.get(f"/api/v1/timesheets/{sheet['id']}", headers=coordinator).json()
            entries += [
                TimeEntry.model_validate(
                    {k: v for k, v in e.items() if k in TimeEntry.model_fields}
                )
                for e in detail["entries"]
            ]
    assert len(entries) == CONTACTS * ENTRIES_EACH
    terms = Decision.model_validate(
        {k: decision[k] for k in Decision.model_fields if k in decision}
    )
    quota_period = period_containing(terms, recent_day(-9))
    assert quota_period is not None
    expected = overuse(decision["id"], quota_period, entries)
    assert expected is not None
    assert len(flags) == 1
    assert flags[0]["entry_ids"] == list(expected.entry_ids)
    assert flags[0]["detail"] == expected.detail
