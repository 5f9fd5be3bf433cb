"""Storing the ledger's member states: one row per member, every card kept.

A pull of a million members, a push answer with three, an online lookup and a
locally seeded demo all store member states by the same statements, applied in SQL
to a table of incoming states (:data:`STATE_COLUMNS`; ``pull_members`` for a pull,
a temporary table otherwise). The rules:

1. Per member id, the newest state wins. With ``newer_only`` (everything the ledger
   sends) a state whose ``version`` is not above the cached member's is dropped, so
   an older answer never undoes a newer one; local seeding replaces.
2. The state's card becomes the member's active card. The card it replaces stays in
   ``cards`` as ``replaced``: it still finds the member, so what was recorded on it
   counts for them, and a scan of it is refused.
3. A revoked card never becomes active again (the ledger never hands one out
   twice); a state naming one leaves the member without an active card.
4. A revocation (:func:`revoke_cards`) marks the card ``revoked`` with the ledger's
   time, whether or not its member is cached; the member is left as they are (a
   blocked member is the ledger's member ``status``, never a card's).

Every function writes inside the caller's transaction; the caller raises the
confirmed high-water mark in the same one when the states carry balances.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

MEMBER_COLUMNS = (
    "member_id",
    "name",
    "tier",
    "status",
    "flagged",
    "updated_at",
    "version",
    "accounts",
    "rewards",
    "expiring",
    "progress",
    "birthday",
    "birthday_claimed",
    "vouchers",
    "offers",
    "accrued",
    "phone",
    "flag_reasons",
)
"""The columns of ``members``: one row per member id."""
STATE_COLUMNS = ("card", *MEMBER_COLUMNS)
"""A member state as the ledger sends it: the member's current card and the
member's columns (``CachedMember.row``, the rows of ``pull_members``)."""

ACTIVE, REPLACED, REVOKED = "active", "replaced", "revoked"
"""The states of a card in ``cards``: the member's current card; a card a newer
state of the member replaced (its revocation not heard yet); a card the ledger
revoked."""

PULLED = "pull_members"
"""Where a pull stages the member states of its pages."""
_INCOMING = "incoming_members"
"""A temporary table (this connection only) for the few states of one write."""


def stage_states(
    conn: sqlite3.Connection, table: str, rows: Sequence[Sequence[object]], newer_only: bool
) -> None:
    """Add state rows (:data:`STATE_COLUMNS` order) to the staging ``table``, one
    per member: a newer version replaces a staged one (any later one without
    ``newer_only``)."""
    columns = ", ".join(STATE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS if c != "member_id")
    newer = f" WHERE excluded.version > {table}.version" if newer_only else ""
    conn.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(STATE_COLUMNS))}) "
        f"ON CONFLICT (member_id) DO UPDATE SET {updates}{newer}",
        rows,
    )


def apply_staged(conn: sqlite3.Connection, table: str, newer_only: bool) -> int:
    """Store the states staged in ``table`` by rules 1-3; return how many members
    were written. States that are not newer are deleted from ``table``."""
    if newer_only:
        conn.execute(
            f"DELETE FROM {table} WHERE version <= coalesce("
            f"(SELECT m.version FROM members m WHERE m.member_id = {table}.member_id), -1)"
        )
    conn.execute(
        f"UPDATE cards SET state = '{REPLACED}' FROM {table} AS s "
        f"WHERE cards.member_id = s.member_id AND cards.state = '{ACTIVE}' "
        "AND cards.card != s.card"
    )
    conn.execute(
        f"INSERT INTO cards (card, member_id, state) SELECT card, member_id, '{ACTIVE}' "
        f"FROM {table} WHERE card != '' ON CONFLICT (card) DO UPDATE SET "
        f"member_id = excluded.member_id, state = '{ACTIVE}' WHERE cards.state != '{REVOKED}'"
    )
    columns = ", ".join(MEMBER_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in MEMBER_COLUMNS if c != "member_id")
    written = conn.execute(
        f"INSERT INTO members ({columns}) SELECT {columns} FROM {table} WHERE true "
        f"ON CONFLICT (member_id) DO UPDATE SET {updates}"
    ).rowcount
    index_vouchers(conn, table)
    return max(written, 0)


def index_vouchers(conn: sqlite3.Connection, table: str) -> None:
    """Keep ``held_vouchers`` (voucher number → member) in step with the ``vouchers``
    of the members in ``table`` (the staged states just stored, or ``members``
    itself), so a voucher scanned before any card finds its member by its key."""
    conn.execute(f"DELETE FROM held_vouchers WHERE member_id IN (SELECT member_id FROM {table})")
    conn.execute(
        "INSERT OR REPLACE INTO held_vouchers (number, member_id) "
        f"SELECT json_extract(v.value, '$.number'), s.member_id FROM {table} AS s, "
        "json_each(s.vouchers) AS v WHERE s.vouchers != '[]'"
    )


def store_states(
    conn: sqlite3.Connection, rows: Sequence[Sequence[object]], newer_only: bool
) -> int:
    """Store a few states (a push answer, an online lookup, local seeding) by the
    same rules as a pull; return how many members were written."""
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_INCOMING} AS SELECT * FROM main.{PULLED} WHERE false"
    )
    conn.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS temp.{_INCOMING}_id ON {_INCOMING} (member_id)"
    )
    conn.execute(f"DELETE FROM {_INCOMING}")
    stage_states(conn, _INCOMING, rows, newer_only)
    written = apply_staged(conn, _INCOMING, newer_only)
    conn.execute(f"DELETE FROM {_INCOMING}")
    return written


def revoke_cards(conn: sqlite3.Connection, revoked: Iterable[tuple[str, str, str]]) -> None:
    """Mark cards revoked, from ``(card, member_id, revoked_at)``: rule 4."""
    conn.executemany(
        f"INSERT INTO cards (card, member_id, state, revoked_at) VALUES (?, ?, '{REVOKED}', ?) "
        f"ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, "
        f"state = '{REVOKED}', revoked_at = excluded.revoked_at",
        list(revoked),
    )
