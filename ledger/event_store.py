"""The ``events`` table's columns, written in one place for every writer (a push, the
ledger's own events)."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.db import Tx

EVENT_COLUMNS = (
    "event_id, terminal_id, seq, kind, card, member_id, recorded_at, business_at, "
    "refers_to, prev_hash, hash, postings, document, ledger_seq, flags, received_at"
)


def insert_events(tx: Tx, rows: Sequence[Sequence[object]]) -> None:
    """Insert ``events`` rows, each in :data:`EVENT_COLUMNS` order."""
    count = len(EVENT_COLUMNS.split(","))
    tx.executemany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * count)})", rows)
