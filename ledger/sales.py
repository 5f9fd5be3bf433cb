"""The sales that a batch's refunds refer to, and what was returned from them.

A refund must refer to an applied sale (or release 0.1.0 earn) of the same member,
and return no more of a line than the sale sold, counting every earlier refund:
anything else is malformed, since a till checks both inside its own write
transaction and could only send it if it were broken or tampered with. Sales come
from the database or from earlier in the same batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.checks import EventInputs
from ledger.db import Tx
from ledger.member_book import merge_map
from loyalty.programme.model import QUALIFYING_SPEND
from loyalty.programme.refunds import LEGACY_LINE, returned_so_far
from loyalty.tier_metrics import RefundedSale


@dataclass
class Sale:
    """A sale a refund may refer to."""

    content: Mapping[str, Any]
    member_id: str
    returned: dict[int, int] = field(default_factory=dict)
    """Units returned per line by the refunds applied so far."""
    inputs: EventInputs | None = None
    """The basket and snapshot as read by the form check, for a sale earlier in the
    same batch (its refund is then reversed without reading them again)."""
    qualifying_returned: int = 0
    """The qualifying spend the refunds applied so far posted (0 or negative)."""

    def as_refunded(self) -> RefundedSale:
        """What a refund's tier metric needs of this sale (:mod:`loyalty.tier_metrics`)."""
        spend = int(self.content.get("postings", {}).get(QUALIFYING_SPEND, 0))
        return RefundedSale(self.content, spend + self.qualifying_returned)

    def sold(self) -> dict[int, int]:
        if self.content["kind"] == "earn":
            return {LEGACY_LINE: 1}
        return {int(line["line"]): int(line["qty"]) for line in self.content["basket"]["lines"]}


def returned_lines(refund: Mapping[str, Any]) -> dict[int, int]:
    return {int(r["line"]): int(r["qty"]) for r in refund.get("returned", [])}


class SaleBook:
    """Sales referred to by one batch's refunds, loaded in two queries."""

    def __init__(self, tx: Tx, refunds: list[Mapping[str, Any]]) -> None:
        self.sales: dict[str, Sale] = {}
        wanted = sorted({str(r["refers_to"]) for r in refunds if r.get("refers_to")})
        if not wanted:
            return
        merged = merge_map(tx)
        condition, params = tx.in_list("event_id", wanted)
        for event_id, document, member_id in tx.query(
            f"SELECT event_id, document, member_id FROM events WHERE {condition} "
            "AND kind IN ('sale', 'earn')",
            params,
        ):
            kept = merged.get(str(member_id), str(member_id))  # ledger.merges
            self.sales[str(event_id)] = Sale(json.loads(document), kept)
        condition, params = tx.in_list("refers_to", wanted)
        for refers_to, document in tx.query(
            f"SELECT refers_to, document FROM events WHERE {condition} AND kind = 'refund'",
            params,
        ):
            sale = self.sales.get(str(refers_to))
            if sale is not None:
                refund = json.loads(document)
                sale.returned = returned_so_far([sale.returned, _refund_units(refund)])
                sale.qualifying_returned += _qualifying(refund)

    def add_sale(
        self, content: Mapping[str, Any], member_id: str, inputs: EventInputs | None = None
    ) -> None:
        """A sale applied earlier in this batch (a later refund may refer to it)."""
        self.sales[str(content["event_id"])] = Sale(content, member_id, inputs=inputs)

    def problem(self, refund: Mapping[str, Any], member_id: str) -> str | None:
        """Why ``refund`` cannot be applied, or None."""
        seq = refund["seq"]
        sale = self.sales.get(str(refund["refers_to"]))
        if sale is None:
            return f"Event {seq}: the refund refers to no applied sale ({refund['refers_to']})."
        if sale.member_id != member_id:
            return f"Event {seq}: the refund is for another member than the sale it refers to."
        sold = sale.sold()
        for line, qty in _refund_units(refund).items():
            left = sold.get(line, 0) - sale.returned.get(line, 0)
            if qty > left:
                return f"Event {seq}: line {line} has {left} left to refund, not {qty}."
        return None

    def record_refund(self, refund: Mapping[str, Any]) -> Sale:
        sale = self.sales[str(refund["refers_to"])]
        before = Sale(
            sale.content, sale.member_id, dict(sale.returned), sale.inputs, sale.qualifying_returned
        )
        sale.returned = returned_so_far([sale.returned, _refund_units(refund)])
        sale.qualifying_returned += _qualifying(refund)
        return before


def _qualifying(refund: Mapping[str, Any]) -> int:
    """The qualifying spend a refund posted (negative)."""
    return int(refund.get("postings", {}).get(QUALIFYING_SPEND, 0))


def _refund_units(refund: Mapping[str, Any]) -> dict[int, int]:
    """Units per line a refund returns; a schema 1 refund returns the whole earn."""
    if "schema" not in refund:
        return {LEGACY_LINE: 1}
    return returned_lines(refund)
