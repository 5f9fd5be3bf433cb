"""The till's local store: one SQLite file holding journal, caches and settings.

Opening applies pending migrations, pins the file to one terminal id (a store copied
to another till is refused, since two tills sharing a sequence would fork the chain),
and checks that the journal's last event still links to the one before it.

What a cashier sees of a member is the ledger-confirmed state plus this terminal's
events the ledger has not yet confirmed (those with ``seq > confirmed_seq``), so no
event is ever counted twice or missed (guarantee 4).

Threads: the UI, the background sync and the device threads share one store, and no
caller holds a lock around it. The store has one writer connection, whose write
transactions it serialises itself, and gives each thread its own reader
(:mod:`pos_client.store.connections`): ``store.conn`` is that writer, routing each
statement to the writer inside the calling thread's write transaction
(:func:`~pos_client.store.transaction.write_transaction`) and to the thread's reader
otherwise. A write that must be atomic with the reads deciding it (the journal's
tip, a balance checked before spending) does those reads inside its write
transaction; reads that must agree with each other run in one
:func:`~pos_client.store.transaction.read_transaction`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from loyalty.events import Event
from pos_client.errors import StoreError
from pos_client.store import integrity
from pos_client.store.catalogue import Catalogue, Product, StoredVersion
from pos_client.store.connections import StoreConnection
from pos_client.store.database import open_database
from pos_client.store.journal import Journal, SideWrite
from pos_client.store.members import CachedMember, MemberCache
from pos_client.store.receipt_shift import ReceiptNumbering, load_numbering
from pos_client.store.schema import migrations
from pos_client.store.settings import CONFIRMED_SEQ, Settings
from pos_client.store.transaction import read_transaction, write_transaction

__all__ = ["CONFIRMED_SEQ", "CachedMember", "LocalStore", "Product", "StoredVersion"]

TERMINAL_ID = "terminal_id"

EventBuilder = Callable[[int, str], Event]
"""Builds the next event from (next sequence number, previous hash)."""


class LocalStore:
    """The till's SQLite file. Thread-safe without a caller-held lock: writes are
    serialised by the writer connection, reads run on the calling thread's reader."""

    def __init__(self, path: Path, terminal_id: str) -> None:
        self.path = path
        self.terminal_id = terminal_id
        self.db = open_database(path)
        self.conn: StoreConnection = self.db.conn  # type: ignore[assignment]
        """The writer, routing each statement (see the module's docstring)."""
        try:
            with self.conn.writer():
                migrations.apply(self.db)
        except BaseException:
            self.conn.close()
            raise
        self.journal = Journal(self.conn)
        self.members = MemberCache(self.conn)
        self.settings = Settings(self.conn)
        self.catalogue = Catalogue(self.conn)
        self.generation = 0
        """Bumped by this process each time a pull stores reference data (programme
        versions, products), so readers know to look again."""
        self._pin_terminal()
        self._check_tip()

    @classmethod
    def open(cls, path: Path, terminal_id: str) -> LocalStore:
        """Open the till's store after :mod:`~pos_client.store.integrity`'s checks."""
        identity = integrity.check_before_open(path, terminal_id)
        with integrity.refusing_damage(path):
            store = cls(path, terminal_id)
        integrity.ensure_identity(store, identity)
        return store

    def close(self) -> None:
        """Close every thread's reader and the writer (after a write in progress)."""
        integrity.note_tip(self)  # a clean shutdown: the identity learns the tip
        self.conn.close()

    def _pin_terminal(self) -> None:
        with write_transaction(self.conn):
            pinned = self.settings.get(TERMINAL_ID)
            if pinned is None:
                self.settings.set(TERMINAL_ID, self.terminal_id)
                self.settings.set(CONFIRMED_SEQ, "0")
            elif pinned != self.terminal_id:
                raise StoreError(
                    f"{self.path} belongs to terminal {pinned}, not {self.terminal_id}. "
                    "Each till needs its own data directory."
                )

    def _check_tip(self) -> None:
        integrity.check_journal_tail(self.journal, self.path)

    # --- reading -----------------------------------------------------------------

    @property
    def confirmed_seq(self) -> int:
        """The highest sequence number the ledger has confirmed (0 before any sync)."""
        return int(self.settings.get(CONFIRMED_SEQ, "0") or 0)

    def changes_elsewhere(self) -> int | None:
        """Moves when another process commits to the file (not for this process's own
        commits, which bump :attr:`generation` where readers need to know); None
        when it cannot be told without waiting for a write in progress here."""
        return self.conn.changes_elsewhere()

    @functools.cached_property
    def receipt_numbering(self) -> ReceiptNumbering:
        """How sequence numbers are printed as receipt numbers (set by a recovery,
        which runs while the till is closed, so it is read once)."""
        return load_numbering(self.settings)

    def pending_count(self) -> int:
        with read_transaction(self.conn):
            return self.journal.count_after(self.confirmed_seq)

    # --- writing -----------------------------------------------------------------

    def append(self, build: EventBuilder, also: SideWrite | None = None) -> Event:
        return self.journal.append(build, also)

    def verify(self) -> int:
        """Check the whole journal's chain; return its length or raise ChainBroken."""
        with read_transaction(self.conn):
            return self.journal.verify()
