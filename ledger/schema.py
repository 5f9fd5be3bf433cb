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
                    ``(terminal_id, seq)`` unique): its canonical content
                    (``document``) and postings, the member it was applied to, the
                    ledger's order and the anomalies it raised.
``members``         opening points (from the import), the confirmed balance of every
                    account (``accounts``, JSON) and the rewards held, tier, status,
                    review flag and reasons, the change number of the state.
``programme_versions``  every published programme version: document, content hash,
                    local start; never rewritten.
``products``        the catalogue tills sell from; ``rules``: release 0.1.0's, frozen.
``revoked_cards``   cards taken out of use, and whose they were.
``anomalies``       what a manager should review: overdrafts, unknown, blocked or
                    revoked cards, computation mismatches, stale versions, and stream
                    stops (gap, fork, conflict, malformed).
``lots``, ``lot_moves``  every wallet as lots and every posting into or out of one
                    (:mod:`ledger.lot_keeping`); ``members.expiring`` holds each
                    wallet's soonest-expiring lot, for the tills.
``settlement_runs``  each period settlement paid: settlement, period, the first
                    ledger order it did not count, members and amount paid.
``tier_counts``, ``tier_grants``  tier qualification (:mod:`ledger.tier_keeping`);
                    ``members.base_tier`` is the tier the import gave, ``progress``
                    the count of the window of the member's latest event; ``birth_date``
                    and ``joined_on`` (``YYYY-MM-DD``, or empty) from the member import.
Migrations 8 to 10: :mod:`ledger.schema_staff`, :mod:`ledger.schema_qr`, :mod:`ledger.schema_web`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from ledger.db import Database, PostgresDatabase, Tx
from ledger.errors import StorageError
from ledger.schema_qr import V9
from ledger.schema_staff import V8
from ledger.schema_web import V10
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso
from loyalty.legacy_rules import ProgrammeRules
from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document

Statement = str | Callable[[Tx], None]

_V1_EVENT_COLUMNS = (
    "event_id, terminal_id, seq, kind, card, points, amount_minor, currency, "
    "rule_version, recorded_at, prev_hash, hash, refers_to, note"
)
"""Release 0.1.0's event columns (schema 1), read once by migration 2."""

