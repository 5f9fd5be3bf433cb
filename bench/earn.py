"""Recording an earn versus the physical limit: a bare sqlite3 INSERT + COMMIT.

Both sides write the same row into the same journal table (same indexes) on the same
file system with WAL and ``synchronous=FULL``; the bare side has its rows prepared
in advance. They run interleaved, earn by earn, and each timed step follows the same
untimed work (the next customer's card scanned), so neither runs with caches the
other has just warmed. The ratio shows what the Till adds (parsing, hashing, the chain read,
the member after the earn) on top of the one durable commit it cannot avoid.
Target (DESIGN.md): within 1.5x.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.sales import sale_chain
from loyalty.cards import make_card_number
from pos_client.config import TillConfig
from pos_client.store import CachedMember, LocalStore
from pos_client.store.journal import INSERT_SQL, journal_row
from pos_client.till import Till

RUNS = 2000


def prepared_rows(runs: int) -> list[tuple[object, ...]]:
    return [journal_row(e) for e in sale_chain("BENCH-T1", [make_card_number(1)], runs, 14990)]


def open_till(data_dir: Path) -> tuple[Till, list[str]]:
    till = Till.open(TillConfig(terminal_id="BENCH-T1", data_dir=data_dir))
    cards = [make_card_number(n) for n in range(1, 201)]
    till.store.members.upsert_many(
        [CachedMember(c, c, "Bench", "", "active", False, "") for c in cards]
    )
    return till, cards


def bare_connection(path: Path) -> sqlite3.Connection:
    LocalStore.open(path, "BENCH-T1").close()  # the same schema, then raw sqlite3
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def earns(root: Path, runs: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """Bare commits and earns, interleaved; each timed step follows the same untimed
    scan of the next customer, so both start from the same state of the caches.
    Returns wall times and CPU times (``time.thread_time``) of each side: on a loaded
    machine the wall time of a commit grows with the disk's queue, the CPU time of
    the Python work much less."""
    rows = prepared_rows(runs)
    bare = bare_connection(root / "bare.sqlite")
    till, cards = open_till(root / "till")
    bare_timings, till_timings, bare_cpu, till_cpu = [], [], [], []
    try:
        for run in range(runs):
            card = cards[run % len(cards)]
            till.scan(card)  # a new customer: not part of the earn
            cpu = time.thread_time()
            started = time.perf_counter()
            bare.execute("BEGIN IMMEDIATE")
            bare.execute(INSERT_SQL, rows[run])
            bare.execute("COMMIT")
            bare_timings.append(time.perf_counter() - started)
            bare_cpu.append(time.thread_time() - cpu)

            till.scan(card)
            cpu = time.thread_time()
            started = time.perf_counter()
            till.earn("149.90")
            till_timings.append(time.perf_counter() - started)
            till_cpu.append(time.thread_time() - cpu)
    finally:
        till.close()
        bare.close()
    return bare_timings, till_timings, bare_cpu, till_cpu


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"{name:28s} median {statistics.median(timings) * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bare, till, bare_cpu, till_cpu = earns(Path(tmp), RUNS)
    print(f"== recording an earn ({RUNS} runs, WAL + synchronous=FULL) ==")
    print(describe("bare INSERT+COMMIT", bare))
    print(describe("Till.earn", till))
    ratio = statistics.median(till) / statistics.median(bare)
    print(f"ratio (median): {ratio:.2f}x   target: within 1.5x")
    added = (statistics.median(till_cpu) - statistics.median(bare_cpu)) * 1e3
    print(
        f"CPU (median): bare {statistics.median(bare_cpu) * 1e3:.3f} ms, "
        f"Till.earn {statistics.median(till_cpu) * 1e3:.3f} ms (the till adds {added:.3f} ms)"
    )


if __name__ == "__main__":
    main()
