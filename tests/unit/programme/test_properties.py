"""Properties of the engine over random baskets: line order does not matter, and
refunds by difference cannot be gamed by returning in pieces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.programme import (
    Basket,
    BasketError,
    MemberSnapshot,
    Outcome,
    Programme,
    basket_from_json,
    evaluate,
    evaluate_remaining,
    parse_programme,
    reverse,
    snapshot_from_json,
)
from loyalty.programme.outcome import issued_reward_id
from tests.unit.programme.helpers import document, example

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

MIXED: dict[str, Any] = {
    "arithmetic": {"rounding": "half_up", "scope": "receipt"},
    "earn_basis": {"exclude_tags": ["gift_card"], "exclude_tenders": ["gift_card"]},
    "wallets": [{"id": "points"}, {"id": "bonus", "kind": "money"}],
    "tiers": {"levels": ["basic", "silver", "gold"]},
    "stack_groups": [
        {"id": "tier", "mode": "first_by_priority"},
        {"id": "campaign", "mode": "multiply"},
    ],
    "rules": [
        {"id": "base", "kind": "earn_rate", "rate": "1"},
        {"id": "dairy", "kind": "earn_rate", "rate": "0.5", "when": {"tags": ["dairy"]}},
        {"id": "back", "kind": "earn_percent", "wallet": "bonus", "percent": "1.5"},
        {
            "id": "gold-extra",
            "kind": "multiplier",
            "increment": "0.5",
            "group": "tier",
            "when": {"tiers": ["gold"]},
        },
        {
            "id": "silver-extra",
            "kind": "multiplier",
            "increment": "0.25",
            "group": "tier",
            "priority": 1,
            "when": {"tiers": ["silver", "gold"]},
        },
        {
            "id": "weekend",
            "kind": "multiplier",
            "increment": "1",
            "group": "campaign",
            "wallet": "points",
            "when": {"tags": ["dairy"], "weekdays": ["sat", "sun"]},
        },
        {"id": "own-cup", "kind": "multiplier", "increment": "0.1", "when": {"flags": ["own_cup"]}},
        {"id": "big", "kind": "fixed_bonus", "amount": 100, "when": {"min_basket_minor": 50000}},
        {
            "id": "coffee-card",
            "kind": "stamp",
            "card": "coffee",
            "goal": 5,
            "reward": "free-coffee",
            "extra_per_flag": {"own_cup": 1},
            "when": {"tags": ["coffee"]},
        },
    ],
    "prices": [
        {"id": "member-latte", "price_minor": 2500, "when": {"skus": ["latte"]}},
        {"id": "member-dairy", "percent_off": "15", "when": {"tags": ["dairy"]}},
    ],
    "rewards": [
        {"id": "free-coffee", "kind": "free_item", "when": {"tags": ["coffee"]}},
        {"id": "coffee-claim", "kind": "free_item", "cost": 40, "when": {"tags": ["coffee"]}},
        {"id": "ten-percent", "kind": "percent_off", "percent": "10", "cost": 50},
        {
            "id": "fifty-off",
            "kind": "amount_off",
            "amount_minor": 5000,
            "cost": 100,
            "min_spend_minor": 20000,
        },
    ],
    "redeem": {"points": 10, "value_minor": 100, "min_points": 10},
}
"""A synthetic programme with every rule kind: member prices, multipliers in three
groups, a fixed bonus, rewards of each kind, points as a discount and a stamp card."""

PROGRAMMES: dict[str, Programme] = {
    "mixed": parse_programme(document(**MIXED), "mixed.toml"),
    "mixed-per-line": parse_programme(
        document(**{**MIXED, "arithmetic": {"rounding": "half_even", "scope": "line"}}),
        "mixed-line.toml",
    ),
    **{
        name: example(name)
        for name in ("coffee", "coop", "eurobonus", "kiwi", "sephora", "starbucks", "weekend-dairy")
    },
}

TAGS = [
    "coffee", "dairy", "fresh", "gift_card", "deposit", "tobacco", "member_price",
    "handcrafted", "bakery", "brewed", "customization", "lunch",
]  # fmt: skip
SKUS = ["latte", "7038010055041", "milk", "bread", "x1"]
TIMES = [
    "2026-03-25T12:00:00+01:00",  # Wednesday
    "2026-03-28T12:00:00+01:00",  # Saturday
    "2026-03-27T23:30:00+00:00",  # Friday in UTC, Saturday in Oslo
    "2026-03-29T01:30:00+00:00",  # Sunday, just after spring forward
    "2026-06-14T09:00:00-07:00",  # Sunday in Los Angeles
]
PRICES = st.one_of(
    st.integers(0, 30000), st.sampled_from([0, 100, 995, 1990, 2500, 4990, 10000, 25000])
)


@dataclass(frozen=True)
class Sale:
    programme: Programme
    basket: Basket
    member: MemberSnapshot

    def outcome(self) -> Outcome:
        return evaluate(self.programme, self.basket, self.member, version=1)


TAG_SETS = [
    (),
    *[(tag,) for tag in TAGS],
    ("coffee", "handcrafted"),
    ("dairy", "fresh"),
    ("dairy", "member_price"),
    ("gift_card", "member_price"),
    ("bakery", "brewed"),
    ("deposit", "dairy"),
]
LINE = st.tuples(
    st.sampled_from(SKUS),
    st.sampled_from(TAG_SETS),
    st.integers(1, 3),
    PRICES,
    st.booleans(),
)
LINES = st.lists(LINE, min_size=1, max_size=5)
TENDER_KINDS = st.sampled_from(["none", "card", "gift_card", "stars"])
TIME = st.sampled_from(TIMES)


@st.composite
def lines_json(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1 to 5 lines with distinct line numbers, not necessarily 1, 2, 3."""
    first, step = draw(st.integers(1, 9)), draw(st.integers(1, 3))
    return [
        {
            "line": first + index * step,
            "sku": sku,
            "name": f"Item {index}",
            "tags": list(tags),
            "qty": qty,
            "unit_minor": price,
            "flags": ["own_cup"] if own_cup else [],
        }
        for index, (sku, tags, qty, price, own_cup) in enumerate(draw(LINES))
    ]