_V1: Sequence[Statement] = (
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


def _events_v2(tx: Tx) -> None:
    """Event schema 2: every event is stored as its canonical content (``document``,
    exactly what its hash covers) and its postings; release 0.1.0's rows are rewritten
    in their schema-1 form, so their hashes and chains stay as they were."""
    tx.execute(
        """CREATE TABLE events_v2 (
        event_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        card TEXT NOT NULL,
        member_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        business_at TEXT NOT NULL,
        refers_to TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        postings TEXT NOT NULL,
        document TEXT NOT NULL,
        ledger_seq BIGINT NOT NULL UNIQUE,
        flags TEXT NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (terminal_id, seq)
    )"""
    )
    names = [c.strip() for c in _V1_EVENT_COLUMNS.split(",")]
    rows = []
    for row in tx.query(
        f"SELECT {_V1_EVENT_COLUMNS}, ledger_seq, member_id, flags, received_at FROM events"
    ):
        content = dict(zip(names, row[: len(names)], strict=True))
        event_hash = content.pop("hash")
        content["seq"], content["points"] = int(content["seq"]), int(content["points"])
        content["amount_minor"] = int(content["amount_minor"])
        content["rule_version"] = int(content["rule_version"])
        ledger_seq, member_id, flags, received_at = row[len(names) :]
        points = content["points"]
        rows.append(
            (
                content["event_id"],
                content["terminal_id"],
                content["seq"],
                content["kind"],
                content["card"],
                member_id,
                content["recorded_at"],
                content["recorded_at"],
                content["refers_to"],
                content["prev_hash"],
                event_hash,
                canonical_json({"points": points} if points else {}),
                canonical_json(content),
                ledger_seq,
                flags,
                received_at,
            )
        )
    tx.executemany(
        "INSERT INTO events_v2 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    tx.execute("DROP TABLE events")
    tx.execute("ALTER TABLE events_v2 RENAME TO events")
    tx.execute("CREATE INDEX events_member ON events (member_id)")
    tx.execute("CREATE INDEX events_refers_to ON events (refers_to)")
    tx.execute("CREATE INDEX events_business_at ON events (business_at)")


def _member_accounts(tx: Tx) -> None:
    """Every account of a member (wallets, stamps, qualifying spend) in one JSON column
    instead of the single points ``balance``; and the issued rewards they hold."""
    tx.execute("ALTER TABLE members ADD COLUMN accounts TEXT NOT NULL DEFAULT '{}'")
    tx.execute("ALTER TABLE members ADD COLUMN rewards TEXT NOT NULL DEFAULT '[]'")
    tx.executemany(
        "UPDATE members SET accounts = ? WHERE member_id = ?",
        [
            (canonical_json({"points": int(balance)}), member_id)
            for member_id, balance in tx.query(
                "SELECT member_id, balance FROM members WHERE balance <> 0"
            )
        ],
    )
    tx.execute("ALTER TABLE members DROP COLUMN balance")


def _seed_programme(tx: Tx) -> None:
    """Version 1 of the programme: the default points programme, in force from the
    start (the same document a till without a programme file runs)."""
    from ledger.programmes import publish_version

    publish_version(
        tx,
        parse_programme(simple_programme_document(), "<default programme>"),
        "2000-01-01T00:00",
        check_lead=False,
    )


_V2: Sequence[Statement] = (
    _events_v2,
    _member_accounts,
    """CREATE TABLE programme_versions (
        version BIGINT PRIMARY KEY,
        programme_id TEXT NOT NULL,
        effective_from TEXT NOT NULL,
        effective_utc TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        document TEXT NOT NULL,
        published_at TEXT NOT NULL,
        change_no BIGINT NOT NULL
    )""",
    "CREATE INDEX programme_versions_change_no ON programme_versions (change_no)",
    "CREATE INDEX programme_versions_hash ON programme_versions (content_hash)",
    """CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price_minor BIGINT NOT NULL,
        tags TEXT NOT NULL,
        active INTEGER NOT NULL,
        change_no BIGINT NOT NULL
    )""",
    "CREATE INDEX products_change_no ON products (change_no)",
    _seed_programme,
)

_V3: Sequence[Statement] = (
    """CREATE TABLE lots (
        member_id TEXT NOT NULL,
        wallet TEXT NOT NULL,
        last_day TEXT NOT NULL,
        remaining BIGINT NOT NULL,
        PRIMARY KEY (member_id, wallet, last_day)
    )""",
    "CREATE INDEX lots_last_day ON lots (last_day, remaining)",
    """CREATE TABLE lot_moves (
        event_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        wallet TEXT NOT NULL,
        last_day TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount BIGINT NOT NULL,
        PRIMARY KEY (event_id, wallet, last_day, kind)
    )""",
    "CREATE INDEX lot_moves_member ON lot_moves (member_id)",
    "ALTER TABLE members ADD COLUMN expiring TEXT NOT NULL DEFAULT '[]'",
)

_V4: Sequence[Statement] = (
    """CREATE TABLE tier_counts (
        member_id TEXT NOT NULL,
        period TEXT NOT NULL,
        counted BIGINT NOT NULL,
        PRIMARY KEY (member_id, period)
    )""",
    """CREATE TABLE tier_grants (
        member_id TEXT NOT NULL,
        level TEXT NOT NULL,
        period TEXT NOT NULL,
        held_until TEXT NOT NULL,
        PRIMARY KEY (member_id, level, period)
    )""",
    "CREATE INDEX tier_grants_held_until ON tier_grants (held_until)",
    "ALTER TABLE members ADD COLUMN progress TEXT NOT NULL DEFAULT 'null'",
    "ALTER TABLE members ADD COLUMN base_tier TEXT NOT NULL DEFAULT ''",
    "UPDATE members SET base_tier = tier",
)

_V5: Sequence[Statement] = (
    """CREATE TABLE settlement_runs (
        settlement_id TEXT NOT NULL,
        period TEXT NOT NULL,
        first_seq BIGINT NOT NULL,
        members BIGINT NOT NULL,
        paid BIGINT NOT NULL,
        PRIMARY KEY (settlement_id, period)
    )""",
)

_V6: Sequence[Statement] = (
    "ALTER TABLE members ADD COLUMN birth_date TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE members ADD COLUMN joined_on TEXT NOT NULL DEFAULT ''",
)

_V7: Sequence[Statement] = (
    "ALTER TABLE members ADD COLUMN birthday_claimed BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE members ADD COLUMN vouchers TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE members ADD COLUMN offers TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE members ADD COLUMN accrued TEXT NOT NULL DEFAULT '[]'",
    """CREATE TABLE vouchers (
        number TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        settlement_id TEXT NOT NULL,
        value_minor BIGINT NOT NULL,
        currency TEXT NOT NULL,
        min_spend_minor BIGINT NOT NULL,
        valid_until TEXT NOT NULL,
        issued_by TEXT NOT NULL
    )""",
    "CREATE INDEX vouchers_member ON vouchers (member_id)",
    """CREATE TABLE offers (
        offer_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        template TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT NOT NULL,
        uses BIGINT NOT NULL,
        assigned_at TEXT NOT NULL
    )""",
    "CREATE INDEX offers_member ON offers (member_id)",
    """CREATE TABLE single_uses (
        item TEXT NOT NULL,
        event_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        business_at TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        discount_minor BIGINT NOT NULL,
        accepted INTEGER NOT NULL,
        PRIMARY KEY (item, event_id)
    )""",
    """CREATE TABLE cap_awards (
        member_id TEXT NOT NULL,
        cap TEXT NOT NULL,
        event_id TEXT NOT NULL,
        business_at TEXT NOT NULL,
        reversed_by TEXT,
        PRIMARY KEY (cap, event_id)
    )""",
    "CREATE INDEX cap_awards_member ON cap_awards (member_id, cap)",
    """CREATE TABLE accruals (
        member_id TEXT NOT NULL,
        settlement_id TEXT NOT NULL,
        period TEXT NOT NULL,
        basis TEXT NOT NULL,
        PRIMARY KEY (member_id, settlement_id, period)
    )""",
    "ALTER TABLE settlement_runs ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0",
    "UPDATE settlement_runs SET last_seq = first_seq - 1",
)

MIGRATIONS: Sequence[Sequence[Statement]] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, V8, V9, V10)
"""Migration *n* (1-based) brings the schema from version n - 1 to n: SQL statements
and Python steps run in order, in one transaction."""

REPLAYED_FROM = 7
"""A ledger with events migrated from before this version has its derived tables
made again from its events (:func:`ledger.rebuild.rebuild_in`) once every migration
has run, in the same transaction: events applied before lots, uses or caps were kept
get their moves and rows, so a replay from empty equals the live tables."""


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
                    if callable(statement):
                        statement(tx)
                    else:
                        tx.execute(statement)
                if version == 1:
                    _seed(tx)
            if 0 < current < REPLAYED_FROM <= len(MIGRATIONS) and tx.one(
                "SELECT 1 FROM events LIMIT 1"
            ):
                from ledger.rebuild import rebuild_in

                rebuild_in(tx)
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
    """A new ledger has an id and release 0.1.0's rules version 1 (which its events
    name); programme version 1 comes with migration 2."""
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
