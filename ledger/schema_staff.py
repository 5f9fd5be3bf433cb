"""Migration 8: the store manager's side (issue 9): staff, card ranges for
enrolment at the tills, members' contact details and merges, resolvable anomalies
and the chain's admin audit log.

Tables and columns it adds:

``staff``        who may sign in at a till: ``staff_id``, ``name``, ``role``
                 (``cashier`` or ``manager``), ``pin_hash`` (salted scrypt,
                 :mod:`loyalty.staff`), ``badge``, ``stores`` (JSON list; empty:
                 every store), ``active``, ``change_no`` (its place in the changes
                 feed), ``created_at``, ``updated_at``.
``card_ranges``  card number bodies ``first``..``last`` (twelve digits) the ledger
                 gave ``terminal_id`` for enrolments, never overlapping.
``merges``       ``member_id`` was merged into ``into_id`` (by ``merged_by`` at
                 ``merged_at``): events on the first count for the second.
``audit``        the chain's admin audit log: ``audit_id``, ``at``, ``actor``,
                 ``action``, ``subject``, ``detail`` (JSON).
``members``      ``phone``, ``email``, ``consent`` (JSON: privacy_accepted_at,
                 marketing), ``enrolled_at``, ``enrolled_by`` (terminal),
                 ``merged_into`` (NULL unless merged).
``anomalies``    ``anomaly_id`` (a stable short id), ``resolved_at``,
                 ``resolved_by``, ``resolution``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ledger.db import Tx

if TYPE_CHECKING:
    from ledger.schema import Statement


def _anomaly_ids(tx: Tx) -> None:
    """Give every anomaly recorded before this migration its short id."""
    from ledger.anomalies import anomaly_id

    rows = tx.query("SELECT kind, terminal_id, event_id FROM anomalies")
    tx.executemany(
        "UPDATE anomalies SET anomaly_id = ? WHERE kind = ? AND terminal_id = ? AND event_id = ?",
        [(anomaly_id(str(k), str(t), str(e)), k, t, e) for k, t, e in rows],
    )


V8: Sequence[Statement] = (
    """CREATE TABLE staff (
        staff_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        badge TEXT NOT NULL,
        stores TEXT NOT NULL,
        active INTEGER NOT NULL,
        change_no BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX staff_change_no ON staff (change_no)",
    """CREATE TABLE card_ranges (
        first BIGINT PRIMARY KEY,
        last BIGINT NOT NULL,
        terminal_id TEXT NOT NULL,
        allocated_at TEXT NOT NULL
    )""",
    "CREATE INDEX card_ranges_terminal ON card_ranges (terminal_id)",
    """CREATE TABLE merges (
        member_id TEXT PRIMARY KEY,
        into_id TEXT NOT NULL,
        merged_at TEXT NOT NULL,
        merged_by TEXT NOT NULL
    )""",
    """CREATE TABLE audit (
        audit_id BIGINT PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL
    )""",
    "INSERT INTO counters (name, value) VALUES ('audit', 0)",
    "ALTER TABLE members ADD COLUMN phone TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE members ADD COLUMN email TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE members ADD COLUMN consent TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE members ADD COLUMN enrolled_at TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE members ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE members ADD COLUMN merged_into TEXT",
    "CREATE INDEX members_phone ON members (phone)",
    "CREATE INDEX members_email ON members (email)",
    "ALTER TABLE anomalies ADD COLUMN anomaly_id TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE anomalies ADD COLUMN resolved_at TEXT",
    "ALTER TABLE anomalies ADD COLUMN resolved_by TEXT",
    "ALTER TABLE anomalies ADD COLUMN resolution TEXT",
    _anomaly_ids,
    "CREATE INDEX anomalies_id ON anomalies (anomaly_id)",
)
"""Migration 8 (see the module doc)."""