@st.composite
def sales(draw: st.DrawFn, names: tuple[str, ...] = tuple(PROGRAMMES)) -> Sale:
    """A sale a till would accept: rewards and points that apply, within the basket."""
    name = draw(st.sampled_from(names))
    prog = PROGRAMMES[name]
    lines = draw(lines_json())
    total = sum(line["qty"] * line["unit_minor"] for line in lines)
    tender_kind = draw(TENDER_KINDS)
    tenders = []
    if tender_kind != "none" and total:
        part = draw(st.integers(0, total)) if tender_kind != "card" else 0
        tenders = [{"kind": tender_kind, "minor": part}, {"kind": "card", "minor": total - part}]
    held = [
        {"id": f"old-sale/{reward.id}/{n}", "reward": reward.id}
        for reward in prog.rewards
        if reward.cost is None
        for n in (1, 2)
    ]
    choices = [{"reward": r["reward"], "id": r["id"]} for r in held] + [
        {"reward": r.id} for r in prog.rewards if r.cost is not None
    ]
    wanted = draw(st.lists(st.sampled_from(choices), max_size=3)) if choices else []
    snapshot = snapshot_from_json(
        {
            "tier": draw(st.sampled_from(["", *prog.tiers])),
            "stamps": {c.card: draw(st.integers(0, 2 * c.goal)) for c in prog.stamp_cards},
            "rewards": held,
        }
    )
    data = {"at": draw(TIME), "store": "OSLO01", "lines": lines}
    data.update({"tenders": tenders, "rewards": wanted})
    trial = evaluate(prog, basket_from_json(data), snapshot, strict=False)
    data["rewards"] = [r.to_json() for r in trial.rewards_used]
    redeem = prog.redeem
    if redeem is not None and draw(st.booleans()):
        most = ((trial.paid_minor + 1) * redeem.points - 1) // redeem.value_minor
        if most >= redeem.min_points:
            data["redeem_points"] = draw(st.integers(redeem.min_points, most))
    return Sale(prog, basket_from_json(data), snapshot)


