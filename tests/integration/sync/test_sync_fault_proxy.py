"""Sync converges through a misbehaving network (a TCP fault proxy on loopback).

For each fault the till records events, syncs a bounded number of times through the
fault, recording more in between, then the proxy goes back to pass-through and the
till syncs until nothing is pending. At every step the balance shown is honest and no
event is at the ledger twice; at the end everything is confirmed, the ledger holds the
journal once, balances agree and ``pos-ledger verify`` passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.integration.sync.fault_proxy import FaultProxy, Mode
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_shown_is_honest,
    assert_verify_passes,
    not_at_ledger,
)

SYNCS_UNDER_FAULT = 3
TIMEOUT_S = 1.5


@pytest.fixture
def proxy(ledger: LedgerUnderTest) -> Iterator[FaultProxy]:
    port = int(ledger.url.rsplit(":", 1)[1])
    started = FaultProxy(port).start()
    try:
        yield started
    finally:
        started.stop()


def record(rig: TillRig, cards: list[str], round_no: int) -> None:
    rig.earn(cards[round_no % 2], f"{17 + round_no}.50")
    rig.redeem(cards[(round_no + 1) % 2], 100)


def sync_through(
    proxy: FaultProxy, rig: TillRig, ledger: LedgerUnderTest, mode: Mode, cards: list[str]
) -> list[bool]:
    proxy.set_mode(mode)
    outcomes = []
    for round_no in range(SYNCS_UNDER_FAULT):
        record(rig, cards, round_no)
        outcomes.append(rig.sync())
        assert_shown_is_honest(ledger, rig, cards)
        assert ledger.repeated_event_ids() == []
    proxy.set_mode(Mode.PASS)
    return outcomes


def converge(proxy: FaultProxy, rig: TillRig, ledger: LedgerUnderTest, cards: list[str]) -> None:
    rig.sync_until_settled()
    assert_in_agreement(ledger, rig, cards)
    opening = 1000 * len(cards)
    assert sum(ledger.balance(c) for c in cards) == opening + sum(
        e.postings.get("points", 0) for e in rig.journal()
    )
    assert_verify_passes(ledger)


def assert_pushes_arrived_unanswered(ledger: LedgerUnderTest, rig: TillRig) -> None:
    """The ledger applied a prefix of the journal; the till heard of none of it."""
    held = [e.event_id for e in ledger.events(rig.terminal_id)]
    assert held and held == [e.event_id for e in rig.journal()[: len(held)]]
    assert rig.pending() == len(rig.journal())


@pytest.fixture
def setup(ledger: LedgerUnderTest, new_till, proxy: FaultProxy) -> tuple[TillRig, list[str]]:
    cards = ledger.add_members(1000, 1000)
    rig = new_till(ledger, url=proxy.url, timeout=TIMEOUT_S, batch_size=2)
    assert rig.sync()
    for round_no in range(3):
        record(rig, cards, round_no)
    return rig, cards


def test_sync_goes_through_a_slow_network(ledger: LedgerUnderTest, proxy: FaultProxy, setup):
    rig, cards = setup
    assert sync_through(proxy, rig, ledger, Mode.LATENCY, cards) == [True] * SYNCS_UNDER_FAULT
    converge(proxy, rig, ledger, cards)


def test_sync_converges_after_connections_reset_once_the_ledger_has_applied_the_push(
    ledger: LedgerUnderTest, proxy: FaultProxy, setup
):
    rig, cards = setup
    assert not any(sync_through(proxy, rig, ledger, Mode.RESET, cards))
    assert proxy.counts["resets"] >= SYNCS_UNDER_FAULT
    assert_pushes_arrived_unanswered(ledger, rig)
    converge(proxy, rig, ledger, cards)


def test_sync_converges_after_a_blackhole_that_never_answers(
    ledger: LedgerUnderTest, proxy: FaultProxy, setup
):
    rig, cards = setup
    assert not any(sync_through(proxy, rig, ledger, Mode.BLACKHOLE, cards))
    assert rig.link.status.state == "offline"
    assert len(not_at_ledger(ledger, rig)) == len(rig.journal())
    converge(proxy, rig, ledger, cards)


def test_sync_converges_after_answers_cut_mid_body(
    ledger: LedgerUnderTest, proxy: FaultProxy, setup
):
    rig, cards = setup
    assert not any(sync_through(proxy, rig, ledger, Mode.CUT, cards))
    assert proxy.counts["cuts"] >= SYNCS_UNDER_FAULT
    assert_pushes_arrived_unanswered(ledger, rig)
    converge(proxy, rig, ledger, cards)


def test_sync_converges_when_connections_close_late_after_each_answer(
    ledger: LedgerUnderTest, proxy: FaultProxy, setup
):
    rig, cards = setup
    proxy.set_mode(Mode.SLOW_CLOSE)
    for round_no in range(SYNCS_UNDER_FAULT):
        record(rig, cards, round_no)
        closes = proxy.counts["late_closes"]
        rig.sync()
        assert_shown_is_honest(ledger, rig, cards)
        wait_for(lambda: proxy.counts["late_closes"] > closes)  # noqa: B023
    assert rig.sync()
    proxy.set_mode(Mode.PASS)
    converge(proxy, rig, ledger, cards)


def wait_for(condition: Callable[[], bool], deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, "the expected state never came"
        time.sleep(0.01)
