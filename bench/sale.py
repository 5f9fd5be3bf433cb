"""Recording a 20-line sale at the till versus a bare sqlite3 INSERT + COMMIT.

A till (``pos_client.till.Till``, its clock fixed at :data:`bench.grocer.AT`) with
200 cached gold-tier members and :mod:`bench.grocer`'s products in its ``products``
table records 500 sales: for each, a member is scanned and 20 products are added
(with an own cup on every other coffee), untimed; then ``Till.finish_sale`` is
timed: taking the outcome the screen showed (or evaluating the basket again when
an input changed), building, hashing and appending the schema-2 sale event in one
durable transaction, the member after the sale and the receipt. It runs twice:
under the default points programme (one rule), and under :mod:`bench.grocer`'s
20-rule programme.

The CPU time of ``finish_sale`` (``time.thread_time``, which leaves out the wait
for the disk) is printed too, since other work on the machine moves both sides.

The physical limit, interleaved with it sale by sale: a bare ``sqlite3`` INSERT +
COMMIT of a prepared journal row of the same 20-line sale (made with the till's
recording fields) into another file of the same schema, with the same WAL and
``synchronous=FULL`` settings. Each timed step follows the same untimed work (a
member scanned and the basket filled; for the bare side, that basket is then
discarded), so neither starts with the CPU caches and SQLite pages the other has
just warmed. For comparison, the same bare commit right after the till's sale
(caches warm) is printed too. Target (DESIGN.md): within 2x.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import grocer
from bench.sales import VERSION_1, basket_sale_chain
from loyalty.cards import make_card_number
from loyalty.programme import Basket, MemberSnapshot, Programme, ProgrammeVersion
from pos_client.config import TillConfig
from pos_client.store import CachedMember, LocalStore
from pos_client.store.journal import INSERT_SQL, journal_row
from pos_client.store.transaction import write_transaction
from pos_client.till import Till

RUNS = 500
LINES = 20
MEMBERS = 200
TERMINAL = "BENCH-T1"
TARGET = 2.0


def bare_connection(path: Path) -> sqlite3.Connection:
    LocalStore.open(path, TERMINAL).close()  # the same schema, then raw sqlite3
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def bare_rows(version: ProgrammeVersion, cards: list[str]) -> list[tuple[object, ...]]:
    """Journal rows of the same 20-line sale, for a gold member, as the till records it."""
    basket = Basket(grocer.AT, TERMINAL.rpartition("-")[0], grocer.lines(LINES))
    events = basket_sale_chain(TERMINAL, cards, RUNS, version, basket, MemberSnapshot("gold"))
    return [journal_row(e) for e in events]


def open_till(data_dir: Path, programme: Programme, cards: list[str]) -> Till:
    config = TillConfig(terminal_id=TERMINAL, data_dir=data_dir, programme=programme)
    till = Till.open(config, clock=lambda: grocer.AT)
    till.store.members.upsert_many(
        CachedMember(card, f"M{n}", f"Member {n}", "gold", "active", False, "")
        for n, card in enumerate(cards, 1)
    )
    with write_transaction(till.store.conn) as conn:
        conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", grocer.product_rows())
    return till


def next_customer(till: Till, card: str) -> None:
    """A member scanned and their basket filled, as at the till (untimed)."""
    till.scan(card)
    fill_basket(till)


def fill_basket(till: Till) -> None:
    for line in grocer.lines(LINES):
        till.add_product(line.sku, line.qty)
        for flag in line.flags:
            till.toggle_flag(line.line, flag)


@dataclass
class Run:
    """One programme's timings (seconds) and the sizes of the recorded documents."""

    bare: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    """The same bare commit right after the till's sale (caches warm), for comparison."""
    till: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """``finish_sale``'s CPU time in this thread (no waiting for the disk)."""
    recorded: int = 0
    prepared: int = 0


def sales(root: Path, programme: Programme, version: ProgrammeVersion) -> Run:
    """The interleaved bare inserts and ``finish_sale`` calls for one programme."""
    cards = [make_card_number(n) for n in range(1, MEMBERS + 1)]
    rows = bare_rows(version, cards)
    bare = bare_connection(root / "bare.sqlite")
    warm = bare_connection(root / "warm.sqlite")
    till = open_till(root / "till", programme, cards)
    run = Run()
    try:
        for index in range(RUNS):
            card = cards[index % len(cards)]
            next_customer(till, card)  # untimed, as before the till's own sale below
            till.discard_sale()
            started = time.perf_counter()
            bare.execute("BEGIN IMMEDIATE")
            bare.execute(INSERT_SQL, rows[index])
            bare.execute("COMMIT")
            run.bare.append(time.perf_counter() - started)

            next_customer(till, card)
            cpu_started = time.thread_time()
            started = time.perf_counter()
            till.finish_sale()
            run.till.append(time.perf_counter() - started)
            run.cpu.append(time.thread_time() - cpu_started)

            started = time.perf_counter()
            warm.execute("BEGIN IMMEDIATE")
            warm.execute(INSERT_SQL, rows[index])
            warm.execute("COMMIT")
            run.warm.append(time.perf_counter() - started)
        run.recorded = int(
            till.store.conn.execute(
                "SELECT length(document) FROM journal ORDER BY seq DESC LIMIT 1"
            ).fetchone()[0]
        )
    finally:
        till.close()
        bare.close()
        warm.close()
    run.prepared = len(str(rows[-1][-1]))
    return run


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"{name:34s} median {statistics.median(timings) * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms"


def main() -> None:
    grocer_version = grocer.version()
    cases = (
        ("default points programme (1 rule)", VERSION_1.programme, VERSION_1),
        ("20-rule programme (bench.grocer)", grocer_version.programme, grocer_version),
    )
    print(f"== recording a {LINES}-line sale ({RUNS} sales, WAL + synchronous=FULL) ==")
    for index, (name, programme, version) in enumerate(cases):
        with tempfile.TemporaryDirectory() as tmp:
            found = sales(Path(tmp), programme, version)
        bare, till, cpu = found.bare, found.till, found.cpu
        if index:
            print()
        print(
            f"-- {name}: event document {found.recorded} bytes (bare row: {found.prepared} bytes)"
        )
        print(describe("bare INSERT+COMMIT", bare))
        print(describe("Till.finish_sale", till))
        print(describe("  its CPU time (no fsync wait)", cpu))
        added = statistics.median(till) - statistics.median(bare)
        print(f"{'what the till adds (median - median)':34s}        {added * 1e3:7.3f} ms")
        ratio = statistics.median(till) / statistics.median(bare)
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"ratio (median): {ratio:.2f}x   target: within {TARGET:.0f}x ({verdict})")
        print(describe("for comparison: bare, caches warm", found.warm))
        warm_ratio = statistics.median(till) / statistics.median(found.warm)
        print(f"ratio to it (median): {warm_ratio:.2f}x")


if __name__ == "__main__":
    main()
