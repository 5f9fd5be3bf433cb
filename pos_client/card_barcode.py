"""A member card's barcode as text a Textual screen (or any terminal) can show.

The card is drawn as its EAN-13 bars in Unicode block characters, two modules per
character (``█`` both dark, ``▌`` left, ``▐`` right, space none), with the quiet
zones EAN-13 asks for, a few lines tall, and the digits under it as printed on a
card (``2 700000 000014``). At 2 modules a character an EAN-13 takes 57 columns, so
it fits an 80-column screen. Put it in a ``Static`` with no wrapping; it is for a
person to read the number from and, on a sharp screen, a scanner to read.

python-barcode silently corrects a wrong check digit, so the number is validated
here first (:func:`loyalty.cards.validate_card_number`), and refused if
python-barcode would draw any other number.
"""

from __future__ import annotations

from typing import Final

import barcode

from loyalty.cards import validate_card_number
from loyalty.errors import InvalidCardNumber

QUIET_LEFT: Final = 11
QUIET_RIGHT: Final = 7
_BLOCKS: Final = {"11": "█", "10": "▌", "01": "▐", "00": " "}


def card_digits(card: str) -> str:
    """The card as printed under its bars: ``2 700000 000014``."""
    return f"{card[0]} {card[1:7]} {card[7:]}"


def card_barcode_text(card: str, height: int = 4) -> str:
    """``height`` lines of the card's EAN-13 bars, then its digits, centred under
    them. Raises InvalidCardNumber for a number that is not a valid card."""
    number = validate_card_number(card)
    code = barcode.get("ean13", number)
    if code.get_fullcode() != number:
        raise InvalidCardNumber(f"{number} cannot be drawn as itself; check the number.")
    modules = "0" * QUIET_LEFT + "".join(code.build()) + "0" * QUIET_RIGHT
    if len(modules) % 2:
        modules += "0"
    bars = "".join(_BLOCKS[modules[i : i + 2]] for i in range(0, len(modules), 2))
    return "\n".join([bars] * max(height, 1) + [card_digits(number).center(len(bars)).rstrip()])
