"""A login flood and parallel guessing against `timeliste serve --workers 4` on PostgreSQL.

Over real HTTP on loopback, because what broke (issue 11, findings 1 and 2)
lives between processes: several workers' connection pools against
PostgreSQL's connection limit, and a throttle that must count guesses made
at the same moment in different processes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.server.conftest import _truncate_postgres
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.postgres

WORKERS = 4
POOL_SIZE = 2
MAX_OVERFLOW = 1
MAX_FAILURES = 10

# Argon2 costly enough that a hash takes a noticeable moment (as in
# production), cheap enough for a shared test machine.
ENV = {
    "TIMELISTE_ARGON2_TIME_COST": "2",
    "TIMELISTE_ARGON2_MEMORY_COST": "4096",
    "TIMELISTE_DB_POOL_SIZE": str(POOL_SIZE),
    "TIMELISTE_DB_MAX_OVERFLOW": str(MAX_OVERFLOW),
    "TIMELISTE_LOGIN_CONCURRENT_HASHES": "1",
    "TIMELISTE_LOGIN_QUEUE_SECONDS": "3",
    "TIMELISTE_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
    # The flood uses a new username each time from one address; let every
    # one of them reach the password check, which is what is measured.
    "TIMELISTE_LOGIN_ADDRESS_MAX_USERNAMES": "100000",
}


@pytest.fixture
def served(postgres_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    _truncate_postgres(postgres_database)
    with LiveServer(
        tmp_path, database_url=postgres_database, workers=WORKERS, env=ENV, startup_timeout=120
    ) as server:
        # /healthz answered by one worker; give the others their start-up too.
        for _ in range(40):
            server.api("GET", "/healthz", expect=200)
        time.sleep(1.0)
        yield server


class ConnectionPeak:
    """Samples how many connections the server holds to its database."""

    def __init__(self, url: str) -> None:
        self.database = make_url(url).database
        self.engine = create_engine(url, poolclass=None)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                count = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": self.database},
                ).scalar_one()
                self.peak = max(self.peak, int(count))
                conn.commit()
                time.sleep(0.01)

    def __enter__(self) -> ConnectionPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()


def _parallel_logins(base_url: str, bodies: list[dict[str, str]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            barrier.wait()
            return client.post("/api/v1/auth/login", json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def test_a_login_flood_is_answered_without_500_and_within_the_pools(
    served: LiveServer, postgres_database: str
) -> None:
    served.add_user("koordinator", "coordinator")
    token = served.login("koordinator")
    bodies = [{"username": f"ukjent-{n}", "password": f"gjetting-{n}"} for n in range(160)]
    during: list[int] = []

    def meanwhile() -> None:
        # The rest of the service keeps answering while logins queue.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            during.append(served.api("GET", "/api/v1/me", token=token).status_code)

    with ConnectionPeak(postgres_database) as peak:
        other = threading.Thread(target=meanwhile)
        other.start()
        answers = _parallel_logins(served.base_url, bodies)
        other.join()

    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {401, 429, 503}, (statuses, served.log_tail())
    assert statuses[401] > 0, statuses
    for answer in answers:
        assert answer.headers["content-type"].startswith("application/problem+json")
        if answer.status_code in (429, 503):
            assert int(answer.headers["Retry-After"]) >= 1
    assert during
    assert set(during) == {200}, during
    # Every worker together stays within its configured pool (PostgreSQL's limit is
    # shared with everyone else on the server).
    assert peak.peak <= WORKERS * (POOL_SIZE + MAX_OVERFLOW), peak.peak
    assert "too many clients" not in served.log_tail(100_000)


def test_parallel_guesses_on_four_workers_are_counted_exactly(
    served: LiveServer, postgres_database: str
) -> None:
    served.add_user("kari", "coordinator")
    bodies = [{"username": "kari", "password": f"gjetting-{n}"} for n in range(120)]
    answers = _parallel_logins(served.base_url, bodies)
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {401, 429, 503}, statuses
    # A 401 is a password that was checked; the limit holds however the
    # guesses are spread over the workers.
    assert statuses[401] <= MAX_FAILURES, statuses
    engine = create_engine(postgres_database)
    with engine.connect() as conn:
        counted = conn.execute(text("SELECT count(*) FROM login_failures")).scalar_one()
    engine.dispose()
    assert counted == statuses[401], (counted, statuses)
