"""Recognise a keyboard-wedge scan that landed in the wrong field.

A keyboard-wedge scanner types the code and Enter into whatever has focus. When that
is the amount field, or a dialog's text field, the field's text ends with a whole
valid card number or EAN-13. :func:`split_wedge_scan` separates the two so the scan goes
to the scan path and the field keeps what the cashier had typed.
"""

from __future__ import annotations

from loyalty.cards import CARD_LENGTH
from loyalty.gtin import is_valid_gtin
from loyalty.scans import VOUCHER_PREFIX, is_voucher_number


def split_wedge_scan(text: str) -> tuple[str, str | None]:
    """``(what the field held before, code)`` when ``text`` ends with a 13-digit code
    (a member card or an EAN-13 product) whose check digit is right, or with a
    voucher number (``VCH-...``).

    ``("149.90", "2900000079195")`` from ``"149.902900000079195"``; ``(text, None)``
    when the text does not end with such a code. No amount has thirteen digits
    (amounts are capped far below that) and no receipt number ends in thirteen, so
    nothing a cashier types by hand is taken for a scan.
    """
    stripped = text.rstrip()
    tail = stripped[-CARD_LENGTH:]
    if len(tail) == CARD_LENGTH and tail.isdigit() and is_valid_gtin(tail):
        return stripped[:-CARD_LENGTH], tail
    start = stripped.rfind(VOUCHER_PREFIX)
    if start >= 0 and is_voucher_number(stripped[start:]):
        return stripped[:start], stripped[start:]  # a voucher: no amount has letters
    return text, None
