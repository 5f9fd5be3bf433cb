"""What the till keeps of the ledger's epoch (:mod:`ledger.epochs`, docs/RELIABILITY.md).

A new epoch means the ledger lost data this till had seen. The till then pushes again
from the ledger's high water (``resend_after``, below its confirmed mark, which stays
where it is so no balance shown counts an event twice), and pulls everything again:
until that full pull ends, every cached member, programme version and product is
marked as from the old epoch (version or change ``-1``, so any state of the new epoch
replaces it), and the full pull's end removes those the ledger no longer has and sets
the confirmed mark to exactly the ledger's high water, in one transaction with the
states that include it.
"""

from __future__ import annotations

import sqlite3

from pos_client.store.settings import CONFIRMED_SEQ, Settings

LEDGER_EPOCH = "ledger_epoch"
RESEND_AFTER = "resend_after"
"""Set while events the ledger lost go again: the last one it holds."""
STALE = -1
"""The version (members) or change (versions, products) of what a new epoch must
send again to be kept."""


def push_position(settings: Settings) -> int:
    """Where the next push starts: after ``resend_after`` while set, else after the
    confirmed mark."""
    resend = settings.get(RESEND_AFTER)
    return int(resend) if resend is not None else int(settings.get(CONFIRMED_SEQ, "0") or 0)


def begin_epoch(conn: sqlite3.Connection, settings: Settings, epoch: str, high_water: int) -> None:
    """Inside the caller's write transaction: see :class:`sync.local.LocalSide`."""
    if epoch:
        settings.set(LEDGER_EPOCH, epoch)
    confirmed = int(settings.get(CONFIRMED_SEQ, "0") or 0)
    if high_water < confirmed:
        settings.set(RESEND_AFTER, str(high_water))
    else:
        conn.execute("DELETE FROM settings WHERE key = ?", [RESEND_AFTER])
    conn.execute("DELETE FROM settings WHERE key = 'pull_cursor'")
    conn.execute(f"UPDATE members SET version = {STALE}")
    conn.execute(f"UPDATE programme_versions SET change = {STALE}")
    conn.execute(f"UPDATE products SET change = {STALE}")


def finish_epoch(conn: sqlite3.Connection, settings: Settings, high_water: int) -> None:
    """At the end of a full pull, inside its transaction: drop what the new epoch did
    not send again, and set the confirmed mark to the ledger's high water when events
    were being sent again (the pulled states include exactly those)."""
    conn.execute(
        "DELETE FROM held_vouchers WHERE member_id IN "
        f"(SELECT member_id FROM members WHERE version = {STALE})"
    )
    conn.execute(
        "DELETE FROM cards WHERE state != 'revoked' AND member_id IN "
        f"(SELECT member_id FROM members WHERE version = {STALE})"
    )
    conn.execute(f"DELETE FROM members WHERE version = {STALE}")
    conn.execute(f"DELETE FROM programme_versions WHERE change = {STALE}")
    conn.execute(f"DELETE FROM products WHERE change = {STALE}")
    if settings.get(RESEND_AFTER) is not None:
        settings.set(CONFIRMED_SEQ, str(high_water))
        conn.execute("DELETE FROM settings WHERE key = ?", [RESEND_AFTER])


def settled(conn: sqlite3.Connection, settings: Settings, high_water: int) -> None:
    """A push settled up to ``high_water``: events sent again up to there are held."""
    resend = settings.get(RESEND_AFTER)
    if resend is None or high_water <= int(resend):
        return
    if high_water >= int(settings.get(CONFIRMED_SEQ, "0") or 0):
        conn.execute("DELETE FROM settings WHERE key = ?", [RESEND_AFTER])
    else:
        settings.set(RESEND_AFTER, str(high_water))
