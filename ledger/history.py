"""A member's history, a page at a time, newest first (``GET /v1/members/{id}/events``).

Pages are cut by the ledger's order (``ledger_seq``), which only grows, so a page
asked for with ``before`` is the same whatever was pushed since. The events of
members merged into this one (:mod:`ledger.merges`) are part of its history; voided
events belong to no member and are never shown.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.db import Tx
from ledger.errors import NotFound


def member_history_page(tx: Tx, member_id: str, before: int | None, limit: int) -> dict[str, Any]:
    """The fields of :class:`sync.history_wire.MemberHistoryResponse`; raises
    :class:`NotFound` for a member the ledger does not know."""
    row = tx.one("SELECT merged_into FROM members WHERE member_id = ?", (member_id,))
    if row is None:
        raise NotFound(f"No member has the id {member_id}.")
    ids = [member_id] + [
        str(r[0]) for r in tx.query("SELECT member_id FROM merges WHERE into_id = ?", (member_id,))
    ]
    condition, params = tx.in_list("member_id", ids)
    rows = tx.query(
        "SELECT ledger_seq, terminal_id, seq, kind, document, postings, flags, business_at "
        f"FROM events WHERE {condition} AND ledger_seq < ? ORDER BY ledger_seq DESC LIMIT ?",
        [*params, before if before is not None else 2**62, limit + 1],
    )
    events = [_entry(r) for r in rows[:limit]]
    more = len(rows) > limit
    return {"events": events, "next_before": events[-1]["ledger_seq"] if more else None}


def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
    ledger_seq, terminal_id, seq, kind, document, postings, flags, business_at = row
    content = json.loads(str(document))
    return {
        "ledger_seq": int(ledger_seq),
        "terminal_id": str(terminal_id),
        "seq": int(seq),
        "kind": str(kind),
        "business_time": str(content.get("business_time", business_at)),
        "store": str(content.get("store", "")),
        "operator": str(content.get("operator", "")),
        "postings": {str(k): int(v) for k, v in json.loads(str(postings)).items()},
        "flags": [f for f in str(flags).split(",") if f],
    }
