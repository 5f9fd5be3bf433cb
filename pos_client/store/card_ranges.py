"""Card numbers this till may give new members: the ranges the ledger set aside for it.

The ledger gives each till its own ranges of twelve-digit card bodies (``first`` to
``last``, m012's ``card_ranges``), so two tills enrolling offline never hand out the
same number. ``next`` is the next body to give out; it only moves forward, and
storing the ledger's ranges again never moves it back.

A number is taken in the same local transaction as the ``enrol`` event that names it
(:func:`take`, run as the event's side write): if the event is not written, the number
is not used up either, and if it is, the number is never given out again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from loyalty.cards import CARD_LENGTH, ENROLMENT_PREFIX, card_of_body

_BODY_DIGITS = CARD_LENGTH - 1


def usable_range(first: int, last: int) -> bool:
    """True for a range of enrolment bodies: twelve digits from ``27``, first <= last.
    Anything else from the ledger is left out rather than risk a product's number."""
    low, high = f"{first:d}", f"{last:d}"
    return (
        0 < first <= last
        and len(low) == len(high) == _BODY_DIGITS
        and low.startswith(ENROLMENT_PREFIX)
        and high.startswith(ENROLMENT_PREFIX)
    )


def store_ranges(conn: sqlite3.Connection, ranges: Iterable[tuple[int, int]]) -> int:
    """Store the ledger's ranges (``(first, last)``) inside the caller's transaction
    (or autocommit): new ones start at ``first``; a range already held keeps its
    ``next``. Returns how many usable ranges were given."""
    rows = [(first, last, first) for first, last in ranges if usable_range(first, last)]
    conn.executemany(
        "INSERT INTO card_ranges (first, last, next) VALUES (?, ?, ?) "
        "ON CONFLICT (first) DO UPDATE SET last = max(card_ranges.last, excluded.last)",
        rows,
    )
    return len(rows)


def numbers_left(conn: sqlite3.Connection) -> int:
    """How many card numbers this till may still give out."""
    row = conn.execute(
        "SELECT coalesce(sum(last - next + 1), 0) FROM card_ranges WHERE next <= last"
    ).fetchone()
    return int(row[0])


def next_number(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """``(range first, body)`` of the next number to give out (lowest range first),
    skipping, and using up, bodies whose card this till already knows (a number must
    never name two members); None when none is left."""
    while True:
        row = conn.execute(
            "SELECT first, next FROM card_ranges WHERE next <= last ORDER BY first LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        first, body = int(row[0]), int(row[1])
        known = conn.execute("SELECT 1 FROM cards WHERE card = ?", [card_of_body(body)]).fetchone()
        if known is None:
            return first, body
        conn.execute(
            "UPDATE card_ranges SET next = ? WHERE first = ? AND next = ?", [body + 1, first, body]
        )


def take(conn: sqlite3.Connection, first: int, body: int) -> bool:
    """Use up ``body`` of the range ``first`` inside the caller's transaction; False
    when it was taken meanwhile (another process of this till): the caller rolls back."""
    moved = conn.execute(
        "UPDATE card_ranges SET next = next + 1 WHERE first = ? AND next = ? AND next <= last",
        [first, body],
    ).rowcount
    return moved == 1
