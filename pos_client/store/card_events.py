"""What this till's own member events do to its member cache, at once and offline.

A sign-up (``enrol``) caches the new member under their new card; a replacement
(``replace``) makes the new card the member's active card and the old one
``replaced``; a block (``block``) revokes the card here. Each is written in the same
local transaction as its event (the event's side write), so the cache and the
journal never disagree, even after a crash.

The ledger's member states, stored by a sync, may be older than such an event
(the ledger had not applied it yet: a push parked behind another event, say), and
storing them would give the member back their old card. So after every store of
states the sync re-applies this till's card events the ledger has not confirmed
(:func:`reapply_unconfirmed`); once confirmed, the ledger's states carry them.
"""

from __future__ import annotations

import json
import sqlite3

from loyalty.events import Event, EventKind
from pos_client.store.member_events import UNCONFIRMED
from pos_client.store.member_states import ACTIVE, REPLACED, REVOKED

CARD_KINDS = (str(EventKind.REPLACE), str(EventKind.BLOCK))


def cache_enrolled(
    conn: sqlite3.Connection, member_id: str, card: str, name: str, phone: str, at: str
) -> None:
    """Cache a member enrolled here: no points, active, version 0 (so any state the
    ledger sends of them is newer), with ``card`` as their active card."""
    conn.execute(
        "INSERT INTO members (member_id, name, status, flagged, updated_at, version, phone) "
        "VALUES (?, ?, 'active', 0, ?, 0, ?)",
        [member_id, name, at, phone],
    )
    conn.execute(
        f"INSERT INTO cards (card, member_id, state) VALUES (?, ?, '{ACTIVE}')",
        [card, member_id],
    )


def apply_replace(conn: sqlite3.Connection, member_id: str, new_card: str) -> None:
    """``new_card`` becomes the member's active card; the card active until now is
    ``replaced`` (a revoked one stays revoked)."""
    conn.execute(
        f"UPDATE cards SET state = '{REPLACED}' WHERE member_id = ? AND state = '{ACTIVE}' "
        "AND card != ?",
        [member_id, new_card],
    )
    conn.execute(
        f"INSERT INTO cards (card, member_id, state) VALUES (?, ?, '{ACTIVE}') "
        f"ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, state = '{ACTIVE}' "
        f"WHERE cards.state != '{REVOKED}'",
        [new_card, member_id],
    )


def apply_block(conn: sqlite3.Connection, member_id: str, card: str, at: str) -> None:
    """Revoke ``card`` here: a scan of it is refused from now on."""
    conn.execute(
        f"INSERT INTO cards (card, member_id, state, revoked_at) VALUES (?, ?, '{REVOKED}', ?) "
        f"ON CONFLICT (card) DO UPDATE SET state = '{REVOKED}', "
        "revoked_at = coalesce(cards.revoked_at, excluded.revoked_at)",
        [card, member_id, at],
    )


def apply_card_event(conn: sqlite3.Connection, event: Event) -> None:
    """What a ``replace`` or ``block`` event does to the cache (others: nothing)."""
    if event.kind is EventKind.REPLACE:
        apply_replace(conn, event.member_id, str(event.get("new_card")))
    elif event.kind is EventKind.BLOCK:
        apply_block(conn, event.member_id, event.card, event.recorded_at)


def reapply_unconfirmed(conn: sqlite3.Connection) -> None:
    """Apply again, in order, this till's card events the ledger has not confirmed
    (inside the caller's transaction, after it stored states and raised the mark)."""
    rows = conn.execute(
        f"SELECT document, hash FROM journal WHERE {UNCONFIRMED} "
        f"AND kind IN ({', '.join('?' * len(CARD_KINDS))}) ORDER BY seq",
        CARD_KINDS,
    ).fetchall()
    for document, event_hash in rows:
        apply_card_event(conn, Event(json.loads(document), str(event_hash)))
