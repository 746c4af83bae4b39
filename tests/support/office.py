"""What the office's tests make over the HTTP API and how they run the async desks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.factories import entry_id, recent_day
from tests.support.live_server import LiveServer


def run_apart(coro: Awaitable[Any]) -> Any:
    """Await `coro` on a loop of its own in a worker thread (Playwright may hold the main
    thread's loop when the whole suite runs in one process)."""

    async def main() -> Any:
        return await coro

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, main()).result()


def add_recipients(server: LiveServer, token: str, marker: str, count: int) -> None:
    """`count` recipients named '<marker> Person 00'… with case numbers '<marker>-00'…."""
    for n in range(count):
        server.api(
            "POST",
            "/api/v1/recipients",
            token=token,
            json={"name": f"{marker} Person {n:02d}", "case_no": f"{marker}-{n:02d}"},
            expect=201,
        )


def group_session(decision_ids: list[str]) -> dict[str, Any]:
    """The entry of one 3-hour session (10–13 on a recent day) with everyone in `decision_ids`."""
    return {
        "id": entry_id(),
        "decision_ids": decision_ids,
        "date": recent_day().isoformat(),
        "start": "10:00",
        "end": "13:00",
        "activities": ["Tur"],
        "trips": [],
        "expenses": [],
    }
