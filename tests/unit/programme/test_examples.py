"""The example programmes in examples/programmes, each doing what its comment says."""

from __future__ import annotations

import pytest

from loyalty.programme import RewardRefused, evaluate, parse_programme
from loyalty.programme.default import simple_programme_document
from loyalty.programme.model import TierQualification
from loyalty.programme.outcome import issued_reward_id
from tests.unit.programme.helpers import SATURDAY, WEDNESDAY, basket, example, item, member, run

COFFEE = ["coffee"]

# --------------------------------------------------------------------------- coffee


def test_coffee_one_stamp_per_coffee_two_with_an_own_cup():
    outcome = run(
        example("coffee"),
        item(3990, tags=COFFEE),
        item(3990, qty=2, tags=COFFEE, flags=["own_cup"]),
        item(3500, sku="bun"),
    )
    assert outcome.stamps_earned == {"coffee": 5}
    assert [line.stamps for line in outcome.lines] == [{"coffee": 1}, {"coffee": 4}, {}]
    assert outcome.wallets == {}
    assert outcome.postings == {"qualifying_spend": 15470, "stamps:coffee": 5}


def test_coffee_nine_stamps_give_a_free_coffee_on_a_later_receipt():
    coffee = example("coffee")
    # Receipt 1: 7 stamps + 3 (one coffee in an own cup) = 10: a full card, 1 carried over.
    first = basket(item(3990, tags=COFFEE, flags=["own_cup"]), item(3200, tags=COFFEE, sku="e"))
    outcome = evaluate(coffee, first, member(stamps={"coffee": 7}))
    assert outcome.stamps == {"coffee": -6}
    assert [(r.rule, r.reward, r.n) for r in outcome.rewards_issued] == [
        ("coffee-card", "free-coffee", 1)
    ]
    reward_id = issued_reward_id("sale-1", "coffee-card", 1)

    # The reward is not the member's during receipt 1.
    same_receipt = basket(
        item(3990, tags=COFFEE), rewards=[{"reward": "free-coffee", "id": reward_id}]
    )
    with pytest.raises(RewardRefused):
        evaluate(coffee, same_receipt, member(stamps={"coffee": 7}))

    # Receipt 2: the highest-priced coffee is free, and earns no stamp.
    holder = member(stamps={"coffee": 1}, rewards=[{"id": reward_id, "reward": "free-coffee"}])
    second = basket(
        item(3200, tags=COFFEE, sku="espresso"),
        item(4990, tags=COFFEE, sku="latte"),
        item(5990, sku="cake"),
        rewards=[{"reward": "free-coffee", "id": reward_id}],
    )
    outcome = evaluate(coffee, second, holder)
    assert [line.paid_minor for line in outcome.lines] == [3200, 0, 5990]
    assert outcome.stamps == {"coffee": 1}
    assert [r.instance for r in outcome.rewards_used] == [reward_id]


def test_coffee_the_free_coffee_needs_a_coffee():
    reward_id = issued_reward_id("sale-1", "coffee-card", 1)
    holder = member(rewards=[{"id": reward_id, "reward": "free-coffee"}])
    cake_only = basket(item(5990, sku="cake"), rewards=[{"reward": "free-coffee", "id": reward_id}])
    with pytest.raises(RewardRefused, match="needs a matching item"):
        evaluate(example("coffee"), cake_only, holder)


# --------------------------------------------------------------------------- kiwi

KIWI_LINES = (
    item(2000, sku="apples", tags=["fresh"]),
    item(3000, sku="milk"),
    item(200, sku="pant", tags=["deposit"]),
    item(10000, sku="gift", tags=["gift_card"]),
)


def test_kiwi_15_percent_on_fresh_1_percent_on_the_rest_nothing_on_gift_cards_and_deposit():
    outcome = run(example("kiwi"), *KIWI_LINES, tenders=[("card", 15200)])
    assert outcome.wallets == {"bonus": 330}  # 300 + 30 øre
    assert outcome.qualifying_spend_minor == 5000


