"""The next batch goes out while the till stores the answer to the one before
(:class:`sync.engine._SentAhead`): the ledger applies one batch while the till settles
the last. A real ledger on 127.0.0.1; a transport that only records what it carries.

What must hold: batches still reach the ledger in order, each exactly once; a batch
is sent ahead only after the answer before it confirmed that whole batch; and when
storing an answer fails while the next batch is on its way, that request ends within
the run (none outlives it), and the next sync confirms everything exactly once. And
a batch too large for something in front of the ledger (413) is sent again smaller
in the same sync.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_ledger_holds_journal_once,
)
from tests.integration.sync.transports import is_push


class Recording(httpx.BaseTransport):
    """Every request to the real ledger; logs when each push left and its answer came."""

    def __init__(self, log: list[tuple[str, int]]) -> None:
        self.inner = httpx.HTTPTransport()
        self.log = log
        self.lock = threading.Lock()
        self.in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_push(request):
            return self.inner.handle_request(request)
        first = json.loads(request.content)["events"][0]["seq"]
        with self.lock:
            self.log.append(("sent", first))
            self.in_flight += 1
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            with self.lock:
                self.log.append(("answered", first))
                self.in_flight -= 1


def _rig(ledger: LedgerUnderTest, tmp_path: Path, earns: int) -> tuple[TillRig, str]:
    (card,) = ledger.add_members(0)
    rig = TillRig.new(ledger, tmp_path, batch_size=3)
    assert rig.sync()  # the members, and the ledger's epoch
    for _ in range(earns):
        rig.earn(card, "100")
    return rig, card


def _spy_settle(rig: TillRig, log: list[tuple[str, int]], fail_first: bool = False) -> None:
    local: Any = rig.link.engine.local
    settle = local.settle
    failed = []

    def spied(mark: int, balances: Any) -> None:
        if fail_first and not failed:
            failed.append(mark)
            raise sqlite3.OperationalError("disk I/O error")
        settle(mark, balances)
        log.append(("settled", mark))

    local.settle = spied


def test_the_next_batch_is_sent_while_the_answer_before_is_stored(
    ledger: LedgerUnderTest, tmp_path: Path
) -> None:
    rig, card = _rig(ledger, tmp_path, earns=8)
    log: list[tuple[str, int]] = []
    try:
        rig.link.transport.inner = Recording(log)
        _spy_settle(rig, log)
        assert rig.sync()
        pushes = [seq for what, seq in log if what == "sent"]
        assert pushes == [1, 4, 7]  # in order, each once
        # Batch 4-6 left after the answer to 1-3 came and before it was stored.
        assert log.index(("answered", 1)) < log.index(("sent", 4)) < log.index(("settled", 3))
        assert log.index(("answered", 4)) < log.index(("sent", 7)) < log.index(("settled", 6))
        assert rig.pending() == 0
        assert_ledger_holds_journal_once(ledger, rig)
        assert_in_agreement(ledger, rig, [card])
    finally:
        rig.close()


def test_a_failure_storing_an_answer_ends_the_batch_sent_ahead_within_the_run(
    ledger: LedgerUnderTest, tmp_path: Path
) -> None:
    rig, card = _rig(ledger, tmp_path, earns=8)
    log: list[tuple[str, int]] = []
    try:
        recording = Recording(log)
        rig.link.transport.inner = recording
        _spy_settle(rig, log, fail_first=True)
        with pytest.raises(sqlite3.OperationalError):
            rig.link.sync_now()
        assert recording.in_flight == 0  # the batch sent ahead was waited for
        assert ("sent", 4) in log and ("answered", 4) in log
        assert rig.pending() == 8  # nothing was stored as confirmed
        rig.sync_until_settled()  # the ledger answers 1-6 as duplicates
        assert_ledger_holds_journal_once(ledger, rig)
        assert_in_agreement(ledger, rig, [card])
    finally:
        rig.close()


class TooLargeOver(httpx.BaseTransport):
    """The real ledger, behind something that refuses pushes of more than ``most``
    events with 413, as a proxy with a small body limit does."""

    def __init__(self, most: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.most = most
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_push(request) and len(json.loads(request.content)["events"]) > self.most:
            self.refused += 1
            body = {"error": "too_large", "reason": "The request body is too large."}
            return httpx.Response(413, json=body)
        return self.inner.handle_request(request)


def test_batches_too_large_shrink_within_the_same_sync(
    ledger: LedgerUnderTest, tmp_path: Path
) -> None:
    (card,) = ledger.add_members(0)
    rig = TillRig.new(ledger, tmp_path, batch_size=8)
    try:
        assert rig.sync()
        for _ in range(7):
            rig.earn(card, "100")
        proxy = TooLargeOver(most=2)
        rig.link.transport.inner = proxy
        assert rig.sync()  # 8, then 4, then batches of 2: all in this one sync
        assert proxy.refused == 2 and rig.pending() == 0
        assert_ledger_holds_journal_once(ledger, rig)
        assert_in_agreement(ledger, rig, [card])
    finally:
        rig.close()
