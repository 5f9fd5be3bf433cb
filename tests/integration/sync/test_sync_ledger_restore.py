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


def test_an_operator_begins_a_new_epoch_and_tills_pull_everything_again(
    ledger: LedgerUnderTest, tmp_path: Path
):
    """``pos-ledger epoch new`` after a restore: a till none of whose events were lost
    still starts over (its cursor may name changes the restored ledger gives out again),
    and nothing is sent twice."""
    (card,) = ledger.add_members(700)
    rig = TillRig.new(ledger, tmp_path)
    try:
        rig.earn(card, "100")
        rig.sync_until_settled()
        before = _epoch(rig)
        assert ledger.handle.admin("epoch").stdout.strip() == before

        refused = ledger.handle.admin("epoch", "new", "--reason", "  ")
        assert refused.returncode != 0 and "--reason" in refused.stderr
        begun = ledger.handle.admin("epoch", "new", "--reason", "restored the 03:00 backup")
        assert begun.returncode == 0, begun.stderr
        after = ledger.handle.admin("epoch").stdout.strip()
        assert after != before and after in begun.stdout

        cursor = rig.till.store.settings.get(PULL_CURSOR)
        rig.sync_until_settled()
        assert _epoch(rig) == after
        assert rig.till.store.settings.get(PULL_CURSOR) not in (None, cursor)
        assert_in_agreement(ledger, rig, [card])
        audit = json.loads(ledger.handle.admin("audit", "--json").stdout)
        assert any(e["subject"] == after and e["action"] == "epoch.new" for e in audit)
    finally:
        rig.close()


def test_a_cursor_from_before_epochs_reads_on(tmp_path: Path):
    """A till upgraded from a release without epochs keeps its place in the feed (in
    the first epoch; after a new one, such a cursor starts from the beginning)."""
    with database_url("sqlite", tmp_path) as url, start_ledger(url, tmp_path) as handle:
        ledger = LedgerUnderTest(handle, tmp_path)
        try:
            ledger.add_members(10, 20)
            _, token = ledger.add_terminal("OLD")
            client = handle.client(token)
            first = client.get("/v1/changes", params={"limit": 10_000}).json()
            ledger.add_members(1, 2, 3)
            health = client.get("/health").json()
            assert health["epoch"] == health["ledger_id"] == first["epoch"]
            number = first["next_cursor"].rsplit(".", 1)[1]
            old_form = f"{health['ledger_id']}.{number}"

            def members_after(cursor: str) -> int:
                page = client.get("/v1/changes", params={"since": cursor, "limit": 10_000})
                changes = page.json()["changes"]
                return sum(c["type"] == "member" for c in changes)

            assert members_after(old_form) == 3
            assert handle.admin("epoch", "new", "--reason", "test").returncode == 0
            assert members_after(old_form) == 5
            assert members_after(first["next_cursor"]) == 5
        finally:
            ledger.close()