def test_kiwi_the_share_paid_with_a_gift_card_earns_nothing():
    outcome = run(example("kiwi"), *KIWI_LINES, tenders=[("gift_card", 7600), ("card", 7600)])
    assert outcome.wallets == {"bonus": 165}
    assert outcome.qualifying_spend_minor == 2500


def test_kiwi_bonus_pays_at_the_till_from_one_krone():
    outcome = run(example("kiwi"), item(3000, sku="milk"), redeem_points=150)
    assert outcome.paid_minor == 2850
    assert outcome.spent == {"bonus": 150}
    assert outcome.wallets == {"bonus": 28}
    with pytest.raises(RewardRefused, match="smallest redemption is 100"):
        run(example("kiwi"), item(3000, sku="milk"), redeem_points=99)


# --------------------------------------------------------------------------- sephora

NEW_YORK = "2026-03-25T12:00:00-04:00"


@pytest.mark.parametrize(
    ("tier", "points"),
    [("insider", 100), ("vib", 125), ("rouge", 150), ("", 100)],
    ids=["insider 1", "vib 1.25", "rouge 1.5", "no tier is insider"],
)
def test_sephora_points_per_dollar_by_tier(tier: str, points: int):
    outcome = run(example("sephora"), item(10000, sku="serum"), who=member(tier=tier), at=NEW_YORK)
    assert outcome.wallets == {"points": points}


def test_sephora_gift_cards_neither_earn_nor_count_as_qualifying_spend():
    outcome = run(
        example("sephora"),
        item(5000, sku="serum"),
        item(2500, sku="gift", tags=["gift_card"]),
        who=member(tier="vib"),
        at=NEW_YORK,
    )
    assert outcome.paid_minor == 7500
    assert outcome.wallets == {"points": 62}  # 50.00 x 1.25 = 62.5
    assert outcome.qualifying_spend_minor == 5000
    assert outcome.lines[1].wallets == {}


# --------------------------------------------------------------------------- weekend-dairy

WEEKEND = [
    pytest.param(SATURDAY, 80, id="Saturday in Oslo"),
    pytest.param("2026-03-29T18:00:00+02:00", 80, id="Sunday in Oslo"),
    pytest.param(WEDNESDAY, 50, id="Wednesday"),
    pytest.param("2026-03-27T23:30:00+00:00", 80, id="Friday 23:30 UTC is Saturday in Oslo"),
    pytest.param("2026-03-29T23:30:00+00:00", 50, id="Sunday 23:30 UTC is Monday in Oslo"),
    pytest.param("2026-03-27T20:00:00-04:00", 80, id="Friday evening in New York"),
    pytest.param("2026-03-29T20:00:00-04:00", 50, id="Sunday evening in New York"),
]


@pytest.mark.parametrize(("at", "points"), WEEKEND)
def test_weekend_dairy_doubles_dairy_on_oslo_weekends_only(at: str, points: int):
    outcome = run(
        example("weekend-dairy"), item(3000, sku="milk", tags=["dairy"]), item(2000), at=at
    )
    assert outcome.wallets == {"points": points}
    assert ("weekend-dairy" in outcome.lines[0].rules) is (points == 80)
    assert outcome.lines[1].wallets == {"points": 20}


# --------------------------------------------------------------------------- eurobonus


def test_eurobonus_redeems_bonus_points_and_never_level_points():
    outcome = run(example("eurobonus"), item(100000), who=member(tier="gold"), redeem_points=200)
    assert outcome.paid_minor == 98000
    assert outcome.wallets == {"level": 980, "bonus": 1470}
    assert outcome.spent == {"bonus": 200}
    assert outcome.postings == {"bonus": 1270, "level": 980, "qualifying_spend": 98000}


