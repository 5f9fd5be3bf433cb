"""Step 3 of the evaluation: what each line is paid.

A sale's price phase applies member prices, then the member's personal offers (each
on the lines it is for; one that finds nothing to take off lapses unused), then the
rewards used (free items first, then percentages, then amounts off), then bonus
vouchers, then points as a discount; discounts are spread over lines by the largest
remainder, ties to the lower line number. Vouchers and points fall on goods that
earn before gift cards and deposits.

After a refund, the basket left keeps the sale's prices: :func:`pinned_prices` gives
each line left its share of what the sale's line was paid, earned on and discounted,
in proportion to the units left (rounded down, whole lines exact). The points and
rewards the sale spent shrink with the discounts they paid for. So a return gives
back exactly what the returned units cost, never more, and a line's free unit does
not move to another line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from loyalty.money import Money, format_money
from loyalty.programme.arithmetic import allocate_integers, round_ratio
from loyalty.programme.basket import AppliedOffer, AppliedReward, AppliedVoucher
from loyalty.programme.conditions import Conditions
from loyalty.programme.model import MemberPrice, Reward
from loyalty.programme.offers import OFFER_DISCOUNT_PREFIX
from loyalty.programme.outcome import OfferUse, Outcome, VoucherUse
from loyalty.programme.working import REDEEM, Context, WorkingLine, reward_key

_REWARD_ORDER = {"free_item": 0, "percent_off": 1, "amount_off": 2}


def price_phase(ctx: Context) -> None:
    """Member prices, offers, rewards used, vouchers, points as a discount: a sale's
    prices."""
    _member_prices(ctx)
    for offer in sorted(ctx.basket.offers, key=lambda o: o.id):
        _apply_offer(ctx, offer)
    applied = sorted(
        ctx.basket.rewards,
        key=lambda r: (_REWARD_ORDER.get(_kind(ctx, r), 9), r.reward, r.instance or ""),
    )
    instances_used: set[str] = set()
    for entry in applied:
        _apply_reward(ctx, entry, instances_used)
    for voucher in sorted(ctx.basket.vouchers, key=lambda v: v.number):
        _apply_voucher(ctx, voucher)
    if ctx.basket.redeem_points:
        _points_discount(ctx, ctx.basket.redeem_points)


def offer_key(offer_id: str) -> str:
    """The discount key of a personal offer on a line."""
    return OFFER_DISCOUNT_PREFIX + offer_id


def voucher_key(number: str) -> str:
    """The discount key of a voucher on a line (the number starts ``VCH-``)."""
    return number


def _apply_offer(ctx: Context, entry: AppliedOffer) -> None:
    """An offer takes its discount off the lines it is for, or lapses: it is in the
    basket because the member holds it, not because the cashier chose it."""
    template = ctx.programme.offer_template(entry.template)
    if template is None or not _holds(ctx, template.when):
        return
    eligible, paid = _payable(ctx.matching(template.when))
    total = sum(paid)
    if not eligible or total < template.min_spend_minor:
        return
    if template.kind == "percent_off":
        percent = template.percent
        off = round_ratio(total * percent.numerator, percent.denominator * 100, "floor")
    else:
        off = min(template.amount_minor, total)
    if off <= 0:
        return
    _spread(off, eligible, paid, offer_key(entry.id), template.id)
    ctx.offers_used.append(OfferUse(entry.id, entry.template, off))


def _apply_voucher(ctx: Context, voucher: AppliedVoucher) -> None:
    """A voucher takes its value off what the basket is paid (at most all of it),
    once the basket is paid at least its minimum spend."""
    payable, paid = _payable(ctx.lines)
    total = sum(paid)
    if total < voucher.min_spend_minor:
        least = format_money(Money(voucher.min_spend_minor, ctx.programme.currency))
        ctx.refuse(f"Voucher {voucher.number} needs a purchase of at least {least}.")
        return
    off = min(voucher.value_minor, total)
    if off <= 0:
        ctx.refuse(f"Voucher {voucher.number} has nothing to take off this basket.")
        return
    _spread_earning_first(ctx, off, payable, paid, voucher_key(voucher.number), "voucher")
    ctx.vouchers_used.append(VoucherUse(voucher.number, off))


def _list_of(ctx: Context, when: Conditions) -> int:
    """The list value ``min_basket_minor`` of a price or reward is measured on: the
    matching lines, or the whole basket for a condition that selects no lines."""
    lines = ctx.matching(when) if when.selects_lines else ctx.lines
    return sum(w.line.list_minor for w in lines)


def _holds(ctx: Context, when: Conditions) -> bool:
    if not ctx.gate(when):
        return False
    return when.min_basket_minor is None or _list_of(ctx, when) >= when.min_basket_minor


def _member_prices(ctx: Context) -> None:
    """Each line's lowest member price. The prices that pick a kind of line and hold
    for the basket are found once per kind (both depend on nothing that pricing
    changes), then each line takes the lowest of them."""
    prices = ctx.programme.prices
    if not prices:
        return
    bits = ctx.plan.price_bits
    holds: dict[int, bool] = {}
    per_kind: list[list[MemberPrice] | None] = [None] * len(ctx.kinds)
    for working in ctx.lines:
        found = per_kind[working.kind]
        if found is None:
            found = []
            mask = ctx.kinds[working.kind]
            for index, price in enumerate(prices):
                if not mask >> bits[index] & 1:
                    continue
                if index not in holds:
                    holds[index] = _holds(ctx, price.when)
                if holds[index]:
                    found.append(price)
            per_kind[working.kind] = found
        for price in found:
            _member_price(working, price)


def _member_price(working: WorkingLine, price: MemberPrice) -> None:
    unit_minor = working.line.unit_minor
    if price.price_minor is not None:
        unit = price.price_minor
    else:
        assert price.percent_off is not None
        percent = price.percent_off
        off = round_ratio(unit_minor * percent.numerator, percent.denominator * 100, "floor")
        unit = unit_minor - off
    if unit < working.unit_price:
        working.unit_price = unit
        working.rules = [price.id]


def _kind(ctx: Context, entry: AppliedReward) -> str:
    reward = ctx.programme.reward(entry.reward)
    return reward.kind if reward is not None else ""


def _apply_reward(ctx: Context, entry: AppliedReward, instances_used: set[str]) -> None:
    reward = ctx.programme.reward(entry.reward)
    if reward is None:
        ctx.refuse(f"This programme has no reward {entry.reward!r}.")
        return
    if entry.instance is not None:
        held = any(r.id == entry.instance and r.reward == reward.id for r in ctx.member.rewards)
        if not held or entry.instance in instances_used:
            ctx.refuse(f"The member does not hold this {reward.name} (or it is used).")
            return
        instances_used.add(entry.instance)
    elif reward.cost is None:
        ctx.refuse(f"{reward.name} cannot be claimed with points; it must be issued.")
        return
    if not _holds(ctx, reward.when):
        ctx.refuse(f"{reward.name} cannot be used in this basket now.")
        return
    eligible, paid = _payable(ctx.matching(reward.when))
    eligible_total = sum(paid)
    if not eligible:
        ctx.refuse(f"{reward.name} needs a matching item in the basket.")
        return
    if eligible_total < reward.min_spend_minor:
        least = format_money(Money(reward.min_spend_minor, ctx.programme.currency))
        ctx.refuse(f"{reward.name} needs a larger basket: at least {least} of matching items.")
        return
    key = reward_key(entry)
    if reward.kind == "free_item":
        _free_item(reward, eligible, key)
    elif reward.kind == "percent_off":
        percent = reward.percent
        off = round_ratio(eligible_total * percent.numerator, percent.denominator * 100, "floor")
        if off == 0:  # nothing to take off: never spend a reward on it
            ctx.refuse(f"{reward.name} takes nothing off a basket this small.")
            return
        _spread(off, eligible, paid, key, reward.id)
    else:
        _spread(min(reward.amount_minor, eligible_total), eligible, paid, key, reward.id)
    ctx.used.append(entry)
    if entry.instance is None and reward.cost is not None and reward.wallet is not None:
        ctx.spend(key, reward.wallet, reward.cost)


def _free_item(reward: Reward, eligible: list[WorkingLine], key: str) -> None:
    """One unit of the highest-priced eligible line, ties to the lowest line number;
    its price is kept as this reward's discount on the line (noted, as by
    :func:`_spread`, when it is more than nothing)."""
    candidates = [w for w in eligible if w.earning_units > 0]
    chosen = max(candidates, key=lambda w: (w.unit_price, -w.line.line))
    chosen.free_units += 1
    off = min(chosen.unit_price, chosen.paid)
    if off:
        chosen.take_off(key, off)
        chosen.note(reward.id)


def _payable(lines: Sequence[WorkingLine]) -> tuple[list[WorkingLine], list[int]]:
    """The lines that are paid more than nothing, and what each is paid."""
    payable: list[WorkingLine] = []
    paid: list[int] = []
    for working in lines:
        amount = working.paid
        if amount > 0:
            payable.append(working)
            paid.append(amount)
    return payable, paid


def _spread(
    amount: int, lines: Sequence[WorkingLine], paid: Sequence[int], key: str, rule_id: str
) -> None:
    """Take ``amount`` off ``lines`` in proportion to what they are ``paid`` (now),
    under the discount ``key``, and note ``rule_id`` on each line it takes something
    off. (Those are all the lines that hold a discount under ``key`` and have not
    noted ``rule_id``: a line holds one only if a discount was taken off it, here
    or by an earlier use of the same reward, which noted it then.)"""
    if not amount:
        return
    shares = allocate_integers(amount, paid)
    for working, share in zip(lines, shares, strict=True):
        if share:  # (WorkingLine.take_off and .note, written out: done for every line)
            working.discounts[key] = working.discounts.get(key, 0) + share
            working.off += share
            if rule_id not in working.rules:
                working.rules.append(rule_id)


def _points_discount(ctx: Context, points: int) -> None:
    redeem = ctx.programme.redeem
    if redeem is None:
        ctx.refuse("This programme does not let points be used as a discount.")
        return
    if points < redeem.min_points:
        ctx.refuse(f"The smallest redemption is {redeem.min_points} points.")
    value = points * redeem.value_minor // redeem.points
    payable, paid = _payable(ctx.lines)
    total = sum(paid)
    if value > total:
        ctx.refuse(
            f"{points} points are worth more than the basket ({value} against {total} in "
            "minor units); redeem fewer points."
        )
        value = total
    _spread_earning_first(ctx, value, payable, paid, REDEEM, REDEEM)
    ctx.spend(REDEEM, redeem.wallet, points)


def _spread_earning_first(
    ctx: Context,
    amount: int,
    payable: Sequence[WorkingLine],
    paid: Sequence[int],
    key: str,
    rule_id: str,
) -> None:
    """Take ``amount`` off the goods that earn first, gift cards and deposits (the
    programme's excluded tags) only the rest (split in one pass: what the rest are
    paid does not change with the first)."""
    earning: list[WorkingLine] = []
    earning_paid: list[int] = []
    rest: list[WorkingLine] = []
    rest_paid: list[int] = []
    excluded = ctx.programme.exclude_tags
    for working, line_paid in zip(payable, paid, strict=True):
        if working.line.tags & excluded:
            rest.append(working)
            rest_paid.append(line_paid)
        else:
            earning.append(working)
            earning_paid.append(line_paid)
    first = min(amount, sum(earning_paid))
    _spread(first, earning, earning_paid, key, rule_id)
    _spread(amount - first, rest, rest_paid, key, rule_id)


def pinned_prices(
    ctx: Context, sale: Outcome, sold: Mapping[int, int], remaining: Mapping[int, int]
) -> None:
    """The prices of what is left of a sale (see the module doc).

    ``sale`` is the outcome of the whole sale, ``sold`` its units per line and
    ``remaining`` the units left per line (``ctx.lines`` holds the lines left).
    """
    original = {line.line: line for line in sale.lines}
    left_off: dict[str, int] = {}
    whole_off: dict[str, int] = {}
    for line in sale.lines:
        for key, amount in line.discounts.items():
            whole_off[key] = whole_off.get(key, 0) + amount
    for working in ctx.lines:
        number = working.line.line
        before = original[number]
        units, qty = remaining[number], sold[number]
        working.pinned_paid = before.paid_minor * units // qty
        working.pinned_units = before.earning_units * units // qty
        working.rules = list(before.rules)
        for key, amount in before.discounts.items():
            share = amount * units // qty
            working.discounts[key] = share
            working.off += share
            left_off[key] = left_off.get(key, 0) + share
    for key, wallets in sale.spent_by.items():
        whole = whole_off.get(key, 0)
        for wallet, units in wallets.items():
            kept = units * left_off.get(key, 0) // whole if whole else 0
            ctx.spend(key, wallet, kept)
    ctx.used.extend(r for r in sale.rewards_used if left_off.get(reward_key(r), 0) > 0)
    ctx.offers_used.extend(
        replace(o, discount_minor=kept)
        for o in sale.offers_used
        if (kept := left_off.get(offer_key(o.id), 0)) > 0
    )
    ctx.vouchers_used.extend(
        replace(v, discount_minor=kept)
        for v in sale.vouchers_used
        if (kept := left_off.get(voucher_key(v.number), 0)) > 0
    )
