"""What a scan means to the programme: member card, member QR, voucher, or not ours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.cards import make_card_number
from loyalty.scans import ScanKind, classify_scan, looks_like_typed_amount


def test_a_valid_member_card_is_a_member_card() -> None:
    card = make_card_number(42)
    result = classify_scan(card)
    assert (result.kind, result.value, result.reason, result.valid) == (
        ScanKind.MEMBER_CARD,
        card,
        None,
        True,
    )


def test_a_member_card_with_a_wrong_check_digit_is_rejected_not_corrected() -> None:
    card = make_card_number(42)
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    result = classify_scan(wrong)
    assert result.kind is ScanKind.REJECTED
    assert result.value == wrong
    assert result.reason is not None and "check digit" in result.reason
    assert not result.valid


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("5701234567899", "5701234567899"),
        ("96385074", "96385074"),
        ("036000291452", "0036000291452"),  # UPC-A, kept as its EAN-13
    ],
)
def test_a_product_barcode_is_a_product_with_its_catalogue_sku(text: str, sku: str) -> None:
    result = classify_scan(text)
    assert (result.kind, result.value) == (ScanKind.PRODUCT, sku)
    assert result.valid


@pytest.mark.parametrize("text", ["5701234567898", "96385075", "036000291453"])
def test_a_misread_product_barcode_is_rejected_not_repaired(text: str) -> None:
    result = classify_scan(text)
    assert result.kind is ScanKind.REJECTED
    assert result.reason is not None and "misread" in result.reason


def test_a_member_qr_token_is_passed_on_whole_and_unparsed() -> None:
    result = classify_scan("LTY1:EYJABC.DEF")
    assert (result.kind, result.value) == (ScanKind.MEMBER_QR, "LTY1:EYJABC.DEF")


def test_an_empty_member_qr_token_is_rejected() -> None:
    assert classify_scan("LTY1:").kind is ScanKind.REJECTED


def test_a_voucher_code_is_a_voucher() -> None:
    result = classify_scan("VCH-7K2M9Q")
    assert (result.kind, result.value, result.valid) == (ScanKind.VOUCHER, "VCH-7K2M9Q", True)


@pytest.mark.parametrize("text", ["VCH-", "VCH-abc1", "VCH-AB", "VCH-" + "A" * 33, "VCH-AB CD"])
def test_a_malformed_voucher_code_is_rejected_with_the_rule(text: str) -> None:
    result = classify_scan(text)
    assert result.kind is ScanKind.REJECTED
    assert result.reason is not None and "4 to 32 capital letters or digits" in result.reason


@pytest.mark.parametrize("text", ["hello", "12345", "https://example.com", ""])
def test_anything_else_is_unknown_with_a_reason(text: str) -> None:
    result = classify_scan(text)
    assert result.kind is ScanKind.UNKNOWN
    assert result.reason


@given(st.text())
def test_classifying_never_raises_and_refusals_always_say_why(text: str) -> None:
    result = classify_scan(text)
    assert result.valid == (result.reason is None)


@pytest.mark.parametrize("text", ["19.90", "19,9", "45", "1234567", " 12 ", "1 234,50"])
def test_an_amount_typed_into_the_scan_field_is_told_from_a_code(text: str) -> None:
    assert looks_like_typed_amount(text)


@pytest.mark.parametrize(
    "text", ["12345670", "2900000010017", "036000291452", "1.999", "19.", "abc", "", "-5"]
)
def test_codes_and_other_text_are_not_amounts(text: str) -> None:
    assert not looks_like_typed_amount(text)
