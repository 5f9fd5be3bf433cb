"""Pushing 100,000 queued events to the ledger over loopback, beside the limit.

The till's journal is filled with 100,000 one-line sales for 1,000 members; the sync engine
pushes them to a real ledger process (SQLite, WAL, synchronous=FULL) over HTTP on
127.0.0.1 in batches of 1,000. In the same run, the same rows are written into a
fresh ledger database of the same schema with one bare ``executemany`` and one
commit: the physical limit of storing them. ``BENCH_POSTGRES=postgresql://...``: the
ledger and the bare insert on PostgreSQL instead, each in a fresh schema. Targets
(DESIGN.md): at least 20,000 events/s, and within 5x of the bare executemany.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.ledger_process import ledger_cli, postgres_schema, running_ledger
from bench.sales import sale_chain
from ledger.db import connect
from ledger.event_store import EVENT_COLUMNS
from ledger.schema import migrate
from loyalty.canonical import canonical_json
from loyalty.cards import make_card_number
from loyalty.events import Event
from pos_client.store import CachedMember, LocalStore
from pos_client.store.journal import INSERT_SQL, journal_row
from pos_client.store.sync_side import StoreSyncSide
from pos_client.store.transaction import write_transaction
from sync.client import LedgerClient
from sync.engine import SyncEngine

EVENTS = int(os.environ.get("BENCH_PUSH_EVENTS", "100000"))
MEMBERS = 1_000
BATCH = 1_000
TERMINAL = "BENCH-T1"


def make_events() -> list[Event]:
    cards = [make_card_number(n) for n in range(1, MEMBERS + 1)]
    return sale_chain(TERMINAL, cards, EVENTS, 14990)


def fill_till(path: Path, events: list[Event]) -> LocalStore:
    store = LocalStore.open(path, TERMINAL)
    store.members.upsert_many(
        CachedMember(make_card_number(n), f"M{n}", f"Member {n}", "", "active", False, "")
        for n in range(1, MEMBERS + 1)
    )
    with write_transaction(store.conn) as conn:
        conn.executemany(INSERT_SQL, [journal_row(e) for e in events])
    return store


def members_csv(path: Path) -> Path:
    lines = ["card,name,tier,balance"]
    lines += [f"{make_card_number(n)},Member {n},,0" for n in range(1, MEMBERS + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def ledger_database(path: Path) -> Iterator[str]:
    """Where a ledger lives: ``path`` (SQLite), or a fresh PostgreSQL schema."""
    dsn = os.environ.get("BENCH_POSTGRES")
    if not dsn:
        yield str(path)
        return
    with postgres_schema(dsn) as url:
        yield url


def bare_executemany(db_url: str, events: list[Event]) -> float:
    db = connect(db_url)
    migrate(db)
    rows = [
        (e.event_id, e.terminal_id, e.seq, str(e.kind), e.card, "M1", e.recorded_at,
         e.recorded_at, None, e.prev_hash, e.hash, canonical_json(e.postings), e.document(),
         e.seq, "", "2026-01-01T00:00:00Z")
        for e in events
    ]  # fmt: skip
    sql = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 16)})"
    started = time.perf_counter()
    with db.write() as tx:
        tx.executemany(sql, rows)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def main() -> None:
    events = make_events()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        ledger_db = stack.enter_context(ledger_database(root / "ledger.sqlite"))
        ledger_cli("members", "import", str(members_csv(root / "m.csv")), "--db", ledger_db)
        token = ledger_cli("terminal", "add", TERMINAL, "--db", ledger_db).split()[-1]
        store = fill_till(root / "till.sqlite", events)
        with running_ledger(ledger_db) as url:
            client = LedgerClient(url, token, TERMINAL, timeout=60)
            engine = SyncEngine(StoreSyncSide(store), client, batch_size=BATCH)
            started = time.perf_counter()
            result = engine.run_once()
            pushed_in = time.perf_counter() - started
            client.close()
        assert result.pushed == EVENTS, result
        assert store.pending_count() == 0
        store.close()
        with ledger_database(root / "bare.sqlite") as bare_db:
            bare = bare_executemany(bare_db, events)
    backend = "PostgreSQL" if os.environ.get("BENCH_POSTGRES") else "SQLite"
    print(f"== pushing {EVENTS:,} queued events over loopback (batches of {BATCH}, {backend}) ==")
    print(f"sync engine push + settle     {pushed_in:7.2f} s   {EVENTS / pushed_in:9,.0f} events/s")
    print(f"bare executemany (one commit) {bare:7.2f} s   {EVENTS / bare:9,.0f} events/s")
    print(f"ratio: {pushed_in / bare:.1f}x   targets: >= 20,000 events/s, within 5x")


if __name__ == "__main__":
    main()
