"""Checks made before the till trusts its database file, and the one refusal they give.

A till that starts on the wrong file does silent damage: on an empty file it starts
numbering again at 1 (receipt numbers repeat, the ledger answers "fork" and those
sales never reach it); on another till's file, or an older copy of its own, it
continues a chain the ledger already holds differently. So, before the store is
opened, the file is compared with the till's identity (:mod:`pos_client.store.identity`)
and its tables (all but the member cache, :data:`CACHE_TABLES`) are read end to end
by SQLite's ``PRAGMA quick_check``. The till refuses to start,
with :class:`DatabaseRefused` (one clear message; ``pos-client`` exits with
:data:`EXIT_DATABASE_REFUSED`), when the database is

* missing, while the identity file says it was there;
* empty (0 bytes);
* not a SQLite database, or damaged (``quick_check`` fails, or SQLite fails while
  opening it or reading the journal's last events, or those events do not chain);
* replaced: another database id than the identity's;
* older: its journal ends before the last event the identity knows was recorded.

A new data directory (no identity file, no database) starts a new till, and a
healthy database without an identity file (a till from before identity files) gets
one silently. ``pos-client recover`` (:mod:`pos_client.recovery`) is the way out of
every refusal.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loyalty.errors import ChainBroken
from loyalty.events import GENESIS_HASH, verify_chain
from pos_client.errors import StoreError
from pos_client.store.identity import (
    DATABASE_ID,
    Identity,
    IdentityUnreadable,
    new_database_id,
    read_identity,
    write_identity,
)
from pos_client.store.journal import Journal
from pos_client.store.transaction import write_transaction

if TYPE_CHECKING:
    from pos_client.store import LocalStore

log = logging.getLogger(__name__)

EXIT_DATABASE_REFUSED = 3
"""``pos-client``'s exit status when it refuses the till's database."""
SQLITE_HEADER = b"SQLite format 3\x00"
CACHE_TABLES = frozenset(
    {"members", "cards", "pull_members", "held_vouchers", "products", "pull_products", "pull_other"}
)
"""Copies of the ledger's data that a full pull brings back. They are the bulk of the
file (a million members), so ``quick_check`` skips them to keep the start fast
(docs/PERFORMANCE.md, "Till start to ready"); every other table is checked."""
RECOVER_ADVICE = (
    "Nothing was changed. Run `pos-client recover` to set the file aside and rebuild "
    "the journal from the ledger (README: 'When the till's database is lost or damaged')."
)


class DatabaseRefused(StoreError):
    """The till will not start on its database file: ``problem`` says why."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"The till database {path} {problem}. {RECOVER_ADVICE}")


@dataclass(frozen=True)
class Inspection:
    """What a readable database file says about itself."""

    database_id: str | None
    terminal_id: str | None
    tip_seq: int
    tip_hash: str


def check_before_open(path: Path, terminal_id: str) -> Identity | None:
    """Refuse a database the till must not start on; return the identity (None for a
    new till or one from before identity files). Reads only; changes nothing."""
    try:
        identity = read_identity(path)
    except IdentityUnreadable as error:
        raise DatabaseRefused(path, f"cannot be checked: {error}") from error
    if identity is not None and identity.terminal_id != terminal_id:
        raise StoreError(
            f"{path} belongs to terminal {identity.terminal_id}, not {terminal_id}. "
            "Each till needs its own data directory."
        )
    if not path.exists():
        if identity is None:
            return None  # a new till
        raise DatabaseRefused(
            path, f"is missing, but this till had recorded {identity.known_seq} events in it"
        )
    found = inspect_database(path)
    if identity is None:
        return None
    if found.database_id != identity.database_id:
        raise DatabaseRefused(
            path,
            f"has been replaced: it is database {found.database_id or '(without an id)'}, "
            f"but this till's database is {identity.database_id}",
        )
    if found.tip_seq < identity.known_seq:
        raise DatabaseRefused(
            path,
            f"is older than this till: its journal ends at event {found.tip_seq}, but the "
            f"till had recorded up to event {identity.known_seq}",
        )
    return identity


