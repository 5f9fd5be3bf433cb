"""Twenty terminals pushing at once: exact totals, and a feed that never skips a change.

On PostgreSQL a change counter drawn from a sequence can commit out of order, so a
reader may pass a number whose transaction is still open and never see it. The
ledger serializes writers on a counter row instead; a puller running alongside the
pushes must therefore end with exactly the state a fresh full pull gives.

The same runs against ``pos-ledger serve --workers 2 --push-concurrency 1``: two
server processes on one port, each working on one push at a time (the others
queued), so the guarantees hold across processes and behind the push gate; when the
server is stopped by its pid, its worker processes are gone too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sync.protocol import ChangesResponse, PushResponse
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    database_url,
    fresh_card,
    fresh_terminal_name,
    start_ledger,
)

TERMINALS = 20
BATCHES = 5
EVENTS_PER_BATCH = 20
SHARED_CARDS = 10


def _drain(
    client: httpx.Client, cursor: str | None, cache: dict[str, tuple[int, int]]
) -> str | None:
    """Apply pages until the feed is empty; keep each member's newest (version, balance)."""
    for _ in range(10_000):
        params = {"limit": 50, **({"since": cursor} if cursor else {})}
        page = ChangesResponse.model_validate_json(client.get("/v1/changes", params=params).content)
        for change in page.changes:
            if change.type == "member":
                known = cache.get(change.member.card, (-1, 0))
                if change.member.version > known[0]:
                    cache[change.member.card] = (change.member.version, change.member.balance)
        cursor = page.next_cursor
        if not page.has_more:
            return cursor
    raise AssertionError("the feed never ended")


@pytest.fixture(scope="module")
def two_processes(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHandle]:
    """A ledger served by two processes, each working on one push at a time."""
    directory = tmp_path_factory.mktemp(f"workers-{backend}")
    extra = ["--workers", "2", "--push-concurrency", "1"]
    with database_url(backend, directory) as url, start_ledger(url, directory, extra) as handle:
        yield handle


def test_twenty_terminals_pushing_at_once_give_exact_totals(ledger: LedgerHandle) -> None:
    _push_at_once(ledger)


def test_two_server_processes_give_the_same_guarantees(two_processes: LedgerHandle) -> None:
    workers = _children(two_processes.process.pid)  # and multiprocessing's own helper
    assert len(workers) >= 2, workers
    _push_at_once(two_processes)
    two_processes.stop()
    for _ in range(100):  # multiprocessing's helper exits just after the server
        left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        if not left:
            break
        time.sleep(0.1)
    assert not left


def _children(pid: int) -> list[int]:
    """The running child processes of ``pid`` (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _push_at_once(ledger: LedgerHandle) -> None:
    cards = [fresh_card() for _ in range(SHARED_CARDS)]
    terminals = [fresh_terminal_name("C") for _ in range(TERMINALS)]
    tokens = {name: ledger.add_terminal(name) for name in terminals}
    watcher = ledger.client(ledger.add_terminal())
    stop = threading.Event()
    seen: dict[str, tuple[int, int]] = {}

    def push_all(name: str) -> int:
        client = ledger.client(tokens[name])
        chain = EventChain(name)
        high_water = 0
        for batch in range(BATCHES):
            events = [
                chain.earn(cards[(batch + i) % SHARED_CARDS], 1_000)
                for i in range(EVENTS_PER_BATCH)
            ]
            body = LedgerHandle.batch(name, events)
            for _attempt in range(2):  # the second send is a retry: all duplicates
                answer = PushResponse.model_validate_json(
                    client.post("/v1/events", json=body).content
                )
                assert answer.stopped_at is None
            high_water = answer.high_water
        return high_water

    def watch() -> str | None:
        """Pull incrementally while the pushes run; return the last cursor."""
        cursor = None
        for _ in range(10_000):
            if stop.is_set():
                break
            cursor = _drain(watcher, cursor, seen)
        return cursor

    with ThreadPoolExecutor(max_workers=8) as pool:
        watching = pool.submit(watch)
        high_waters = list(pool.map(push_all, terminals))
        stop.set()
        cursor = watching.result(timeout=60)

    assert high_waters == [BATCHES * EVENTS_PER_BATCH] * TERMINALS
    per_card_events = TERMINALS * BATCHES * EVENTS_PER_BATCH // SHARED_CARDS
    balances = {
        card: watcher.get(f"/v1/members/{card}").json()["member"]["balance"] for card in cards
    }
    assert balances == {card: per_card_events * 10 for card in cards}

    _drain(watcher, cursor, seen)  # continue from where the watcher was: no skipped change
    fresh: dict[str, tuple[int, int]] = {}
    _drain(watcher, None, fresh)
    assert {c: seen[c] for c in cards} == {c: fresh[c] for c in cards}
    assert ledger.admin("verify").returncode == 0
