"""Planning a refund at the till: what returning lines of a sale takes back.

A refund refers to a sale of this till. Its reversal is computed by difference
(:func:`loyalty.programme.reverse`) under the sale's own version and member
snapshot, after the units earlier refunds returned. A sale of release 0.1.0 (an
``earn`` of a typed amount) is one line of one unit: refunding it takes back its
points.

Returned units are also written to ``refund_units`` in the refund's own write
transaction, one row per unit: its primary key makes returning a unit twice
impossible, even if two refunds raced.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loyalty.canonical import sha256_hex
from loyalty.errors import LoyaltyError
from loyalty.events import Event, EventKind
from loyalty.programme import (
    BasketError,
    ProgrammeVersion,
    basket_from_json,
    reverse,
    snapshot_from_json,
)
from loyalty.programme.basket import parse_business_time
from loyalty.programme.refunds import LEGACY_LINE, legacy_reversal, returned_so_far
from pos_client.errors import RefundRefused
from pos_client.programme_book import ProgrammeBook
from pos_client.views import ReceiptLine


@dataclass(frozen=True)
class RefundPlan:
    """Everything a refund event records, and what the cashier confirms."""

    sale: Event
    programme: Mapping[str, Any]
    """The sale's ``{id, version, hash}`` (the version the reversal is computed under)."""
    lines: tuple[tuple[int, str, int, int], ...]
    """(line, name, sold, left before this refund)."""
    returning: Mapping[int, int]
    postings: Mapping[str, int]
    refund_minor: int
    rewards_revoked: tuple[str, ...]
    rewards_restored: tuple[dict[str, str], ...]
    outcome_hash: str
    refunded: Mapping[int, int]
    """Money back per returned line."""
    spent_returned: Mapping[str, int] = field(default_factory=dict)
    """Wallet units the sale spent that this refund gives back (part of postings)."""
    bonuses_returned: tuple[dict[str, Any], ...] = ()
    """Fixed bonuses of the sale this refund takes back (part of postings)."""

    def receipt_lines(self) -> tuple[ReceiptLine, ...]:
        """The returned lines as a receipt lists them: name, units, money back."""
        names = {number: name for number, name, _, _ in self.lines}
        return tuple(
            ReceiptLine(line=n, name=names[n], qty=q, paid_minor=self.refunded.get(n, 0))
            for n, q in sorted(self.returning.items())
        )

    def fields(self) -> dict[str, Any]:
        """The refund event's own fields."""
        return {
            "refers_to": self.sale.event_id,
            "returned": [{"line": k, "qty": v} for k, v in sorted(self.returning.items())],
            "programme": dict(self.programme),
            "postings": dict(self.postings),
            "refund_minor": self.refund_minor,
            "rewards_revoked": list(self.rewards_revoked) or None,
            "rewards_restored": list(self.rewards_restored) or None,
            "spent_returned": dict(self.spent_returned) or None,
            "bonuses_returned": list(self.bonuses_returned) or None,
            "outcome_hash": self.outcome_hash,
        }

    def write_units(self, earlier: Mapping[int, int]) -> Any:
        """The side write that records each returned unit with the refund."""

        def write(conn: sqlite3.Connection, refund: Event) -> None:
            rows = []
            for line, qty in self.returning.items():
                sold = next(s for n, _, s, _ in self.lines if n == line)
                first = earlier.get(line, 0) + 1
                rows += [
                    (self.sale.seq, line, u, sold, refund.seq) for u in range(first, first + qty)
                ]
            try:
                conn.executemany(
                    "INSERT INTO refund_units (sale_seq, line, unit, sold, refund_seq) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            except sqlite3.IntegrityError as error:
                raise RefundRefused(
                    "These units were already refunded (nothing was recorded)."
                ) from error

        return write


def returned_before(refunds: list[Event]) -> dict[int, int]:
    """Units per line the earlier refunds of a sale returned (a release 0.1.0 refund
    returned its whole earn: line 1, one unit)."""
    return returned_so_far(
        [
            {int(r["line"]): int(r["qty"]) for r in refund.get("returned", [])}
            if refund.schema != 1
            else {LEGACY_LINE: 1}
            for refund in refunds
        ]
    )


def plan_refund(
    sale: Event,
    earlier: list[Event],
    book: ProgrammeBook,
    returning: Mapping[int, int] | None,
    programme_now: Mapping[str, Any],
) -> RefundPlan:
    """The refund of ``returning`` units per line (None: all that is left)."""
    before = returned_before(earlier)
    if sale.kind is EventKind.EARN:
        return _legacy_plan(sale, before, returning, programme_now)
    if sale.kind is not EventKind.SALE:
        raise RefundRefused(f"This receipt is a {sale.kind}, not a sale; it cannot be refunded.")
    basket = basket_from_json(
        sale.get("basket"),
        at=parse_business_time(str(sale.get("business_time"))),
        store=str(sale.get("store")),
    )
    lines = tuple(
        (line.line, line.name, line.qty, line.qty - before.get(line.line, 0))
        for line in basket.lines
    )
    wanted = _wanted(lines, returning)
    ref = sale.get("programme")
    version = book.by_number(int(ref["version"]), str(ref["hash"]))
    if version is None:
        raise RefundRefused(
            f"The programme version this sale was recorded under ({ref['version']}) is not "
            "on this till; sync it, then try again."
        )
    reversal = _reverse(version, basket, sale, before, wanted)
    return RefundPlan(
        sale=sale,
        programme=ref,
        lines=lines,
        returning=wanted,
        postings=reversal.postings,
        refund_minor=reversal.refund_minor,
        rewards_revoked=reversal.rewards_revoked,
        rewards_restored=tuple(r.to_json() for r in reversal.rewards_restored),
        outcome_hash=reversal.outcome_hash,
        refunded=reversal.refunded_per_line(),
        spent_returned=reversal.spent_returned,
        bonuses_returned=tuple(reversal.bonuses_returned),
    )


def _reverse(
    version: ProgrammeVersion,
    basket: Any,
    sale: Event,
    before: Mapping[int, int],
    wanted: Mapping[int, int],
) -> Any:
    try:
        return reverse(
            version.programme,
            version.version,
            basket,
            snapshot_from_json(sale.get("member_snapshot")),
            sale.event_id,
            before,
            wanted,
        )
    except (BasketError, LoyaltyError) as error:
        raise RefundRefused(error.message) from error


def _wanted(
    lines: tuple[tuple[int, str, int, int], ...], returning: Mapping[int, int] | None
) -> dict[int, int]:
    left = {n: remaining for n, _, _, remaining in lines}
    if returning is None:
        wanted = {n: q for n, q in left.items() if q > 0}
        if not wanted:
            raise RefundRefused("Everything on this receipt has already been refunded.")
        return wanted
    for line, qty in returning.items():
        if line not in left:
            raise RefundRefused(f"The receipt has no line {line}.")
        if qty <= 0:
            raise RefundRefused(f"Line {line}: return at least one unit.")
        if qty > left[line]:
            raise RefundRefused(
                f"Line {line}: only {left[line]} left to refund, not {qty}."
                if left[line]
                else f"Line {line} has already been refunded in full."
            )
    if not returning:
        raise RefundRefused("Choose at least one line to refund.")
    return dict(sorted(returning.items()))


def _legacy_plan(
    sale: Event,
    before: Mapping[int, int],
    returning: Mapping[int, int] | None,
    programme_now: Mapping[str, Any],
) -> RefundPlan:
    amount = int(sale.get("amount_minor", 0))
    lines = ((LEGACY_LINE, "Purchase", 1, 1 - before.get(LEGACY_LINE, 0)),)
    wanted = _wanted(lines, returning)
    content = legacy_reversal(sale.postings, amount)
    return RefundPlan(
        sale=sale,
        programme=programme_now,
        lines=lines,
        returning=wanted,
        postings=content["postings"],
        refund_minor=amount,
        rewards_revoked=(),
        rewards_restored=(),
        outcome_hash=sha256_hex(content),
        refunded={LEGACY_LINE: amount},
    )
