"""A reset or foreign pull cursor makes a full resync, and a full resync changes nothing.

The till forgets where its last pull ended (the ``pull_cursor`` setting deleted, or
a cursor from another ledger): the next sync pulls every member from the start.
Balances shown, confirmed balances, the ledger's totals and its events stay exactly
as they were, also when it happens while an answer was lost and events are pending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from loyalty.events import Event
from pos_client.store.sync_side import PULL_CURSOR
from pos_client.store.transaction import write_transaction
from sync.engine import SyncEngine
from sync.local import LocalSide
from sync.protocol import Change
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_shown_is_honest,
    assert_verify_passes,
)
from tests.integration.sync.transports import AnswerDropper

CURSORS = {
    "deleted": None,
    "from another ledger": "0123456789abcdef.999999",
}


def set_cursor(rig: TillRig, value: str | None) -> None:
    store = rig.till.store
    with write_transaction(store.conn) as conn:
        if value is None:
            conn.execute("DELETE FROM settings WHERE key = ?", [PULL_CURSOR])
        else:
            conn.execute("UPDATE settings SET value = ? WHERE key = ?", [value, PULL_CURSOR])


def picture(ledger: LedgerUnderTest, rig: TillRig, cards: list[str]) -> dict[str, object]:
    return {
        "shown": [rig.shown(c) for c in cards],
        "confirmed": [rig.confirmed(c) for c in cards],
        "ledger": [ledger.balance(c) for c in cards],
        "events": ledger.events(rig.terminal_id),
    }


@pytest.mark.parametrize("cursor", CURSORS.keys())
def test_a_full_resync_after_losing_the_cursor_changes_no_balance_and_no_total(
    ledger: LedgerUnderTest, new_till, cursor: str
):
    cards = ledger.add_members(1000, 0, 250)
    rig = new_till(ledger)
    assert rig.sync()
    rig.earn(cards[0], "99.90")
    rig.redeem(cards[0], 300)
    rig.earn(cards[1], "1234.00")
    assert rig.sync()
    before = picture(ledger, rig, cards)

    set_cursor(rig, CURSORS[cursor])
    assert rig.sync()
    assert rig.till.store.settings.get(PULL_CURSOR) is not None
    assert picture(ledger, rig, cards) == before
    set_cursor(rig, CURSORS[cursor])
    assert rig.sync() and rig.sync()
    assert picture(ledger, rig, cards) == before
    assert_in_agreement(ledger, rig, cards)
    assert_verify_passes(ledger)


def test_a_reset_cursor_while_an_answer_is_lost_still_counts_every_event_once(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(400)
    rig = new_till(ledger)
    dropper = AnswerDropper()
    rig.link.transport.inner = dropper
    assert rig.sync()
    rig.earn(card, "60.00")
    rig.redeem(card, 200)
    dropper.drop_next_pushes(1)
    assert not rig.sync()
    set_cursor(rig, None)
    assert_shown_is_honest(ledger, rig, [card])

    rig.earn(card, "5.00")
    assert rig.sync()
    assert_in_agreement(ledger, rig, [card])
    assert rig.shown(card) == ledger.balance(card) == 400 + 60 - 200 + 5
    assert_verify_passes(ledger)


class SellsBetweenPages:
    """The till's local side with its outbox hidden (the engine only pulls), and
    another till selling on the same members after each of the first pages."""

    def __init__(self, inner: LocalSide, sell: Callable[[], None], pages_with_sales: int) -> None:
        self.inner = inner
        self.sell = sell
        self.pages_left = pages_with_sales

    def events_after(self, seq: int, limit: int) -> list[Event]:
        return []

    def stage_changes(self, changes: Sequence[Change]) -> None:
        self.inner.stage_changes(changes)
        if self.pages_left > 0:
            self.pages_left -= 1
            self.sell()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_full_resync_in_small_pages_while_another_till_sells_ends_at_the_ledgers_balances(
    ledger: LedgerUnderTest, new_till
):
    cards = ledger.add_members(100, 200, 300)
    rig, other = new_till(ledger), new_till(ledger)
    dropper = AnswerDropper()
    rig.link.transport.inner = dropper
    assert rig.sync() and other.sync()
    for card in cards:
        rig.earn(card, "11.00")
    dropper.drop_next_pushes(1)
    assert not rig.sync()  # at the ledger, not settled
    set_cursor(rig, None)
    sales = iter(range(1, 100))

    def sell() -> None:
        other.earn(cards[next(sales) % len(cards)], "7.00")
        assert other.sync()

    pulling = SellsBetweenPages(rig.link.engine.local, sell, pages_with_sales=4)
    SyncEngine(pulling, rig.link.client, page_size=1).run_once()  # type: ignore[arg-type]

    assert pulling.pages_left == 0  # the other till sold between the first pages
    assert rig.pending() == 0
    for card in cards:
        view = rig.till.lookup(card)
        assert (view.confirmed_points, view.unconfirmed_points) == (ledger.balance(card), 0)
    assert_verify_passes(ledger)
