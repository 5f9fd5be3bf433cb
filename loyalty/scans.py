"""What a scanned code means to the till: a member card, a product, a member QR, a voucher.

The device layer hands over the scan's text (printable ASCII, any AIM symbology
identifier already removed); this module decides what it is. It never guesses and
never repairs: a member card with a wrong check digit is :attr:`ScanKind.REJECTED`
with the reason, because a misread number corrected into a valid one could be
another member.

The codes the programme issues:

* **Member card**: an EAN-13 in the GS1 in-store range (first digit ``2``), validated
  by :func:`loyalty.cards.validate_card_number`.
* **Member QR**: a token beginning ``LTY1:`` (:data:`MEMBER_QR_PREFIX`, the ``1`` is the
  token format version). The token is passed on whole and unparsed; verifying it is
  the QR token module's job.
* **Voucher**: ``VCH-`` (:data:`VOUCHER_PREFIX`) followed by 4 to 32 upper-case
  letters or digits, printed as Code 128 (for example ``VCH-7K2M9Q``). Code 128
  carries its own check character, so a misread voucher does not reach us as a
  different valid code.

* **Product**: any other EAN-13, an EAN-8 or a UPC-A with a correct check digit
  (:mod:`loyalty.gtin`); UPC-A is passed on in its EAN-13 form.

Anything else is :attr:`ScanKind.UNKNOWN` with a reason a cashier can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from loyalty.cards import CARD_LENGTH, IN_STORE_PREFIX, validate_card_number
from loyalty.errors import InvalidCardNumber
from loyalty.gtin import PRODUCT_LENGTHS, catalogue_sku, is_valid_gtin
from loyalty.member_token import PREFIX

MEMBER_QR_PREFIX: Final = PREFIX
"""The member token's prefix, defined by :mod:`loyalty.member_token`."""
VOUCHER_PREFIX: Final = "VCH-"
VOUCHER_MIN_CODE: Final = 4
VOUCHER_MAX_CODE: Final = 32
_VOUCHER_CODE = re.compile(rf"[A-Z0-9]{{{VOUCHER_MIN_CODE},{VOUCHER_MAX_CODE}}}")


class ScanKind(StrEnum):
    """What a scan is to the programme."""

    MEMBER_CARD = "member_card"
    PRODUCT = "product"
    """A product barcode (EAN-13, EAN-8, UPC-A) with a correct check digit."""
    MEMBER_QR = "member_qr"
    VOUCHER = "voucher"
    REJECTED = "rejected"
    """It looks like one of ours but is invalid (for example a wrong check digit)."""
    UNKNOWN = "unknown"
    """It is not one of the programme's codes (a product barcode, say)."""


@dataclass(frozen=True, slots=True)
class ClassifiedScan:
    """A scan's meaning: its kind, the value to act on, and the reason if refused."""

    kind: ScanKind
    value: str
    """The card number, the product's catalogue sku, the whole QR token (prefix
    included) or the voucher code (prefix included); for refused scans, the text as
    scanned."""
    reason: str | None = None
    """For :attr:`ScanKind.REJECTED` and :attr:`ScanKind.UNKNOWN`: why, for the cashier."""

    @property
    def valid(self) -> bool:
        """True when the scan is a code the till can act on."""
        return self.kind in (
            ScanKind.MEMBER_CARD,
            ScanKind.PRODUCT,
            ScanKind.MEMBER_QR,
            ScanKind.VOUCHER,
        )


_TYPED_AMOUNT = re.compile(rf"\d{{1,{min(PRODUCT_LENGTHS) - 1}}}|\d+[.,]\d{{1,2}}")


def looks_like_typed_amount(text: str) -> bool:
    """True when ``text`` typed into the scan field is an amount, not a code: fewer
    digits than any barcode the till reads (an EAN-8 has 8), or a number with a
    decimal point or comma (``19.90``, ``19,9``). No code looks like either, so the
    till can add it as an amount line instead of refusing it as a card."""
    return _TYPED_AMOUNT.fullmatch(text.strip().replace(" ", "")) is not None


def classify_scan(text: str) -> ClassifiedScan:
    """Decide what the scanned ``text`` is. Never raises for any string."""
    if text.startswith(MEMBER_QR_PREFIX):
        return _member_qr(text)
    if text.startswith(VOUCHER_PREFIX):
        return _voucher(text)
    if text.isascii() and text.isdigit():
        return _digits(text)
    return ClassifiedScan(
        ScanKind.UNKNOWN,
        text,
        "This code is not a member card, member QR code or voucher.",
    )


def _member_qr(text: str) -> ClassifiedScan:
    if len(text) == len(MEMBER_QR_PREFIX):
        return ClassifiedScan(
            ScanKind.REJECTED, text, "The member QR code is empty. Ask the member to refresh it."
        )
    return ClassifiedScan(ScanKind.MEMBER_QR, text)


def is_voucher_number(text: str) -> bool:
    """Whether ``text`` is a voucher number as the programme prints them."""
    return text.startswith(VOUCHER_PREFIX) and (
        _VOUCHER_CODE.fullmatch(text[len(VOUCHER_PREFIX) :]) is not None
    )


def _voucher(text: str) -> ClassifiedScan:
    code = text[len(VOUCHER_PREFIX) :]
    if _VOUCHER_CODE.fullmatch(code) is None:
        return ClassifiedScan(
            ScanKind.REJECTED,
            text,
            f"This voucher code is not valid: after {VOUCHER_PREFIX} come "
            f"{VOUCHER_MIN_CODE} to {VOUCHER_MAX_CODE} capital letters or digits.",
        )
    return ClassifiedScan(ScanKind.VOUCHER, text)


def _digits(text: str) -> ClassifiedScan:
    if len(text) == CARD_LENGTH and text.startswith(IN_STORE_PREFIX):
        try:
            return ClassifiedScan(ScanKind.MEMBER_CARD, validate_card_number(text))
        except InvalidCardNumber as error:
            return ClassifiedScan(ScanKind.REJECTED, text, error.message)
    if len(text) in PRODUCT_LENGTHS:
        if is_valid_gtin(text):
            return ClassifiedScan(ScanKind.PRODUCT, catalogue_sku(text))
        return ClassifiedScan(
            ScanKind.REJECTED,
            text,
            "The barcode is misread (its check digit is wrong). Scan it again.",
        )
    return ClassifiedScan(
        ScanKind.UNKNOWN, text, "This number is not a member card (member cards have 13 digits)."
    )
