"""One storage interface over SQLite and PostgreSQL.

The rest of the ledger writes SQL once, with ``?`` placeholders, and runs it inside
one of two kinds of transaction:

* :meth:`Database.write` — the only way to change data. Writers are serialized
  across threads and processes (SQLite: ``BEGIN IMMEDIATE`` plus an in-process lock
  so threads queue without busy-waiting; PostgreSQL: a row lock on the ``changes``
  counter taken as the first statement). Because every writer holds that lock until
  it commits, change numbers taken from :meth:`Tx.allocate` commit in number order,
  and a reader can never see change *n + 1* without change *n* (the sequence hole a
  plain PostgreSQL sequence has).
* :meth:`Database.snapshot` — a read-only transaction that sees one consistent
  snapshot (SQLite WAL read transaction; PostgreSQL ``REPEATABLE READ READ ONLY``).

The dialects differ only in placeholders, set membership (``IN (?, ...)`` versus
``= ANY(?)``) and how the transactions begin; the schema (:mod:`ledger.schema`) uses
types both accept.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from ledger.errors import StorageError

Row = tuple[Any, ...]
_POOL_SIZE = 8
_BUSY_TIMEOUT_MS = 30_000


class Tx(ABC):
    """One open transaction on one connection; used by one thread at a time."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a statement and return every row."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows in few round trips."""

    @abstractmethod
    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A ``column IN values`` condition and its parameters."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def allocate(self, counter: str, count: int) -> int:
        """Take ``count`` consecutive numbers from a counter; return the first.

        Only inside :meth:`Database.write`, whose lock makes the numbers gapless and
        committed in order.
        """
        row = self.one(
            "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
            (count, counter),
        )
        if row is None:
            raise StorageError(f"The counter {counter!r} is missing; the schema is damaged.")
        return int(row[0]) - count + 1


IN_CHUNK = 5000
"""Values per ``IN`` list, within every dialect's parameter limits."""


def not_yet(loaded: set[str], keys: Iterable[str]) -> list[str]:
    """The ``keys`` not in ``loaded`` (sorted), now added to it: what a keeper that
    reads its rows once per transaction still has to read."""
    wanted = sorted(set(keys) - loaded)
    loaded.update(wanted)
    return wanted


def rows_where_in(tx: Tx, select: str, column: str, values: Sequence[Any]) -> Iterator[Row]:
    """Rows of ``select`` (with ``{}`` for the condition) whose ``column`` is in
    ``values``, queried in chunks so a large import stays within parameter limits."""
    for start in range(0, len(values), IN_CHUNK):
        condition, params = tx.in_list(column, values[start : start + IN_CHUNK])
        yield from tx.query(select.format(condition), params)


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.executemany(sql, rows)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if not values:
            return "0 = 1", []
        return f"{column} IN ({','.join('?' * len(values))})", list(values)


class _PostgresTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._conn.cursor() as cur:
            cur.execute(self._sql(sql), params)
            return cur.fetchall() if cur.description is not None else []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._conn.cursor() as cur:
            cur.execute(self._sql(sql), params)
            return cur.rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(values)]


class Database(ABC):
    """A ledger database: a pool of connections and two kinds of transaction."""

    dialect: str
    url: str

    @abstractmethod
    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A serialized read-write transaction; committed when the block ends."""

    @abstractmethod
    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """A read-only transaction over one consistent snapshot."""

    _pool: queue.LifoQueue[Any]

    def close(self) -> None:
        """Close every pooled connection."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


class SqliteDatabase(Database):
    """One SQLite file in WAL mode with ``synchronous=FULL`` (commits are durable)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self._path = path
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._write_lock = threading.Lock()
        self._connect().close()  # fail early, with a clear message

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot open the ledger database {self._path}: {exc}") from exc
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            if self._pool.qsize() < _POOL_SIZE and not conn.in_transaction:
                self._pool.put(conn)
            else:
                conn.close()

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        with self._connection() as conn:
            conn.execute(begin)
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._write_lock, self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._transaction("BEGIN") as tx:
            yield tx


class PostgresDatabase(Database):
    """PostgreSQL through psycopg 3; the connection URL may set ``search_path``."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._connect().close()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StorageError(f"Cannot connect to the ledger database: {exc}") from exc

    @contextmanager
    def _transaction(self, begin: str, lock: bool) -> Iterator[Tx]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        healthy = False
        try:
            conn.execute(begin)
            tx = _PostgresTx(conn)
            if lock:
                tx.query("SELECT value FROM counters WHERE name = 'changes' FOR UPDATE")
            try:
                yield tx
            except BaseException:
                conn.execute("ROLLBACK")
                healthy = True
                raise
            conn.execute("COMMIT")
            healthy = True
        except psycopg.OperationalError as exc:
            raise StorageError(f"The ledger database failed: {exc}") from exc
        finally:
            if healthy and not conn.closed and self._pool.qsize() < _POOL_SIZE:
                self._pool.put(conn)
            else:
                conn.close()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", lock=True) as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", False) as tx:
            yield tx

    @contextmanager
    def migration(self) -> Iterator[Tx]:
        """A transaction holding an advisory lock, so concurrent openers migrate once."""
        with self._transaction("BEGIN", lock=False) as tx:
            tx.query("SELECT pg_advisory_xact_lock(7424242)")
            yield tx


def connect(url: str) -> Database:
    """Open (without migrating) the database named by ``--db``.

    ``postgresql://...`` or ``postgres://...`` selects PostgreSQL. ``sqlite:///path``
    or a plain path selects SQLite; as in SQLAlchemy, ``sqlite:///ledger.db`` is
    relative to the working directory and ``sqlite:////srv/ledger.db`` is absolute.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if url.startswith("sqlite:///"):
        return SqliteDatabase(Path(url.removeprefix("sqlite:///")))
    if "://" in url:
        raise StorageError(f"Unknown database URL {url!r}: use sqlite:///path or postgresql://")
    return SqliteDatabase(Path(url))
