"""The journal: this terminal's append-only, hash-chained event log (the outbox).

``append`` numbers the event, links it to the previous hash and writes it in one
write transaction, so when it returns the event is durable (WAL, synchronous=FULL)
and the chain is intact. Nothing here updates or deletes an event; the schema's
triggers refuse it anyway.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from loyalty.events import GENESIS_HASH, Event, EventKind, verify_chain
from pos_client.store.transaction import write_transaction

EVENT_COLUMNS = (
    "seq",
    "event_id",
    "terminal_id",
    "kind",
    "card",
    "points",
    "amount_minor",
    "currency",
    "rule_version",
    "recorded_at",
    "prev_hash",
    "hash",
    "refers_to",
    "note",
)
_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM journal"


def row_to_event(row: tuple[Any, ...]) -> Event:
    data = dict(zip(EVENT_COLUMNS, row, strict=True))
    data["kind"] = EventKind(data["kind"])
    return Event(**data)


class Journal:
    """Reads and appends the ``journal`` table of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def append(self, build: Callable[[int, str], Event]) -> Event:
        """Append the event ``build(next_seq, prev_hash)`` returns, durably.

        ``build`` runs inside the write transaction, so the sequence number and the
        previous hash it receives cannot be taken by another writer.
        """
        with write_transaction(self._conn) as conn:
            seq, prev_hash = self.tip()
            event = build(seq + 1, prev_hash)
            if event.seq != seq + 1 or event.prev_hash != prev_hash:
                raise ValueError("an appended event must continue the chain")
            conn.execute(
                f"INSERT INTO journal ({', '.join(EVENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})",
                [getattr(event, c) if c != "kind" else str(event.kind) for c in EVENT_COLUMNS],
            )
        return event

    def tip(self) -> tuple[int, str]:
        """The last sequence number and hash (0 and the genesis hash when empty)."""
        row = self._conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    def get(self, seq: int) -> Event | None:
        row = self._conn.execute(f"{_SELECT} WHERE seq = ?", [seq]).fetchone()
        return None if row is None else row_to_event(row)

    def refund_of(self, event_id: str) -> Event | None:
        """The refund that refers to ``event_id``, if one was recorded."""
        row = self._conn.execute(
            f"{_SELECT} WHERE refers_to = ? AND kind = 'refund' LIMIT 1", [event_id]
        ).fetchone()
        return None if row is None else row_to_event(row)

    def recent(self, limit: int) -> list[Event]:
        rows = self._conn.execute(f"{_SELECT} ORDER BY seq DESC LIMIT ?", [limit]).fetchall()
        return [row_to_event(r) for r in rows]

    def after(self, seq: int, limit: int | None = None) -> list[Event]:
        """Events with a sequence number above ``seq``, in order (the push batch)."""
        sql = f"{_SELECT} WHERE seq > ? ORDER BY seq"
        params: list[int] = [seq]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [row_to_event(r) for r in self._conn.execute(sql, params)]

    def iterate(self) -> Iterator[Event]:
        for row in self._conn.execute(f"{_SELECT} ORDER BY seq"):
            yield row_to_event(row)

    def unconfirmed_redeemed_since(self, card: str, since: str) -> int:
        """Points ``card`` redeemed here since ``since`` (ISO UTC) not yet confirmed."""
        row = self._conn.execute(
            "SELECT COALESCE(-SUM(points), 0) FROM journal WHERE card = ? AND kind = 'redeem' "
            "AND recorded_at >= ? AND seq > (SELECT CAST(value AS INTEGER) FROM settings "
            "WHERE key = 'confirmed_seq')",
            [card, since],
        ).fetchone()
        return int(row[0])

    def count_after(self, seq: int) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM journal WHERE seq > ?", [seq]).fetchone()
        return int(row[0])

    def verify(self) -> int:
        """Check the whole chain; return the number of events. Raises ChainBroken."""
        return verify_chain(self.iterate())
