"""What a push waits for on PostgreSQL: its terminal and its members, nothing else.

Parallelism is shown by holding a lock in a separate connection and watching
another push complete, not by timing. A push that cannot get its lock within the
server's ``lock_timeout`` answers 503, which the till's client treats as "retry
later"; once the holder lets go, the same batch lands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from ledger.db import WRITERS_GATE, PostgresDatabase, connect
from ledger.errors import StorageError
from ledger.locking import MEMBER, key_id
from ledger.pg_session import Timeouts
from sync.client import LedgerClient
from sync.errors import LedgerUnavailable
from sync.protocol import PushResponse
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    database_url,
    fresh_card,
    fresh_terminal_name,
    start_ledger,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHandle]:
    """A PostgreSQL ledger whose pushes give up waiting for a lock after 0.5 s."""
    directory = tmp_path_factory.mktemp("ledger-locks")
    with (
        database_url("postgres", directory) as url,
        start_ledger(url, directory, ["--lock-timeout", "0.5"]) as handle,
    ):
        yield handle


class Till:
    """One terminal pushing through the till's own client."""

    def __init__(self, ledger: LedgerHandle) -> None:
        name = fresh_terminal_name("L")
        self.chain = EventChain(name)
        self.client = LedgerClient(ledger.url, ledger.add_terminal(name), name)

    def earn(self, card: str, amount_minor: int = 1_000) -> PushResponse:
        return self.client.push([self.chain.earn(card, amount_minor)])


def _scope(ledger: LedgerHandle) -> int:
    db = connect(ledger.db_url)
    try:
        assert isinstance(db, PostgresDatabase)
        return db.scope
    finally:
        db.close()


def _balance(ledger: LedgerHandle, card: str) -> int:
    watcher = ledger.client(ledger.add_terminal())
    return int(watcher.get(f"/v1/members/{card}").json()["member"]["balance"])


def test_a_push_proceeds_while_another_members_row_is_held(pg_ledger: LedgerHandle) -> None:
    first, second = Till(pg_ledger), Till(pg_ledger)
    held_card, free_card = fresh_card(), fresh_card()
    first.earn(held_card)
    second.earn(free_card)
    holder = psycopg.connect(pg_ledger.db_url)
    try:  # the lock a push takes on the member (its id is "M" + card, as the chain sends)
        member = key_id(MEMBER, "M" + held_card)
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_scope(pg_ledger), member))
        answer = second.earn(free_card)  # another member: not held up
        assert answer.results[0].status == "accepted"
        waiting = first.chain.earn(held_card, 1_000)
        with pytest.raises(LedgerUnavailable) as refused:
            first.client.push([waiting])
        assert refused.value.retryable and "503" in str(refused.value)
        holder.rollback()
        answer = first.client.push([waiting])  # the till's retry, once the row is free
        assert [r.status for r in answer.results] == ["accepted"]
    finally:
        holder.close()
        first.client.close()
        second.client.close()
    assert _balance(pg_ledger, held_card) == _balance(pg_ledger, free_card) == 20
    assert pg_ledger.admin("verify").returncode == 0


def test_a_stalled_admin_transaction_makes_a_push_answer_503(pg_ledger: LedgerHandle) -> None:
    till = Till(pg_ledger)
    card = fresh_card()
    event = till.chain.earn(card, 1_000)
    stalled = psycopg.connect(pg_ledger.db_url)
    try:
        gate = (_scope(pg_ledger), WRITERS_GATE)
        stalled.execute("SELECT pg_advisory_xact_lock(%s, %s)", gate)  # as an admin write
        with pytest.raises(LedgerUnavailable):
            till.client.push([event])
        stalled.rollback()
        assert [r.status for r in till.client.push([event]).results] == ["accepted"]
    finally:
        stalled.close()
        till.client.close()


def test_an_idle_transaction_is_ended_and_frees_its_locks(pg_ledger: LedgerHandle) -> None:
    till = Till(pg_ledger)
    event = till.chain.earn(fresh_card(), 1_000)
    idle = connect(pg_ledger.db_url, Timeouts(idle_in_transaction_ms=100))
    answers: list[PushResponse] = []
    try:
        with pytest.raises(StorageError, match="idle"), idle.write() as tx:
            # This exclusive transaction idles while the push waits at the gate; the
            # server ends the idle session, the push lands, and this one is gone.
            for _ in range(10):  # each try waits at most the 0.5 s lock timeout
                try:
                    answers.append(till.client.push([event]))
                    break
                except LedgerUnavailable:
                    continue
            tx.query("SELECT 1")
    finally:
        idle.close()
        till.client.close()
    assert [r.status for r in answers[0].results] == ["accepted"]


TERMINALS = 8
BATCHES = 6
EVENTS = 10
CARDS = 3


def test_pushes_on_the_same_members_queue_and_leave_no_hole(
    pg_ledger: LedgerHandle, tmp_path: Path
) -> None:
    """Eight tills push to the same three members at once; a reader meanwhile checks
    in every snapshot that the ledger's order has no hole (its count equals its top
    number: the same counter scheme as the changes feed)."""
    cards = [fresh_card() for _ in range(CARDS)]
    tills = [Till(pg_ledger) for _ in range(TERMINALS)]
    reader = connect(pg_ledger.db_url)
    stop = threading.Event()

    def push_all(till: Till) -> int:
        for batch in range(BATCHES):
            events = [till.chain.earn(cards[(batch + i) % CARDS], 500) for i in range(EVENTS)]
            for _attempt in range(20):  # a 503 is retried, as the till does
                try:
                    answer = till.client.push(events)
                    break
                except LedgerUnavailable:
                    continue
            assert answer.stopped_at is None
        return answer.high_water

    def read_order() -> int:
        reads = 0
        for _ in range(100_000):
            if stop.is_set():
                break
            with reader.snapshot() as tx:
                row = tx.one("SELECT count(*), coalesce(max(ledger_seq), 0) FROM events")
            assert row is not None and row[0] == row[1], f"a hole in the ledger's order: {row}"
            reads += 1
            time.sleep(0.005)  # leave the two cores to the pushes
        return reads

    try:
        with ThreadPoolExecutor(max_workers=TERMINALS + 1) as pool:
            reading = pool.submit(read_order)
            high_waters = list(pool.map(push_all, tills))
            stop.set()
            assert reading.result(timeout=120) > 0
    finally:
        stop.set()
        reader.close()
        for till in tills:
            till.client.close()
    assert high_waters == [BATCHES * EVENTS] * TERMINALS
    each = TERMINALS * BATCHES * EVENTS // CARDS * 5
    before = {card: _balance(pg_ledger, card) for card in cards}
    assert before == {card: each for card in cards}
    assert pg_ledger.admin("verify").returncode == 0
    assert pg_ledger.admin("rebuild").returncode == 0
    assert {card: _balance(pg_ledger, card) for card in cards} == before
