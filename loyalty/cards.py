"""Member card numbers: EAN-13 in the GS1 in-store range.

A member card number is thirteen digits whose first digit is ``2`` (GS1 reserves
the 20-29 prefixes for numbers assigned inside a company, so they never clash with
product barcodes) and whose last digit is the EAN-13 check digit.

The check digit is computed here, by our own code, and a wrong one is *rejected*,
never corrected: a mistyped or misread number must not become another member. The
EAN-13 check digit catches every single-digit error and every transposition of two
adjacent digits except those whose difference is 5 (for example ``0`` and ``5``),
which weigh the same modulo 10; those are inherent to the symbology.
"""

from __future__ import annotations

from loyalty.errors import InvalidCardNumber
from loyalty.gtin import gtin_check_digit

CARD_LENGTH = 13
IN_STORE_PREFIX = "2"


def ean13_check_digit(first_twelve: str) -> int:
    """Return the EAN-13 check digit for twelve digits.

    Digits are weighted 1, 3, 1, 3, ... from the left; the check digit brings the
    weighted sum up to a multiple of ten.
    """
    if len(first_twelve) != CARD_LENGTH - 1 or not first_twelve.isascii():
        raise ValueError("an EAN-13 check digit needs exactly twelve digits")
    if not first_twelve.isdigit():
        raise ValueError("an EAN-13 check digit needs digits only")
    return gtin_check_digit(first_twelve)


def validate_card_number(text: str) -> str:
    """Return ``text`` as a card number if it is a valid member card, else raise.

    Surrounding whitespace is ignored (keyboard-wedge scanners and people add it);
    nothing else is forgiven. Raises :class:`InvalidCardNumber` with the reason.
    """
    number = text.strip()
    if not number:
        raise InvalidCardNumber("No card number was entered.")
    if not (number.isascii() and number.isdigit()):
        raise InvalidCardNumber("A card number has digits only.")
    if len(number) != CARD_LENGTH:
        raise InvalidCardNumber(
            f"A card number has {CARD_LENGTH} digits; this one has {len(number)}."
        )
    if not number.startswith(IN_STORE_PREFIX):
        raise InvalidCardNumber("This is not a member card (member cards start with 2).")
    expected = ean13_check_digit(number[:-1])
    if int(number[-1]) != expected:
        raise InvalidCardNumber(
            "The card number is mistyped or misread (its check digit is wrong). "
            "Scan or type it again."
        )
    return number


def is_valid_card_number(text: str) -> bool:
    """True when ``text`` passes :func:`validate_card_number`."""
    try:
        validate_card_number(text)
    except InvalidCardNumber:
        return False
    return True


def make_card_number(serial: int, prefix: str = "29") -> str:
    """Build a valid card number from a programme prefix and a serial number.

    ``prefix`` must start with ``2``; the serial fills the digits up to twelve.
    """
    if not (prefix.isdigit() and prefix.startswith(IN_STORE_PREFIX)):
        raise ValueError("a member card prefix is digits starting with 2")
    width = CARD_LENGTH - 1 - len(prefix)
    if serial < 0 or serial >= 10**width:
        raise ValueError(f"serial {serial} does not fit in {width} digits")
    body = f"{prefix}{serial:0{width}d}"
    return body + str(ean13_check_digit(body))


def mask_card_number(number: str) -> str:
    """Show only the last four digits, as receipts and screens do: ``•••• 1234``."""
    return "•••• " + number[-4:]


ENROLMENT_PREFIX = "27"
"""Card numbers the ledger sets aside for enrolments at tills start with this (the
bodies of a till's ranges are twelve digits that start with it)."""


def card_of_body(body: int) -> str:
    """The card number whose first twelve digits are ``body``: the body and its
    EAN-13 check digit. Raises ValueError unless ``body`` is twelve digits from 2."""
    digits = f"{body:012d}"
    if len(digits) != CARD_LENGTH - 1 or not digits.startswith(IN_STORE_PREFIX):
        raise ValueError(f"{body} is not the body of a member card number")
    return digits + str(ean13_check_digit(digits))
