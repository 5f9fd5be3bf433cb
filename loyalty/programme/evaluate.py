"""The one evaluator: ``evaluate(programme, basket, member) -> Outcome``.

The till runs it to show and record a sale, the ledger runs it again on the recorded
inputs and compares the hashes. It is a pure function: no clock, no I/O, exact
fractions inside, integers outside, and the same result whatever the order of the
lines in the input (they are sorted by line number and every tie is broken by it).

The steps, in order (docs/PROGRAMMES.md explains each):

1. the caller resolves the version in force at the business time;
2. normalise: lines sorted by number, time moved to the programme's zone;
3. price phase: member prices, rewards applied, points as a discount
   (:mod:`loyalty.programme.pricing`);
4. earning amount per line: paid or list amount, excluded tags and tenders removed;
5. base rules (earn rates and percentages), combined per stack group;
6. boost groups (multipliers), each multiplying what the line has so far;
7. fixed bonuses for the basket;
8. rounding, once, per receipt or per line as the programme declares;
9. stamps and qualifying spend, as deltas; a completed card issues its reward;
10. the canonical outcome and its hash.

:func:`evaluate_remaining` is the same with step 3 replaced: what is left of a sale
after a refund keeps the sale's prices (:func:`loyalty.programme.pricing.pinned_prices`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TypeVar

from loyalty.money import minor_per_unit
from loyalty.programme.arithmetic import apportion, round_fraction
from loyalty.programme.basket import NEW_MEMBER, Basket, MemberSnapshot
from loyalty.programme.conditions import Conditions
from loyalty.programme.model import (
    EarnPercent,
    EarnRate,
    FixedBonus,
    Multiplier,
    Programme,
    StackGroup,
    StampRule,
)
from loyalty.programme.outcome import Bonus, IssuedReward, LineOutcome, Outcome, hashed
from loyalty.programme.pricing import pinned_prices, price_phase
from loyalty.programme.working import Context, RewardRefused, WorkingLine

__all__ = ["RewardRefused", "evaluate", "evaluate_remaining"]

_R = TypeVar("_R", bound=EarnRate | EarnPercent | Multiplier | FixedBonus)
_W = TypeVar("_W", bound=EarnRate | EarnPercent | FixedBonus)


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
    :class:`RewardRefused`; ``strict=False`` lets it lapse instead.
    """
    ctx = Context(programme, basket, member, strict)  # 2. normalise
    price_phase(ctx)  # 3.
    return _earn(ctx, version)  # 4.-10.


def evaluate_remaining(
    programme: Programme,
    sale: Basket,
    member: MemberSnapshot,
    whole: Outcome,
    remaining: Mapping[int, int],
    *,
    version: int = 0,
) -> Outcome:
    """What is left of a sale whose outcome was ``whole``, with ``remaining`` units
    per line, at the sale's prices (a refund's "after")."""
    lines = tuple(
        replace(line, qty=remaining[line.line]) for line in sale.lines if remaining[line.line]
    )
    left = replace(sale, lines=lines)
    ctx = Context(programme, left, member, strict=False)
    pinned_prices(ctx, whole, {line.line: line.qty for line in sale.lines}, remaining)
    return _earn(ctx, version)


def _earn(ctx: Context, version: int) -> Outcome:
    steps = _Earning(ctx)
    steps.earning_amounts()  # 4.
    steps.base_rules()  # 5.
    steps.boosts()  # 6.
    bonuses = steps.fixed_bonuses()  # 7.
    wallets, per_line = steps.rounded(bonuses)  # 8.
    stamps, earned, issued = steps.stamps()  # 9.
    programme = ctx.programme
    return hashed(  # 10.
        Outcome(
            programme=programme.id,
            version=version,
            programme_hash=programme.content_hash,
            currency=programme.currency,
            list_minor=sum(w.line.list_minor for w in ctx.lines),
            paid_minor=sum(w.paid for w in ctx.lines),
            wallets=wallets,
            spent_by={k: dict(v) for k, v in sorted(ctx.spent_by.items()) if any(v.values())},
            stamps=stamps,
            stamps_earned=earned,
            qualifying_spend_minor=steps.qualifying_spend(),
            bonuses=bonuses,
            rewards_issued=issued,
            rewards_used=tuple(ctx.used),
            lines=tuple(
                LineOutcome(
                    line=w.line.line,
                    list_minor=w.line.list_minor,
                    paid_minor=w.paid,
                    earning_units=w.earning_units,
                    discounts={k: v for k, v in sorted(w.discounts.items()) if v},
                    wallets=per_line[i],
                    stamps=dict(sorted(w.stamps.items())),
                    rules=tuple(w.rules),
                )
                for i, w in enumerate(ctx.lines)
            ),
        )
    )


class _Earning:
    """Steps 4 to 9 for one basket whose lines are priced."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.programme = ctx.programme
        self.lines = ctx.lines
        self.tender_share = _earning_share(ctx.programme, ctx.basket)

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
                amount = working.earning_units * line.unit_minor
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

    def _applies(self, when: Conditions) -> bool:
        """Basket conditions, including the minimum on the rule's earning lines."""
        if not self.ctx.gate(when):
            return False
        if when.min_basket_minor is not None:
            basis = sum((w.basis for w in self.ctx.matching(when)), Fraction(0))
            return basis >= when.min_basket_minor
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
                    mine = [r for r in found if r.wallet in (None, wallet)]
                    if not amount or not mine:
                        continue
                    working.amounts[wallet] = amount * _boost_factor(group, mine)
                    for rule in _chosen(group, mine):
                        working.note(rule.id)

    # --- 7. fixed bonuses ----------------------------------------------------------

    def fixed_bonuses(self) -> tuple[Bonus, ...]:
        bonuses: list[Bonus] = []
        for group in self._groups_of(FixedBonus):
            found = []
            for rule in self._in_group(group, FixedBonus):
                lines = self.ctx.matching(rule.when) if rule.when.selects_lines else self.lines
                if not any(w.basis for w in lines) or not self._applies(rule.when):
                    continue
                found.append(rule)
            for _, chosen in _combine_per_wallet(group, found):
                bonuses += [Bonus(r.id, r.wallet, r.amount) for r in chosen]
        return tuple(bonuses)

    # --- 8. rounding ---------------------------------------------------------------

    def rounded(self, bonuses: Sequence[Bonus]) -> tuple[dict[str, int], list[dict[str, int]]]:
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

    def stamps(self) -> tuple[dict[str, int], dict[str, int], tuple[IssuedReward, ...]]:
        deltas: dict[str, int] = {}
        earned_per_card: dict[str, int] = {}
        issued: list[IssuedReward] = []
        for rule in self.programme.stamp_cards:
            earned = 0
            if self._applies(rule.when):
                for working in self.ctx.matching(rule.when):
                    earned += self._stamp_line(rule, working)
            had = self.ctx.member.stamps.get(rule.card, 0)
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

    def _stamp_line(self, rule: StampRule, working: WorkingLine) -> int:
        units = working.earning_units
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