def inspect_database(path: Path) -> Inspection:
    """Read the file's header, run ``quick_check`` and read its ids and journal tip.

    Raises :class:`DatabaseRefused` when any of it fails.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise DatabaseRefused(path, f"cannot be read ({error})") from error
    if not header:
        raise DatabaseRefused(path, "is empty (0 bytes)")
    if header != SQLITE_HEADER:
        raise DatabaseRefused(path, "is not a till database (not a SQLite file at all)")
    with refusing_damage(path):
        uri = path.resolve().as_uri() + "?mode=rw"
        with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            tables = {
                str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            for table in sorted(tables - CACHE_TABLES):
                _quick_check(conn, path, table)
            if not {"settings", "journal"} <= tables:
                return Inspection(None, None, 0, GENESIS_HASH)  # never set up
            settings = dict(
                conn.execute(
                    "SELECT key, value FROM settings WHERE key IN (?, 'terminal_id')",
                    [DATABASE_ID],
                ).fetchall()
            )
            # Only the tip here: an older schema migrates when the store opens, and
            # the last events' links are checked then (check_journal_tail).
            seq, tip_hash = Journal(conn).tip()
    return Inspection(settings.get(DATABASE_ID), settings.get("terminal_id"), seq, tip_hash)


def _quick_check(conn: sqlite3.Connection, path: Path, table: str) -> None:
    quoted = table.replace('"', '""')
    problems = [str(r[0]) for r in conn.execute(f'PRAGMA quick_check("{quoted}")')]
    if problems != ["ok"]:
        raise DatabaseRefused(path, f"is damaged (quick_check: {'; '.join(problems[:3])})")


def check_journal_tail(journal: Journal, path: Path) -> tuple[int, str]:
    """The journal's tip, after checking that its last events still chain; raises
    :class:`DatabaseRefused` when they do not."""
    seq, tip_hash = journal.tip()
    if seq == 0:
        return seq, tip_hash
    tail = journal.after(max(seq - 2, 0))
    start = tail[0]
    try:
        if start.seq == 1:
            verify_chain(tail)
        else:
            verify_chain(tail[1:], start_seq=start.seq + 1, start_hash=start.hash)
    except ChainBroken as error:
        raise DatabaseRefused(path, f"has a damaged journal ({error.message})") from error
    return seq, tip_hash


@contextmanager
def refusing_damage(path: Path) -> Iterator[None]:
    """Turn SQLite's errors (and undecodable rows) into :class:`DatabaseRefused`."""
    try:
        yield
    except DatabaseRefused:
        raise
    except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError) as error:
        detail = str(error) or type(error).__name__
        raise DatabaseRefused(path, f"is damaged ({detail})") from error


def ensure_identity(store: LocalStore, identity: Identity | None) -> Identity:
    """After the store opened: give the database an id and the till an identity file
    when it has none (a new till, or one from before identity files)."""
    if identity is not None:
        return identity
    with write_transaction(store.conn):
        database_id = store.settings.get(DATABASE_ID)
        if database_id is None:
            database_id = new_database_id()
            store.settings.set(DATABASE_ID, database_id)
        seq, _ = store.journal.tip()
    numbering = store.receipt_numbering
    made = Identity(
        store.terminal_id,
        database_id,
        known_seq=seq,
        known_receipt=numbering.number_of(seq),
        receipt_shifts=numbering.shifts,
    )
    write_identity(store.path, made)
    return made


def note_tip(store: LocalStore) -> None:
    """Raise the identity's known tip to the journal's (after a sync, at shutdown).

    Best effort: the known tip may lag the journal (the checks allow that), so a
    store opened without an identity (tests open stores directly), a store already
    closed, or a file that cannot be written leaves the identity as it was."""
    try:
        identity = read_identity(store.path)
        if identity is None:
            return
        seq, _ = store.journal.tip()
        if seq > identity.known_seq:
            number = store.receipt_numbering.number_of(seq)
            write_identity(store.path, identity.advanced(seq, number))
    except sqlite3.ProgrammingError:
        return  # closed already: it was noted then
    except (IdentityUnreadable, sqlite3.Error, OSError) as error:
        log.warning("the till's identity file was not refreshed: %s", error)


def full_check(path: Path) -> str | None:
    """What is wrong with a database the start checks pass, or None: the whole file's
    ``quick_check`` (the member cache included) and the whole journal's chain. Too slow
    for every start; ``pos-client recover`` runs it before refusing a healthy file."""
    with refusing_damage(path):
        uri = path.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                return f"is damaged (quick_check: {'; '.join(problems)})"
            try:
                Journal(conn).verify()
            except ChainBroken as error:
                return f"has a damaged journal ({error.message})"
    return None
