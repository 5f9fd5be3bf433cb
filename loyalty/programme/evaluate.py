"""The one evaluator: ``evaluate(programme, basket, member) -> Outcome``.

The till runs it to show and record a sale, the ledger runs it again on the recorded
inputs and compares the hashes. It is a pure function: no clock, no I/O, exact
arithmetic inside (per line, integers over one common denominator; fractions only
for the few rates and factors, see :class:`_Earning`), integers outside, and the
same result whatever the order of the lines in the input (they are sorted by line
number and every tie is broken by it). What depends on the programme alone is
worked out once per programme (:mod:`loyalty.programme.plan`).

The steps, in order (docs/PROGRAMMES.md explains each):

1. the caller resolves the version in force at the business time;
2. normalise: lines sorted by number, time moved to the programme's zone;
3. price phase: member prices, personal offers, rewards applied, vouchers, points
   as a discount (:mod:`loyalty.programme.pricing`);
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
from datetime import datetime
from fractions import Fraction

from loyalty.money import minor_per_unit
from loyalty.programme.arithmetic import apportion_scaled, round_ratio
from loyalty.programme.basket import NEW_MEMBER, Basket, MemberSnapshot
from loyalty.programme.conditions import Conditions
from loyalty.programme.model import EarnPercent, EarnRate, Multiplier, Programme, StampRule
from loyalty.programme.outcome import (
    Bonus,
    IssuedReward,
    LineOutcome,
    Outcome,
    hashed,
    line_outcome,
    sorted_dict,
)
from loyalty.programme.plan import BaseGroup, BoostGroup, combine_per_wallet, plan_of
from loyalty.programme.pricing import pinned_prices, price_phase
from loyalty.programme.working import Context, RewardRefused, WorkingLine
from loyalty.timezones import local_time

__all__ = ["RewardRefused", "evaluate", "evaluate_remaining", "time_facts"]


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


def time_facts(programme: Programme, at: datetime) -> tuple[bool, ...]:
    """All that an evaluation under ``programme`` reads of the business time ``at``:
    whether each of its weekday, time and date conditions holds then.

    The outcome records no time, so two evaluations whose inputs differ only in their
    business time give the same outcome when these facts are equal: a till may keep
    the outcome it showed the cashier a moment ago for the sale it then records.
    """
    return plan_of(programme).time_facts(local_time(at, programme.timezone))


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
    steps.rules_and_boosts()  # 5. and 6.
    bonuses = steps.fixed_bonuses()  # 7.
    wallets, per_line = steps.rounded(bonuses)  # 8.
    stamps, earned, issued = steps.stamps()  # 9.
    programme = ctx.programme
    paid = [w.paid for w in ctx.lines]
    return hashed(  # 10.
        Outcome(
            programme=programme.id,
            version=version,
            programme_hash=programme.content_hash,
            currency=programme.currency,
            list_minor=sum(w.line.list_minor for w in ctx.lines),
            paid_minor=sum(paid),
            wallets=wallets,
            spent_by={k: dict(v) for k, v in sorted(ctx.spent_by.items()) if any(v.values())},
            stamps=stamps,
            stamps_earned=earned,
            qualifying_spend_minor=steps.qualifying_spend(paid),
            bonuses=bonuses,
            rewards_issued=issued,
            rewards_used=tuple(ctx.used),
            lines=_line_outcomes(ctx.lines, paid, per_line),
            offers_used=tuple(ctx.offers_used),
            vouchers_used=tuple(ctx.vouchers_used),
        )
    )


def _line_outcomes(
    lines: Sequence[WorkingLine], paid: Sequence[int], wallets: Sequence[dict[str, int]]
) -> tuple[LineOutcome, ...]:
    """Each line's outcome, with what it was ``paid`` and earned into ``wallets``."""
    made = []
    for working, paid_minor, earned in zip(lines, paid, wallets, strict=True):
        discounts = working.discounts
        if not all(discounts.values()):  # (only after a refund, a share may be 0)
            discounts = {k: v for k, v in discounts.items() if v}
        made.append(
            line_outcome(
                working.line.line,
                working.line.list_minor,
                paid_minor,
                working.earning_units,
                sorted_dict(discounts),
                earned,
                sorted_dict(working.stamps),
                tuple(working.rules),
            )
        )
    return tuple(made)


