"""Opening the till's SQLite file with the durability the guarantees rely on.

Guarantee 1 says an event is on disk before the cashier is told it is recorded. That
holds only with the write-ahead log and ``synchronous=FULL``; both are set *and read
back* at open, and a database that refuses them (some network file systems refuse
WAL) is not used at all.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from pos_client.errors import StoreError

BUSY_TIMEOUT_MS = 5000
SYNCHRONOUS_FULL = 2


def open_database(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file at ``path`` in WAL + FULL mode.

    The connection may be used from several threads, one at a time: the caller
    serialises access (the Till holds a lock). Raises :class:`StoreError` when the
    file cannot be opened or durability cannot be guaranteed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"Cannot open the till database {path}: {error}") from error
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
        conn.execute("PRAGMA foreign_keys = ON")
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
    return sqlite_utils.Database(conn)
