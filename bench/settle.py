"""``pos-ledger settle`` over 1,000,000 members, beside the physical limit.

A ledger database (SQLite, WAL, synchronous=FULL) holds 1,000,000 members, each with
200 points in one lot whose last day is 31 July 2026 and 50 in a lot that never
expires, as pushes under an expiring programme leave them; the members, their
accounts and their lots are written with bare SQL (setting them up through pushes
would take longer than the settle). Then :func:`ledger.settle.settle` runs as of
1 August 2026: it expires 200 points of every member with one ``expire`` event each
(the ledger's own chain), updates the lots, the members and their change numbers, in
chunks of 500 members per transaction. It is timed, then run again (nothing to do).

The physical limit, in the same run: the rows that settle wrote (events, lot moves,
lots, members), copied from the settled database and written into a fresh copy of
the unsettled one with bare ``executemany`` calls in transactions of the same size.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

from ledger import programmes
from ledger.cli import open_ledger
from ledger.settle import settle
from loyalty.canonical import canonical_json
from loyalty.cards import make_card_number
from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document

MEMBERS = int(os.environ.get("BENCH_SETTLE_MEMBERS", "1000000"))
CHUNK = 500


def expiring_programme() -> dict[str, object]:
    document = simple_programme_document(timezone="Europe/Oslo")
    document["programme"] = {**document["programme"], "engine": 2, "id": "expiring"}  # type: ignore[dict-item]
    document["wallets"] = [{"id": "points", "expiry": {"months": 6}}]
    return document


def build(path: Path) -> None:
    """A ledger with :data:`MEMBERS` members and their lots (see the module doc)."""
    db, _ = open_ledger(f"sqlite:///{path}")
    try:
        with db.write() as tx:
            programmes.publish_version(
                tx,
                parse_programme(expiring_programme(), "expiring"),
                "2026-01-01T00:00",
                check_lead=False,
            )
    finally:
        db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        accounts = canonical_json({"points": 250})
        conn.executemany(
            "INSERT INTO members (member_id, card, name, tier, opening_balance, accounts, "
            "rewards, status, flagged, flag_reasons, change_no) "
            "VALUES (?, ?, ?, '', 0, ?, '[]', 'active', 0, '[]', ?)",
            (
                (f"M{n:07d}", make_card_number(n), f"Member {n}", accounts, n)
                for n in range(1, MEMBERS + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO lots (member_id, wallet, last_day, remaining) VALUES (?, 'points', ?, ?)",
            (
                row
                for n in range(1, MEMBERS + 1)
                for row in ((f"M{n:07d}", "2026-07-31", 200), (f"M{n:07d}", "", 50))
            ),
        )
        conn.execute("UPDATE counters SET value = ? WHERE name = 'changes'", (MEMBERS + 10,))
        conn.execute("COMMIT")
    finally:
        conn.close()


def bare_limit(settled: Path, unsettled: Path) -> float:
    """Seconds to write what settle wrote into a copy of the unsettled database."""
    source = sqlite3.connect(settled)
    try:
        events = source.execute(
            "SELECT * FROM events WHERE terminal_id = 'LEDGER' ORDER BY seq"
        ).fetchall()
        moves = source.execute("SELECT * FROM lot_moves").fetchall()
        lots = source.execute(
            "SELECT remaining, member_id, wallet, last_day FROM lots WHERE last_day <> ''"
        ).fetchall()
        members = source.execute(
            "SELECT accounts, expiring, change_no, member_id FROM members"
        ).fetchall()
    finally:
        source.close()
    conn = sqlite3.connect(unsettled, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    marks = ",".join("?" * len(events[0])) if events else ""
    started = time.perf_counter()
    for start in range(0, len(events), CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO events VALUES ({marks})", events[start : start + CHUNK])
        conn.executemany(
            "INSERT INTO lot_moves VALUES (?, ?, ?, ?, ?, ?)", moves[start : start + CHUNK]
        )
        conn.executemany(
            "UPDATE lots SET remaining = ? WHERE member_id = ? AND wallet = ? AND last_day = ?",
            lots[start : start + CHUNK],
        )
        conn.executemany(
            "UPDATE members SET accounts = ?, expiring = ?, change_no = ? WHERE member_id = ?",
            members[start : start + CHUNK],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    print(f"== pos-ledger settle over {MEMBERS:,} members (SQLite, WAL + synchronous=FULL) ==")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        started = time.perf_counter()
        build(path)
        print(
            f"set up {MEMBERS:,} members with two lots each "
            f"in {time.perf_counter() - started:.1f} s"
        )
        unsettled = Path(tmp) / "unsettled.sqlite"
        shutil.copyfile(path, unsettled)
        db, _ = open_ledger(f"sqlite:///{path}")
        try:
            started = time.perf_counter()
            report = settle(db, date(2026, 8, 1))
            elapsed = time.perf_counter() - started
            started = time.perf_counter()
            again = settle(db, date(2026, 8, 1))
            second = time.perf_counter() - started
        finally:
            db.close()
        assert report.events == MEMBERS and report.expired == {"points": 200 * MEMBERS}
        assert again.events == 0
        bare = bare_limit(path, unsettled)
    print(
        f"settle: {elapsed:.1f} s ({MEMBERS / elapsed:,.0f} members/s), "
        f"{report.events:,} expire events"
    )
    print(f"again (nothing to do): {second:.2f} s")
    print(
        f"bare executemany of the same rows: {bare:.1f} s ({MEMBERS / bare:,.0f} members/s); "
        f"ratio {elapsed / bare:.1f}x"
    )


if __name__ == "__main__":
    main()
