"""The local store: durability settings, an append-only journal, one terminal per file."""

import sqlite3
from pathlib import Path

import pytest

from loyalty.events import EventKind, build_event
from pos_client.errors import StoreError
from pos_client.member_state import unconfirmed_postings
from pos_client.store import LocalStore
from pos_client.store.schema import migrations
from pos_client.store.transaction import write_transaction

from ..conftest import member


def earn_builder(card: str, points: int = 10, member_id: str = "M000001"):
    """An adjustment for a member (by default ``member(1)``'s id) on ``card``."""

    def build(seq: int, prev_hash: str):
        return build_event(
            terminal_id="T1",
            seq=seq,
            prev_hash=prev_hash,
            kind=EventKind.ADJUST,
            card=card,
            member_id=member_id,
            business_time="2026-11-25T10:00:00+01:00",
            store="S1",
            currency="NOK",
            postings={"points": points},
            reason="correction",
        )

    return build


def shown(store: LocalStore, card: str) -> tuple[dict[str, int], dict[str, int]]:
    """(confirmed accounts, unconfirmed postings) of a member, read together."""
    found = store.members.find(card)
    assert found is not None
    return dict(found.member.accounts), unconfirmed_postings(found.pending)


@pytest.fixture
def store(tmp_path: Path):
    opened = LocalStore.open(tmp_path / "till.sqlite", "T1")
    try:
        yield opened
    finally:
        opened.close()


def test_the_database_runs_in_wal_mode_with_full_sync(store: LocalStore):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_journal_events_can_never_be_updated_or_deleted(store: LocalStore):
    store.append(earn_builder(member(1, 0).card))
    with pytest.raises(sqlite3.IntegrityError, match="immutable"), write_transaction(store.conn):
        store.conn.execute("UPDATE journal SET postings = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"), write_transaction(store.conn):
        store.conn.execute("DELETE FROM journal")
    assert store.verify() == 1


def test_an_append_must_continue_the_chain(store: LocalStore):
    good = earn_builder(member(1, 0).card)
    store.append(good)
    with pytest.raises(ValueError, match="continue the chain"):
        store.append(lambda seq, prev: good(seq + 1, prev))
    assert store.verify() == 1


def test_the_shown_balance_is_confirmed_plus_unconfirmed(store: LocalStore):
    kari = member(1, 500)
    store.members.upsert_many([kari])
    for _ in range(3):
        store.append(earn_builder(kari.card, 10))
    assert shown(store, kari.card) == ({"points": 500}, {"points": 30})
    store.settings.set("confirmed_seq", "2")
    assert shown(store, kari.card) == ({"points": 500}, {"points": 10})
    assert store.pending_count() == 1


def test_a_store_belongs_to_one_terminal(tmp_path: Path):
    LocalStore.open(tmp_path / "till.sqlite", "T1").close()
    with pytest.raises(StoreError, match="belongs to terminal T1"):
        LocalStore.open(tmp_path / "till.sqlite", "T2")


def test_migrations_apply_once_and_reopen_cleanly(tmp_path: Path):
    path = tmp_path / "till.sqlite"
    first = LocalStore.open(path, "T1")
    first.append(earn_builder(member(1, 0).card))
    first.close()
    again = LocalStore.open(path, "T1")
    try:
        names = [r[0] for r in again.conn.execute("SELECT name FROM _sqlite_migrations")]
        assert len(names) == len(set(names)) >= 3
        assert migrations.pending(again.db) == []
        assert again.verify() == 1
    finally:
        again.close()


def test_a_file_that_is_not_a_database_is_refused_with_a_clear_error(tmp_path: Path):
    path = tmp_path / "till.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a till database"):
        LocalStore.open(path, "T1")
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_a_damaged_journal_tip_is_refused_at_open(tmp_path: Path):
    path = tmp_path / "till.sqlite"
    store = LocalStore.open(path, "T1")
    for _ in range(3):
        store.append(earn_builder(member(1, 0).card))
    with write_transaction(store.conn):
        store.conn.execute("DROP TRIGGER journal_is_append_only_update")
        store.conn.execute(
            "UPDATE journal SET document = replace(document, '10', '5000') WHERE seq = 3"
        )
    store.close()
    with pytest.raises(StoreError, match="damaged"):
        LocalStore.open(path, "T1")


def test_the_member_count_follows_changes_by_this_and_other_connections(store: LocalStore):
    assert store.members.count() == 0
    store.members.upsert_many([member(1, 0), member(2, 0)])
    assert store.members.count() == 2
    other = sqlite3.connect(str(store.path), isolation_level=None)
    try:
        other.execute("INSERT INTO members (member_id, name) VALUES ('M3', 'Member 3')")
    finally:
        other.close()
    assert store.members.count() == 3
