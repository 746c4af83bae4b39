"""A login flood and parallel password guessing against `timeliste serve --workers N`.

    .venv/bin/python bench/bench_login.py --database-url postgresql+psycopg://USER@127.0.0.1/DB
        [--workers 4] [--flood 160] [--guesses 120]

The database must be PostgreSQL (an admin URL: the bench makes and drops its
own database). The server runs as in production: real Argon2id costs (64 MiB,
3 passes), the documented pool sizes, on 127.0.0.1 only. In one run:

1. flood: `--flood` logins with unknown usernames sent at once; prints how
   many were answered, by status, how many 5xx (must be 0: 503 with
   Retry-After is the only "busy" answer), the wall time, and the workers'
   peak memory (sum of their resident set sizes, sampled every 20 ms);
2. baseline: the same number of raw Argon2id checks in this process, two at
   a time (the server's per-worker bound), and the ratio flood time / raw time;
3. guesses: `--guesses` wrong passwords for ONE username sent at once; prints
   how many passwords were actually checked (401 answers, and the failure rows
   counted in the database) against the limit (must be ≤ it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.live_server import LiveServer

LIMIT = 10
PASSWORD = "bench-passord-123"


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except OSError:
        return []


class PeakMemory:
    """The largest sum of the server's processes' RSS seen while running."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kib = 0
        self.start_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        pids = [self.root, *_children(self.root)]
        # uvicorn's workers are started through multiprocessing: grandchildren too.
        for pid in list(pids[1:]):
            pids.extend(_children(pid))
        return sum(_rss_kib(pid) for pid in pids)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self._total())
            time.sleep(0.02)

    def __enter__(self) -> PeakMemory:
        self.start_kib = self._total()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _at_once(base_url: str, bodies: list[dict[str, str]]) -> list[httpx.Response | None]:
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, str]) -> httpx.Response | None:
        with httpx.Client(base_url=base_url, timeout=180) as client:
            barrier.wait()
            try:
                return client.post("/api/v1/auth/login", json=body)
            except httpx.TransportError:
                return None

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def _statuses(answers: list[httpx.Response | None]) -> Counter[str]:
    return Counter(str(a.status_code) if a is not None else "no answer" for a in answers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TIMELISTE_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--flood", type=int, default=160)
    parser.add_argument("--guesses", type=int, default=120)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL admin URL with --database-url")

    name = f"bench_login_{secrets.token_hex(4)}"
    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    production_argon2 = {
        "TIMELISTE_ARGON2_TIME_COST": "3",
        "TIMELISTE_ARGON2_MEMORY_COST": "65536",
        "TIMELISTE_ARGON2_PARALLELISM": "4",
        "TIMELISTE_LOGIN_MAX_FAILURES": str(LIMIT),
        # Every flood login a different username from one address: let them
        # all reach the password check, which is the load being measured.
        "TIMELISTE_LOGIN_ADDRESS_MAX_USERNAMES": str(10 * args.flood),
    }
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            LiveServer(
                Path(folder),
                database_url=url,
                workers=args.workers,
                env=production_argon2,
                startup_timeout=180,
            ) as server,
        ):
            for _ in range(4 * args.workers):
                server.api("GET", "/healthz", expect=200)
            time.sleep(2)
            server.add_user("kari", "coordinator", PASSWORD)
            assert server._process is not None
            bodies = [
                {"username": f"ukjent-{n}", "password": f"gjett-{n}"} for n in range(args.flood)
            ]
            with PeakMemory(server._process.pid) as memory:
                started = time.perf_counter()
                answers = _at_once(server.base_url, bodies)
                flood_seconds = time.perf_counter() - started
            flood = _statuses(answers)
            five_xx = sum(n for code, n in flood.items() if code.startswith("5") and code != "503")
            print(
                f"flood: {args.flood} parallel logins, {args.workers} workers: "
                f"answered {sum(n for c, n in flood.items() if c != 'no answer')}, "
                f"statuses {dict(sorted(flood.items()))}, 5xx other than 503: {five_xx}, "
                f"in {flood_seconds:.1f} s"
            )
            print(
                f"workers' memory: {memory.start_kib / 1024:.0f} MiB before, "
                f"peak {memory.peak_kib / 1024:.0f} MiB during the flood"
            )

            hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
            stored = hasher.hash("noe-annet")

            def raw(n: int) -> None:
                # A wrong password is the point: the check ends in VerifyMismatchError.
                with contextlib.suppress(VerifyMismatchError):
                    hasher.verify(stored, f"gjett-{n}")

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(raw, range(args.flood)))
            raw_seconds = time.perf_counter() - started
            print(
                f"baseline: {args.flood} raw Argon2id checks, 2 at a time, in {raw_seconds:.1f} s; "
                f"ratio flood / raw = {flood_seconds / raw_seconds:.2f}"
            )

            guesses = [{"username": "kari", "password": f"gjett-{n}"} for n in range(args.guesses)]
            answers = _at_once(server.base_url, guesses)
            guessed = _statuses(answers)
            engine = create_engine(url)
            with engine.connect() as conn:
                # Flood usernames failed once each; kari's key holds every guess counted.
                counted = conn.execute(
                    text(
                        "SELECT max(n) FROM (SELECT count(*) AS n FROM login_failures "
                        "GROUP BY username) AS per_key"
                    )
                ).scalar_one()
            engine.dispose()
            checked = guessed.get("401", 0)
            print(
                f"guesses: {args.guesses} parallel wrong passwords for one user: "
                f"{checked} passwords checked (401), {counted} failures counted in the database, "
                f"statuses {dict(sorted(guessed.items()))}; limit {LIMIT}: "
                f"{'held' if checked <= LIMIT and counted <= LIMIT else 'BROKEN'}"
            )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
