"""The member cache: what this till knows of members, as last confirmed by the ledger.

``confirmed_points`` is the ledger-confirmed balance; the balance shown to a cashier
adds the journal's unconfirmed events (see :class:`pos_client.store.LocalStore`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pos_client.store.transaction import write_transaction

MEMBER_COLUMNS = (
    "card",
    "member_id",
    "name",
    "tier",
    "confirmed_points",
    "status",
    "flagged",
    "updated_at",
    "version",
)


def row_to_member(row: tuple[object, ...]) -> CachedMember:
    data = dict(zip(MEMBER_COLUMNS, row, strict=True))
    data["flagged"] = bool(data["flagged"])
    return CachedMember(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CachedMember:
    """One row of the member cache."""

    card: str
    member_id: str
    name: str
    tier: str
    confirmed_points: int
    status: str
    flagged: bool
    updated_at: str
    version: int = 0
    """The ledger's change number of this state; 0 for members seeded locally."""

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"


class MemberCache:
    """Reads and upserts the ``members`` table of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._counted: tuple[tuple[int, int], int] | None = None

    def get(self, card: str) -> CachedMember | None:
        row = self._conn.execute(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members WHERE card = ?", [card]
        ).fetchone()
        return None if row is None else row_to_member(row)

    def get_with_unconfirmed(self, card: str) -> tuple[CachedMember, int] | None:
        """The cached member and the sum of this till's unconfirmed points for them.

        One statement reads the member row, the ``confirmed_seq`` high-water mark and
        the journal together: a sync settling in another connection can never make an
        event count twice or not at all (guarantee 4).
        """
        row = self._conn.execute(
            f"""
            SELECT {", ".join("m." + c for c in MEMBER_COLUMNS)},
              COALESCE((SELECT SUM(j.points) FROM journal j WHERE j.card = m.card AND j.seq > (
                  SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'confirmed_seq')), 0)
            FROM members m WHERE m.card = ?
            """,
            [card],
        ).fetchone()
        return None if row is None else (row_to_member(row[:-1]), int(row[-1]))

    def upsert_many(self, members: Iterable[CachedMember]) -> int:
        """Insert or replace members in one write transaction; return how many."""
        rows = [
            (
                m.card,
                m.member_id,
                m.name,
                m.tier,
                m.confirmed_points,
                m.status,
                int(m.flagged),
                m.updated_at,
                m.version,
            )
            for m in members
        ]
        with write_transaction(self._conn) as conn:
            self.upsert_rows(conn, rows)
        return len(rows)

    @staticmethod
    def upsert_rows(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
        """Upsert rows inside the caller's transaction (sync settles balances this way)."""
        conn.executemany(
            f"INSERT INTO members ({', '.join(MEMBER_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(MEMBER_COLUMNS))}) "
            "ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, "
            "name = excluded.name, tier = excluded.tier, "
            "confirmed_points = excluded.confirmed_points, status = excluded.status, "
            "flagged = excluded.flagged, updated_at = excluded.updated_at, "
            "version = excluded.version",
            rows,
        )

    def count(self) -> int:
        """How many members are cached.

        Counting is a scan of the whole table (a million rows take tens of
        milliseconds), and the status bar asks after every scan; so the count is
        kept until the database changes: a commit by another connection moves
        ``PRAGMA data_version``, a change by this one moves ``total_changes``.
        """
        version = (
            int(self._conn.execute("PRAGMA data_version").fetchone()[0]),
            self._conn.total_changes,
        )
        counted = self._counted
        if counted is None or counted[0] != version:
            total = int(self._conn.execute("SELECT COUNT(*) FROM members").fetchone()[0])
            counted = self._counted = (version, total)
        return counted[1]

    def sample_cards(self, limit: int) -> list[str]:
        """A few active cards in card order (the demo's help panel shows them)."""
        rows = self._conn.execute(
            "SELECT card FROM members WHERE status = 'active' ORDER BY card LIMIT ?", [limit]
        ).fetchall()
        return [str(r[0]) for r in rows]

    def random_card(self) -> str | None:
        row = self._conn.execute(
            "SELECT card FROM members WHERE status = 'active' ORDER BY random() LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])
