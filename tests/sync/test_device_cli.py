"""`timeliste device status|sync STORE`, run as a command against the live server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from models.schemas import EntryData
from sync.client import login
from sync.store import DeviceStore
from tests.sync.conftest import World

REPO = Path(__file__).resolve().parents[2]


def timeliste(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timeliste", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def offline_store(world: World, path: Path, count: int) -> list[str]:
    """A store signed in as the world's contact, with `count` entries never synced."""
    session = asyncio.run(login(world.server.base_url, world.username, world.password))
    ids = []
    with DeviceStore(path) as store:
        store.set_account(
            server_url=world.server.base_url,
            username=world.username,
            token=session.token,
            contact_id=session.contact_id,
        )
        store.apply_pull(
            world.server.api(
                "GET", "/api/v1/sync/pull", token=session.token, params={"cursor": 0}, expect=200
            ).json()
        )
        for n in range(count):
            entry = EntryData.model_validate(
                {
                    "id": str(uuid.uuid4()),
                    "decision_ids": [world.decision_id],
                    "date": (world.today - timedelta(days=n + 1)).isoformat(),
                    "start": "10:00",
                    "end": "11:00",
                    "note": "hemmelig notat om Kari",
                }
            )
            store.save_entry(entry)
            ids.append(entry.id)
    return ids


def test_status_shows_what_waits_and_no_notes(world: World, store_path: Path) -> None:
    offline_store(world, store_path, 3)
    result = timeliste("device", "status", str(store_path))
    assert result.returncode == 0, result.stderr
    assert "Venter på sending: 3 (entry.upsert: 3)" in result.stdout
    assert "hemmelig" not in result.stdout
    assert "Kari" not in result.stdout


def test_sync_drains_the_store_and_says_so(world: World, store_path: Path) -> None:
    ids = offline_store(world, store_path, 4)
    result = timeliste("device", "sync", str(store_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Alt er synkronisert." in result.stdout
    assert "Venter på sending: 0" in result.stdout
    assert set(world.server_entries()) == set(ids)


def test_sync_while_the_server_is_down_keeps_everything(world: World, store_path: Path) -> None:
    offline_store(world, store_path, 2)
    world.server.stop()
    try:
        result = timeliste("device", "sync", str(store_path))
    finally:
        world.server.start()
    assert result.returncode == 1
    assert "Frakoblet. 2 endringer venter på telefonen" in result.stdout
    with DeviceStore(store_path) as store:
        assert store.pending_count() == 2


def test_missing_store_is_reported(tmp_path: Path) -> None:
    result = timeliste("device", "status", str(tmp_path / "finnes-ikke.json"))
    assert result.returncode == 1
    assert "Fant ikke lageret" in result.stdout
