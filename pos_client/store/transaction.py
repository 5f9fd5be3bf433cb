"""One explicit SQLite write transaction.

The connection runs in autocommit mode (``isolation_level=None``) so that every write
happens inside a transaction we opened on purpose. ``BEGIN IMMEDIATE`` takes the write
lock at the start, so reading the last sequence number and appending the next event
cannot interleave with another writer, even in another process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in ``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any error.

    A COMMIT that fails (a deferred constraint, a full disk) is rolled back too, so
    the connection is never left inside a transaction; the COMMIT's error is raised.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback_quietly(conn)
        raise


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    """Roll back after a failed COMMIT; a second error (SQLite may have ended the
    transaction itself) must not hide the first."""
    with suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block's reads in one snapshot (``BEGIN`` … ``COMMIT``, WAL mode)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")