@st.composite
def refund_plans(draw: st.DrawFn, sale: Sale) -> list[dict[int, int]]:
    """Every unit of the sale returned, in a random order and random pieces."""
    units = [line.line for line in sale.basket.lines for _ in range(line.qty)]
    units = draw(st.permutations(units))
    cuts = draw(st.lists(st.booleans(), min_size=len(units) - 1, max_size=len(units) - 1))
    plan, piece = [], [units[0]]
    for unit, cut in zip(units[1:], cuts, strict=True):
        if cut:
            plan.append(dict(Counter(piece)))
            piece = []
        piece.append(unit)
    plan.append(dict(Counter(piece)))
    return plan


def remaining(sale: Sale, returned: Mapping[int, int]) -> dict[int, int]:
    """Units left per line once ``returned`` came back."""
    return {line.line: line.qty - returned.get(line.line, 0) for line in sale.basket.lines}


def add(total: dict[str, int], postings: Mapping[str, int]) -> None:
    for account, amount in postings.items():
        total[account] = total.get(account, 0) + amount


def nonzero(values: Mapping[str, int]) -> dict[str, int]:
    return {k: v for k, v in sorted(values.items()) if v}


def refund_all(sale: Sale, plan: list[dict[int, int]]) -> tuple[dict[str, int], list[Any]]:
    """Apply the plan's refunds in turn: the summed postings and the reversals."""
    before: Counter[int] = Counter()
    total: dict[str, int] = {}
    reversals = []
    for piece in plan:
        reversal = reverse(sale.programme, 1, sale.basket, sale.member, "sale-1", before, piece)
        add(total, reversal.postings)
        reversals.append(reversal)
        before.update(piece)
    return total, reversals


# --------------------------------------------------------------------------- (a) line order


@SETTINGS
@given(data=st.data())
def test_the_outcome_does_not_depend_on_the_order_of_the_lines(data: st.DataObject):
    sale = data.draw(sales())
    shuffled = data.draw(st.permutations(sale.basket.lines))
    other = Sale(sale.programme, replace(sale.basket, lines=tuple(shuffled)), sale.member)
    first, second = sale.outcome(), other.outcome()
    assert second.outcome_hash == first.outcome_hash
    assert second.to_json() == first.to_json()


@SETTINGS
@given(data=st.data())
def test_nor_on_the_order_of_the_rewards_and_tenders(data: st.DataObject):
    sale = data.draw(sales())
    rewards = data.draw(st.permutations(sale.basket.rewards))
    tenders = data.draw(st.permutations(sale.basket.tenders))
    basket = replace(sale.basket, rewards=tuple(rewards), tenders=tuple(tenders))
    other = Sale(sale.programme, basket, sale.member)
    assert other.outcome().outcome_hash == sale.outcome().outcome_hash


@SETTINGS
@given(sale=sales())
def test_the_ledger_recomputes_the_same_hash_from_the_recorded_json(sale: Sale):
    recorded = basket_from_json(sale.basket.to_json())
    member = snapshot_from_json(sale.member.to_json())
    again = evaluate(
        parse_programme(sale.programme.document, "ledger"), recorded, member, version=1
    )
    assert again.outcome_hash == sale.outcome().outcome_hash


@SETTINGS
@given(sale=sales())
def test_outcome_integers_are_consistent(sale: Sale):
    outcome = sale.outcome()
    assert 0 <= outcome.paid_minor <= outcome.list_minor
    assert all(0 <= line.paid_minor <= line.list_minor for line in outcome.lines)
    bonuses: dict[str, int] = {}
    for bonus in outcome.bonuses:
        bonuses[bonus.wallet] = bonuses.get(bonus.wallet, 0) + bonus.amount
    for wallet, earned in outcome.wallets.items():
        per_line = sum(line.wallets.get(wallet, 0) for line in outcome.lines)
        assert per_line + bonuses.get(wallet, 0) == earned
    for card, earned in outcome.stamps_earned.items():
        assert sum(line.stamps.get(card, 0) for line in outcome.lines) == earned
    assert outcome.qualifying_spend_minor <= outcome.paid_minor


