"""The one evaluator: ``evaluate(programme, basket, member) -> Outcome``.

The till runs it to show and record a sale, the ledger runs it again on the recorded
inputs and compares the hashes. It is a pure function: no clock, no I/O, exact
fractions inside, integers outside, and the same result whatever the order of the
lines in the input (they are sorted by line number and every tie is broken by it).

The steps, in order (docs/PROGRAMMES.md explains each):

1. the caller resolves the version in force at the business time;
2. normalise: lines sorted by number, time moved to the programme's zone;
3. price phase: member prices, rewards applied, points as a discount;
4. earning amount per line: paid or list amount, excluded tags and tenders removed;
5. base rules (earn rates and percentages), combined per stack group;
6. boost groups (multipliers), each multiplying what the line has so far;
7. fixed bonuses for the basket;
8. rounding, once, per receipt or per line as the programme declares;
9. stamps and qualifying spend, as deltas; a completed card issues its reward;
10. the canonical outcome and its hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from loyalty.money import minor_per_unit
from loyalty.programme.arithmetic import allocate, apportion, round_fraction
from loyalty.programme.basket import (
    NEW_MEMBER,
    AppliedReward,
    Basket,
    BasketError,
    Line,
    MemberSnapshot,
)
from loyalty.programme.conditions import Conditions
from loyalty.programme.model import (
    EarnPercent,
    EarnRate,
    FixedBonus,
    Multiplier,
    Programme,
    Reward,
    StackGroup,
    StampRule,
)
from loyalty.programme.outcome import Bonus, IssuedReward, LineOutcome, Outcome, hashed
from loyalty.timezones import programme_zone

_REWARD_ORDER = {"free_item": 0, "percent_off": 1, "amount_off": 2}
_R = TypeVar("_R", bound=EarnRate | EarnPercent | Multiplier | FixedBonus)
_W = TypeVar("_W", bound=EarnRate | EarnPercent | FixedBonus)


class RewardRefused(BasketError):
    """A reward or points discount cannot be applied to this basket (the message says
    why, for the cashier)."""


def evaluate(
    programme: Programme,
    basket: Basket,
    member: MemberSnapshot = NEW_MEMBER,
    *,
    version: int = 0,
    strict: bool = True,
) -> Outcome:
    """Evaluate ``basket`` for ``member`` under ``programme`` (version ``version``).

    ``strict`` (a sale) refuses a reward or discount that cannot apply with
    :class:`RewardRefused`; ``strict=False`` (what is left after a refund) lets it
    lapse instead, so a returned free coffee gives its reward back.
    """
    sale = _Sale(programme, basket, member, strict)  # 2. normalise
    sale.price_phase()  # 3.
    sale.earning_amounts()  # 4.
    sale.base_rules()  # 5.
    sale.boosts()  # 6.
    bonuses = sale.fixed_bonuses()  # 7.
    wallets, per_line = sale.rounded(bonuses)  # 8.
    stamps, earned, issued = sale.stamps()  # 9.
    return hashed(  # 10.
        Outcome(
            programme=programme.id,
            version=version,
            programme_hash=programme.content_hash,
            currency=programme.currency,
            list_minor=sum(w.line.list_minor for w in sale.lines),
            paid_minor=sum(w.paid for w in sale.lines),
            wallets=wallets,
            spent={k: v for k, v in sorted(sale.spent.items()) if v},
            stamps=stamps,
            stamps_earned=earned,
            qualifying_spend_minor=sale.qualifying_spend(),
            bonuses=bonuses,
            rewards_issued=issued,
            rewards_used=tuple(sale.used),
            lines=tuple(
                LineOutcome(
                    line=w.line.line,
                    list_minor=w.line.list_minor,
                    paid_minor=w.paid,
                    wallets=per_line[i],
                    stamps=dict(sorted(w.stamps.items())),
                    rules=tuple(w.rules),
                )
                for i, w in enumerate(sale.lines)
            ),
        )
    )


@dataclass
class _Working:
    """One line while it is being evaluated."""

    line: Line
    unit_price: int
    free_units: int = 0
    discount: int = 0
    basis: Fraction = Fraction(0)
    amounts: dict[str, Fraction] = field(default_factory=dict)
    stamps: dict[str, int] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return (self.line.qty - self.free_units) * self.unit_price - self.discount

    def note(self, rule_id: str) -> None:
        if rule_id not in self.rules:
            self.rules.append(rule_id)


class _Sale:
    """The evaluation of one basket; each method is one step of :func:`evaluate`."""

    def __init__(
        self, programme: Programme, basket: Basket, member: MemberSnapshot, strict: bool
    ) -> None:
        self.programme = programme
        self.basket = basket
        self.member = member
        self.strict = strict
        self.local = basket.at.astimezone(programme_zone(programme.timezone))
        self.tier = programme.tier_of(member.tier)
        self.store_groups = frozenset(
            g for g, stores in programme.store_groups.items() if basket.store in stores
        )
        self.lines = [
            _Working(line, line.unit_minor) for line in sorted(basket.lines, key=lambda x: x.line)
        ]
        self.spent: dict[str, int] = {}
        self.used: list[AppliedReward] = []
        self.tender_share = _earning_share(programme, basket)
        self._gates: dict[int, bool] = {}

    # --- helpers -------------------------------------------------------------------

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

    def matching(self, when: Conditions) -> list[_Working]:
        return [w for w in self.lines if when.line_matches(w.line.sku, w.line.tags, w.line.flags)]

    def refuse(self, message: str) -> bool:
        """In a sale, refuse with ``message``; after a refund, let it lapse (False)."""
        if self.strict:
            raise RewardRefused(message)
        return False

    # --- 3. price phase ------------------------------------------------------------

    def price_phase(self) -> None:
        for working in self.lines:
            self._member_price(working)
        applied = sorted(
            self.basket.rewards,
            key=lambda r: (_REWARD_ORDER.get(self._reward_kind(r), 9), r.reward, r.instance or ""),
        )
        instances_used: set[str] = set()
        for entry in applied:
            self._apply_reward(entry, instances_used)
        if self.basket.redeem_points:
            self._points_discount(self.basket.redeem_points)

    def _member_price(self, working: _Working) -> None:
        line = working.line
        for price in self.programme.prices:
            if not price.when.line_matches(line.sku, line.tags, line.flags):
                continue
            if not self.gate(price.when):
                continue
            if price.price_minor is not None:
                unit = price.price_minor
            else:
                assert price.percent_off is not None
                off = round_fraction(line.unit_minor * price.percent_off / 100, "floor")
                unit = line.unit_minor - off
            if unit < working.unit_price:
                working.unit_price = unit
                working.rules = [price.id]

    def _reward_kind(self, entry: AppliedReward) -> str:
        reward = self.programme.reward(entry.reward)
        return reward.kind if reward is not None else ""

    def _apply_reward(self, entry: AppliedReward, instances_used: set[str]) -> None:
        reward = self.programme.reward(entry.reward)
        if reward is None:
            self.refuse(f"This programme has no reward {entry.reward!r}.")
            return
        if entry.instance is not None:
            held = any(
                r.id == entry.instance and r.reward == reward.id for r in self.member.rewards
            )
            if not held or entry.instance in instances_used:
                self.refuse(f"The member does not hold this {reward.name} (or it is used).")
                return
            instances_used.add(entry.instance)
        elif reward.cost is None:
            self.refuse(f"{reward.name} cannot be claimed with points; it must be issued.")
            return
        if not self.gate(reward.when):
            self.refuse(f"{reward.name} cannot be used in this basket now.")
            return
        eligible = [w for w in self.matching(reward.when) if w.paid > 0]
        eligible_total = sum(w.paid for w in eligible)
        if eligible_total < reward.min_spend_minor or not eligible:
            self.refuse(
                f"{reward.name} needs {'matching items' if not eligible else 'a larger basket'}"
                f" (at least {reward.min_spend_minor} in minor units of eligible items)."
                if reward.min_spend_minor
                else f"{reward.name} needs a matching item in the basket."
            )
            return
        if reward.kind == "free_item":
            self._free_item(reward, eligible)
        else:
            self._basket_discount(reward, eligible, eligible_total)
        self.used.append(entry)
        if entry.instance is None and reward.cost is not None and reward.wallet is not None:
            self.spent[reward.wallet] = self.spent.get(reward.wallet, 0) + reward.cost

    def _free_item(self, reward: Reward, eligible: list[_Working]) -> None:
        """One unit of the highest-priced eligible line, ties to the lowest line number."""
        candidates = [w for w in eligible if w.line.qty - w.free_units > 0]
        chosen = max(candidates, key=lambda w: (w.unit_price, -w.line.line))
        chosen.free_units += 1
        if chosen.paid < 0:  # a discount already spread over the unit now free
            chosen.discount += chosen.paid
        chosen.note(reward.id)

    def _basket_discount(self, reward: Reward, eligible: list[_Working], total: int) -> None:
        if reward.kind == "percent_off":
            amount = round_fraction(total * reward.percent / 100, "floor")
        else:
            amount = min(reward.amount_minor, total)
        self._spread(amount, eligible, reward.id)

    def _spread(self, amount: int, lines: Sequence[_Working], rule_id: str) -> None:
        shares = allocate(amount, [w.paid for w in lines])
        for working, share in zip(lines, shares, strict=True):
            if share:
                working.discount += share
                working.note(rule_id)

    def _points_discount(self, points: int) -> None:
        redeem = self.programme.redeem
        if redeem is None:
            self.refuse("This programme does not let points be used as a discount.")
            return
        if points < redeem.min_points and self.strict:
            self.refuse(f"The smallest redemption is {redeem.min_points} points.")
        value = points * redeem.value_minor // redeem.points
        payable = [w for w in self.lines if w.paid > 0]
        total = sum(w.paid for w in payable)
        if value > total:
            self.refuse(
                f"{points} points are worth more than the basket ({value} against {total} "
                "in minor units); redeem fewer points."
            )
            value = total
        self._spread(value, payable, "redeem")
        self.spent[redeem.wallet] = self.spent.get(redeem.wallet, 0) + points

    # --- 4. earning amounts --------------------------------------------------------

    def earning_amounts(self) -> None:
        programme = self.programme
        for working in self.lines:
            line = working.line
            if line.tags & programme.exclude_tags:
                continue
            if programme.earn_amount == "paid":
                amount = working.paid
            else:
                amount = (line.qty - working.free_units) * line.unit_minor
            working.basis = amount * self.tender_share

    def qualifying_spend(self) -> int:
        exact = sum(
            (
                w.paid * self.tender_share
                for w in self.lines
                if not (w.line.tags & self.programme.exclude_tags)
            ),
            Fraction(0),
        )
        return round_fraction(exact, "floor")

    def _basis_of(self, when: Conditions) -> Fraction:
        return sum((w.basis for w in self.matching(when)), Fraction(0))

    def _applies(self, when: Conditions) -> bool:
        """Basket conditions, including the minimum on the rule's earning lines."""
        if not self.gate(when):
            return False
        if when.min_basket_minor is not None:
            return self._basis_of(when) >= when.min_basket_minor
        return True

    # --- 5. base rules -------------------------------------------------------------

    def base_rules(self) -> None:
        unit = minor_per_unit(self.programme.currency)
        for group in self._groups_of(EarnRate, EarnPercent):
            rules: list[EarnRate | EarnPercent] = [
                r
                for r in self._in_group(group, EarnRate | EarnPercent)  # type: ignore[arg-type]
                if self._applies(r.when)
            ]
            for working in self.lines:
                if not working.basis:
                    continue
                line = working.line
                found = [r for r in rules if r.when.line_matches(line.sku, line.tags, line.flags)]
                for wallet, chosen in _combine_per_wallet(group, found):
                    total = Fraction(0)
                    for rule in chosen:
                        if isinstance(rule, EarnRate):
                            total += working.basis * rule.rate / unit
                        else:
                            total += working.basis * rule.percent / 100
                        working.note(rule.id)
                    working.amounts[wallet] = working.amounts.get(wallet, Fraction(0)) + total

    # --- 6. boosts -----------------------------------------------------------------

    def boosts(self) -> None:
        for group in self._groups_of(Multiplier):
            rules = [r for r in self._in_group(group, Multiplier) if self._applies(r.when)]
            if not rules:
                continue
            for working in self.lines:
                line = working.line
                found = [r for r in rules if r.when.line_matches(line.sku, line.tags, line.flags)]
                if not found:
                    continue
                for wallet, amount in list(working.amounts.items()):
                    if not amount:
                        continue
                    mine = [r for r in found if r.wallet in (None, wallet)]
                    if not mine:
                        continue
                    factor = _boost_factor(group, mine)
                    working.amounts[wallet] = amount * factor
                    for rule in _chosen(group, mine):
                        working.note(rule.id)

    # --- 7. fixed bonuses ----------------------------------------------------------

    def fixed_bonuses(self) -> tuple[Bonus, ...]:
        bonuses: list[Bonus] = []
        for group in self._groups_of(FixedBonus):
            found = []
            for rule in self._in_group(group, FixedBonus):
                lines = self.matching(rule.when) if rule.when.selects_lines else self.lines
                if not any(w.basis for w in lines) or not self._applies(rule.when):
                    continue
                found.append(rule)
            for _, chosen in _combine_per_wallet(group, found):
                bonuses += [Bonus(r.id, r.wallet, r.amount) for r in chosen]
        return tuple(bonuses)

    # --- 8. rounding ---------------------------------------------------------------

    def rounded(self, bonuses: Iterable[Bonus]) -> tuple[dict[str, int], list[dict[str, int]]]:
        """Totals per wallet and each line's share, rounded once at the declared scope."""
        mode = self.programme.rounding
        per_line: list[dict[str, int]] = [{} for _ in self.lines]
        totals: dict[str, int] = {}
        for wallet in self.programme.wallets:
            exact = [w.amounts.get(wallet.id, Fraction(0)) for w in self.lines]
            if self.programme.scope == "line":
                shares = [round_fraction(e, mode) for e in exact]
            else:
                whole = round_fraction(sum(exact, Fraction(0)), mode)
                shares = apportion(whole, exact) if whole else [0] * len(exact)
            for index, share in enumerate(shares):
                if share:
                    per_line[index][wallet.id] = share
            totals[wallet.id] = sum(shares)
        for bonus in bonuses:
            totals[bonus.wallet] = totals.get(bonus.wallet, 0) + bonus.amount
        return totals, per_line

    # --- 9. stamps -----------------------------------------------------------------

    def stamps(
        self,
    ) -> tuple[dict[str, int], dict[str, int], tuple[IssuedReward, ...]]:
        deltas: dict[str, int] = {}
        earned_per_card: dict[str, int] = {}
        issued: list[IssuedReward] = []
        for rule in self.programme.stamp_cards:
            earned = 0
            if self.gate(rule.when):
                for working in self.matching(rule.when):
                    earned += self._stamp_line(rule, working)
            had = self.member.stamps.get(rule.card, 0)
            delta = earned
            if earned:
                have = had + earned
                completed = have // rule.goal
                if completed:
                    left = have - completed * rule.goal if rule.carry_over else 0
                    delta = left - had
                    issued += [
                        IssuedReward(rule.id, rule.reward, n) for n in range(1, completed + 1)
                    ]
            deltas[rule.card] = delta
            earned_per_card[rule.card] = earned
        return deltas, earned_per_card, tuple(issued)

    def _stamp_line(self, rule: StampRule, working: _Working) -> int:
        units = working.line.qty - working.free_units
        if units <= 0:
            return 0
        per_unit = rule.per_unit + sum(
            extra for flag, extra in rule.extra_per_flag.items() if flag in working.line.flags
        )
        stamps = units * per_unit
        if stamps:
            working.stamps[rule.card] = working.stamps.get(rule.card, 0) + stamps
            working.note(rule.id)
        return stamps

    # --- groups --------------------------------------------------------------------

    def _groups_of(self, *kinds: type) -> list[StackGroup]:
        used = {r.group for r in self.programme.rules if isinstance(r, kinds)}  # type: ignore[union-attr]
        return [g for g in self.programme.groups if g.id in used]

    def _in_group(self, group: StackGroup, kind: type[_R]) -> list[_R]:
        return [r for r in self.programme.rules if isinstance(r, kind) and r.group == group.id]


