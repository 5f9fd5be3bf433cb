"""What one event adds to a tier metric, read from the event alone (and, for a
refund, from the sale it refers to).

The ledger counts with this at push time, ``pos-ledger verify`` replays with it, and
the till counts its unsynced events with it, so the three agree by construction.
Everything is read from stored event content: a sale's ``postings``, ``spent`` and
``basket``; a refund's ``postings``, ``spent_returned`` and ``returned``, and its
sale's basket and qualifying spend.

* ``qualifying_spend``: the sale's qualifying spend; a refund's (negative) posting.
* a wallet (status points): what a sale or action earned into it, spending from the
  same wallet not lowering it; a refund takes back what it reverses of that.
* ``visits``: a sale with qualifying spend above 0 is one visit; the refund that
  brings its sale's qualifying spend to 0 or below undoes it (-1); other refunds,
  partial ones, count nothing.
* ``units`` of a tag: a sale counts the quantity of its basket lines carrying the
  tag; a refund takes back the units it returns of such lines.

A redemption, an adjustment, an expiry or a settlement counts nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from loyalty.programme.model import QUALIFYING_SPEND, UNITS, VISITS, TierQualification

SALE_KINDS = ("sale", "earn")
"""Kinds of event a refund may refer to (``earn``: release 0.1.0's sale)."""


@dataclass(frozen=True)
class RefundedSale:
    """What a refund's metric needs of its sale, as it was before that refund."""

    content: Mapping[str, Any]
    """The sale event's content."""
    qualifying_left: int
    """The sale's qualifying spend less what earlier refunds of it took back."""


def metric_amount(
    qualification: TierQualification,
    content: Mapping[str, Any],
    postings: Mapping[str, int],
    sale: RefundedSale | None = None,
) -> int:
    """What the event with ``content`` and ``postings`` adds to the metric (negative
    for a refund); ``sale`` is a refund's sale (a refund without one counts nothing
    for visits and units)."""
    kind = content["kind"]
    metric = qualification.metric
    if metric == VISITS:
        return _visits(kind, postings, sale)
    if metric == UNITS:
        assert qualification.tag is not None  # the document guarantees it
        return _units(kind, qualification.tag, content, sale)
    posted = int(postings.get(metric, 0))
    if kind in SALE_KINDS:
        return posted + int(content.get("spent", {}).get(metric, 0))
    if kind == "refund":
        return posted - int(content.get("spent_returned", {}).get(metric, 0))
    return posted if kind == "action" else 0


def _visits(kind: str, postings: Mapping[str, int], sale: RefundedSale | None) -> int:
    spend = int(postings.get(QUALIFYING_SPEND, 0))
    if kind in SALE_KINDS:
        return 1 if spend > 0 else 0
    if kind == "refund" and sale is not None:
        before = sale.qualifying_left
        return -1 if before > 0 and before + spend <= 0 else 0
    return 0


def _units(kind: str, tag: str, content: Mapping[str, Any], sale: RefundedSale | None) -> int:
    if kind in SALE_KINDS:
        return tagged_units(content, tag)
    if kind != "refund" or sale is None:
        return 0
    tagged = {
        int(line["line"])
        for line in sale.content.get("basket", {}).get("lines", [])
        if tag in line.get("tags", [])
    }
    return -sum(int(r["qty"]) for r in content.get("returned", []) if int(r["line"]) in tagged)


def tagged_units(content: Mapping[str, Any], tag: str) -> int:
    """The units of a sale's basket lines that carry ``tag``."""
    return sum(
        int(line["qty"])
        for line in content.get("basket", {}).get("lines", [])
        if tag in line.get("tags", [])
    )


class SaleMemory:
    """The sales seen so far while reading events in order, and the qualifying spend
    their refunds left: what a refund's metric needs when events are replayed
    (``pos-ledger verify``) or read from a till's journal. Given the ids of the
    sales that are ``refunded``, it keeps only those (a replay of every event
    need not hold every sale)."""

    def __init__(self, refunded: Collection[str] | None = None) -> None:
        self._sales: dict[str, RefundedSale] = {}
        self._refunded = refunded  # the sales worth remembering (those refunded); None: all

    def remember(self, content: Mapping[str, Any], postings: Mapping[str, int]) -> None:
        """Note a sale (other kinds, and sales not in ``refunded``, are ignored)."""
        refunded = self._refunded
        if refunded is not None and str(content.get("event_id")) not in refunded:
            return
        if content["kind"] in SALE_KINDS:
            spend = int(postings.get(QUALIFYING_SPEND, 0))
            self._sales[str(content["event_id"])] = RefundedSale(content, spend)

    def refund(
        self, content: Mapping[str, Any], postings: Mapping[str, int]
    ) -> RefundedSale | None:
        """The sale refund ``content`` refers to, as it was before it (None when the
        sale was not seen); the refund is then noted against it."""
        sale_id = str(content.get("refers_to") or "")
        before = self._sales.get(sale_id)
        if before is not None:
            left = before.qualifying_left + int(postings.get(QUALIFYING_SPEND, 0))
            self._sales[sale_id] = RefundedSale(before.content, left)
        return before
