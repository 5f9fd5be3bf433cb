"""The basic programme: points per krone, redemption value, minimum and bounds."""

import pytest

from loyalty.errors import RedemptionRefused
from loyalty.money import Money
from loyalty.programme import ProgrammeRules

RULES = ProgrammeRules(
    version=3,
    currency="NOK",
    points_per_unit=2,
    redeem_points=100,
    redeem_value_minor=1000,
    min_redeem_points=50,
)


def nok(minor: int) -> Money:
    return Money(minor, "NOK")


def test_points_are_earned_per_whole_krone_rounded_down():
    assert RULES.earn_points(nok(14990)) == 299  # 149.90 * 2 = 299.8
    assert RULES.earn_points(nok(49)) == 0
    assert ProgrammeRules().earn_points(nok(14990)) == 149


def test_redemption_value_is_rounded_down_to_whole_ore():
    assert RULES.redemption_value(100) == nok(1000)
    assert RULES.redemption_value(155) == nok(1550)
    odd = ProgrammeRules(redeem_points=3, redeem_value_minor=100, min_redeem_points=1)
    assert odd.redemption_value(1) == nok(33)


def test_a_redemption_within_every_bound_returns_the_discount():
    assert RULES.check_redemption(200, available=500, purchase=nok(5000)) == nok(2000)
    assert RULES.check_redemption(500, available=500) == nok(5000)


def test_redeeming_below_the_minimum_is_refused():
    with pytest.raises(RedemptionRefused, match="smallest redemption is 50"):
        RULES.check_redemption(49, available=500)


def test_redeeming_more_than_the_balance_is_refused():
    with pytest.raises(RedemptionRefused, match="Not enough points: the member has 300"):
        RULES.check_redemption(301, available=300)
    with pytest.raises(RedemptionRefused, match="has 0 points"):
        RULES.check_redemption(100, available=-20)


def test_a_discount_larger_than_the_purchase_is_refused_and_the_most_allowed_is_named():
    with pytest.raises(RedemptionRefused, match="Redeem at most 123 points"):
        RULES.check_redemption(200, available=1000, purchase=nok(1234))
    assert RULES.check_redemption(123, available=1000, purchase=nok(1234)) == nok(1230)


@pytest.mark.parametrize("points", [0, -100, True])
def test_nonsense_point_counts_are_refused(points):
    with pytest.raises(RedemptionRefused):
        RULES.check_redemption(points, available=1000)


def test_max_redeemable_respects_balance_purchase_and_minimum():
    assert RULES.max_redeemable(1000) == 1000
    assert RULES.max_redeemable(1000, nok(1234)) == 123
    assert RULES.max_redeemable(40) == 0
    assert RULES.max_redeemable(1000, nok(400)) == 0  # 40 points < minimum 50


def test_every_value_the_bounds_allow_never_exceeds_the_purchase():
    for purchase in range(0, 3000, 7):
        most = RULES.max_redeemable(10_000, nok(purchase))
        if most:
            assert RULES.redemption_value(most).minor <= purchase
            assert RULES.redemption_value(most + 1).minor > purchase


def test_rules_round_trip_and_refuse_unknown_or_bad_settings():
    assert ProgrammeRules.from_dict(RULES.to_dict()) == RULES
    with pytest.raises(ValueError, match="unknown programme setting"):
        ProgrammeRules.from_dict({"points_per_krone": 1})
    with pytest.raises(ValueError, match="points_per_unit"):
        ProgrammeRules(points_per_unit=0)


def test_other_currencies_are_refused():
    with pytest.raises(RedemptionRefused, match="runs in NOK"):
        RULES.check_redemption(100, available=1000, purchase=Money(100, "SEK"))


def test_offline_redemption_is_capped_per_member_per_day():
    rules = ProgrammeRules(offline_redeem_cap=500, max_offline_hours=72)
    rules.check_offline_redemption(300, redeemed_offline_today=200, offline_hours=1)
    with pytest.raises(RedemptionRefused, match="at most 500 points a day here; 100 are left"):
        rules.check_offline_redemption(300, redeemed_offline_today=400, offline_hours=1)


def test_a_till_offline_too_long_or_never_synced_refuses_redemptions():
    rules = ProgrammeRules(max_offline_hours=72)
    with pytest.raises(RedemptionRefused, match="offline for 80 hours"):
        rules.check_offline_redemption(100, redeemed_offline_today=0, offline_hours=80.5)
    with pytest.raises(RedemptionRefused, match="has not reached the ledger yet"):
        rules.check_offline_redemption(100, redeemed_offline_today=0, offline_hours=None)
