"""The till's SQLite connections: one writer, and one reader per thread.

The UI thread, the background sync thread and the device threads all use one store.
Instead of one shared connection behind a lock every caller must hold, the store has

- **one writer connection**. Every write runs in :func:`~pos_client.store.transaction.
  write_transaction` (``BEGIN IMMEDIATE`` … ``COMMIT``), and the store serialises those
  transactions itself: a thread that wants to write waits for the one writing to
  finish. Statements a thread runs *inside* its own write transaction (the reads that
  decide what to write, such as the journal's tip) go to the writer, so they see the
  transaction's own changes and nobody else's.
- **one read connection per thread**, opened the first time the thread reads, with the
  same pragmas read back as the writer's (:mod:`pos_client.store.database`) and
  ``query_only`` on, so a write outside a write transaction is refused rather than
  slipping past the writer. In WAL mode a reader never waits for the writer, and it
  sees every commit made before its next read transaction starts: a read after a
  write made by the same thread (or any other) sees it. Reads that must agree with
  each other run in one :func:`~pos_client.store.transaction.read_transaction`
  (one snapshot).

:class:`StoreConnection` *is* the writer, and routes each statement to the right
connection: to itself when the calling thread holds the write transaction, to the
thread's reader otherwise. So the store's helpers keep taking one connection, and no
caller holds a lock. When a thread ends its reader waits for the next new thread (so
the UI's short-lived thread workers do not each open one); all are closed with the
store.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Literal

Parameters = Any
"""A statement's parameters, as ``sqlite3.Connection.execute`` takes them."""

OpenReader = Callable[[], "ReaderConnection"]
"""Opens one reader connection on the writer's file (called once per thread)."""


class NotInWriteTransaction(sqlite3.ProgrammingError):
    """A transaction control call (``with conn:``, ``commit``) outside the write
    transaction of the calling thread: it would end another thread's transaction."""


class ReaderConnection(sqlite3.Connection):
    """A reader: used by one thread at a time (``check_same_thread`` is off only so
    that the store can close it, and hand it to a later thread, from another)."""


class _Lease:
    """A thread's hold on its reader, kept in the thread's locals: when the thread
    ends, the lease is dropped and the reader goes back to the idle ones, so that
    short-lived threads (the UI's thread workers) do not each open a connection."""

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: ReaderConnection) -> None:
        self.conn = conn


