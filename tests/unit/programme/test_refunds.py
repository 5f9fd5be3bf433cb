"""Refunds by difference, case by case: what comes back, and which rewards go or return."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.programme import BasketError, reverse
from tests.unit.programme.helpers import basket, item, member, programme

BASE = {"id": "base", "kind": "earn_rate", "rate": "1"}
COFFEE = ["coffee"]
CARD = {
    "id": "coffee-card",
    "kind": "stamp",
    "card": "coffee",
    "goal": 5,
    "reward": "free-coffee",
    "when": {"tags": COFFEE},
}
SECTIONS: dict[str, Any] = {
    "rewards": [
        {"id": "free-coffee", "kind": "free_item", "when": {"tags": COFFEE}},
        {
            "id": "fifty-off",
            "kind": "amount_off",
            "amount_minor": 5000,
            "cost": 200,
            "min_spend_minor": 30000,
        },
    ],
    "redeem": {"points": 100, "value_minor": 1000, "min_points": 100},
}
PROGRAMME = programme(BASE, CARD, **SECTIONS)
HOLDER = member(
    stamps={"coffee": 3}, rewards=[{"id": "sale-0/coffee-card/1", "reward": "free-coffee"}]
)


def test_returning_a_free_coffee_gives_the_reward_back():
    sale = basket(
        item(4000, tags=COFFEE),
        item(3000, sku="bun"),
        rewards=[{"reward": "free-coffee", "id": "sale-0/coffee-card/1"}],
    )
    reversal = reverse(PROGRAMME, 1, sale, HOLDER, "sale-1", {}, {1: 1})
    assert reversal.refund_minor == 0
    assert reversal.postings == {}
    assert [(r.id, r.reward) for r in reversal.rewards_restored] == [
        ("sale-0/coffee-card/1", "free-coffee")
    ]


def test_returning_the_coffees_that_completed_a_card_revokes_its_reward():
    sale = basket(item(3500, qty=2, tags=COFFEE))  # 3 + 2 stamps complete the card
    reversal = reverse(PROGRAMME, 1, sale, HOLDER, "sale-1", {}, {1: 1})
    assert reversal.rewards_revoked == ("sale-1/coffee-card/1",)
    assert reversal.postings == {"points": -35, "qualifying_spend": -3500, "stamps:coffee": 4}
    assert reversal.refund_minor == 3500


def test_points_used_as_a_discount_come_back_in_proportion():
    sale = basket(item(10000), item(10000, sku="b"), redeem_points=200)
    reversal = reverse(PROGRAMME, 1, sale, member(), "sale-1", {}, {2: 1})
    assert reversal.refund_minor == 9000
    assert reversal.postings == {"points": 100 - 90, "qualifying_spend": -9000}


def test_a_voucher_stays_with_the_lines_left_and_the_returned_share_of_its_cost_comes_back():
    """350.00 with 50.00 off (200 points) pays 300.00: line 1 carries 28.57 of the
    discount and pays 171.43, line 2 carries 21.43 and pays 128.57. Returning line 2
    gives back what it was paid, and the 43 % of the voucher it carried: the sale's
    +100 points (300 earned − 200) become +57 (171 earned − 114)."""
    sale = basket(item(20000), item(15000, sku="b"), rewards=[{"reward": "fifty-off"}])
    reversal = reverse(PROGRAMME, 1, sale, member(), "sale-1", {}, {2: 1})
    assert [r.reward for r in reversal.after.rewards_used] == ["fifty-off"]
    assert reversal.after.spent == {"points": 114}
    assert reversal.refund_minor == 12857
    assert reversal.postings == {"points": 57 - 100, "qualifying_spend": -12857}


def test_a_reversal_names_what_was_returned_and_has_a_stable_hash():
    sale = basket(item(1000, qty=3), item(500, sku="b"))
    one = reverse(PROGRAMME, 1, sale, member(), "sale-1", {}, {2: 1, 1: 2})
    again = reverse(PROGRAMME, 1, sale, member(), "sale-1", {}, {1: 2, 2: 1})
    assert one.content()["returned"] == [{"line": 1, "qty": 2}, {"line": 2, "qty": 1}]
    assert one.outcome_hash == again.outcome_hash
    other = reverse(PROGRAMME, 1, sale, member(), "sale-1", {}, {1: 1})
    assert other.outcome_hash != one.outcome_hash


@pytest.mark.parametrize(
    ("before", "returning", "message"),
    [
        pytest.param({}, {3: 1}, "no line 3", id="a line the receipt does not have"),
        pytest.param({}, {1: 0}, "at least one unit", id="zero units"),
        pytest.param({}, {1: 4}, "3 of 3 left to return, not 4", id="more than sold"),
        pytest.param({1: 2}, {1: 2}, "1 of 3 left to return, not 2", id="more than is left"),
    ],
)
def test_a_refund_of_what_cannot_come_back_is_refused(
    before: dict[int, int], returning: dict[int, int], message: str
):
    sale = basket(item(1000, qty=3), item(500, sku="b"))
    with pytest.raises(BasketError, match=message):
        reverse(PROGRAMME, 1, sale, member(), "sale-1", before, returning)


def test_a_refund_never_asks_the_customer_for_money():
    """Line 1: list 50.00, member price 10.00; line 2: 50.00. 6,000 points (1 øre each)
    pay all 60.00. Returning line 1 (paid 0 after its share of the points) keeps 3,000
    points on line 2 (50 % of the list value): 30.00 off 50.00, so 20.00 is due."""
    prog = programme(
        BASE,
        prices=[{"id": "member", "price_minor": 1000, "when": {"skus": ["A"]}}],
        redeem={"points": 1, "value_minor": 1, "min_points": 1},
    )
    sale = basket(item(5000, sku="A"), item(5000, sku="B"), redeem_points=6000)
    reversal = reverse(prog, 1, sale, member(), "sale-1", {}, {1: 1})
    assert reversal.refund_minor >= 0  # it is -2000
    assert reversal.postings.get("qualifying_spend", 0) <= 0  # it is +2000
