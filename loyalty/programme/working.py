"""The state of one basket while it is evaluated: its lines and what they know.

Shared by the price phase (:mod:`loyalty.programme.pricing`) and the earning steps
(:mod:`loyalty.programme.evaluate`); nothing here outlives one evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loyalty.programme.basket import AppliedReward, Basket, BasketError, Line, MemberSnapshot
from loyalty.programme.conditions import Conditions, Facts
from loyalty.programme.model import Programme
from loyalty.programme.outcome import OfferUse, VoucherUse
from loyalty.programme.plan import plan_of
from loyalty.timezones import local_time

REDEEM = "redeem"
"""The discount key of points used as a discount."""


class RewardRefused(BasketError):
    """A reward or points discount cannot be applied to this basket (the message says
    why, for the cashier)."""


def line_facts(line: Line) -> Facts:
    """What line conditions look at of ``line``."""
    return line.sku, line.tags, line.flags


def reward_key(entry: AppliedReward) -> str:
    """The key a reward's discount is kept under: its id, and its instance if issued."""
    return entry.reward if entry.instance is None else f"{entry.reward}#{entry.instance}"


@dataclass(slots=True)
class WorkingLine:
    """One line while it is being evaluated."""

    line: Line
    unit_price: int
    """After member prices."""
    kind: int = 0
    """The line's position in :attr:`Context.kinds`: lines that meet the same line
    conditions are matched against a rule once, not once each."""
    free_units: int = 0
    """Units a free-item reward made free (their price is that reward's discount)."""
    discounts: dict[str, int] = field(default_factory=dict)
    """Money off this line, per discount key (``redeem``, a reward key); changed only
    by :meth:`take_off` while the line is priced, or with ``pinned_paid`` set."""
    off: int = 0
    """The sum of :attr:`discounts` as :meth:`take_off` made them (``paid`` is asked
    for often enough that summing them each time shows)."""
    pinned_paid: int | None = None
    """After a refund: the paid amount, a share of the sale's (see ``pinned_prices``)."""
    pinned_units: int | None = None
    """After a refund: the units that earn, a share of the sale's."""
    basis: int = 0
    """The earning amount, over the evaluation's share denominator (see
    ``loyalty.programme.evaluate._Earning``)."""
    amounts: dict[str, int] = field(default_factory=dict)
    """Earned per wallet so far, over the evaluation's common denominator."""
    stamps: dict[str, int] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    @property
    def paid(self) -> int:
        if self.pinned_paid is not None:
            return self.pinned_paid
        return self.line.qty * self.unit_price - self.off

    @property
    def earning_units(self) -> int:
        """Units the member paid for (reward units never earn)."""
        if self.pinned_units is not None:
            return self.pinned_units
        return self.line.qty - self.free_units

    def note(self, rule_id: str) -> None:
        if rule_id not in self.rules:
            self.rules.append(rule_id)

    def take_off(self, key: str, amount: int) -> None:
        if amount:
            self.discounts[key] = self.discounts.get(key, 0) + amount
            self.off += amount


@dataclass
class Context:
    """What every step needs: the programme, basket, member and the lines."""

    programme: Programme
    basket: Basket
    member: MemberSnapshot
    strict: bool
    lines: list[WorkingLine] = field(default_factory=list)
    spent_by: dict[str, dict[str, int]] = field(default_factory=dict)
    """Wallet units spent per discount key (points discount, rewards claimed)."""
    used: list[AppliedReward] = field(default_factory=list)
    offers_used: list[OfferUse] = field(default_factory=list)
    vouchers_used: list[VoucherUse] = field(default_factory=list)
    _gates: dict[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        programme, basket = self.programme, self.basket
        self.local = local_time(basket.at, programme.timezone)
        self.tier = programme.tier_of(self.member.tier)
        self.store_groups = programme.groups_of(basket.store)
        if not self.lines:
            self.lines = [
                WorkingLine(line, line.unit_minor)
                for line in sorted(basket.lines, key=lambda x: x.line)
            ]
        self.plan = plan_of(programme)
        self.kinds: list[int] = []
        """The distinct masks (:meth:`Plan.mask`) of the lines, first seen first."""
        seen: dict[int, int] = {}
        mask_of = self.plan.mask
        for working in self.lines:
            line = working.line
            mask = mask_of((line.sku, line.tags, line.flags))
            kind = seen.get(mask)
            if kind is None:
                kind = seen[mask] = len(self.kinds)
                self.kinds.append(mask)
            working.kind = kind

    def gate(self, when: Conditions) -> bool:
        """Basket conditions of ``when`` (computed once per rule per basket)."""
        key = id(when)
        found = self._gates.get(key)
        if found is None:
            found = when.basket_matches(
                self.local, self.basket.store, self.store_groups, self.tier, self.member.segments
            )
            self._gates[key] = found
        return found

    def matching(self, when: Conditions) -> list[WorkingLine]:
        """The lines ``when`` picks, in line order (a new list)."""
        if not when.selects_lines:
            return list(self.lines)
        bit = self.plan.bits.get(id(when))
        if bit is None:  # not the programme's own conditions
            return [w for w in self.lines if when.line_matches(*line_facts(w.line))]
        picked = [mask >> bit & 1 for mask in self.kinds]
        return [w for w in self.lines if picked[w.kind]]

    def refuse(self, message: str) -> None:
        """In a sale, refuse with ``message``; after a refund, let it lapse."""
        if self.strict:
            raise RewardRefused(message)

    def spend(self, key: str, wallet: str, units: int) -> None:
        if units:
            wallets = self.spent_by.setdefault(key, {})
            wallets[wallet] = wallets.get(wallet, 0) + units

    @property
    def spent(self) -> dict[str, int]:
        """Wallet units spent in the basket, all keys together."""
        total: dict[str, int] = {}
        for wallets in self.spent_by.values():
            for wallet, units in wallets.items():
                total[wallet] = total.get(wallet, 0) + units
        return {k: v for k, v in sorted(total.items()) if v}
