"""docs/deploy.md's backup and restore, done once: `pg_dump` a database with
data, `pg_restore` it into a new one, and the restored one answers the same."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.app import create_app
from server.migrate import upgrade
from tests.server.conftest import World, login, make_settings

pytestmark = pytest.mark.postgres


def _libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# docs/deploy.md's backup is pg_dump/pg_restore, so this runs on PostgreSQL only.
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_dump_restores_into_a_database_that_answers_the_same(
    world: World, database_url: str, tmp_path: Path
) -> None:
    world.upsert(note="Før sikkerhetskopien")
    before = world.get("/api/v1/sync/pull", headers=world.contact, cursor=0)
    contacts = world.get("/api/v1/contacts")
    dump = tmp_path / "timeliste.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(database_url)],
        check=True,
        timeout=120,
    )
    name = f"t_restore_{secrets.token_hex(6)}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    restored = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={_libpq(restored)}", str(dump)],
            check=True,
            timeout=120,
        )
        upgrade(restored)  # a no-op on a current dump, as docs/deploy.md says to run it
        app = create_app(make_settings(restored, tmp_path))
        with TestClient(app) as client:
            coordinator = login(client, "coordinator")
            assert client.get("/api/v1/contacts", headers=coordinator).json() == contacts
            # The contact's token lives on in the copy: same secret, same hashes.
            after = client.get("/api/v1/sync/pull", params={"cursor": 0}, headers=world.contact)
            assert after.status_code == 200
            assert after.json()["entries"] == before["entries"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
