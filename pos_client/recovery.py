"""``pos-client recover``: a new till database from the ledger's copy of this till's events.

When the till refuses its database (:mod:`pos_client.store.integrity`), or the data
directory was lost, recovery

1. fetches every event of this terminal the ledger holds (``GET /v1/terminal/events``,
   authenticated with the till's own token) and verifies the chain end to end: every
   hash recomputed, every link followed from the genesis, ending at the ledger's
   stated high water and last hash. If the ledger cannot be reached or its chain does
   not verify, recovery stops and nothing is changed;
2. moves the database file aside (with its ``-wal`` and ``-shm``), never deleting it:
   ``till.sqlite.damaged-<UTC time>``;
3. salvages from the set-aside file what it can still read of the journal after the
   ledger's last event, as long as each event chains on from the one before;
4. writes a new database: the ledger's events as confirmed, the salvaged ones as
   pending, a new database id, and a new identity file whose known tip is the new
   journal's end (receipt numbers already printed stay known to it).

Events the identity says were recorded but that neither the ledger nor the old file
holds any more are reported as lost, by sequence number. The member cache, programme
versions, products and staff come back with the next sync (a full pull).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from loyalty.errors import ChainBroken
from loyalty.events import GENESIS_HASH, Event, verify_chain
from pos_client.config import TillConfig
from pos_client.errors import TillError
from pos_client.store import LocalStore
from pos_client.store.identity import (
    DATABASE_ID,
    Identity,
    IdentityUnreadable,
    new_database_id,
    read_identity,
    write_identity,
)
from pos_client.store.integrity import DatabaseRefused, check_before_open, full_check
from pos_client.store.journal import INSERT_SQL, journal_row
from pos_client.store.receipt_shift import RECEIPT_SHIFTS, ReceiptNumbering
from pos_client.store.settings import CONFIRMED_SEQ
from pos_client.store.transaction import write_transaction
from sync.client import LedgerClient
from sync.errors import SyncError
from sync.protocol import MAX_JOURNAL_LIMIT

SIDE_FILES = ("", "-wal", "-shm")


class RecoveryRefused(TillError):
    """Recovery cannot go ahead; nothing was changed."""


@dataclass(frozen=True)
class RecoveryReport:
    """What recovery did, for the operator."""

    database: Path
    set_aside: tuple[Path, ...]
    problem: str
    from_ledger: int
    salvaged: int
    lost: tuple[int, ...]
    known_seq: int | None
    """The last sequence number the identity knew of (None: no identity file)."""
    next_receipt: int
    """The number the next receipt is printed with (after every number printed before)."""

    @property
    def next_seq(self) -> int:
        return self.from_ledger + self.salvaged + 1

    def lines(self) -> list[str]:
        out = [f"Recovered the till database {self.database} ({self.problem})."]
        out += [f"  set aside (kept, not deleted): {path}" for path in self.set_aside]
        out.append(f"  events from the ledger, chain verified: {self.from_ledger} (confirmed)")
        if self.salvaged:
            out.append(f"  events salvaged from the old file, not yet synced: {self.salvaged}")
        if self.known_seq is None:
            out.append("  no identity file: events never synced, if any, cannot be counted")
        if self.lost:
            out.append(
                f"  LOST (recorded but never synced): {len(self.lost)} events, sequence "
                f"numbers {_ranges(self.lost)}"
            )
        else:
            out.append("  lost: none")
        out.append(
            f"  the till continues at event {self.next_seq}, receipt number "
            f"{self.next_receipt}; members, programmes and products come back with the "
            "next sync"
        )
        return out


def recover(config: TillConfig, client: LedgerClient) -> RecoveryReport:
    """Recover ``config``'s database from the ledger behind ``client`` (see above).

    Raises :class:`RecoveryRefused` (nothing changed) when the database is healthy,
    the ledger is unreachable or refuses, or its chain does not verify.
    """
    path = config.database_path
    problem = _problem(path, config.terminal_id)
    try:
        identity = read_identity(path)
    except IdentityUnreadable:
        identity = None
    events = fetch_verified_chain(client)
    set_aside = set_database_aside(path) if path.exists() else ()
    tip_seq, tip_hash = (events[-1].seq, events[-1].hash) if events else (0, GENESIS_HASH)
    salvaged = salvage(set_aside[0], tip_seq, tip_hash) if set_aside else []
    journal = events + salvaged
    end = journal[-1].seq if journal else 0
    known = identity.known_seq if identity is not None else None
    earlier = ReceiptNumbering(identity.receipt_shifts if identity is not None else ())
    printed = max(earlier.number_of(end), identity.known_receipt if identity else 0)
    numbering = earlier.continued(end + 1, printed + 1)
    database_id = new_database_id()
    _write_database(config, events, salvaged, database_id, numbering)
    write_identity(
        path,
        Identity(
            config.terminal_id,
            database_id,
            known_seq=end,
            known_receipt=printed,
            ledger_url=config.ledger.url or "",
            receipt_shifts=numbering.shifts,
        ),
    )
    lost = tuple(range(end + 1, known + 1)) if known is not None else ()
    return RecoveryReport(
        path,
        set_aside,
        problem,
        len(events),
        len(salvaged),
        lost,
        known,
        numbering.number_of(end + 1),
    )


def _problem(path: Path, terminal_id: str) -> str:
    """Why the database needs recovering; refuses a database the till would start on."""
    try:
        check_before_open(path, terminal_id)
    except DatabaseRefused as refused:
        return refused.problem
    if not path.exists():
        return "the data directory is new or was lost"
    try:
        damage = full_check(path)
    except DatabaseRefused as refused:
        return refused.problem
    if damage is not None:
        return damage
    raise RecoveryRefused(
        f"The till database {path} is healthy; the till starts on it, so there is nothing "
        "to recover (recovering would set aside events not yet synced)."
    )


def fetch_verified_chain(client: LedgerClient, limit: int = MAX_JOURNAL_LIMIT) -> list[Event]:
    """Every event of the client's terminal the ledger holds, its chain verified from
    the genesis to the ledger's stated high water and last hash."""
    events: list[Event] = []
    after = 0
    try:
        page = client.terminal_events(after, limit)
        pages = page.high_water // limit + 2  # bounded: the pages the high water needs
        for _ in range(pages):
            events += [_event(e.document, e.hash) for e in page.events]
            if page.next_after is None:
                break
            if page.next_after <= after:
                raise RecoveryRefused("The ledger's pages of this till's events do not advance.")
            after = page.next_after
            page = client.terminal_events(after, limit)
        else:
            raise RecoveryRefused("The ledger sent more pages of this till's events than it holds.")
    except SyncError as error:
        raise RecoveryRefused(
            f"Cannot fetch this till's events from the ledger: {error.message} "
            "Nothing was changed; try again when the ledger answers."
        ) from error
    try:
        verify_chain(events)
    except ChainBroken as error:
        raise RecoveryRefused(
            f"The ledger's copy of this till's events does not verify: {error.message} "
            "Nothing was changed; ask the ledger's operator to check it (pos-ledger verify)."
        ) from error
    end = (events[-1].seq, events[-1].hash) if events else (0, GENESIS_HASH)
    if end != (page.high_water, page.last_hash):
        raise RecoveryRefused(
            f"The ledger holds this till's events up to {page.high_water}, but sent them up "
            f"to {end[0]}{'' if end[0] != page.high_water else ' with another hash'}. "
            "Nothing was changed."
        )
    if events and events[0].terminal_id != client.terminal_id:
        raise RecoveryRefused(
            f"The ledger sent events of terminal {events[0].terminal_id}, not "
            f"{client.terminal_id}. Nothing was changed."
        )
    return events


