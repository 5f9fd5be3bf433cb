"""Release 0.1.0's rules, which the ledger checks schema-1 events against."""

import pytest

from loyalty.legacy_rules import ProgrammeRules
from loyalty.money import Money

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


def test_rules_round_trip_and_refuse_unknown_settings():
    assert ProgrammeRules.from_dict(RULES.to_dict()) == RULES
    with pytest.raises(ValueError, match="unknown programme setting"):
        ProgrammeRules.from_dict({"points_per_krone": 1})
