"""Member card numbers: EAN-13 in the in-store range, validated by our own check digit."""

import pytest

from loyalty.cards import (
    ean13_check_digit,
    is_valid_card_number,
    make_card_number,
    mask_card_number,
    validate_card_number,
)
from loyalty.errors import InvalidCardNumber

CARDS = [make_card_number(n) for n in (1, 42, 7919, 123456, 9999999)] + ["2012345678903"]


def test_check_digit_matches_published_ean13_examples():
    assert ean13_check_digit("400638133393") == 1  # 4006381333931
    assert ean13_check_digit("590123412345") == 7  # 5901234123457
    assert ean13_check_digit("201234567890") == 3


def test_a_valid_member_card_is_accepted_and_whitespace_is_ignored():
    card = CARDS[0]
    assert validate_card_number(f"  {card}\r\n") == card
    assert is_valid_card_number(card)


@pytest.mark.parametrize("card", CARDS)
def test_every_single_digit_error_is_rejected(card):
    for position in range(13):
        for digit in "0123456789":
            if digit == card[position]:
                continue
            mistyped = card[:position] + digit + card[position + 1 :]
            assert not is_valid_card_number(mistyped), mistyped


@pytest.mark.parametrize("card", CARDS)
def test_every_adjacent_transposition_the_check_digit_can_catch_is_rejected(card):
    caught = 0
    for position in range(12):
        a, b = card[position], card[position + 1]
        if a == b:
            continue
        swapped = card[:position] + b + a + card[position + 2 :]
        if abs(int(a) - int(b)) == 5:
            # Weighted 1 and 3, digits five apart differ by 10: EAN-13 cannot see it.
            continue
        assert not is_valid_card_number(swapped), swapped
        caught += 1
    assert caught > 0


def test_a_wrong_check_digit_is_rejected_not_corrected():
    card = CARDS[1]
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber, match="check digit"):
        validate_card_number(wrong)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "No card number"),
        ("29000000a2349", "digits only"),
        ("290000001234", "13 digits; this one has 12"),
        ("29000000123490", "13 digits; this one has 14"),
        ("4006381333931", "not a member card"),
        ("２９００００００１２３４９", "digits only"),
    ],
)
def test_malformed_numbers_get_a_reason_a_cashier_understands(text, reason):
    with pytest.raises(InvalidCardNumber, match=reason):
        validate_card_number(text)


def test_made_card_numbers_are_valid_and_in_the_in_store_range():
    for card in CARDS:
        assert card.startswith("2") and len(card) == 13
        assert is_valid_card_number(card)
    with pytest.raises(ValueError):
        make_card_number(10**11)
    with pytest.raises(ValueError):
        make_card_number(1, prefix="40")


def test_masking_shows_only_the_last_four_digits():
    assert mask_card_number("2900000012349") == "•••• 2349"
