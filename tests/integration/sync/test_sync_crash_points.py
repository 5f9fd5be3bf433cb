"""A till killed at any dangerous point loses no point and counts none twice.

A till subprocess (forked by ``sync_crash_worker.py``) records a few earns and
redemptions, syncs, and is SIGKILLed at one of these points:

* right after an event's journal transaction commits;
* in the middle of sending a push (part of the body on the wire);
* after the ledger committed a push, before the till read the answer;
* after the answer was read, before the till settled it;
* after a pull's pages were staged, before they were applied.

After each kill the test reopens the till from its files, syncs until nothing is
pending, and checks: the journal's chain is intact; the ledger holds exactly the
journal, each event once (ids, order, content); every member's ledger balance is its
opening balance plus the journal's points; the till's balances are the ledger's; and
the ledger's own verification passes (in process after each kill, ``pos-ledger
verify`` once per series). Several kills run in a row on the same till and ledger, so
each restart also inherits whatever the previous crash left behind.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.verify import verify
from tests.integration.sync.crash_runner import CrashWorker
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)
from tests.integration.sync.sync_crash_worker import POINTS

SEEDS = 4
KILLS_PER_SERIES = 10
POSTGRES_KILLS_PER_SERIES = 6
CARDS = 3
OFFLINE_REDEEM_ROOM = 900
"""Points redeemed per member per run: the child is not yet in touch with the ledger
when it records, so the offline redemption cap (1000 a day) applies."""


@pytest.fixture(scope="module")
def crash_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashWorker]:
    worker = CrashWorker(tmp_path_factory.mktemp("crash-worker") / "worker.log")
    try:
        yield worker
    finally:
        worker.stop()


def plan_run(
    rng: random.Random, point: str, balances: dict[str, int], batch_size: int
) -> dict[str, Any]:
    """Random events that the till will accept, and where to die."""
    actions: list[tuple[str, str, str]] = []
    simulated = dict(balances)
    redeemed = dict.fromkeys(balances, 0)
    for _ in range(rng.randint(1, 7)):
        card = rng.choice(sorted(simulated))
        most = min(simulated[card], OFFLINE_REDEEM_ROOM - redeemed[card])
        if most >= 100 and rng.random() < 0.35:
            points = rng.randint(100, most)
            actions.append(("redeem", card, str(points)))
            simulated[card] -= points
            redeemed[card] += points
        else:
            minor = rng.randint(100, 300_000)
            actions.append(("earn", card, f"{minor // 100}.{minor % 100:02d}"))
            simulated[card] += minor // 100
    pushes = math.ceil(len(actions) / batch_size)
    nth = rng.randint(1, len(actions) if point == "after-journal-commit" else pushes)
    return {"point": point, "actions": actions, "nth": nth, "cut": rng.random()}


def assert_died_where_planned(
    ledger: LedgerUnderTest, rig: TillRig, spec: dict[str, Any], before: int, batch_size: int
) -> None:
    """The state the kill left is the one its point promises (checked before any sync)."""
    point, nth, recorded = spec["point"], spec["nth"], len(rig.journal()) - before
    held, confirmed = ledger.high_water(rig.terminal_id), rig.till.store.confirmed_seq
    if point == "after-journal-commit":
        assert (recorded, held, confirmed) == (nth, before, before)
        return
    assert recorded == len(spec["actions"])

    # The nth push may go out while the answer to the one before is being stored
    # (sync.engine._SentAhead): at a kill in the nth push, that answer may or may not
    # be stored yet; at a kill before the nth settle, the push after it may already
    # be applied at the ledger. Never more than one batch either way.
    def pushed(batches: int) -> int:
        return min(before + max(batches, 0) * batch_size, before + recorded)

    stored_before = {pushed(nth - 1), pushed(nth - 2)}
    if point == "mid-send":
        assert held == pushed(nth - 1) and confirmed in stored_before
    elif point == "after-ledger-commit":
        assert held == pushed(nth) and confirmed in stored_before and confirmed < held
    elif point == "before-settle":
        assert held in {pushed(nth), pushed(nth + 1)}
        assert confirmed == pushed(nth - 1) < held
    else:
        assert held == confirmed == before + recorded


def check_after_restart(ledger: LedgerUnderTest, rig: TillRig, cards: list[str]) -> None:
    assert rig.till.store.verify() == len(rig.journal())
    rig.sync_until_settled()
    assert_in_agreement(ledger, rig, cards)
    journal = rig.journal()
    for card in cards:
        points = sum(e.postings.get("points", 0) for e in journal if e.card == card)
        assert ledger.balance(card) == ledger.opening_balance(card) + points
        assert rig.shown(card) == ledger.balance(card)
    report = verify(ledger.db)
    assert report.ok, report.differences


def kill_series(
    ledger: LedgerUnderTest,
    worker: CrashWorker,
    directory: Path,
    point: str,
    seed: int,
    kills: int,
) -> None:
    rng = random.Random(f"{point}/{seed}")
    cards = ledger.add_members(*(rng.randint(0, 3000) for _ in range(CARDS)))
    terminal_id, token = ledger.add_terminal("CRASH")
    batch_size = rng.choice([1, 2, 3, 5])
    data_dir = directory / terminal_id

    def open_till() -> TillRig:
        return TillRig(ledger, data_dir, terminal_id, token, batch_size=batch_size)

    rig = open_till()
    try:
        assert rig.sync()  # the till learns its members
    finally:
        rig.close()

    before = 0
    for run in range(kills):
        balances = {card: ledger.balance(card) for card in cards}
        spec = plan_run(rng, point, balances, batch_size) | {
            "terminal_id": terminal_id,
            "token": token,
            "url": ledger.url,
            "data_dir": str(data_dir),
            "batch_size": batch_size,
        }
        outcome = worker.run(spec)
        assert outcome.killed and outcome.reached == [point], (
            f"run {run}: {outcome}\n{worker.log_tail()}"
        )
        rig = open_till()
        try:
            assert_died_where_planned(ledger, rig, spec, before, batch_size)
            check_after_restart(ledger, rig, cards)
            before = len(rig.journal())
        finally:
            rig.close()
    assert_verify_passes(ledger)


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("point", POINTS)
def test_a_till_killed_at_a_dangerous_point_loses_and_doubles_nothing(
    ledger: LedgerUnderTest, crash_worker: CrashWorker, tmp_path: Path, point: str, seed: int
):
    kill_series(ledger, crash_worker, tmp_path, point, seed, KILLS_PER_SERIES)


@pytest.mark.postgres
@pytest.mark.parametrize("point", POINTS)
def test_a_till_killed_at_a_dangerous_point_loses_and_doubles_nothing_on_postgresql(
    postgres_ledger: LedgerUnderTest, crash_worker: CrashWorker, tmp_path: Path, point: str
):
    kill_series(postgres_ledger, crash_worker, tmp_path, point, 0, POSTGRES_KILLS_PER_SERIES)
