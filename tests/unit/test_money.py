"""Money is integer minor units with a currency; one rounding rule, toward zero."""

import pytest

from loyalty.errors import InvalidAmount
from loyalty.money import Money, divide_down, format_money, parse_money


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("149.90", 14990),
        ("149,90", 14990),
        ("149", 14900),
        ("149.9", 14990),
        (" 1 234,50 ", 123450),
        (".50", 50),
        ("0", 0),
    ],
)
def test_amounts_are_read_as_a_cashier_types_them(text, minor):
    assert parse_money(text, "NOK") == Money(minor, "NOK")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Enter the purchase amount"),
        ("12.345", "at most 2 decimals"),
        ("-5", "cannot be negative"),
        ("12a", "is not an amount"),
        ("1.2.3", "is not an amount"),
        ("1e5", "is not an amount"),
        ("99999999999", "too large"),
    ],
)
def test_unclear_amounts_are_refused_with_a_reason(text, reason):
    with pytest.raises(InvalidAmount, match=reason):
        parse_money(text, "NOK")


def test_currencies_without_minor_units_refuse_decimals():
    assert parse_money("150", "ISK") == Money(150, "ISK")
    with pytest.raises(InvalidAmount):
        parse_money("150.5", "ISK")


def test_unknown_currency_is_refused():
    with pytest.raises(InvalidAmount, match="Unknown currency"):
        parse_money("1", "XXX")
    with pytest.raises(InvalidAmount):
        Money(1, "XXX")


def test_money_must_be_integer_minor_units():
    with pytest.raises(TypeError):
        Money(1.5, "NOK")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "NOK")


def test_the_rounding_rule_is_toward_zero_and_symmetric():
    assert divide_down(7, 2) == 3
    assert divide_down(-7, 2) == -3
    assert divide_down(14990, 100) == 149
    assert divide_down(-14990, 100) == -149
    with pytest.raises(ValueError):
        divide_down(1, 0)


def test_money_arithmetic_keeps_currencies_apart():
    assert Money(100, "NOK") + Money(50, "NOK") == Money(150, "NOK")
    assert -Money(100, "NOK") == Money(-100, "NOK")
    with pytest.raises(InvalidAmount):
        Money(100, "NOK") + Money(100, "SEK")


def test_formatting():
    assert format_money(Money(14990, "NOK")) == "149.90 NOK"
    assert format_money(Money(-5, "SEK")) == "-0.05 SEK"
    assert str(Money(150, "ISK")) == "150 ISK"
