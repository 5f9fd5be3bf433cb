"""First pull of 1,000,000 members into an empty till, beside the limit.

A real ``pos-ledger serve`` process (SQLite, WAL, ``synchronous=FULL``) holds
1,000,000 members imported from a CSV with ``pos-ledger members import`` (timed
apart, not counted). An empty till with a ``[ledger]`` configuration then runs
``till.link.sync_now()`` over HTTP on 127.0.0.1: it pages through the ledger's
change feed, stages every page in its own transaction and applies the staged
members to the cache in one final transaction. The physical limit beside it: the
same 1,000,000 member rows (read back from the pulled till) written into a fresh
till's ``members`` table with one bare ``executemany`` and one commit.
Target (DESIGN.md): under 10 s.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.ledger_process import ledger_cli, running_ledger
from loyalty.cards import make_card_number
from pos_client.config import LedgerConfig, TillConfig
from pos_client.store import LocalStore
from pos_client.store.member_states import MEMBER_COLUMNS
from pos_client.till import Till

MEMBERS = int(os.environ.get("BENCH_PULL_MEMBERS", "1000000"))
TERMINAL = "BENCH-T1"
TARGET_S = 10.0


def members_csv(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("card,name,tier,balance\n")
        for n in range(1, count + 1):
            out.write(f"{make_card_number(n)},Member {n},,{n % 5000}\n")
    return path


def pull(data_dir: Path, url: str, token: str) -> tuple[float, int]:
    """Seconds for the first sync of an empty till, and how many members it cached."""
    ledger = LedgerConfig(url=url, token=token, timeout=120.0)
    till = Till.open(TillConfig(terminal_id=TERMINAL, data_dir=data_dir, ledger=ledger))
    try:
        assert till.link is not None
        started = time.perf_counter()
        result = till.link.sync_now()
        elapsed = time.perf_counter() - started
        cached = till.store.members.count()
    finally:
        till.close()
    assert result.pulled == MEMBERS, result
    return elapsed, cached


def bare_executemany(pulled: Path, fresh: Path) -> float:
    """The pulled rows (members and their cards) written into a fresh till's tables:
    one executemany each, one commit."""
    source = sqlite3.connect(str(pulled))
    rows = source.execute(f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members").fetchall()
    cards = source.execute("SELECT card, member_id, state FROM cards").fetchall()
    source.close()
    assert len(rows) == MEMBERS
    LocalStore.open(fresh, TERMINAL).close()  # the same schema, then raw sqlite3
    conn = sqlite3.connect(str(fresh), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    sql = (
        f"INSERT INTO members ({', '.join(MEMBER_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(MEMBER_COLUMNS))})"
    )
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, rows)
    conn.executemany("INSERT INTO cards (card, member_id, state) VALUES (?, ?, ?)", cards)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ledger_db = root / "ledger.sqlite"
        csv = members_csv(root / "members.csv", MEMBERS)
        started = time.perf_counter()
        ledger_cli("members", "import", str(csv), "--db", str(ledger_db))
        imported_in = time.perf_counter() - started
        token = ledger_cli("terminal", "add", TERMINAL, "--db", str(ledger_db)).split()[-1]
        with running_ledger(ledger_db) as url:
            pulled_in, cached = pull(root / "till", url, token)
        assert cached == MEMBERS, cached
        bare = bare_executemany(root / "till" / "till.sqlite", root / "bare.sqlite")
    print(f"== first pull of {MEMBERS:,} members into an empty till over loopback ==")
    print(f"(ledger import of the CSV, not counted: {imported_in:.1f} s)")
    for name, seconds in (
        ("till.link.sync_now() (first pull)", pulled_in),
        ("bare executemany (one commit)", bare),
    ):
        print(f"{name:34s} {seconds:7.2f} s   {MEMBERS / seconds:9,.0f} members/s")
    verdict = "met" if pulled_in < TARGET_S else "NOT met"
    print(f"ratio: {pulled_in / bare:.1f}x   target: under {TARGET_S:.0f} s ({verdict})")


if __name__ == "__main__":
    main()