class _Earning:
    """Steps 4 to 9 for one basket whose lines are priced.

    The exact amounts are integers over common denominators rather than a
    :class:`~fractions.Fraction` per line and rule (building and reducing those was
    most of an evaluation): a line's earning amount is ``working.basis /
    self.share_den``, and what it has earned into a wallet is
    ``working.amounts[wallet] / self.denominator``. Integers over one denominator are
    as exact as fractions, and their remainders compare directly when rounding.
    What depends on the programme alone comes from its :class:`Plan`.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.programme = ctx.programme
        self.plan = ctx.plan
        if not self.plan.currency_known:
            minor_per_unit(ctx.programme.currency)  # raises, as step 5 always has
        self.lines = ctx.lines
        self.share, self.share_den = _earning_share(ctx.programme, ctx.basket)
        self.denominator = self.share_den * self.plan.base_denominator
        """Of every line's ``amounts``; boost groups multiply it up."""

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
            working.basis = amount * self.share

    def qualifying_spend(self, paid: Sequence[int]) -> int:
        """What the lines that earn were ``paid`` (each line's, in order), times the
        earning share, rounded down."""
        excluded = self.programme.exclude_tags
        earning = sum(
            p for w, p in zip(self.lines, paid, strict=True) if not w.line.tags & excluded
        )
        return round_ratio(earning * self.share, self.share_den, "floor")

    def _applies(self, when: Conditions) -> bool:
        """Basket conditions, including the minimum on the rule's earning lines."""
        if not self.ctx.gate(when):
            return False
        if when.min_basket_minor is not None:
            basis = sum(w.basis for w in self.ctx.matching(when))
            return basis >= when.min_basket_minor * self.share_den
        return True

    # --- 5. and 6. base rules and boosts -------------------------------------------

    def rules_and_boosts(self) -> None:
        """Each line's earning amount times its base rules' factors, per wallet, then
        times the factor of each boost group's multipliers.

        What a line earns is its earning amount times one integer per wallet, and the
        rules it notes, and both depend only on its mask once the rules that apply to
        the basket are known: the plan works them out once per mask (a recipe, see
        :meth:`Plan.recipe`) and each line takes its mask's. Each base rule's factor
        is an integer over the plan's ``base_denominator``, each boost's over its
        group's ``common``; amounts are over their product with the share
        denominator (:attr:`denominator`).
        """
        plan = self.plan
        applying = tuple(self._applying(g) for g in plan.base) + tuple(
            self._applying(g) for g in plan.boosts
        )
        for boost, positions in zip(plan.boosts, applying[len(plan.base) :], strict=True):
            if positions:
                self.denominator *= boost.common
        recipes = plan.recipes(applying)
        kinds = self.ctx.kinds
        for working in self.lines:
            basis = working.basis
            if not basis:
                continue
            mask = kinds[working.kind]
            recipe = recipes.get(mask)
            if recipe is None:
                recipe = plan.recipe(applying, mask)
            notes, factors = recipe
            noted = working.rules
            for rule_id in notes:
                if rule_id not in noted:
                    noted.append(rule_id)
            amounts = working.amounts
            for wallet, factor in factors:
                amounts[wallet] = basis * factor

    def _applying(self, group: BaseGroup | BoostGroup) -> tuple[int, ...]:
        """The positions of the group's rules that apply to the basket."""
        rules: Sequence[EarnRate | EarnPercent | Multiplier] = group.rules
        return tuple(i for i, r in enumerate(rules) if self._applies(r.when))

    # --- 7. fixed bonuses ----------------------------------------------------------

    def fixed_bonuses(self) -> tuple[Bonus, ...]:
        bonuses: list[Bonus] = []
        for group in self.plan.bonuses:
            found = []
            for rule in group.rules:
                lines = self.ctx.matching(rule.when) if rule.when.selects_lines else self.lines
                if not any(w.basis for w in lines) or not self._applies(rule.when):
                    continue
                found.append(rule)
            for _, chosen in combine_per_wallet(group.group, found):
                bonuses += [Bonus(r.id, r.wallet, r.amount) for r in chosen]
        return tuple(bonuses)

    # --- 8. rounding ---------------------------------------------------------------

    def rounded(self, bonuses: Sequence[Bonus]) -> tuple[dict[str, int], list[dict[str, int]]]:
        """Totals per wallet and each line's share, rounded once at the declared scope."""
        mode = self.programme.rounding
        denominator = self.denominator
        per_line: list[dict[str, int]] = [{} for _ in self.lines]
        totals: dict[str, int] = {}
        for wallet in self.programme.wallets:
            wallet_id = wallet.id
            exact = [w.amounts.get(wallet_id, 0) for w in self.lines]
            if self.programme.scope == "line":
                shares = [round_ratio(e, denominator, mode) for e in exact]
            else:
                whole = round_ratio(sum(exact), denominator, mode)
                shares = apportion_scaled(whole, exact, denominator) if whole else [0] * len(exact)
            for earned, share in zip(per_line, shares, strict=True):
                if share:
                    earned[wallet_id] = share
            totals[wallet_id] = sum(shares)
        for bonus in bonuses:
            totals[bonus.wallet] = totals.get(bonus.wallet, 0) + bonus.amount
        return totals, per_line

    # --- 9. stamps -----------------------------------------------------------------

    def stamps(self) -> tuple[dict[str, int], dict[str, int], tuple[IssuedReward, ...]]:
        deltas: dict[str, int] = {}
        earned_per_card: dict[str, int] = {}
        issued: list[IssuedReward] = []
        for rule in self.plan.stamp_cards:
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


def _earning_share(programme: Programme, basket: Basket) -> tuple[int, int]:
    """The part of each line's amount that earns: 1 minus excluded tenders' share, as
    a numerator and a (positive) denominator."""
    total = sum(t.minor for t in basket.tenders)
    if not total or not programme.exclude_tenders:
        return 1, 1
    excluded = sum(t.minor for t in basket.tenders if t.kind in programme.exclude_tenders)
    share = 1 - Fraction(min(excluded, total), total)
    return share.numerator, share.denominator
