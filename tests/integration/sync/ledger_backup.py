"""Backing up and restoring a ledger database as an operator does.

SQLite: the online backup API into a file, and that file copied back over the
database (its write-ahead log removed) while the server is stopped. PostgreSQL:
``pg_dump`` of the ledger's schema, and ``psql`` to load it into the emptied schema.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

TOOL_TIMEOUT_S = 120


def _sqlite_path(db_url: str) -> Path | None:
    return Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None


def _postgres(db_url: str) -> tuple[str, str]:
    """(DSN without options, schema) of a test database URL (``search_path`` option)."""
    parts = urlsplit(db_url)
    options = unquote(parse_qs(parts.query)["options"][0])
    schema = options.split("search_path=", 1)[1]
    return parts._replace(query="").geturl(), schema


def back_up(db_url: str, directory: Path) -> Path:
    """A backup of the ledger database at ``db_url``; the file it is in."""
    path = _sqlite_path(db_url)
    if path is not None:
        target = directory / "ledger-backup.db"
        source, copy = sqlite3.connect(path), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:  # closed, not only committed: an open one keeps the -shm file in use
            copy.close()
            source.close()
        return target
    dsn, schema = _postgres(db_url)
    target = directory / "ledger-backup.sql"
    subprocess.run(
        ["pg_dump", "--no-owner", "--schema", schema, "--file", str(target), dsn],
        check=True,
        capture_output=True,
        timeout=TOOL_TIMEOUT_S,
    )
    return target


def restore(db_url: str, backup: Path) -> None:
    """Put ``backup`` back as the ledger database (the server must be stopped)."""
    path = _sqlite_path(db_url)
    if path is not None:
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, path)
        return
    dsn, schema = _postgres(db_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    subprocess.run(
        ["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", str(backup), dsn],
        check=True,
        capture_output=True,
        timeout=TOOL_TIMEOUT_S,
    )
