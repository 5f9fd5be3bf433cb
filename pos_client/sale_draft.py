"""The basket being built at the till, before it is finished and recorded.

Lines come from product scans, quick keys and typed amounts; the cashier may change
a quantity, remove a line, set a flag (``own_cup``), apply rewards and use points as
a discount, and scan vouchers; the member's personal offers go in by themselves.
Nothing here is recorded: :meth:`SaleDraft.basket` makes the
:class:`~loyalty.programme.Basket` that the sale event will carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from loyalty.programme import AppliedReward, Basket, Line
from loyalty.programme.basket import MAX_LINES, MAX_QTY, AppliedOffer, AppliedVoucher
from pos_client.errors import SaleRefused

AMOUNT_SKU = "AMOUNT"
"""The sku of a typed amount for goods without a barcode."""


@dataclass
class SaleDraft:
    """Lines, rewards, vouchers and points discount of the sale in progress (line
    numbers 1..n), and the member's offers it is evaluated with."""

    lines: list[Line]
    rewards: list[AppliedReward]
    redeem_points: int = 0
    vouchers: list[AppliedVoucher] = field(default_factory=list)
    """Vouchers the cashier scanned for this basket."""
    offers: tuple[AppliedOffer, ...] = ()
    """The member's offers that may apply, as the Till last worked them out (not the
    cashier's choice: every usable offer goes in, the engine applies those that fit)."""

    @classmethod
    def empty(cls) -> SaleDraft:
        return cls([], [])

    @property
    def is_empty(self) -> bool:
        return not self.lines

    def add(self, sku: str, name: str, unit_minor: int, tags: frozenset[str], qty: int = 1) -> Line:
        """A new line at the end; the same product scanned again gets its own line, so
        a flag (own cup) can differ between two coffees."""
        if len(self.lines) >= MAX_LINES:
            raise SaleRefused(f"A basket holds at most {MAX_LINES} lines.")
        _check_qty(qty)
        line = Line(len(self.lines) + 1, sku, name[:100], qty, unit_minor, tags)
        self.lines.append(line)
        return line

    def line(self, number: int) -> Line:
        for line in self.lines:
            if line.line == number:
                return line
        raise SaleRefused(f"The basket has no line {number}.")

    def remove(self, number: int) -> None:
        self.line(number)
        kept = [line for line in self.lines if line.line != number]
        self.lines = [replace(line, line=i) for i, line in enumerate(kept, 1)]

    def set_quantity(self, number: int, qty: int) -> None:
        _check_qty(qty)
        self._replace(replace(self.line(number), qty=qty))

    def toggle_flag(self, number: int, flag: str) -> bool:
        """Set or clear ``flag`` on a line; True when it is now set."""
        line = self.line(number)
        flags = line.flags ^ {flag}
        self._replace(replace(line, flags=frozenset(flags)))
        return flag in flags

    def _replace(self, new: Line) -> None:
        self.lines = [new if line.line == new.line else line for line in self.lines]

    def basket(self, at: datetime, store: str) -> Basket:
        return Basket(
            at=at,
            store=store,
            lines=tuple(self.lines),
            rewards=tuple(self.rewards),
            redeem_points=self.redeem_points,
            offers=self.offers,
            vouchers=tuple(self.vouchers),
        )


def _check_qty(qty: int) -> None:
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise SaleRefused(f"A quantity is a whole number from 1 to {MAX_QTY}.")
