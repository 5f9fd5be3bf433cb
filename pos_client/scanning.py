"""What a scan at the till is for: a member card, a product, or something refused.

:func:`loyalty.scans.classify_scan` says what the code is; this module turns that
into what the till does, with the messages a cashier reads.
"""

from __future__ import annotations

from loyalty.cards import validate_card_number
from loyalty.errors import InvalidCardNumber
from loyalty.scans import ClassifiedScan, ScanKind, classify_scan
from pos_client.errors import UnsupportedScan


def card_from_scan(text: str) -> str:
    """The member card number in ``text``, or the reason it is not one."""
    return card_of(classify_scan(text.strip()), text)


def card_of(scan: ClassifiedScan, text: str) -> str:
    if scan.kind is ScanKind.MEMBER_CARD:
        return scan.value
    if scan.kind is ScanKind.MEMBER_QR:
        raise UnsupportedScan(
            "A member QR code is read at the sale screen. Here, scan or type the card number."
        )
    if scan.kind is ScanKind.VOUCHER:
        raise UnsupportedScan(
            "This is a voucher, not a member card: scan it with the basket, after the card."
        )
    if scan.kind is ScanKind.PRODUCT:
        raise InvalidCardNumber("This is a product barcode, not a member card.")
    if scan.kind is ScanKind.REJECTED and scan.reason:
        raise InvalidCardNumber(scan.reason)
    return validate_card_number(text)  # raises with the reason a cashier understands
