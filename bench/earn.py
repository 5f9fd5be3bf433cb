"""Recording an earn versus the physical limit: a bare sqlite3 INSERT + COMMIT.

Both sides write the same row into the same journal table (same indexes) on the same
file system with WAL and ``synchronous=FULL``; the bare side has its rows prepared
in advance. The ratio shows what the Till adds (parsing, hashing, the chain read,
the balance read-back) on top of the one durable commit it cannot avoid.
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


def bare_insert_commit(path: Path, runs: int) -> list[float]:
    LocalStore.open(path, "BENCH-T1").close()  # the same schema, then raw sqlite3
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    sql = INSERT_SQL
    timings = []
    for row in prepared_rows(runs):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, row)
        conn.execute("COMMIT")
        timings.append(time.perf_counter() - started)
    conn.close()
    return timings


def till_earns(data_dir: Path, runs: int) -> list[float]:
    till = Till.open(TillConfig(terminal_id="BENCH-T1", data_dir=data_dir))
    cards = [make_card_number(n) for n in range(1, 201)]
    till.store.members.upsert_many(
        [CachedMember(c, c, "Bench", "", "active", False, "") for c in cards]
    )
    timings = []
    for run in range(runs):
        till.scan(cards[run % len(cards)])  # a new customer: not part of the earn
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
