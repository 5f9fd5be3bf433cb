"""A lost or damaged till database, recovered from the ledger (``pos-client recover``).

A real ledger server on 127.0.0.1 (SQLite, and PostgreSQL with POS_TEST_POSTGRES) and
real tills; the refusal and the recovery run through ``pos-client`` as a subprocess,
as an operator runs them, so their exit statuses are what is tested.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from loyalty.canonical import canonical_json
from loyalty.events import Event
from pos_client.errors import ReceiptNotFound
from pos_client.store.identity import identity_path, read_identity
from pos_client.store.integrity import EXIT_DATABASE_REFUSED
from pos_client.till import Till
from tests.integration.cli_process import run_pos_client
from tests.integration.ledger.support import free_port
from tests.integration.sync.conftest import TillFactory
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_ledger_holds_journal_once,
)


def config_file(rig: TillRig, url: str | None = None) -> Path:
    """The rig's configuration as a file, for ``pos-client --config``."""
    path = rig.config.data_dir.parent / f"{rig.terminal_id}.toml"
    path.write_text(
        f'[till]\nterminal_id = "{rig.terminal_id}"\ndata_dir = "{rig.config.data_dir}"\n'
        f'[ledger]\nurl = "{url or rig.config.ledger.url}"\ntoken = "{rig.config.ledger.token}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def till_with_history(ledger: LedgerUnderTest, new_till: TillFactory) -> tuple[TillRig, str]:
    """A till with 3 events at the ledger and 2 more never synced, shut down cleanly."""
    (card,) = ledger.add_members(1000)
    rig = new_till(ledger)
    assert rig.sync()
    for amount in ("100", "200", "300"):
        rig.earn(card, amount)
    rig.sync_until_settled()
    for amount in ("400", "500"):
        rig.earn(card, amount)
    rig.close()
    assert read_identity(rig.config.database_path).known_seq == 5  # type: ignore[union-attr]
    return rig, card


def set_aside_files(rig: TillRig) -> list[Path]:
    return sorted(rig.config.data_dir.glob("till.sqlite.damaged-*"))


def test_an_emptied_database_is_refused_then_recovered_and_the_till_goes_on(
    any_ledger: LedgerUnderTest, new_till: TillFactory
):
    rig, card = till_with_history(any_ledger, new_till)
    rig.config.database_path.write_bytes(b"")
    config = config_file(rig)

    refused = run_pos_client(config, "status")
    assert refused.returncode == EXIT_DATABASE_REFUSED, refused.stderr
    assert "is empty (0 bytes)" in refused.stderr and "Traceback" not in refused.stderr

    recovered = run_pos_client(config, "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "events from the ledger, chain verified: 3" in recovered.stdout
    assert "LOST (recorded but never synced): 2 events, sequence numbers 4-5" in recovered.stdout
    assert "continues at event 4, receipt number 6" in recovered.stdout
    (aside,) = set_aside_files(rig)
    assert aside.stat().st_size == 0  # kept as it was, not deleted

    rig.till = Till.open(rig.config)
    assert [e.seq for e in rig.journal()] == [1, 2, 3]
    assert rig.till.store.confirmed_seq == 3
    rig.sync_until_settled()  # a full pull brings the member back
    rig.till.scan(card)
    receipt = rig.till.earn("50")
    new = rig.journal()[-1]
    assert new.seq == 4  # the sequence goes on after the ledger's last event
    number = f"{rig.terminal_id}-000006"  # receipts 4 and 5 were printed: never again
    assert receipt.receipt_no == rig.till.last_receipts(1)[0].receipt_no == number
    assert rig.till.refund_preview(number).refund_minor == 5000  # the new sale, by its number
    with pytest.raises(ReceiptNotFound, match="lost when this till's database was recovered"):
        rig.till.refund_preview(f"{rig.terminal_id}-000004")
    rig.sync_until_settled()  # the ledger takes it: no fork
    assert_ledger_holds_journal_once(any_ledger, rig)
    assert rig.shown(card) == any_ledger.balance(card)
    assert run_pos_client(config, "verify").returncode == 0


def test_a_damaged_file_keeps_the_events_that_still_chain_on(
    ledger: LedgerUnderTest, new_till: TillFactory
):
    rig, card = till_with_history(ledger, new_till)
    path = rig.config.database_path
    with sqlite3.connect(path) as conn:  # wreck the member cache's first page
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'members'"
        ).fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : (root - 1) * page_size + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))

    recovered = run_pos_client(config_file(rig), "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "salvaged from the old file, not yet synced: 2" in recovered.stdout
    assert "lost: none" in recovered.stdout

    rig.till = Till.open(rig.config)
    assert [e.seq for e in rig.journal()] == [1, 2, 3, 4, 5]
    rig.sync_until_settled()
    assert rig.earn(card, "50").seq == 6
    rig.sync_until_settled()
    assert_ledger_holds_journal_once(ledger, rig)
    # every one of the six earns counted once (a point per krone)
    assert rig.shown(card) == ledger.balance(card) == 1000 + 100 + 200 + 300 + 400 + 500 + 50


def test_recover_refuses_a_ledger_chain_that_does_not_verify_and_changes_nothing(
    any_ledger: LedgerUnderTest, new_till: TillFactory
):
    rig, _ = till_with_history(any_ledger, new_till)
    rig.config.database_path.write_bytes(b"")
    identity_before = identity_path(rig.config.database_path).read_bytes()
    with any_ledger.db.write() as tx:  # someone edits a stored event's points
        where = (rig.terminal_id, 2)
        row = tx.one("SELECT document FROM events WHERE terminal_id = ? AND seq = ?", where)
        assert row is not None
        content = json.loads(row[0])
        content["postings"]["points"] += 1000
        tx.execute(
            "UPDATE events SET document = ? WHERE terminal_id = ? AND seq = ?",
            (canonical_json(content), *where),
        )
    result = run_pos_client(config_file(rig), "recover")
    assert result.returncode == 1
    assert "does not verify" in result.stderr and "Nothing was changed" in result.stderr
    assert rig.config.database_path.stat().st_size == 0
    assert set_aside_files(rig) == []
    assert identity_path(rig.config.database_path).read_bytes() == identity_before


def test_recover_refuses_without_the_ledger_and_changes_nothing(
    ledger: LedgerUnderTest, new_till: TillFactory
):
    rig, _ = till_with_history(ledger, new_till)
    rig.config.database_path.write_bytes(b"")
    result = run_pos_client(config_file(rig, url=f"http://127.0.0.1:{free_port()}"), "recover")
    assert result.returncode == 1
    assert "Cannot fetch this till's events" in result.stderr and "Traceback" not in result.stderr
    assert rig.config.database_path.stat().st_size == 0 and set_aside_files(rig) == []


def test_recover_refuses_a_healthy_database(ledger: LedgerUnderTest, new_till: TillFactory):
    rig, _ = till_with_history(ledger, new_till)
    result = run_pos_client(config_file(rig), "recover")
    assert result.returncode == 1 and "is healthy" in result.stderr
    assert set_aside_files(rig) == []
    rig.till = Till.open(rig.config)
    assert len(rig.journal()) == 5


def test_a_terminal_reads_back_only_its_own_events_a_page_at_a_time(
    any_ledger: LedgerUnderTest, new_till: TillFactory
):
    (card,) = any_ledger.add_members(1000)
    mine, other = new_till(any_ledger), new_till(any_ledger)
    for rig, count in ((mine, 5), (other, 1)):
        assert rig.sync()
        for _ in range(count):
            rig.earn(card, "100")
        rig.sync_until_settled()
    client = any_ledger.handle.client(mine.config.ledger.token)
    pages, after = [], 0
    for _ in range(5):
        answer = client.get("/v1/terminal/events", params={"after": after, "limit": 2}).json()
        pages.append(answer)
        if answer["next_after"] is None:
            break
        after = answer["next_after"]
    assert [len(p["events"]) for p in pages] == [2, 2, 1]
    got = [Event.from_dict({**json.loads(e["document"]), "hash": e["hash"]})
           for p in pages for e in p["events"]]  # fmt: skip
    assert [(e.event_id, e.hash) for e in got] == [(e.event_id, e.hash) for e in mine.journal()]
    assert {e.terminal_id for e in got} == {mine.terminal_id}
    assert pages[-1]["high_water"] == 5 and pages[-1]["last_hash"] == got[-1].hash
    unauthenticated = httpx.get(f"{any_ledger.url}/v1/terminal/events", timeout=30)
    assert unauthenticated.status_code == 401
