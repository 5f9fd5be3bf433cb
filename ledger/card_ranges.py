"""Card numbers set aside for enrolment at the tills: one range per request.

A till signs up new members offline, so it needs card numbers no other till will
ever hand out. The ledger allocates blocks of :data:`BLOCK` twelve-digit bodies
starting with :data:`loyalty.cards.ENROLMENT_PREFIX` to one terminal each (a card
number is its body and EAN-13 check digit, :func:`loyalty.cards.card_of_body`).
Blocks are allocated inside the ledger's write transaction, one after another, so
they never overlap; a block is moved past any card the ledger already knows (an
imported or revoked card in that space), so an enrolment never reuses a card.
"""

from __future__ import annotations

from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.cards import ENROLMENT_PREFIX, card_of_body
from loyalty.events import utc_now_iso

BLOCK = 1000
"""Card numbers per allocation."""
FIRST_BODY = int(ENROLMENT_PREFIX + "0" * 10)
LAST_BODY = int(ENROLMENT_PREFIX + "9" * 10)


def allocate_range(tx: Tx, terminal_id: str) -> tuple[int, int]:
    """Give ``terminal_id`` a new block (see the module doc); its first and last body.

    Raises :class:`AdminError` when the enrolment space is used up."""
    row = tx.one("SELECT MAX(last) FROM card_ranges")
    first = max(FIRST_BODY, int(row[0]) + 1 if row and row[0] is not None else FIRST_BODY)
    while True:
        last = first + BLOCK - 1
        if last > LAST_BODY:
            raise AdminError("No enrolment card numbers are left to allocate.")
        used = _highest_known_card(tx, first, last)
        if used is None:
            break
        first = used + 1
    tx.execute(
        "INSERT INTO card_ranges (first, last, terminal_id, allocated_at) VALUES (?, ?, ?, ?)",
        (first, last, terminal_id, utc_now_iso()),
    )
    return first, last


def _highest_known_card(tx: Tx, first: int, last: int) -> int | None:
    """The highest body in ``first``..``last`` of a card the ledger knows, or None."""
    low, high = card_of_body(first), f"{last:012d}9"
    found = [
        row[0]
        for table in ("members", "revoked_cards")
        for row in tx.query(
            f"SELECT MAX(card) FROM {table} WHERE card >= ? AND card <= ?", (low, high)
        )
        if row[0] is not None
    ]
    return max(int(str(card)[:12]) for card in found) if found else None


def terminal_ranges(tx: Tx, terminal_id: str) -> list[dict[str, int]]:
    """The terminal's ranges, oldest first, as :class:`sync.protocol.CardRange` fields."""
    return [
        {"first": int(first), "last": int(last)}
        for first, last in tx.query(
            "SELECT first, last FROM card_ranges WHERE terminal_id = ? ORDER BY first",
            (terminal_id,),
        )
    ]


def in_ranges(tx: Tx, terminal_id: str, card: str) -> bool:
    """Whether ``card`` is a number of one of the terminal's ranges."""
    if len(card) != 13 or not card.isdigit():
        return False
    body = int(card[:12])
    return (
        tx.one(
            "SELECT 1 FROM card_ranges WHERE terminal_id = ? AND first <= ? AND last >= ?",
            (terminal_id, body, body),
        )
        is not None
    )
