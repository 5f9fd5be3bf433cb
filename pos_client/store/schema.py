"""The local store's schema, as ordered migrations (one transaction each).

Tables (as the migrations below leave them):

- ``journal``: the append-only event log. Triggers abort any UPDATE or DELETE, so
  event content can never change once written (guarantee 1 and 3).
- ``parked_events``: sync state kept apart from the journal: events the ledger
  refused, with its reason, for a manager.
- ``members``: the member cache; ``accounts`` holds the ledger-confirmed balance of
  every account, ``rewards`` the issued rewards the member holds, ``expiring`` each
  wallet's soonest-expiring lot as the ledger keeps them, and ``version`` the
  ledger's change number of that state (newer wins).
- ``settings``: small key/value facts (terminal id, the confirmed high-water mark
  ``confirmed_seq``, the pull cursor, the last sync).
- ``programme_versions`` and ``products``: the programme versions and the catalogue
  the ledger sent.
- ``refund_units``: one row per unit returned from a sale's line (a unit cannot be
  refunded twice).
- ``pull_members``, ``pull_products`` and ``pull_other``: changes staged by a pull in
  progress; applied in one transaction when the pull completes.

New migrations are appended at the end; an applied migration is never edited.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from loyalty.canonical import canonical_json

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


@migrations()
def m005_events_v2(db: Database) -> None:
    """Event schema 2: the journal stores each event's canonical content.

    Release 0.1.0's rows are rewritten in their schema-1 form (their hash is the
    same), so they still verify and sync. ``postings`` (JSON, account → delta),
    ``rewards`` (the rewards it issued, used, revoked or restored; NULL for none) and
    the other columns beside ``document`` are derived from it for queries. Foreign keys from
    ``parked_events`` are deferred while the table is rebuilt.
    """
    conn = db.conn
    conn.execute("PRAGMA defer_foreign_keys = ON")
    conn.execute(
        """
        CREATE TABLE journal_v2 (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            card TEXT NOT NULL,
            member_id TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            refers_to TEXT,
            postings TEXT NOT NULL,
            rewards TEXT,
            hash TEXT NOT NULL,
            document TEXT NOT NULL
        )
        """
    )
    columns = (
        "seq, event_id, terminal_id, kind, card, points, amount_minor, currency, "
        "rule_version, recorded_at, prev_hash, hash, refers_to, note"
    )
    names = [c.strip() for c in columns.split(",")]
    rows = []
    for row in conn.execute(f"SELECT {columns} FROM journal ORDER BY seq"):
        content = dict(zip(names, row, strict=True))
        event_hash = content.pop("hash")
        points = content["points"]
        rows.append(
            (
                content["seq"],
                content["event_id"],
                content["kind"],
                content["card"],
                "",
                content["recorded_at"],
                content["refers_to"],
                canonical_json({"points": points} if points else {}),
                None,
                event_hash,
                canonical_json(content),
            )
        )
    conn.executemany("INSERT INTO journal_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("DROP TABLE journal")
    conn.execute("ALTER TABLE journal_v2 RENAME TO journal")
    conn.execute("CREATE INDEX journal_card_seq ON journal (card, seq)")
    conn.execute("CREATE INDEX journal_refers_to ON journal (refers_to)")
    for action in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER journal_is_append_only_{action.lower()} BEFORE {action} ON journal "
            "BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END"
        )


@migrations()
def m006_accounts_versions_products(db: Database) -> None:
    """Accounts per member, programme versions, the product catalogue, refund units.

    - ``members.accounts``: the ledger-confirmed balance of every account (JSON, account
      → amount; wallets, ``stamps:<card>``, ``qualifying_spend``) replaces
      ``confirmed_points``; ``members.rewards``: issued rewards the member holds.
    - ``programme_versions``: every version the ledger sent, by number.
    - ``products``: the catalogue from the ledger (sku, name, price, tags).
    - ``refund_units``: one row per unit ever returned from a sale's line; its primary
      key makes refunding a unit twice impossible, whatever the code above it does.
    """
    conn = db.conn
    for table in ("members", "pull_members"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN accounts TEXT NOT NULL DEFAULT '{{}}'")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN rewards TEXT NOT NULL DEFAULT '[]'")
        conn.execute(
            f"UPDATE {table} SET accounts = json_object('points', confirmed_points) "
            "WHERE confirmed_points != 0"
        )
        conn.execute(f"ALTER TABLE {table} DROP COLUMN confirmed_points")
    conn.execute("DELETE FROM settings WHERE key = 'rules'")
    conn.execute(
        """
        CREATE TABLE programme_versions (
            version INTEGER PRIMARY KEY,
            effective_from TEXT NOT NULL,
            effective_utc TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            document TEXT NOT NULL,
            change INTEGER NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE products (
            sku TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            price_minor INTEGER NOT NULL,
            tags TEXT NOT NULL,
            active INTEGER NOT NULL,
            change INTEGER NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE pull_products (
            sku TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            price_minor INTEGER NOT NULL,
            tags TEXT NOT NULL,
            active INTEGER NOT NULL,
            change INTEGER NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE refund_units (
            sale_seq INTEGER NOT NULL REFERENCES journal (seq),
            line INTEGER NOT NULL,
            unit INTEGER NOT NULL,
            sold INTEGER NOT NULL,
            refund_seq INTEGER NOT NULL REFERENCES journal (seq),
            PRIMARY KEY (sale_seq, line, unit),
            CHECK (unit BETWEEN 1 AND sold)
        )
        """
    )
    # Release 0.1.0's refunds returned their whole earn: line 1, one unit.
    conn.execute(
        """
        INSERT OR IGNORE INTO refund_units (sale_seq, line, unit, sold, refund_seq)
        SELECT sale.seq, 1, 1, 1, refund.seq FROM journal refund
        JOIN journal sale ON sale.event_id = refund.refers_to
        WHERE refund.kind = 'refund' AND sale.kind = 'earn'
        """
    )


@migrations()
def m007_expiring(db: Database) -> None:
    """``members.expiring``: per wallet, the ledger's soonest-expiring lot (JSON list
    of ``{wallet, amount, on}``), shown to the cashier."""
    for table in ("members", "pull_members"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN expiring TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m008_tier_progress(db: Database) -> None:
    """``members.progress``: the ledger's tier count so far (JSON ``{window, count}``,
    or null), for "312.00 NOK to gold"."""
    for table in ("members", "pull_members"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN progress TEXT NOT NULL DEFAULT 'null'")
