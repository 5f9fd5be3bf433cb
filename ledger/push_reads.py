"""What a push's answer and decisions read from the stored events and members."""

from __future__ import annotations

from ledger import members
from ledger.db import Tx
from ledger.member_book import MemberBook


def touched_states(tx: Tx, book: MemberBook, touched: set[str]) -> list[dict[str, object]]:
    """States of the touched members as committed by this transaction, by member id."""
    in_book = [book.by_id[m].state() for m in sorted(touched) if m in book.by_id]
    # A duplicate may name a member whose card has since moved; read those.
    others = members.members_by_id(tx, [m for m in touched if m not in book.by_id])
    return sorted(in_book + others, key=lambda s: str(s["member_id"]))


def known_events(tx: Tx, event_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Stored events among ``event_ids``: (hash, document, member id)."""
    if not event_ids:
        return {}
    condition, params = tx.in_list("event_id", event_ids)
    rows = tx.query(
        f"SELECT event_id, hash, document, member_id FROM events WHERE {condition}", params
    )
    return {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}
