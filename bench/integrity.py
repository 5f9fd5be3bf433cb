"""The checks the till makes before it starts on its database, on a year's journal.

``pos_client.store.integrity.inspect_database`` reads the file's header, runs
``quick_check`` on every table but the member cache, and reads the ids and the
journal's tip. Its cost grows with the journal, so it is measured on a journal of
100,000 events (about a year of a busy till), beside the physical limit measured in
the same run: one plain read of every journal row. The start as a whole must stay
under 1.5 s (docs/PERFORMANCE.md, "Till start to ready").
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from pos_client.config import TillConfig
from pos_client.store.integrity import inspect_database
from pos_client.till import Till

EVENTS = 100_000
REPEATS = 5
DOCUMENT = "x" * 600
"""About the size of a sale's canonical document."""


def fill_journal(path: Path) -> None:
    """Rows of the journal's shape (their content is not checked by the start)."""
    with closing(sqlite3.connect(path)) as conn:
        columns = [str(r[1]) for r in conn.execute("PRAGMA table_info(journal)")]
        rows = []
        for seq in range(1, EVENTS + 1):
            row: dict[str, object] = dict.fromkeys(columns, "")
            row.update(seq=seq, event_id=f"e{seq}", kind="sale", hash=f"{seq:064d}")
            row.update(document=DOCUMENT, postings="{}")
            rows.append(tuple(row[c] for c in columns))
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO journal ({', '.join(columns)}) VALUES ({marks})", rows)
        conn.commit()


def median_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_journal(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("SELECT count(*), sum(length(document)) FROM journal").fetchone()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = TillConfig(terminal_id="BENCH-T1", data_dir=Path(tmp))
        Till.open(config).close()
        fill_journal(config.database_path)
        size_mb = config.database_path.stat().st_size / 1e6
        checks = median_seconds(lambda: inspect_database(config.database_path))
        limit = median_seconds(lambda: read_journal(config.database_path))
    print(f"== the start's database checks ({EVENTS:,} journal events, {size_mb:.0f} MB) ==")
    print(f"one plain read of the journal        median {limit:6.3f} s")
    print(f"inspect_database (quick_check, tip)  median {checks:6.3f} s")
    verdict = "met" if checks < 1.5 else "NOT met"
    print(f"ratio: {checks / limit:.1f}x   within the 1.5 s start: {verdict}")


if __name__ == "__main__":
    main()
