"""Points recorded offline on a card that was replaced meanwhile land once, on the member.

The ledger records events on a revoked card and flags them (never refuses them); the
till keys its member cache by member id and keeps every card a member had, so the
new card shows the balance with the offline sales in it, once: before they sync
(an online lookup of the new card) and after (the push answer settles the member
under the new card in the transaction that confirms the events). The old card is
refused at a scan.
"""

from __future__ import annotations

import pytest

from ledger import admin
from pos_client.errors import CardReplaced
from tests.integration.ledger.support import fresh_card
from tests.integration.sync.rig import (
    LedgerUnderTest,
    assert_in_agreement,
    assert_ledger_holds_journal_once,
    assert_shown_is_honest,
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


def test_a_new_card_looked_up_while_sales_on_the_old_one_are_pending_shows_them_once(
    any_ledger: LedgerUnderTest, new_till
):
    """The member comes back with their new card before the till has synced: the
    scan looks the card up at the ledger, which does not hold the old card's sales
    yet; the till adds them, and a sale on the new card, once; after the sync every
    balance is the ledger's."""
    ledger = any_ledger
    (old,) = ledger.add_members(1000)
    rig = new_till(ledger)
    assert rig.sync()
    rig.link.set_connected(False)
    rig.earn(old, "100.00")
    rig.redeem(old, 300)
    offline = sum(e.postings.get("points", 0) for e in rig.journal())
    new = fresh_card()
    admin.replace_card(ledger.db, old, new)

    rig.link.set_connected(True)  # no sync runs: the till has no background runner here
    member = rig.till.scan(new)  # not cached: looked up online
    assert (member.card, member.confirmed_points, member.unconfirmed_points) == (
        new,
        1000,
        offline,
    )
    assert_shown_is_honest(ledger, rig, [new])
    rig.earn(new, "50.00")
    assert rig.shown(new) == 1000 + sum(e.postings.get("points", 0) for e in rig.journal())
    assert_shown_is_honest(ledger, rig, [new])
    with pytest.raises(CardReplaced, match="replaced by a new card"):
        rig.till.scan(old)

    assert rig.sync()
    assert_in_agreement(ledger, rig, [new])
    assert_shown_is_honest(ledger, rig, [new])
    assert ledger.balance(new) == rig.shown(new)
    assert ledger.balance(new) == 1000 + sum(e.postings.get("points", 0) for e in rig.journal())
    assert "revoked_card" in ledger.member(new).flag_reasons
    assert rig.till.store.members.card_state(old) == "revoked"
    assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)
