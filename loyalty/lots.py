"""Balances as sums of lots: what expires when, and which points a spending takes.

Every positive posting to a wallet is earned into a *lot* whose expiry is computed
once, from the version in force when it was earned (:meth:`Expiry.last_day`); a lot
may never expire. Lots of one wallet that expire on the same day are interchangeable,
so they are kept as one (the key is the expiry day, ``None`` for never); the ledger
records every posting into and out of a lot as a *move*, which is its provenance.

The rules, applied by the ledger in its apply order, identically when it replays
its events from empty:

* **Spending** takes the soonest-expiring lot first; lots that never expire last.
  What the lots cannot cover is a **debt** (the balance goes negative).
* **Earning** repays the debt first; only the rest becomes a lot.
* **Taking back** what a sale earned (a refund) takes from the lot the sale earned
  into first, then as a spending.
* **Giving back** what a sale spent (a refund of a purchase paid with points)
  repays the debt first, then restores the lots it was taken from; anything beyond
  what it took is earned anew.
* **Expiry** on a date empties every lot whose last day is before it.

While a wallet is in debt no lot holds anything, so its balance is always the sum of
its lots minus its debt. Nothing here knows about storage or events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

ExpiryDay = date | None
"""The last day a lot may be used (local to the programme), or None: never expires."""


def spend_order(day: ExpiryDay) -> tuple[bool, date]:
    """Sort key: soonest expiry first, lots that never expire last."""
    return (day is None, day or date.max)


@dataclass
class WalletLots:
    """One member's lots of one wallet, and its debt (see the module doc)."""

    lots: dict[ExpiryDay, int] = field(default_factory=dict)
    """What each lot holds now, by its last day; lots holding nothing are left out."""
    debt: int = 0

    @classmethod
    def of_balance(cls, balance: int, lots: Mapping[ExpiryDay, int] | None = None) -> WalletLots:
        """The lots of a wallet whose balance is ``balance``: the given ``lots`` when
        there are any, else (a balance from before lots were kept, or opening points)
        one lot that never expires; a negative balance is a debt."""
        held = {day: amount for day, amount in (lots or {}).items() if amount > 0}
        if not held and balance > 0:
            held = {None: balance}
        debt = max(0, sum(held.values()) - balance) if held else max(0, -balance)
        return cls(held, debt)

    @property
    def balance(self) -> int:
        return sum(self.lots.values()) - self.debt

    def earn(self, amount: int, day: ExpiryDay) -> dict[ExpiryDay, int]:
        """Add ``amount`` (≥ 0) expiring on ``day``; the debt is repaid first.
        Returns what went into lots, by day."""
        repaid = min(self.debt, amount)
        self.debt -= repaid
        rest = amount - repaid
        if rest:
            self.lots[day] = self.lots.get(day, 0) + rest
            return {day: rest}
        return {}

    def spend(self, amount: int) -> dict[ExpiryDay, int]:
        """Take ``amount`` (≥ 0), soonest-expiring lots first; what they cannot cover
        becomes debt. Returns what was taken from each lot, by day."""
        return self._take_in(sorted(self.lots, key=spend_order), amount)

    def take_back(self, amount: int, day: ExpiryDay) -> dict[ExpiryDay, int]:
        """Take back ``amount`` (≥ 0) that was earned into the lot ``day``: from that
        lot first, then as a spending."""
        order = sorted(self.lots, key=spend_order)
        if day in self.lots:
            order.remove(day)
            order.insert(0, day)
        return self._take_in(order, amount)

    def restore(
        self, amount: int, taken: Mapping[ExpiryDay, int]
    ) -> tuple[dict[ExpiryDay, int], int]:
        """Give back ``amount`` (≥ 0) that a spending took from the lots ``taken`` (by
        day, what is still to be given back): the debt is repaid first, then those
        lots, in the order a spending takes them (even one past its last day: the
        next expiry run takes it again, as it would have). Returns what went back into
        each lot, and what is left beyond ``taken`` for the caller to earn anew."""
        repaid = min(self.debt, amount)
        self.debt -= repaid
        left = amount - repaid
        back: dict[ExpiryDay, int] = {}
        for day in sorted(taken, key=spend_order):
            part = min(left, max(0, taken[day]))
            if part:
                self.lots[day] = self.lots.get(day, 0) + part
                back[day] = part
                left -= part
        return back, left

    def move(self, amount: int, day: ExpiryDay, to: ExpiryDay) -> int:
        """Move up to ``amount`` from the lot ``day`` to the lot ``to`` (an extension of
        its life); what moved."""
        moved = min(amount, self.lots.get(day, 0))
        if moved:
            self._take(day, moved)
            self.lots[to] = self.lots.get(to, 0) + moved
        return moved

    def expire(self, before: date) -> dict[ExpiryDay, int]:
        """Empty every lot whose last day is before ``before``; what each held."""
        gone: dict[ExpiryDay, int] = {
            day: held for day, held in self.lots.items() if day is not None and day < before
        }
        for day in gone:
            del self.lots[day]
        return gone

    def _take_in(self, order: list[ExpiryDay], amount: int) -> dict[ExpiryDay, int]:
        taken: dict[ExpiryDay, int] = {}
        left = amount
        for day in order:
            if not left:
                break
            part = min(left, self.lots[day])
            self._take(day, part)
            taken[day] = part
            left -= part
        self.debt += left
        return taken

    def _take(self, day: ExpiryDay, part: int) -> None:
        left = self.lots[day] - part
        if left:
            self.lots[day] = left
        else:
            del self.lots[day]
