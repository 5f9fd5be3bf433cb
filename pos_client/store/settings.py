"""Small key/value facts the till keeps: its terminal id, the sync high-water mark, the
pull cursor and the last sync."""

from __future__ import annotations

import sqlite3

from pos_client.store.transaction import joined_write

CONFIRMED_SEQ = "confirmed_seq"
"""The highest sequence number of this till's events the ledger has confirmed."""


class Settings:
    """Reads and writes the ``settings`` table of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        """Write ``key`` inside the caller's write transaction, or in one of its own."""
        with joined_write(self._conn) as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
