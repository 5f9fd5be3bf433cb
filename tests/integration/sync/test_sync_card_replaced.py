"""Points recorded offline on a card that was replaced meanwhile land once, on the member.

The ledger records events on a revoked card and flags them (never refuses them); the
till settles the member under the new card in the same transaction that confirms the
events, so the new card shows the balance with the offline sales in it, once.
"""

from __future__ import annotations

import pytest

from ledger import admin
from pos_client.errors import CardReplaced
from tests.integration.ledger.support import fresh_card
from tests.integration.sync.rig import (
    LedgerUnderTest,
    assert_ledger_holds_journal_once,
    assert_verify_passes,
)


def test_offline_sales_on_a_card_replaced_meanwhile_count_once_under_the_new_card(
    ledger: LedgerUnderTest, new_till
):
    (old,) = ledger.add_members(1000)
    rig = new_till(ledger)
    assert rig.sync()
    rig.link.set_connected(False)
    rig.earn(old, "100.00")
    rig.redeem(old, 300)
    new = fresh_card()
    admin.replace_card(ledger.db, old, new)

    rig.link.set_connected(True)
    assert rig.sync()
    assert rig.pending() == 0
    assert_ledger_holds_journal_once(ledger, rig)
    member = ledger.member(new)
    assert member.balance == 800 and "revoked_card" in member.flag_reasons
    view = rig.till.lookup(new)
    assert (view.confirmed_points, view.unconfirmed_points) == (800, 0)
    with pytest.raises(CardReplaced, match="replaced by a new card"):
        rig.till.scan(old)
    assert rig.till.store.members.card_state(old) == "revoked"
    assert_verify_passes(ledger)
