"""Password checks run in threads of lower scheduling priority than the rest of the server."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from argon2 import PasswordHasher

from server.services import auth


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="a per-thread nice value is Linux's")
def test_hash_threads_yield_but_the_caller_does_not() -> None:
    before = _own_niceness()
    pool = auth._hash_pool(2)
    inside = pool.submit(_own_niceness).result()
    assert inside >= auth.HASH_NICENESS
    assert _own_niceness() == before  # the server's other threads keep their priority


def _tasks() -> dict[int, int]:
    """This process's threads and their nice values (a thread that ended meanwhile is left out)."""
    result: dict[int, int] = {}
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/stat") as stat:
                result[int(task)] = int(stat.read().rsplit(")", 1)[1].split()[16])
        except OSError:
            continue
    return result


@pytest.mark.skipif(sys.platform != "linux", reason="a per-thread nice value is Linux's")
def test_argon2_lanes_inherit_the_lower_priority() -> None:
    # The lanes are threads libargon2 starts for each check: every thread that
    # appears while a slow check runs is one of them.
    hasher = PasswordHasher(time_cost=20, memory_cost=32768, parallelism=4)
    stored = hasher.hash("et passord som er langt")
    pool = auth._hash_pool(2)
    pool.submit(int).result()  # the pool's thread exists before we look
    existing = set(_tasks())
    lanes: dict[int, int] = {}
    done = pool.submit(hasher.verify, stored, "et passord som er langt")
    while not done.done():
        lanes.update({t: n for t, n in _tasks().items() if t not in existing})
    assert done.result() is True
    assert lanes, "no lane thread seen during the check"
    assert min(lanes.values()) >= auth.HASH_NICENESS
