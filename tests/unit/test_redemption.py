"""Points as a discount: value, minimum, balance, purchase, debt and offline bounds."""

import pytest

from loyalty.errors import RedemptionRefused
from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document
from loyalty.programme.model import Offline
from loyalty.programme.redemption import (
    check_offline_redemption,
    check_redemption,
    limits,
    max_redeemable,
    redemption_value,
)

PROGRAMME = parse_programme(
    simple_programme_document(
        points_per_unit=2, redeem_points=100, redeem_value_minor=1000, min_redeem_points=50
    )
)
TERMS = PROGRAMME.redeem
assert TERMS is not None


def test_redemption_value_is_rounded_down_to_whole_ore():
    assert redemption_value(TERMS, 100) == 1000
    assert redemption_value(TERMS, 155) == 1550
    odd = parse_programme(simple_programme_document(redeem_points=3, redeem_value_minor=100))
    assert odd.redeem is not None and redemption_value(odd.redeem, 1) == 33


def test_a_redemption_within_every_bound_returns_the_discount():
    assert check_redemption(PROGRAMME, 200, available=500, purchase_minor=5000) == 2000
    assert check_redemption(PROGRAMME, 500, available=500) == 5000


def test_redeeming_below_the_minimum_is_refused():
    with pytest.raises(RedemptionRefused, match="smallest redemption is 50"):
        check_redemption(PROGRAMME, 49, available=500)


def test_redeeming_more_than_the_balance_is_refused():
    with pytest.raises(RedemptionRefused, match="Not enough points: the member has 300"):
        check_redemption(PROGRAMME, 301, available=300)


def test_nothing_is_redeemed_while_the_member_owes_points():
    with pytest.raises(RedemptionRefused, match="owes 20 points"):
        check_redemption(PROGRAMME, 100, available=-20)


def test_a_discount_larger_than_the_purchase_is_refused_and_the_most_allowed_is_named():
    with pytest.raises(RedemptionRefused, match="Redeem at most 123 points"):
        check_redemption(PROGRAMME, 200, available=1000, purchase_minor=1234)
    assert check_redemption(PROGRAMME, 123, available=1000, purchase_minor=1234) == 1230


@pytest.mark.parametrize("points", [0, -100, True])
def test_nonsense_point_counts_are_refused(points):
    with pytest.raises(RedemptionRefused):
        check_redemption(PROGRAMME, points, available=1000)


def test_max_redeemable_respects_balance_purchase_and_minimum():
    assert max_redeemable(TERMS, 1000) == 1000
    assert max_redeemable(TERMS, 1000, 1234) == 123
    assert max_redeemable(TERMS, 40) == 0
    assert max_redeemable(TERMS, 1000, 400) == 0  # 40 points < minimum 50


def test_every_value_the_bounds_allow_never_exceeds_the_purchase():
    for purchase in range(0, 3000, 7):
        most = max_redeemable(TERMS, 10_000, purchase)
        if most:
            assert redemption_value(TERMS, most) <= purchase
            assert redemption_value(TERMS, most + 1) > purchase


def test_the_limits_name_balance_minimum_purchase_and_offline_cap_together():
    shown = limits(PROGRAMME, balance=900, purchase_minor=5000, offline_left=300)
    assert (shown.balance, shown.minimum, shown.purchase_minor) == (900, 50, 5000)
    assert shown.offline_left == 300 and shown.most == 300
    assert limits(PROGRAMME, balance=900, purchase_minor=None, offline_left=None).most == 900
    assert limits(PROGRAMME, balance=900, purchase_minor=None, offline_left=20).most == 0


def test_a_programme_without_a_points_discount_refuses_with_its_name():
    coffee = parse_programme(
        {
            "wallets": [],
            "programme": {
                "id": "c", "name": "Coffee club", "engine": 1, "currency": "NOK",
                "timezone": "Europe/Oslo",
            },
        }
    )  # fmt: skip
    with pytest.raises(RedemptionRefused, match="Coffee club programme does not let points"):
        check_redemption(coffee, 100, available=1000)


def test_offline_redemption_is_capped_per_member_per_day():
    offline = Offline(redeem_cap=500, max_offline_hours=72)
    check_offline_redemption(offline, 300, redeemed_offline_today=200, offline_hours=1)
    with pytest.raises(RedemptionRefused, match="at most 500 points a day here; 100 are left"):
        check_offline_redemption(offline, 300, redeemed_offline_today=400, offline_hours=1)


def test_a_till_offline_too_long_or_never_synced_refuses_redemptions():
    offline = Offline(max_offline_hours=72)
    with pytest.raises(RedemptionRefused, match="offline for 80 hours"):
        check_offline_redemption(offline, 100, redeemed_offline_today=0, offline_hours=80.5)
    with pytest.raises(RedemptionRefused, match="has not reached the ledger yet"):
        check_offline_redemption(offline, 100, redeemed_offline_today=0, offline_hours=None)