def test_eurobonus_qualifies_by_level_points_per_membership_year_falling_one_level():
    programme = example("eurobonus")
    assert programme.engine == 2
    assert programme.tier_qualification == TierQualification(
        metric="level",
        window="membership_year",
        thresholds=(("silver", 20000), ("gold", 45000), ("diamond", 90000)),
        retention="rest_and_next",
        downgrade="one_level",
    )


# --------------------------------------------------------------------------- coop


def test_coop_member_prices_and_points_on_what_was_paid():
    outcome = run(
        example("coop"),
        item(3990, sku="7038010055041", name="Coffee beans"),
        item(10000, sku="cheese", tags=["member_price"]),
        item(8000, sku="snus", tags=["tobacco"]),
        item(300, sku="pant", tags=["deposit"]),
        item(50000, sku="gift", tags=["gift_card", "member_price"]),
    )
    assert [line.paid_minor for line in outcome.lines] == [2990, 8000, 8000, 300, 40000]
    assert outcome.wallets == {"points": 109, "dividend": 0}  # 29.90 + 80.00; dividend: yearly
    assert outcome.qualifying_spend_minor == 10990


def test_coop_100_points_are_10_kroner_off():
    outcome = run(example("coop"), item(10000, sku="bread"), redeem_points=100)
    assert outcome.paid_minor == 9000
    assert outcome.postings == {"points": -10, "qualifying_spend": 9000}


# --------------------------------------------------------------------------- starbucks

LA = "2026-03-25T08:00:00-07:00"


def test_starbucks_with_180_stars_the_claimable_rewards_are_25_60_and_100():
    rewards = example("starbucks").rewards
    claimable = [r.id for r in rewards if r.cost is not None and r.cost <= 180]
    assert claimable == ["stars-25", "stars-60", "stars-100"]
    claimed = [r for r in rewards if r.cost is not None]
    assert all(r.wallet == "stars" and r.kind == "free_item" for r in claimed)
    (birthday,) = [r for r in rewards if r.cost is None]  # issued only, once a year
    assert (birthday.id, birthday.kind) == ("birthday-treat", "free_item")


def test_starbucks_a_claimed_drink_is_free_and_costs_its_stars():
    outcome = run(
        example("starbucks"),
        item(545, sku="latte", tags=["handcrafted"]),
        item(325, sku="croissant", tags=["bakery"]),
        who=member(tier="gold"),
        rewards=[{"reward": "stars-100"}],
        at=LA,
    )
    assert [line.paid_minor for line in outcome.lines] == [0, 325]
    assert outcome.wallets == {"stars": 3}  # 3.25 x 1.2 = 3.9
    assert outcome.postings["stars"] == 3 - 100


def test_starbucks_a_reward_for_another_kind_of_item_is_refused():
    with pytest.raises(RewardRefused):
        run(
            example("starbucks"),
            item(545, sku="latte", tags=["handcrafted"]),
            rewards=[{"reward": "stars-300"}],
            at=LA,
        )


def test_starbucks_gold_and_reserve_come_from_stars_earned_in_a_rolling_12_months():
    assert example("starbucks").tier_qualification == TierQualification(
        metric="stars",
        window="rolling_12_months",
        thresholds=(("gold", 500), ("reserve", 2500)),
        retention="rest_of_window",
    )


def test_starbucks_paying_with_stars_earns_no_stars():
    outcome = run(
        example("starbucks"),
        item(1000, sku="lunch", tags=["lunch"]),
        who=member(tier="green"),
        tenders=[("stars", 400), ("card", 600)],
        at=LA,
    )
    assert outcome.wallets == {"stars": 6}


# --------------------------------------------------------------------------- points


def test_points_is_the_default_document_with_its_content_hash():
    default = parse_programme(simple_programme_document())
    assert example("points").content_hash == default.content_hash
    outcome = run(example("points"), item(14990))
    assert outcome.wallets == {"points": 149}
