"""Explicit SQLite transactions on the till's connections.

The connections run in autocommit mode (``isolation_level=None``) so that every write
happens inside a transaction we opened on purpose. ``BEGIN IMMEDIATE`` takes the write
lock at the start, so reading the last sequence number and appending the next event
cannot interleave with another writer, even in another process.

On the till's :class:`~pos_client.store.connections.StoreConnection`, a write
transaction first takes the writer for the calling thread (other threads' writes wait
for it; reads do not), and a read transaction runs on the calling thread's reader;
inside a write transaction, reads already see one consistent state (the writer's), so
a read transaction there adds nothing. A plain ``sqlite3.Connection`` works too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress

from pos_client.store.connections import routed


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in ``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any error.

    A COMMIT that fails (a deferred constraint, a full disk) is rolled back too, so
    the connection is never left inside a transaction; the COMMIT's error is raised.
    """
    store = routed(conn)
    holding: AbstractContextManager[object] = nullcontext() if store is None else store.writer()
    with holding:
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
    """Run the block's reads in one snapshot (``BEGIN`` … ``COMMIT``, WAL mode).

    Inside another read transaction of the same thread, or inside the thread's write
    transaction, the block simply joins it (its snapshot is already one state).
    """
    store = routed(conn)
    if store is not None and store.writing_here():
        yield conn
        return
    reader = conn if store is None else store.reader()
    if store is not None and reader.in_transaction:
        yield conn
        return
    reader.execute("BEGIN")
    try:
        yield conn
    finally:
        reader.execute("COMMIT")


@contextmanager
def joined_write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Join the calling thread's write transaction on the till's store connection, or
    run the block in a write transaction of its own when it has none.

    For single writes that are sometimes part of a larger transaction (a setting
    written with the pull it belongs to) and sometimes alone. On a plain connection
    the block runs as it is (in the caller's transaction, or autocommit).
    """
    store = routed(conn)
    if store is None or store.writing_here():
        yield conn
        return
    with write_transaction(conn):
        yield conn
