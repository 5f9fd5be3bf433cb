"""The ledger's schema and its migrations, applied when a database is opened.

Migrations are numbered and each runs in one transaction with the schema version
update, so a crash leaves the database at the previous version, never half-way.

Tables:

``meta``            key/value: schema version and this ledger's random id (part of
                    every changes cursor, so a cursor from another ledger restarts).
``counters``        ``changes`` (the change feed's numbers) and ``ledger_seq`` (the
                    ledger's own order of applied events); see :mod:`ledger.db`.
``terminals``       a terminal's id, the SHA-256 of its bearer token, revocation.
``terminal_state``  per terminal: the high water (every seq up to it applied) and
                    the hash of that event, the link the next event must continue.
``events``          every applied event, once (``event_id`` primary key,
                    ``(terminal_id, seq)`` unique), with the member it was applied
                    to, the ledger's order and the anomalies it raised.
``members``         opening balance (from the import) and confirmed balance, tier,
                    status, review flag and reasons, the change number of the state.
``rules``           every programme rules version, as JSON; never rewritten.
``revoked_cards``   cards taken out of use, and whose they were.
``anomalies``       what a manager should review: overdrafts, unknown, blocked or
                    revoked cards, rule mismatches, and stream stops (gap, fork,
                    conflict, malformed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager

from ledger.db import Database, PostgresDatabase, Tx
from ledger.errors import StorageError
from loyalty.events import utc_now_iso
from loyalty.programme import ProgrammeRules

_V1: Sequence[str] = (
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    """CREATE TABLE terminals (
        terminal_id TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    """CREATE TABLE terminal_state (
        terminal_id TEXT PRIMARY KEY REFERENCES terminals (terminal_id),
        high_water BIGINT NOT NULL,
        last_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE members (
        member_id TEXT PRIMARY KEY,
        card TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        opening_balance BIGINT NOT NULL,
        balance BIGINT NOT NULL,
        status TEXT NOT NULL,
        flagged INTEGER NOT NULL,
        flag_reasons TEXT NOT NULL,
        change_no BIGINT NOT NULL
    )""",
    "CREATE INDEX members_change_no ON members (change_no)",
    """CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        card TEXT NOT NULL,
        points BIGINT NOT NULL,
        amount_minor BIGINT NOT NULL,
        currency TEXT NOT NULL,
        rule_version BIGINT NOT NULL,
        recorded_at TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        refers_to TEXT,
        note TEXT NOT NULL,
        ledger_seq BIGINT NOT NULL UNIQUE,
        member_id TEXT NOT NULL,
        flags TEXT NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (terminal_id, seq)
    )""",
    "CREATE INDEX events_member ON events (member_id)",
    """CREATE TABLE rules (
        version BIGINT PRIMARY KEY,
        rules_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        change_no BIGINT NOT NULL
    )""",
    "CREATE INDEX rules_change_no ON rules (change_no)",
    """CREATE TABLE revoked_cards (
        card TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        revoked_at TEXT NOT NULL,
        change_no BIGINT NOT NULL
    )""",
    "CREATE INDEX revoked_cards_change_no ON revoked_cards (change_no)",
    """CREATE TABLE anomalies (
        kind TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        member_id TEXT,
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (kind, terminal_id, event_id)
    )""",
    "INSERT INTO counters (name, value) VALUES ('changes', 0), ('ledger_seq', 0)",
)

MIGRATIONS: Sequence[Sequence[str]] = (_V1,)
"""Migration *n* (1-based) brings the schema from version n - 1 to n."""


def migrate(db: Database) -> str:
    """Create or upgrade the schema; return the ledger's id. Safe to run concurrently."""
    try:
        with _migration_tx(db) as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            row = tx.one("SELECT value FROM meta WHERE key = 'schema_version'")
            current = int(row[0]) if row else 0
            if current > len(MIGRATIONS):
                raise StorageError(
                    f"The database has schema version {current}, newer than this ledger "
                    f"({len(MIGRATIONS)}). Upgrade the ledger software."
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1]:
                    tx.execute(statement)
                if version == 1:
                    _seed(tx)
            tx.execute("DELETE FROM meta WHERE key = 'schema_version'")
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(len(MIGRATIONS)),),
            )
            ledger = tx.one("SELECT value FROM meta WHERE key = 'ledger_id'")
            assert ledger is not None
            return str(ledger[0])
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"Cannot prepare the ledger database: {exc}") from exc


def _seed(tx: Tx) -> None:
    """A new ledger has an id and rules version 1 (the programme defaults)."""
    tx.execute("INSERT INTO meta (key, value) VALUES ('ledger_id', ?)", (uuid.uuid4().hex[:12],))
    change = tx.allocate("changes", 1)
    tx.execute(
        "INSERT INTO rules (version, rules_json, created_at, change_no) VALUES (1, ?, ?, ?)",
        (json.dumps(ProgrammeRules().to_dict(), sort_keys=True), utc_now_iso(), change),
    )


def _migration_tx(db: Database) -> AbstractContextManager[Tx]:
    if isinstance(db, PostgresDatabase):
        return db.migration()
    return db.write()
