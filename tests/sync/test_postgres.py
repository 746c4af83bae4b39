"""The same promises with the server on PostgreSQL: lost answers, offline, exactly once.

Skipped with the reason shown when TIMELISTE_TEST_POSTGRES_URL is unset or
unreachable; under TIMELISTE_REQUIRE_POSTGRES=1 (CI) that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.client import SyncState
from tests.support.live_server import LiveServer
from tests.support.proxy import FaultyProxy
from tests.sync.conftest import World, make_world
from tests.sync.test_client import entry_for, signed_in

pytestmark = pytest.mark.postgres


def _unavailable(reason: str) -> None:
    if os.environ.get("TIMELISTE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server on its own, freshly made PostgreSQL database."""
    admin_url = os.environ.get("TIMELISTE_TEST_POSTGRES_URL")
    if not admin_url:
        _unavailable("TIMELISTE_TEST_POSTGRES_URL is not set")
    assert admin_url is not None
    name = f"t_sync_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        _unavailable(f"the server is not reachable ({type(error).__name__})")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        with LiveServer(tmp_path_factory.mktemp("pg-server"), database_url=url) as server:
            server.add_user("koordinator", "coordinator")
            yield server
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_world(postgres_server: LiveServer) -> World:
    return make_world(postgres_server, postgres_server.login("koordinator"))


def test_offline_backlog_and_a_lost_answer_land_exactly_once(
    pg_world: World, tmp_path: Path
) -> None:
    world = pg_world

    async def scenario() -> None:
        with FaultyProxy(world.server.base_url) as proxy:
            client = await signed_in(
                world, tmp_path / "store.json", via=proxy.base_url, backoff_base=0.01
            )
            store = client.store
            proxy.offline = True
            saved = [entry_for(world, days_ago=1 + d) for d in range(6)]
            for entry in saved:
                store.save_entry(entry)
            assert (await client.sync()).state is SyncState.offline
            proxy.offline = False
            proxy.drop_answers("/api/v1/sync/push", 1)
            assert (await client.sync()).state is SyncState.synced
            delivered = [e.delivered for e in proxy.requests_to("/api/v1/sync/push")]
            assert delivered[-2:] == [False, True]
            assert set(world.server_entries()) == {e.id for e in saved}
            assert world.used_minutes() == 6 * 120
            await client.aclose()
            store.close()

    asyncio.run(scenario())
