"""A ledger restored from a backup behind three tills heals itself (issue: epochs).

Three tills sell and sync; the ledger is backed up; they sell and sync again (the
ledger confirms those events); one also sells offline. Then the ledger is stopped,
its backup restored and started again at the same address, as after a disk loss or
a failover to a replica that lagged. Without epochs the tills would park their next
event as a gap and show balances the ledger no longer has, for good.

Each till's next sync shows the ledger that its data is older than what the till
has seen: a new epoch begins, every till resets its cursor and cached versions,
sends again every event after the ledger's high water, and pulls everything. Then
the ledger holds every journal exactly once, verifies clean, and every balance
agrees. On SQLite and, with POS_TEST_POSTGRES, on PostgreSQL (pg_dump and psql).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos_client.store.epochs import LEDGER_EPOCH
from pos_client.store.sync_side import PULL_CURSOR
from tests.integration.ledger.support import database_url, start_ledger
from tests.integration.sync.ledger_backup import back_up, restore
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(str(request.param), tmp_path) as url:
        yield url


def _till(ledger: LedgerUnderTest, terminal: tuple[str, str], parent: Path) -> TillRig:
    data_dir = Path(tempfile.mkdtemp(prefix="till-", dir=parent))
    return TillRig(ledger, data_dir, *terminal)


def _epoch(rig: TillRig) -> str | None:
    return rig.till.store.settings.get(LEDGER_EPOCH)


def test_a_ledger_restored_from_a_backup_heals_from_its_tills(db_url: str, tmp_path: Path):
    rigs: list[TillRig] = []
    with start_ledger(db_url, tmp_path) as handle:
        port = int(handle.url.rsplit(":", 1)[1])
        ledger = LedgerUnderTest(handle, tmp_path)
        cards = ledger.add_members(1000, 2000, 3000)
        terminals = [ledger.add_terminal(f"R{n}") for n in range(3)]
        for terminal in terminals:
            rigs.append(_till(ledger, terminal, tmp_path))
        for rig, card in zip(rigs, cards, strict=True):
            rig.earn(card, "100")
            rig.earn(cards[0], "50")  # every till sells to the first member too
            rig.sync_until_settled()
        first_epoch = _epoch(rigs[0])
        assert first_epoch and all(_epoch(r) == first_epoch for r in rigs)
        backup = back_up(db_url, tmp_path)

        for rig, card in zip(rigs, cards, strict=True):  # confirmed, then lost
            rig.earn(card, "300")
            rig.redeem(card, 100)
            rig.earn(cards[1], "70")
            rig.sync_until_settled()
        assert [ledger.high_water(r.terminal_id) for r in rigs] == [5, 5, 5]
        rigs[2].earn(cards[2], "40")  # recorded offline, never synced before the loss
        ledger.close()

    restore(db_url, backup)
    with start_ledger(db_url, tmp_path, port=port) as handle:
        ledger = LedgerUnderTest(handle, tmp_path)
        try:
            assert [ledger.high_water(r.terminal_id) for r in rigs] == [2, 2, 2]
            for rig in rigs:
                rig.sync_until_settled()
            for rig in rigs:  # a second round settles what others sent after each pull
                assert rig.sync()

            new_epoch = _epoch(rigs[0])
            assert new_epoch and new_epoch != first_epoch
            assert all(_epoch(r) == new_epoch for r in rigs)
            assert all(r.till.store.settings.get(PULL_CURSOR) for r in rigs)
            for rig in rigs:
                assert_in_agreement(ledger, rig, cards)
            assert [ledger.high_water(r.terminal_id) for r in rigs] == [5, 5, 6]
            for card in cards:
                assert all(r.shown(card) == ledger.balance(card) for r in rigs)
            assert_verify_passes(ledger)
            audit = json.loads(ledger.handle.admin("audit", "--json").stdout)
            (begun,) = [e for e in audit if e["action"] == "epoch.new"]
            assert begun["subject"] == new_epoch and begun["actor"] == "ledger"
            assert "older than seen" in begun["detail"]["reason"]
        finally:
            ledger.close()
            for rig in rigs:
                rig.close()
