"""Opening the till's SQLite file with the durability the guarantees rely on.

Guarantee 1 says an event is on disk before the cashier is told it is recorded. That
holds only with the write-ahead log and ``synchronous=FULL``; both are set *and read
back* at open, and a database that refuses them (some network file systems refuse
WAL) is not used at all. Each thread's reader connection
(:mod:`pos_client.store.connections`) is opened here too, with the same pragmas read
back the same way, and ``query_only`` on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from pos_client.errors import StoreError
from pos_client.store.connections import ReaderConnection, StoreConnection

BUSY_TIMEOUT_MS = 5000
SYNCHRONOUS_FULL = 2


def open_database(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file at ``path`` in WAL + FULL mode.

    The connection is a :class:`StoreConnection`: the writer, which gives each thread
    its own reader on the same file. Raises :class:`StoreError` when the file cannot
    be opened or durability cannot be guaranteed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, factory=StoreConnection
        )
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"Cannot open the till database {path}: {error}") from error
    with conn.writer():
        _apply_pragmas(conn, path, query_only=False)
    conn.attach_readers(lambda: open_reader(path))
    return sqlite_utils.Database(conn)


def open_reader(path: Path) -> ReaderConnection:
    """One thread's read connection on ``path``: the writer's pragmas, read back, and
    ``query_only`` (a write through it is refused).

    It is used by one thread only; ``check_same_thread`` is off so that the store can
    close it from whichever thread closes the store.
    """
    try:
        conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, factory=ReaderConnection
        )
    except sqlite3.Error as error:
        raise StoreError(f"Cannot open the till database {path}: {error}") from error
    _apply_pragmas(conn, path, query_only=True)
    return conn


def _apply_pragmas(conn: sqlite3.Connection, path: Path, *, query_only: bool) -> None:
    """Set WAL, FULL sync, foreign keys and the busy timeout, and read them back;
    close ``conn`` and raise StoreError when the file refuses them."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
        conn.execute("PRAGMA foreign_keys = ON")
        if query_only:
            conn.execute("PRAGMA query_only = ON")
        read_only = conn.execute("PRAGMA query_only").fetchone()[0]
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(f"{path} is not a till database ({error}).") from error
    if str(mode).lower() != "wal" or synchronous != SYNCHRONOUS_FULL:
        conn.close()
        raise StoreError(
            f"{path} cannot be opened with write-ahead logging and full sync "
            f"(journal_mode={mode}, synchronous={synchronous}); keep the till's data "
            "on a local disk."
        )
    if bool(read_only) != query_only:
        conn.close()
        raise StoreError(f"{path}: query_only is {read_only}, expected {int(query_only)}.")
