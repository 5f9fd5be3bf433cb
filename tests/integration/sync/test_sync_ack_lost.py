"""A lost answer: the ledger applied the push, the till never heard it.

The transport lets each request reach the real ledger, reads the whole answer and
then raises ``httpx.ReadTimeout``. The retry must be answered ``duplicate``, every
event must be at the ledger exactly once, and at every step the balance the till
shows must be the ledger's balance plus the till's events the ledger lacks (never
counting the events of the lost answer twice).
"""

from __future__ import annotations

from sync.engine import SyncEngine
from sync.local import LocalSide
from sync.protocol import Change, MemberState
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_ledger_holds_journal_once,
    assert_shown_is_honest,
    assert_verify_passes,
    not_at_ledger,
)
from tests.integration.sync.transports import AnswerDropper


def dropper_on(rig: TillRig) -> AnswerDropper:
    dropper = AnswerDropper()
    rig.link.transport.inner = dropper
    return dropper


class PullOnly:
    """The till's local side with its outbox hidden: a run of the engine only pulls."""

    def __init__(self, inner: LocalSide) -> None:
        self.inner = inner

    def events_after(self, seq: int, limit: int) -> list:  # type: ignore[type-arg]
        return []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def settle(self, high_water: int, members: list[MemberState]) -> None:
        self.inner.settle(high_water, members)

    def stage_changes(self, changes: list[Change]) -> None:
        self.inner.stage_changes(changes)


def test_a_push_whose_answer_is_lost_is_answered_duplicate_on_retry_and_counted_once(
    ledger: LedgerUnderTest, new_till
):
    kari, ola = ledger.add_members(1000, 300)
    rig = new_till(ledger)
    dropper = dropper_on(rig)
    assert rig.sync()
    assert_shown_is_honest(ledger, rig, [kari, ola])

    rig.earn(kari, "100.00")
    rig.earn(ola, "250.00")
    rig.redeem(kari, 200)
    assert_shown_is_honest(ledger, rig, [kari, ola])
    assert (rig.shown(kari), rig.shown(ola)) == (900, 550)

    dropper.drop_next_pushes(1)
    assert not rig.sync()
    assert rig.link.status.state == "offline"
    # The ledger has all three; the till still counts them as its own, once.
    assert_ledger_holds_journal_once(ledger, rig)
    assert rig.pending() == 3
    assert_shown_is_honest(ledger, rig, [kari, ola])
    assert (rig.shown(kari), rig.shown(ola)) == (900, 550)

    rig.earn(kari, "50.00")
    assert_shown_is_honest(ledger, rig, [kari, ola])

    assert rig.sync()
    assert dropper.statuses() == ["duplicate", "duplicate", "duplicate", "accepted"]
    assert_in_agreement(ledger, rig, [kari, ola])
    assert (rig.shown(kari), rig.shown(ola)) == (950, 550)
    assert (ledger.balance(kari), ledger.balance(ola)) == (950, 550)
    assert_verify_passes(ledger)


def test_answers_lost_again_and_again_never_change_the_ledger_totals(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(500)
    rig = new_till(ledger, batch_size=2)
    dropper = dropper_on(rig)
    assert rig.sync()
    for round_no in range(5):
        rig.earn(card, f"{10 + round_no}.00")
        rig.redeem(card, 100)
        dropper.drop_next_pushes(2)
        for _ in range(3):
            rig.sync()
            assert_shown_is_honest(ledger, rig, [card])
            assert ledger.repeated_event_ids() == []
    rig.sync_until_settled()
    assert_in_agreement(ledger, rig, [card])
    assert ledger.balance(card) == 500 + sum(e.postings.get("points", 0) for e in rig.journal())
    assert "conflict" not in dropper.statuses(delivered_only=False)
    assert_verify_passes(ledger)


def test_a_pull_heard_before_the_retried_push_settles_the_lost_answer_without_double_count(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(1000)
    rig = new_till(ledger)
    dropper = dropper_on(rig)
    assert rig.sync()
    rig.earn(card, "120.00")
    rig.earn(card, "80.00")
    dropper.drop_next_pushes(1)
    assert not rig.sync()
    assert rig.pending() == 2 and not not_at_ledger(ledger, rig)

    # The next thing the till hears is the changes feed, not the push's answer.
    pull_only = SyncEngine(PullOnly(rig.link.engine.local), rig.link.client)  # type: ignore[arg-type]
    pull_only.run_once()
    assert rig.pending() == 0
    assert rig.shown(card) == ledger.balance(card) == 1200
    assert rig.till.lookup(card).unconfirmed_points == 0

    assert rig.sync()
    assert dropper.pushes == 1  # nothing left to push
    assert_in_agreement(ledger, rig, [card])


def test_a_ledger_ahead_of_a_smaller_batch_is_settled_without_pushing_it_again_and_again(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(0)
    rig = new_till(ledger, batch_size=6)
    dropper = dropper_on(rig)
    assert rig.sync()
    for amount in range(6):
        rig.earn(card, f"{amount + 1}0.00")
    dropper.drop_next_pushes(1)
    assert not rig.sync()

    # Restarted with smaller batches: the ledger already holds more than one batch.
    rig.reopen(batch_size=2)
    dropper = dropper_on(rig)
    assert rig.sync()
    assert dropper.pushes == 1  # the pull settles what the ledger holds
    assert_in_agreement(ledger, rig, [card])
    assert rig.shown(card) == ledger.balance(card) == 210
