"""The local store's schema, as ordered migrations (one transaction each).

Tables (as the migrations below leave them):

- ``journal``: the append-only event log. Triggers abort any UPDATE or DELETE, so
  event content can never change once written (guarantee 1 and 3).
- ``parked_events``: sync state kept apart from the journal: events the ledger
  refused, with its reason, for a manager.
- ``members``: the member cache, one row per member id; ``accounts`` holds the
  ledger-confirmed balance of every account, ``rewards`` the issued rewards the
  member holds, ``expiring`` each wallet's soonest-expiring lot as the ledger keeps
  them, and ``version`` the ledger's change number of that state (newer wins).
- ``cards``: every card a member ever had, with its state (``active``: the
  member's current card, at most one; ``replaced``; ``revoked`` and when).
- ``settings``: small key/value facts (terminal id, the confirmed high-water mark
  ``confirmed_seq``, the pull cursor, the last sync).
- ``programme_versions`` and ``products``: the programme versions and the catalogue
  the ledger sent.
- ``refund_units``: one row per unit returned from a sale's line (a unit cannot be
  refunded twice).
- ``pull_members`` (member states with their card, by member id), ``pull_products``
  and ``pull_other``: changes staged by a pull in progress; applied in one
  transaction when the pull completes.

New migrations are appended at the end; an applied migration is never edited.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from loyalty.canonical import canonical_json
from pos_client.store.member_states import index_vouchers

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


@migrations()
def m009_members_by_member_id(db: Database) -> None:
    """Members keyed by member id, and ``cards``: every card a member ever had.

    Until now the cache was keyed by card, so a member whose card was replaced had
    a second row, and the till's unconfirmed events on the old card counted only
    under the old one. Now ``members`` holds one row per member (the newest state
    the ledger sent, by ``version``) and ``cards`` maps each card to its member with
    its ``state``: ``active`` (the member's current card; at most one per member),
    ``replaced`` (a newer state of the member names another card; the ledger's
    revocation has not reached the till yet) or ``revoked`` (the ledger revoked it;
    ``revoked_at`` says when, NULL when the till did not keep the time). Cards are
    never deleted, so an old card still finds its member (for a refund, a receipt's
    name), and a scan of it is refused. ``cards.member_id`` has no foreign key: a
    revoked card of a member this till never cached is kept too.

    The rows of the old cache move as follows (``rowid`` breaks ties):

    - Rows are grouped by member id; a row without one (only a member seeded by
      hand can lack it) keeps its card as its member id, so two such rows never
      merge into one person.
    - The member's newest row (highest ``version``, then the row written last)
      becomes the member, with its status, balances and version, and its card is
      the active one. Its status is the ledger's member status: release 0.1.0 and
      later tills blocked a row for a revoked card only when a newer state of the
      member (the new card) came in the same pull or earlier.
    - Every other row of the member keeps only its card: ``revoked`` when the row
      was blocked (the old cache blocked a card's row when the ledger revoked it;
      the time was not kept), ``replaced`` when it was not (the new card came in a
      push answer or an online lookup, the revocation not yet).
    - Staged changes of an unfinished pull are dropped (``pull_members`` is made
      again keyed by member id, with the state's card); the pull starts again from
      the stored cursor, which moves only when a pull completes.

    ``journal_member_seq`` finds a member's events by member id.
    """
    conn = db.conn
    conn.execute(
        """
        CREATE TABLE cards (
            card TEXT PRIMARY KEY,
            member_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('active', 'replaced', 'revoked')),
            revoked_at TEXT
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE UNIQUE INDEX cards_one_active ON cards (member_id) WHERE state = 'active'")
    conn.execute("CREATE INDEX cards_of_member ON cards (member_id, card)")
    state_columns = """
            name TEXT NOT NULL,
            tier TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
            flagged INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 0,
            accounts TEXT NOT NULL DEFAULT '{}',
            rewards TEXT NOT NULL DEFAULT '[]',
            expiring TEXT NOT NULL DEFAULT '[]',
            progress TEXT NOT NULL DEFAULT 'null'
    """
    conn.execute(f"CREATE TABLE members_v2 (member_id TEXT PRIMARY KEY, {state_columns})")
    conn.execute(
        """
        CREATE TEMP TABLE ranked_members AS
        SELECT *,
            CASE WHEN member_id = '' THEN card ELSE member_id END AS owner,
            row_number() OVER (
                PARTITION BY CASE WHEN member_id = '' THEN card ELSE member_id END
                ORDER BY version DESC, rowid DESC
            ) AS rank
        FROM members
        """
    )
    columns = (
        "name, tier, status, flagged, updated_at, version, accounts, rewards, expiring, progress"
    )
    conn.execute(
        f"INSERT INTO members_v2 (member_id, {columns}) "
        f"SELECT owner, {columns} FROM ranked_members WHERE rank = 1"
    )
    conn.execute(
        """
        INSERT INTO cards (card, member_id, state)
        SELECT card, owner, CASE WHEN rank = 1 THEN 'active'
            WHEN status = 'blocked' THEN 'revoked' ELSE 'replaced' END
        FROM ranked_members
        """
    )
    conn.execute("DROP TABLE temp.ranked_members")
    conn.execute("DROP TABLE members")
    conn.execute("ALTER TABLE members_v2 RENAME TO members")
    conn.execute("DROP TABLE pull_members")
    conn.execute(
        f"CREATE TABLE pull_members (member_id TEXT PRIMARY KEY, card TEXT NOT NULL, "
        f"{state_columns})"
    )
    conn.execute("DELETE FROM pull_products")
    conn.execute("DELETE FROM pull_other")
    conn.execute("CREATE INDEX journal_member_seq ON journal (member_id, seq)")


@migrations()
def m010_member_holdings(db: Database) -> None:
    """What a member holds besides balances, as the ledger sends it: ``birthday``
    (``MM-DD``) and ``birthday_claimed`` (the year of the last birthday reward used),
    ``vouchers`` and ``offers`` (JSON lists), ``accrued`` (a member dividend accrued
    so far, JSON list)."""
    for table in ("members", "pull_members"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN birthday TEXT NOT NULL DEFAULT ''")
        db.conn.execute(
            f"ALTER TABLE {table} ADD COLUMN birthday_claimed INTEGER NOT NULL DEFAULT 0"
        )
        for column in ("vouchers", "offers", "accrued"):
            db.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m011_held_vouchers(db: Database) -> None:
    """``held_vouchers``: each voucher number a cached member holds, and whose it is
    (kept with the members' ``vouchers``), so a voucher scanned before any card is
    found by its key rather than by reading every member."""
    db.conn.execute("CREATE TABLE held_vouchers (number TEXT PRIMARY KEY, member_id TEXT NOT NULL)")
    db.conn.execute("CREATE INDEX held_vouchers_member ON held_vouchers (member_id)")
    index_vouchers(db.conn, "members")


# Later migrations live in their own modules; importing them registers them, in order.
from pos_client.store import schema_staff  # noqa: E402, F401