class StoreConnection(sqlite3.Connection):
    """The writer connection, routing each statement by the calling thread.

    Created by ``sqlite3.connect(..., factory=StoreConnection)``;
    :meth:`attach_readers` then says how to open a thread's reader.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock = threading.Lock()
        self._writer_thread: int | None = None
        self._local = threading.local()
        self._readers: list[ReaderConnection] = []
        """Every reader opened (closed with the store)."""
        self._idle: list[ReaderConnection] = []
        """Readers whose thread ended, for the next thread that reads."""
        self._readers_lock = threading.Lock()
        self._open_reader: OpenReader | None = None
        self._closed = False

    def attach_readers(self, open_reader: OpenReader) -> None:
        """Use ``open_reader()`` (no arguments) to open each thread's reader."""
        self._open_reader = open_reader

    # --- the writer ----------------------------------------------------------------

    def writing_here(self) -> bool:
        """True when the calling thread holds the write transaction."""
        return self._writer_thread == threading.get_ident()

    @contextmanager
    def writer(self) -> Iterator[StoreConnection]:
        """Hold the writer for the block: statements from this thread go to it, other
        threads' writes wait. Does not begin a transaction (see write_transaction)."""
        if self.writing_here():
            raise sqlite3.ProgrammingError("a write transaction cannot nest in another")
        with self._write_lock:
            self._writer_thread = threading.get_ident()
            try:
                yield self
            finally:
                self._writer_thread = None

    def changes_elsewhere(self) -> int | None:
        """A number that moves when another connection (another process: this one's
        readers never write) commits to the file: the writer's ``PRAGMA
        data_version``. Unlike a reader's, it does not move for this process's own
        commits. None when a write of this process is in progress and it cannot be
        read without waiting."""
        if self.writing_here():
            return int(super().execute("PRAGMA data_version").fetchone()[0])
        if not self._write_lock.acquire(blocking=False):
            return None
        try:
            if self._closed:
                raise sqlite3.ProgrammingError("the till database is closed")
            return int(super().execute("PRAGMA data_version").fetchone()[0])
        finally:
            self._write_lock.release()

    def change_mark(self) -> tuple[int, int] | None:
        """A mark that moves with every commit to the file, made anywhere: the
        writer's ``data_version`` (other processes) and ``total_changes`` (this
        process), read together while no write of this process is in progress; None
        when one is (a count taken now might miss what it is about to commit)."""
        if self.writing_here() or not self._write_lock.acquire(blocking=False):
            return None
        try:
            if self._closed:
                raise sqlite3.ProgrammingError("the till database is closed")
            return int(super().execute("PRAGMA data_version").fetchone()[0]), self.total_changes
        finally:
            self._write_lock.release()

    # --- the readers ---------------------------------------------------------------

    def reader(self) -> ReaderConnection:
        """The calling thread's read connection: on first use, an idle one (its
        thread ended) or a new one."""
        lease: _Lease | None = getattr(self._local, "lease", None)
        if lease is not None:
            return lease.conn
        with self._readers_lock:
            if self._open_reader is None or self._closed:
                raise sqlite3.ProgrammingError("the till database is closed")
            conn = self._idle.pop() if self._idle else None
            opener = self._open_reader
        if conn is None:
            conn = opener()
            with self._readers_lock:
                self._readers.append(conn)
        lease = _Lease(conn)
        weakref.finalize(lease, self._give_back, conn)
        self._local.lease = lease
        return conn

    def _give_back(self, conn: ReaderConnection) -> None:
        """A thread ended: its reader becomes idle (out of any read transaction)."""
        with self._readers_lock:
            if self._closed:
                return
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._idle.append(conn)

    # --- routed statements -----------------------------------------------------------

    def execute(self, sql: str, parameters: Parameters = (), /) -> sqlite3.Cursor:
        if self._writer_thread == threading.get_ident():
            return super().execute(sql, parameters)
        return self.reader().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Parameters], /) -> sqlite3.Cursor:
        if self._writer_thread == threading.get_ident():
            return super().executemany(sql, parameters)
        return self.reader().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        if self.writing_here():
            return super().executescript(sql_script)
        return self.reader().executescript(sql_script)

    def create_function(
        self, name: str, narg: int, func: Callable[..., Any] | None, *, deterministic: bool = False
    ) -> None:
        """Register ``func`` on the connection this thread's statements go to."""
        if self.writing_here():
            super().create_function(name, narg, func, deterministic=deterministic)
        else:
            self.reader().create_function(name, narg, func, deterministic=deterministic)

    # --- transaction control belongs to the writing thread -------------------------

    def __enter__(self) -> StoreConnection:
        self._require_writer("with conn:")
        return super().__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Literal[False]:
        return super().__exit__(kind, value, traceback)

    def commit(self) -> None:
        self._require_writer("commit()")
        super().commit()

    def rollback(self) -> None:
        self._require_writer("rollback()")
        super().rollback()

    def _require_writer(self, what: str) -> None:
        if not self.writing_here():
            raise NotInWriteTransaction(
                f"{what} on the till database outside a write transaction; "
                "use pos_client.store.transaction.write_transaction"
            )

    def close(self) -> None:
        """Close every thread's reader, then the writer (waiting for a write in
        progress to finish)."""
        with self._readers_lock:
            self._closed = True
            readers = list(self._readers)
            self._readers.clear()
            self._idle.clear()
        for conn in readers:
            conn.close()
        if self.writing_here():
            super().close()
            return
        with self._write_lock:
            super().close()


def routed(conn: sqlite3.Connection) -> StoreConnection | None:
    """``conn`` as a :class:`StoreConnection`, or None for a plain connection."""
    return conn if isinstance(conn, StoreConnection) else None
