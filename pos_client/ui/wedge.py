"""Recognise a keyboard-wedge scan that landed in the wrong field.

A keyboard-wedge scanner types the card number and Enter into whatever has focus.
When that is the amount field, or a dialog's text field, the field's text ends with a
whole valid card number. :func:`split_wedge_scan` separates the two so the scan goes
to the scan path and the field keeps what the cashier had typed.
"""

from __future__ import annotations

from loyalty.cards import CARD_LENGTH, is_valid_card_number


def split_wedge_scan(text: str) -> tuple[str, str | None]:
    """``(what the field held before, card)`` when ``text`` ends with a card number.

    ``("149.90", "2900000079195")`` from ``"149.902900000079195"``; ``(text, None)``
    when the text does not end with a valid card number. No amount has thirteen
    digits (amounts are capped far below that) and no receipt number ends in
    thirteen, so nothing a cashier types by hand is taken for a scan.
    """
    stripped = text.rstrip()
    tail = stripped[-CARD_LENGTH:]
    if len(tail) == CARD_LENGTH and is_valid_card_number(tail):
        return stripped[:-CARD_LENGTH], tail
    return text, None