def _event(document: str, digest: str) -> Event:
    try:
        content = json.loads(document)
    except ValueError as error:
        raise RecoveryRefused(f"The ledger sent an event that is not JSON ({error}).") from error
    if not isinstance(content, dict):
        raise RecoveryRefused("The ledger sent an event that is not a JSON object.")
    return Event(content, digest)


def set_database_aside(path: Path, now: datetime | None = None) -> tuple[Path, ...]:
    """Rename the database and its -wal/-shm to ``<name>.damaged-<UTC time>``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    moved = []
    for suffix in SIDE_FILES:
        source = path.with_name(path.name + suffix)
        if source.exists():
            destination = target.with_name(target.name + suffix)
            source.rename(destination)
            moved.append(destination)
    return tuple(moved)


def salvage(old: Path, after_seq: int, after_hash: str) -> list[Event]:
    """The old file's journal events after ``after_seq`` that still chain on from it,
    read as far as the file allows (an unreadable file gives none)."""
    found: list[Event] = []
    expected_seq, expected_hash = after_seq + 1, after_hash
    try:
        uri = old.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = conn.execute(
                "SELECT document, hash FROM journal WHERE seq > ? ORDER BY seq", [after_seq]
            )
            for document, digest in rows:
                event = Event(json.loads(str(document)), str(digest))
                verify_chain([event], start_seq=expected_seq, start_hash=expected_hash)
                found.append(event)
                expected_seq, expected_hash = event.seq + 1, event.hash
    except (sqlite3.Error, ValueError, TypeError, KeyError, ChainBroken):
        pass  # what follows the first unreadable or unlinked row is lost
    return found


def _write_database(
    config: TillConfig,
    confirmed: list[Event],
    pending: list[Event],
    database_id: str,
    numbering: ReceiptNumbering,
) -> None:
    """A new database holding the journal, the confirmed mark, the new id and the
    receipt numbering."""
    store = LocalStore(config.database_path, config.terminal_id)
    try:
        with write_transaction(store.conn) as conn:
            conn.executemany(INSERT_SQL, [journal_row(e) for e in confirmed + pending])
            store.settings.set(CONFIRMED_SEQ, str(confirmed[-1].seq if confirmed else 0))
            store.settings.set(DATABASE_ID, database_id)
            store.settings.set(RECEIPT_SHIFTS, numbering.encoded())
    finally:
        store.conn.close()


def _ranges(numbers: tuple[int, ...]) -> str:
    """``1-3, 7`` for (1, 2, 3, 7)."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in (*numbers[1:], None):
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)
