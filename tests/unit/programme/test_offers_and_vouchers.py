"""Personal offers and bonus vouchers in the price phase (engine 2)."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.programme import BasketError, RewardRefused, basket_from_json, evaluate, reverse
from tests.unit.programme.helpers import basket, basket_json, item, member, programme

ENGINE_2 = {"engine": 2}
RATE = {"id": "base", "kind": "earn_rate", "rate": "1"}
TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "coffee-20",
        "name": "20 % off coffee",
        "kind": "percent_off",
        "percent": "20",
        "when": {"tags": ["coffee"]},
    },
    {
        "id": "bread-10kr",
        "name": "10 kr off bread over 30 kr",
        "kind": "amount_off",
        "amount_minor": 1000,
        "min_spend_minor": 3000,
        "when": {"tags": ["bread"]},
        "offline": "deny",
        "uses": 3,
    },
]
PROG = programme(RATE, programme=ENGINE_2, offer_templates=TEMPLATES)


def _with(data: dict[str, Any], **extra: Any) -> Any:
    return basket_from_json({**data, **extra})


def test_an_offer_takes_its_percentage_off_its_lines_and_earning_follows_what_is_paid():
    sale = _with(
        basket_json(item(5000, tags=["coffee"]), item(2000, tags=["milk"])),
        offers=[{"id": "OF-1", "template": "coffee-20"}],
    )
    outcome = evaluate(PROG, sale, member())
    assert outcome.paid_minor == 6000
    assert outcome.lines[0].discounts == {"offer:OF-1": 1000}
    assert outcome.wallets == {"points": 60}
    assert [o.to_json() for o in outcome.offers_used] == [
        {"id": "OF-1", "template": "coffee-20", "discount_minor": 1000}
    ]


def test_an_offer_that_finds_nothing_to_take_off_lapses_unused_even_in_a_sale():
    sale = _with(
        basket_json(item(2000, tags=["bread"])),
        offers=[
            {"id": "OF-1", "template": "coffee-20"},
            {"id": "OF-2", "template": "bread-10kr"},
            {"id": "OF-3", "template": "gone-from-this-version"},
        ],
    )
    outcome = evaluate(PROG, sale, member(), strict=True)
    assert outcome.paid_minor == 2000 and outcome.offers_used == ()
    assert "offers_used" not in outcome.content()


def test_an_amount_offer_needs_its_minimum_spend_and_takes_at_most_its_amount():
    sale = _with(
        basket_json(item(1800, qty=2, tags=["bread"])),
        offers=[{"id": "OF-2", "template": "bread-10kr"}],
    )
    outcome = evaluate(PROG, sale, member())
    assert outcome.paid_minor == 2600 and outcome.offers_used[0].discount_minor == 1000


def test_a_voucher_takes_its_value_off_the_basket_after_offers_and_before_points():
    prog = programme(
        RATE,
        programme=ENGINE_2,
        offer_templates=TEMPLATES,
        redeem={"points": 100, "value_minor": 1000},
        earn_basis={"exclude_tags": ["gift_card"]},
    )
    sale = _with(
        basket_json(item(5000, tags=["coffee"]), item(3000, tags=["gift_card"]), redeem_points=100),
        offers=[{"id": "OF-1", "template": "coffee-20"}],
        vouchers=[{"number": "VCH-ABCD1234", "value_minor": 300, "min_spend_minor": 2000}],
    )
    outcome = evaluate(prog, sale, member(), strict=True)
    # 50.00 - 10.00 offer = 40.00 coffee, 30.00 gift card; voucher 3.00 and points 10.00
    # fall on the coffee first (it earns), so the gift card stays 30.00.
    assert [line.paid_minor for line in outcome.lines] == [2700, 3000]
    assert outcome.lines[0].discounts == {"VCH-ABCD1234": 300, "offer:OF-1": 1000, "redeem": 1000}
    assert [v.to_json() for v in outcome.vouchers_used] == [
        {"number": "VCH-ABCD1234", "discount_minor": 300}
    ]


def test_a_voucher_below_its_minimum_spend_is_refused_in_a_sale_with_the_amount():
    sale = _with(
        basket_json(item(1500)),
        vouchers=[{"number": "VCH-ABCD1234", "value_minor": 300, "min_spend_minor": 2000}],
    )
    with pytest.raises(RewardRefused, match=r"at least 20\.00 NOK"):
        evaluate(PROG, sale, member(), strict=True)
    assert evaluate(PROG, sale, member(), strict=False).vouchers_used == ()


def test_a_voucher_worth_more_than_the_basket_takes_what_there_is():
    sale = _with(basket_json(item(200)), vouchers=[{"number": "VCH-ABCD", "value_minor": 300}])
    outcome = evaluate(PROG, sale, member())
    assert outcome.paid_minor == 0 and outcome.vouchers_used[0].discount_minor == 200


@pytest.mark.parametrize(
    "extra, problem",
    [
        ({"vouchers": [{"number": "ABCD", "value_minor": 1}]}, "not a voucher number"),
        ({"vouchers": [{"number": "VCH-ABCD", "value_minor": 0}]}, "value_minor"),
        (
            {"vouchers": [{"number": "VCH-ABCD", "value_minor": 5}] * 2},
            "a voucher is listed twice",
        ),
        ({"offers": [{"id": "A", "template": "t"}] * 2}, "an offer is listed twice"),
        ({"offers": [{"id": "A"}]}, "template is missing"),
    ],
)
def test_a_basket_with_bad_offers_or_vouchers_is_refused_naming_the_field(
    extra: dict[str, Any], problem: str
):
    with pytest.raises(BasketError, match=problem):
        _with(basket_json(item(100)), **extra)


def test_a_basket_without_offers_or_vouchers_hashes_as_before():
    plain = evaluate(PROG, basket(item(5000, tags=["coffee"])), member())
    assert "offers_used" not in plain.content() and "vouchers_used" not in plain.content()
    assert "offers" not in basket(item(1)).to_json()


def test_a_refund_keeps_offer_and_voucher_shares_of_lines_left_and_pays_back_the_rest():
    sale = _with(
        basket_json(item(5000, tags=["coffee"]), item(5000, tags=["milk"])),
        offers=[{"id": "OF-1", "template": "coffee-20"}],
        vouchers=[{"number": "VCH-ABCD", "value_minor": 900}],
    )
    whole = evaluate(PROG, sale, member())
    assert whole.paid_minor == 8100 and whole.wallets == {"points": 81}
    first = reverse(PROG, 0, sale, member(), "sale-1", {}, {1: 1})
    second = reverse(PROG, 0, sale, member(), "sale-1", {1: 1}, {2: 1})
    assert first.refund_minor + second.refund_minor == whole.paid_minor
    assert first.postings["points"] + second.postings["points"] == -81
    assert [o.id for o in first.after.offers_used] == []
    assert [v.number for v in first.after.vouchers_used] == ["VCH-ABCD"]
