"""Step 3 of the evaluation: what each line is paid.

A sale's price phase applies member prices, then the rewards used (free items
first, then percentages, then amounts off), then points as a discount; discounts
are spread over lines by the largest remainder, ties to the lower line number.

After a refund, the basket left keeps the sale's prices: :func:`pinned_prices` gives
each line left its share of what the sale's line was paid, earned on and discounted,
in proportion to the units left (rounded down, whole lines exact). The points and
rewards the sale spent shrink with the discounts they paid for. So a return gives
back exactly what the returned units cost, never more, and a line's free unit does
not move to another line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from loyalty.money import Money, format_money
from loyalty.programme.arithmetic import allocate, round_fraction
from loyalty.programme.basket import AppliedReward
from loyalty.programme.conditions import Conditions
from loyalty.programme.model import Reward
from loyalty.programme.outcome import Outcome
from loyalty.programme.working import REDEEM, Context, WorkingLine, reward_key

_REWARD_ORDER = {"free_item": 0, "percent_off": 1, "amount_off": 2}


def price_phase(ctx: Context) -> None:
    """Member prices, rewards used, points as a discount: a sale's prices."""
    for working in ctx.lines:
        _member_price(ctx, working)
    applied = sorted(
        ctx.basket.rewards,
        key=lambda r: (_REWARD_ORDER.get(_kind(ctx, r), 9), r.reward, r.instance or ""),
    )
    instances_used: set[str] = set()
    for entry in applied:
        _apply_reward(ctx, entry, instances_used)
    if ctx.basket.redeem_points:
        _points_discount(ctx, ctx.basket.redeem_points)


def _list_of(ctx: Context, when: Conditions) -> int:
    """The list value ``min_basket_minor`` of a price or reward is measured on: the
    matching lines, or the whole basket for a condition that selects no lines."""
    lines = ctx.matching(when) if when.selects_lines else ctx.lines
    return sum(w.line.list_minor for w in lines)


def _holds(ctx: Context, when: Conditions) -> bool:
    if not ctx.gate(when):
        return False
    return when.min_basket_minor is None or _list_of(ctx, when) >= when.min_basket_minor


def _member_price(ctx: Context, working: WorkingLine) -> None:
    line = working.line
    for price in ctx.programme.prices:
        if not price.when.line_matches(line.sku, line.tags, line.flags):
            continue
        if not _holds(ctx, price.when):
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
    eligible = [w for w in ctx.matching(reward.when) if w.paid > 0]
    eligible_total = sum(w.paid for w in eligible)
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
        off = round_fraction(eligible_total * reward.percent / 100, "floor")
        if off == 0:  # nothing to take off: never spend a reward on it
            ctx.refuse(f"{reward.name} takes nothing off a basket this small.")
            return
        _spread(off, eligible, key)
    else:
        _spread(min(reward.amount_minor, eligible_total), eligible, key)
    for working in eligible:
        if key in working.discounts:
            working.note(reward.id)
    ctx.used.append(entry)
    if entry.instance is None and reward.cost is not None and reward.wallet is not None:
        ctx.spend(key, reward.wallet, reward.cost)


def _free_item(reward: Reward, eligible: list[WorkingLine], key: str) -> None:
    """One unit of the highest-priced eligible line, ties to the lowest line number;
    its price is kept as this reward's discount on the line."""
    candidates = [w for w in eligible if w.earning_units > 0]
    chosen = max(candidates, key=lambda w: (w.unit_price, -w.line.line))
    chosen.free_units += 1
    chosen.take_off(key, min(chosen.unit_price, chosen.paid))


def _spread(amount: int, lines: Sequence[WorkingLine], key: str) -> None:
    if not amount:
        return
    shares = allocate(amount, [w.paid for w in lines])
    for working, share in zip(lines, shares, strict=True):
        working.take_off(key, share)


def _points_discount(ctx: Context, points: int) -> None:
    redeem = ctx.programme.redeem
    if redeem is None:
        ctx.refuse("This programme does not let points be used as a discount.")
        return
    if points < redeem.min_points:
        ctx.refuse(f"The smallest redemption is {redeem.min_points} points.")
    value = points * redeem.value_minor // redeem.points
    payable = [w for w in ctx.lines if w.paid > 0]
    total = sum(w.paid for w in payable)
    if value > total:
        ctx.refuse(
            f"{points} points are worth more than the basket ({value} against {total} in "
            "minor units); redeem fewer points."
        )
        value = total
    # Goods that earn take the discount first; gift cards and deposits only the rest.
    earning = [w for w in payable if not (w.line.tags & ctx.programme.exclude_tags)]
    first = min(value, sum(w.paid for w in earning))
    _spread(first, earning, REDEEM)
    _spread(value - first, [w for w in payable if w not in earning], REDEEM)
    for working in payable:
        if REDEEM in working.discounts:
            working.note(REDEEM)
    ctx.spend(REDEEM, redeem.wallet, points)


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
            left_off[key] = left_off.get(key, 0) + share
    for key, wallets in sale.spent_by.items():
        whole = whole_off.get(key, 0)
        for wallet, units in wallets.items():
            kept = units * left_off.get(key, 0) // whole if whole else 0
            ctx.spend(key, wallet, kept)
    ctx.used.extend(r for r in sale.rewards_used if left_off.get(reward_key(r), 0) > 0)
