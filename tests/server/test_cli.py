"""`timeliste db upgrade` and `timeliste user add` in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from server.tables import User


def _run(args: list[str], data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIMELISTE_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "timeliste", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-data")


def test_db_upgrade_creates_the_database_in_the_data_dir(data_dir: Path) -> None:
    result = _run(["db", "upgrade"], data_dir)
    assert result.returncode == 0, result.stderr
    assert (data_dir / "timeliste.sqlite3").exists()


def test_user_add_stores_an_argon2_hash(data_dir: Path) -> None:
    result = _run(
        ["user", "add", "kari", "--role", "coordinator", "--password-stdin"],
        data_dir,
        "hemmelig-passord\n",
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite:///{data_dir / 'timeliste.sqlite3'}")
    with engine.connect() as conn:
        user = conn.execute(
            select(User.role, User.password_hash).where(User.username == "kari")
        ).one()
    engine.dispose()
    assert user.role == "coordinator"
    assert user.password_hash.startswith("$argon2id$")
    assert "hemmelig" not in user.password_hash


def test_user_add_refuses_a_duplicate(data_dir: Path) -> None:
    _run(
        ["user", "add", "ola", "--role", "admin", "--password-stdin"],
        data_dir,
        "blå-fjell-ved-sjøen-1\n",
    )
    again = _run(
        ["user", "add", "ola", "--role", "admin", "--password-stdin"],
        data_dir,
        "blå-fjell-ved-sjøen-2\n",
    )
    assert again.returncode != 0
    assert "allerede i bruk" in again.stderr


def test_user_add_refuses_an_unknown_role(data_dir: Path) -> None:
    result = _run(
        ["user", "add", "per", "--role", "boss", "--password-stdin"],
        data_dir,
        "blå-fjell-ved-sjøen-1\n",
    )
    assert result.returncode != 0
    assert "unknown role" in result.stderr


def test_serve_upgrades_the_schema_and_answers(tmp_path: Path) -> None:
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TIMELISTE_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "timeliste", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        openapi = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
        assert "/api/v1/sync/push" in openapi.json()["paths"]
        assert (tmp_path / "timeliste.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
