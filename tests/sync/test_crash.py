"""SIGKILL during saves, many times: the store always opens and loses no confirmed save."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.crash import crash_once, seed_store

ROUNDS = 60


@pytest.mark.slow
def test_store_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    seed_store(path)
    rng = random.Random(20260331)
    expected: dict[str, str] = {}
    confirmed = interrupted = 0
    for _ in range(ROUNDS):
        result = crash_once(path, expected, rng, max_delay=0.08)
        confirmed += result.confirmed
        interrupted += result.leftovers > 0
    print(
        f"\n{ROUNDS} kills, {confirmed} confirmed saves, none lost; "
        f"{interrupted} kills landed mid-write"
    )
    # The kills must have hit something: saves returned, and some writes were cut short.
    assert confirmed > ROUNDS
    assert len(expected) > 0