# --------------------------------------------------------------------------- (b) full refunds


@SETTINGS
@given(data=st.data())
def test_refunding_everything_in_any_pieces_nets_every_account_to_zero(data: st.DataObject):
    sale = data.draw(sales())
    outcome = sale.outcome()
    plan = data.draw(refund_plans(sale))
    total, reversals = refund_all(sale, plan)
    add(total, outcome.postings)
    assert nonzero(total) == {}
    assert sum(r.refund_minor for r in reversals) == outcome.paid_minor
    assert reversals[-1].after.postings == {}
    revoked = [rid for r in reversals for rid in r.rewards_revoked]
    assert sorted(revoked) == sorted(
        issued_reward_id("sale-1", r.rule, r.n) for r in outcome.rewards_issued
    )
    restored = [x.id for r in reversals for x in r.rewards_restored]
    assert sorted(restored) == sorted(r.instance for r in outcome.rewards_used if r.instance)


# --------------------------------------------------------------------------- (c) cumulative


@SETTINGS
@given(data=st.data())
def test_reversals_add_up_to_the_difference_of_outcomes(data: st.DataObject):
    sale = data.draw(sales())
    plan = data.draw(refund_plans(sale))
    done = plan[: data.draw(st.integers(1, len(plan)))]
    total, _ = refund_all(sale, done)
    returned: Counter[int] = Counter()
    for piece in done:
        returned.update(piece)
    original = sale.outcome()
    left = evaluate_remaining(
        sale.programme, sale.basket, sale.member, original, remaining(sale, returned), version=1
    )
    expected: dict[str, int] = {}
    add(expected, left.postings)
    add(expected, {k: -v for k, v in original.postings.items()})
    assert nonzero(total) == nonzero(expected)
    # ... and returning the same units at once reverses exactly as much
    at_once = reverse(sale.programme, 1, sale.basket, sale.member, "sale-1", {}, dict(returned))
    assert nonzero(at_once.postings) == nonzero(total)


@SETTINGS
@given(sale=sales())
def test_returning_everything_reverses_the_outcome_less_the_empty_basket(sale: Sale):
    everything = {line.line: line.qty for line in sale.basket.lines}
    reversal = reverse(sale.programme, 1, sale.basket, sale.member, "sale-1", {}, everything)
    empty = evaluate_remaining(
        sale.programme, sale.basket, sale.member, sale.outcome(), remaining(sale, everything),
        version=1,
    )  # fmt: skip
    expected: dict[str, int] = {}
    add(expected, empty.postings)
    add(expected, {k: -v for k, v in sale.outcome().postings.items()})
    assert dict(reversal.postings) == nonzero(expected)
    assert empty.postings == {}


# --------------------------------------------------------------------------- (d) too much back


@SETTINGS
@given(data=st.data())
def test_a_refund_never_returns_more_than_was_sold(data: st.DataObject):
    sale = data.draw(sales())
    plan = data.draw(refund_plans(sale))
    done = plan[: data.draw(st.integers(0, len(plan) - 1))]
    before: Counter[int] = Counter()
    for piece in done:
        before.update(piece)
    line = data.draw(st.sampled_from(sale.basket.lines))
    left = line.qty - before[line.line]
    excess = left + data.draw(st.integers(1, 5))
    args = (sale.programme, 1, sale.basket, sale.member, "sale-1", dict(before))
    with pytest.raises(BasketError, match="left to return"):
        reverse(*args, {line.line: excess})
    with pytest.raises(BasketError, match="at least one unit"):
        reverse(*args, {line.line: data.draw(st.integers(-3, 0))})
    missing = max(x.line for x in sale.basket.lines) + 1
    with pytest.raises(BasketError, match=f"no line {missing}"):
        reverse(*args, {missing: 1})
