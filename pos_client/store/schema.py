"""The local store's schema, as ordered migrations (one transaction each).

Tables:

- ``journal``: the append-only event log. Triggers abort any UPDATE or DELETE, so
  event content can never change once written (guarantee 1 and 3).
- ``parked_events``: sync state kept apart from the journal: events the ledger
  refused, with its reason, for a manager.
- ``members``: the member cache; ``confirmed_points`` is the ledger-confirmed balance
  and ``version`` the ledger's change number of that state (newer wins).
- ``settings``: small key/value facts (terminal id, current rules, the confirmed
  high-water mark ``confirmed_seq``, the pull cursor).
- ``pull_members`` and ``pull_other``: changes staged by a pull in progress; applied
  in one transaction when the pull completes.

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
            updated_at TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 0
        )
        """
    )


@migrations()
def m003_sync_state_and_settings(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE parked_events (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            event_id TEXT NOT NULL,
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            parked_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m004_pull_staging(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE pull_members (
            card TEXT PRIMARY KEY,
            member_id TEXT NOT NULL,
            name TEXT NOT NULL,
            tier TEXT NOT NULL,
            confirmed_points INTEGER NOT NULL,
            status TEXT NOT NULL,
            flagged INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE pull_other (
            key TEXT PRIMARY KEY,
            change INTEGER NOT NULL,
            payload TEXT NOT NULL
        )
        """
    )
