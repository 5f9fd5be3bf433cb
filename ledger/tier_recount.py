"""Members' tiers counted again from their events, when what the count rests on changes.

The tier counts (:mod:`ledger.tier_keeping`) rest on two facts head office imports:
the tier the import gives (``base_tier``, the floor) and the join date (the start of a
membership year). When a members import changes either for a member, the counts
kept so far were made under the old facts, so :func:`recount_tiers` counts that
member's events again, in the ledger's order, under the new ones: their counts,
grants, tier and progress become what a replay of every event gives
(``pos-ledger verify`` agrees). Nothing else of the member moves: balances, lots and
everything else rest on the events alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime

from ledger.accounts import counted_place, remember_place
from ledger.db import Tx, rows_where_in
from ledger.instants import instant
from ledger.member_book import load_members_by_id
from ledger.programmes import published
from ledger.tier_keeping import TierKeeper, settled_as_of
from loyalty.tier_metrics import SaleMemory


def recount_tiers(tx: Tx, member_ids: Sequence[str]) -> int:
    """Count the tiers of these members again from their events (see the module
    doc); how many members' tier or progress changed (each with a change number)."""
    if not member_ids:
        return 0
    versions = published(tx).versions
    keeper = TierKeeper(versions, settled_as_of(tx))
    keeper.load_join_dates(tx, member_ids)
    for member_id in member_ids:  # from nothing: the stored counts are the old ones
        keeper.state(member_id)
    keeper.loaded.update(member_ids)
    keeper.changed.update(member_ids)  # rewritten even if no event counts any more
    book = load_members_by_id(tx, list(member_ids))
    tiers = {m.member_id: m.base_tier for m in book.by_id.values()}
    places: dict[str, tuple[datetime, str]] = {}
    sales = SaleMemory()
    for member_id, content, postings, at in _events_of(tx, member_ids):
        refunded = sales.refund(content, postings) if content["kind"] == "refund" else None
        counted_at, _ = counted_place(content, at, places)
        tier = keeper.apply(
            member_id, content, postings, at, counted_at, book.by_id[member_id].base_tier, refunded
        )
        if tier is not None:
            tiers[member_id] = tier
        sales.remember(content, postings)
        remember_place(content, at, places)
    keeper.write(tx)
    for member in book.by_id.values():
        progress = keeper.windows.get(member.member_id)
        if (member.tier, member.progress) != (tiers[member.member_id], progress):
            member.tier, member.progress = tiers[member.member_id], progress
            member.changed = True
    book.write(tx)
    return sum(1 for m in book.by_id.values() if m.changed)


def _events_of(
    tx: Tx, member_ids: Sequence[str]
) -> Iterator[tuple[str, dict[str, object], dict[str, int], datetime]]:
    """The events of these members in the ledger's order: member, content, postings
    and business time."""
    rows = sorted(
        rows_where_in(
            tx,
            "SELECT ledger_seq, member_id, document, postings, business_at FROM events WHERE {}",
            "member_id",
            sorted(member_ids),
        ),
        key=lambda row: int(row[0]),
    )
    for _, member_id, document, postings, business_at in rows:
        moved = {str(k): int(v) for k, v in json.loads(postings).items()}
        yield str(member_id), json.loads(document), moved, instant(str(business_at))