def _earning_share(programme: Programme, basket: Basket) -> Fraction:
    """The part of each line's amount that earns: 1 minus excluded tenders' share."""
    total = sum(t.minor for t in basket.tenders)
    if not total or not programme.exclude_tenders:
        return Fraction(1)
    excluded = sum(t.minor for t in basket.tenders if t.kind in programme.exclude_tenders)
    return 1 - Fraction(min(excluded, total), total)


def _combine_per_wallet(group: StackGroup, rules: Sequence[_W]) -> list[tuple[str, list[_W]]]:
    """Per wallet, the rules of a base or bonus group that count, by the group's mode.

    ``add``: all of them; ``first_by_priority``: the lowest priority (then the first
    written); ``newest_only``: the last written; ``max``: the one that gives most
    (for a base rule: the highest rate or percentage; ties to the first written).
    """
    wallets: dict[str, list[_W]] = {}
    for rule in rules:
        wallets.setdefault(rule.wallet, []).append(rule)
    return [(wallet, list(_chosen(group, found))) for wallet, found in wallets.items()]


def _chosen(group: StackGroup, rules: Sequence[_R]) -> Sequence[_R]:
    if not rules or group.mode in ("add", "add_increments", "multiply"):
        return rules
    if group.mode == "first_by_priority":
        return [min(rules, key=lambda r: r.priority)]
    if group.mode == "newest_only":
        return [rules[-1]]
    return [max(rules, key=_size)]


def _size(rule: EarnRate | EarnPercent | Multiplier | FixedBonus) -> Fraction:
    if isinstance(rule, EarnRate):
        return rule.rate
    if isinstance(rule, EarnPercent):
        return rule.percent
    if isinstance(rule, Multiplier):
        return rule.increment
    return Fraction(rule.amount)


def _boost_factor(group: StackGroup, rules: Sequence[Multiplier]) -> Fraction:
    if group.mode == "multiply":
        factor = Fraction(1)
        for rule in rules:
            factor *= 1 + rule.increment
        return factor
    return 1 + sum((r.increment for r in _chosen(group, rules)), Fraction(0))
