"""A reset or foreign pull cursor makes a full resync, and a full resync changes nothing.

The till forgets where its last pull ended (the ``pull_cursor`` setting deleted, or
a cursor from another ledger): the next sync pulls every member from the start.
Balances shown, confirmed balances, the ledger's totals and its events stay exactly
as they were, also when it happens while an answer was lost and events are pending.
"""

from __future__ import annotations

import pytest

from pos_client.store.sync_side import PULL_CURSOR
from pos_client.store.transaction import write_transaction
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
    with store.lock, write_transaction(store.conn) as conn:
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
