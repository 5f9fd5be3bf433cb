"""PostgreSQL's own figures for a load run.

- ``pg_stat_database`` deltas (commits, rollbacks, blocks hit/read, deadlocks): these
  count the whole database, so other work on the same database during the run is in
  them too;
- ``pg_stat_user_tables``/``pg_statio_user_tables`` deltas of the run's own schema
  (tuples inserted/updated, blocks hit/read): exactly the ledger's tables;
- ``pg_stat_activity`` sampled while the run goes: sessions of the ledger
  (:data:`bench.load.seed.APPLICATION_NAME`) waiting on a lock, and for which lock.

PostgreSQL publishes a backend's counters when its transaction ends, at most once a
second: :func:`snapshot` is taken after a pause (:data:`SETTLE_S`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from bench.load.seed import APPLICATION_NAME

SETTLE_S = 1.5
SAMPLE_EVERY_S = 0.25

_DATABASE = (
    "SELECT xact_commit, xact_rollback, blks_hit, blks_read, deadlocks, "
    "tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()"
)
_DATABASE_NAMES = ("commits", "rollbacks", "blocks hit", "blocks read", "deadlocks")
_SCHEMA = (
    "SELECT COALESCE(SUM(t.n_tup_ins), 0), COALESCE(SUM(t.n_tup_upd), 0), "
    "COALESCE(SUM(t.n_tup_hot_upd), 0), COALESCE(SUM(io.heap_blks_hit + "
    "COALESCE(io.idx_blks_hit, 0)), 0), COALESCE(SUM(io.heap_blks_read + "
    "COALESCE(io.idx_blks_read, 0)), 0) FROM pg_stat_user_tables t JOIN "
    "pg_statio_user_tables io ON io.relid = t.relid WHERE t.schemaname = %s"
)
_SCHEMA_NAMES = (
    "tuples inserted", "tuples updated", "of which HOT", "table+index blocks hit",
    "table+index blocks read",
)  # fmt: skip
_WAITING = (
    "SELECT wait_event FROM pg_stat_activity WHERE application_name = %s "
    "AND wait_event_type = 'Lock'"
)


def snapshot(dsn: str, schema: str) -> dict[str, int]:
    """The counters now (database-wide and the schema's own), after :data:`SETTLE_S`."""
    time.sleep(SETTLE_S)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        database = conn.execute(_DATABASE).fetchone()
        own = conn.execute(_SCHEMA, (schema,)).fetchone()
    assert database is not None and own is not None
    figures = {f"db {name}": int(v) for name, v in zip(_DATABASE_NAMES, database, strict=False)}
    figures |= {f"schema {name}": int(v) for name, v in zip(_SCHEMA_NAMES, own, strict=True)}
    return figures


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after}


@dataclass
class LockSampler:
    """Samples the ledger's sessions waiting on a lock, every :data:`SAMPLE_EVERY_S`,
    on its own thread between :meth:`start` and :meth:`stop`."""

    dsn: str
    samples: int = 0
    samples_with_waits: int = 0
    max_waiting: int = 0
    waits_by_lock: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lock-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
            while not self._stop.wait(SAMPLE_EVERY_S):
                rows = conn.execute(_WAITING, (APPLICATION_NAME,)).fetchall()
                self.samples += 1
                if rows:
                    self.samples_with_waits += 1
                    self.max_waiting = max(self.max_waiting, len(rows))
                    self.waits_by_lock.update(str(r[0]) for r in rows)
