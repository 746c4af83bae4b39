"""SIGKILL the device store's writer at random moments, many times, and count.

    .venv/bin/python bench/crash_store.py [--rounds 1000] [--max-delay 0.08]

Each round forks a writer that saves entries (new ones and edits) in a loop,
kills it with SIGKILL after a random delay, reopens the store and checks that
every save that had returned is there and still queued for the server. The
store is started afresh every 100 rounds so it stays phone-sized.

For contrast it then does the same to plain TinyDB with its default
JSONStorage (rewrite in place), counting rounds after which the file no
longer opens or has lost confirmed inserts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import select
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import TinyDB
from tinydb.storages import JSONStorage, Storage

from tests.support.crash import crash_once, seed_store


def device_store_rounds(rounds: int, max_delay: float, seed: int) -> None:
    rng = random.Random(seed)
    confirmed = in_compaction = torn = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.json"
        expected: dict[str, str] = {}
        for number in range(rounds):
            if number % 100 == 0:
                for stale in Path(folder).iterdir():
                    stale.unlink()
                seed_store(path)
                expected = {}
            result = crash_once(path, expected, rng, max_delay)
            confirmed += result.confirmed
            in_compaction += result.leftovers > 0 or result.stale_journal
            torn += result.torn
    elapsed = time.perf_counter() - started
    print(
        f"DeviceStore: {rounds} SIGKILLs, {confirmed} confirmed saves, 0 lost, "
        f"store opened after every kill; {in_compaction} kills landed in a compaction, "
        f"{torn} cut a journal line short ({elapsed:.1f} s)"
    )


def _raw_writer(path: Path, storage: type[Storage], report: int) -> None:  # child
    # Inserts of varied size and removals of the filler documents, so the file
    # sometimes shrinks: JSONStorage then truncates after writing, and a kill
    # in between leaves the old tail behind the new content.
    db = TinyDB(path, storage=storage)
    rng = random.Random(os.getpid())
    number = 0
    while True:
        number += 1
        db.insert({"n": number, "payload": "x" * rng.randrange(0, 4000)})
        db.remove(doc_ids=[rng.randrange(1, 301)])
        os.write(report, f"{number}\n".encode())


def raw_rounds(storage: type[Storage], rounds: int, max_delay: float, seed: int) -> tuple[int, int]:
    """(rounds after which the file did not open, rounds that lost confirmed inserts)."""
    rng = random.Random(seed)
    broken = lost = 0
    with tempfile.TemporaryDirectory() as folder:
        for number in range(rounds):
            path = Path(folder) / f"raw-{number}.json"
            # A store with some history, as a phone has.
            with TinyDB(path, storage=storage) as db:
                db.insert_multiple({"n": -i, "payload": "y" * 200} for i in range(300))
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                try:
                    _raw_writer(path, storage, write_end)
                finally:
                    os._exit(0)
            os.close(write_end)
            deadline = time.monotonic() + rng.uniform(0, max_delay)
            buffer = b""
            while (remaining := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([read_end], [], [], remaining)
                if ready:
                    buffer += os.read(read_end, 65536)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            while chunk := os.read(read_end, 65536):
                buffer += chunk
            os.close(read_end)
            confirmed = {int(line) for line in buffer.decode().split()}
            try:
                with TinyDB(path, storage=storage) as db:
                    present = {doc["n"] for doc in db.all()}
            except Exception:
                broken += 1
                continue
            if not confirmed <= present:
                lost += 1
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return broken, lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--raw-rounds", type=int, default=200)
    parser.add_argument("--max-delay", type=float, default=0.08)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    device_store_rounds(args.rounds, args.max_delay, args.seed)
    broken, lost = raw_rounds(JSONStorage, args.raw_rounds, args.max_delay, args.seed)
    print(
        f"plain TinyDB + JSONStorage (default): {args.raw_rounds} SIGKILLs, "
        f"{broken} left a file that does not open, {lost} lost confirmed inserts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
