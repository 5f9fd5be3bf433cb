"""Migrations of the local store for staff, enrolment and the store's day.

Registered on the same :data:`pos_client.store.schema.migrations`, after those in
that module (which imports this one at its end), so they run in order.

Tables:

- ``staff``: the staff the ledger sent (staff number, name, role, salted PIN hash,
  badge code, stores as a JSON list, active), with the ledger's change number.
- ``pin_failures``: failed PIN attempts in a row per staff number at this till, and
  until when they are locked out; kept on disk so a restart does not reset them.
- ``card_ranges``: card number ranges the ledger gave this till for enrolments
  (twelve-digit bodies ``first`` to ``last``) and the next body to give out.
- ``day_closes``: each business day closed at this till: when, by whom, the
  approval when one was needed, and the report as it was printed (JSON).
- ``parked_resolutions``: what a manager decided about a parked event (``void`` or
  ``retry``), who, when and why; a ``void`` is sent with the next push.
- ``members.phone`` (and ``pull_members.phone``): for a manager's search.
"""

from __future__ import annotations

from sqlite_utils import Database

from pos_client.store.schema import migrations


@migrations()
def m012_staff_and_day(db: Database) -> None:
    conn = db.conn
    conn.execute(
        """CREATE TABLE staff (
            staff_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            badge TEXT NOT NULL DEFAULT '',
            stores TEXT NOT NULL DEFAULT '[]',
            active INTEGER NOT NULL,
            version INTEGER NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX staff_badge ON staff (badge) WHERE badge != ''")
    conn.execute(
        """CREATE TABLE pin_failures (
            staff_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT
        )"""
    )
    conn.execute(
        """CREATE TABLE card_ranges (
            first INTEGER PRIMARY KEY,
            last INTEGER NOT NULL,
            next INTEGER NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE day_closes (
            day TEXT PRIMARY KEY,
            closed_at TEXT NOT NULL,
            closed_by TEXT NOT NULL,
            approval TEXT,
            report TEXT NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE parked_resolutions (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('void', 'retry')),
            manager TEXT NOT NULL,
            note TEXT NOT NULL,
            decided_at TEXT NOT NULL
        )"""
    )
    for table in ("members", "pull_members"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN phone TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE INDEX members_phone ON members (phone) WHERE phone != ''")


# Later migrations live in their own modules; importing them registers them, in order.
from pos_client.store import schema_members  # noqa: E402, F401
