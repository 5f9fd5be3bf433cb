"""One explicit SQLite write transaction.

The connection runs in autocommit mode (``isolation_level=None``) so that every write
happens inside a transaction we opened on purpose. ``BEGIN IMMEDIATE`` takes the write
lock at the start, so reading the last sequence number and appending the next event
cannot interleave with another writer, even in another process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in ``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block's reads in one snapshot (``BEGIN`` … ``COMMIT``, WAL mode)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")
