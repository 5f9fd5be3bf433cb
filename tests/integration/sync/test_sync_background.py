"""Background sync settling while the cashier keeps recording never shows a point twice.

The till's own sync thread (``LedgerLink.start``) runs as in the shop, woken after
every sale, while the test records sales in the cashier's thread and loses some of
the ledger's answers. The balance shown, read between and right after sales, must
always be the opening balance plus every sale recorded so far: a settle landing
between two reads may move points from "unconfirmed" to "confirmed", never count
them in both.
"""

from __future__ import annotations

import contextlib
import random

from loyalty.errors import RedemptionRefused
from tests.integration.sync.rig import LedgerUnderTest, assert_in_agreement, assert_verify_passes
from tests.integration.sync.transports import AnswerDropper

SALES = 120


def test_the_shown_balance_never_double_counts_while_background_sync_settles(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(1000)
    rig = new_till(ledger, batch_size=4)
    dropper = AnswerDropper()
    rig.link.transport.inner = dropper
    assert rig.sync()
    rig.link.start()
    rng = random.Random(11)
    expected = 1000
    confirmed_seen: set[int] = set()
    for sale in range(SALES):
        if rng.random() < 0.3 and expected >= 100:
            points = rng.randint(100, min(expected, 400))
            with contextlib.suppress(RedemptionRefused):  # offline caps may refuse it
                rig.redeem(card, points)
                expected -= points
        else:
            minor = rng.randint(100, 40_000)
            rig.earn(card, f"{minor // 100}.{minor % 100:02d}")
            expected += minor // 100
        if sale % 7 == 0:
            dropper.drop_next_pushes(1)
        for _ in range(rng.randint(1, 5)):
            view = rig.till.lookup(card)
            assert view.balance == expected, (view, expected)
            confirmed_seen.add(view.confirmed_points)

    assert rig.link.runner is not None
    rig.link.runner.stop()
    rig.sync_until_settled()
    assert_in_agreement(ledger, rig, [card])
    assert rig.shown(card) == ledger.balance(card) == expected
    assert len(confirmed_seen) > 1  # the background thread did settle meanwhile
    assert any(not delivered for delivered, _ in dropper.answers)
    assert_verify_passes(ledger)
