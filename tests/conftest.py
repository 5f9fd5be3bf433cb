"""Fixtures shared by the whole suite: a real till on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty.canonical import canonical_json
from loyalty.cards import make_card_number
from loyalty.programme import Programme
from pos_client.config import TillConfig
from pos_client.store import CachedMember
from pos_client.store.transaction import write_transaction
from pos_client.till import Till

TEST_TERMINAL = "TEST01-T1"


def member(serial: int, points: int, name: str = "", status: str = "active") -> CachedMember:
    """A cached member with a valid card made from ``serial``."""
    return CachedMember(
        card=make_card_number(serial),
        member_id=f"M{serial:06d}",
        name=name or f"Member {serial}",
        tier="",
        accounts={"points": points} if points else {},
        status=status,
        flagged=False,
        updated_at="",
    )


@pytest.fixture
def till_config(tmp_path: Path) -> TillConfig:
    return TillConfig(terminal_id=TEST_TERMINAL, data_dir=tmp_path / "till")


@pytest.fixture
def till(till_config: TillConfig) -> Iterator[Till]:
    """A till with three members: Kari (1000 points), Ola (50), Blocked (500)."""
    opened = Till.open(till_config)
    opened.store.members.upsert_many(
        [
            member(1, 1000, "Kari Nordmann"),
            member(2, 50, "Ola Nordmann"),
            member(3, 500, "Per Blokk", status="blocked"),
        ]
    )
    try:
        yield opened
    finally:
        opened.close()


def store_versions(till: Till, versions: list[tuple[int, str, str, Programme]]) -> None:
    """Store ``(version, local start, UTC start, programme)`` rows in the till's
    database as a pull from the ledger stores them."""
    with write_transaction(till.store.conn):
        till.store.conn.executemany(
            "INSERT INTO programme_versions VALUES (?, ?, ?, ?, ?, ?)",
            [
                (number, local, utc, p.content_hash, canonical_json(p.document), number)
                for number, local, utc, p in versions
            ],
        )
