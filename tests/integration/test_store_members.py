"""The member cache keyed by member: a card replacement keeps everything.

A real till on a real SQLite file; the ledger's answers are made by hand and stored
through the till's own sync side (pull, push answer, online lookup), so every step
of a card replacement can be placed exactly: sales recorded on the old card before
they synced count once under the new card, before and after they sync, and the old
card is refused at a scan.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loyalty.cards import make_card_number
from pos_client.config import TillConfig
from pos_client.errors import CardReplaced, UnknownCard
from pos_client.store.sync_side import StoreSyncSide
from pos_client.till import Till
from tests.integration.ledger_answers import (
    REVOKED_AT,
    member_change,
    member_state,
    pull,
    revoked,
)

MEMBER = "M000042"
OLD, NEW = make_card_number(4201), make_card_number(4202)
OPENING = 1000


@pytest.fixture
def till(till_config: TillConfig) -> Iterator[Till]:
    """A till without a ledger link whose member cache holds one member on ``OLD``,
    as a pull stored them."""
    opened = Till.open(till_config)
    pull(StoreSyncSide(opened.store), member_change(MEMBER, OLD, version=5, points=OPENING))
    try:
        yield opened
    finally:
        opened.close()


def sell_on(till: Till, card: str) -> int:
    """A sale of 100.00 and a redemption of 300 points on ``card``; their net points."""
    till.scan(card)
    earned = till.earn("100.00").points
    redeemed = till.redeem(300).points
    till.clear_member()
    return earned + redeemed


def shown(till: Till, card: str) -> tuple[int, int]:
    view = till.lookup(card)
    return view.confirmed_points, view.unconfirmed_points


def test_sales_on_a_card_replaced_before_they_synced_count_once_under_the_new_card(till: Till):
    side = StoreSyncSide(till.store)
    net = sell_on(till, OLD)
    assert net != 0 and till.store.pending_count() == 2

    # The pull brings the revocation and the member's state with the new card; the
    # ledger does not hold the two events yet (high water 0).
    pull(
        side,
        revoked(OLD, MEMBER, change=10),
        member_change(MEMBER, NEW, version=11, points=OPENING),
    )
    member = till.scan(NEW)
    assert (member.card, member.member_id, member.blocked) == (NEW, MEMBER, False)
    assert (member.confirmed_points, member.unconfirmed_points) == (OPENING, net)
    assert member.balance == OPENING + net
    with pytest.raises(CardReplaced, match="replaced by a new card") as refused:
        till.scan(OLD)
    assert f"•••• {OLD[-4:]}" in refused.value.message
    assert till.member is None, "a refused scan clears the member"
    assert till.store.members.count() == 1
    assert (till.store.members.card_state(OLD), till.store.members.card_state(NEW)) == (
        "revoked",
        "active",
    )
    revoked_at = till.store.conn.execute(
        "SELECT revoked_at FROM cards WHERE card = ?", [OLD]
    ).fetchone()[0]
    assert revoked_at == REVOKED_AT

    # The push's answer: the ledger applied both events to the member.
    side.settle(2, [member_state(MEMBER, NEW, version=12, points=OPENING + net)])
    assert shown(till, NEW) == (OPENING + net, 0)
    pull(side, member_change(MEMBER, NEW, version=12, points=OPENING + net), high_water=2)
    assert shown(till, NEW) == (OPENING + net, 0)
    assert till.store.pending_count() == 0


def test_a_new_card_heard_before_the_revocation_leaves_the_old_one_replaced_and_refused(
    till: Till,
):
    side = StoreSyncSide(till.store)
    net = sell_on(till, OLD)
    # An online lookup of the new card, before any of the sales reached the ledger.
    assert side.cache_member(member_state(MEMBER, NEW, version=11, points=OPENING), 0)
    assert shown(till, NEW) == (OPENING, net)
    assert till.store.members.card_state(OLD) == "replaced"
    with pytest.raises(CardReplaced):
        till.scan(OLD)
    pull(side, revoked(OLD, MEMBER, change=10))
    assert till.store.members.card_state(OLD) == "revoked"
    assert shown(till, NEW) == (OPENING, net)


def test_an_online_lookup_is_not_cached_while_the_ledger_holds_sales_on_the_old_card(
    till: Till,
):
    """The ledger's balance already has the two sales (their answer was lost), and
    the till still counts them as unconfirmed: caching it would count them twice."""
    side = StoreSyncSide(till.store)
    net = sell_on(till, OLD)
    answer = member_state(MEMBER, NEW, version=12, points=OPENING + net)
    assert not side.cache_member(answer, high_water=2)
    assert till.store.members.card_state(NEW) is None
    assert shown(till, OLD) == (OPENING, net)


def test_an_older_state_changes_neither_the_member_nor_their_active_card(till: Till):
    side = StoreSyncSide(till.store)
    pull(side, member_change(MEMBER, NEW, version=11, points=700))
    side.settle(0, [member_state(MEMBER, OLD, version=7, points=500)])
    assert shown(till, NEW) == (700, 0)
    assert till.store.members.card_state(OLD) == "replaced"
    assert till.store.members.card_state(NEW) == "active"


def test_a_revocation_never_blocks_the_member_and_a_revoked_card_never_comes_back(
    till: Till,
):
    side = StoreSyncSide(till.store)
    pull(side, revoked(OLD, MEMBER, change=10))
    assert till.store.members.card_state(OLD) == "revoked"
    cached = till.store.members.get_by_id(MEMBER)
    assert cached is not None and not cached.blocked and cached.card == ""
    # A state naming the revoked card (no ledger sends one) does not make it usable.
    side.settle(0, [member_state(MEMBER, OLD, version=12, points=OPENING)])
    with pytest.raises(CardReplaced):
        till.scan(OLD)
    pull(side, member_change(MEMBER, NEW, version=13, points=OPENING))
    assert till.scan(NEW).member_id == MEMBER


def test_a_revoked_card_of_a_member_never_cached_is_refused_as_replaced(till: Till):
    stranger_old, stranger_new = make_card_number(4301), make_card_number(4302)
    with pytest.raises(UnknownCard):
        till.scan(stranger_old)
    pull(StoreSyncSide(till.store), revoked(stranger_old, "M000043", change=20))
    with pytest.raises(CardReplaced):
        till.scan(stranger_old)
    with pytest.raises(UnknownCard):
        till.scan(stranger_new)


def test_the_old_cards_receipts_and_redemptions_stay_the_members(till: Till):
    side = StoreSyncSide(till.store)
    till.scan(OLD)
    sale = till.earn("100.00")
    till.redeem(300)
    till.clear_member()
    pull(side, revoked(OLD, MEMBER, change=10), member_change(MEMBER, NEW, 11, OPENING))

    assert {r.member_name for r in till.last_receipts()} == {f"Member {MEMBER}"}
    # The offline cap counts what the member redeemed here on any of their cards.
    spent = till.store.journal.unconfirmed_spent_since(MEMBER, "points", "2000-01-01T00:00:00Z")
    assert spent == 300

    # A refund of the old card's sale, with the member at the till by the new card:
    # the member stays under the new card and shows the refund.
    before = till.scan(NEW).balance
    refund = till.refund(sale.receipt_no)
    assert refund.card == OLD and refund.member_id == MEMBER
    assert till.member is not None and till.member.card == NEW
    assert till.member.balance == before + refund.points == till.lookup(NEW).balance
