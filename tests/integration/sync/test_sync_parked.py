"""An event the ledger refuses is parked with the ledger's reason for a manager; the
till keeps recording, loses nothing behind it, and shows the stop."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from pos_client.cli import main
from pos_client.errors import ManagerActionRefused
from tests.integration.sync.rig import LedgerUnderTest, TillRig


def test_a_forked_stream_is_parked_with_the_reason_and_nothing_behind_it_is_lost(
    ledger: LedgerUnderTest, tmp_path: Path, capsys
):
    (card,) = ledger.add_members(1000)
    terminal_id, token = ledger.add_terminal("FORK")
    first = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    # A second data directory under the same terminal: a restored backup, say.
    second = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    try:
        assert first.sync() and second.sync()
        first.earn(card, "100")
        first.sync_until_settled()

        second.earn(card, "50")  # also event 1 of this terminal, other content
        second.earn(card, "60")
        assert not second.sync()  # stopped: nothing of it applied, nothing settled
        status = second.till.status()
        assert status.parked_events == 1 and status.pending_events == 2
        assert status.ledger_state == "stopped"
        assert "another till may be using the same terminal id" in (status.last_error or "")
        (parked,) = second.link.status.parked
        assert (parked.seq, parked.code) == (1, "fork")
        assert "already recorded with another id" in parked.reason
        # No decision at this till mends a fork: a manager cannot void it here.
        assert not second.till.sync_queue().parked[0].voidable
        with pytest.raises(ManagerActionRefused, match="head office"):
            second.till.resolve_parked(1, "looks wrong", "9001")
        assert [p.seq for p in second.till.sync_queue().parked] == [1]
        # Shown: the last balance it trusted plus both of its own, neither counted twice.
        assert second.till.lookup(card).balance == 1000 + 50 + 60

        second.earn(card, "70")  # still records locally, loses nothing
        assert not second.sync()
        assert second.till.status().pending_events == 3
        assert second.till.store.verify() == 3
        assert [e.seq for e in ledger.events(terminal_id)] == [1]  # only the first till's
        assert ledger.balance(card) == 1100
    finally:
        first.close()
        second.close()

    parked_file = tmp_path / "parked.toml"
    parked_file.write_text(
        f'[till]\nterminal_id = "{terminal_id}"\ndata_dir = "{second.config.data_dir}"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(parked_file), "parked"]) == 1
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["seq"] == 1 and line["code"] == "fork"


def test_a_till_whose_id_the_ledger_knows_from_another_journal_trusts_no_high_water(
    ledger: LedgerUnderTest, tmp_path: Path
):
    (card,) = ledger.add_members(1000)
    terminal_id, token = ledger.add_terminal("TWIN")
    first = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    second = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    try:
        assert first.sync()
        first.earn(card, "100")
        first.sync_until_settled()

        assert not second.sync()  # the ledger's event 1 of this id is not in its journal
        assert second.till.store.confirmed_seq == 0
        assert second.till.store.members.count() == 0  # nothing of that pull applied
        assert "same terminal id" in (second.link.status.last_error or "")
    finally:
        first.close()
        second.close()
