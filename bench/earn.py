"""Recording an earn versus the physical limit: a bare sqlite3 INSERT + COMMIT.

Both sides use the same file system, WAL and ``synchronous=FULL``, so the ratio shows
what the Till adds (validation, hashing, the chain read, the balance read-back) on top
of the one durable commit it cannot avoid. Target (DESIGN.md): within 1.5x.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from loyalty.cards import make_card_number
from pos_client.config import TillConfig
from pos_client.store import CachedMember
from pos_client.till import Till

RUNS = 2000


def bare_insert_commit(path: Path, runs: int) -> list[float]:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT, body TEXT)")
    timings = []
    for seq in range(1, runs + 1):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (seq, str(uuid.uuid4()), "x" * 200))
        conn.execute("COMMIT")
        timings.append(time.perf_counter() - started)
    conn.close()
    return timings


def till_earns(data_dir: Path, runs: int) -> list[float]:
    till = Till.open(TillConfig(terminal_id="BENCH-T1", data_dir=data_dir))
    card = make_card_number(1)
    till.store.members.upsert_many([CachedMember(card, "M1", "Bench", "", 0, "active", False, "")])
    till.scan(card)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        till.earn("149.90")
        timings.append(time.perf_counter() - started)
    till.close()
    return timings


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"{name:28s} median {statistics.median(timings) * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bare = bare_insert_commit(Path(tmp) / "bare.sqlite", RUNS)
        till = till_earns(Path(tmp) / "till", RUNS)
    print(f"== recording an earn ({RUNS} runs, WAL + synchronous=FULL) ==")
    print(describe("bare INSERT+COMMIT", bare))
    print(describe("Till.earn", till))
    ratio = statistics.median(till) / statistics.median(bare)
    print(f"ratio (median): {ratio:.2f}x   target: within 1.5x")


if __name__ == "__main__":
    main()
