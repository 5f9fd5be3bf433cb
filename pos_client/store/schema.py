"""The local store's schema, as ordered migrations (one transaction each).

Tables:

- ``journal``: the append-only event log. Triggers abort any UPDATE or DELETE, so
  event content can never change once written (guarantee 1 and 3).
- ``sync_marks``: sync state kept apart from the journal: the ledger-confirmed
  high-water sequence and parked events, each a row that may change.
- ``members``: the member cache; ``confirmed_points`` is the ledger-confirmed balance.
- ``settings``: small key/value facts (terminal id, current rules).

New migrations are appended at the end; an applied migration is never edited.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("pos_client")


@migrations()
def m001_journal(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE journal (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            terminal_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'refund', 'adjust')),
            card TEXT NOT NULL,
            points INTEGER NOT NULL,
            amount_minor INTEGER NOT NULL,
            currency TEXT NOT NULL,
            rule_version INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            refers_to TEXT,
            note TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX journal_card_seq ON journal (card, seq)")
    db.execute("CREATE INDEX journal_refers_to ON journal (refers_to)")
    db.execute(
        """
        CREATE TRIGGER journal_is_append_only_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER journal_is_append_only_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END
        """
    )


@migrations()
def m002_members(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE members (
            card TEXT PRIMARY KEY,
            member_id TEXT NOT NULL,
            name TEXT NOT NULL,
            tier TEXT NOT NULL DEFAULT '',
            confirmed_points INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
            flagged INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL DEFAULT ''
        )
        """
    )


@migrations()
def m003_sync_marks_and_settings(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE sync_marks (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            state TEXT NOT NULL CHECK (state IN ('parked')),
            reason TEXT NOT NULL,
            marked_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
