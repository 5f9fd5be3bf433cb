"""What a push locks on PostgreSQL, in which order, and why that is enough.

Every write transaction first passes the writers' gate, an advisory lock: a push
takes it shared, every other writer (admin commands, settlements, publishing,
merges, rebuilds) exclusive (:meth:`ledger.db.Database.write`). So the admin code
runs alone, as it always did, while pushes run beside each other.

A push then takes, in one statement and in one fixed order (sorted by key), advisory
locks on:

* its terminal (its sequence and hash chain: two sends of one terminal's batch
  queue, so the second finds the first's events and answers ``duplicate``);
* every card its events name (an unknown card becomes a member at most once);
* every member those cards and member ids belong to (current or revoked cards,
  and through merges), found just before locking.

Once the locks are held it reads its members (``READ COMMITTED``: each statement
sees what is committed, and nothing it locked can change under it). If a card
moved to a member it did not lock between the lookup and the locks (a concurrent
push replaced that card), the transaction is rolled back and tried again
(:data:`ATTEMPTS` times, then once with exclusive access). Balances are therefore
read, changed and written under the member's lock: read-modify-write is correct
because no other push can hold that member, and admin writers are excluded.

Lock order: gate, then the sorted keys, then the counters (``ledger_seq`` before
``changes``, :mod:`ledger.db`), which every transaction takes only in its final
writes. A member found only while writing (an earlier use of an item flagged on
another member, :func:`ledger.own_work.finish`) is locked then, out of that order;
if that ever closes a cycle, PostgreSQL's deadlock detector ends one transaction,
which the till sees as a 503 and retries. Lock waits end at the session's
``lock_timeout`` (:mod:`ledger.pg_session`), again as a 503.

SQLite has one writer at a time by nature: every transaction there is exclusive,
and none of this applies.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from ledger.db import Database, Tx, rows_where_in
from ledger.member_book import MemberBook, load_members

T = TypeVar("T")

ATTEMPTS = 3
"""Tries with shared access before a push falls back to exclusive access."""

TERMINAL, MEMBER, CARD = 1, 2, 3
"""Namespaces of the keys, hashed with the name. Every lock is the two-number form
``(scope, key)``, the scope being the hash of the ledger's schema
(:attr:`ledger.db.PostgresDatabase.scope`)."""


class Moved(Exception):
    """A member the push must change was not among those it locked."""


def key_id(namespace: int, name: str) -> int:
    """The advisory lock of ``name`` in ``namespace``: a stable 32-bit hash, never 0
    (the writers' gate). Two names sharing a hash only queue behind each other."""
    value = zlib.crc32(f"{namespace}:{name}".encode())
    return (value - 2**32 if value >= 2**31 else value) or 1


def member_keys(member_ids: Iterable[str]) -> list[int]:
    return [key_id(MEMBER, m) for m in member_ids]


def lock_push(tx: Tx, terminal_id: str, cards: set[str], member_ids: set[str]) -> set[str] | None:
    """Lock what a push of ``terminal_id`` touching these cards and member ids may
    change; the member ids locked, or None if ``tx`` is exclusive already."""
    if tx.exclusive:
        return None
    members = _members_of(tx, cards, member_ids)
    keys = [key_id(TERMINAL, terminal_id), *(key_id(CARD, c) for c in cards)]
    tx.lock_keys(keys + member_keys(members))
    return members


def in_push(
    db: Database,
    terminal_id: str,
    live: Sequence[Mapping[str, Any]],
    apply: Callable[[Tx, MemberBook], T],
) -> T:
    """Run ``apply`` over the members of ``terminal_id``'s batch (its ``live`` events:
    those not voided), in a transaction that holds them and the terminal: beside
    other pushes, again if a card moved meanwhile, and in the end alone."""
    cards = {str(e["card"]) for e in live} | {str(e["new_card"]) for e in live if "new_card" in e}
    member_ids = {str(e["member_id"]) for e in live if e.get("member_id")}
    for attempt in range(ATTEMPTS + 1):
        opened = db.push() if attempt < ATTEMPTS else db.write()
        try:
            with opened as tx:
                locked = lock_push(tx, terminal_id, cards, member_ids)
                book = load_members(tx, cards, member_ids)
                check_locked(locked, book.by_id)
                return apply(tx, book)
        except Moved:
            continue
    raise AssertionError("the exclusive attempt found a member unlocked")


def check_locked(locked: set[str] | None, member_ids: Iterable[str]) -> None:
    """Raise :class:`Moved` if a member to be changed is not locked."""
    if locked is not None and not set(member_ids) <= locked:
        raise Moved()


def _members_of(tx: Tx, cards: set[str], member_ids: set[str]) -> set[str]:
    found = set(member_ids)
    for table in ("members", "revoked_cards"):
        select = f"SELECT member_id FROM {table} WHERE {{}}"
        found.update(str(r[0]) for r in rows_where_in(tx, select, "card", sorted(cards)))
    if member_ids:
        merged = {str(m): str(i) for m, i in tx.query("SELECT member_id, into_id FROM merges")}
        found.update(str(merged[m]) for m in member_ids if m in merged)
    return found
