"""The real Timeliste server on a loopback port, for tests that talk HTTP to it.

    from tests.support.live_server import LiveServer

    with LiveServer(tmp_path) as server:          # `timeliste serve` in a subprocess
        server.add_user("koord", "coordinator")   # `timeliste user add … --password-stdin`
        token = server.login("koord")
        server.api("POST", "/api/v1/recipients", token=token, json={...})
        server.stop()                             # the database stays
        server.start()                            # same port, same database

Each server has its own SQLite file in `folder` (or the `database_url` you
give, e.g. a PostgreSQL database made for the test session), a random
secret, and cheap Argon2 settings: tests only, never production. The
server's output goes to `folder/server.log`, which a failure message quotes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PASSWORD = "riktig-passord-123"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServerError(RuntimeError):
    """The server did not start, or a helper call failed."""


class LiveServer:
    """`timeliste serve` in a subprocess, with its own database, on a fixed loopback port."""

    def __init__(
        self,
        folder: Path,
        *,
        port: int | None = None,
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
        start: bool = True,
        startup_timeout: float = 30.0,
        workers: int = 1,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.database_url = database_url or f"sqlite:///{self.folder / 'timeliste.sqlite3'}"
        self.log_path = self.folder / "server.log"
        self.startup_timeout = startup_timeout
        self.workers = workers
        self._extra_env = dict(env or {})
        self._secret = "live-server-" + secrets.token_hex(24)
        self._process: subprocess.Popen[bytes] | None = None
        if start:
            self.start()

    # --- the process -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def environment(self) -> dict[str, str]:
        """The environment the server and the CLI helpers run with."""
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "TIMELISTE_DATA_DIR": str(self.folder / "data"),
            "TIMELISTE_ENVIRONMENT": "test",
            "TIMELISTE_SECRET_KEY": self._secret,
            "TIMELISTE_ARGON2_TIME_COST": "1",
            "TIMELISTE_ARGON2_MEMORY_COST": "8",
            "TIMELISTE_ARGON2_PARALLELISM": "1",
            "PYTHONPATH": str(REPO),
        }
        env.update(self._extra_env)
        return env

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        """Run `timeliste ARGS…` against this server's database; returns stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "timeliste", *args],
            input=stdin.encode() if stdin is not None else None,
            env=self.environment(),
            cwd=self.folder,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise LiveServerError(
                f"timeliste {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace')[-2000:]}"
            )
        return result.stdout.decode(errors="replace")

    def start(self) -> None:
        """Start the server (migrating the database first) and wait until it answers."""
        if self.running:
            return
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "timeliste",
                    "serve",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.environment(),
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LiveServerError(f"the server exited at start-up:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/healthz", timeout=1.0)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise LiveServerError(f"the server did not answer in time:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server; its database stays for `start()`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def __enter__(self) -> LiveServer:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- helpers over HTTP and the CLI ------------------------------------------------------

    def add_user(self, username: str, role: str, password: str = DEFAULT_PASSWORD) -> None:
        """A coordinator, payroll or admin login, made with `timeliste user add`."""
        self.cli("user", "add", username, "--role", role, "--password-stdin", stdin=password + "\n")

    def api(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        expect: int | None = None,
    ) -> httpx.Response:
        """One request to the API; `expect` checks the status code."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(
            method,
            f"{self.base_url}{path}",
            headers=headers,
            json=json,
            params=params,
            timeout=30.0,
        )
        if expect is not None and response.status_code != expect:
            raise LiveServerError(
                f"{method} {path} answered {response.status_code}, expected {expect}: "
                f"{response.text[:2000]}"
            )
        return response

    def login(self, username: str, password: str = DEFAULT_PASSWORD) -> str:
        """A fresh bearer token."""
        response = self.api(
            "POST",
            "/api/v1/auth/login",
            json={"username": username, "password": password},
            expect=200,
        )
        token: str = response.json()["token"]
        return token
