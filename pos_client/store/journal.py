"""The journal: this terminal's append-only, hash-chained event log (the outbox).

Each row holds one event's canonical content (``document``, exactly what its hash
covers) and a few columns derived from it for queries (:func:`journal_row`).
``append`` numbers the event, links it to the previous hash and writes it in one
write transaction, so when it returns the event is durable (WAL, synchronous=FULL)
and the chain is intact. Nothing here updates or deletes an event; the schema's
triggers refuse it anyway.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from loyalty.canonical import canonical_json
from loyalty.events import GENESIS_HASH, Event, EventKind, verify_chain
from pos_client.store.member_events import MEMBER_EVENTS, UNCONFIRMED
from pos_client.store.transaction import write_transaction

JOURNAL_COLUMNS = (
    "seq",
    "event_id",
    "kind",
    "card",
    "member_id",
    "recorded_at",
    "refers_to",
    "postings",
    "rewards",
    "hash",
    "document",
)
REWARD_FIELDS = (
    "rewards_issued",
    "rewards_used",
    "rewards_revoked",
    "rewards_restored",
    "vouchers_used",
    "offers_used",
)
"""The fields by which an event changes what a member holds besides balances: the
rewards, and the vouchers and offers it used (the journal's ``rewards`` column)."""
_SELECT = "SELECT document, hash FROM journal"
INSERT_SQL = (
    f"INSERT INTO journal ({', '.join(JOURNAL_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))})"
)

SideWrite = Callable[[sqlite3.Connection, Event], None]
"""More rows written in the append's transaction (a refund's returned units)."""


def journal_row(event: Event) -> tuple[object, ...]:
    """The row that stores ``event``: its document and the columns derived from it."""
    return (
        event.seq,
        event.event_id,
        str(event.kind),
        event.card,
        event.member_id,
        event.recorded_at,
        event.refers_to,
        canonical_json(event.postings),
        reward_changes(event),
        event.hash,
        event.document(),
    )


def reward_fields(event: Event) -> dict[str, Any]:
    """The reward fields ``event`` carries (none when it changes no reward)."""
    return {name: event.get(name) for name in REWARD_FIELDS if event.get(name)}


def reward_changes(event: Event) -> str | None:
    """The reward fields of ``event`` as JSON, or None when it changes no reward."""
    found = reward_fields(event)
    return canonical_json(found) if found else None


def row_to_event(row: tuple[object, ...]) -> Event:
    """An event from ``(document, hash)``."""
    return Event(json.loads(str(row[0])), str(row[1]))


class Journal:
    """Reads and appends the ``journal`` table of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def append(self, build: Callable[[int, str], Event], also: SideWrite | None = None) -> Event:
        """Append the event ``build(next_seq, prev_hash)`` returns, durably.

        ``build`` runs inside the write transaction, so the sequence number and the
        previous hash it receives cannot be taken by another writer; ``also`` writes
        rows that must commit with the event, or the event is not written either.
        """
        with write_transaction(self._conn) as conn:
            seq, prev_hash = self.tip()
            event = build(seq + 1, prev_hash)
            if event.seq != seq + 1 or event.prev_hash != prev_hash:
                raise ValueError("an appended event must continue the chain")
            conn.execute(INSERT_SQL, journal_row(event))
            if also is not None:
                also(conn, event)
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

    def refunds_of(self, event_id: str) -> list[Event]:
        """The refunds recorded against the sale ``event_id``, oldest first."""
        rows = self._conn.execute(
            f"{_SELECT} WHERE refers_to = ? AND kind = 'refund' ORDER BY seq", [event_id]
        ).fetchall()
        return [row_to_event(r) for r in rows]

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

    def unconfirmed(self, member_id: str) -> list[Event]:
        """The member's events the ledger has not confirmed, in order, whichever of
        their cards they were recorded on (:mod:`pos_client.store.member_events`)."""
        rows = self._conn.execute(
            f"{_SELECT} WHERE {UNCONFIRMED} AND {MEMBER_EVENTS} ORDER BY seq",
            {"member_id": member_id},
        ).fetchall()
        return [row_to_event(r) for r in rows]

    def unconfirmed_spent_since(self, member_id: str, wallet: str, since: str) -> int:
        """Units of ``wallet`` the member spent here since ``since`` (ISO UTC), in
        events the ledger has not confirmed: redemptions, points used as a
        discount and rewards claimed in sales. A new card starts no new cap."""
        spent = 0
        for event in self.unconfirmed(member_id):
            if event.recorded_at < since:
                continue
            if event.kind is EventKind.REDEEM:
                spent += max(0, -event.postings.get(wallet, 0))
            elif event.kind is EventKind.SALE:
                spent += int(event.get("spent", {}).get(wallet, 0))
        return spent

    def count_after(self, seq: int) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM journal WHERE seq > ?", [seq]).fetchone()
        return int(row[0])

    def verify(self) -> int:
        """Check the whole chain; return the number of events. Raises ChainBroken."""
        return verify_chain(self.iterate())
