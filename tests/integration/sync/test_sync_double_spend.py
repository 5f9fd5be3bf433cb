"""Two stores spend the same points offline; several tills push at once.

An overdraft found at sync is recorded, not rejected (guarantee 5): both redemptions
stand, the member's balance goes negative and is flagged for review, and every till
shows the ledger's balance after pulling. Totals are conserved: opening balance plus
the events the ledger holds is the balance, for every member. Concurrent pushes from
several tills on the same members lose and double nothing.

These run on SQLite and, with POS_TEST_POSTGRES, on PostgreSQL.
"""

from __future__ import annotations

import random
import threading

from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)


def assert_totals_conserved(ledger: LedgerUnderTest, cards: list[str]) -> None:
    held = ledger.events_of_cards(cards)
    for card in cards:
        points = sum(e.points for e in held if e.card == card)
        assert ledger.balance(card) == ledger.opening_balance(card) + points


def test_two_tills_redeeming_the_same_points_offline_both_stand_and_the_member_is_flagged(
    any_ledger: LedgerUnderTest, new_till
):
    ledger = any_ledger
    (card,) = ledger.add_members(1000)
    north, south = new_till(ledger), new_till(ledger)
    assert north.sync() and south.sync()
    assert north.shown(card) == south.shown(card) == 1000

    north.link.set_connected(False)
    south.link.set_connected(False)
    north.redeem(card, 800)
    south.redeem(card, 700)
    assert not north.sync() and not south.sync()
    assert (north.shown(card), south.shown(card)) == (200, 300)

    north.link.set_connected(True)
    south.link.set_connected(True)
    assert north.sync() and south.sync()
    assert north.sync()  # pulls what the south store did

    member = ledger.member(card)
    assert member.balance == 1000 - 800 - 700
    assert member.flagged and "overdraft" in member.flag_reasons
    assert sorted(e.points for e in ledger.events_of_cards([card])) == [-800, -700]
    assert_totals_conserved(ledger, [card])
    for rig in (north, south):
        assert_in_agreement(ledger, rig, [card])
        assert rig.shown(card) == -500
        cached = rig.till.store.members.get(card)
        assert cached is not None and cached.flagged
    assert_verify_passes(ledger)


def test_tills_pushing_at_the_same_time_on_the_same_members_lose_and_double_nothing(
    any_ledger: LedgerUnderTest, new_till
):
    ledger = any_ledger
    cards = ledger.add_members(5000, 5000, 5000)
    rigs = [new_till(ledger, batch_size=3) for _ in range(4)]
    for rig in rigs:
        assert rig.sync()  # each till knows the members before selling
    rng = random.Random(7)
    for rig in rigs:
        for _ in range(24):
            card = rng.choice(cards)
            if rng.random() < 0.3:
                rig.redeem(card, 100)
            else:
                rig.earn(card, f"{rng.randint(1, 400)}.{rng.randint(0, 99):02d}")

    start = threading.Barrier(len(rigs))
    failures: list[BaseException] = []

    def drain(rig: TillRig) -> None:
        try:
            start.wait(timeout=30)
            rig.sync_until_settled()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=drain, args=(rig,), daemon=True) for rig in rigs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []

    for rig in rigs:
        assert rig.sync()  # pull everyone else's events
    assert ledger.repeated_event_ids() == []
    assert_totals_conserved(ledger, cards)
    all_events = [e for rig in rigs for e in rig.journal()]
    for card in cards:
        expected = 5000 + sum(e.postings.get("points", 0) for e in all_events if e.card == card)
        assert ledger.balance(card) == expected
    for rig in rigs:
        assert_in_agreement(ledger, rig, cards)
    assert_verify_passes(ledger)
