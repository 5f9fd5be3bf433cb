"""Any sequence of sales, outages, restarts and lost answers keeps every point exact.

A hypothesis state machine drives one real till against the real ledger: earn,
redeem, go offline, come online, sync, crash (close the till and open it again from
its files), and lose the ledger's answer to the next push. A model keeps what each
member's balance must be. After every step:

* the balance the till shows is the model's;
* the ledger's balance plus the till's events the ledger lacks is the model's;
* the ledger holds a prefix of the till's journal, and no event id twice.

At the end the till comes online and syncs until nothing is pending; then the
ledger's balances are the model's and so are the till's confirmed balances.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from loyalty.errors import RedemptionRefused
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
    not_at_ledger,
)
from tests.integration.sync.transports import AnswerDropper

OPENING = (500, 0)
MAX_DROPS_ARMED = 3
MACHINE_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class TillAgainstLedger(RuleBasedStateMachine):
    ledger: LedgerUnderTest
    work_dir: Path

    @initialize()
    def open_till(self) -> None:
        self.cards = self.ledger.add_members(*OPENING)
        self.model = dict(zip(self.cards, OPENING, strict=True))
        terminal_id, token = self.ledger.add_terminal("SM")
        data_dir = Path(tempfile.mkdtemp(prefix="till-", dir=self.work_dir))
        self.rig = TillRig(self.ledger, data_dir, terminal_id, token, batch_size=3)
        self.online = True
        self.drops_armed = 0
        self._install_transport()
        assert self.rig.sync()

    def _install_transport(self) -> None:
        self.dropper = AnswerDropper()
        self.dropper.drop_next_pushes(self.drops_armed)
        self.rig.link.transport.inner = self.dropper
        self.rig.link.set_connected(self.online)

    @property
    def in_touch(self) -> bool:
        """Connected, and the last sync of this till process succeeded."""
        return self.online and self.rig.link.status.state == "online"

    @property
    def opened(self) -> bool:
        return hasattr(self, "rig")

    # --- rules -------------------------------------------------------------------

    @precondition(lambda self: self.opened)
    @rule(which=st.integers(0, len(OPENING) - 1), minor=st.integers(100, 500_000))
    def earn(self, which: int, minor: int) -> None:
        card = self.cards[which]
        self.rig.earn(card, f"{minor // 100}.{minor % 100:02d}")
        self.model[card] += minor // 100

    @precondition(lambda self: self.opened)
    @rule(which=st.integers(0, len(OPENING) - 1), points=st.integers(100, 1500))
    def redeem(self, which: int, points: int) -> None:
        card = self.cards[which]
        recorded = len(self.rig.journal())
        try:
            self.rig.redeem(card, points)
        except RedemptionRefused:
            # Refused for want of points, or by the offline bounds while not in touch.
            assert points > self.model[card] or not self.in_touch
            assert len(self.rig.journal()) == recorded
            return
        assert points <= self.model[card]
        self.model[card] -= points

    @precondition(lambda self: self.opened)
    @rule()
    def go_offline(self) -> None:
        self.online = False
        self.rig.link.set_connected(False)

    @precondition(lambda self: self.opened)
    @rule()
    def come_online(self) -> None:
        self.online = True
        self.rig.link.set_connected(True)

    @precondition(lambda self: self.opened)
    @rule()
    def sync(self) -> None:
        pending = self.rig.pending()
        answer_lost = self.dropper.armed > 0 and pending > 0
        succeeded = self.rig.sync()
        if answer_lost and self.online:
            self.drops_armed -= 1
        assert succeeded == (self.online and not answer_lost)

    @precondition(lambda self: self.opened)
    @rule()
    def crash(self) -> None:
        self.rig.reopen()
        self._install_transport()

    @precondition(lambda self: self.opened and self.drops_armed < MAX_DROPS_ARMED)
    @rule()
    def drop_next_answer(self) -> None:
        self.drops_armed += 1
        self.dropper.drop_next_pushes(1)

    # --- invariants --------------------------------------------------------------

    @precondition(lambda self: self.opened)
    @invariant()
    def balances_are_the_models(self) -> None:
        missing = not_at_ledger(self.ledger, self.rig)
        for card, expected in self.model.items():
            assert self.rig.shown(card) == expected
            unheard = sum(e.postings.get("points", 0) for e in missing if e.card == card)
            assert self.ledger.balance(card) + unheard == expected

    @precondition(lambda self: self.opened)
    @invariant()
    def the_ledger_holds_a_prefix_of_the_journal_once(self) -> None:
        held = [e.event_id for e in self.ledger.events(self.rig.terminal_id)]
        assert held == [e.event_id for e in self.rig.journal()[: len(held)]]
        assert self.ledger.repeated_event_ids() == []

    def teardown(self) -> None:
        if not self.opened:
            return
        try:
            self.dropper.disarm()
            self.rig.link.set_connected(True)
            self.rig.sync_until_settled()
            assert_in_agreement(self.ledger, self.rig, self.cards)
            for card, expected in self.model.items():
                assert self.ledger.balance(card) == expected
                assert self.rig.confirmed(card) == expected
        finally:
            self.rig.close()


def test_any_sequence_of_sales_outages_restarts_and_lost_answers_keeps_every_point_exact(
    ledger: LedgerUnderTest, tmp_path: Path
):
    TillAgainstLedger.ledger = ledger
    TillAgainstLedger.work_dir = tmp_path
    run_state_machine_as_test(TillAgainstLedger, settings=MACHINE_SETTINGS)
    assert_verify_passes(ledger)
