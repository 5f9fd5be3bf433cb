"""The sync queue a store manager sees, and what they decide about parked events:
retry one (the next sync sends it again), or void a refused one (it travels with a
``sync.protocol.Void``; the ledger keeps it and applies nothing). A real ledger on
127.0.0.1; events are parked by a ledger verdict: pushes answered 422 in the ledger's
own error format, as a ledger of another release that cannot read them answers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx
import pytest

from loyalty.events import Event, compute_hash
from pos_client.cli import main
from pos_client.errors import ManagerActionRefused, NotAManager, UnknownStaff
from pos_client.store.journal import INSERT_SQL, journal_row
from pos_client.store.sync_side import StoreSyncSide
from pos_client.store.transaction import write_transaction
from tests.integration.sync.rig import LedgerUnderTest, TillRig, assert_ledger_holds_journal_once
from tests.integration.sync.transports import RefusingPushes


def parked_rig(ledger: LedgerUnderTest, tmp_path: Path, card: str, earns: int = 2) -> TillRig:
    """A till whose first event is parked as refused: it synced its members, then its
    ledger refused its pushes (422) until it was upgraded (the rig reopened)."""
    terminal_id, token = ledger.add_terminal("Q")
    rig = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    assert rig.sync()
    rig.link.transport.inner = RefusingPushes()
    for _ in range(earns):
        rig.earn(card, "100")
    assert not rig.sync()
    rig.link.transport.inner = httpx.HTTPTransport()  # upgraded: it reads them again
    return rig


def resolutions(rig: TillRig) -> list[tuple[object, ...]]:
    return rig.till.store.conn.execute(
        "SELECT seq, decision, manager, note FROM parked_resolutions ORDER BY seq"
    ).fetchall()


def test_the_queue_shows_what_waits_and_the_parked_event_with_the_reason(
    ledger: LedgerUnderTest, tmp_path: Path
):
    (card,) = ledger.add_members(1000)
    rig = parked_rig(ledger, tmp_path, card)
    try:
        queue = rig.till.sync_queue()
        assert queue.pending == 2 and queue.ledger_state == "stopped"
        assert queue.oldest_pending_at is not None and (queue.oldest_pending_age_s or 0) >= 0
        (parked,) = queue.parked
        assert (parked.seq, parked.code, parked.kind) == (1, "refused", "sale")
        assert "422" in parked.reason and "cannot read" in parked.reason and parked.parked_at
        assert parked.member_name == f"Member {card[-4:]}" and parked.card.endswith(card[-4:])
        assert parked.voidable and parked.resolution is None and queue.decided == ()
    finally:
        rig.close()


def test_a_retried_event_is_sent_again_and_the_next_sync_confirms_it(
    ledger: LedgerUnderTest, tmp_path: Path
):
    (card,) = ledger.add_members(1000)
    rig = parked_rig(ledger, tmp_path, card)
    try:
        # the ledger upgraded, but the event stays parked until a manager retries it
        assert rig.sync() and rig.pending() == 2 and ledger.events(rig.terminal_id) == []

        rig.till.retry_parked(1, "9001")
        queue = rig.till.sync_queue()
        assert queue.parked == () and [d.decision for d in queue.decided] == ["retry"]
        assert resolutions(rig) == [(1, "retry", "9001", "")]

        rig.sync_until_settled()
        assert_ledger_holds_journal_once(ledger, rig)
        assert rig.till.sync_queue().decided == ()  # confirmed: off the queue
        assert ledger.balance(card) == rig.shown(card)
    finally:
        rig.close()


def test_a_void_needs_a_note_a_parked_event_and_a_manager(ledger: LedgerUnderTest, tmp_path: Path):
    (card,) = ledger.add_members(1000)
    rig = parked_rig(ledger, tmp_path, card)
    till = rig.till
    try:
        for note in ("", "   "):
            with pytest.raises(ManagerActionRefused, match="note"):
                till.resolve_parked(1, note, "9001")
        with pytest.raises(ManagerActionRefused, match="not parked"):
            till.resolve_parked(2, "sent twice", "9001")
        with pytest.raises(ManagerActionRefused, match="not parked"):
            till.retry_parked(99, "9001")
        with pytest.raises(UnknownStaff):
            till.retry_parked(1, "")
        with write_transaction(till.store.conn):
            till.store.conn.executemany(
                "INSERT INTO staff (staff_id, name, role, pin_hash, active, version) "
                "VALUES (?, ?, ?, 'scrypt$x', 1, 1)",
                [("9001", "Mona", "manager"), ("1001", "Kari", "cashier")],
            )
        with pytest.raises(NotAManager):
            till.resolve_parked(1, "bad proxy", "1001")
        with pytest.raises(UnknownStaff):
            till.resolve_parked(1, "bad proxy", "7777")
        assert resolutions(rig) == [] and [p.seq for p in till.sync_queue().parked] == [1]

        till.resolve_parked(1, "  Customer left; sale rung up twice  ", "9001")
        assert resolutions(rig) == [(1, "void", "9001", "Customer left; sale rung up twice")]
        assert till.sync_queue().parked == ()
        (void,) = StoreSyncSide(till.store).voids(1, 2)  # what the next push carries
        assert (void.seq, void.event_id, void.manager) == (1, rig.journal()[0].event_id, "9001")
        assert void.note == "Customer left; sale rung up twice" and void.decided_at
        assert StoreSyncSide(till.store).voids(2, 9) == []
    finally:
        rig.close()


def test_a_batch_refused_as_a_whole_parks_the_event_refused(
    ledger: LedgerUnderTest, tmp_path: Path
):
    """The ledger answers 422 for the batch when one event breaks the wire schema; the
    till sends the batch again one event at a time, so the event parked (which a
    manager might void) is the bad one, and those before it are confirmed."""
    (card,) = ledger.add_members(1000)
    terminal_id, token = ledger.add_terminal("BAD")
    rig = TillRig(ledger, Path(tempfile.mkdtemp(dir=tmp_path)), terminal_id, token)
    try:
        assert rig.sync()
        rig.earn(card, "100")
        good = rig.journal()[0]

        # Event 2 names an operator longer than the wire allows (a till of another
        # version, say): the ledger cannot read the batch and answers 422.
        content = {**good.content, "event_id": "unreadable-2", "seq": 2,
                   "prev_hash": good.hash, "operator": "x" * 100}  # fmt: skip
        with write_transaction(rig.till.store.conn) as conn:
            conn.execute(INSERT_SQL, journal_row(Event(content, compute_hash(content))))
        rig.earn(card, "100")  # event 3

        assert not rig.sync()
        (parked,) = rig.till.sync_queue().parked
        assert (parked.seq, parked.code) == (2, "refused") and "operator" in parked.reason
        assert [e.seq for e in ledger.events(terminal_id)] == [1]
        assert rig.till.store.confirmed_seq == 1
    finally:
        rig.close()


def test_a_voided_event_reaches_the_ledger_which_keeps_it_and_applies_nothing(
    ledger: LedgerUnderTest, tmp_path: Path
):
    """Needs the ledger's side of voids (it stores the event, applies nothing, flags
    it); without it, this fails at the balance."""
    (card,) = ledger.add_members(1000)
    rig = parked_rig(ledger, tmp_path, card, earns=1)
    try:
        voided = rig.journal()[0]
        rig.till.resolve_parked(1, "Rung up on the wrong card", "9001")
        after = rig.earn(card, "50")
        rig.sync_until_settled()
        assert ledger.high_water(rig.terminal_id) == 2
        assert ledger.balance(card) == 1000 + after.postings["points"]
        assert voided.postings["points"] > 0
        assert rig.shown(card) == ledger.balance(card)
        assert rig.till.sync_queue().parked == ()
    finally:
        rig.close()


def test_the_parked_and_day_commands(ledger: LedgerUnderTest, tmp_path: Path, capsys):
    (card,) = ledger.add_members(1000)
    rig = parked_rig(ledger, tmp_path, card)
    rig.close()
    config = tmp_path / "parked.toml"
    config.write_text(
        f'[till]\nterminal_id = "{rig.terminal_id}"\ndata_dir = "{rig.config.data_dir}"\n',
        encoding="utf-8",
    )
    run = ["--config", str(config)]

    for listing in (["parked"], ["parked", "list"]):
        assert main([*run, *listing]) == 1
        line = json.loads(capsys.readouterr().out.splitlines()[0])
        assert (line["seq"], line["code"], line["kind"]) == (1, "refused", "sale")

    assert main([*run, "parked", "resolve", "1", "--note", " ", "--manager", "9001"]) == 2
    assert "note" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: --note is required
        main([*run, "parked", "resolve", "1", "--manager", "9001"])
    assert usage.value.code == 2
    capsys.readouterr()
    assert main([*run, "parked", "retry", "5", "--manager", "9001"]) == 2
    assert "not parked" in capsys.readouterr().err
    assert main([*run, "parked", "retry", "1", "--manager", "9001"]) == 0
    assert "again" in capsys.readouterr().out
    assert main([*run, "parked"]) == 0
    assert "No parked events" in capsys.readouterr().out

    assert main([*run, "day", "report"]) == 0
    out = capsys.readouterr().out
    assert "End of day" in out and "Not yet at the ledger" in out
    assert main([*run, "day", "report", "--print"]) == 1
    assert "No printer configured" in capsys.readouterr().err
    assert main([*run, "day", "report", "--date", "2020-01-01"]) == 0
    assert "2020-01-01" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main([*run, "day", "report", "--date", "14.03.2026"])
    assert usage.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
