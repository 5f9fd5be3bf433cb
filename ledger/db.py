"""One storage interface over SQLite and PostgreSQL.

The rest of the ledger writes SQL once, with ``?`` placeholders, and runs it inside
one of three kinds of transaction:

* :meth:`Database.write` — an exclusive read-write transaction: the admin commands,
  settlements, publishing, merges and rebuilds. Nothing else writes while it runs.
* :meth:`Database.push` — a read-write transaction that other pushes may run beside
  (PostgreSQL); it must lock what it changes (:mod:`ledger.locking`: its terminal,
  its cards, its members, in sorted order) before reading them.
* :meth:`Database.snapshot` — a read-only transaction that sees one consistent
  snapshot (SQLite WAL read transaction; PostgreSQL ``REPEATABLE READ READ ONLY``).

SQLite has a single writer by nature: ``write`` and ``push`` are the same
``BEGIN IMMEDIATE`` transaction, queued on an in-process lock so threads do not
busy-wait. On PostgreSQL the writers pass a gate, an advisory lock taken shared by
pushes and exclusive by every other writer, as the first statement.

Why the changes feed never has a hole. Change numbers (and the ledger's order,
``ledger_seq``) come from :meth:`Tx.allocate`, an ``UPDATE`` of the counter's row.
That row lock is held until the transaction ends, so while one transaction holds
numbers up to *n* uncommitted, the next allocator waits for it, and then (``READ
COMMITTED`` re-reads the row it waited for) continues from the committed value.
Hence numbers are handed out in commit order: when a reader's snapshot holds change
*n + 1*, the transaction that took *n* committed before it (or rolled back, giving
its numbers back, since the counter's update rolled back with it). A reader never
sees *n + 1* without *n*. A push takes its numbers only in its final writes, so the
counters are held from there to the commit: the reading and deciding before run in
parallel. Every transaction takes ``ledger_seq`` before ``changes``, so the two
counters cannot deadlock each other.

On PostgreSQL a lock wait beyond ``lock_timeout``, a statement beyond
``statement_timeout`` (:mod:`ledger.pg_session`), a deadlock or a serialization
failure become :class:`StorageError` (HTTP 503, which a till retries). On SQLite the
ledger reads back its pragmas at open and refuses a file that cannot give WAL,
``synchronous=FULL`` and the busy timeout.

The dialects differ only in placeholders, set membership (``IN (?, ...)`` versus
``= ANY(?)``) and how the transactions begin; the schema (:mod:`ledger.schema`) uses
types both accept.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from ledger.errors import StorageError
from ledger.pg_session import DEFAULT_TIMEOUTS, Timeouts, session_statements

Row = tuple[Any, ...]
_POOL_SIZE = 40
"""Idle connections kept: as many as the server's worker threads (anyio's 40), so a
busy ledger does not open and close a connection per transaction."""
_BUSY_TIMEOUT_MS = 30_000
_SYNCHRONOUS_FULL = 2
WRITERS_GATE = 0
"""The key of the advisory lock that pushes take shared, other writers exclusive
(after the ledger's scope: ``pg_advisory_xact_lock(scope, 0)``)."""


def scope_of(schema: str) -> int:
    """The first number of a ledger's advisory locks: its schema's 32-bit hash."""
    value = zlib.crc32(schema.encode())
    return value - 2**32 if value >= 2**31 else value


class Tx(ABC):
    """One open transaction on one connection; used by one thread at a time."""

    exclusive = True
    """No other writer runs beside this transaction (always so on SQLite)."""

    def lock_keys(self, keys: Iterable[int]) -> None:
        """Hold these advisory locks (32-bit keys, never 0: :mod:`ledger.locking`)
        until the transaction ends, taken in sorted order; nothing to do where the
        transaction is exclusive."""
        return None

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

        The counter's row stays locked until the transaction ends, so the numbers
        are gapless and committed in order (see the module doc).
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
    def __init__(self, conn: psycopg.Connection[Any], exclusive: bool, scope: int) -> None:
        self._conn = conn
        self.exclusive = exclusive
        self._scope = scope

    def lock_keys(self, keys: Iterable[int]) -> None:
        if self.exclusive:
            return
        ordered = sorted(set(keys))
        if ordered:
            self.query(
                "SELECT pg_advisory_xact_lock(?, k.key) FROM unnest(?::int[]) "
                "WITH ORDINALITY AS k(key, n) ORDER BY k.n",
                (self._scope, ordered),
            )

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
    def push(self) -> Iterator[Tx]:
        """A read-write transaction that runs beside other pushes (see module doc)."""

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


def _lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    return value.lower() if isinstance(value, str) else value


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
            # SQLite's own LOWER folds ASCII only; PostgreSQL's folds every letter.
            # One meaning on both: Python's, for every script (no index uses LOWER).
            conn.create_function("LOWER", 1, _lower, deterministic=True)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
            busy = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot open the ledger database {self._path}: {exc}") from exc
        if (str(mode).lower(), synchronous, busy) != ("wal", _SYNCHRONOUS_FULL, _BUSY_TIMEOUT_MS):
            conn.close()
            raise StorageError(
                f"The ledger database {self._path} cannot run with write-ahead logging, "
                f"full sync and a busy timeout (journal_mode={mode}, synchronous={synchronous}, "
                f"busy_timeout={busy}); keep it on a local disk."
            )
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
    def push(self) -> Iterator[Tx]:
        with self.write() as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._transaction("BEGIN") as tx:
            yield tx


class PostgresDatabase(Database):
    """PostgreSQL through psycopg 3; the connection URL may set ``search_path``."""

    dialect = "postgresql"

    def __init__(self, url: str, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> None:
        self.url = url
        self.timeouts = timeouts
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        first = self._connect()
        try:
            row = first.execute("SELECT current_schema()").fetchone()
        except psycopg.Error as exc:
            raise StorageError(f"Cannot use the ledger database: {exc}") from exc
        finally:
            first.close()
        self.scope = scope_of(str(row[0]) if row else "")
        """The first number of this ledger's advisory locks: ledgers in other schemas
        of one database never wait for each other."""

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            for statement in session_statements(self.timeouts):
                conn.execute(statement)  # built from integers
            return conn
        except psycopg.Error as exc:
            raise StorageError(f"Cannot connect to the ledger database: {exc}") from exc

    @contextmanager
    def _transaction(self, begin: str, gate: str | None) -> Iterator[Tx]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        healthy = False
        try:
            conn.execute(begin)  # one of the fixed strings below
            tx = _PostgresTx(conn, gate != "pg_advisory_xact_lock_shared", self.scope)
            if gate is not None:
                tx.query(f"SELECT {gate}(?, {WRITERS_GATE})", (self.scope,))
            try:
                yield tx
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                    healthy = True
                except psycopg.Error:
                    pass  # the session is gone; the error being raised says why
                raise
            conn.execute("COMMIT")
            healthy = True
        except _UNAVAILABLE as exc:  # timeouts, deadlocks, ended sessions, lost connections
            raise StorageError(f"The ledger database failed: {exc}") from exc
        finally:
            if healthy and not conn.closed and self._pool.qsize() < _POOL_SIZE:
                self._pool.put(conn)
            else:
                conn.close()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._transaction(_READ_COMMITTED, "pg_advisory_xact_lock") as tx:
            yield tx

    @contextmanager
    def push(self) -> Iterator[Tx]:
        with self._transaction(_READ_COMMITTED, "pg_advisory_xact_lock_shared") as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", None) as tx:
            yield tx

    @contextmanager
    def migration(self) -> Iterator[Tx]:
        """A transaction holding an advisory lock, so concurrent openers migrate once."""
        with self._transaction("BEGIN", None) as tx:
            tx.query("SELECT pg_advisory_xact_lock(7424242)")
            yield tx


_READ_COMMITTED = "BEGIN ISOLATION LEVEL READ COMMITTED"
_UNAVAILABLE = (psycopg.OperationalError, psycopg.errors.IdleInTransactionSessionTimeout)


def connect(url: str, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Database:
    """Open (without migrating) the database named by ``--db``.

    ``postgresql://...`` or ``postgres://...`` selects PostgreSQL. ``sqlite:///path``
    or a plain path selects SQLite; as in SQLAlchemy, ``sqlite:///ledger.db`` is
    relative to the working directory and ``sqlite:////srv/ledger.db`` is absolute.
    ``timeouts`` apply to PostgreSQL's sessions (:mod:`ledger.pg_session`).
    """
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, timeouts)
    if url.startswith("sqlite:///"):
        return SqliteDatabase(Path(url.removeprefix("sqlite:///")))
    if "://" in url:
        raise StorageError(f"Unknown database URL {url!r}: use sqlite:///path or postgresql://")
    return SqliteDatabase(Path(url))
