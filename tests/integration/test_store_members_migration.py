"""Migration 9: a member cache keyed by card becomes one row per member plus ``cards``.

Each test writes a till file as the migrations before it leave one (the member
cache keyed by card), in the shapes a card replacement left there, then opens it
with the current code.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path

from sqlite_utils import Database

from loyalty.cards import make_card_number
from pos_client.store import LocalStore
from pos_client.store.connections import StoreConnection
from pos_client.store.database import open_database
from pos_client.store.schema import migrations

CARD_COLUMNS = (
    "card, member_id, name, tier, status, flagged, updated_at, version, accounts, rewards, "
    "expiring, progress"
)


def card_row(
    serial: int, member_id: str, version: int, points: int, status: str = "active"
) -> tuple[object, ...]:
    """A row of the cache keyed by card, as migration 8 left it."""
    return (
        make_card_number(serial),
        member_id,
        f"Member {member_id or serial}",
        "",
        status,
        0,
        "2026-11-01T00:00:00Z",
        version,
        json.dumps({"points": points}),
        "[]",
        "[]",
        "null",
    )


def writer_of(db: Database) -> AbstractContextManager[StoreConnection]:
    """Hold the writer of a database opened without the store (as LocalStore does)."""
    assert isinstance(db.conn, StoreConnection)
    return db.conn.writer()


def cache_keyed_by_card(path: Path, rows: list[tuple[object, ...]]) -> None:
    db = open_database(path)
    try:
        with writer_of(db):
            migrations.apply(db, stop_before="m009_members_by_member_id")
        placeholders = ", ".join("?" * len(rows[0]))
        with writer_of(db), db.conn:
            db.conn.executemany(
                f"INSERT INTO members ({CARD_COLUMNS}) VALUES ({placeholders})", rows
            )
            db.conn.execute(
                f"INSERT INTO pull_members ({CARD_COLUMNS}) VALUES ({placeholders})", rows[0]
            )
            db.conn.execute(
                "INSERT INTO pull_other VALUES ('revoked:2900000000000', 3, '2900000000000')"
            )
    finally:
        db.conn.close()


def migrated(tmp_path: Path, rows: list[tuple[object, ...]]) -> LocalStore:
    path = tmp_path / "till.sqlite"
    cache_keyed_by_card(path, rows)
    return LocalStore.open(path, "T1")


def cards(store: LocalStore) -> dict[str, tuple[str, str]]:
    return {
        str(card): (str(member_id), str(state))
        for card, member_id, state in store.conn.execute("SELECT card, member_id, state FROM cards")
    }


def test_a_member_with_two_rows_becomes_one_member_with_the_newest_state(tmp_path: Path):
    """The old card's row was blocked by the ledger's revocation; the new card's row
    is the member's newest state."""
    store = migrated(
        tmp_path,
        [
            card_row(1, "M1", version=3, points=900, status="blocked"),
            card_row(2, "M1", version=7, points=750),
        ],
    )
    try:
        assert store.members.count() == 1
        member = store.members.get_by_id("M1")
        assert member is not None
        assert (member.card, dict(member.accounts), member.version, member.blocked) == (
            make_card_number(2),
            {"points": 750},
            7,
            False,
        )
        assert cards(store) == {
            make_card_number(1): ("M1", "revoked"),
            make_card_number(2): ("M1", "active"),
        }
        old = store.members.find(make_card_number(1))
        assert old is not None and not old.card_active and old.member.member_id == "M1"
    finally:
        store.close()


def test_a_new_card_whose_revocation_was_not_heard_leaves_the_old_one_replaced(
    tmp_path: Path,
):
    """The new card came in a push answer or a lookup; the pull with the revocation
    had not completed: the old row is not blocked."""
    store = migrated(
        tmp_path, [card_row(3, "M2", version=9, points=10), card_row(4, "M2", version=4, points=5)]
    )
    try:
        assert cards(store) == {
            make_card_number(3): ("M2", "active"),
            make_card_number(4): ("M2", "replaced"),
        }
        member = store.members.get(make_card_number(4))
        assert member is not None and dict(member.accounts) == {"points": 10}
    finally:
        store.close()


def test_a_blocked_member_stays_blocked_and_rows_without_a_member_id_stay_apart(
    tmp_path: Path,
):
    store = migrated(
        tmp_path,
        [
            card_row(5, "M3", version=5, points=0, status="blocked"),
            card_row(6, "", version=0, points=1),
            card_row(7, "", version=0, points=2),
            card_row(8, "M4", version=0, points=3),
            card_row(9, "M4", version=0, points=4),
        ],
    )
    try:
        blocked = store.members.get(make_card_number(5))
        assert blocked is not None and blocked.blocked
        assert store.members.card_state(make_card_number(5)) == "active"
        assert cards(store)[make_card_number(6)] == (make_card_number(6), "active")
        assert cards(store)[make_card_number(7)] == (make_card_number(7), "active")
        # Equal versions (seeded locally): the row written last is the member.
        assert cards(store)[make_card_number(9)] == ("M4", "active")
        assert cards(store)[make_card_number(8)] == ("M4", "replaced")
        assert store.members.count() == 4
    finally:
        store.close()


def test_the_staged_changes_of_an_unfinished_pull_are_dropped(tmp_path: Path):
    store = migrated(tmp_path, [card_row(10, "M5", version=2, points=0)])
    try:
        for table in ("pull_members", "pull_products", "pull_other"):
            assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
        columns = [r[1] for r in store.conn.execute("PRAGMA table_info(pull_members)")]
        assert columns[:2] == ["member_id", "card"]
    finally:
        store.close()


def test_migration_11_indexes_the_vouchers_members_already_hold(tmp_path: Path):
    path = tmp_path / "till.sqlite"
    cache_keyed_by_card(path, [card_row(10, "M5", version=2, points=0)])
    db = open_database(path)
    try:
        with writer_of(db):
            migrations.apply(db, stop_before="m011_held_vouchers")
        voucher = {"number": "VCH-2L9ZHQFKHD", "value_minor": 3000, "currency": "NOK"}
        with writer_of(db), db.conn:
            db.conn.execute(
                "UPDATE members SET vouchers = ? WHERE member_id = 'M5'", [json.dumps([voucher])]
            )
    finally:
        db.conn.close()
    store = LocalStore.open(path, "T1")
    try:
        assert store.members.card_holding_voucher("VCH-2L9ZHQFKHD") == make_card_number(10)
        assert store.members.card_holding_voucher("VCH-0000000000") is None
    finally:
        store.close()
