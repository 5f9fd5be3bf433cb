"""A card the till has not cached is looked up at the ledger with a short timeout;
offline the till says "unknown card" at once and keeps working."""

from __future__ import annotations

import pytest

from pos_client.errors import UnknownCard
from tests.integration.sync.rig import LedgerUnderTest


def test_a_member_joined_since_the_last_pull_is_found_online_and_cached(
    ledger: LedgerUnderTest, new_till
):
    rig = new_till(ledger)
    assert rig.sync()
    (newcomer,) = ledger.add_members(700)  # joined after this till's last pull
    member = rig.till.scan(newcomer)
    assert member.balance == 700
    rig.till.earn("100")
    assert rig.till.lookup(newcomer).balance == 800  # cached, plus the pending earn
    rig.sync_until_settled()
    assert ledger.balance(newcomer) == 800
    assert rig.till.lookup(newcomer).balance == 800


def test_offline_an_uncached_card_is_unknown_and_nothing_is_recorded(
    ledger: LedgerUnderTest, new_till
):
    rig = new_till(ledger)
    assert rig.sync()
    (newcomer,) = ledger.add_members(700)
    rig.link.set_connected(False)
    with pytest.raises(UnknownCard, match="not registered"):
        rig.till.scan(newcomer)
    assert "Cannot reach the ledger" in (rig.link.status.last_error or "")
    assert rig.till.status().pending_events == 0
    rig.link.set_connected(True)
    assert rig.till.scan(newcomer).balance == 700


def test_a_card_the_ledger_does_not_know_either_is_unknown(ledger: LedgerUnderTest, new_till):
    from loyalty.cards import make_card_number

    rig = new_till(ledger)
    with pytest.raises(UnknownCard):
        rig.till.scan(make_card_number(99_999_999))
